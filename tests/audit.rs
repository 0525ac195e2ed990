//! The integrity audit against every kind of tampering (issue: protocol
//! core). Each case breaks one thing in a sound chain and asserts the rule
//! and the entry reported.

mod common;

use common::*;
use commonstock::Rule;
use commonstock::audit::{self, Options, Report};
use commonstock::canonical::{self, Value};
use commonstock::chain::Builder;
use commonstock::checkpoint::Checkpoint;
use commonstock::document::Kind;
use commonstock::hash;

fn run(bytes: &[u8]) -> Report {
    audit::audit(bytes, &Options::default()).unwrap()
}

fn first(bytes: &[u8]) -> (Rule, Option<u64>) {
    let r = run(bytes);
    assert_eq!(
        r.findings.len(),
        1,
        "one integrity finding expected: {:?}",
        r.findings
    );
    (r.findings[0].rule, r.findings[0].entry)
}

#[test]
fn sound_chain_is_valid() {
    let (b, commune) = small_chain("Alpha", 20);
    let r = run(&b.to_bytes());
    assert!(r.is_valid(), "{:?}", r.findings);
    assert_eq!(r.entries, 21);
    assert_eq!(r.signatures, 22);
    assert_eq!(r.commune, Some(commune));
    assert_eq!(r.head, Some(b.head()));
}

#[test]
fn many_signatures_span_batches() {
    // more signatures than one batch holds, so flushing order matters
    let (b, _) = small_chain("Alpha", 1200);
    let r = run(&b.to_bytes());
    assert!(r.is_valid(), "{:?}", r.findings);
    assert_eq!(r.signatures, 1202);
}

#[test]
fn changed_byte_in_body_breaks_the_signature_or_link() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    // "amount":102 -> "amount":103 in entry 3: canonical still, signature no longer matches
    let s = String::from_utf8(lines[3].clone())
        .unwrap()
        .replace("\"amount\":102", "\"amount\":103");
    lines[3] = s.into_bytes();
    // the signature of entry 3 fails before entry 4's prev is looked at
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Sig6, Some(3)));
}

#[test]
fn changed_byte_in_last_entry_is_a_forged_signature() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    let s = String::from_utf8(lines[5].clone())
        .unwrap()
        .replace("rent 4", "rent 9");
    lines[5] = s.into_bytes();
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Sig6, Some(5)));
}

#[test]
fn reordered_entries() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    lines.swap(2, 3);
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Chn2, Some(2)));
}

#[test]
fn dropped_entry() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    lines.remove(3);
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Chn2, Some(3)));
}

#[test]
fn duplicated_entry() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    let dup = lines[2].clone();
    lines.insert(3, dup);
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Chn2, Some(3)));
}

#[test]
fn wrong_previous_hash() {
    let (b, _) = small_chain("Alpha", 5);
    let mut lines = b.lines().to_vec();
    let mut v = canonical::parse(&lines[4]).unwrap();
    if let Value::Object(o) = &mut v {
        o.insert(
            "prev",
            Value::from(hash::entry(b"not the previous line").to_b64()),
        );
    }
    lines[4] = canonical::encode(&v);
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Chn3, Some(4)));
}

#[test]
fn replayed_document_at_its_right_position() {
    // The same signed document appended again, with a correct seq and prev.
    let (b, _) = small_chain("Alpha", 3);
    let mut v = canonical::parse(&b.lines()[3]).unwrap();
    let doc = match &mut v {
        Value::Object(o) => {
            commonstock::document::Document::from_value(o.get("doc").unwrap()).unwrap()
        }
        _ => unreachable!(),
    };
    let mut b2 = b.clone();
    b2.push(&doc);
    assert_eq!(first(&b2.to_bytes()), (Rule::Chn7, Some(4)));
}

#[test]
fn forged_signature() {
    let (b, commune) = small_chain("Alpha", 3);
    let mut b2 = b.clone();
    // a document whose signature was made by another key but claims key 1
    let mut d = doc(
        commune,
        Kind::Payment,
        "2025-12-31",
        obj(&[("memo", Value::from("forged"))]),
        &[&key(9)],
    );
    d.sigs[0].key = key(1).public_key();
    b2.push(&d);
    assert_eq!(first(&b2.to_bytes()), (Rule::Sig6, Some(4)));
}

