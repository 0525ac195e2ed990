//! The conformance suite: test vectors every implementation of the protocol
//! can run without reading this crate, their deterministic generator, and
//! the runner that puts any implementation through them
//! (spec/conformance.md, test-vectors/README.md).
//!
//! # What is in the suite
//!
//! - **Chain cases** (`test-vectors/chains/*.case`): one case per file, in
//!   the manner of the age test kit (C2SP/CCTV). A short text header says
//!   what a conforming auditor must conclude (`expect: valid|invalid`, the
//!   first error's `rule` and `entry`, the rules the case `covers`,
//!   `checkpoint:`s to audit against, `comment:`s), then one empty line,
//!   then the chain file's exact bytes. The data is raw bytes, so a case can
//!   hold a byte order mark, a CR, a missing final LF or invalid UTF-8.
//!   Cases too large to commit (a 16 MiB line, 65,537 signatures) carry an
//!   `expand:` header that says which bytes to repeat where; see
//!   [`Expand`].
//! - **Tables** (`test-vectors/tables/*.json`) for the layers below the
//!   chain, where a whole chain would be a clumsy carrier: canonical JSON,
//!   hashing, Ed25519 under the pinned rule set, the document envelope,
//!   checkpoints and fork proofs. Every row names the rules it `covers`.
//! - **The manifest** (`test-vectors/manifest.json`): every case and every
//!   table row, with its layer and the rules it covers.
//!
//! # Coverage
//!
//! Every rule of [`Rule::ALL`] must have at least one *passing* item (a
//! valid case, or an accepting table row, in which the rule is checked and
//! holds) and one *failing* item (a case or row whose expected first error
//! is that rule). `tests/conformance.rs` fails the build when a rule has
//! neither; adding a rule to [`Rule::ALL`] therefore fails the build until
//! the generator below gets cases for it.
//!
//! # Adding cases
//!
//! The generator ([`generate`]) is a small DSL over the library. A
//! [`Fixture`] is a sound commune chain built from fixed seeds and fixed
//! dates; a case starts from it and breaks one thing:
//!
//! ```ignore
//! let f = Fixture::new();
//! let mut lines = f.lines();
//! edit_entry(&mut lines[4], |e| { e.insert("prev", Value::from(Hash::ZERO.to_b64())); });
//! g.invalid(Rule::Chn3, "wrong_prev", Some(4), "entry 4's prev is not entry 3's hash", join(&lines));
//! ```
//!
//! [`Gen::valid`] and [`Gen::invalid`] name the case after its rule
//! (`CHN-3_wrong_prev`), and return it for optional
//! [`Case::checkpoint`]/[`Case::comment`] calls. The expectation is stated by
//! the case's author, never computed by the audit; the test suite then
//! checks that the library agrees, which is what makes the suite a test of
//! the library as well as of other implementations.
//!
//! Everything is deterministic: keys come from `SecretKey::from_seed`, dates
//! are literals, Ed25519 signing is deterministic, objects are kept in
//! canonical order and nothing iterates a hash map, so [`generate`] returns
//! the same bytes on every run and every platform; the test suite compares
//! them with the committed files.
//!
//! # The runner
//!
//! [`run`] puts an implementation through every chain case via the adapter
//! contract of spec/conformance.md: for each case it writes the chain (and
//! the checkpoints) to a fresh directory under the system temporary
//! directory, runs `sh -c 'CMD "$@"' conformance [--checkpoint FILE]...
//! CHAIN`, reads one audit report (spec 9.3, schema
//! `commonstock-audit-v1`) from standard output, and compares the validity,
//! the first finding's rule and its entry with the case's header. Exit
//! status 0 or 1 is accepted; any other status, a report it cannot read, or
//! no answer within [`TIMEOUT`] fails the case. The timeout is the only
//! place a clock enters, and only for adapters that hang.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use crate::protocol::b64;
use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::checkpoint::{Checkpoint, ForkProof};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind, Signature};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::protocol::sig::{self, SecretKey};
use crate::{audit, commune};

/// The version of the runner's `--json` report.
pub const REPORT_SCHEMA: &str = "commonstock-conformance-v1";
/// The version of `manifest.json`.
pub const MANIFEST_SCHEMA: &str = "commonstock-conformance-manifest-v1";
/// How long an adapter may take on one case.
pub const TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Hex

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Decodes hexadecimal (either case); `None` if malformed.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

mod dividend_cases;

// ---------------------------------------------------------------------------
// The case model

/// What an auditor must conclude about a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Valid,
    /// The first finding: its rule id and entry (`None` for CHN-8 and
    /// checkpoint findings).
    Invalid {
        rule: String,
        entry: Option<u64>,
    },
}

impl Expect {
    fn describe(&self) -> String {
        match self {
            Expect::Valid => "valid".into(),
            Expect::Invalid { rule, entry } => match entry {
                Some(e) => format!("{rule} at entry {e}"),
                None => format!("{rule} at entry none"),
            },
        }
    }
}

/// A run of repeated bytes inserted into a case's data: the chain file is
/// `data[..offset] ‖ unit × count ‖ data[offset..]`. Header line:
/// `expand: <offset> <count> <unit as hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expand {
    pub offset: usize,
    pub count: usize,
    pub unit: Vec<u8>,
}

/// One chain case: a header and the chain file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The file name without `.case`, e.g. `CHN-3_wrong_prev`.
    pub name: String,
    pub expect: Expect,
    /// Rule ids the case exercises: for a valid case the rules it passes
    /// meaningfully, for an invalid one the rule it breaks.
    pub covers: Vec<String>,
    /// Canonical checkpoint lines (no LF), audited in order.
    pub checkpoints: Vec<Vec<u8>>,
    pub expand: Option<Expand>,
    pub comments: Vec<String>,
    /// The expected dividend table: the canonical JSON of the report's
    /// `dividends` member (spec 9.3), for cases that close periods.
    pub dividends: Option<Vec<u8>>,
    /// The chain file's bytes (before [`Expand`]).
    pub data: Vec<u8>,
}

/// The layer a rule id belongs to, from its area.
pub fn layer_of(rule: &str) -> &'static str {
    match rule.split('-').next().unwrap_or("") {
        "ENC" => "encoding",
        "SIG" => "signatures",
        "DOC" => "documents",
        "CHN" => "chain",
        "CKP" => "checkpoints",
        "FRK" => "fork-proofs",
        "LIM" => "limits",
        "COM" => "commune",
        "AUT" => "authority",
        "MEM" => "membership",
        "REF" => "references",
        "SCH" => "schedules",
        "PAY" | "BAL" => "balances",
        "DIV" => "dividends",
        _ => "unknown",
    }
}

impl Case {
    /// The layer: that of the broken rule, `chain` for valid cases.
    pub fn layer(&self) -> &'static str {
        match &self.expect {
            Expect::Valid => "chain",
            Expect::Invalid { rule, .. } => layer_of(rule),
        }
    }

    /// Adds a checkpoint to audit the chain against.
    pub fn checkpoint(&mut self, cp: &Checkpoint) -> &mut Self {
        self.checkpoints.push(canonical::encode(&cp.to_value()));
        self
    }

    /// Adds a comment line.
    pub fn comment(&mut self, c: &str) -> &mut Self {
        self.comments.push(c.to_string());
        self
    }

    /// Adds rule ids to `covers`.
    pub fn also_covers(&mut self, rules: &[Rule]) -> &mut Self {
        for r in rules {
            let c = r.code().to_string();
            if !self.covers.contains(&c) {
                self.covers.push(c);
            }
        }
        self
    }

    /// The chain file: the data with its [`Expand`] applied.
    pub fn chain(&self) -> Vec<u8> {
        match &self.expand {
            None => self.data.clone(),
            Some(x) => {
                let mut out = Vec::with_capacity(self.data.len() + x.count * x.unit.len());
                out.extend_from_slice(&self.data[..x.offset]);
                for _ in 0..x.count {
                    out.extend_from_slice(&x.unit);
                }
                out.extend_from_slice(&self.data[x.offset..]);
                out
            }
        }
    }

    /// The case file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut h = String::new();
        match &self.expect {
            Expect::Valid => h.push_str("expect: valid\n"),
            Expect::Invalid { rule, entry } => {
                h.push_str("expect: invalid\n");
                let _ = writeln!(h, "rule: {rule}");
                match entry {
                    Some(e) => {
                        let _ = writeln!(h, "entry: {e}");
                    }
                    None => h.push_str("entry: none\n"),
                }
            }
        }
        let _ = writeln!(h, "covers: {}", self.covers.join(" "));
        for cp in &self.checkpoints {
            let _ = writeln!(h, "checkpoint: {}", String::from_utf8_lossy(cp));
        }
        if let Some(x) = &self.expand {
            let _ = writeln!(h, "expand: {} {} {}", x.offset, x.count, hex(&x.unit));
        }
        if let Some(d) = &self.dividends {
            let _ = writeln!(h, "dividends: {}", String::from_utf8_lossy(d));
        }
        for c in &self.comments {
            let _ = writeln!(h, "comment: {c}");
        }
        h.push('\n');
        let mut out = h.into_bytes();
        out.extend_from_slice(&self.data);
        out
    }

    /// Reads a case file. Unknown header keys are ignored.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Case, String> {
        let end = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or("no empty line ends the header")?;
        let header = std::str::from_utf8(&bytes[..end]).map_err(|_| "the header is not UTF-8")?;
        let data = bytes[end + 2..].to_vec();
        let (mut expect, mut rule, mut entry) = (None, None, None);
        let mut case = Case {
            name: name.to_string(),
            expect: Expect::Valid,
            covers: Vec::new(),
            checkpoints: Vec::new(),
            expand: None,
            comments: Vec::new(),
            dividends: None,
            data,
        };
        for line in header.split('\n') {
            let (k, v) = line
                .split_once(": ")
                .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
                .ok_or_else(|| format!("header line {line:?} is not `key: value`"))?;
            match k {
                "expect" => expect = Some(v.to_string()),
                "rule" => rule = Some(v.to_string()),
                "entry" => entry = Some(v.to_string()),
                "covers" => case.covers = v.split_whitespace().map(str::to_string).collect(),
                "checkpoint" => case.checkpoints.push(v.as_bytes().to_vec()),
                "comment" => case.comments.push(v.to_string()),
                "dividends" => case.dividends = Some(v.as_bytes().to_vec()),
                "expand" => {
                    let p: Vec<&str> = v.split(' ').collect();
                    let bad = || format!("bad expand header {v:?}");
                    if p.len() != 3 {
                        return Err(bad());
                    }
                    let x = Expand {
                        offset: p[0].parse().map_err(|_| bad())?,
                        count: p[1].parse().map_err(|_| bad())?,
                        unit: unhex(p[2]).ok_or_else(bad)?,
                    };
                    if x.offset > case.data.len() {
                        return Err(bad());
                    }
                    case.expand = Some(x);
                }
                _ => {} // unknown keys are ignored
            }
        }
        case.expect = match expect.as_deref() {
            Some("valid") => Expect::Valid,
            Some("invalid") => {
                let rule = rule.ok_or("an invalid case needs `rule:`")?;
                let entry = match entry.as_deref() {
                    Some("none") => None,
                    Some(e) => Some(e.parse().map_err(|_| format!("bad entry {e:?}"))?),
                    None => return Err("an invalid case needs `entry:`".into()),
                };
                Expect::Invalid { rule, entry }
            }
            other => return Err(format!("bad or missing expect: {other:?}")),
        };
        Ok(case)
    }
}

// ---------------------------------------------------------------------------
// The generator DSL

/// Collects cases; names them after the rule they break.
#[derive(Default)]
pub struct Gen {
    pub cases: Vec<Case>,
}

impl Gen {
    /// A valid case named `valid_<short>` covering `covers`.
    pub fn valid(
        &mut self,
        short: &str,
        covers: &[Rule],
        comment: &str,
        data: Vec<u8>,
    ) -> &mut Case {
        self.push(Case {
            name: format!("valid_{short}"),
            expect: Expect::Valid,
            covers: covers.iter().map(|r| r.code().to_string()).collect(),
            checkpoints: Vec::new(),
            expand: None,
            comments: vec![comment.to_string()],
            dividends: None,
            data,
        })
    }

    /// An invalid case named `<RULE>_<short>` whose first error is `rule` at
    /// `entry`.
    pub fn invalid(
        &mut self,
        rule: Rule,
        short: &str,
        entry: Option<u64>,
        comment: &str,
        data: Vec<u8>,
    ) -> &mut Case {
        self.push(Case {
            name: format!("{}_{short}", rule.code()),
            expect: Expect::Invalid {
                rule: rule.code().to_string(),
                entry,
            },
            covers: vec![rule.code().to_string()],
            checkpoints: Vec::new(),
            expand: None,
            comments: vec![comment.to_string()],
            dividends: None,
            data,
        })
    }

    /// An invalid case: the fixture with line `at` edited; the first error
    /// is `rule` at entry `at`.
    pub fn broken(
        &mut self,
        f: &Fixture,
        rule: Rule,
        short: &str,
        at: usize,
        comment: &str,
        edit: &dyn Fn(&mut Vec<u8>),
    ) -> &mut Case {
        let mut lines = f.lines();
        edit(&mut lines[at]);
        self.invalid(rule, short, Some(at as u64), comment, join(&lines))
    }

    fn push(&mut self, c: Case) -> &mut Case {
        assert!(
            self.cases.iter().all(|x| x.name != c.name),
            "two cases named {}",
            c.name
        );
        self.cases.push(c);
        self.cases.last_mut().expect("just pushed")
    }
}

/// A key from a fixed seed: `SecretKey::from_seed([n; 32])`.
pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn date(s: &str) -> Date {
    Date::parse(s).expect("fixture dates are valid")
}

/// An object from members.
pub fn obj(members: &[(&str, Value)]) -> Object {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(*k, v.clone());
    }
    o
}

/// A document signed by `signers`.
pub fn signed(
    commune: Hash,
    kind: Kind,
    d: &str,
    body: Object,
    signers: &[&SecretKey],
) -> Document {
    let mut doc = Document::new(commune, kind, date(d), body);
    for k in signers {
        doc.sign(k).expect("distinct signers");
    }
    doc
}

/// The thresholds of every commune of the suite: a strict majority for most
/// decisions (5,001 bps), two thirds for amendments, expulsions and key
/// recoveries (6,667 bps).
pub fn thresholds() -> Object {
    crate::commune::thresholds_value(5_001, 6_667)
}

/// The bylaws every charter of the suite names (by their text hash).
pub const BYLAWS: &str = "Bylaws of a conformance commune.\n";

/// The text hash of `text` (spec 3.1), base64url.
pub fn text_hash(text: &str) -> Value {
    Value::from(hash::text(text.as_bytes()).to_b64())
}

/// A key as the bodies spell it.
pub fn pk(k: &SecretKey) -> Value {
    Value::from(b64::encode(&k.public_key()))
}

/// A charter body (spec 10.3.1) for `founders`, whose member ids are `f1`,
/// `f2`, …; the first two founders (or the only one) are the treasurers.
/// Currency EUR with exponent 2, bonds transferable, reserve 10 %.
pub fn charter_body(name: &str, founders: &[&SecretKey]) -> Object {
    let list = founders
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Value::Object(obj(&[
                ("key", pk(k)),
                ("member", Value::from(format!("f{}", i + 1))),
            ]))
        })
        .collect();
    let treasurers = (1..=founders.len().min(2))
        .map(|i| Value::from(format!("f{i}")))
        .collect();
    obj(&[
        ("bonds_transferable", Value::Bool(true)),
        ("bylaws", text_hash(BYLAWS)),
        (
            "currency",
            Value::Object(obj(&[
                ("code", Value::from("EUR")),
                ("exponent", Value::Int(2)),
            ])),
        ),
        ("founders", Value::Array(list)),
        ("name", Value::from(name)),
        ("reserve_bps", Value::Int(1_000)),
        ("thresholds", Value::Object(thresholds())),
        ("treasurers", Value::Array(treasurers)),
    ])
}

/// A payment body (spec 10.3.13).
pub fn payment(id: &str, purpose: &str, amount: i64, reference: Object) -> Object {
    obj(&[
        ("amount", Value::Int(amount)),
        ("id", Value::from(id)),
        ("purpose", Value::from(purpose)),
        ("ref", Value::Object(reference)),
    ])
}

/// An `income` payment body: money in, from `source`.
pub fn income(id: &str, amount: i64, source: &str) -> Object {
    payment(
        id,
        "income",
        amount,
        obj(&[("source", Value::from(source))]),
    )
}

/// The sound chain every integrity case starts from: the commune
/// "Fonderie Café ☕" founded by keys 1, 2 and 3 (members `f1`, `f2`, `f3`;
/// treasurers `f1` and `f2`), five entries, valid under the commune rules
/// too. It has several signers, non-ASCII text, two entries on one date,
/// 2024-02-29, the largest integer and escapes in a string.
#[derive(Clone)]
pub struct Fixture {
    pub commune: Hash,
    pub docs: Vec<Document>,
    pub builder: Builder,
}

impl Fixture {
    /// The commune "Fonderie Café ☕" and its first five entries.
    pub fn new() -> Self {
        Self::named("Fonderie Café ☕")
    }

