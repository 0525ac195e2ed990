//! The builder the cases are written in: fixed keys, bodies, signed
//! documents, the [`Fixture`] chain most cases edit, line edits, the
//! curve points of spec chapter 4, and the JSON rows of the tables.
//!
//! # Adding cases
//!
//! A case states what a conforming auditor must conclude; the author writes
//! the expectation, never the audit (the test suite then checks that the
//! library agrees). Most cases are one call on a [`Gen`]:
//!
//! ```ignore
//! let f = Fixture::new(); // five sound entries, keys 1 to 4
//! g.broken(&f, Rule::Chn3, "wrong_prev", 4, "Entry 4's prev is entry 2's hash.", &|l| {
//!     set_entry(l, "prev", s(&hash::entry(&f.lines()[2]).to_b64()))
//! });
//! let d = signed(f.commune, Kind::Payment, "2025-01-01", income("p4", 0, "x"), &[&key(1)]);
//! g.invalid(Rule::Com3, "zero_amount", Some(5), "An income of 0.", f.with(&d));
//! g.valid("small_commune", &[Rule::Chn3], "The fixture.", f.bytes()).checkpoint(&cp);
//! ```
//!
//! [`Gen::valid`] names a case `valid_<short>`, [`Gen::invalid`] and
//! [`Gen::broken`] `<RULE>_<short>` (file `chains/<name>.case`); a name used
//! twice panics. Many alike cases read best as a table of rows and one loop
//! (see `LINE_EDITS` in `chains.rs`).
//!
//! A new file of cases is a module with one hook, registered by one line in
//! the `case_files!` list of `mod.rs`:
//!
//! ```ignore
//! // src/conformance/collateral.rs
//! use super::build::{Fixture, Gen, key, income, signed};
//! pub(crate) fn cases(g: &mut Gen) { /* g.valid(…); g.invalid(…); */ }
//! ```
//!
//! Then `cargo run --example gen_vectors` writes the new `.case` files and
//! the manifest, and `cargo test --test conformance` checks them against the
//! library and the coverage of every rule (spec/conformance.md).
//!
//! Everything is deterministic: keys come from `SecretKey::from_seed`, dates
//! are literals, Ed25519 signing is deterministic, objects are kept in
//! canonical order and nothing iterates a hash map.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use super::case::{Case, Expect, unhex};
use crate::commune;
use crate::protocol::b64;
use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::protocol::sig::{self, SecretKey};

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
        let covers = covers.iter().map(|r| r.code().to_string()).collect();
        self.push(
            format!("valid_{short}"),
            Expect::Valid,
            covers,
            comment,
            data,
        )
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
        let code = rule.code().to_string();
        let expect = Expect::Invalid {
            rule: code.clone(),
            entry,
        };
        self.push(format!("{code}_{short}"), expect, vec![code], comment, data)
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

    fn push(
        &mut self,
        name: String,
        expect: Expect,
        covers: Vec<String>,
        comment: &str,
        data: Vec<u8>,
    ) -> &mut Case {
        assert!(
            self.cases.iter().all(|x| x.name != name),
            "two cases named {name}"
        );
        self.cases.push(Case {
            name,
            expect,
            covers,
            checkpoints: Vec::new(),
            expand: None,
            comments: vec![comment.to_string()],
            dividends: None,
            data,
        });
        self.cases.last_mut().expect("just pushed")
    }
}

/// A key from a fixed seed: `SecretKey::from_seed([n; 32])`.
pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

pub(crate) fn date(s: &str) -> Date {
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
        let mut f = Self::of(commune, Vec::new());
        f.push(Kind::Charter, "2024-02-29", body, &[&k1, &k2, &k3]);
        let zoe = obj(&[("key", pk(&k4)), ("member", s("zoe"))]);
        f.push(Kind::Admission, "2024-03-01", zoe, &[&k1, &k2, &k4]);
        let p1 = income("p1", 1250, "Zoë: lathe hire, March");
        f.push(Kind::Payment, "2024-03-01", p1, &[&k1, &k4]);
        let p2 = income("p2", 9_007_199_254_740_991, "largest integer");
        f.push(Kind::Payment, "2024-12-31", p2, &[&k1]);
        let p3 = income("p3", 1, "quote \" backslash \\ tab \t end");
        f.push(Kind::Payment, "2025-01-01", p3, &[&k2, &k3]);
        f
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

/// An edit of one entry line (a row of a case table).
pub type LineEdit = fn(&mut Vec<u8>);

/// Sets member `m` of a line's entry object.
pub fn set_entry(line: &mut Vec<u8>, m: &str, v: Value) {
    edit_entry(line, |e| {
        e.insert(m, v);
    });
}

/// Sets member `m` of a line's document.
pub fn set_doc(line: &mut Vec<u8>, m: &str, v: Value) {
    edit_doc(line, |d| {
        d.insert(m, v);
    });
}

/// Edits the array member `m` of an object.
pub fn edit_array(o: &mut Object, m: &str, f: impl FnOnce(&mut Vec<Value>)) {
    let Some(Value::Array(mut items)) = o.remove(m) else {
        unreachable!("{m} is an array")
    };
    f(&mut items);
    o.insert(m, Value::Array(items));
}

/// Edits the `sigs` array of a line's document.
pub fn edit_sigs(line: &mut Vec<u8>, f: impl FnOnce(&mut Vec<Value>)) {
    edit_doc(line, |d| edit_array(d, "sigs", f));
}

/// Edits signature object `i` of a line's document.
pub fn edit_sig(line: &mut Vec<u8>, i: usize, f: impl FnOnce(&mut Object)) {
    edit_sigs(line, |sigs| {
        let Value::Object(s) = &mut sigs[i] else {
            unreachable!("signatures are objects")
        };
        f(s);
    });
}

/// Replaces string member `m` of `o` by `f` of it.
pub fn map_str(o: &mut Object, m: &str, f: impl FnOnce(&str) -> String) {
    let v = f(o.get(m).and_then(Value::as_str).unwrap_or(""));
    o.insert(m, Value::from(v));
}

/// A 32-byte string from hex (for the fixed encodings of spec chapter 4).
pub(crate) fn h32(s: &str) -> [u8; 32] {
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

/// The terms of a bond series (spec 10.3.7); [`Series::body`] adds the
/// schedule as the rules compute it.
pub(crate) struct Series<'a> {
    pub id: &'a str,
    pub asset: &'a str,
    pub linear: bool,
    pub face: i64,
    pub payments: i64,
    pub rate_bps: i64,
    pub first_due: &'a str,
    pub units: i64,
    /// The text whose hash the body names.
    pub text: &'a str,
}

impl Series<'_> {
    /// The schedule rows (spec 10.3.7).
    pub(crate) fn rows(&self) -> Vec<commune::Row> {
        let (linear, face, n, rate) = (self.linear, self.face, self.payments, self.rate_bps);
        commune::schedule(linear, face, n, rate, date(self.first_due))
    }

    /// The `bond_series` body.
    pub(crate) fn body(&self) -> Object {
        let rows = self.rows().into_iter().map(|r| {
            let due = Value::from(r.due.to_string());
            let (coupon, principal) = (Value::Int(r.coupon), Value::Int(r.principal));
            Value::Object(obj(&[
                ("coupon", coupon),
                ("due", due),
                ("principal", principal),
            ]))
        });
        let amortisation = if self.linear { "linear" } else { "bullet" };
        obj(&[
            ("amortisation", s(amortisation)),
            ("asset", s(self.asset)),
            ("face", Value::Int(self.face)),
            ("first_due", s(self.first_due)),
            ("payments", Value::Int(self.payments)),
            ("rate_bps", Value::Int(self.rate_bps)),
            ("schedule", Value::Array(rows.collect())),
            ("series", s(self.id)),
            ("text", text_hash(self.text)),
            ("units", Value::Int(self.units)),
        ])
    }
}

