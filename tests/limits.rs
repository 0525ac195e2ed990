//! Limits (spec/08-limits.md; issue 8): every limit exceeded gives its own
//! rule, quickly and in bounded memory — never an allocation failure, a
//! stack overflow or a read of the whole oversized item.

mod common;

use std::io::{self, BufReader, Read};
use std::time::{Duration, Instant};

use commonstock::Rule;
use commonstock::audit::{self, Options, Report};
use commonstock::b64;
use commonstock::canonical::{self, Object, Value};
use commonstock::chain::MAX_LINE;
use commonstock::checkpoint::{Checkpoint, ForkProof};
use commonstock::document::{Document, MAX_SIGNATURES};

fn run(bytes: &[u8]) -> Report {
    audit::audit(bytes, &Options::default()).unwrap()
}

/// The one finding of an invalid report: (rule, entry).
fn finding(r: &Report) -> (Rule, Option<u64>) {
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    (r.findings[0].rule, r.findings[0].entry)
}

/// A reader of `len` copies of `byte`, then optionally a tail, produced on
/// demand: the test never holds the oversized line itself, so only the
/// verifier's own buffering shows up in memory. Counts what was read.
struct Lazy {
    byte: u8,
    len: u64,
    tail: &'static [u8],
    produced: u64,
}

impl Lazy {
    fn new(byte: u8, len: u64, tail: &'static [u8]) -> Self {
        Lazy {
            byte,
            len,
            tail,
            produced: 0,
        }
    }
}

impl Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let total = self.len + self.tail.len() as u64;
        let left = total - self.produced;
        let n = (buf.len() as u64).min(left) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            let at = self.produced + i as u64;
            *b = if at < self.len {
                self.byte
            } else {
                self.tail[(at - self.len) as usize]
            };
        }
        self.produced += n as u64;
        Ok(n)
    }
}

const BUF: usize = 64 * 1024;

/// Audits a lazily generated file; returns the report and the bytes read.
fn audit_lazy(lazy: Lazy) -> (Report, u64) {
    let mut reader = BufReader::with_capacity(BUF, lazy);
    let report = audit::audit(&mut reader, &Options::default()).unwrap();
    (report, reader.get_ref().produced)
}

#[test]
fn lim1_long_line_is_refused_at_the_limit() {
    for byte in [b'[', b'a'] {
        // 16 MiB + 1 bytes with no LF, and 4 GiB with no LF: both are
        // refused after at most the limit plus one buffer.
        for len in [MAX_LINE as u64 + 1, 4 << 30] {
            let (r, read) = audit_lazy(Lazy::new(byte, len, b""));
            assert_eq!(finding(&r), (Rule::Lim1, Some(0)), "{len} bytes of {byte}");
            assert!(
                read <= (MAX_LINE + BUF) as u64,
                "read {read} bytes for a line that is refused at {MAX_LINE}"
            );
        }
    }
}

#[test]
fn lim1_boundary_counts_the_lf() {
    // MAX_LINE − 1 bytes and LF: exactly the limit, so framing passes and
    // the content is judged (33 '[' deep: LIM-2).
    let (r, _) = audit_lazy(Lazy::new(b'[', MAX_LINE as u64 - 1, b"\n"));
    assert_eq!(finding(&r), (Rule::Lim2, Some(0)));
    // MAX_LINE bytes and LF: one over.
    let (r, _) = audit_lazy(Lazy::new(b'[', MAX_LINE as u64, b"\n"));
    assert_eq!(finding(&r), (Rule::Lim1, Some(0)));
}

#[test]
fn lim1_on_a_later_line() {
    // A sound entry, then an oversized line: LIM-1 at entry 1, after
    // entry 0 passed.
    let (b, _) = common::small_chain("Alpha", 0);
    let input = io::Cursor::new(b.to_bytes()).chain(Lazy::new(b'a', 1 << 30, b""));
    let mut reader = BufReader::with_capacity(BUF, input);
    let r = audit::audit(&mut reader, &Options::default()).unwrap();
    assert_eq!(finding(&r), (Rule::Lim1, Some(1)));
    assert_eq!(r.entries, 1);
}

fn quickly<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    // Generous for debug builds on a shared machine; the point is "linear
    // in the input, no blow-up", not a benchmark.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn lim2_a_million_brackets() {
    for open in ["[", "{\"a\":"] {
        let mut line = open.repeat(1_000_000).into_bytes();
        line.push(b'\n');
        let r = quickly("audit", || run(&line));
        assert_eq!(finding(&r), (Rule::Lim2, Some(0)), "{open}");
        let e = quickly("parse", || canonical::parse(&line).unwrap_err());
        assert_eq!(e.rule, Rule::Lim2);
        assert_eq!(e.offset, canonical::MAX_DEPTH * open.len());
        // The same input as a checkpoint or fork proof file.
        assert_eq!(Checkpoint::parse(&line).unwrap_err().rule, Rule::Lim2);
        assert_eq!(ForkProof::parse(&line).unwrap_err().rule, Rule::Lim2);
    }
}

#[test]
fn lim2_deep_inside_a_document_body() {
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let line = format!(
        "{{\"doc\":{{\"body\":{{\"x\":{body}}},\"commune\":\"{z}\"}},\"prev\":\"{z}\",\"seq\":0}}\n",
        z = "A".repeat(43)
    );
    let r = quickly("audit", || run(line.as_bytes()));
    assert_eq!(finding(&r), (Rule::Lim2, Some(0)));
}

