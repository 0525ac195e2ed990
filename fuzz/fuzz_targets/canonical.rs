//! The canonical JSON profile on arbitrary bytes.
//!
//! Properties: `parse` and `parse_canonical` never panic; whatever `parse`
//! accepts, its encoding re-parses to the same value, is canonical, and
//! encoding is idempotent; whatever `parse_canonical` accepts is exactly its
//! own encoding, and `parse` agrees with it on the value.
#![no_main]

use commonstock::canonical::{encode, parse, parse_canonical};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse(data);
    if let Ok(v) = &parsed {
        let bytes = encode(v);
        let again = parse(&bytes).expect("the encoding of a value parses");
        assert_eq!(&again, v, "parse(encode(v)) == v");
        let canon = parse_canonical(&bytes).expect("the encoding of a value is canonical");
        assert_eq!(&canon, v, "parse_canonical(encode(v)) == v");
        assert_eq!(encode(&again), bytes, "encode is idempotent");
    }
    match parse_canonical(data) {
        Ok(v) => {
            assert_eq!(encode(&v), data, "a canonical text is its own encoding");
            assert_eq!(parsed.as_ref().ok(), Some(&v));
        }
        // parse_canonical is parse plus ENC-8: a parse error is its error.
        Err(e) => match &parsed {
            Err(pe) => assert_eq!(&e, pe),
            Ok(_) => assert_eq!(e.rule, commonstock::Rule::Enc8),
        },
    }
});