    /// The same history for a commune of another name (another commune id):
    ///
    /// 0. the charter (2024-02-29), signed by the three founders;
    /// 1. the admission of key 4 as `zoe` (2024-03-01), signed by `f1` and
    ///    `f2` (2 of 3 members at 5,001 bps) and by key 4;
    /// 2. income `p1` of 1,250 from "Zoë: lathe hire, March" (2024-03-01),
    ///    signed by treasurer `f1` and by `zoe` as a witness;
    /// 3. income `p2` of 9,007,199,254,740,991 (2024-12-31), by `f1`;
    /// 4. income `p3` of 1 whose source holds a quote, a backslash and a tab
    ///    (2025-01-01), signed by treasurer `f2` and by `f3` as a witness.
    pub fn named(name: &str) -> Self {
        let (k1, k2, k3, k4) = (key(1), key(2), key(3), key(4));
        let body = charter_body(name, &[&k1, &k2, &k3]);
        let commune = chain::commune_id(&body);
        let docs = vec![
            signed(commune, Kind::Charter, "2024-02-29", body, &[&k1, &k2, &k3]),
            signed(
                commune,
                Kind::Admission,
                "2024-03-01",
                obj(&[("key", pk(&k4)), ("member", Value::from("zoe"))]),
                &[&k1, &k2, &k4],
            ),
            signed(
                commune,
                Kind::Payment,
                "2024-03-01",
                income("p1", 1250, "Zoë: lathe hire, March"),
                &[&k1, &k4],
            ),
            signed(
                commune,
                Kind::Payment,
                "2024-12-31",
                income("p2", 9_007_199_254_740_991, "largest integer"),
                &[&k1],
            ),
            signed(
                commune,
                Kind::Payment,
                "2025-01-01",
                income("p3", 1, "quote \" backslash \\ tab \t end"),
                &[&k2, &k3],
            ),
        ];
        Self::of(commune, docs)
    }

    /// A fixture holding `docs`.
    pub fn of(commune: Hash, docs: Vec<Document>) -> Self {
        let mut builder = Builder::new();
        for d in &docs {
            builder.push(d);
        }
        Fixture {
            commune,
            docs,
            builder,
        }
    }

    /// The first `n` entries.
    pub fn prefix(&self, n: usize) -> Self {
        Self::of(self.commune, self.docs[..n].to_vec())
    }

    /// Appends a document signed by `signers`.
    pub fn push(&mut self, kind: Kind, d: &str, body: Object, signers: &[&SecretKey]) {
        let doc = signed(self.commune, kind, d, body, signers);
        self.builder.push(&doc);
        self.docs.push(doc);
    }

    /// The chain with `docs` appended.
    pub fn with_all(&self, docs: &[Document]) -> Vec<u8> {
        let mut b = self.builder.clone();
        for d in docs {
            b.push(d);
        }
        b.to_bytes()
    }

    /// The entry lines, without LF.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.builder.lines().to_vec()
    }

    /// The chain file.
    pub fn bytes(&self) -> Vec<u8> {
        self.builder.to_bytes()
    }

    /// The chain with `doc` appended (entry 5 for the fixture itself).
    pub fn with(&self, doc: &Document) -> Vec<u8> {
        let mut b = self.builder.clone();
        b.push(doc);
        b.to_bytes()
    }

    /// A checkpoint of the first `size` entries signed by `signers`.
    pub fn checkpoint(&self, size: usize, signers: &[&SecretKey]) -> Checkpoint {
        let head = hash::entry(&self.builder.lines()[size - 1]);
        let mut cp = Checkpoint::new(self.commune, size as u64, head);
        for k in signers {
            cp.sign(k).expect("distinct cosigners");
        }
        cp
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Lines joined, each followed by LF.
pub fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// Re-encodes a line after changing its entry object.
pub fn edit_entry(line: &mut Vec<u8>, f: impl FnOnce(&mut Object)) {
    let mut v = canonical::parse(line).expect("fixture lines parse");
    let Value::Object(o) = &mut v else {
        unreachable!("entries are objects")
    };
    f(o);
    *line = canonical::encode(&v);
}

/// Re-encodes a line after changing its document object.
pub fn edit_doc(line: &mut Vec<u8>, f: impl FnOnce(&mut Object)) {
    edit_entry(line, |e| {
        let Some(Value::Object(mut d)) = e.remove("doc") else {
            unreachable!("entries hold a document")
        };
        f(&mut d);
        e.insert("doc", Value::Object(d));
    });
}

/// Replaces the first occurrence of `from` in a line's bytes.
pub fn replace(line: &mut Vec<u8>, from: &[u8], to: &[u8]) {
    let i = line
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not in line", String::from_utf8_lossy(from)));
    line.splice(i..i + from.len(), to.iter().copied());
}

/// A 32-byte string from hex (for the fixed encodings of spec chapter 4).
fn h32(s: &str) -> [u8; 32] {
    unhex(s)
        .and_then(|v| v.try_into().ok())
        .expect("32 bytes of hex")
}

/// y = p: not a canonical encoding (SIG-1).
pub const Y_EQUALS_P: &str = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/// y = p + 3 with the sign bit clear: decodes leniently to a point of large
/// order, not canonical (SIG-1).
pub const Y_P_PLUS_3: &str = "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/// "x = −0", y = 1 (SIG-1).
pub const X_NEG_ZERO: &str = "0100000000000000000000000000000000000000000000000000000000000080";
/// The identity, order 1 (SIG-2/SIG-4).
pub const IDENTITY: &str = "0100000000000000000000000000000000000000000000000000000000000000";
/// A point of order 8 (SIG-2/SIG-4).
pub const ORDER_8: &str = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";
/// The group order L, little-endian.
pub const GROUP_ORDER: &str = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/// The smallest y (as a little-endian 32-byte string, sign bit clear) that
/// is not on the curve: a canonical-range encoding that fails SIG-1.
pub fn off_curve() -> [u8; 32] {
    (2u8..=255)
        .map(|y| {
            let mut e = [0u8; 32];
            e[0] = y;
            e
        })
        .find(|e| sig::check_key(e) == Err(sig::Error::NonCanonicalKey))
        .expect("half of all y are off the curve")
}

/// `sig` with S replaced by S + L: the classic malleated signature (SIG-5).
pub fn add_l_to_s(s: &[u8; 64]) -> [u8; 64] {
    let l = h32(GROUP_ORDER);
    let mut out = *s;
    let mut carry = 0u16;
    for i in 0..32 {
        let t = u16::from(s[32 + i]) + u16::from(l[i]) + carry;
        out[32 + i] = t as u8;
        carry = t >> 8;
    }
    out
}

/// A signature by `key` on `msg` whose R has a component of order 8: valid
/// under the cofactored equation of SIG-6, refused by the cofactorless one.
/// R = [r]B + T8, k = SHA-512(R ‖ A ‖ M), S = r + k·a (mod L).
pub fn torsioned_signature(key: &SecretKey, msg: &[u8]) -> [u8; 64] {
    let expanded = Sha512::digest(key.seed());
    let mut a_bytes = [0u8; 32];
    a_bytes.copy_from_slice(&expanded[..32]);
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let r = Scalar::from_hash(
        Sha512::new()
            .chain_update(b"commonstock conformance nonce")
            .chain_update(msg),
    );
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(key.public_key())
            .chain_update(msg),
    );
    let s = r + k * a;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(big_r.as_bytes());
    out[32..].copy_from_slice(s.as_bytes());
    out
}

