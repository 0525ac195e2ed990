//! The saved-state file of an incremental audit: a state written to a file
//! and read back resumes to exactly the full audit; the same state always
//! gives the same bytes; a file that is not exactly what an audit wrote is
//! refused with an error, never a panic.

mod common;

use commonstock::audit::{self, Options, Outcome, Run, Saved};
use commonstock::canonical::{self, Object, Value};
use commonstock::document::Kind;
use commonstock::rule::Rule;
use commonstock::simulate::{self, Params};
use commonstock::statefile::{self, Error};
use commonstock::{dividend, statement};

fn run(bytes: &[u8], run: Run) -> Outcome {
    audit::run(bytes, &Options::default(), run).unwrap()
}

fn prefix(bytes: &[u8], lines: usize) -> &[u8] {
    let end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines - 1)
        .map(|(i, _)| i + 1)
        .unwrap();
    &bytes[..end]
}

/// Everything an audit decides and the CLI prints: the report (with its
/// findings and dividends) and its JSON, the statement as text and JSON,
/// the dividend table as JSON, text and CSV, and the HTML report (whose
/// cash chart starts at the chain's first date, resumed or not).
fn decided(o: &Outcome) -> (audit::Report, Vec<Vec<u8>>) {
    let html = commonstock::report::html::Html {
        report: &o.report,
        state: &o.state,
        cash: &o.cash,
        source: "chain.jsonl",
        spec_base: "spec/",
    }
    .page();
    let mut text = Vec::new();
    statement::write_text(&mut text, &o.state).unwrap();
    let mut table = Vec::new();
    dividend::write_text(&mut table, &o.state).unwrap();
    let mut csv = Vec::new();
    dividend::write_csv(&mut csv, &o.state, dividend::CsvAmounts::MinorUnits).unwrap();
    (
        o.report.clone(),
        vec![
            canonical::encode(&o.report.to_value()),
            canonical::encode(&statement::to_value(&o.state)),
            text,
            canonical::encode(&dividend::table_value(&o.state)),
            table,
            csv,
            html.into_bytes(),
        ],
    )
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "commonstock-statefile-{}-{name}",
        std::process::id()
    ))
}

fn simulated() -> simulate::Commune {
    simulate::generate(&Params::scaled(40, 14, 2, 7))
}

fn obj(members: Vec<(&str, Value)>) -> Object {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    o
}

/// The simulated chain, then documents that are sound links but break the
/// commune rules in between sound ones: an income payment, a reversal of
/// no payment (REF-1), its reversal, a second reversal (PAY-2), another
/// payment.
fn with_commune_findings(p: &Params) -> (Vec<u8>, usize) {
    let c = simulate::generate(p);
    let mut b = c.builder().clone();
    let clean = b.len();
    let d = c.last_date();
    let income = |id: &str| {
        obj(vec![
            ("amount", Value::Int(700)),
            ("id", Value::from(id)),
            ("purpose", Value::from("income")),
            (
                "ref",
                Value::Object(obj(vec![("source", Value::from("a fair"))])),
            ),
        ])
    };
    let reversal = |id: &str, reason: &str| {
        obj(vec![
            ("payment", Value::from(id)),
            ("reason", Value::from(reason)),
        ])
    };
    let t = c.treasurer();
    for (kind, body) in [
        (Kind::Payment, income("fair-1")),
        (Kind::Reversal, reversal("no-such-payment", "booked twice")),
        (Kind::Reversal, reversal("fair-1", "booked twice")),
        (Kind::Reversal, reversal("fair-1", "booked twice, again")),
        (Kind::Payment, income("fair-2")),
    ] {
        b.push(&c.sign(kind, d, body, None, None, &[t]));
    }
    (b.to_bytes(), clean)
}

/// A chain whose charter breaks the commune rules (so they stop running),
/// then sound links.
fn with_a_void_charter() -> Vec<u8> {
    let (a, b) = (common::key(1), common::key(2));
    let mut body = common::charter_body("void", &[&a, &b]);
    body.insert("reserve_bps", Value::Int(10_001));
    let commune = commonstock::chain::commune_id(&body);
    let mut builder = commonstock::chain::Builder::new();
    builder.push(&common::doc(
        commune,
        Kind::Charter,
        "2025-01-01",
        body,
        &[&a, &b],
    ));
    for i in 0..4 {
        let body = common::income(&format!("p{i}"), 100, "rent");
        builder.push(&common::doc(
            commune,
            Kind::Payment,
            "2025-02-01",
            body,
            &[&a],
        ));
    }
    builder.to_bytes()
}

