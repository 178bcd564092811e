//! Any bytes: decoding never panics, and whatever decodes re-encodes to itself
//! (`decode(encode(x)) == x`) with the same id.
#![no_main]

use custodia::SignedEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = SignedEvent::from_json(data) {
        let line = event.to_json().expect("a decoded event encodes");
        let again = SignedEvent::from_json(line.as_bytes()).expect("an encoded event decodes");
        assert_eq!(again, event);
        assert_eq!(again.event.id().expect("id"), event.id);
    }
    let _ = custodia::Event::from_json(data);
});