/// Every chain case of the suite.
pub fn chain_cases() -> Vec<Case> {
    let mut g = Gen::default();
    let f = Fixture::new();
    let (k1, k2, k3, k4) = (key(1), key(2), key(3), key(4));
    let c = f.commune;
    // the integrity rules every entry of a valid chain passes
    let all_integrity: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| {
            r.section() != "10-commune.md"
                && r.section() != "11-dividends.md"
                && !matches!(
                    r.code(),
                    "CHN-8" | "CKP-1" | "CKP-2" | "CKP-3" | "FRK-1" | "FRK-2"
                )
        })
        .collect();
    let mut small_covers = all_integrity.clone();
    small_covers.extend([
        Rule::Com1,
        Rule::Com2,
        Rule::Com3,
        Rule::Com4,
        Rule::Aut1,
        Rule::Aut2,
        Rule::Aut3,
        Rule::Aut4,
        Rule::Mem1,
        Rule::Ref1,
        Rule::Ref2,
    ]);

    // --- valid chains
    g.valid(
        "small_commune",
        &small_covers,
        "A charter signed by its three founders (f1, f2, f3; treasurers f1 and f2), the \
         admission of key 4 as zoe signed by two of the three members and by key 4, three \
         income payments signed by a treasurer (two of them with a second, non-treasurer \
         witness). Non-ASCII and escaped characters, the largest integer, 2024-02-29, two \
         entries on one date.",
        f.bytes(),
    );
    let one = {
        let mut b = Builder::new();
        b.push(&f.docs[0]);
        b.to_bytes()
    };
    g.valid(
        "charter_only",
        &[Rule::Chn3, Rule::Chn4, Rule::Chn5, Rule::Chn8, Rule::Aut1],
        "The shortest valid chain: the charter alone.",
        one,
    );
    g.valid(
        "with_checkpoints",
        &[Rule::Ckp1, Rule::Ckp2, Rule::Ckp3],
        "The small commune audited against two checkpoints it agrees with: size 3 cosigned by \
         keys 1 and 4, size 5 (the head) by key 2.",
        f.bytes(),
    )
    .checkpoint(&f.checkpoint(3, &[&k1, &k4]))
    .checkpoint(&f.checkpoint(5, &[&k2]));
    {
        let mut d = Document::new(
            c,
            Kind::Payment,
            date("2025-01-01"),
            income("p4", 7, "torsion"),
        );
        let msg = d.signing_message();
        d.add_signature(Signature {
            key: k2.public_key(),
            sig: torsioned_signature(&k2, &msg),
        })
        .expect("one signature");
        g.valid(
            "torsioned_r",
            &[Rule::Sig3, Rule::Sig4, Rule::Sig5, Rule::Sig6],
            "Entry 5 (income signed by treasurer f2) has a signature whose R has a small-order component (R = [r]B + T, T of order \
             8). The cofactored equation of SIG-6 accepts it; a cofactorless verifier (RFC 8032's \
             alternative, most libraries' default) wrongly rejects it.",
            f.with(&d),
        );
    }
    {
        // depth: entry 1, doc 2, body 3, then 29 arrays: the innermost is 32
        let mut v = Value::Array(Vec::new());
        for _ in 0..28 {
            v = Value::Array(vec![v]);
        }
        let d = signed(c, Kind::Payment, "2025-01-01", obj(&[("deep", v)]), &[&k1]);
        g.invalid(
            Rule::Com1,
            "depth_32",
            Some(5),
            "Entry 5 nests 32 deep (entry, doc, body and 29 arrays): the deepest LIM-2 allows, so \
             the integrity layers accept it. No commune body nests that deep, so the payment's \
             body has an unknown member `deep`: COM-1 (a commune finding, after integrity). \
             Formerly valid_depth_32; canonical.json's depth_32 row is LIM-2's passing item.",
            f.with(&d),
        );
    }
    // --- LIM-1: a one-entry chain whose line is exactly 16 MiB with its LF
    {
        let pad = chain::MAX_LINE; // adjusted below
        let (data, offset, n) = big_charter(pad);
        let mut case = g
            .invalid(
                Rule::Com1,
                "max_line",
                Some(0),
                "One entry whose line is exactly 16,777,216 bytes, LF included: the longest LIM-1 \
                 allows, so the integrity layers accept it. The charter body's `pad` member (the \
                 expanded run) is not a charter member: COM-1 at entry 0, the only finding (a void \
                 charter ends the commune rules). Formerly valid_max_line: no commune body can \
                 hold 16 MiB of repeated bytes.",
                data,
            )
            .clone();
        case.expand = Some(Expand {
            offset,
            count: n,
            unit: b"a".to_vec(),
        });
        *g.cases.last_mut().expect("pushed") = case;
        let (data, offset, n) = big_charter(pad + 1);
        g.invalid(
            Rule::Lim1,
            "line_too_long",
            Some(0),
            "The same entry with one more byte of padding: 16,777,217 bytes with its LF. \
             LIM-1 is reported before anything else about the line is looked at.",
            data,
        )
        .expand = Some(Expand {
            offset,
            count: n,
            unit: b"a".to_vec(),
        });
    }

    // --- ENC: framing and the JSON profile
    let good = f.bytes();
    {
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&good);
        g.invalid(
            Rule::Enc2,
            "bom",
            Some(0),
            "The file starts with a UTF-8 byte order mark.",
            bom,
        );
        let crlf = replace_first(&good, b"\n", b"\r\n");
        g.invalid(Rule::Enc2, "crlf", Some(0), "Line 1 ends with CR LF.", crlf);
        let mut lines = f.lines();
        lines.insert(2, Vec::new());
        g.invalid(
            Rule::Enc2,
            "empty_line",
            Some(2),
            "An empty line between entries 1 and 2.",
            join(&lines),
        );
        g.invalid(
            Rule::Enc2,
            "no_final_lf",
            Some(4),
            "The last line does not end with LF.",
            good[..good.len() - 1].to_vec(),
        );
    }
    g.broken(
        &f,
        Rule::Enc1,
        "invalid_byte",
        2,
        "A 0xFF byte inside a string of entry 2.",
        &|l| replace(l, b"lathe", b"l\xFFthe"),
    );
    g.broken(
        &f,
        Rule::Enc1,
        "encoded_surrogate",
        3,
        "UTF-8-encoded surrogate U+D800 (ED A0 80) in a string: not UTF-8.",
        &|l| replace(l, b"largest", b"\xED\xA0\x80largest"),
    );
    g.broken(
        &f,
        Rule::Enc1,
        "overlong",
        1,
        "An overlong two-byte encoding of '/' (C0 AF) in the member id. ENC-1 is checked over \
         the whole line before parsing, so it wins over the grammar error earlier in the line.",
        &|l| {
            replace(l, b"{\"doc\"", b"{\"doc\"]");
            replace(l, b"\"zoe\"", b"\"zoe\xC0\xAF\"");
        },
    );
    g.broken(
        &f,
        Rule::Enc3,
        "trailing_data",
        2,
        "Entry 2 is followed by `x` on its line.",
        &|l| l.push(b'x'),
    );
    g.broken(
        &f,
        Rule::Enc3,
        "truncated",
        3,
        "Entry 3 is cut in the middle.",
        &|l| l.truncate(l.len() / 2),
    );
    g.broken(
        &f,
        Rule::Enc3,
        "leading_zero",
        2,
        "The amount `01250`: a leading zero.",
        &|l| replace(l, b"1250", b"01250"),
    );
    g.broken(
        &f,
        Rule::Enc3,
        "bad_escape",
        4,
        "The escape `\\x41` does not exist in JSON.",
        &|l| replace(l, b"end", b"\\x41end"),
    );
    g.broken(
        &f,
        Rule::Enc4,
        "duplicate_member",
        2,
        "Entry 2's body has `amount` twice.",
        &|l| replace(l, b"\"amount\":1250,", b"\"amount\":1250,\"amount\":1250,"),
    );
    g.broken(
        &f,
        Rule::Enc4,
        "duplicate_escaped_name",
        1,
        "`member` and `\\u006dember` are the same name after unescaping.",
        &|l| replace(l, b"\"member\":", b"\"\\u006dember\":\"x\",\"member\":"),
    );
    g.broken(
        &f,
        Rule::Enc5,
        "fraction",
        2,
        "The amount `1250.0` has a fraction.",
        &|l| replace(l, b"1250", b"1250.0"),
    );
    g.broken(
        &f,
        Rule::Enc5,
        "exponent",
        4,
        "The amount `1e0` has an exponent.",
        &|l| replace(l, b"\"amount\":1", b"\"amount\":1e0"),
    );
    g.broken(
        &f,
        Rule::Enc6,
        "too_large",
        3,
        "9007199254740992 = 2^53 is outside the profile.",
        &|l| replace(l, b"9007199254740991", b"9007199254740992"),
    );
    g.broken(
        &f,
        Rule::Enc7,
        "lone_surrogate",
        2,
        "The escape `\\ud800` is a lone high surrogate.",
        &|l| replace(l, b"lathe", b"\\ud800lathe"),
    );
    g.broken(
        &f,
        Rule::Enc8,
        "whitespace",
        2,
        "A space after the first colon.",
        &|l| replace(l, b"\":", b"\": "),
    );
    g.broken(
        &f,
        Rule::Enc8,
        "escaped_non_ascii",
        2,
        "`Zo\\u00eb` instead of `Zoë`: escaping non-ASCII is not canonical.",
        &|l| replace(l, "Zoë".as_bytes(), b"Zo\\u00eb"),
    );
    g.broken(
        &f,
        Rule::Enc8,
        "member_order",
        2,
        "`seq` before `prev`.",
        &|l| {
            let s = String::from_utf8(l.clone()).expect("utf-8");
            let i = s.find(",\"prev\":").expect("prev");
            let j = s.find(",\"seq\":").expect("seq");
            let (prev, seq) = (&s[i..j], &s[j..s.len() - 1]);
            *l = format!("{}{seq}{prev}}}", &s[..i]).into_bytes();
        },
    );
    g.broken(
        &f,
        Rule::Enc8,
        "minus_zero",
        4,
        "The amount `-0`: in the profile, not canonical.",
        &|l| replace(l, b"\"amount\":1", b"\"amount\":-0"),
    );
    g.broken(
        &f,
        Rule::Enc9,
        "padded_prev",
        3,
        "`prev` with `=` padding.",
        &|l| {
            edit_entry(l, |e| {
                let p = e
                    .get("prev")
                    .and_then(Value::as_str)
                    .expect("prev")
                    .to_string();
                e.insert("prev", Value::from(format!("{p}=")));
            })
        },
    );
    g.broken(
        &f,
        Rule::Enc9,
        "key_nonzero_bits",
        4,
        "The last character of entry 4's first key has non-zero unused bits: the same bytes \
         spelt a second way.",
        &|l| {
            edit_doc(l, |d| {
                let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                    unreachable!()
                };
                let Value::Object(s) = &mut sigs[0] else {
                    unreachable!()
                };
                let k = s
                    .get("key")
                    .and_then(Value::as_str)
                    .expect("key")
                    .to_string();
                s.insert("key", Value::from(bump_last_b64(&k)));
                d.insert("sigs", Value::Array(sigs));
            })
        },
    );
    g.broken(
        &f,
        Rule::Enc9,
        "short_signature",
        2,
        "A signature of 85 characters (63 bytes and a bit).",
        &|l| {
            edit_doc(l, |d| {
                let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                    unreachable!()
                };
                let Value::Object(s) = &mut sigs[0] else {
                    unreachable!()
                };
                let v = s
                    .get("sig")
                    .and_then(Value::as_str)
                    .expect("sig")
                    .to_string();
                s.insert("sig", Value::from(&v[..85]));
                d.insert("sigs", Value::Array(sigs));
            })
        },
    );
    g.broken(
        &f,
        Rule::Enc10,
        "not_a_leap_year",
        3,
        "2023-02-29 does not exist.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("date", Value::from("2023-02-29"));
            })
        },
    );
    g.broken(
        &f,
        Rule::Enc10,
        "time_of_day",
        2,
        "A date with a time: `2024-03-01T00:00`.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("date", Value::from("2024-03-01T00:00"));
            })
        },
    );

    // --- DOC: the envelope
    g.broken(
        &f,
        Rule::Doc1,
        "unknown_member",
        2,
        "The document has a `note` member.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("note", Value::from("x"));
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc1,
        "missing_sigs",
        1,
        "The document has no `sigs` member.",
        &|l| {
            edit_doc(l, |d| {
                d.remove("sigs");
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc1,
        "body_not_object",
        3,
        "The body is an array.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("body", Value::Array(Vec::new()));
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc1,
        "signature_extra_member",
        4,
        "A signature object with a `by` member.",
        &|l| {
            edit_doc(l, |d| {
                let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                    unreachable!()
                };
                let Value::Object(s) = &mut sigs[1] else {
                    unreachable!()
                };
                s.insert("by", Value::from("me"));
                d.insert("sigs", Value::Array(sigs));
            })
        },
    );
    g.broken(&f, Rule::Doc2, "version_2", 2, "`v` is 2.", &|l| {
        edit_doc(l, |d| {
            d.insert("v", Value::Int(2));
        })
    });
    g.broken(
        &f,
        Rule::Doc3,
        "unknown_kind",
        3,
        "The kind `dividend` is not defined.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("kind", Value::from("dividend"));
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc4,
        "unsorted",
        1,
        "The two signatures of entry 1 in descending key order.",
        &|l| {
            edit_doc(l, |d| {
                let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                    unreachable!()
                };
                sigs.swap(0, 1);
                d.insert("sigs", Value::Array(sigs));
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc4,
        "same_key_twice",
        2,
        "Entry 2's first signature, listed twice in a row.",
        &|l| {
            edit_doc(l, |d| {
                let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                    unreachable!()
                };
                sigs.insert(1, sigs[0].clone());
                d.insert("sigs", Value::Array(sigs));
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc4,
        "no_signature",
        3,
        "`sigs` is empty.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("sigs", Value::Array(Vec::new()));
            })
        },
    );

    // --- CHN: entries and links
    g.broken(
        &f,
        Rule::Chn1,
        "extra_member",
        2,
        "The entry has a `time` member.",
        &|l| {
            edit_entry(l, |e| {
                e.insert("time", Value::Int(0));
            })
        },
    );
    g.broken(&f, Rule::Chn1, "negative_seq", 1, "`seq` is −1.", &|l| {
        edit_entry(l, |e| {
            e.insert("seq", Value::Int(-1));
        })
    });
    g.broken(
        &f,
        Rule::Chn1,
        "not_an_object",
        3,
        "The line is an array.",
        &|l| *l = b"[1,2,3]".to_vec(),
    );
    g.broken(
        &f,
        Rule::Chn2,
        "wrong_seq",
        3,
        "Entry 3 says seq 4.",
        &|l| {
            edit_entry(l, |e| {
                e.insert("seq", Value::Int(4));
            })
        },
    );
    g.broken(
        &f,
        Rule::Chn3,
        "wrong_prev",
        4,
        "Entry 4's prev is entry 2's hash.",
        &|l| {
            edit_entry(l, |e| {
                e.insert(
                    "prev",
                    Value::from(hash::entry(&Fixture::new().lines()[2]).to_b64()),
                );
            })
        },
    );
    g.broken(
        &f,
        Rule::Chn3,
        "genesis_prev",
        0,
        "The genesis entry's prev is not zero.",
        &|l| {
            edit_entry(l, |e| {
                e.insert("prev", Value::from(hash::entry(b"").to_b64()));
            })
        },
    );
    {
        let mut lines = f.lines();
        lines.swap(2, 3);
        g.invalid(
            Rule::Chn2,
            "reordered",
            Some(2),
            "Entries 2 and 3 swapped: the first entry out of place is at index 2.",
            join(&lines),
        );
        let mut lines = f.lines();
        lines.remove(3);
        g.invalid(
            Rule::Chn2,
            "dropped",
            Some(3),
            "Entry 3 dropped.",
            join(&lines),
        );
        let mut lines = f.lines();
        lines.insert(3, lines[2].clone());
        g.invalid(
            Rule::Chn2,
            "duplicated",
            Some(3),
            "Entry 2 appears twice.",
            join(&lines),
        );
    }
    {
        let mut b = Builder::new();
        b.push(&f.docs[1]);
        b.push(&f.docs[2]);
        g.invalid(
            Rule::Chn4,
            "genesis_not_charter",
            Some(0),
            "The chain starts with an admission.",
            b.to_bytes(),
        );
        let d = signed(
            c,
            Kind::Charter,
            "2025-01-01",
            charter_body("Second", &[&k1]),
            &[&k1],
        );
        g.invalid(
            Rule::Chn4,
            "second_charter",
            Some(5),
            "A charter after the genesis entry.",
            f.with(&d),
        );
        let other = Fixture::named("Another commune");
        let foreign = signed(
            other.commune,
            Kind::Payment,
            "2025-01-01",
            income("p4", 5, "foreign"),
            &[&k1],
        );
        g.invalid(
            Rule::Chn5,
            "foreign_document",
            Some(5),
            "A document of another commune (signed there by key 1, naming that commune) appended.",
            f.with(&foreign),
        );
        let mut d = foreign.clone();
        d.commune = c;
        g.invalid(
            Rule::Sig6,
            "commune_rewritten",
            Some(5),
            "The same foreign document with its `commune` rewritten to this commune: its \
             signatures no longer match.",
            f.with(&d),
        );
        let body = charter_body("Fonderie Café ☕", &[&k1, &k2, &k3]);
        let wrong = chain::commune_id(&charter_body("Fonderie", &[&k1]));
        let mut b = Builder::new();
        b.push(&signed(wrong, Kind::Charter, "2024-02-29", body, &[&k1]));
        g.invalid(
            Rule::Chn5,
            "charter_wrong_id",
            Some(0),
            "The charter names a commune id that is not the hash of its body.",
            b.to_bytes(),
        );
        let d = signed(
            c,
            Kind::Payment,
            "2024-12-31",
            income("p4", 1, "late"),
            &[&k1],
        );
        g.invalid(
            Rule::Chn6,
            "date_decreases",
            Some(5),
            "Entry 5 is dated before entry 4.",
            f.with(&d),
        );
        g.invalid(
            Rule::Chn7,
            "replayed_document",
            Some(5),
            "Entry 4's document appended again at its right position (seq and prev correct).",
            f.with(&f.docs[4]),
        );
        g.invalid(
            Rule::Chn8,
            "empty_file",
            None,
            "An empty file has no entry.",
            Vec::new(),
        );
    }

    // --- SIG: signatures on documents
    let with_sig = |edit: &dyn Fn(&mut Signature)| {
        let mut d = signed(
            c,
            Kind::Payment,
            "2025-01-01",
            income("p4", 1, "tampered"),
            &[&k4],
        );
        edit(&mut d.sigs[0]);
        f.with(&d)
    };
    g.invalid(
        Rule::Sig1,
        "key_y_equals_p",
        Some(5),
        "The key encodes y = p (non-canonical).",
        with_sig(&|s| s.key = h32(Y_EQUALS_P)),
    );
    g.invalid(
        Rule::Sig1,
        "key_y_p_plus_3",
        Some(5),
        "The key encodes y = p + 3: lenient decoders read a point of large order.",
        with_sig(&|s| s.key = h32(Y_P_PLUS_3)),
    );
    g.invalid(
        Rule::Sig1,
        "key_x_minus_zero",
        Some(5),
        "The key is y = 1 with the sign bit set (\"x = −0\").",
        with_sig(&|s| s.key = h32(X_NEG_ZERO)),
    );
    g.invalid(
        Rule::Sig1,
        "key_off_curve",
        Some(5),
        "The key's y gives no x on the curve.",
        with_sig(&|s| s.key = off_curve()),
    );
    g.invalid(
        Rule::Sig2,
        "key_identity",
        Some(5),
        "The key is the identity point (order 1).",
        with_sig(&|s| s.key = h32(IDENTITY)),
    );
    g.invalid(
        Rule::Sig2,
        "key_order_8",
        Some(5),
        "The key is a point of order 8.",
        with_sig(&|s| s.key = h32(ORDER_8)),
    );
    g.invalid(
        Rule::Sig3,
        "r_y_equals_p",
        Some(5),
        "The signature's R encodes y = p.",
        with_sig(&|s| s.sig[..32].copy_from_slice(&h32(Y_EQUALS_P))),
    );
    g.invalid(
        Rule::Sig3,
        "r_x_minus_zero",
        Some(5),
        "R is \"x = −0\" (Wycheproof tc 151's case).",
        with_sig(&|s| s.sig[..32].copy_from_slice(&h32(X_NEG_ZERO))),
    );
    g.invalid(
        Rule::Sig4,
        "r_order_8",
        Some(5),
        "R is a point of order 8.",
        with_sig(&|s| s.sig[..32].copy_from_slice(&h32(ORDER_8))),
    );
    g.invalid(
        Rule::Sig5,
        "s_plus_l",
        Some(5),
        "S + L: the same signature malleated; S is not reduced.",
        with_sig(&|s| s.sig = add_l_to_s(&s.sig)),
    );
    g.invalid(
        Rule::Sig6,
        "flipped_bit",
        Some(5),
        "One bit of S flipped (S stays below L).",
        with_sig(&|s| s.sig[40] ^= 1),
    );
    g.invalid(
        Rule::Sig6,
        "other_signer",
        Some(5),
        "Signed by key 9, claimed for key 4.",
        with_sig(&|s| {
            let mut d = signed(
                c,
                Kind::Payment,
                "2025-01-01",
                income("p4", 1, "tampered"),
                &[&key(9)],
            );
            d.sigs[0].key = s.key;
            *s = d.sigs[0];
        }),
    );
    {
        let mut lines = f.lines();
        replace(&mut lines[2], b"1250", b"1251");
        g.invalid(
            Rule::Sig6,
            "changed_body",
            Some(2),
            "Entry 2's amount changed after signing. Entry 3's prev still names the original \
             line, but the signature failure at entry 2 comes first.",
            join(&lines),
        );
    }
    {
        let mut lines = f.lines();
        edit_doc(&mut lines[3], |d| {
            let Some(Value::Array(mut sigs)) = d.remove("sigs") else {
                unreachable!()
            };
            let Value::Object(s) = &mut sigs[0] else {
                unreachable!()
            };
            let mut raw =
                b64::decode::<64>(s.get("sig").and_then(Value::as_str).expect("sig")).expect("sig");
            raw[33] ^= 1;
            s.insert("sig", Value::from(b64::encode(&raw)));
            d.insert("sigs", Value::Array(sigs));
        });
        edit_entry(&mut lines[4], |e| {
            e.insert("seq", Value::Int(9));
        });
        g.invalid(
            Rule::Sig6,
            "before_later_error",
            Some(3),
            "Entry 3's signature is forged and entry 4's seq is wrong: the earlier entry's error \
             is the one reported, even though signatures are checked after links within an \
             entry and a batch verifier may see entry 4 first.",
            join(&lines),
        );
    }
    {
        let mut d = signed(
            c,
            Kind::Payment,
            "2025-01-01",
            income("p4", 1, "order"),
            &[&k1, &k2],
        );
        d.sigs[0].sig[40] ^= 1;
        d.sigs[1].key = h32(IDENTITY);
        d.sigs.swap(0, 1); // the identity key sorts first
        g.invalid(
            Rule::Sig2,
            "first_in_sigs_order",
            Some(5),
            "Two bad signatures: the first in `sigs` order (a small-order key) is reported, not \
             the forged one after it.",
            f.with(&d),
        );
    }
    {
        let mut d = signed(
            c,
            Kind::Payment,
            "2025-01-01",
            income("p4", 1, "order"),
            &[&k1],
        );
        d.sigs[0].sig = add_l_to_s(&d.sigs[0].sig);
        d.sigs[0].sig[..32].copy_from_slice(&h32(ORDER_8));
        g.invalid(
            Rule::Sig4,
            "before_s",
            Some(5),
            "R is small-order and S is not reduced: SIG-4 is checked before SIG-5.",
            f.with(&d),
        );
    }
    {
        // a checkpoint signature reused as a document signature
        let d0 = signed(
            c,
            Kind::Payment,
            "2025-01-01",
            income("p4", 1, "cross"),
            &[&k1],
        );
        let cp = f.checkpoint(5, &[&k1]);
        let mut d = d0.clone();
        d.sigs[0].sig = cp.sigs[0].sig;
        g.invalid(
            Rule::Sig6,
            "checkpoint_signature_as_document",
            Some(5),
            "The document carries key 1's cosignature of a checkpoint: the two signing messages \
             differ by their tags.",
            f.with(&d),
        );
    }
    // ordering across layers within one entry
    g.broken(
        &f,
        Rule::Chn1,
        "before_document",
        2,
        "The entry has an unknown member and its document an unknown kind: the entry's members \
         are checked before the document.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("kind", Value::from("gift"));
            });
            edit_entry(l, |e| {
                e.insert("zzz", Value::Null);
            })
        },
    );
    g.broken(
        &f,
        Rule::Doc3,
        "before_link",
        4,
        "Unknown kind and wrong prev: the envelope is checked before the links.",
        &|l| {
            edit_doc(l, |d| {
                d.insert("kind", Value::from("gift"));
            });
            edit_entry(l, |e| {
                e.insert("prev", Value::from(Hash::ZERO.to_b64()));
            })
        },
    );
    {
        let mut d = signed(c, Kind::Payment, "2024-01-01", income("p4", 1, "x"), &[&k1]);
        d.sigs[0].sig[40] ^= 1;
        g.invalid(
            Rule::Chn6,
            "before_signature",
            Some(5),
            "A date in the past and a forged signature: links are checked before signatures.",
            f.with(&d),
        );
    }

    // --- CKP-3 and signatures of checkpoints
    let cp_case =
        |g: &mut Gen, rule: Rule, short: &str, comment: &str, cp: &Checkpoint, data: Vec<u8>| {
            g.invalid(rule, short, None, comment, data).checkpoint(cp);
        };
    {
        let short_chain = {
            let mut b = Builder::new();
            for l in &f.docs[..4] {
                b.push(l);
            }
            b.to_bytes()
        };
        cp_case(
            &mut g,
            Rule::Ckp3,
            "withheld_entries",
            "The checkpoint says 5 entries; the chain shown has 4.",
            &f.checkpoint(5, &[&k1, &k2]),
            short_chain,
        );
        let mut forked = Checkpoint::new(c, 3, hash::entry(b"another entry 2"));
        forked.sign(&k2).expect("sign");
        cp_case(
            &mut g,
            Rule::Ckp3,
            "fork",
            "The checkpoint's head at size 3 is not the hash of entry 2: another chain.",
            &forked,
            f.bytes(),
        );
        let other = Fixture::named("Another commune");
        cp_case(
            &mut g,
            Rule::Ckp3,
            "other_commune",
            "A checkpoint of another commune.",
            &other.checkpoint(2, &[&k1]),
            f.bytes(),
        );
        let mut bad = f.checkpoint(5, &[&k1]);
        bad.sigs[0].sig[40] ^= 1;
        cp_case(
            &mut g,
            Rule::Sig6,
            "checkpoint_cosignature",
            "A checkpoint that agrees with the chain but whose cosignature is forged.",
            &bad,
            f.bytes(),
        );
        let mut two = g
            .invalid(
                Rule::Ckp3,
                "second_checkpoint",
                None,
                "Two checkpoints: the first agrees, the second (size 6) does not; the finding is \
                 the second's.",
                f.bytes(),
            )
            .clone();
        two.checkpoint(&f.checkpoint(5, &[&k3]));
        let mut longer = Checkpoint::new(c, 6, hash::entry(b"entry 5"));
        longer.sign(&k3).expect("sign");
        two.checkpoint(&longer);
        *g.cases.last_mut().expect("pushed") = two;
    }

    // --- LIM-2, LIM-3
    {
        let mut v = Value::Array(Vec::new());
        for _ in 0..29 {
            v = Value::Array(vec![v]);
        }
        let d = signed(c, Kind::Payment, "2025-01-01", obj(&[("deep", v)]), &[&k1]);
        g.invalid(
            Rule::Lim2,
            "depth_33",
            Some(5),
            "Entry 5 nests 33 deep: one level more than valid_depth_32.",
            f.with(&d),
        );
        let mut l = b"{\"doc\":".to_vec();
        l.extend(std::iter::repeat_n(b'[', 100_000));
        l.push(b'\n');
        let mut data = join(&f.lines()[..1]);
        data.extend_from_slice(&l);
        g.invalid(
            Rule::Lim2,
            "deep_unclosed",
            Some(1),
            "100,000 opening brackets: LIM-2 at the 33rd level (the 32nd `[`), before the \
             missing rest of the text is noticed.",
            data,
        );
    }
    for (count, rule, short, comment) in [
        (
            65_537usize,
            Rule::Lim3,
            "too_many_signatures",
            "Entry 1's document carries 65,537 signature objects (all alike): LIM-3 is reported \
             before any element is read.",
        ),
        (
            65_536,
            Rule::Doc4,
            "65536_signatures_same_key",
            "Entry 1's document carries 65,536 signature objects, all alike: LIM-3 holds at its \
             limit, and the second element breaks DOC-4 (a key twice).",
        ),
    ] {
        let mut lines = f.lines();
        lines.truncate(2);
        let line = String::from_utf8(lines[1].clone()).expect("utf-8");
        let start = line.find("\"sigs\":[").expect("sigs") + "\"sigs\":[".len();
        let end = start + line[start..].find("}]").expect("end of sigs") + 1;
        // entry 1 has three signatures; keep the first only, as the repeated unit
        let first = &line[start..start + line[start..].find('}').expect("}") + 1];
        let rebuilt = format!("{}{first}{}", &line[..start], &line[end..]);
        let mut data = join(&lines[..1]);
        let offset = data.len() + start;
        data.extend_from_slice(rebuilt.as_bytes());
        data.push(b'\n');
        g.invalid(rule, short, Some(1), comment, data).expand = Some(Expand {
            offset,
            count: count - 1,
            unit: format!("{first},").into_bytes(),
        });
    }
    commune_cases(&mut g);
    dividend_cases::cases(&mut g);
    let mut cases = g.cases;
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// The bond and rent terms of [`life`] (spec 10.3.7): series `lathe-a`,
/// face 10,000, 7 linear monthly payments at 600 bps from 2025-03-15, 20
/// units; series `lathe-b`, face 1,000, 3 bullet payments at 1,200 bps from
/// 2025-03-15, 10 units.
fn series_body(id: &str, linear: bool, face: i64, n: i64, rate: i64, units: i64) -> Object {
    let first_due = date("2025-03-15");
    let rows = commune::schedule(linear, face, n, rate, first_due)
        .into_iter()
        .map(|r| {
            Value::Object(obj(&[
                ("coupon", Value::Int(r.coupon)),
                ("due", Value::from(r.due.to_string())),
                ("principal", Value::Int(r.principal)),
            ]))
        })
        .collect();
    obj(&[
        (
            "amortisation",
            Value::from(if linear { "linear" } else { "bullet" }),
        ),
        ("asset", Value::from("lathe")),
        ("face", Value::Int(face)),
        ("first_due", Value::from(first_due.to_string())),
        ("payments", Value::Int(n)),
        ("rate_bps", Value::Int(rate)),
        ("schedule", Value::Array(rows)),
        ("series", Value::from(id)),
        (
            "text",
            text_hash(&format!("Terms of the bond series {id}.\n")),
        ),
        ("units", Value::Int(units)),
    ])
}

