//! The spec and the rule registry agree: every rule id the spec states in
//! bold (`**ENC-4.**`, `**SIG-1**`, `**SCH-3 (coverage).**`) is in
//! `Rule::ALL`, and every id of `Rule::ALL` is stated in bold in the spec
//! file its `section()` names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use commonstock::Rule;

/// spec file name → its text.
fn spec() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }
    assert!(out.len() >= 10, "spec/ not found");
    out
}

/// Whether `s` is a rule id: three capitals, `-`, a number without a
/// leading zero.
fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3] == b'-'
        && b[4] != b'0'
        && b[4..].iter().all(u8::is_ascii_digit)
}

/// The rule ids that start a bold span: `**` then the id.
fn bold_ids(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("**") {
        rest = &rest[i + 2..];
        let id: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if is_id(&id) {
            out.insert(id);
        }
    }
    out
}

#[test]
fn the_scanner_finds_the_spec_spellings() {
    let t = "**ENC-4.** x **SIG-1** and **SIG-2** on; **SCH-3 (coverage).** **AUT-5:** \
             **Note** **ENC-04** `**` **AB-1**";
    let got: Vec<String> = bold_ids(t).into_iter().collect();
    assert_eq!(got, ["AUT-5", "ENC-4", "SCH-3", "SIG-1", "SIG-2"]);
}

#[test]
fn every_rule_stated_in_the_spec_is_registered() {
    for (file, text) in spec() {
        for id in bold_ids(&text) {
            assert!(
                Rule::from_code(&id).is_some(),
                "spec/{file} states {id}, which Rule::ALL does not have"
            );
        }
    }
}

#[test]
fn every_registered_rule_is_stated_in_its_section() {
    let spec = spec();
    for r in Rule::ALL {
        assert!(is_id(r.code()), "{r} is not a well-formed id");
        let text = spec
            .get(r.section())
            .unwrap_or_else(|| panic!("{r}: section spec/{} does not exist", r.section()));
        assert!(
            bold_ids(text).contains(r.code()),
            "{r} is not stated in bold in spec/{}",
            r.section()
        );
        assert!(!r.summary().is_empty());
    }
}
