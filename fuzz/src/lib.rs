//! Shared fixtures and oracles for the fuzz targets and the seed generator.
//!
//! Every fixture is built from fixed key seeds; Ed25519 signing is
//! deterministic, so the bytes are the same on every run and every machine,
//! and a crash found against them reproduces exactly.

use std::collections::{HashMap, HashSet};

use commonstock::Rule;
use commonstock::audit::Report;
use commonstock::canonical::Object;
use commonstock::chain::{self, Builder};
use commonstock::checkpoint::{Checkpoint, ForkProof};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::hash::{self, Hash};
use commonstock::sig::SecretKey;

/// Documents by hash, each with the (key, signature) pairs it was seen with.
pub type Known = HashMap<Hash, HashSet<(Vec<u8>, Vec<u8>)>>;

/// The signing keys every fixture uses.
pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn signed(commune: Hash, kind: Kind, date: &str, body: Object, signers: &[&SecretKey]) -> Document {
    let mut d = Document::new(commune, kind, Date::parse(date).unwrap(), body);
    for k in signers {
        d.sign(k).unwrap();
    }
    d
}

/// A small sound chain of commune `name`: a charter signed by two founders,
/// then `payments` payments. `variant` changes the payments' memos, so two
/// chains with one name and different variants share the genesis entry and
/// differ from entry 1 on: a fork.
pub fn chain(name: &str, payments: usize, variant: &str) -> Builder {
    let (a, b) = (key(1), key(2));
    // Sound under the commune rules too: a full charter (founders f1 and
    // f2, both treasurers) and income payments.
    let body = commonstock::conformance::charter_body(name, &[&a, &b]);
    let commune = chain::commune_id(&body);
    let mut builder = Builder::new();
    builder.push(&signed(
        commune,
        Kind::Charter,
        "2025-01-01",
        body,
        &[&a, &b],
    ));
    for i in 0..payments {
        let body = commonstock::conformance::income(
            &format!("p{i}"),
            100 + i as i64,
            &format!("{name} {variant} {i} \u{e9}\u{1f600}"),
        );
        // One payment signed by both founders, so some entries hold two
        // signatures and the sort order of `sigs` is exercised.
        let signers: &[&SecretKey] = match i % 3 {
            0 => &[&a],
            1 => &[&b],
            _ => &[&a, &b],
        };
        let date = format!("2025-{:02}-15", 1 + (i % 12));
        builder.push(&signed(commune, Kind::Payment, &date, body, signers));
    }
    builder
}

/// The fixtures the seeds and the structured target start from.
pub struct Fixtures {
    /// A sound chain (charter and 4 payments).
    pub main: Builder,
    /// The same commune, forked after entry 1.
    pub fork: Builder,
    /// Another commune, signed by the same keys.
    pub foreign: Builder,
    /// Checkpoints of `main` and `fork` at their full size, cosigned by both keys.
    pub checkpoint_main: Checkpoint,
    pub checkpoint_fork: Checkpoint,
    /// A fork proof with entry runs from position 1, where the chains part.
    pub proof_runs: ForkProof,
    /// A fork proof of two checkpoints of one size, different heads, no runs.
    pub proof_heads: ForkProof,
}

fn checkpoint(b: &Builder, commune: Hash) -> Checkpoint {
    let mut cp = Checkpoint::new(commune, b.len() as u64, b.head());
    cp.sign(&key(1)).unwrap();
    cp.sign(&key(2)).unwrap();
    cp
}