/// A rental agreement body for the lathe, from 2025-03-01, 12 instalments.
fn lease_body(id: &str, guarantees: &[&str], rent: &[(i64, i64)], renters: &[&str]) -> Object {
    let ids = |l: &[&str]| Value::Array(l.iter().map(|s| Value::from(*s)).collect());
    let steps = rent
        .iter()
        .map(|(amount, from)| {
            Value::Object(obj(&[
                ("amount", Value::Int(*amount)),
                ("from", Value::Int(*from)),
            ]))
        })
        .collect();
    obj(&[
        ("agreement", Value::from(id)),
        ("asset", Value::from("lathe")),
        ("guarantees", ids(guarantees)),
        ("instalments", Value::Int(12)),
        ("rent", Value::Array(steps)),
        ("renters", ids(renters)),
        ("start", Value::from("2025-03-01")),
        ("text", text_hash(&format!("Rental agreement {id}.\n"))),
    ])
}

/// A bond payment's `ref`.
fn bond_ref(holder: &SecretKey, row: i64, series: &str) -> Object {
    obj(&[
        ("holder", pk(holder)),
        ("row", Value::Int(row)),
        ("series", Value::from(series)),
    ])
}

/// The life of a commune that uses every kind of document the commune rules
/// define (spec chapter 10), valid throughout. Members: founders `f1`, `f2`,
/// `f3` (keys 1, 2, 3; treasurers `f1`, `f2`), `m4` (key 5, rotated to key
/// 7), `m5` (key 6, recovered as key 8). Bondholders outside the commune:
/// keys 20, 21, 22. Thresholds as [`thresholds`]; the entry comments give
/// the signatures each decision needs. Cash after each money entry in
/// brackets.
pub fn life() -> Fixture {
    let k: Vec<SecretKey> = (0..=22).map(key).collect();
    let body = charter_body("Atelier de la Lune", &[&k[1], &k[2], &k[3]]);
    let commune = chain::commune_id(&body);
    let mut f = Fixture::of(commune, Vec::new());
    let id = |s: &str| Value::from(s);
    // 0: 3 founders
    f.push(Kind::Charter, "2025-01-01", body, &[&k[1], &k[2], &k[3]]);
    // 1: 3 members at 5,001 bps: ceil(1.5003) = 2, and the new key
    f.push(
        Kind::Admission,
        "2025-01-02",
        obj(&[("key", pk(&k[5])), ("member", id("m4"))]),
        &[&k[1], &k[2], &k[5]],
    );
    // 2: 4 members: ceil(2.0004) = 3
    f.push(
        Kind::Admission,
        "2025-01-02",
        obj(&[("key", pk(&k[6])), ("member", id("m5"))]),
        &[&k[1], &k[2], &k[3], &k[6]],
    );
    // 3: m4 rotates key 5 to key 7: both keys sign
    f.push(
        Kind::KeyRotation,
        "2025-01-03",
        obj(&[("member", id("m4")), ("new_key", pk(&k[7]))]),
        &[&k[5], &k[7]],
    );
    // 4: m5 lost key 6: 4 members besides m5 at 6,667 bps: ceil(2.6668) = 3, and key 8
    f.push(
        Kind::KeyRecovery,
        "2025-01-03",
        obj(&[("member", id("m5")), ("new_key", pk(&k[8]))]),
        &[&k[1], &k[2], &k[3], &k[8]],
    );
    // 5: income [500,000]
    f.push(
        Kind::Payment,
        "2025-01-10",
        income("grant-1", 500_000, "Förderverein Nord: start-up grant"),
        &[&k[1]],
    );
    // 6: 5 members at 5,001 bps: ceil(2.5005) = 3
    f.push(
        Kind::AssetAcquisition,
        "2025-01-15",
        obj(&[
            ("asset", id("lathe")),
            ("description", id("Lathe, 1.5 m between centres")),
            ("price", Value::Int(300_000)),
            ("text", text_hash("Purchase agreement for the lathe.\n")),
        ]),
        &[&k[1], &k[2], &k[3]],
    );
    // 7: the purchase, at the price [200,000]
    f.push(
        Kind::Payment,
        "2025-01-20",
        payment(
            "buy-lathe",
            "asset_purchase",
            300_000,
            obj(&[("asset", id("lathe"))]),
        ),
        &[&k[2]],
    );
    // 8, 9: two series on the lathe (3 signatures each)
    f.push(
        Kind::BondSeries,
        "2025-02-01",
        series_body("lathe-a", true, 10_000, 7, 600, 20),
        &[&k[1], &k[2], &k[3]],
    );
    f.push(
        Kind::BondSeries,
        "2025-02-01",
        series_body("lathe-b", false, 1_000, 3, 1_200, 10),
        &[&k[1], &k[2], &k[3]],
    );
    // 10, 11: sales, signed by the buyer and a treasurer [300,000; 310,000]
    f.push(
        Kind::BondSale,
        "2025-02-05",
        obj(&[
            ("holder", pk(&k[20])),
            ("price", Value::Int(10_000)),
            ("series", id("lathe-a")),
            ("units", Value::Int(10)),
        ]),
        &[&k[1], &k[20]],
    );
    f.push(
        Kind::BondSale,
        "2025-02-05",
        obj(&[
            ("holder", pk(&k[21])),
            ("price", Value::Int(1_000)),
            ("series", id("lathe-b")),
            ("units", Value::Int(10)),
        ]),
        &[&k[2], &k[21]],
    );
    // 12: key 20 transfers 4 of its 10 lathe-a units to key 22
    f.push(
        Kind::BondTransfer,
        "2025-02-10",
        obj(&[
            ("from", pk(&k[20])),
            ("series", id("lathe-a")),
            ("to", pk(&k[22])),
            ("units", Value::Int(4)),
        ]),
        &[&k[20], &k[22]],
    );
    // 13: m4 rents the lathe; the rent covers both series (SCH-3): by the
    // end of each month from 2025-03 the cumulative rent (30,000, then
    // 40,000 a month) is at least the cumulative service of 20 lathe-a and
    // 10 lathe-b units (29,660; 59,160; 98,520; 127,640; 156,620; 185,460;
    // 214,240 from March to September). 3 members and m4's current key 7.
    f.push(
        Kind::RentalAgreement,
        "2025-02-20",
        lease_body(
            "lease-1",
            &["lathe-a", "lathe-b"],
            &[(30_000, 1), (40_000, 2)],
            &["m4"],
        ),
        &[&k[1], &k[2], &k[3], &k[7]],
    );
    // 14: rent, instalment 1 [340,000]
    f.push(
        Kind::Payment,
        "2025-03-01",
        payment(
            "rent-1",
            "rent",
            30_000,
            obj(&[("agreement", id("lease-1")), ("instalment", Value::Int(1))]),
        ),
        &[&k[1]],
    );
    // 15-17: row 1 of both series, due 2025-03-15; holders of record:
    // key 20 (6 lathe-a units), key 22 (4), key 21 (10 lathe-b units).
    // Coupon 6 × 50 [339,700]; principal 4 × 1,428 [333,988]; coupon 10 × 10 [333,888]
    f.push(
        Kind::Payment,
        "2025-03-15",
        payment("cpn-a1-20", "coupon", 300, bond_ref(&k[20], 1, "lathe-a")),
        &[&k[1]],
    );
    f.push(
        Kind::Payment,
        "2025-03-15",
        payment(
            "prn-a1-22",
            "principal",
            5_712,
            bond_ref(&k[22], 1, "lathe-a"),
        ),
        &[&k[2]],
    );
    f.push(
        Kind::Payment,
        "2025-03-15",
        payment("cpn-b1-21", "coupon", 100, bond_ref(&k[21], 1, "lathe-b")),
        &[&k[1]],
    );
    // 18: an expense approval (3 signatures)
    f.push(
        Kind::ExpenseApproval,
        "2025-03-20",
        obj(&[
            ("amount", Value::Int(20_000)),
            ("approval", id("paint")),
            ("payee", id("Farben Müller GmbH")),
            ("purpose", id("Paint for the workshop floor")),
        ]),
        &[&k[1], &k[2], &k[3]],
    );
    // 19, 20: an expense and a refund against it [318,888; 316,888]
    f.push(
        Kind::Payment,
        "2025-03-21",
        payment(
            "paint-1",
            "expense",
            15_000,
            obj(&[("approval", id("paint"))]),
        ),
        &[&k[2]],
    );
    f.push(
        Kind::Payment,
        "2025-03-22",
        payment(
            "refund-1",
            "refund",
            2_000,
            obj(&[("approval", id("paint"))]),
        ),
        &[&k[1]],
    );
    // 21: the refund reversed [318,888]
    f.push(
        Kind::Reversal,
        "2025-03-25",
        obj(&[
            ("payment", id("refund-1")),
            ("reason", id("refund paid in error")),
        ]),
        &[&k[2]],
    );
    // 22: m4 ends the lease by notice (key 7)
    f.push(
        Kind::RentalEnd,
        "2025-04-10",
        obj(&[("agreement", id("lease-1")), ("reason", id("notice"))]),
        &[&k[7]],
    );
    // 23: m5 leaves (key 8)
    f.push(
        Kind::Exit,
        "2025-04-15",
        obj(&[("member", id("m5")), ("reason", id("voluntary"))]),
        &[&k[8]],
    );
    // 24: 4 members at 6,667 bps: ceil(2.6668) = 3; bonds no longer transferable
    let mut amendment = charter_body("", &[&k[1], &k[2], &k[3]]);
    for m in ["currency", "founders", "name"] {
        amendment.remove(m);
    }
    amendment.insert("bonds_transferable", Value::Bool(false));
    f.push(
        Kind::CharterAmendment,
        "2025-04-20",
        amendment,
        &[&k[1], &k[2], &k[3]],
    );
    f
}