#[test]
fn signature_taken_from_another_commune() {
    let (a, _) = small_chain("Alpha", 3);
    let (beta, _) = small_chain("Beta", 3);
    // Beta's entry 3 document (same date as Alpha's last), appended to
    // Alpha as is: names the wrong commune
    let foreign = canonical::parse(&beta.lines()[3]).unwrap();
    let foreign_doc = commonstock::document::Document::from_value(
        foreign.as_object().unwrap().get("doc").unwrap(),
    )
    .unwrap();
    let mut b1 = a.clone();
    b1.push(&foreign_doc);
    assert_eq!(first(&b1.to_bytes()), (Rule::Chn5, Some(4)));
    // with its commune rewritten to Alpha's, the signatures no longer match
    let mut rewritten = foreign_doc.clone();
    rewritten.commune = a_commune(&a);
    let mut b2 = a.clone();
    b2.push(&rewritten);
    assert_eq!(first(&b2.to_bytes()), (Rule::Sig6, Some(4)));
}

fn a_commune(b: &Builder) -> commonstock::hash::Hash {
    run(&b.to_bytes()).commune.unwrap()
}

#[test]
fn non_canonical_line() {
    let (b, _) = small_chain("Alpha", 3);
    let mut lines = b.lines().to_vec();
    // the same value with a space after the first colon
    let s = String::from_utf8(lines[2].clone())
        .unwrap()
        .replacen("\":", "\": ", 1);
    lines[2] = s.into_bytes();
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Enc8, Some(2)));
}

#[test]
fn framing_errors() {
    let (b, _) = small_chain("Alpha", 2);
    let good = b.to_bytes();
    // missing final LF
    assert_eq!(first(&good[..good.len() - 1]), (Rule::Enc2, Some(2)));
    // CRLF
    let crlf = String::from_utf8(good.clone())
        .unwrap()
        .replacen('\n', "\r\n", 1);
    assert_eq!(first(crlf.as_bytes()), (Rule::Enc2, Some(0)));
    // BOM
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&good);
    assert_eq!(first(&bom), (Rule::Enc2, Some(0)));
    // empty line between entries
    let empty = String::from_utf8(good.clone())
        .unwrap()
        .replacen('\n', "\n\n", 1);
    assert_eq!(first(empty.as_bytes()), (Rule::Enc2, Some(1)));
    // empty file
    let r = run(b"");
    assert_eq!(r.findings.len(), 1);
    assert_eq!(
        (r.findings[0].rule, r.findings[0].entry),
        (Rule::Chn8, None)
    );
    // truncated mid-line
    let cut = &good[..good.len() / 2];
    assert!(matches!(first(cut).0, Rule::Enc2 | Rule::Enc3));
}

#[test]
fn genesis_must_be_a_charter_and_unique() {
    let (b, commune) = small_chain("Alpha", 1);
    let mut b2 = b.clone();
    let body = charter_body("Alpha", &[&key(1)]);
    b2.push(&doc(commune, Kind::Charter, "2025-12-31", body, &[&key(1)]));
    assert_eq!(first(&b2.to_bytes()), (Rule::Chn4, Some(2)));

    let mut b3 = Builder::new();
    b3.push(&doc(
        commune,
        Kind::Payment,
        "2025-01-01",
        obj(&[]),
        &[&key(1)],
    ));
    assert_eq!(first(&b3.to_bytes()), (Rule::Chn4, Some(0)));
}

#[test]
fn charter_must_name_its_own_commune_id() {
    let body = charter_body("Alpha", &[&key(1)]);
    let wrong = commonstock::chain::commune_id(&charter_body("Beta", &[&key(1)]));
    let mut b = Builder::new();
    b.push(&doc(wrong, Kind::Charter, "2025-01-01", body, &[&key(1)]));
    assert_eq!(first(&b.to_bytes()), (Rule::Chn5, Some(0)));
}