/// Audits `prefix` and saves its state through a file, as the CLI does:
/// streamed from the live state ([`Run::save_with`]). The file's bytes are
/// those of the state's copy ([`Run::save`]) encoded in memory, and saving
/// changes nothing the audit decides.
fn saved_through_a_file(prefix: &[u8], name: &str) -> Saved {
    let path = temp_path(name);
    let to = path.clone();
    let first = run(
        prefix,
        Run {
            save: true,
            save_with: Some(Box::new(move |s| statefile::save(&to, s))),
            ..Run::default()
        },
    );
    first
        .saved_with
        .as_ref()
        .expect("a sound prefix is saved")
        .as_ref()
        .unwrap();
    let saved = first.saved.as_ref().expect("a sound prefix is saved");
    let file = std::fs::read(&path).unwrap();
    assert_eq!(file, statefile::encode(saved));
    assert_eq!(decided(&first), decided(&run(prefix, Run::default())));
    let loaded = statefile::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // what was read is what was written
    assert_eq!(statefile::encode(&loaded), file);
    loaded
}

/// For every split point: save the prefix's state to a file, load it,
/// resume on the whole chain; the result is the full audit's, and so is
/// the state saved after it, byte for byte.
fn resumes_to_the_full_audit(bytes: &[u8], splits: &[usize], name: &str) {
    let full = run(
        bytes,
        Run {
            save: true,
            ..Run::default()
        },
    );
    let full_state = statefile::encode(full.saved.as_ref().unwrap());
    for &split in splits {
        let loaded = saved_through_a_file(prefix(bytes, split), name);
        let rest = run(
            bytes,
            Run {
                resume: Some(loaded),
                save: true,
                ..Run::default()
            },
        );
        assert_eq!(decided(&full), decided(&rest), "{name}: split at {split}");
        assert_eq!(
            statefile::encode(rest.saved.as_ref().unwrap()),
            full_state,
            "{name}: split at {split}"
        );
    }
}

#[test]
fn a_saved_file_resumes_to_the_full_audit() {
    let example = std::fs::read("examples/commune.jsonl").unwrap();
    let sim = simulated().builder().to_bytes();
    for (bytes, name) in [(example, "example"), (sim, "simulated")] {
        let n = run(&bytes, Run::default()).report.entries as usize;
        assert!(n > 500);
        resumes_to_the_full_audit(&bytes, &[1, 2, 17, n / 3, n / 2, n - 1, n], name);
    }
}

#[test]
fn a_saved_file_resumes_across_commune_findings() {
    let (bytes, clean) = with_commune_findings(&Params::scaled(40, 14, 2, 7));
    let full = run(&bytes, Run::default()).report;
    assert!(full.integrity);
    let rules: Vec<Rule> = full.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::Ref1, Rule::Pay2]);
    let splits: Vec<usize> = (clean - 1..=clean + 5).collect();
    resumes_to_the_full_audit(&bytes, &splits, "findings");

    let void = with_a_void_charter();
    let full = run(&void, Run::default()).report;
    assert!(full.integrity, "{:?}", full.findings);
    assert_eq!(full.findings.len(), 1);
    assert_eq!(full.findings[0].entry, Some(0));
    resumes_to_the_full_audit(&void, &[1, 2, 3, 5], "void charter");
}

#[test]
fn the_same_state_gives_the_same_bytes() {
    let bytes = std::fs::read("examples/commune.jsonl").unwrap();
    // two audits: their hash maps have different seeds and orders
    let a = run(
        &bytes,
        Run {
            save: true,
            ..Run::default()
        },
    );
    let b = run(
        &bytes,
        Run {
            save: true,
            threads: 1,
            ..Run::default()
        },
    );
    let (a, b) = (a.saved.unwrap(), b.saved.unwrap());
    let file = statefile::encode(&a);
    assert_eq!(file, statefile::encode(&b));
    assert_eq!(file, statefile::encode(&statefile::decode(&file).unwrap()));
    let h = statefile::header(&file).unwrap();
    assert_eq!(h.entries, 1323);
    assert_eq!(Some(h.commune), a.linker.commune());
    assert_eq!(h.head, a.linker.head());
    assert_eq!(h.signatures, a.signatures);
    assert!(file.starts_with(statefile::MAGIC));
}