/// A `sigs` array of `n` bogus signatures with distinct, ascending keys.
fn many_sigs(n: usize) -> Value {
    let sig = Value::from(b64::encode(&[7u8; 64]));
    Value::Array(
        (0..n as u32)
            .map(|i| {
                let mut key = [0u8; 32];
                key[..4].copy_from_slice(&i.to_be_bytes());
                let mut o = Object::new();
                o.insert("key", Value::from(b64::encode(&key)));
                o.insert("sig", sig.clone());
                Value::Object(o)
            })
            .collect(),
    )
}

#[test]
fn lim3_too_many_signatures() {
    let (b, _) = common::small_chain("Alpha", 0);
    let genesis = commonstock::chain::parse_entry(&b.lines()[0]).unwrap();
    let mut doc = match genesis.doc.to_value() {
        Value::Object(o) => o,
        _ => unreachable!(),
    };

    // At the limit the envelope is fine (the signatures themselves are
    // checked later, by the signature layer).
    doc.insert("sigs", many_sigs(MAX_SIGNATURES));
    let d = Document::from_value(&Value::Object(doc.clone())).unwrap();
    assert_eq!(d.sigs.len(), MAX_SIGNATURES);

    // One over: LIM-3, before any element is read.
    doc.insert("sigs", many_sigs(MAX_SIGNATURES + 1));
    let doc = Value::Object(doc);
    let e = Document::from_value(&doc).unwrap_err();
    assert_eq!((e.rule, e.field.as_str()), (Rule::Lim3, "sigs"));

    // Through the audit, as a chain line (about 10 MB: within LIM-1).
    let mut line = Object::new();
    line.insert("doc", doc);
    line.insert("prev", Value::from(b64::encode(&[0u8; 32])));
    line.insert("seq", Value::Int(0));
    let mut bytes = canonical::encode(&Value::Object(line));
    assert!(bytes.len() < MAX_LINE);
    bytes.push(b'\n');
    let r = quickly("audit", || run(&bytes));
    assert_eq!(finding(&r), (Rule::Lim3, Some(0)));
    assert_eq!(r.findings[0].field.as_deref(), Some("doc.sigs"));

    // And in a checkpoint.
    let mut cp = match Checkpoint::new(Default::default(), 1, Default::default()).to_value() {
        Value::Object(o) => o,
        _ => unreachable!(),
    };
    cp.insert("sigs", many_sigs(MAX_SIGNATURES + 1));
    let e = Checkpoint::from_value(&Value::Object(cp), "").unwrap_err();
    assert_eq!(e.rule, Rule::Lim3);
}

#[test]
fn enc6_huge_integer() {
    // 15 MiB of digits in a body: refused by digit count, one linear scan,
    // no big-number arithmetic.
    let digits = "9".repeat(15 << 20);
    let line = format!(
        "{{\"doc\":{{\"body\":{{\"n\":{digits}}}}},\"prev\":\"{z}\",\"seq\":0}}\n",
        z = "A".repeat(43)
    );
    let r = quickly("audit", || run(line.as_bytes()));
    assert_eq!(finding(&r), (Rule::Enc6, Some(0)));
    // The first byte of the token is where it is reported.
    let e = canonical::parse(format!("[-{digits}]").as_bytes()).unwrap_err();
    assert_eq!((e.rule, e.offset), (Rule::Enc6, 1));
    // One past the range either way; and a leading zero is a grammar error
    // (ENC-3) before any range check.
    assert_eq!(
        canonical::parse(b"9007199254740992").unwrap_err().rule,
        Rule::Enc6
    );
    assert_eq!(
        canonical::parse(b"-9007199254740992").unwrap_err().rule,
        Rule::Enc6
    );
    assert_eq!(
        canonical::parse(b"00000000000000001").unwrap_err().rule,
        Rule::Enc3
    );
}

#[test]
fn every_truncation_of_a_sound_chain() {
    // Entries with one and with two signatures.
    let (b, _) = common::small_chain("Alpha", 3);
    let bytes = b.to_bytes();
    let mut boundaries = vec![0usize];
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'\n' {
            boundaries.push(i + 1);
        }
    }
    for cut in 0..=bytes.len() {
        let r = run(&bytes[..cut]);
        let whole = boundaries.iter().position(|&p| p == cut);
        match (cut, whole) {
            // The empty file has no entry.
            (0, _) => assert_eq!(finding(&r), (Rule::Chn8, None)),
            // A prefix of whole lines is itself a sound chain.
            (_, Some(n)) => {
                assert!(r.is_valid(), "prefix of {n} lines: {:?}", r.findings);
                assert_eq!(r.entries, n as u64);
                assert_eq!(r.head.map(|h| h.to_b64()), {
                    let last = &b.lines()[n - 1];
                    Some(commonstock::hash::entry(last).to_b64())
                });
            }
            // Cut inside a line: that line lacks its LF (ENC-2); the lines
            // before it all passed.
            (_, None) => {
                let complete = boundaries.iter().filter(|&&p| p < cut).count() as u64 - 1;
                assert_eq!(finding(&r), (Rule::Enc2, Some(complete)), "cut at {cut}");
                assert_eq!(r.entries, complete);
            }
        }
    }
}
