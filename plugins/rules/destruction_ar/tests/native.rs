//! The rule run natively with the SDK's harness (`cargo test`, Rust 1.63 and up, offline):
//! every sample in `tests/` with the configuration of `plugin.json`, the codes and messages of
//! the refusals, configuration changes without recompiling, and `check_config`.

use custodia_pdk::native;
use custodia_rule_destruction_ar::{check_config, destruction_ar};

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("tests/{}", name)).unwrap()
}

fn shipped() -> String {
    native::manifest_config("plugin.json").unwrap()
}

#[test]
fn every_sample_gets_the_verdict_its_name_expects() {
    native::assert_samples(destruction_ar, "tests", "plugin.json");
}

#[test]
fn refusals_say_what_and_where() {
    let v = native::judge(
        destruction_ar,
        &sample("deny.SITE_NOT_DEMILITARISATION.at-a-firing-range.json"),
        &shipped(),
    )
    .unwrap();
    assert_eq!(v.code(), Some("SITE_NOT_DEMILITARISATION"));
    assert!(v.message().unwrap().contains("`range:campo-de-mayo`, a site of kind `range`"));
    let v = native::judge(
        destruction_ar,
        &sample("deny.METHOD_NOT_ALLOWED.rifle-burnt-in-the-open.json"),
        &shipped(),
    )
    .unwrap();
    assert_eq!(
        v.message(),
        Some("`item:fal-0042` (firearm) may not be destroyed by `open_burning`")
    );
    let v = native::judge(
        destruction_ar,
        &sample("deny.AGENCY_WITNESS_MISSING.inspector-did-not-sign.json"),
        &shipped(),
    )
    .unwrap();
    assert_eq!(
        v.message(),
        Some("no witness of `agency:anmac` signed the destruction at `demil:villa-maria`")
    );
}

#[test]
fn the_configuration_changes_the_verdict_without_recompiling() {
    let burnt = sample("deny.METHOD_NOT_ALLOWED.rifle-burnt-in-the-open.json");
    let lenient = r#"{"agency": "agency:anmac", "methods": {"firearm": ["open_burning"]}}"#;
    assert!(!native::judge(destruction_ar, &burnt, lenient).unwrap().is_deny());
    // Another agency witnesses in another jurisdiction.
    let police = sample("deny.AGENCY_WITNESS_MISSING.police-witness-only.json");
    let other = r#"{"agency": "agency:federal-police", "methods": {"firearm": ["cutting"]}}"#;
    assert!(!native::judge(destruction_ar, &police, other).unwrap().is_deny());
    // A range allowed by configuration.
    let range = sample("deny.SITE_NOT_DEMILITARISATION.at-a-firing-range.json");
    let ranges = r#"{"agency": "agency:anmac", "methods": {"firearm": ["cutting"]},
                     "site_kinds": ["range", "demilitarisation"]}"#;
    assert!(!native::judge(destruction_ar, &range, ranges).unwrap().is_deny());
    // A category the configuration does not name may not be destroyed at all.
    let no_firearms = r#"{"agency": "agency:anmac", "methods": {"ammunition": ["cutting"]}}"#;
    let cut = sample("allow.rifle-cut-at-demilitarisation-plant.json");
    let v = native::judge(destruction_ar, &cut, no_firearms).unwrap();
    assert_eq!(v.code(), Some("METHOD_NOT_ALLOWED"));
}

#[test]
fn check_config_accepts_the_shipped_config_and_names_the_bad_field() {
    assert!(!native::validate_config(check_config, &shipped())
        .unwrap()
        .is_deny());
    let cases = [
        (r#"{"methods": {"firearm": ["cutting"]}}"#, "/agency"),
        (r#"{"agency": "anmac", "methods": {"firearm": ["cutting"]}}"#, "/agency"),
        (r#"{"agency": "agency:anmac"}"#, "/methods"),
        (r#"{"agency": "agency:anmac", "methods": {}}"#, "/methods"),
        (r#"{"agency": "agency:anmac", "methods": {"rifles": ["cutting"]}}"#, "/methods/rifles"),
        (r#"{"agency": "agency:anmac", "methods": {"firearm": []}}"#, "/methods/firearm"),
        (r#"{"agency": "agency:anmac", "methods": {"firearm": ["cutting", 7]}}"#, "/methods/firearm/1"),
        (r#"{"agency": "agency:anmac", "methods": {"firearm": ["cutting"]}, "site_kinds": ["plant"]}"#, "/site_kinds/0"),
        (r#"{"agency": "agency:anmac", "methods": {"firearm": ["cutting"]}, "witness": 1}"#, "/witness"),
    ];
    for (config, field) in cases.iter() {
        let v = native::validate_config(check_config, config).unwrap();
        assert_eq!(v.code(), Some("CONFIG_INVALID"), "{}", config);
        let message = v.message().unwrap();
        assert!(
            message.starts_with(&format!("{}: ", field)),
            "{}: {}",
            config,
            message
        );
    }
}
