//! The audit at scale: the pipelined audit gives a sequential auditor's
//! verdict whatever the thread count; an incremental audit equals the full
//! one; batches that all fail still give each item its single verdict.

use commonstock::audit::{self, Options, Report, Run};
use commonstock::chain::{Builder, LineReader};
use commonstock::rule::Rule;
use commonstock::simulate::{self, Params};
use commonstock::{dividend, statement};

fn chain() -> Vec<u8> {
    let c = simulate::generate(&Params::scaled(40, 14, 2, 7));
    c.builder().to_bytes()
}

fn run(bytes: &[u8], run: Run) -> audit::Outcome {
    audit::run(bytes, &Options::default(), run).unwrap()
}

/// Everything an audit decides: the report and the final state's statement
/// and dividend table.
fn decided(o: &audit::Outcome) -> (Report, Vec<u8>, Vec<u8>) {
    (
        o.report.clone(),
        commonstock::canonical::encode(&statement::to_value(&o.state)),
        commonstock::canonical::encode(&dividend::table_value(&o.state)),
    )
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

#[test]
fn simulated_chain_is_clean_and_thread_count_does_not_matter() {
    let bytes = chain();
    let one = run(
        &bytes,
        Run {
            threads: 1,
            ..Run::default()
        },
    );
    assert!(one.report.is_valid(), "{:?}", one.report.findings);
    assert!(one.report.entries > 500);
    for threads in [2, 3, 8] {
        let many = run(
            &bytes,
            Run {
                threads,
                ..Run::default()
            },
        );
        assert_eq!(decided(&one), decided(&many));
    }
}

#[test]
fn incremental_audit_equals_full_audit() {
    for bytes in [chain(), std::fs::read("examples/commune.jsonl").unwrap()] {
        let full = run(&bytes, Run::default());
        let n = full.report.entries as usize;
        for split in [1, 2, n / 3, n / 2, n - 1, n] {
            let first = run(
                prefix(&bytes, split),
                Run {
                    save: true,
                    ..Run::default()
                },
            );
            let saved = first.saved.expect("a sound prefix is saved");
            let rest = run(
                &bytes,
                Run {
                    resume: Some(saved),
                    save: true,
                    ..Run::default()
                },
            );
            assert_eq!(decided(&full), decided(&rest), "split at {split}");
        }
    }
}

#[test]
fn resume_refuses_a_chain_that_does_not_extend_the_saved_state() {
    let bytes = chain();
    let saved = run(
        prefix(&bytes, 10),
        Run {
            save: true,
            ..Run::default()
        },
    )
    .saved
    .unwrap();
    // another chain: its prefix is not the one audited
    let other = simulate::generate(&Params::scaled(40, 14, 2, 8))
        .builder()
        .to_bytes();
    let r = audit::run(
        &other[..],
        &Options::default(),
        Run {
            resume: Some(saved.clone()),
            ..Run::default()
        },
    );
    assert_eq!(r.err().unwrap().kind(), std::io::ErrorKind::InvalidData);
    // a chain shorter than the saved prefix
    let r = audit::run(
        prefix(&bytes, 5),
        &Options::default(),
        Run {
            resume: Some(saved),
            ..Run::default()
        },
    );
    assert_eq!(r.err().unwrap().kind(), std::io::ErrorKind::InvalidData);
}

/// Lines of `bytes` with the signature of entry `i` broken for every `i`
/// in `bad`, relinked so that only the signatures are wrong.
fn with_bad_signatures(bytes: &[u8], bad: &[usize]) -> Vec<u8> {
    let mut b = Builder::new();
    let mut reader = LineReader::new(bytes);
    let mut i = 0;
    while let Some(Ok((_, line))) = reader.next_line() {
        let mut e = commonstock::chain::parse_entry(line).unwrap();
        if bad.contains(&i) {
            e.doc.sigs[0].sig[40] ^= 1;
        }
        b.push(&e.doc);
        i += 1;
    }
    b.to_bytes()
}

#[test]
fn every_batch_failing_gives_the_first_bad_signature() {
    let bytes = chain();
    let n = run(&bytes, Run::default()).report.entries as usize;
    // one bad signature in every stretch of 37 entries, and all bad
    let every: Vec<usize> = (5..n).step_by(37).collect();
    let all: Vec<usize> = (0..n).collect();
    for bad in [every, all] {
        let broken = with_bad_signatures(&bytes, &bad);
        for threads in [1, 2, 4] {
            let r = run(
                &broken,
                Run {
                    threads,
                    ..Run::default()
                },
            )
            .report;
            let last = r.findings.last().unwrap();
            assert_eq!(last.rule, Rule::Sig6);
            assert_eq!(last.entry, Some(bad[0] as u64));
            assert_eq!(last.field.as_deref(), Some("doc.sigs[0]"));
            assert_eq!(r.entries, bad[0] as u64);
            assert!(r.findings.iter().all(|f| f.entry <= Some(bad[0] as u64)));
        }
    }
}

#[test]
fn a_bad_signature_before_a_broken_link_wins() {
    let bytes = chain();
    let mut broken = with_bad_signatures(&bytes, &[300]);
    // break the link of a later entry: change a byte of line 400's prev
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            broken
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line = &broken[starts[400]..starts[401] - 1];
    let at = starts[400] + line.windows(8).position(|w| w == b"\"prev\":\"").unwrap() + 10;
    broken[at] = if broken[at] == b'A' { b'B' } else { b'A' };
    for threads in [1, 2] {
        let r = run(
            &broken,
            Run {
                threads,
                ..Run::default()
            },
        )
        .report;
        let last = r.findings.last().unwrap();
        assert_eq!((last.rule, last.entry), (Rule::Sig6, Some(300)));
    }
}