/// The cases of the commune rules (spec chapter 10): one valid life that
/// exercises every rule, and for every rule chains whose only finding is
/// that rule at the last entry. Each failing case appends documents to the
/// fixture or to a prefix of [`life`]; every appended document but the
/// last is valid.
fn commune_cases(g: &mut Gen) {
    let f = Fixture::new();
    let c = f.commune;
    let life = life();
    let k: Vec<SecretKey> = (0..=23).map(key).collect();
    let id = |s: &str| Value::from(s);
    // the fixture plus `docs`; the last is entry 4 + docs.len()
    let fx = |docs: &[Document]| (Some(4 + docs.len() as u64), f.with_all(docs));
    // the first `n` entries of the life plus `docs`
    let lf = |n: usize, docs: &[Document]| {
        (
            Some((n + docs.len() - 1) as u64),
            life.prefix(n).with_all(docs),
        )
    };
    let doc =
        |kind, d: &str, body: Object, signers: &[&SecretKey]| signed(c, kind, d, body, signers);
    let ldoc = |kind, d: &str, body: Object, signers: &[&SecretKey]| {
        signed(life.commune, kind, d, body, signers)
    };
    // --- the valid life
    let all_commune: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| r.section() == "10-commune.md")
        .collect();
    g.valid(
        "commune_life",
        &all_commune,
        "Every kind of commune document, valid: charter; two admissions (threshold and the new \
         key); a key rotation and a key recovery; income; an asset and its purchase; a linear \
         and a bullet bond series on it (schedules as spec 10.3.7 computes them); two sales; a \
         transfer; a rental agreement guaranteeing both series whose stepped rent covers their \
         service month by month; rent, coupons and a principal paid to the holders of record; \
         an expense approval, an expense and a refund, the refund reversed; the rental ended \
         by notice; a voluntary exit; an amendment making bonds non-transferable.",
        life.bytes(),
    );

    let mut case =
        |rule: Rule, short: &str, comment: &str, (entry, data): (Option<u64>, Vec<u8>)| {
            g.invalid(rule, short, entry, comment, data);
        };
    let kinds: Vec<Kind> = life.docs.iter().map(|d| d.kind).collect();
    assert_eq!(kinds.len(), 25);
    assert_eq!(kinds[13], Kind::RentalAgreement);

    // --- COM: bodies
    case(
        Rule::Com1,
        "unknown_member",
        "Entry 5 is an income payment whose body also has a `memo` member: bodies are closed.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            {
                let mut b = income("p4", 5, "gift");
                b.insert("memo", id("thanks"));
                b
            },
            &[&k[1]],
        )]),
    );
    {
        let mut body = charter_body("Fonderie Café ☕", &[&k[1], &k[2], &k[3]]);
        body.insert("currency", id("EUR"));
        let cc = chain::commune_id(&body);
        let mut b = Builder::new();
        b.push(&signed(
            cc,
            Kind::Charter,
            "2024-02-29",
            body,
            &[&k[1], &k[2], &k[3]],
        ));
        case(
            Rule::Com1,
            "currency_not_object",
            "The charter's `currency` is the string \"EUR\", not {\"code\",\"exponent\"}: COM-1 at \
             entry 0 (the charter is void).",
            (Some(0), b.to_bytes()),
        );
    }
    case(
        Rule::Com2,
        "uppercase_id",
        "Entry 5 is an income payment with the id `P4`: ids are lowercase.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            income("P4", 5, "gift"),
            &[&k[1]],
        )]),
    );
    case(
        Rule::Com3,
        "zero_amount",
        "Entry 5 is an income payment of 0: a payment's amount is at least 1.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            income("p4", 0, "nothing"),
            &[&k[1]],
        )]),
    );
    {
        let mut body = charter_body("", &[&k[1], &k[2], &k[3]]);
        for m in ["currency", "founders", "name"] {
            body.remove(m);
        }
        body.insert("treasurers", Value::Array(vec![id("f2"), id("f1")]));
        case(
            Rule::Com4,
            "treasurers_unsorted",
            "Entry 5 is a charter amendment listing the treasurers as [f2, f1], signed by \
             three of the four members (enough at 6,667 bps): lists are sorted.",
            fx(&[doc(
                Kind::CharterAmendment,
                "2025-01-01",
                body,
                &[&k[1], &k[2], &k[3]],
            )]),
        );
    }

    // --- AUT: authority
    {
        let mut docs = f.docs.clone();
        docs[0] = signed(
            c,
            Kind::Charter,
            "2024-02-29",
            f.docs[0].body.clone(),
            &[&k[1], &k[2]],
        );
        case(
            Rule::Aut1,
            "founder_missing",
            "The fixture with its charter signed by f1 and f2 but not by f3 (same body, so the \
             same commune id): AUT-1 at entry 0. A void charter ends the commune rules, so \
             this is the only finding although entries 1 to 4 would be lawful.",
            (Some(0), Fixture::of(c, docs).bytes()),
        );
    }
    let admit = |member: &str, new: &SecretKey| obj(&[("key", pk(new)), ("member", id(member))]);
    case(
        Rule::Aut2,
        "too_few_signers",
        "Entry 5 admits key 5 as m5, signed by f1 and key 5 only. 4 current members at 5,001 \
         bps need ceil(4 × 5001 / 10000) = 3 counting members; 1 counts (key 5 is not yet a \
         member): expected 3, found 1, difference −2.",
        fx(&[doc(
            Kind::Admission,
            "2025-01-01",
            admit("m5", &k[5]),
            &[&k[1], &k[5]],
        )]),
    );
    case(
        Rule::Aut2,
        "rotated_out_key",
        "Entry 5 rotates zoe's key 4 to key 9 (valid). Entry 6 admits key 5, signed by f1, f2, \
         zoe's old key 4 and key 5: a rotated-out key counts for nothing, so 2 of the 3 \
         required members count.",
        fx(&[
            doc(
                Kind::KeyRotation,
                "2025-01-01",
                obj(&[("member", id("zoe")), ("new_key", pk(&key(9)))]),
                &[&k[4], &key(9)],
            ),
            doc(
                Kind::Admission,
                "2025-01-02",
                admit("m5", &k[5]),
                &[&k[1], &k[2], &k[4], &k[5]],
            ),
        ]),
    );
    case(
        Rule::Aut3,
        "admission_without_new_key",
        "Entry 5 admits key 5, signed by f1, f2 and f3 (enough) but not by key 5: the new \
         member's consent is missing.",
        fx(&[doc(
            Kind::Admission,
            "2025-01-01",
            admit("m5", &k[5]),
            &[&k[1], &k[2], &k[3]],
        )]),
    );
    case(
        Rule::Aut4,
        "not_a_treasurer",
        "Entry 5 is an income payment signed by f3 only; the treasurers are f1 and f2.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            income("p4", 5, "gift"),
            &[&k[3]],
        )]),
    );
    case(
        Rule::Aut5,
        "transfer_not_allowed",
        "The life, then a transfer of 1 lathe-a unit from key 22 to key 20 signed by both, \
         after entry 24 made bonds non-transferable.",
        lf(
            25,
            &[ldoc(
                Kind::BondTransfer,
                "2025-04-25",
                obj(&[
                    ("from", pk(&k[22])),
                    ("series", id("lathe-a")),
                    ("to", pk(&k[20])),
                    ("units", Value::Int(1)),
                ]),
                &[&k[20], &k[22]],
            )],
        ),
    );

    // --- MEM and LIM-4: membership
    case(
        Rule::Mem1,
        "member_id_reused",
        "Entry 5 admits key 5 under the id f2, which a founder holds; signed by f1, f2, f3 \
         and key 5.",
        fx(&[doc(
            Kind::Admission,
            "2025-01-01",
            admit("f2", &k[5]),
            &[&k[1], &k[2], &k[3], &k[5]],
        )]),
    );
    case(
        Rule::Mem1,
        "key_reused",
        "Entry 5 admits zoe's key 4 again as m5; signed by f1, f2, f3 and key 4: one key, one \
         member.",
        fx(&[doc(
            Kind::Admission,
            "2025-01-01",
            admit("m5", &k[4]),
            &[&k[1], &k[2], &k[3], &k[4]],
        )]),
    );
    case(
        Rule::Mem2,
        "expel_former_member",
        "Entry 5: zoe leaves (voluntary, signed by key 4). Entry 6 expels zoe, signed by f1, \
         f2 and f3 (3 members, none the target, at 6,667 bps: 3 needed): she is not a current \
         member.",
        fx(&[
            doc(
                Kind::Exit,
                "2025-01-01",
                obj(&[("member", id("zoe")), ("reason", id("voluntary"))]),
                &[&k[4]],
            ),
            doc(
                Kind::Exit,
                "2025-01-02",
                obj(&[("member", id("zoe")), ("reason", id("expulsion"))]),
                &[&k[1], &k[2], &k[3]],
            ),
        ]),
    );
    {
        let body = charter_body("Solo", &[&k[1]]);
        let cc = chain::commune_id(&body);
        let mut b = Builder::new();
        b.push(&signed(cc, Kind::Charter, "2025-01-01", body, &[&k[1]]));
        b.push(&signed(
            cc,
            Kind::Exit,
            "2025-02-01",
            obj(&[("member", id("f1")), ("reason", id("voluntary"))]),
            &[&k[1]],
        ));
        case(
            Rule::Mem3,
            "last_member",
            "A commune founded by f1 alone; entry 1: f1 leaves voluntarily (signed by key 1).",
            (Some(1), b.to_bytes()),
        );
    }

    // --- REF: references
    case(
        Rule::Ref1,
        "no_such_approval",
        "Entry 5 is an expense payment of 10 against the approval `paint`, which does not exist \
         in this commune.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            payment("p4", "expense", 10, obj(&[("approval", id("paint"))])),
            &[&k[1]],
        )]),
    );
    case(
        Rule::Ref2,
        "payment_id_reused",
        "Entry 5 is an income payment of 7 with the id p1, which entry 2 used.",
        fx(&[doc(
            Kind::Payment,
            "2025-01-01",
            income("p1", 7, "again"),
            &[&k[1]],
        )]),
    );
    case(
        Rule::Ref3,
        "asset_already_rented",
        "The life to entry 13 (lease-1 rents the lathe from 2025-03-01 for 12 months), then a \
         second agreement for the lathe, lease-2 (renter f3, no guarantees), signed by f1, \
         f2 and f3: the asset has an active agreement.",
        lf(
            14,
            &[ldoc(
                Kind::RentalAgreement,
                "2025-02-20",
                lease_body("lease-2", &[], &[(100, 1)], &["f3"]),
                &[&k[1], &k[2], &k[3]],
            )],
        ),
    );
    case(
        Rule::Ref3,
        "ended_twice",
        "The life, then m4 ends lease-1 by notice again (key 7): it ended at entry 22.",
        lf(
            25,
            &[ldoc(
                Kind::RentalEnd,
                "2025-04-25",
                obj(&[("agreement", id("lease-1")), ("reason", id("notice"))]),
                &[&k[7]],
            )],
        ),
    );

    // --- SCH: schedules
    {
        let mut body = series_body("lathe-a", true, 10_000, 7, 600, 20);
        edit_row(&mut body, 1, "coupon", Value::Int(43));
        case(
            Rule::Sch1,
            "linear_coupon",
            "The life to entry 7, then lathe-a with row 2's coupon 43. Spec 10.3.7 for face \
             10,000, 7 linear payments at 600 bps: principal floor(10000 / 7) = 1,428 for rows \
             1-6 and 10,000 − 6 × 1,428 = 1,432 for row 7; coupon_k = floor(O_{k−1} × 600 / \
             120000) on O = 10,000, 8,572, 7,144, 5,716, 4,288, 2,860, 1,432: 50, 42, 35, 28, \
             21, 14, 7. SCH-1 at schedule[1].coupon: expected 42, found 43.",
            lf(
                8,
                &[ldoc(
                    Kind::BondSeries,
                    "2025-02-01",
                    body,
                    &[&k[1], &k[2], &k[3]],
                )],
            ),
        );
    }
    {
        let mut body = series_body("lathe-b", false, 1_000, 3, 1_200, 10);
        edit_row(&mut body, 2, "principal", Value::Int(999));
        case(
            Rule::Sch1,
            "bullet_principal",
            "The life to entry 8, then lathe-b (face 1,000, 3 bullet payments at 1,200 bps) \
             with row 3's principal 999. Spec 10.3.7: bullet principal is 0, 0 and face = \
             1,000; coupons floor(1000 × 1200 / 120000) = 10 each. SCH-1 at \
             schedule[2].principal: expected 1,000, found 999.",
            lf(
                9,
                &[ldoc(
                    Kind::BondSeries,
                    "2025-02-01",
                    body,
                    &[&k[1], &k[2], &k[3]],
                )],
            ),
        );
    }
    let sale = |holder: &SecretKey, series: &str, units: i64| {
        obj(&[
            ("holder", pk(holder)),
            ("price", Value::Int(1)),
            ("series", id(series)),
            ("units", Value::Int(units)),
        ])
    };
    case(
        Rule::Sch2,
        "oversold",
        "The life to entry 10 (10 of lathe-a's 20 units sold), then a sale of 11 more to key 23 \
         signed by key 23 and treasurer f1: 21 > 20.",
        lf(
            11,
            &[ldoc(
                Kind::BondSale,
                "2025-02-05",
                sale(&k[23], "lathe-a", 11),
                &[&k[1], &k[23]],
            )],
        ),
    );
    case(
        Rule::Sch2,
        "transfer_more_than_held",
        "The life to entry 12 (key 22 holds 4 lathe-a units), then key 22 transfers 5 to key 20, \
         signed by both.",
        lf(
            13,
            &[ldoc(
                Kind::BondTransfer,
                "2025-02-10",
                obj(&[
                    ("from", pk(&k[22])),
                    ("series", id("lathe-a")),
                    ("to", pk(&k[20])),
                    ("units", Value::Int(5)),
                ]),
                &[&k[20], &k[22]],
            )],
        ),
    );
    case(
        Rule::Sch3,
        "rent_one_short",
        "The life to entry 12, then lease-1 guaranteeing lathe-a only (20 units issued) with \
         rent 29,560 for instalment 1 and 29,399 from instalment 2, signed by f1, f2, f3 and \
         m4 (key 7). Service per unit: row 1 (2025-03-15) 50 + 1,428 = 1,478, row 2 \
         (2025-04-15) 42 + 1,428 = 1,470. March: rent 29,560 ≥ 20 × 1,478 = 29,560 (equal \
         covers). April: rent 29,560 + 29,399 = 58,959 < 29,560 + 20 × 1,470 = 58,960. SCH-3 \
         for 2025-04: expected 58,960, found 58,959, difference −1.",
        lf(
            13,
            &[ldoc(
                Kind::RentalAgreement,
                "2025-02-20",
                lease_body(
                    "lease-1",
                    &["lathe-a"],
                    &[(29_560, 1), (29_399, 2)],
                    &["m4"],
                ),
                &[&k[1], &k[2], &k[3], &k[7]],
            )],
        ),
    );

    // --- PAY and BAL: payments and cash
    case(
        Rule::Pay1,
        "wrong_coupon",
        "The life to entry 14, then a coupon of 301 to key 20 for lathe-a row 1 (due \
         2025-03-15). Key 20 held 6 units at the start of that day (10 bought, 4 transferred) \
         and the row's coupon is 50 per unit: exactly 300 is owed.",
        lf(
            15,
            &[ldoc(
                Kind::Payment,
                "2025-03-15",
                payment("cpn-a1-20", "coupon", 301, bond_ref(&k[20], 1, "lathe-a")),
                &[&k[1]],
            )],
        ),
    );
    case(
        Rule::Pay1,
        "expense_over_approval",
        "The life to entry 18 (approval paint: 20,000, nothing spent), then an expense of \
         20,001 against it.",
        lf(
            19,
            &[ldoc(
                Kind::Payment,
                "2025-03-21",
                payment(
                    "paint-1",
                    "expense",
                    20_001,
                    obj(&[("approval", id("paint"))]),
                ),
                &[&k[2]],
            )],
        ),
    );
    case(
        Rule::Pay2,
        "reversed_twice",
        "The life, then the payment refund-1 reversed again (entry 21 reversed it).",
        lf(
            25,
            &[ldoc(
                Kind::Reversal,
                "2025-04-25",
                obj(&[
                    ("payment", id("refund-1")),
                    ("reason", id("reversed again")),
                ]),
                &[&k[1]],
            )],
        ),
    );
    case(
        Rule::Bal1,
        "expense_exceeds_cash",
        "The life to entry 7 (cash 500,000 − 300,000 = 200,000), then an approval `roof` of \
         250,000 (f1, f2, f3) and an expense of 250,000 against it: cash would be −50,000.",
        lf(
            8,
            &[
                ldoc(
                    Kind::ExpenseApproval,
                    "2025-01-25",
                    obj(&[
                        ("amount", Value::Int(250_000)),
                        ("approval", id("roof")),
                        ("payee", id("Dachdeckerei Ost")),
                        ("purpose", id("New roof")),
                    ]),
                    &[&k[1], &k[2], &k[3]],
                ),
                ldoc(
                    Kind::Payment,
                    "2025-01-26",
                    payment(
                        "roof-1",
                        "expense",
                        250_000,
                        obj(&[("approval", id("roof"))]),
                    ),
                    &[&k[2]],
                ),
            ],
        ),
    );
}

/// Sets member `m` of row `i` of a bond series body's schedule.
fn edit_row(body: &mut Object, i: usize, m: &str, v: Value) {
    let Some(Value::Array(mut rows)) = body.remove("schedule") else {
        unreachable!("a series body")
    };
    let Value::Object(r) = &mut rows[i] else {
        unreachable!("rows are objects")
    };
    r.insert(m, v);
    body.insert("schedule", Value::Array(rows));
}

/// `s` with its last base64url character moved up by one (same decoded
/// bytes when the unused bits were zero: a second spelling).
fn bump_last_b64(s: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = s.chars().last().expect("non-empty");
    let i = ALPHABET.find(last).expect("base64url");
    let mut out = s[..s.len() - 1].to_string();
    out.push(ALPHABET.as_bytes()[(i + 1) % 64] as char);
    out
}

fn replace_first(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    replace(&mut v, from, to);
    v
}

/// A one-entry chain whose charter body has a `pad` string; returns the
/// data without the pad's characters, the offset where they go and their
/// count, so that the line with its LF is `line_len` bytes long.
fn big_charter(line_len: usize) -> (Vec<u8>, usize, usize) {
    let k1 = key(1);
    let build = |n: usize| {
        let mut body = charter_body("Long", &[&k1]);
        body.insert("pad", Value::from("a".repeat(n)));
        let commune = chain::commune_id(&body);
        let mut b = Builder::new();
        b.push(&signed(commune, Kind::Charter, "2024-01-01", body, &[&k1]));
        b.to_bytes()
    };
    // the line's length without padding; the signature's length is fixed
    let base = build(0).len();
    let n = line_len - base;
    let full = build(n);
    assert_eq!(full.len(), line_len);
    let marker = b"\"pad\":\"";
    let offset = full
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("pad")
        + marker.len();
    let mut data = full[..offset].to_vec();
    data.extend_from_slice(&full[offset + n..]);
    (data, offset, n)
}

// ---------------------------------------------------------------------------
// Tables

fn s(v: &str) -> Value {
    Value::from(v)
}

fn covers(rules: &[&str]) -> Value {
    Value::Array(rules.iter().map(|r| s(r)).collect())
}

fn row(members: Vec<(&str, Value)>) -> Value {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    Value::Object(o)
}

/// A table file: `{"description", "rows", "table"}`.
fn table(name: &str, description: &str, rows: Vec<Value>) -> Value {
    row(vec![
        ("description", s(description)),
        ("rows", Value::Array(rows)),
        ("table", s(name)),
    ])
}

/// The verdict of the strict line check (parse, then canonical form).
fn canonical_verdict(input: &[u8]) -> String {
    match canonical::parse_canonical(input) {
        Ok(_) => "accept".into(),
        Err(e) => e.rule.code().into(),
    }
}

