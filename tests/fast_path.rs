//! The audit's fast path reads a line in one pass (`chain::scan_entry`);
//! the full parser (`chain::parse_entry`) is the reference. The fast path
//! may decline any line (the audit then uses the full parser), but when it
//! accepts one, the full parser must accept it too, with the same fields.
//! These tests check that on every line of the example commune and of the
//! conformance vectors, and on random damage to real lines.

use std::path::Path;

use commonstock::canonical::{self, Value};
use commonstock::chain::{self, Scanned};
use commonstock::document::Signature;
use proptest::prelude::*;

/// Checks one line; returns whether the fast path took it.
fn check(line: &[u8]) -> bool {
    let mut sigs = vec![Signature {
        key: [7; 32],
        sig: [7; 64],
    }];
    let Some(s) = chain::scan_entry(line, &mut sigs) else {
        assert_eq!(sigs.len(), 1, "a declined line leaves no signature behind");
        return false;
    };
    let e = chain::parse_entry(line).unwrap_or_else(|err| {
        panic!(
            "fast path accepted a line the parser refuses ({}: {}): {}",
            err.rule,
            err.detail,
            String::from_utf8_lossy(line)
        )
    });
    let Scanned {
        seq,
        prev,
        hash,
        doc_hash,
        commune,
        date,
        kind,
        v,
        body,
        sigs: range,
    } = s;
    assert_eq!(
        (seq, prev, hash, doc_hash, commune, date, kind, v),
        (
            e.seq,
            e.prev,
            e.hash,
            e.doc_hash,
            e.doc.commune,
            e.doc.date,
            e.doc.kind,
            e.doc.v
        )
    );
    assert_eq!(&sigs[range], &e.doc.sigs[..]);
    assert_eq!(
        canonical::parse(&line[body]).unwrap(),
        Value::Object(e.doc.body.clone())
    );
    true
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

#[test]
fn the_example_commune_takes_the_fast_path() {
    let bytes = std::fs::read("examples/commune.jsonl").unwrap();
    let (mut fast, mut all) = (0, 0);
    for line in lines(&bytes) {
        all += 1;
        fast += usize::from(check(line));
    }
    // Only lines with escapes in strings or non-ASCII names may decline.
    assert!(
        fast * 100 >= all * 99,
        "{fast} of {all} lines on the fast path"
    );
}

#[test]
fn every_vector_line_agrees() {
    let dir = Path::new("test-vectors/chains");
    let mut fast = 0;
    for f in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        // The chain follows the header's blank line.
        let Some(at) = bytes.windows(2).position(|w| w == b"\n\n") else {
            continue;
        };
        for line in lines(&bytes[at + 2..]) {
            fast += usize::from(check(line));
        }
    }
    assert!(fast > 500, "only {fast} vector lines on the fast path");
}

#[test]
fn lines_the_fast_path_declines() {
    let bytes = std::fs::read("examples/commune.jsonl").unwrap();
    let line = lines(&bytes).nth(1).unwrap().to_vec();
    assert!(check(&line));
    let text = String::from_utf8(line).unwrap();
    for (from, to) in [
        ("\"seq\":1}", "\"seq\":01}"),
        ("\"seq\":1}", "\"seq\":-0}"),
        ("\"seq\":1}", "\"seq\":1.0}"),
        ("\"seq\":1}", "\"seq\":1} "),
        ("{\"doc\"", "{ \"doc\""),
        ("\"v\":1", "\"v\":2"),
        ("\"kind\":\"", "\"kind\":\"x"),
        ("\"date\":\"2", "\"date\":\"3"),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text, "{from}");
        let mut sigs = Vec::new();
        // Declined, or accepted only where the parser agrees (check panics otherwise).
        if chain::scan_entry(bad.as_bytes(), &mut sigs).is_some() {
            assert!(check(bad.as_bytes()), "{to}");
        }
        assert!(!check(bad.as_bytes()) || chain::parse_entry(bad.as_bytes()).is_ok());
    }
}

fn example_lines() -> Vec<Vec<u8>> {
    let bytes = std::fs::read("examples/commune.jsonl").unwrap();
    lines(&bytes).take(200).map(<[u8]>::to_vec).collect()
}

const BYTES: &[u8] = b"{}[]\":,-0123456789.eE+ \\\t\nabcdefghijklmnopqrstuvwxyzAZ_\x7f\xc3\xa9\xff";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Any byte replaced, inserted or deleted anywhere in a real line.
    #[test]
    fn damaged_lines_agree(
        which in 0usize..200,
        at in any::<prop::sample::Index>(),
        op in 0u8..3,
        byte in prop::sample::select(BYTES),
    ) {
        let all = example_lines();
        let mut line = all[which % all.len()].clone();
        let i = at.index(line.len());
        match op {
            0 => line[i] = byte,
            1 => line.insert(i, byte),
            _ => { line.remove(i); }
        }
        check(&line);
    }

    /// Two members of the body swapped, duplicated or their names changed.
    #[test]
    fn damaged_bodies_agree(which in 0usize..200, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let all = example_lines();
        let line = &all[which % all.len()];
        let (i, j) = (a.index(line.len()), b.index(line.len()));
        let (i, j) = (i.min(j), i.max(j));
        // Move the byte range [i, j) to the end of the body-bearing prefix.
        let mut moved = line[..i].to_vec();
        moved.extend_from_slice(&line[j..]);
        moved.splice(i.min(moved.len())..i.min(moved.len()), line[i..j].iter().copied());
        let mut dup = line[..j].to_vec();
        dup.extend_from_slice(&line[i..]);
        check(&moved);
        check(&dup);
    }
}