impl Fixtures {
    pub fn build() -> Fixtures {
        let main = chain("Alpha", 4, "main");
        // Same charter, so same commune and genesis entry; the payments'
        // memos differ, so the two chains part at entry 1.
        let fork = chain("Alpha", 4, "fork");
        let foreign = chain("Beta", 2, "main");
        let commune = commune_of(&main);
        let checkpoint_main = checkpoint(&main, commune);
        let checkpoint_fork = checkpoint(&fork, commune);
        let run = |b: &Builder, from: usize| b.lines()[from..].to_vec();
        let proof_runs = ForkProof {
            a: checkpoint_main.clone(),
            b: checkpoint_fork.clone(),
            position: 1,
            entries_a: run(&main, 1),
            entries_b: run(&fork, 1),
        };
        let proof_heads = ForkProof {
            a: checkpoint_main.clone(),
            b: checkpoint_fork.clone(),
            position: 0,
            entries_a: Vec::new(),
            entries_b: Vec::new(),
        };
        Fixtures {
            main,
            fork,
            foreign,
            checkpoint_main,
            checkpoint_fork,
            proof_runs,
            proof_heads,
        }
    }

    /// Every document any fixture chain holds, by document hash, with the
    /// signatures it carries there: what an attacker without the keys can
    /// reuse.
    pub fn known_documents(&self) -> Known {
        let mut known = Known::new();
        for b in [&self.main, &self.fork, &self.foreign] {
            for line in b.lines() {
                let e = chain::parse_entry(line).expect("fixture entries are sound");
                let sigs = known.entry(e.doc_hash).or_default();
                for s in &e.doc.sigs {
                    sigs.insert((s.key.to_vec(), s.sig.to_vec()));
                }
            }
        }
        known
    }
}

/// The commune id of a sound chain.
pub fn commune_of(b: &Builder) -> Hash {
    chain::parse_entry(&b.lines()[0]).unwrap().doc.commune
}

/// Checks what must hold of every audit report, whatever the input:
///
/// - an invalid report has exactly one finding (no checkpoints were given,
///   and the audit stops at the first integrity failure), and it is at the
///   entry right after the last one that passed (CHN-8 only when none did);
/// - `head` is the hash of the last line that passed.
///
/// `bytes` is the chain file audited.
pub fn check_report(bytes: &[u8], report: &Report) {
    let lines: Vec<&[u8]> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\n").unwrap_or(l))
        .collect();
    assert!(report.entries as usize <= lines.len(), "{report:?}");
    if report.entries == 0 {
        assert_eq!(report.head, None);
    } else {
        let last = lines[report.entries as usize - 1];
        assert_eq!(
            report.head,
            Some(hash::entry(last)),
            "head is the last sound entry"
        );
    }
    // Commune findings (void documents) come first, at sound entries, in
    // chain order; an integrity finding, if any, ends the list.
    let (commune, integrity) = match report.findings.split_last() {
        Some((last, rest)) if !report.integrity => (rest, Some(last)),
        _ => (&report.findings[..], None),
    };
    let mut previous = None;
    for f in commune {
        let entry = f.entry.expect("a commune finding names its entry");
        assert!(entry < report.entries, "{f}");
        assert!(previous < Some(entry), "findings in chain order: {f}");
        previous = Some(entry);
    }
    let Some(f) = integrity else {
        assert_eq!(report.entries as usize, lines.len());
        assert!(bytes.ends_with(b"\n"));
        return;
    };
    if f.rule == Rule::Chn8 {
        assert!(bytes.is_empty() && report.entries == 0 && f.entry.is_none());
    } else {
        assert_eq!(f.entry, Some(report.entries), "{f}");
        assert_eq!(f.line, Some(report.entries + 1), "{f}");
    }
}

/// For a chain that passed the audit and was made from fixture material
/// without the keys: every document in it is a fixture document, and every
/// signature on it is one of that document's fixture signatures. Anything
/// else would be a forgery.
pub fn check_no_forgery(bytes: &[u8], known: &Known) {
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let e = chain::parse_entry(line).expect("a valid chain's lines parse");
        let sigs = known
            .get(&e.doc_hash)
            .unwrap_or_else(|| panic!("a valid chain holds an unknown document {}", e.doc_hash));
        for s in &e.doc.sigs {
            assert!(
                sigs.contains(&(s.key.to_vec(), s.sig.to_vec())),
                "a valid chain holds a signature never made"
            );
        }
    }
}