/// canonical.json: the JSON profile and its canonical form.
fn canonical_table() -> Value {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    // (name, input, expected verdict of the strict check, covers)
    let mut inputs: Vec<(&str, Vec<u8>, &str, Vec<&str>)> = vec![
        (
            "worked_example",
            "{\"amount\":-1250,\"memo\":\"Café ☕\",\"ok\":true}".into(),
            "accept",
            vec![
                "ENC-1", "ENC-3", "ENC-4", "ENC-5", "ENC-6", "ENC-7", "ENC-8",
            ],
        ),
        (
            "utf16_member_order",
            "{\"\u{1F600}\":1,\"\u{E000}\":2}".into(),
            "accept",
            vec!["ENC-8"],
        ),
        (
            "escapes_canonical",
            b"\"\\\"\\\\\\b\\f\\n\\r\\t\\u001f\x7f/\"".to_vec(),
            "accept",
            vec!["ENC-3", "ENC-8"],
        ),
        (
            "surrogate_pair_as_utf8",
            "\"\u{1F600}\"".into(),
            "accept",
            vec!["ENC-7", "ENC-8"],
        ),
        (
            "max_int",
            b"[9007199254740991,-9007199254740991]".to_vec(),
            "accept",
            vec!["ENC-6"],
        ),
        ("depth_32", deep(32), "accept", vec!["LIM-2"]),
        (
            "scalars",
            b"[null,true,false,0,\"\",[],{}]".to_vec(),
            "accept",
            vec!["ENC-3", "ENC-8"],
        ),
        ("invalid_utf8", b"\"\xff\"".to_vec(), "ENC-1", vec!["ENC-1"]),
        (
            "overlong_utf8",
            b"\"\xc0\xaf\"".to_vec(),
            "ENC-1",
            vec!["ENC-1"],
        ),
        (
            "encoded_surrogate",
            b"\"\xed\xa0\x80\"".to_vec(),
            "ENC-1",
            vec!["ENC-1"],
        ),
        (
            "above_10ffff",
            b"\"\xf4\x90\x80\x80\"".to_vec(),
            "ENC-1",
            vec!["ENC-1"],
        ),
        (
            "utf8_before_grammar",
            b"[,\"\xff\"]".to_vec(),
            "ENC-1",
            vec!["ENC-1"],
        ),
        ("empty", Vec::new(), "ENC-3", vec!["ENC-3"]),
        ("trailing_comma", b"[1,]".to_vec(), "ENC-3", vec!["ENC-3"]),
        ("leading_zero", b"01".to_vec(), "ENC-3", vec!["ENC-3"]),
        ("plus_sign", b"+1".to_vec(), "ENC-3", vec!["ENC-3"]),
        ("single_quotes", b"'a'".to_vec(), "ENC-3", vec!["ENC-3"]),
        ("nan", b"NaN".to_vec(), "ENC-3", vec!["ENC-3"]),
        (
            "control_char",
            b"\"a\x01\"".to_vec(),
            "ENC-3",
            vec!["ENC-3"],
        ),
        ("two_values", b"1 2".to_vec(), "ENC-3", vec!["ENC-3"]),
        (
            "duplicate_name",
            b"{\"a\":1,\"a\":2}".to_vec(),
            "ENC-4",
            vec!["ENC-4"],
        ),
        (
            "duplicate_after_unescape",
            b"{\"a\":1,\"\\u0061\":2}".to_vec(),
            "ENC-4",
            vec!["ENC-4"],
        ),
        (
            "duplicate_before_bad_value",
            b"{\"a\":1,\"a\":1.5}".to_vec(),
            "ENC-4",
            vec!["ENC-4"],
        ),
        ("fraction", b"1.0".to_vec(), "ENC-5", vec!["ENC-5"]),
        (
            "minus_zero_fraction",
            b"-0.0".to_vec(),
            "ENC-5",
            vec!["ENC-5"],
        ),
        ("exponent", b"1E2".to_vec(), "ENC-5", vec!["ENC-5"]),
        (
            "fraction_out_of_range",
            b"9007199254740992.5".to_vec(),
            "ENC-5",
            vec!["ENC-5"],
        ),
        (
            "too_large",
            b"9007199254740992".to_vec(),
            "ENC-6",
            vec!["ENC-6"],
        ),
        (
            "too_small",
            b"-9007199254740992".to_vec(),
            "ENC-6",
            vec!["ENC-6"],
        ),
        (
            "many_digits",
            format!("1{}", "0".repeat(400)).into_bytes(),
            "ENC-6",
            vec!["ENC-6"],
        ),
        (
            "lone_high_surrogate",
            b"\"\\ud800\"".to_vec(),
            "ENC-7",
            vec!["ENC-7"],
        ),
        (
            "lone_low_surrogate",
            b"\"\\udc00\"".to_vec(),
            "ENC-7",
            vec!["ENC-7"],
        ),
        (
            "high_then_high",
            b"\"\\ud800\\ud800\"".to_vec(),
            "ENC-7",
            vec!["ENC-7"],
        ),
        ("whitespace", b"[1, 2]".to_vec(), "ENC-8", vec!["ENC-8"]),
        (
            "member_order",
            b"{\"b\":1,\"a\":2}".to_vec(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        (
            "utf8_member_order",
            "{\"\u{E000}\":2,\"\u{1F600}\":1}".into(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        ("minus_zero", b"-0".to_vec(), "ENC-8", vec!["ENC-8"]),
        (
            "escaped_solidus",
            b"\"\\/\"".to_vec(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        (
            "escaped_non_ascii",
            b"\"\\u00e9\"".to_vec(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        (
            "upper_hex_escape",
            b"\"\\u001F\"".to_vec(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        (
            "escaped_surrogate_pair",
            b"\"\\ud83d\\ude00\"".to_vec(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        ("depth_33", deep(33), "LIM-2", vec!["LIM-2"]),
        (
            "depth_33_objects",
            b"{\"a\":"
                .repeat(33)
                .into_iter()
                .chain(b"1".iter().copied())
                .chain(std::iter::repeat_n(b'}', 33))
                .collect(),
            "LIM-2",
            vec!["LIM-2"],
        ),
    ];
    inputs.push(("deep_unclosed", b"[".repeat(10_000), "LIM-2", vec!["LIM-2"]));
    let rows = inputs
        .into_iter()
        .map(|(name, input, expect, cov)| {
            let mut m = vec![
                ("covers", covers(&cov)),
                ("expect", s(expect)),
                ("input_hex", s(&hex(&input))),
                ("name", s(name)),
            ];
            if let Ok(t) = std::str::from_utf8(&input) {
                m.push(("input_text", s(t)));
            }
            if let Ok(v) = canonical::parse(&input) {
                let out = canonical::encode(&v);
                m.push(("canonical_hex", s(&hex(&out))));
                m.push((
                    "canonical_text",
                    s(std::str::from_utf8(&out).expect("canonical is UTF-8")),
                ));
            }
            row(m)
        })
        .collect();
    table(
        "canonical",
        "The JSON profile and canonical form (spec chapter 2). `input_hex` is the input's exact \
         bytes (`input_text` the same when they are UTF-8). `expect` is `accept` when the input \
         is a canonical JSON text, else the first rule it breaks (ENC-1, then one parse reporting \
         ENC-3..ENC-7 and LIM-2 in input order, then ENC-8). When the input parses (expect is \
         `accept` or `ENC-8`), `canonical_hex`/`canonical_text` give the canonical form of its \
         value.",
        rows,
    )
}

type HashFn = fn(&[u8]) -> Hash;

/// hashing.json: the four contexts, the commune id and document hashes.
fn hashing_table(f: &Fixture) -> Value {
    let mut rows = Vec::new();
    let contexts: [(&str, HashFn); 4] = [
        (hash::COMMUNE_CONTEXT, hash::commune_id),
        (hash::DOCUMENT_CONTEXT, hash::document),
        (hash::ENTRY_CONTEXT, hash::entry),
        (hash::TEXT_CONTEXT, hash::text),
    ];
    let inputs: [(&str, &[u8]); 3] = [
        ("empty", b""),
        ("braces", b"{}"),
        ("text", "Café ☕\n".as_bytes()),
    ];
    for (ctx, hf) in contexts {
        for (label, input) in inputs {
            rows.push(row(vec![
                ("context", s(ctx)),
                ("covers", covers(&[])),
                ("hash_hex", s(&hex(&hf(input).0))),
                ("input_hex", s(&hex(input))),
                (
                    "name",
                    s(&format!(
                        "{} / {label}",
                        ctx.trim_start_matches("commonstock v1 ")
                    )),
                ),
            ]));
        }
    }
    let body = f.docs[0].body.clone();
    let body_bytes = canonical::encode(&Value::Object(body));
    rows.push(row(vec![
        ("context", s(hash::COMMUNE_CONTEXT)),
        ("covers", covers(&[])),
        ("hash_b64", s(&hash::commune_id(&body_bytes).to_b64())),
        ("hash_hex", s(&hex(&hash::commune_id(&body_bytes).0))),
        ("input_hex", s(&hex(&body_bytes))),
        (
            "input_text",
            s(std::str::from_utf8(&body_bytes).expect("utf-8")),
        ),
        ("name", s("commune id of valid_small_commune")),
    ]));
    for (i, d) in f.docs.iter().enumerate() {
        let b = canonical::encode(&d.unsigned_value());
        rows.push(row(vec![
            ("context", s(hash::DOCUMENT_CONTEXT)),
            ("covers", covers(&[])),
            ("hash_b64", s(&d.hash().to_b64())),
            ("hash_hex", s(&hex(&d.hash().0))),
            ("input_hex", s(&hex(&b))),
            ("input_text", s(std::str::from_utf8(&b).expect("utf-8"))),
            (
                "name",
                s(&format!("document hash of valid_small_commune entry {i}")),
            ),
        ]));
    }
    for (i, l) in f.lines().iter().enumerate() {
        rows.push(row(vec![
            ("context", s(hash::ENTRY_CONTEXT)),
            ("covers", covers(&[])),
            ("hash_b64", s(&hash::entry(l).to_b64())),
            ("hash_hex", s(&hex(&hash::entry(l).0))),
            ("input_hex", s(&hex(l))),
            (
                "name",
                s(&format!("entry hash of valid_small_commune entry {i}")),
            ),
        ]));
    }
    table(
        "hashing",
        "BLAKE3 derive_key(context, input) (spec chapter 3). Each row: the context string, the \
         input bytes in hex (and as text where given), the 32-byte hash in hex (and base64url \
         where given). Includes the commune id, the document hashes and the entry hashes of \
         chains/valid_small_commune.case.",
        rows,
    )
}

fn sig_row(
    name: &str,
    key: &[u8; 32],
    msg: &[u8],
    sig: &[u8; 64],
    expect: &str,
    cov: &[&str],
    comment: &str,
) -> Value {
    row(vec![
        ("comment", s(comment)),
        ("covers", covers(cov)),
        ("expect", s(expect)),
        ("key_hex", s(&hex(key))),
        ("msg_hex", s(&hex(msg))),
        ("name", s(name)),
        ("sig_hex", s(&hex(sig))),
    ])
}

fn sig_verdict(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> String {
    match sig::verify(key, msg, sig) {
        Ok(()) => "accept".into(),
        Err(e) => e.rule().code().into(),
    }
}

/// signatures.json: Ed25519 under the pinned rule set.
fn signatures_table(f: &Fixture) -> Value {
    let (k1, k4) = (key(1), key(4));
    let doc = &f.docs[2];
    let dmsg = doc.signing_message();
    let pk = k4.public_key();
    let dsig = doc
        .sigs
        .iter()
        .find(|s| s.key == pk)
        .expect("key 4 signs entry 2")
        .sig;
    let cp = f.checkpoint(5, &[&k1]);
    let cmsg = cp.signing_message();
    let csig = cp.sigs[0].sig;
    let pk1 = k1.public_key();
    let with_r = |r: &str| {
        let mut s = dsig;
        s[..32].copy_from_slice(&h32(r));
        s
    };
    let mut flipped = dsig;
    flipped[40] ^= 1;
    let torsion = torsioned_signature(&k4, &dmsg);
    let all = ["SIG-1", "SIG-2", "SIG-3", "SIG-4", "SIG-5", "SIG-6"];
    let mut s_is_l = dsig;
    s_is_l[32..].copy_from_slice(&h32(GROUP_ORDER));
    let rows = vec![
        sig_row(
            "document_signature",
            &pk,
            &dmsg,
            &dsig,
            "accept",
            &all,
            "Key 4's signature on entry 2 of valid_small_commune: the 98-byte document signing message.",
        ),
        sig_row(
            "checkpoint_signature",
            &pk1,
            &cmsg,
            &csig,
            "accept",
            &all,
            "Key 1's cosignature of the checkpoint at size 5 of valid_small_commune: the 108-byte checkpoint signing message.",
        ),
        sig_row(
            "torsioned_r",
            &pk,
            &dmsg,
            &torsion,
            "accept",
            &all,
            "R has a component of order 8; accepted by the cofactored equation, refused by a cofactorless one.",
        ),
        sig_row(
            "document_signature_as_checkpoint",
            &pk1,
            &dmsg,
            &csig,
            "SIG-6",
            &["SIG-6"],
            "A checkpoint cosignature checked against a document signing message.",
        ),
        sig_row(
            "key_y_equals_p",
            &h32(Y_EQUALS_P),
            &dmsg,
            &dsig,
            "SIG-1",
            &["SIG-1"],
            "A = y = p.",
        ),
        sig_row(
            "key_y_p_plus_3",
            &h32(Y_P_PLUS_3),
            &dmsg,
            &dsig,
            "SIG-1",
            &["SIG-1"],
            "A = y = p + 3, decodes leniently to a large-order point.",
        ),
        sig_row(
            "key_x_minus_zero",
            &h32(X_NEG_ZERO),
            &dmsg,
            &dsig,
            "SIG-1",
            &["SIG-1"],
            "A = y = 1 with the sign bit set.",
        ),
        sig_row(
            "key_off_curve",
            &off_curve(),
            &dmsg,
            &dsig,
            "SIG-1",
            &["SIG-1"],
            "A's y gives no point.",
        ),
        sig_row(
            "key_identity",
            &h32(IDENTITY),
            &dmsg,
            &dsig,
            "SIG-2",
            &["SIG-2"],
            "A is the identity.",
        ),
        sig_row(
            "key_order_8",
            &h32(ORDER_8),
            &dmsg,
            &dsig,
            "SIG-2",
            &["SIG-2"],
            "A has order 8.",
        ),
        sig_row(
            "r_y_equals_p",
            &pk,
            &dmsg,
            &with_r(Y_EQUALS_P),
            "SIG-3",
            &["SIG-3"],
            "R = y = p.",
        ),
        sig_row(
            "r_x_minus_zero",
            &pk,
            &dmsg,
            &with_r(X_NEG_ZERO),
            "SIG-3",
            &["SIG-3"],
            "R = y = 1 with the sign bit set.",
        ),
        sig_row(
            "r_identity",
            &pk,
            &dmsg,
            &with_r(IDENTITY),
            "SIG-4",
            &["SIG-4"],
            "R is the identity.",
        ),
        sig_row(
            "r_order_8",
            &pk,
            &dmsg,
            &with_r(ORDER_8),
            "SIG-4",
            &["SIG-4"],
            "R has order 8.",
        ),
        sig_row(
            "s_plus_l",
            &pk,
            &dmsg,
            &add_l_to_s(&dsig),
            "SIG-5",
            &["SIG-5"],
            "S + L: malleated.",
        ),
        sig_row(
            "s_equals_l",
            &pk,
            &dmsg,
            &s_is_l,
            "SIG-5",
            &["SIG-5"],
            "S = L.",
        ),
        sig_row(
            "flipped_bit",
            &pk,
            &dmsg,
            &flipped,
            "SIG-6",
            &["SIG-6"],
            "One bit of S flipped.",
        ),
        sig_row(
            "key_before_r",
            &h32(IDENTITY),
            &dmsg,
            &with_r(Y_EQUALS_P),
            "SIG-2",
            &["SIG-2"],
            "Small-order A and non-canonical R: SIG-2 comes first.",
        ),
        sig_row(
            "r_before_s",
            &pk,
            &dmsg,
            &add_l_to_s(&with_r(ORDER_8)),
            "SIG-4",
            &["SIG-4"],
            "Small-order R and S ≥ L: SIG-4 comes first.",
        ),
    ];
    table(
        "signatures",
        "Ed25519 under the pinned rule set (spec chapter 4). `key_hex` (32 bytes), `msg_hex`, \
         `sig_hex` (64 bytes); `expect` is `accept` or the first rule (SIG-1..SIG-6, in that \
         order). Messages are real document and checkpoint signing messages. See also \
         test-vectors/ed25519/cctv-verdicts.json and the external vectors.",
        rows,
    )
}

/// The verdict on a document: envelope, then each signature.
fn document_verdict(text: &[u8]) -> Result<Document, String> {
    let v = canonical::parse_canonical(text).map_err(|e| e.rule.code().to_string())?;
    let d = Document::from_value(&v).map_err(|e| e.rule.code().to_string())?;
    if let Some(Err(e)) = d.verify_signatures().into_iter().find(Result::is_err) {
        return Err(e.rule().code().to_string());
    }
    Ok(d)
}

/// documents.json: the envelope, the document hash and signing message.
fn documents_table(f: &Fixture) -> Value {
    let mut rows = Vec::new();
    let text = |d: &Document| canonical::encode(&d.to_value());
    for (i, d) in f.docs.iter().enumerate() {
        let mut m = doc_row(
            &format!("valid_small_commune_entry_{i}"),
            &text(d),
            "accept",
            &[
                "DOC-1", "DOC-2", "DOC-3", "DOC-4", "ENC-9", "ENC-10", "LIM-3",
            ],
        );
        m.push(("hash_hex", s(&hex(&d.hash().0))));
        m.push(("signing_message_hex", s(&hex(&d.signing_message()))));
        rows.push(row(m));
    }
    let base = text(&f.docs[1]);
    let edit = |g: &dyn Fn(&mut Object)| {
        let mut v = canonical::parse(&base).expect("parses");
        let Value::Object(o) = &mut v else {
            unreachable!()
        };
        g(o);
        canonical::encode(&v)
    };
    let sigs_edit = |g: &dyn Fn(&mut Vec<Value>)| {
        edit(&|o: &mut Object| {
            let Some(Value::Array(mut sigs)) = o.remove("sigs") else {
                unreachable!()
            };
            g(&mut sigs);
            o.insert("sigs", Value::Array(sigs));
        })
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not_an_object", b"[]".to_vec(), "DOC-1"),
        (
            "unknown_member",
            edit(&|o| {
                o.insert("extra", Value::Null);
            }),
            "DOC-1",
        ),
        (
            "missing_body",
            edit(&|o| {
                o.remove("body");
            }),
            "DOC-1",
        ),
        (
            "unknown_before_missing",
            edit(&|o| {
                o.remove("body");
                o.insert("zzz", Value::Null);
            }),
            "DOC-1",
        ),
        (
            "commune_not_string",
            edit(&|o| {
                o.insert("commune", Value::Int(1));
            }),
            "DOC-1",
        ),
        (
            "v_not_integer",
            edit(&|o| {
                o.insert("v", s("1"));
            }),
            "DOC-1",
        ),
        (
            "type_before_version",
            edit(&|o| {
                o.insert("v", Value::Int(2));
                o.insert("sigs", Value::Null);
            }),
            "DOC-1",
        ),
        (
            "signature_not_object",
            sigs_edit(&|v| v[0] = s("x")),
            "DOC-1",
        ),
        (
            "signature_missing_sig",
            sigs_edit(&|v| {
                if let Value::Object(o) = &mut v[0] {
                    o.remove("sig");
                }
            }),
            "DOC-1",
        ),
        (
            "version_0",
            edit(&|o| {
                o.insert("v", Value::Int(0));
            }),
            "DOC-2",
        ),
        (
            "version_before_kind",
            edit(&|o| {
                o.insert("v", Value::Int(2));
                o.insert("kind", s("x"));
            }),
            "DOC-2",
        ),
        (
            "unknown_kind",
            edit(&|o| {
                o.insert("kind", s("Payment"));
            }),
            "DOC-3",
        ),
        (
            "kind_before_commune",
            edit(&|o| {
                o.insert("kind", s("x"));
                o.insert("commune", s("A"));
            }),
            "DOC-3",
        ),
        (
            "commune_short",
            edit(&|o| {
                o.insert("commune", s("AAAA"));
            }),
            "ENC-9",
        ),
        (
            "commune_standard_base64",
            edit(&|o| {
                o.insert("commune", s(&"+".repeat(43)));
            }),
            "ENC-9",
        ),
        (
            "commune_before_date",
            edit(&|o| {
                o.insert("commune", s("AAAA"));
                o.insert("date", s("2024-13-01"));
            }),
            "ENC-9",
        ),
        (
            "date_month_13",
            edit(&|o| {
                o.insert("date", s("2024-13-01"));
            }),
            "ENC-10",
        ),
        (
            "date_1900_02_29",
            edit(&|o| {
                o.insert("date", s("1900-02-29"));
            }),
            "ENC-10",
        ),
        (
            "date_year_0",
            edit(&|o| {
                o.insert("date", s("0000-01-01"));
            }),
            "ENC-10",
        ),
        (
            "date_short",
            edit(&|o| {
                o.insert("date", s("2024-3-1"));
            }),
            "ENC-10",
        ),
        (
            "key_padded",
            sigs_edit(&|v| {
                if let Value::Object(o) = &mut v[0] {
                    let k = o
                        .get("key")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    o.insert("key", s(&format!("{k}=")));
                }
            }),
            "ENC-9",
        ),
        (
            "no_signature",
            edit(&|o| {
                o.insert("sigs", Value::Array(Vec::new()));
            }),
            "DOC-4",
        ),
        ("unsorted", sigs_edit(&|v| v.swap(0, 1)), "DOC-4"),
        (
            "same_key_twice",
            sigs_edit(&|v| v[1] = v[0].clone()),
            "DOC-4",
        ),
        (
            "forged",
            sigs_edit(&|v| {
                if let Value::Object(o) = &mut v[1] {
                    let mut raw =
                        b64::decode::<64>(o.get("sig").and_then(Value::as_str).unwrap_or(""))
                            .unwrap_or([0; 64]);
                    raw[40] ^= 1;
                    o.insert("sig", s(&b64::encode(&raw)));
                }
            }),
            "SIG-6",
        ),
        (
            "bad_second_of_two",
            sigs_edit(&|v| {
                // entry 1 has three signatures: keep two, spoil the second
                v.truncate(2);
                if let Value::Object(o) = &mut v[1] {
                    o.insert("key", s(&b64::encode(&h32(Y_EQUALS_P))));
                }
            }),
            "SIG-1",
        ),
    ];
    for (name, t, expect) in cases {
        rows.push(row(doc_row(name, &t, expect, &[expect])));
    }
    table(
        "documents",
        "The document envelope (spec chapter 5). `document_text` is a document as canonical JSON. \
         `expect` is `accept` or the first rule broken, checked in the order of spec 5.1 (DOC-1, \
         DOC-2, DOC-3, ENC-9 on `commune`, ENC-10 on `date`, LIM-3, then each signature: DOC-1, \
         ENC-9, DOC-4), then each signature verified in `sigs` order (SIG-1..SIG-6). For accepted \
         documents, `hash_hex` is the document hash (spec 5.3) and `signing_message_hex` the \
         98-byte message every party signs (spec 5.4).",
        rows,
    )
}

fn doc_row<'a>(name: &str, text: &[u8], expect: &str, cov: &[&str]) -> Vec<(&'a str, Value)> {
    vec![
        ("covers", covers(cov)),
        (
            "document_text",
            s(std::str::from_utf8(text).expect("utf-8")),
        ),
        ("expect", s(expect)),
        ("name", s(name)),
    ]
}

/// The verdict on a checkpoint file: parse (CKP-1, CKP-2, ENC-9, LIM-3),
/// then its signatures.
fn checkpoint_verdict(bytes: &[u8]) -> Result<Checkpoint, String> {
    let cp = Checkpoint::parse(bytes).map_err(|e| e.rule.code().to_string())?;
    cp.verify_signatures()
        .map_err(|e| e.rule.code().to_string())?;
    Ok(cp)
}

/// checkpoints.json.
fn checkpoints_table(f: &Fixture) -> Value {
    let (k1, k2) = (key(1), key(2));
    let good = f.checkpoint(5, &[&k1, &k2]);
    let base = good.to_bytes();
    let edit = |g: &dyn Fn(&mut Object)| {
        let mut v = canonical::parse(&base).expect("parses");
        let Value::Object(o) = &mut v else {
            unreachable!()
        };
        g(o);
        let mut b = canonical::encode(&v);
        b.push(b'\n');
        b
    };
    let mut forged = good.clone();
    forged.sigs[1].sig[40] ^= 1;
    let mut doc_sig = good.clone();
    doc_sig.sigs = vec![f.docs[3].sigs[0]];
    let cases: Vec<(&str, Vec<u8>, &str, Vec<&str>)> = vec![
        (
            "size_5_two_cosigners",
            base.clone(),
            "accept",
            vec!["CKP-1", "CKP-2", "SIG-6"],
        ),
        (
            "size_1",
            f.checkpoint(1, &[&key(3)]).to_bytes(),
            "accept",
            vec!["CKP-1", "CKP-2"],
        ),
        (
            "no_final_lf",
            base[..base.len() - 1].to_vec(),
            "ENC-2",
            vec!["ENC-2"],
        ),
        (
            "not_canonical",
            String::from_utf8(base.clone())
                .expect("utf-8")
                .replacen(':', ": ", 1)
                .into_bytes(),
            "ENC-8",
            vec!["ENC-8"],
        ),
        ("not_an_object", b"[]\n".to_vec(), "CKP-1", vec!["CKP-1"]),
        (
            "unknown_member",
            edit(&|o| {
                o.insert("time", Value::Int(0));
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "missing_head",
            edit(&|o| {
                o.remove("head");
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "size_not_integer",
            edit(&|o| {
                o.insert("size", s("5"));
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "version_2",
            edit(&|o| {
                o.insert("v", Value::Int(2));
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "size_0",
            edit(&|o| {
                o.insert("size", Value::Int(0));
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "signature_not_object",
            edit(&|o| {
                o.insert("sigs", Value::Array(vec![Value::Int(1)]));
            }),
            "CKP-1",
            vec!["CKP-1"],
        ),
        (
            "head_padded",
            edit(&|o| {
                let h = o
                    .get("head")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                o.insert("head", s(&format!("{h}=")));
            }),
            "ENC-9",
            vec!["ENC-9"],
        ),
        (
            "no_signature",
            edit(&|o| {
                o.insert("sigs", Value::Array(Vec::new()));
            }),
            "CKP-2",
            vec!["CKP-2"],
        ),
        (
            "unsorted",
            edit(&|o| {
                let Some(Value::Array(mut v)) = o.remove("sigs") else {
                    unreachable!()
                };
                v.swap(0, 1);
                o.insert("sigs", Value::Array(v));
            }),
            "CKP-2",
            vec!["CKP-2"],
        ),
        (
            "same_key_twice",
            edit(&|o| {
                let Some(Value::Array(mut v)) = o.remove("sigs") else {
                    unreachable!()
                };
                v[1] = v[0].clone();
                o.insert("sigs", Value::Array(v));
            }),
            "CKP-2",
            vec!["CKP-2"],
        ),
        ("forged_second", forged.to_bytes(), "SIG-6", vec!["SIG-6"]),
        (
            "document_signature",
            doc_sig.to_bytes(),
            "SIG-6",
            vec!["SIG-6"],
        ),
    ];
    let rows = cases
        .into_iter()
        .map(|(name, b, expect, cov)| {
            let mut m = vec![
                (
                    "checkpoint_text",
                    s(&String::from_utf8(b.clone()).expect("utf-8")),
                ),
                ("covers", covers(&cov)),
                ("expect", s(expect)),
                ("name", s(name)),
            ];
            if expect == "accept" {
                let cp = Checkpoint::parse(&b).expect("accepted");
                m.push(("signing_message_hex", s(&hex(&cp.signing_message()))));
            }
            row(m)
        })
        .collect();
    table(
        "checkpoints",
        "Checkpoint files (spec 7.1, 7.2). `checkpoint_text` is the file's exact content (one \
         line and LF). `expect` is `accept` or the first rule broken: the line's encoding (as a \
         chain line: ENC-2 for a missing LF, ENC-1..ENC-8, LIM-2), then CKP-1 in the order of \
         spec 7.1, ENC-9 on `commune` and `head`, LIM-3 and CKP-2 on `sigs`, then each \
         cosignature in order (SIG-1..SIG-6). `signing_message_hex` is the 108-byte message a \
         cosigner signs. Agreement with a chain (CKP-3) is tested by chain cases with a \
         `checkpoint:` header.",
        rows,
    )
}

fn fork_verdict(bytes: &[u8]) -> Result<(), String> {
    let p = ForkProof::parse(bytes).map_err(|e| e.rule.code().to_string())?;
    p.verify().map_err(|e| e.rule.code().to_string())
}

/// fork-proofs.json.
fn fork_table(f: &Fixture) -> Value {
    let (k1, k2) = (key(1), key(2));
    // another history of the same commune after entry 2
    let mut alt = Builder::new();
    for d in &f.docs[..3] {
        alt.push(d);
    }
    let d3 = signed(
        f.commune,
        Kind::Payment,
        "2024-12-31",
        income("p4", 1, "the other story"),
        &[&k1],
    );
    alt.push(&d3);
    let a = f.checkpoint(5, &[&k1]);
    let mut b = Checkpoint::new(f.commune, 4, alt.head());
    b.sign(&k2).expect("sign");
    let proof =
        |a: &Checkpoint, b: &Checkpoint, position: u64, ea: Vec<Vec<u8>>, eb: Vec<Vec<u8>>| {
            ForkProof {
                a: a.clone(),
                b: b.clone(),
                position,
                entries_a: ea,
                entries_b: eb,
            }
            .to_bytes()
            .expect("entries are JSON")
        };
    let la = f.lines();
    let lb = alt.lines().to_vec();
    let runs = proof(&a, &b, 3, la[3..5].to_vec(), lb[3..4].to_vec());
    let mut b_same_size = Checkpoint::new(f.commune, 5, hash::entry(b"a different entry 4"));
    b_same_size.sign(&k2).expect("sign");
    let heads = proof(&a, &b_same_size, 0, Vec::new(), Vec::new());
    let edit = |base: &[u8], g: &dyn Fn(&mut Object)| {
        let mut v = canonical::parse(&base[..base.len() - 1]).expect("parses");
        let Value::Object(o) = &mut v else {
            unreachable!()
        };
        g(o);
        let mut out = canonical::encode(&v);
        out.push(b'\n');
        out
    };
    let mut forged_b = b.clone();
    forged_b.sigs[0].sig[40] ^= 1;
    let other = Fixture::named("Another commune");
    let b_other = other.checkpoint(4, &[&k2]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("runs_from_position_3", runs.clone(), "accept"),
        ("same_size_different_heads", heads.clone(), "accept"),
        ("not_an_object", b"[]\n".to_vec(), "FRK-1"),
        (
            "missing_position",
            edit(&runs, &|o| {
                o.remove("position");
            }),
            "FRK-1",
        ),
        (
            "unknown_member",
            edit(&runs, &|o| {
                o.insert("note", Value::Null);
            }),
            "FRK-1",
        ),
        (
            "version_2",
            edit(&runs, &|o| {
                o.insert("v", Value::Int(2));
            }),
            "FRK-1",
        ),
        (
            "negative_position",
            edit(&runs, &|o| {
                o.insert("position", Value::Int(-1));
            }),
            "FRK-1",
        ),
        (
            "entries_not_array",
            edit(&runs, &|o| {
                o.insert("entries_a", Value::Null);
            }),
            "FRK-1",
        ),
        (
            "entry_not_object",
            edit(&runs, &|o| {
                o.insert("entries_b", Value::Array(vec![Value::Int(3)]));
            }),
            "FRK-1",
        ),
        (
            "checkpoint_a_malformed",
            edit(&runs, &|o| {
                if let Some(Value::Object(a)) = o.remove("a") {
                    let mut a = a;
                    a.insert("size", Value::Int(0));
                    o.insert("a", Value::Object(a));
                }
            }),
            "CKP-1",
        ),
        (
            "forged_cosignature_b",
            proof(&a, &forged_b, 3, la[3..5].to_vec(), lb[3..4].to_vec()),
            "SIG-6",
        ),
        (
            "two_communes",
            proof(&a, &b_other, 0, Vec::new(), Vec::new()),
            "FRK-2",
        ),
        (
            "agreeing_heads",
            proof(&a, &a, 0, Vec::new(), Vec::new()),
            "FRK-2",
        ),
        (
            "sizes_differ_without_entries",
            proof(&a, &b, 0, Vec::new(), Vec::new()),
            "FRK-2",
        ),
        (
            "run_too_short",
            proof(&a, &b, 3, la[3..4].to_vec(), lb[3..4].to_vec()),
            "FRK-2",
        ),
        (
            "run_not_linked",
            proof(
                &a,
                &b,
                2,
                vec![la[2].clone(), la[4].clone(), la[4].clone()],
                lb[2..4].to_vec(),
            ),
            "FRK-2",
        ),
        (
            "runs_agree_at_position",
            proof(&a, &b, 2, la[2..5].to_vec(), lb[2..4].to_vec()),
            "FRK-2",
        ),
        (
            "run_entry_broken",
            proof(
                &a,
                &b,
                3,
                vec![la[3].clone(), {
                    let mut l = la[4].clone();
                    edit_doc(&mut l, |d| {
                        d.insert("kind", s("gift"));
                    });
                    l
                }],
                lb[3..4].to_vec(),
            ),
            "DOC-3",
        ),
    ];
    let rows = cases
        .into_iter()
        .map(|(name, b, expect)| {
            let cov: Vec<&str> = match expect {
                "accept" => vec!["FRK-1", "FRK-2"],
                e => vec![e],
            };
            row(vec![
                ("covers", covers(&cov)),
                ("expect", s(expect)),
                ("name", s(name)),
                ("proof_text", s(&String::from_utf8(b).expect("utf-8"))),
            ])
        })
        .collect();
    table(
        "fork-proofs",
        "Fork proof files (spec 7.4). `proof_text` is the file's exact content (one line and LF). \
         `expect` is `accept` when the file is a valid fork proof, else the first rule broken: \
         the line's encoding, FRK-1 (members, `v`, `position`, then `a` and `b` as checkpoints \
         with their own rules CKP-1, CKP-2, ENC-9, then the entry arrays), then FRK-2 in the \
         order of spec 7.4 (signatures of `a` then `b` with SIG-1..SIG-6, one commune, then the \
         runs, whose entries report their own rules).",
        rows,
    )
}

// ---------------------------------------------------------------------------
// Files

/// Pretty but byte-stable JSON: a top-level object with one member per line
/// and, for arrays, one canonical element per line.
pub fn layout(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Value::Object(o) = v else {
        out = canonical::encode(v);
        out.push(b'\n');
        return out;
    };
    out.extend_from_slice(b"{\n");
    let n = o.len();
    for (i, (k, v)) in o.iter().enumerate() {
        out.extend_from_slice(b"  ");
        out.extend_from_slice(&canonical::encode(&Value::from(k)));
        out.push(b':');
        match v {
            Value::Array(items) if !items.is_empty() => {
                out.extend_from_slice(b"[\n");
                for (j, item) in items.iter().enumerate() {
                    out.extend_from_slice(b"    ");
                    out.extend_from_slice(&canonical::encode(item));
                    if j + 1 < items.len() {
                        out.push(b',');
                    }
                    out.push(b'\n');
                }
                out.extend_from_slice(b"  ]");
            }
            _ => out.extend_from_slice(&canonical::encode(v)),
        }
        if i + 1 < n {
            out.push(b',');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"}\n");
    out
}

/// Every table: (file name, layer, table).
pub fn tables() -> Vec<(&'static str, &'static str, Value)> {
    let f = Fixture::new();
    vec![
        ("canonical.json", "encoding", canonical_table()),
        ("hashing.json", "hashing", hashing_table(&f)),
        ("signatures.json", "signatures", signatures_table(&f)),
        ("documents.json", "documents", documents_table(&f)),
        ("checkpoints.json", "checkpoints", checkpoints_table(&f)),
        ("fork-proofs.json", "fork-proofs", fork_table(&f)),
        ("dividends.json", "dividends", dividend_cases::table()),
    ]
}

/// Every generated file: paths relative to `test-vectors/` and bytes.
/// Pure and deterministic.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    let cases = chain_cases();
    let tables = tables();
    let mut files = Vec::new();
    let mut case_list = Vec::new();
    for c in &cases {
        let path = format!("chains/{}.case", c.name);
        let mut m = vec![
            (
                "covers",
                Value::Array(c.covers.iter().map(|r| s(r)).collect()),
            ),
            (
                "expect",
                s(if c.expect == Expect::Valid {
                    "valid"
                } else {
                    "invalid"
                }),
            ),
            ("file", s(&path)),
            ("layer", s(c.layer())),
            ("name", s(&c.name)),
        ];
        if let Expect::Invalid { rule, entry } = &c.expect {
            m.push(("rule", s(rule)));
            m.push(("entry", entry.map_or(Value::Null, |e| Value::Int(e as i64))));
        }
        case_list.push(row(m));
        files.push((path, c.to_bytes()));
    }
    let mut table_list = Vec::new();
    for (name, layer, t) in &tables {
        let path = format!("tables/{name}");
        let rows = t
            .as_object()
            .and_then(|o| o.get("rows"))
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        let summary = rows
            .iter()
            .filter_map(Value::as_object)
            .map(|r| {
                row(vec![
                    (
                        "covers",
                        r.get("covers").cloned().unwrap_or(Value::Array(Vec::new())),
                    ),
                    ("expect", r.get("expect").cloned().unwrap_or(s("value"))),
                    ("name", r.get("name").cloned().unwrap_or(Value::Null)),
                ])
            })
            .collect();
        table_list.push(row(vec![
            ("file", s(&path)),
            ("layer", s(layer)),
            ("rows", Value::Array(summary)),
        ]));
        files.push((path, layout(t)));
    }
    let manifest = row(vec![
        ("cases", Value::Array(case_list)),
        ("protocol_version", Value::Int(1)),
        (
            "rules",
            Value::Array(Rule::ALL.iter().map(|r| s(r.code())).collect()),
        ),
        ("schema", s(MANIFEST_SCHEMA)),
        ("tables", Value::Array(table_list)),
    ]);
    files.push(("manifest.json".into(), layout(&manifest)));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

// ---------------------------------------------------------------------------
// Checking against the library (used by the test suite)

/// What our own audit concludes about a case.
/// The dividend table our library computes for a case (the canonical JSON
/// of the report's `dividends`).
pub fn library_dividends(case: &Case) -> Result<Vec<u8>, String> {
    let chain = case.chain();
    let report = audit::audit(&chain[..], &audit::Options::default()).map_err(|e| e.to_string())?;
    Ok(report_dividends(&report.to_value()))
}

/// The canonical JSON of a report's `dividends` member (`[]` when absent).
fn report_dividends(report: &Value) -> Vec<u8> {
    let d = report
        .as_object()
        .and_then(|o| o.get("dividends"))
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    canonical::encode(&d)
}

pub fn library_verdict(case: &Case) -> Result<Expect, String> {
    let mut options = audit::Options::default();
    for cp in &case.checkpoints {
        let mut b = cp.clone();
        b.push(b'\n');
        options
            .checkpoints
            .push(Checkpoint::parse(&b).map_err(|e| format!("checkpoint: {e}"))?);
    }
    let chain = case.chain();
    let report = audit::audit(&chain[..], &options).map_err(|e| e.to_string())?;
    Ok(match report.findings.first() {
        None => Expect::Valid,
        Some(f) => Expect::Invalid {
            rule: f.rule.code().to_string(),
            entry: f.entry,
        },
    })
}

/// Checks one table row against the library: the verdict and every
/// computed value. `Err` says what differs.
pub fn check_row(table: &str, r: &Object) -> Result<(), String> {
    let get = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .ok_or(format!("row without {k}"))
    };
    let bytes = |k: &str| get(k).and_then(|h| unhex(h).ok_or(format!("{k} is not hex")));
    let expect = |got: String| -> Result<(), String> {
        let want = get("expect")?;
        if got == want {
            Ok(())
        } else {
            Err(format!("expected {want}, library says {got}"))
        }
    };
    let same = |k: &str, got: String| -> Result<(), String> {
        match r.get(k).and_then(Value::as_str) {
            Some(want) if want != got => {
                Err(format!("{k}: row has {want}, library computes {got}"))
            }
            _ => Ok(()),
        }
    };
    match table {
        "dividends" => dividend_cases::check_row(r),
        "canonical" => {
            let input = bytes("input_hex")?;
            if let Some(t) = r.get("input_text").and_then(Value::as_str)
                && t.as_bytes() != input
            {
                return Err("input_text differs from input_hex".into());
            }
            expect(canonical_verdict(&input))?;
            match canonical::parse(&input) {
                Ok(v) => same("canonical_hex", hex(&canonical::encode(&v))),
                Err(_) if r.get("canonical_hex").is_some() => {
                    Err("canonical_hex for an input that does not parse".into())
                }
                Err(_) => Ok(()),
            }
        }
        "hashing" => {
            let input = bytes("input_hex")?;
            let h = match get("context")? {
                hash::COMMUNE_CONTEXT => hash::commune_id(&input),
                hash::DOCUMENT_CONTEXT => hash::document(&input),
                hash::ENTRY_CONTEXT => hash::entry(&input),
                hash::TEXT_CONTEXT => hash::text(&input),
                c => return Err(format!("unknown context {c}")),
            };
            if h.0 != blake3::derive_key(get("context")?, &input) {
                return Err("hash module differs from BLAKE3 derive_key".into());
            }
            same("hash_hex", hex(&h.0))?;
            same("hash_b64", h.to_b64())
        }
        "signatures" => {
            let key: [u8; 32] = bytes("key_hex")?
                .try_into()
                .map_err(|_| "key is not 32 bytes")?;
            let sg: [u8; 64] = bytes("sig_hex")?
                .try_into()
                .map_err(|_| "sig is not 64 bytes")?;
            let msg = bytes("msg_hex")?;
            expect(sig_verdict(&key, &msg, &sg))?;
            let batch = sig::verify_batch(&[sig::Item {
                key: &key,
                msg: &msg,
                sig: &sg,
            }]);
            if batch[0] != sig::verify(&key, &msg, &sg) {
                return Err("batch and single verdicts differ".into());
            }
            Ok(())
        }
        "documents" => {
            let text = get("document_text")?;
            match document_verdict(text.as_bytes()) {
                Ok(d) => {
                    expect("accept".into())?;
                    same("hash_hex", hex(&d.hash().0))?;
                    same("signing_message_hex", hex(&d.signing_message()))
                }
                Err(rule) => expect(rule),
            }
        }
        "checkpoints" => match checkpoint_verdict(get("checkpoint_text")?.as_bytes()) {
            Ok(cp) => {
                expect("accept".into())?;
                same("signing_message_hex", hex(&cp.signing_message()))
            }
            Err(rule) => expect(rule),
        },
        "fork-proofs" => expect(match fork_verdict(get("proof_text")?.as_bytes()) {
            Ok(()) => "accept".into(),
            Err(rule) => rule,
        }),
        t => Err(format!("unknown table {t}")),
    }
}

// ---------------------------------------------------------------------------
// The runner

/// What an adapter said about a case, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Verdict(Expect),
    Error(String),
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub name: String,
    pub expected: Expect,
    pub answer: Answer,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.answer == Answer::Verdict(self.expected.clone())
    }

    /// `ok   NAME` or `FAIL NAME: expected …, got …`.
    pub fn line(&self) -> String {
        if self.passed() {
            return format!("ok   {}", self.name);
        }
        let got = match &self.answer {
            Answer::Verdict(v) => v.describe(),
            Answer::Error(e) => format!("adapter error: {e}"),
        };
        format!(
            "FAIL {}: expected {}, got {got}",
            self.name,
            self.expected.describe()
        )
    }
}

/// The results of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub outcomes: Vec<Outcome>,
}

impl RunReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// One line per case, then `N passed, M failed`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for o in &self.outcomes {
            s.push_str(&o.line());
            s.push('\n');
        }
        let _ = writeln!(s, "{} passed, {} failed", self.passed(), self.failed());
        s
    }

    /// The `--json` report.
    pub fn to_value(&self) -> Value {
        let verdict = |e: &Expect| match e {
            Expect::Valid => row(vec![("valid", Value::Bool(true))]),
            Expect::Invalid { rule, entry } => row(vec![
                ("entry", entry.map_or(Value::Null, |e| Value::Int(e as i64))),
                ("rule", s(rule)),
                ("valid", Value::Bool(false)),
            ]),
        };
        let cases = self
            .outcomes
            .iter()
            .map(|o| {
                let mut m = vec![
                    ("expected", verdict(&o.expected)),
                    ("name", s(&o.name)),
                    ("passed", Value::Bool(o.passed())),
                ];
                match &o.answer {
                    Answer::Verdict(v) => m.push(("got", verdict(v))),
                    Answer::Error(e) => m.push(("error", s(e))),
                }
                row(m)
            })
            .collect();
        row(vec![
            ("cases", Value::Array(cases)),
            ("failed", Value::Int(self.failed() as i64)),
            ("passed", Value::Int(self.passed() as i64)),
            ("schema", s(REPORT_SCHEMA)),
        ])
    }
}

/// Reads every `chains/*.case` under `vectors`, sorted by name.
pub fn load_cases(vectors: &Path) -> io::Result<Vec<Case>> {
    let dir = vectors.join("chains");
    let mut names: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|(name, p)| {
            let b = std::fs::read(&p)?;
            Case::parse(&name, &b).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", p.display()))
            })
        })
        .collect()
}

/// Reads an adapter's report (spec 9.3): `schema`, `valid`, and the first
/// finding's `rule` and `entry`.
pub fn parse_report(stdout: &[u8]) -> Result<Expect, String> {
    let v = canonical::parse(stdout)
        .map_err(|e| format!("stdout is not a JSON text in the profile: {e}"))?;
    let o = v.as_object().ok_or("the report is not an object")?;
    match o.get("schema").and_then(Value::as_str) {
        Some(audit::REPORT_SCHEMA) => {}
        other => return Err(format!("unknown report schema {other:?}")),
    }
    let valid = o
        .get("valid")
        .and_then(Value::as_bool)
        .ok_or("`valid` is not a boolean")?;
    let findings = o
        .get("findings")
        .and_then(Value::as_array)
        .ok_or("`findings` is not an array")?;
    match (valid, findings.first()) {
        (true, None) => Ok(Expect::Valid),
        (true, Some(_)) => Err("valid, yet with findings".into()),
        (false, None) => Err("invalid, yet without findings".into()),
        (false, Some(f)) => {
            let f = f.as_object().ok_or("a finding is not an object")?;
            let rule = f
                .get("rule")
                .and_then(Value::as_str)
                .ok_or("the finding has no `rule` string")?;
            let entry = match f.get("entry") {
                Some(Value::Null) => None,
                Some(Value::Int(n)) if *n >= 0 => Some(*n as u64),
                _ => {
                    return Err(
                        "the finding's `entry` is neither a non-negative integer nor null".into(),
                    );
                }
            };
            Ok(Expect::Invalid {
                rule: rule.to_string(),
                entry,
            })
        }
    }
}

/// A fresh, empty working directory under the system temporary directory.
fn work_dir() -> io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!(
            "commonstock-conformance-{}-{n}",
            std::process::id()
        ));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Runs the adapter `cmd` on one case in `dir`.
pub fn run_case(cmd: &str, case: &Case, dir: &Path) -> io::Result<Outcome> {
    let chain = dir.join(format!("{}.jsonl", case.name));
    std::fs::write(&chain, case.chain())?;
    let mut args: Vec<PathBuf> = Vec::new();
    for (i, cp) in case.checkpoints.iter().enumerate() {
        let p = dir.join(format!("{}.{i}.checkpoint", case.name));
        let mut b = cp.clone();
        b.push(b'\n');
        std::fs::write(&p, b)?;
        args.push("--checkpoint".into());
        args.push(p);
    }
    args.push(chain.clone());
    let (mut answer, stdout) = invoke(cmd, &args);
    // A case with a dividend table passes only if the report carries it.
    if let (Some(want), Answer::Verdict(_)) = (&case.dividends, &answer) {
        let got = canonical::parse(&stdout)
            .map(|v| report_dividends(&v))
            .unwrap_or_default();
        if &got != want {
            answer = Answer::Error(format!(
                "the dividend table differs: {}",
                first_difference(want, &got)
            ));
        }
    }
    let _ = std::fs::remove_file(&chain);
    for a in args
        .iter()
        .filter(|a| a.extension().is_some_and(|x| x == "checkpoint"))
    {
        let _ = std::fs::remove_file(a);
    }
    Ok(Outcome {
        name: case.name.clone(),
        expected: case.expect.clone(),
        answer,
    })
}

/// Where two dividend tables (canonical JSON arrays of closes) first differ.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let (Ok(w), Ok(g)) = (canonical::parse(want), canonical::parse(got)) else {
        return "the report's `dividends` is missing or not JSON".into();
    };
    let (w, g) = (
        w.as_array().unwrap_or(&[]).to_vec(),
        g.as_array().unwrap_or(&[]).to_vec(),
    );
    for (i, (a, b)) in w.iter().zip(&g).enumerate() {
        if a == b {
            continue;
        }
        let period = a
            .as_object()
            .and_then(|o| o.get("period"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        if let (Some(ao), Some(bo)) = (a.as_object(), b.as_object()) {
            for (k, av) in ao.iter() {
                if bo.get(k) != Some(av) {
                    let show = |v: Option<&Value>| {
                        v.map_or("nothing".to_string(), |v| {
                            String::from_utf8_lossy(&canonical::encode(v)).into_owned()
                        })
                    };
                    return format!(
                        "close {i} ({period}), `{k}`: expected {}, got {}",
                        show(Some(av)),
                        show(bo.get(k))
                    );
                }
            }
        }
        return format!("close {i} ({period})");
    }
    format!("expected {} closes, got {}", w.len(), g.len())
}

/// `sh -c 'CMD "$@"' conformance ARGS…`, its report read from stdout.
fn invoke(cmd: &str, args: &[PathBuf]) -> (Answer, Vec<u8>) {
    let answer = invoke_raw(cmd, args);
    match answer {
        Ok((a, out)) => (a, out),
        Err(a) => (a, Vec::new()),
    }
}

fn invoke_raw(cmd: &str, args: &[PathBuf]) -> Result<(Answer, Vec<u8>), Answer> {
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$@\""))
        .arg("conformance")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Err(Answer::Error(format!("cannot start sh: {e}"))),
    };
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = stdout.read_to_end(&mut buf);
        r.map(|_| buf)
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() >= TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Answer::Error(format!(
                    "no answer within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Answer::Error(format!("waiting for the adapter: {e}"))),
        }
    };
    let out = match reader.join() {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return Err(Answer::Error(format!("reading stdout: {e}"))),
        Err(_) => return Err(Answer::Error("reading stdout failed".into())),
    };
    match status.code() {
        Some(0 | 1) => {}
        Some(c) => return Err(Answer::Error(format!("exit status {c}"))),
        None => return Err(Answer::Error("killed by a signal".into())),
    }
    match parse_report(&out) {
        Ok(v) => Ok((Answer::Verdict(v), out)),
        Err(e) => Err(Answer::Error(e)),
    }
}

/// Runs the adapter `cmd` over every chain case under `vectors`. `Err` only
/// when the vectors cannot be read or the working directory not written.
pub fn run(cmd: &str, vectors: &Path, mut progress: impl FnMut(&Outcome)) -> io::Result<RunReport> {
    let cases = load_cases(vectors)?;
    if cases.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no case in {}", vectors.join("chains").display()),
        ));
    }
    let dir = work_dir()?;
    let mut report = RunReport::default();
    let result = (|| {
        for c in &cases {
            let o = run_case(cmd, c, &dir)?;
            progress(&o);
            report.outcomes.push(o);
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|()| report)
}

/// A case's rule ids as [`Rule`]s (ids this crate does not know are
/// skipped).
pub fn rules_of(ids: &[String]) -> Vec<Rule> {
    ids.iter().filter_map(|c| Rule::from_code(c)).collect()
}
