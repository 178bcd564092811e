//! Any bytes: decoding never panics; whatever decodes re-encodes to its canonical line, which
//! decodes back to the same event with the same id (`decode(encode(x)) == x`); bytes accepted
//! where they must be canonical are exactly that line; an unsigned event round-trips too.
#![no_main]

use custodia::{Event, SignedEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = SignedEvent::from_json(data) {
        let line = event.to_json();
        let again = SignedEvent::from_canonical_json(line.as_bytes())
            .expect("an event's canonical line decodes");
        assert_eq!(again, event);
        assert_eq!(again.event().id().expect("id"), event.id());
        if let Ok(strict) = SignedEvent::from_canonical_json(data) {
            assert_eq!(strict.to_json().as_bytes(), data);
            assert_eq!(strict, event);
        }
    } else {
        // What the lenient decoder refuses, the strict one refuses too.
        assert!(SignedEvent::from_canonical_json(data).is_err());
    }
    if let Ok(event) = Event::from_json(data) {
        let text = serde_json::to_vec(&event).expect("an event encodes");
        let again = Event::from_json(&text).expect("an encoded event decodes");
        assert_eq!(again, event);
        assert_eq!(again.id().expect("id"), event.id().expect("id"));
    }
});