/// A small chain with commune findings: a charter, income payments, then
/// a reversal of no payment (REF-1), a reversal, the same reversal again
/// (PAY-2) and one more payment.
fn small_chain_with_findings() -> Vec<u8> {
    let (mut b, commune) = common::small_chain("small", 20);
    let t = common::key(1);
    let reversal = |id: &str, reason: &str| {
        common::obj(&[
            ("payment", Value::from(id)),
            ("reason", Value::from(reason)),
        ])
    };
    for (kind, body) in [
        (Kind::Reversal, reversal("nope", "booked twice")),
        (Kind::Reversal, reversal("p0", "booked twice")),
        (Kind::Reversal, reversal("p0", "booked twice, again")),
        (Kind::Payment, common::income("p-last", 5, "fair")),
    ] {
        b.push(&common::doc(commune, kind, "2025-12-31", body, &[&t]));
    }
    b.to_bytes()
}

/// The state file of the small chain.
fn small_state_file() -> Vec<u8> {
    let saved = run(
        &small_chain_with_findings(),
        Run {
            save: true,
            ..Run::default()
        },
    )
    .saved
    .unwrap();
    assert_eq!(saved.findings.len(), 2);
    statefile::encode(&saved)
}

#[test]
fn every_single_byte_change_and_every_truncation_is_refused() {
    let file = small_state_file();
    assert!(file.len() > 1000, "{}", file.len());
    statefile::decode(&file).unwrap();
    for i in 0..file.len() {
        for mask in [0x01, 0x80, 0xFF] {
            let mut bad = file.clone();
            bad[i] ^= mask;
            let e = statefile::decode(&bad).expect_err("a changed byte is refused");
            match (i, e) {
                (0..24, Error::NotAState) | (24..28, Error::Version(_)) => {}
                (28.., Error::Corrupt(_)) => {}
                (i, e) => panic!("byte {i}: {e}"),
            }
        }
    }
    for len in 0..file.len() {
        match statefile::decode(&file[..len]) {
            Err(Error::NotAState) if len < 24 => {}
            Err(Error::Corrupt(_)) if len >= 24 => {}
            other => panic!("truncated to {len}: {:?}", other.err()),
        }
    }
    let mut longer = file.clone();
    longer.push(0);
    assert!(matches!(statefile::decode(&longer), Err(Error::Corrupt(_))));

    // the example's state: a sample of positions
    let bytes = std::fs::read("examples/commune.jsonl").unwrap();
    let big = statefile::encode(
        &run(
            &bytes,
            Run {
                save: true,
                ..Run::default()
            },
        )
        .saved
        .unwrap(),
    );
    for i in (0..big.len()).step_by(997) {
        let mut bad = big.clone();
        bad[i] ^= 0x10;
        assert!(statefile::decode(&bad).is_err(), "byte {i}");
        assert!(statefile::decode(&big[..i]).is_err(), "cut at {i}");
    }
}

/// The file with its body changed and the checksum made valid again: what
/// someone crafting a state could write. Reading never panics, and what it
/// accepts never makes the resumed audit panic.
#[test]
fn crafted_states_with_a_valid_checksum_never_panic() {
    // a small commune, with every kind of record in its state
    let (bytes, _) = with_commune_findings(&Params::scaled(7, 9, 1, 3));
    let n = run(&bytes, Run::default()).report.entries as usize;
    // the state before the last six entries (the findings among them), so
    // each resume audits only those
    let saved = run(
        prefix(&bytes, n - 6),
        Run {
            save: true,
            ..Run::default()
        },
    )
    .saved
    .unwrap();
    let file = statefile::encode(&saved);
    let mut accepted = 0;
    for i in 116..file.len() - 32 {
        for mask in [0x01, 0x80, 0xFF] {
            let mut bad = file.clone();
            bad[i] ^= mask;
            let n = bad.len() - 32;
            let sum = blake3::derive_key(statefile::CHECKSUM_CONTEXT, &bad[..n]);
            bad[n..].copy_from_slice(&sum);
            if let Ok(saved) = statefile::decode(&bad) {
                accepted += 1;
                if accepted % 4 != 0 {
                    continue; // a sample: each audit verifies six signatures
                }
                let _ = audit::run(
                    &bytes[..],
                    &Options::default(),
                    Run {
                        resume: Some(saved),
                        threads: 1,
                        ..Run::default()
                    },
                );
            }
        }
    }
    // member names, amounts, dates … are trusted, not checked
    assert!(accepted > 0);
    // a body cut short, with a valid checksum and header
    for cut in [1, 10, 100] {
        let mut bad = file[..file.len() - 32 - cut].to_vec();
        let len = (bad.len() - 116) as u64;
        bad[108..116].copy_from_slice(&len.to_le_bytes());
        let sum = blake3::derive_key(statefile::CHECKSUM_CONTEXT, &bad);
        bad.extend_from_slice(&sum);
        assert!(
            matches!(statefile::decode(&bad), Err(Error::Malformed(..))),
            "{cut}"
        );
    }
}

