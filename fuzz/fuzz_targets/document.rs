//! The document envelope on arbitrary bytes.
//!
//! Properties: no panic; a document read from a value writes back to that
//! very value (the envelope is a closed schema with canonical fields, so
//! nothing is lost or normalised), and reads back to an equal document.
#![no_main]

use commonstock::canonical::{encode, parse};
use commonstock::document::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = parse(data) else { return };
    let Ok(doc) = Document::from_value(&v) else {
        return;
    };
    let back = doc.to_value();
    assert_eq!(back, v, "to_value gives back the value read");
    let again = Document::from_value(&back).expect("a written document reads back");
    assert_eq!(again, doc);
    assert_eq!(again.hash(), doc.hash());
    // The hash covers the envelope without `sigs`, canonically encoded.
    let mut unsigned = back.as_object().unwrap().clone();
    unsigned.remove("sigs");
    assert_eq!(
        commonstock::hash::document(&encode(&unsigned.into())),
        doc.hash()
    );
    // Signature checks must not panic on whatever keys and signatures the
    // input carries; each verdict is one of the rule set's.
    assert_eq!(doc.verify_signatures().len(), doc.sigs.len());
});