#[test]
fn dates_must_not_decrease() {
    let (b, commune) = small_chain("Alpha", 3);
    let mut b2 = b.clone();
    b2.push(&doc(
        commune,
        Kind::Payment,
        "2024-12-31",
        obj(&[("memo", Value::from("late"))]),
        &[&key(1)],
    ));
    assert_eq!(first(&b2.to_bytes()), (Rule::Chn6, Some(4)));
}

#[test]
fn unsorted_or_duplicate_signatures() {
    let (b, commune) = small_chain("Alpha", 1);
    let mut d = doc(
        commune,
        Kind::Payment,
        "2025-12-31",
        obj(&[]),
        &[&key(1), &key(2)],
    );
    d.sigs.swap(0, 1);
    let mut b2 = b.clone();
    b2.push(&d);
    assert_eq!(first(&b2.to_bytes()), (Rule::Doc4, Some(2)));
    let mut d = doc(commune, Kind::Payment, "2025-12-31", obj(&[]), &[&key(1)]);
    d.sigs.push(d.sigs[0]);
    let mut b3 = b.clone();
    b3.push(&d);
    assert_eq!(first(&b3.to_bytes()), (Rule::Doc4, Some(2)));
}

#[test]
fn bad_signature_before_bad_link_is_reported_first() {
    let (b, commune) = small_chain("Alpha", 3);
    let mut b2 = b.clone();
    let mut d = doc(
        commune,
        Kind::Payment,
        "2025-12-31",
        obj(&[("memo", Value::from("x"))]),
        &[&key(1)],
    );
    d.sigs[0].sig[40] ^= 1; // in S, still below L
    b2.push(&d);
    b2.push(&doc(
        commune,
        Kind::Payment,
        "2025-12-31",
        obj(&[("memo", Value::from("y"))]),
        &[&key(1)],
    ));
    // swapped, the entry at index 4 has seq 5: CHN-2 there, before any
    // signature of that line is looked at
    let mut lines = b2.lines().to_vec();
    lines.swap(4, 5);
    // entry 4's signature is bad and entry 5's prev is broken: SIG-6 at 4 wins
    let mut lines2 = b2.lines().to_vec();
    let mut v = canonical::parse(&lines2[5]).unwrap();
    if let Value::Object(o) = &mut v {
        o.insert("prev", Value::from(commonstock::hash::Hash::ZERO.to_b64()));
    }
    lines2[5] = canonical::encode(&v);
    assert_eq!(first(&lines_to_bytes(&lines2)), (Rule::Sig6, Some(4)));
    assert_eq!(first(&lines_to_bytes(&lines)), (Rule::Chn2, Some(4)));
}

#[test]
fn checkpoints_agree_or_are_reported() {
    let (b, commune) = small_chain("Alpha", 5);
    let bytes = b.to_bytes();
    let sound = run(&bytes);
    let mut cp = Checkpoint::new(commune, 6, sound.head.unwrap());
    cp.sign(&key(1)).unwrap();
    let ok = audit::audit(
        &bytes[..],
        &Options {
            checkpoints: vec![cp.clone()],
        },
    )
    .unwrap();
    assert!(ok.is_valid(), "{:?}", ok.findings);

    // the chain was truncated (an entry withheld)
    let (short, _) = small_chain("Alpha", 4);
    let r = audit::audit(
        &short.to_bytes()[..],
        &Options {
            checkpoints: vec![cp.clone()],
        },
    )
    .unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, Rule::Ckp3);

    // a checkpoint at size 3 whose head is not entry 2's hash: a fork
    let mut fork = Checkpoint::new(commune, 3, hash::entry(b"elsewhere"));
    fork.sign(&key(2)).unwrap();
    let r = audit::audit(
        &bytes[..],
        &Options {
            checkpoints: vec![fork],
        },
    )
    .unwrap();
    assert_eq!(r.findings[0].rule, Rule::Ckp3);

    // a checkpoint with a bad cosignature
    let mut bad = cp.clone();
    bad.sigs[0].sig[40] ^= 1;
    let r = audit::audit(
        &bytes[..],
        &Options {
            checkpoints: vec![bad],
        },
    )
    .unwrap();
    assert_eq!(r.findings[0].rule, Rule::Sig6);
}
