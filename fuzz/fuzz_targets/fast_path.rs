//! The audit's one-pass line reader against the full parser.
//!
//! `chain::scan_entry` may decline any line; when it accepts one,
//! `chain::parse_entry` must accept it too, with the same fields and the
//! same body. Seed with the lines of sound chains.
#![no_main]

use commonstock::canonical::{self, Value};
use commonstock::chain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let mut sigs = Vec::new();
    let Some(s) = chain::scan_entry(line, &mut sigs) else {
        assert!(sigs.is_empty(), "a declined line leaves no signature");
        return;
    };
    let e = chain::parse_entry(line).expect("the full parser accepts what the fast path accepts");
    assert_eq!(
        (s.seq, s.prev, s.hash, s.doc_hash, s.commune, s.date, s.kind),
        (
            e.seq,
            e.prev,
            e.hash,
            e.doc_hash,
            e.doc.commune,
            e.doc.date,
            e.doc.kind
        )
    );
    assert_eq!(&sigs[s.sigs.clone()], &e.doc.sigs[..]);
    assert_eq!(
        canonical::parse(&line[s.body.clone()]).expect("a canonical body"),
        Value::Object(e.doc.body)
    );
});