#[test]
fn a_state_resumes_only_on_a_chain_that_extends_its_prefix() {
    let example = std::fs::read("examples/commune.jsonl").unwrap();
    let saved = saved_through_a_file(prefix(&example, 100), "refusals");
    let refused = |bytes: &[u8]| {
        let e = audit::run(
            bytes,
            &Options::default(),
            Run {
                resume: Some(saved.clone()),
                ..Run::default()
            },
        )
        .err()
        .expect("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().ends_with("audit it in full"), "{e}");
        e.to_string()
    };
    // another commune's chain
    let sim = simulated().builder().to_bytes();
    assert!(refused(&sim).starts_with("the saved state is of commune "));
    // shorter than the prefix
    assert!(
        refused(prefix(&example, 99)).starts_with("the chain has 99 entries, fewer than the 100")
    );
    // diverging inside the prefix
    let lines: Vec<Vec<u8>> = example
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let changed = |i: usize, f: &dyn Fn(&mut Vec<u8>)| {
        let mut l = lines.clone();
        f(&mut l[i]);
        common::lines_to_bytes(&l)
    };
    // a byte of the document: the next line's prev no longer links
    let body = |l: &mut Vec<u8>| {
        let at = l.windows(8).position(|w| w == b"\"date\":\"").unwrap() + 11;
        l[at] = if l[at] == b'1' { b'2' } else { b'1' };
    };
    assert!(refused(&changed(50, &body)).starts_with("line 52: "));
    // the last line of the prefix: its hash is not the saved head
    assert!(refused(&changed(99, &body)).starts_with("line 100: "));
    // the tail of a line, and a line the framing refuses
    let tail = |l: &mut Vec<u8>| l.insert(l.len() - 1, b' ');
    assert!(refused(&changed(50, &tail)).starts_with("line 51: "));
    let cr = |l: &mut Vec<u8>| l.push(b'\r');
    assert!(refused(&changed(50, &cr)).starts_with("line 51: "));
    // the chain that is the prefix itself resumes to the prefix's audit
    let again = run(
        prefix(&example, 100),
        Run {
            resume: Some(saved),
            ..Run::default()
        },
    );
    assert_eq!(
        decided(&again),
        decided(&run(prefix(&example, 100), Run::default()))
    );
}

#[test]
fn errors_say_what_is_wrong() {
    let file = small_state_file();
    let mut v = file.clone();
    v[24] = 9;
    let e = statefile::decode(&v).unwrap_err().to_string();
    assert!(e.contains("format version 9"), "{e}");
    assert!(e.contains("audit the chain in full"), "{e}");
    let e = statefile::decode(b"{\"doc\":{}}\n")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "not a commonstock audit state file");
    let e = statefile::decode(&file[..file.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("corrupt state file"), "{e}");
    let e = statefile::load(std::path::Path::new("/nonexistent/state")).unwrap_err();
    assert!(matches!(e, Error::Io(_)));
}

/// The chain of a conformance case (its data, after the header).
fn case_chain(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(format!("test-vectors/chains/{name}.case")).unwrap();
    let at = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
    bytes[at + 2..].to_vec()
}

#[test]
fn a_saved_file_resumes_across_sales_calls_draws_and_auctions() {
    // version 2 (spec chapter 14): every split of the three collateral
    // stories, so every new part of the state goes through a file
    for name in [
        "valid_collateral_default_and_sale",
        "valid_collateral_call_and_reserve",
        "valid_collateral_auction",
    ] {
        let bytes = case_chain(name);
        let n = run(&bytes, Run::default()).report.entries as usize;
        let splits: Vec<usize> = (1..=n).collect();
        resumes_to_the_full_audit(&bytes, &splits, name);
    }
}