/// The bond terms of [`life`](super::life): series `id` on the lathe from
/// 2025-03-15 (`lathe-a`: face 10,000, 7 linear monthly payments at 600
/// bps, 20 units; `lathe-b`: face 1,000, 3 bullet payments at 1,200 bps,
/// 10 units).
pub(crate) fn series_body(
    id: &str,
    linear: bool,
    face: i64,
    payments: i64,
    rate_bps: i64,
    units: i64,
) -> Object {
    let text = format!("Terms of the bond series {id}.\n");
    let (asset, first_due) = ("lathe", "2025-03-15");
    Series {
        id,
        asset,
        linear,
        face,
        payments,
        rate_bps,
        first_due,
        units,
        text: &text,
    }
    .body()
}

/// The terms of a rental agreement (spec 10.3.10).
pub(crate) struct Lease<'a> {
    pub id: &'a str,
    pub asset: &'a str,
    pub start: &'a str,
    pub instalments: i64,
    pub guarantees: &'a [&'a str],
    /// (amount, from instalment) steps.
    pub rent: &'a [(i64, i64)],
    pub renters: &'a [&'a str],
    /// The text whose hash the body names.
    pub text: &'a str,
}

impl Lease<'_> {
    /// The `rental_agreement` body.
    pub(crate) fn body(&self) -> Object {
        let ids = |l: &[&str]| Value::Array(l.iter().map(|v| s(v)).collect());
        let steps = self.rent.iter().map(|(amount, from)| {
            Value::Object(obj(&[
                ("amount", Value::Int(*amount)),
                ("from", Value::Int(*from)),
            ]))
        });
        obj(&[
            ("agreement", s(self.id)),
            ("asset", s(self.asset)),
            ("guarantees", ids(self.guarantees)),
            ("instalments", Value::Int(self.instalments)),
            ("rent", Value::Array(steps.collect())),
            ("renters", ids(self.renters)),
            ("start", s(self.start)),
            ("text", text_hash(self.text)),
        ])
    }
}

/// A rental agreement body for the lathe, from 2025-03-01, 12 instalments.
pub(crate) fn lease_body(
    id: &str,
    guarantees: &[&str],
    rent: &[(i64, i64)],
    renters: &[&str],
) -> Object {
    let text = format!("Rental agreement {id}.\n");
    let (asset, start, instalments) = ("lathe", "2025-03-01", 12);
    Lease {
        id,
        asset,
        start,
        instalments,
        guarantees,
        rent,
        renters,
        text: &text,
    }
    .body()
}

/// A bond payment's `ref`.
pub(crate) fn bond_ref(holder: &SecretKey, row: i64, series: &str) -> Object {
    obj(&[
        ("holder", pk(holder)),
        ("row", Value::Int(row)),
        ("series", Value::from(series)),
    ])
}

/// A string value.
pub(crate) fn s(v: &str) -> Value {
    Value::from(v)
}

/// A row's `covers`: rule codes.
pub(crate) fn covers(rules: &[&str]) -> Value {
    Value::Array(rules.iter().map(|r| s(r)).collect())
}

/// A table row from members.
pub(crate) fn row(members: Vec<(&str, Value)>) -> Value {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    Value::Object(o)
}

/// A table file: `{"description", "rows", "table"}`.
pub(crate) fn table(name: &str, description: &str, rows: Vec<Value>) -> Value {
    row(vec![
        ("description", s(description)),
        ("rows", Value::Array(rows)),
        ("table", s(name)),
    ])
}
