//! The canonical JSON profile: parse, encode, compare.
//!
//! This module implements `spec/02-encoding.md` §2.1 and §2.3–§2.4: the one
//! JSON profile every Commonstock record is written in, and its one canonical
//! byte form. Everything that is hashed or signed is exactly the bytes this
//! module's [`encode`] produces, so two conforming implementations agree on a
//! hash only if they agree on this module's behaviour bit for bit.
//!
//! # The profile
//!
//! JSON (RFC 8259) restricted to six kinds of value — `null`, booleans,
//! integers within ±(2^53−1), strings of Unicode scalar values, arrays and
//! objects — with no duplicate member names and at most [`MAX_DEPTH`] levels
//! of nesting. There are no floating-point numbers anywhere: `1.0`, `1e2` and
//! `-0.0` are refused (ENC-5), not rounded.
//!
//! # The canonical form
//!
//! RFC 8785 (JCS) restricted to the profile: no insignificant whitespace;
//! object members sorted by the UTF-16 code units of their names; integers in
//! plain decimal; strings escaped exactly as ECMAScript `JSON.stringify` does.
//! For every value of the profile the output equals RFC 8785's. A line is
//! canonical when it is byte-identical to `encode(parse(line))`; that check is
//! [`parse_canonical`] ("decode, re-encode, compare", ENC-8).
//!
//! # Why a hand-written parser
//!
//! A general-purpose JSON library does not give what the profile needs:
//!
//! - **Duplicate member names** must be refused (ENC-4); common parsers keep
//!   the first or the last silently.
//! - **Integers must be exact**: a parser that goes through `f64` cannot tell
//!   `9007199254740993` from `9007199254740992`, and cannot tell `1` from
//!   `1.0`. Here a number is classified from its text before any conversion,
//!   and magnitude is checked by digit count first, so a 10,000-digit number
//!   costs one linear scan and can never overflow.
//! - **Deterministic errors**: the verifier reports the first problem in input
//!   order, with its rule id and byte offset, identically on every platform.
//! - **Bounded depth**: nesting beyond [`MAX_DEPTH`] is refused (LIM-2) at the
//!   bracket that crosses the limit, so recursion is bounded by a constant and
//!   a million `[` cannot overflow the stack.
//!
//! # Order of checks
//!
//! [`parse`] first checks that the whole input is UTF-8 (ENC-1), so ENC-1 wins
//! over every other rule even when a grammar error comes earlier in the input.
//! It then makes one left-to-right pass and reports the first of ENC-3, ENC-4,
//! ENC-5, ENC-6, ENC-7 and LIM-2 at the earliest offset. Within one number
//! token the RFC 8259 grammar is checked first (ENC-3), then fraction or
//! exponent (ENC-5, at the `.` or `e`), then magnitude (ENC-6, at the token's
//! first byte). [`parse_canonical`] adds ENC-8 only when [`parse`] succeeds.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

use crate::protocol::rule::Rule;

/// LIM-2: the maximum nesting depth. Each array or object opened adds one
/// level; a scalar at the top level has depth 0, `[]` has depth 1. Opening a
/// 33rd level is refused with LIM-2 at the offset of that `[` or `{`.
pub const MAX_DEPTH: usize = 32;

/// The largest integer magnitude of the profile: 2^53 − 1.
pub const MAX_INT: i64 = (1 << 53) - 1;

/// A value of the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// An integer within ±[`MAX_INT`]. Values outside that range can be built
    /// in memory but the document layer must not produce them.
    Int(i64),
    /// A string of Unicode scalar values.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
}

/// A JSON object: members with unique names, always kept in canonical order
/// (names sorted by their UTF-16 code units, see [`key_cmp`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Object {
    members: Vec<(Name, Value)>,
}

/// A member name. The protocol's own names are shared rather than
/// allocated once per object: a chain holds millions of objects with the
/// same few dozen names.
#[derive(Clone, Debug)]
enum Name {
    Known(&'static str),
    Own(Box<str>),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Known(s) => s,
            Name::Own(s) => s,
        }
    }

    /// The shared name equal to `s`, if it is one of the protocol's own.
    fn known(s: &str) -> Option<Name> {
        known_name(s).map(Name::Known)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name::known(&s).unwrap_or_else(|| Name::Own(s.into_boxed_str()))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

macro_rules! known_names {
    ($($n:literal),* $(,)?) => {
        /// Member names of the protocol's records, in byte order.
        /// An exact integer for the JSON report: a JSON integer within the ENC-6
/// range, else a decimal string; null when absent (spec 9.3).
pub fn number(n: Option<i128>) -> Value {
    match n {
        None => Value::Null,
        Some(n) if n.unsigned_abs() <= MAX_INT as u128 => Value::Int(n as i64),
        Some(n) => Value::from(n.to_string()),
    }
}

#[cfg(test)]
        const KNOWN_NAMES: [&str; [$($n),*].len()] = [$($n),*];

        /// The known name equal to `s` (a `match`, which
        /// compiles to a switch on the length and a few comparisons).
        fn known_name(s: &str) -> Option<&'static str> {
            match s {
                $($n => Some($n),)*
                _ => None,
            }
        }
    };
}

known_names!(
    "admission",
    "agreement",
    "amendment",
    "amortisation",
    "amount",
    "approval",
    "asset",
    "body",
    "bond",
    "bonds_transferable",
    "bullet",
    "bylaws",
    "carry_in",
    "carry_out",
    "close",
    "code",
    "commune",
    "coupon",
    "currency",
    "date",
    "days",
    "default",
    "description",
    "dividend",
    "doc",
    "due",
    "expense",
    "expenses",
    "exponent",
    "expulsion",
    "face",
    "first_due",
    "founders",
    "from",
    "guarantees",
    "holder",
    "id",
    "income",
    "instalment",
    "instalments",
    "key",
    "key_recovery",
    "kind",
    "linear",
    "liquidation",
    "member",
    "member_days",
    "name",
    "net",
    "new_key",
    "notice",
    "payee",
    "payment",
    "payments",
    "payouts",
    "period",
    "pool",
    "prev",
    "price",
    "principal",
    "purpose",
    "rate_bps",
    "reason",
    "ref",
    "rent",
    "rental",
    "renters",
    "reserve",
    "reserve_bps",
    "row",
    "schedule",
    "seq",
    "series",
    "service",
    "sig",
    "sigs",
    "source",
    "start",
    "text",
    "thresholds",
    "to",
    "treasurers",
    "units",
    "v",
    "voluntary"
);

/// Compares two member names by their UTF-16 code units, as RFC 8785 §3.2.3
/// orders object members.
///
/// This differs from byte (and code point) order only when one name has a
/// character in U+E000..=U+FFFF and the other a character above U+FFFF at the
/// first place they differ: UTF-16 puts the surrogate pair first.
pub fn key_cmp(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let common = ab.iter().zip(bb).take_while(|(x, y)| x == y).count();
    if common == ab.len() || common == bb.len() {
        return ab.len().cmp(&bb.len());
    }
    if ab[common] < 0x80 && bb[common] < 0x80 {
        return ab[common].cmp(&bb[common]); // ASCII: one code unit each
    }
    // Back up to the start of the character that differs; the prefix is
    // shared, so it is a character boundary in both strings.
    let mut i = common;
    while !a.is_char_boundary(i) {
        i -= 1;
    }
    let ca = a[i..].chars().next().map_or(0, utf16_rank);
    let cb = b[i..].chars().next().map_or(0, utf16_rank);
    ca.cmp(&cb)
}

/// Maps a scalar value to a rank whose order is UTF-16 code-unit order:
/// U+E000..=U+FFFF sort after every supplementary character.
#[inline]
fn utf16_rank(c: char) -> u32 {
    let c = c as u32;
    if (0xE000..=0xFFFF).contains(&c) {
        c + 0x20_0000
    } else {
        c
    }
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object {
            members: Vec::new(),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.members
            .binary_search_by(|(k, _)| key_cmp(k.as_str(), key))
    }

    /// Sets a member, keeping canonical order; returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, v: Value) -> Option<Value> {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.members[i].1, v)),
            Err(i) => {
                self.members.insert(i, (Name::from(key), v));
                None
            }
        }
    }

    /// The value of a member.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.members[i].1)
    }

    /// The value of a member, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.members[i].1)
    }

    /// Removes a member and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.members.remove(i).1)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The member names in canonical order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.as_str())
    }
}

impl FromIterator<(String, Value)> for Object {
    /// Later members replace earlier ones of the same name.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut o = Object::new();
        for (k, v) in iter {
            o.insert(k, v);
        }
        o
    }
}

impl IntoIterator for Object {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    /// The members in canonical order.
    fn into_iter(self) -> Self::IntoIter {
        let members: Vec<(String, Value)> = self
            .members
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        members.into_iter()
    }
}

impl Value {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, if this is an object.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The JSON type's name, for error messages: `"null"`, `"boolean"`,
    /// `"integer"`, `"string"`, `"array"` or `"object"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::Object(o)
    }
}
impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Self {
        Value::Array(a)
    }
}

/// A violation of the profile: the rule, the byte offset in the input where
/// the problem is, and a human-readable detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The rule broken.
    pub rule: Rule,
    /// Byte offset in the input (for base64 fields: index of the character).
    pub offset: usize,
    /// What was found.
    pub detail: String,
}

impl Error {
    /// Builds an error.
    pub fn new(rule: Rule, offset: usize, detail: impl Into<String>) -> Self {
        Error {
            rule,
            offset,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}: {}", self.rule, self.offset, self.detail)
    }
}

impl std::error::Error for Error {}

/// Quotes a string for an error message, cut short if it is long.
fn quote(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let short: String = s.chars().take(MAX).collect();
        format!("{short:?}…")
    }
}

/// Parses one JSON text of the profile. Insignificant whitespace (space, tab,
/// LF, CR) is allowed around tokens. Reports ENC-1, then the first of ENC-3,
/// ENC-4, ENC-5, ENC-6, ENC-7 or LIM-2 in input order.
pub fn parse(input: &[u8]) -> Result<Value, Error> {
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            return Err(Error::new(
                Rule::Enc1,
                e.valid_up_to(),
                "invalid UTF-8 byte sequence",
            ));
        }
    };
    let mut p = Parser {
        text,
        b: input,
        pos: 0,
        items: Vec::new(),
        members: Vec::new(),
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.b.len() {
        return Err(p.err(Rule::Enc3, "unexpected data after the value"));
    }
    Ok(v)
}

/// Parses like [`parse`], then checks the input is byte-identical to the
/// canonical encoding of its value; if not, ENC-8 at the first byte that
/// differs.
pub fn parse_canonical(input: &[u8]) -> Result<Value, Error> {
    let v = parse(input)?;
    let mut out = Vec::with_capacity(input.len());
    encode_into(&v, &mut out);
    if out != input {
        let at = out.iter().zip(input).take_while(|(a, b)| a == b).count();
        let detail = match (input.get(at), out.get(at)) {
            (Some(&f), Some(&e)) => format!(
                "not canonical: found {}, canonical form has {}",
                show_byte(f),
                show_byte(e)
            ),
            (Some(&f), None) => format!(
                "not canonical: found {} after the canonical form ends",
                show_byte(f)
            ),
            _ => "not canonical: input ends before the canonical form".to_owned(),
        };
        return Err(Error::new(Rule::Enc8, at, detail));
    }
    Ok(v)
}

/// A byte for an error message: printable ASCII as a character, else hex.
fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        format!("{:?}", char::from(b))
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// The canonical encoding of a value.
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    encode_into(v, &mut out);
    out
}

/// Appends the canonical encoding of a value to `out`.
pub fn encode_into(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => encode_int(*i, out),
        Value::Str(s) => encode_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode_into(e, out);
            }
            out.push(b']');
        }
        Value::Object(o) => {
            out.push(b'{');
            for (i, (k, e)) in o.members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode_str(k.as_str(), out);
                out.push(b':');
                encode_into(e, out);
            }
            out.push(b'}');
        }
    }
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// Whether a byte must be escaped in a canonical string.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if !needs_escape(c) {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        start = i + 1;
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xF)],
            ]),
        }
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

struct Parser<'a> {
    /// The input, known to be UTF-8.
    text: &'a str,
    /// The same input as bytes.
    b: &'a [u8],
    pos: usize,
    /// Elements of the arrays being parsed, innermost last; each finished
    /// array moves its tail into one exactly sized `Vec`.
    items: Vec<Value>,
    /// Members of the objects being parsed, likewise.
    members: Vec<(String, Value)>,
}

/// The most digits an in-range integer can have: 2^53 − 1 has 16.
const MAX_DIGITS: usize = 16;

/// Above this many members an object checks duplicates with a hash set
/// rather than a linear scan.
const SCAN_LIMIT: usize = 16;

impl<'a> Parser<'a> {
    #[cold]
    #[inline(never)]
    fn err(&self, rule: Rule, detail: impl Into<String>) -> Error {
        Error::new(rule, self.pos, detail)
    }

    #[cold]
    #[inline(never)]
    fn err_at(&self, rule: Rule, at: usize, detail: impl Into<String>) -> Error {
        Error::new(rule, at, detail)
    }

    /// An ENC-3 error at the current position: end of input or a byte that
    /// does not fit.
    #[cold]
    #[inline(never)]
    fn unexpected(&self, wanted: &str) -> Error {
        match self.text[self.pos..].chars().next() {
            None => self.err(
                Rule::Enc3,
                format!("unexpected end of input, expected {wanted}"),
            ),
            Some(c) => self.err(Rule::Enc3, format!("unexpected {c:?}, expected {wanted}")),
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, Error> {
        for &w in word.as_bytes() {
            if self.peek() != Some(w) {
                return Err(self.unexpected(&format!("{word:?}")));
            }
            self.pos += 1;
        }
        Ok(v)
    }

    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            Err(self.err(
                Rule::Lim2,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.pos += 1; // '['
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(Vec::new()));
        }
        let base = self.items.len();
        loop {
            self.ws();
            let v = self.value(depth)?;
            self.items.push(v);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    let items: Vec<Value> = self.items.drain(base..).collect();
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Object::new()));
        }
        let base = self.members.len();
        // While the names arrive in canonical order (the common case), a
        // duplicate can only equal the previous name.
        let mut sorted = true;
        let mut seen: Option<HashSet<String>> = None;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a member name"));
            }
            let at = self.pos;
            let key = self.string()?;
            if is_duplicate(&self.members[base..], &mut sorted, &mut seen, &key) {
                return Err(self.err_at(
                    Rule::Enc4,
                    at,
                    format!("duplicate member name {}", quote(&key)),
                ));
            }
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("':'"));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(depth)?;
            if let Some(set) = &mut seen {
                set.insert(key.clone());
            }
            self.members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    let mut members: Vec<(Name, Value)> = self
                        .members
                        .drain(base..)
                        .map(|(k, v)| (Name::from(k), v))
                        .collect();
                    if !sorted {
                        members.sort_by(|a, b| key_cmp(a.0.as_str(), b.0.as_str()));
                    }
                    return Ok(Value::Object(Object { members }));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// Parses a string starting at the opening quote; returns its decoded
    /// contents.
    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1; // '"'
        let start = self.pos;
        // Fast path: no escapes, one allocation.
        self.skip_plain();
        match self.peek() {
            Some(b'"') => {
                let s = self.text[start..self.pos].to_owned();
                self.pos += 1;
                return Ok(s);
            }
            Some(b'\\') => {}
            Some(c) => return Err(self.control(c)),
            None => return Err(self.unexpected("'\"'")),
        }
        let mut s = String::with_capacity(self.pos - start + 16);
        s.push_str(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some(b'\\') => s.push(self.escape()?),
                Some(c) => return Err(self.control(c)),
                None => return Err(self.unexpected("'\"'")),
            }
            let run = self.pos;
            self.skip_plain();
            s.push_str(&self.text[run..self.pos]);
        }
    }

    /// Skips string bytes that need no attention: stops at `"`, `\`, a
    /// control character or the end of input.
    #[inline]
    fn skip_plain(&mut self) {
        let rest = &self.b[self.pos..];
        self.pos += rest
            .iter()
            .position(|&c| STOP[usize::from(c)])
            .unwrap_or(rest.len());
    }

    #[cold]
    #[inline(never)]
    fn control(&self, c: u8) -> Error {
        self.err(
            Rule::Enc3,
            format!("unescaped control character U+{c:04X} in a string"),
        )
    }

    /// Parses one escape starting at the backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                return match hi {
                    0xD800..=0xDBFF => {
                        // Must be followed at once by a low-surrogate escape.
                        let lo = self.low_surrogate();
                        match lo {
                            Some(lo) => {
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                Ok(char::from_u32(cp).expect("valid surrogate pair"))
                            }
                            None => Err(self.err_at(
                                Rule::Enc7,
                                at,
                                format!("\\u{hi:04x} is a high surrogate not followed by a low surrogate escape"),
                            )),
                        }
                    }
                    0xDC00..=0xDFFF => Err(self.err_at(
                        Rule::Enc7,
                        at,
                        format!(
                            "\\u{hi:04x} is a low surrogate without a preceding high surrogate"
                        ),
                    )),
                    _ => Ok(char::from_u32(hi).expect("not a surrogate")),
                };
            }
            _ => {
                return Err(match self.text[self.pos..].chars().next() {
                    None => self.err(Rule::Enc3, "unexpected end of input in an escape"),
                    Some(c) => self.err_at(Rule::Enc3, at, format!("invalid escape \\{c}")),
                });
            }
        };
        self.pos += 1;
        Ok(c)
    }

    /// If the input continues with `\uXXXX` naming a low surrogate, consumes
    /// it and returns it; otherwise consumes nothing.
    fn low_surrogate(&mut self) -> Option<u32> {
        let rest = &self.b[self.pos..];
        if rest.len() < 6 || rest[0] != b'\\' || rest[1] != b'u' {
            return None;
        }
        let mut v = 0u32;
        for &h in &rest[2..6] {
            v = v * 16 + hex_val(h)?;
        }
        if (0xDC00..=0xDFFF).contains(&v) {
            self.pos += 6;
            Some(v)
        } else {
            None
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.peek().and_then(hex_val) {
                Some(h) => v = v * 16 + h,
                None => return Err(self.unexpected("a hex digit")),
            }
            self.pos += 1;
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let digits_start = self.pos;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err(Rule::Enc3, "leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        let digits_end = self.pos;
        // Fraction and exponent: check the grammar, then refuse (ENC-5).
        let mut float_at = None;
        if self.peek() == Some(b'.') {
            float_at = Some(self.pos);
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after '.'"));
            }
            self.skip_digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            float_at.get_or_insert(self.pos);
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.skip_digits();
        }
        if let Some(at) = float_at {
            return Err(self.err_at(
                Rule::Enc5,
                at,
                format!(
                    "number {} has a fraction or exponent",
                    quote(&self.text[start..self.pos])
                ),
            ));
        }
        let digits = &self.b[digits_start..digits_end];
        let too_big = || {
            self.err_at(
                Rule::Enc6,
                start,
                format!(
                    "integer {} is outside -(2^53-1) ..= 2^53-1",
                    quote(&self.text[start..digits_end])
                ),
            )
        };
        if digits.len() > MAX_DIGITS {
            return Err(too_big());
        }
        let mag = digits
            .iter()
            .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
        if mag > MAX_INT {
            return Err(too_big());
        }
        Ok(Value::Int(if neg { -mag } else { mag }))
    }

    #[inline]
    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

/// Bytes that end a run of plain string content.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

#[inline]
fn hex_val(h: u8) -> Option<u32> {
    match h {
        b'0'..=b'9' => Some(u32::from(h - b'0')),
        b'a'..=b'f' => Some(u32::from(h - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(h - b'A' + 10)),
        _ => None,
    }
}

/// Whether `key` equals the name of a member already parsed. `members` is in
/// input order; `sorted` says it is also in canonical order so far.
fn is_duplicate(
    members: &[(String, Value)],
    sorted: &mut bool,
    seen: &mut Option<HashSet<String>>,
    key: &str,
) -> bool {
    let Some((last, _)) = members.last() else {
        return false;
    };
    if *sorted {
        match key_cmp(last, key) {
            Ordering::Less => return false,
            Ordering::Equal => return true,
            Ordering::Greater => *sorted = false,
        }
    }
    if members.len() < SCAN_LIMIT {
        return members.iter().any(|(k, _)| k == key);
    }
    let set = seen.get_or_insert_with(|| members.iter().map(|(k, _)| k.clone()).collect());
    set.contains(key)
}

// ---------------------------------------------------------------------------
// The fast path

/// The end of the canonical value starting at `b[pos]`, `depth` levels deep,
/// when the value lies in the subset every real document uses: strings
/// without escapes, member names in ASCII, integers, literals, arrays and
/// objects. `None` decides nothing: the caller falls back to
/// [`parse_canonical`], which gives the exact verdict (and the exact first
/// error). `Some` is returned only for bytes [`parse_canonical`] accepts, so
/// the fast path can never change a verdict; it exists because checking in
/// one pass, without building values and re-encoding them, is an order of
/// magnitude cheaper (spec 2.4 allows any method with the same verdicts
/// and the same first error).
///
/// The whole input must already be known to be UTF-8 (ENC-1): strings may
/// hold any non-ASCII characters, which the canonical form writes raw.
pub(crate) fn skip_canonical(b: &[u8], pos: usize, depth: usize) -> Option<usize> {
    match *b.get(pos)? {
        b'{' => {
            if depth + 1 > MAX_DEPTH {
                return None;
            }
            let mut at = pos + 1;
            if *b.get(at)? == b'}' {
                return Some(at + 1);
            }
            let mut prev: Option<&[u8]> = None;
            loop {
                if *b.get(at)? != b'"' {
                    return None;
                }
                let end = skip_plain_string(b, at)?;
                let name = &b[at + 1..end - 1];
                // ASCII names: byte order is UTF-16 order; strictly
                // ascending also rules out duplicates (ENC-4).
                if !name.is_ascii() || prev.is_some_and(|p| p >= name) {
                    return None;
                }
                prev = Some(name);
                if *b.get(end)? != b':' {
                    return None;
                }
                at = skip_canonical(b, end + 1, depth + 1)?;
                match *b.get(at)? {
                    b',' => at += 1,
                    b'}' => return Some(at + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            if depth + 1 > MAX_DEPTH {
                return None;
            }
            let mut at = pos + 1;
            if *b.get(at)? == b']' {
                return Some(at + 1);
            }
            loop {
                at = skip_canonical(b, at, depth + 1)?;
                match *b.get(at)? {
                    b',' => at += 1,
                    b']' => return Some(at + 1),
                    _ => return None,
                }
            }
        }
        b'"' => skip_plain_string(b, pos),
        b't' => b[pos..].starts_with(b"true").then_some(pos + 4),
        b'f' => b[pos..].starts_with(b"false").then_some(pos + 5),
        b'n' => b[pos..].starts_with(b"null").then_some(pos + 4),
        b'-' | b'0'..=b'9' => skip_canonical_int(b, pos).map(|(end, _)| end),
        _ => None,
    }
}

/// The object whose canonical bytes [`skip_canonical`] has accepted, read
/// without checking them again (no UTF-8 check, no order or duplicate
/// check, no escapes to decode).
pub(crate) fn parse_object(b: &[u8]) -> Object {
    let mut t = Trusted { b, pos: 0 };
    match t.value() {
        Some(Value::Object(o)) if t.pos == b.len() => o,
        // Not reached for accepted bytes; the full parser is the reference.
        _ => match parse(b) {
            Ok(Value::Object(o)) => o,
            _ => unreachable!("bytes accepted by skip_canonical parse as an object"),
        },
    }
}

/// A reader of bytes [`skip_canonical`] has accepted.
struct Trusted<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Trusted<'_> {
    fn value(&mut self) -> Option<Value> {
        let b = self.b;
        Some(match *b.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                if *b.get(self.pos)? == b'}' {
                    self.pos += 1;
                } else {
                    loop {
                        let name = self.name()?;
                        self.pos += 1; // ':'
                        members.push((name, self.value()?));
                        let sep = *b.get(self.pos)?;
                        self.pos += 1;
                        if sep == b'}' {
                            break;
                        }
                    }
                }
                Value::Object(Object { members })
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if *b.get(self.pos)? == b']' {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        let sep = *b.get(self.pos)?;
                        self.pos += 1;
                        if sep == b']' {
                            break;
                        }
                    }
                }
                Value::Array(items)
            }
            b'"' => Value::Str(self.string()?),
            b't' => {
                self.pos += 4;
                Value::Bool(true)
            }
            b'f' => {
                self.pos += 5;
                Value::Bool(false)
            }
            b'n' => {
                self.pos += 4;
                Value::Null
            }
            _ => {
                let (end, n) = skip_canonical_int(b, self.pos)?;
                self.pos = end;
                Value::Int(n)
            }
        })
    }

    fn name(&mut self) -> Option<Name> {
        let end = skip_plain_string(self.b, self.pos)?;
        let s = std::str::from_utf8(&self.b[self.pos + 1..end - 1]).ok()?;
        self.pos = end;
        Some(Name::known(s).unwrap_or_else(|| Name::Own(s.into())))
    }

    fn string(&mut self) -> Option<String> {
        let end = skip_plain_string(self.b, self.pos)?;
        let s = std::str::from_utf8(&self.b[self.pos + 1..end - 1]).ok()?;
        self.pos = end;
        Some(s.to_owned())
    }
}

/// The end (after the closing quote) of a string with no escape and no
/// control character, starting at its opening quote.
#[inline]
pub(crate) fn skip_plain_string(b: &[u8], pos: usize) -> Option<usize> {
    if b.get(pos) != Some(&b'"') {
        return None;
    }
    let rest = b.get(pos + 1..)?;
    let len = rest.iter().position(|&c| STOP[usize::from(c)])?;
    (rest[len] == b'"').then_some(pos + 1 + len + 1)
}

/// The end and value of an integer in canonical form (`0`, or an optional
/// `-` and digits without a leading zero; not `-0`) within ±[`MAX_INT`],
/// not followed by a fraction or an exponent.
#[inline]
pub(crate) fn skip_canonical_int(b: &[u8], pos: usize) -> Option<(usize, i64)> {
    let neg = b.get(pos) == Some(&b'-');
    let start = pos + usize::from(neg);
    let digits = b
        .get(start..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = start + digits;
    if digits == 0 || digits > MAX_DIGITS || (b[start] == b'0' && (digits > 1 || neg)) {
        return None;
    }
    if matches!(b.get(end), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let n = b[start..end]
        .iter()
        .fold(0i64, |n, &c| n * 10 + i64::from(c - b'0'));
    (n <= MAX_INT).then_some((end, if neg { -n } else { n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_sorted_and_shared() {
        assert!(KNOWN_NAMES.windows(2).all(|w| w[0] < w[1]));
        for n in KNOWN_NAMES {
            assert!(matches!(Name::known(n), Some(Name::Known(k)) if k == n));
        }
        assert!(Name::known("nonesuch").is_none());
        // A shared name and an owned one of the same text are equal.
        assert_eq!(Name::Own("amount".into()), Name::Known("amount"));
        let mut o = Object::new();
        o.insert("zzz-not-known", Value::Null);
        o.insert("amount", Value::Int(1));
        assert_eq!(
            parse(br#"{"amount":1,"zzz-not-known":null}"#).unwrap(),
            Value::Object(o)
        );
    }

    fn err(input: &[u8]) -> (Rule, usize) {
        let e = parse(input).expect_err("should fail");
        (e.rule, e.offset)
    }

    fn cerr(input: &[u8]) -> (Rule, usize) {
        let e = parse_canonical(input).expect_err("should fail");
        (e.rule, e.offset)
    }

    fn ok(input: &[u8]) -> Value {
        parse(input).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)))
    }

    fn canon(input: &[u8]) -> Value {
        parse_canonical(input)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)))
    }

    #[test]
    fn enc1_utf8() {
        ok("\"é\"".as_bytes());
        assert_eq!(err(b"\"ab\xff\""), (Rule::Enc1, 3));
        // Overlong encoding and a UTF-8-encoded surrogate are not UTF-8.
        assert_eq!(err(b"\"\xc0\xaf\""), (Rule::Enc1, 1));
        assert_eq!(err(b"\"\xed\xa0\x80\""), (Rule::Enc1, 1));
        // ENC-1 wins over an earlier grammar error.
        assert_eq!(err(b"}\xff"), (Rule::Enc1, 1));
    }

    #[test]
    fn enc3_grammar() {
        ok(b" [ 1 , {\"a\" : null} ]\n");
        assert_eq!(err(b""), (Rule::Enc3, 0));
        assert_eq!(err(b"   "), (Rule::Enc3, 3));
        assert_eq!(err(b"[1,2"), (Rule::Enc3, 4));
        assert_eq!(err(b"[1,]"), (Rule::Enc3, 3));
        assert_eq!(err(b"{\"a\":1,}"), (Rule::Enc3, 7));
        assert_eq!(err(b"{a:1}"), (Rule::Enc3, 1));
        assert_eq!(err(b"1 2"), (Rule::Enc3, 2));
        assert_eq!(err(b"{} x"), (Rule::Enc3, 3));
        assert_eq!(err(b"01"), (Rule::Enc3, 1));
        assert_eq!(err(b"-01"), (Rule::Enc3, 2));
        assert_eq!(err(b"+1"), (Rule::Enc3, 0));
        assert_eq!(err(b"-"), (Rule::Enc3, 1));
        assert_eq!(err(b"1."), (Rule::Enc3, 2));
        assert_eq!(err(b"1e"), (Rule::Enc3, 2));
        assert_eq!(err(b"tru"), (Rule::Enc3, 3));
        assert_eq!(err(b"nul1"), (Rule::Enc3, 3));
        assert_eq!(err(b"\"a\tb\""), (Rule::Enc3, 2));
        assert_eq!(err(b"\"a\\x\""), (Rule::Enc3, 2));
        assert_eq!(err(b"\"\\u12g4\""), (Rule::Enc3, 5));
        assert_eq!(err(b"\"abc"), (Rule::Enc3, 4));
        assert_eq!(err(b"\xef\xbb\xbf{}"), (Rule::Enc3, 0)); // a BOM is not whitespace
        assert_eq!(err(b"{\"a\" 1}"), (Rule::Enc3, 5));
    }

    #[test]
    fn enc4_duplicates() {
        ok(b"{\"a\":1,\"b\":{\"a\":1}}");
        assert_eq!(err(b"{\"a\":1,\"a\":2}"), (Rule::Enc4, 7));
        // Compared after unescaping.
        assert_eq!(err(b"{\"a\":1,\"\\u0061\":2}"), (Rule::Enc4, 7));
        // Unsorted input, small and large objects.
        assert_eq!(err(b"{\"b\":1,\"a\":2,\"b\":3}"), (Rule::Enc4, 13));
        let mut big = String::from("{");
        for i in (0..100).rev() {
            big.push_str(&format!("\"k{i}\":{i},"));
        }
        let dup_at = big.len();
        big.push_str("\"k42\":0}");
        assert_eq!(err(big.as_bytes()), (Rule::Enc4, dup_at));
        // The duplicate is reported before a later problem in its value.
        assert_eq!(err(b"{\"a\":1,\"a\":1.5}"), (Rule::Enc4, 7));
        let e = parse(b"{\"a\":1,\"a\":2}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ENC-4 at byte 7: duplicate member name \"a\""
        );
    }

    #[test]
    fn enc5_floats() {
        assert_eq!(ok(b"-12"), Value::Int(-12));
        assert_eq!(err(b"1.0"), (Rule::Enc5, 1));
        assert_eq!(err(b"1e2"), (Rule::Enc5, 1));
        assert_eq!(err(b"1E2"), (Rule::Enc5, 1));
        assert_eq!(err(b"[-0.0]"), (Rule::Enc5, 3));
        assert_eq!(err(b"12.5e-3"), (Rule::Enc5, 2));
        // A float is ENC-5 whatever its size.
        assert_eq!(err(b"123456789012345678901.5"), (Rule::Enc5, 21));
    }

    #[test]
    fn enc6_range() {
        assert_eq!(ok(b"9007199254740991"), Value::Int(MAX_INT));
        assert_eq!(ok(b"-9007199254740991"), Value::Int(-MAX_INT));
        assert_eq!(err(b"9007199254740992"), (Rule::Enc6, 0));
        assert_eq!(err(b"[-9007199254740992]"), (Rule::Enc6, 1));
        assert_eq!(err(b"99999999999999999999999"), (Rule::Enc6, 0));
        let huge = format!("[{}]", "9".repeat(10_000));
        assert_eq!(err(huge.as_bytes()), (Rule::Enc6, 1));
    }

    #[test]
    fn enc7_surrogates() {
        assert_eq!(ok(b"\"\\ud83d\\ude02\""), Value::from("\u{1f602}"));
        assert_eq!(ok(b"\"\\uD83D\\uDE02\""), Value::from("\u{1f602}"));
        assert_eq!(err(b"\"x\\ud83d\""), (Rule::Enc7, 2));
        assert_eq!(err(b"\"\\ud83dx\""), (Rule::Enc7, 1));
        assert_eq!(err(b"\"\\ude02\\ud83d\""), (Rule::Enc7, 1));
        assert_eq!(err(b"\"\\ud83d\\ud83d\""), (Rule::Enc7, 1));
        assert_eq!(err(b"\"\\ud83d\\u00e9\""), (Rule::Enc7, 1));
        // High surrogate followed by a malformed escape: still ENC-7, at the
        // earlier offset.
        assert_eq!(err(b"\"\\ud83d\\uzzzz\""), (Rule::Enc7, 1));
        assert_eq!(err(b"\"\\ud83d"), (Rule::Enc7, 1));
    }

    #[test]
    fn lim2_depth() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        ok(deep(MAX_DEPTH).as_bytes());
        assert_eq!(err(deep(MAX_DEPTH + 1).as_bytes()), (Rule::Lim2, MAX_DEPTH));
        let objs = format!("{}1{}", "{\"a\":".repeat(33), "}".repeat(33));
        assert_eq!(err(objs.as_bytes()), (Rule::Lim2, 32 * 5));
        let million = "[".repeat(1_000_000);
        assert_eq!(err(million.as_bytes()), (Rule::Lim2, MAX_DEPTH));
        // An earlier problem wins.
        assert_eq!(
            err(b"[[1.0,[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["),
            (Rule::Enc5, 3)
        );
    }

    #[test]
    fn enc8_canonical() {
        canon(b"{\"a\":[1,-2,true,null],\"b\":\"\\u001f\\n\"}");
        assert_eq!(cerr(b"{\"b\":1,\"a\":2}"), (Rule::Enc8, 2));
        assert_eq!(cerr(b"{\"a\": 1}"), (Rule::Enc8, 5));
        assert_eq!(cerr(b"-0"), (Rule::Enc8, 0));
        assert_eq!(cerr(b"\"\\/\""), (Rule::Enc8, 1));
        assert_eq!(cerr(b"\"\\u00e9\""), (Rule::Enc8, 1));
        assert_eq!(cerr(b"\"\\u001F\""), (Rule::Enc8, 6));
        assert_eq!(cerr(b"1\n"), (Rule::Enc8, 1));
        assert_eq!(cerr(b" 1"), (Rule::Enc8, 0));
        // parse() errors come first.
        assert_eq!(cerr(b"{\"b\":1,\"b\":2}"), (Rule::Enc4, 7));
    }

    #[test]
    fn string_escapes_encode_like_json_stringify() {
        let s: String = (0u8..0x80).map(char::from).collect::<String>() + "\u{2028}é😂/";
        let out = encode(&Value::from(s.as_str()));
        let want = concat!(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007",
            "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f",
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017",
            "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f",
            " !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`",
            "abcdefghijklmnopqrstuvwxyz{|}~\u{7f}\u{2028}é😂/\"",
        );
        assert_eq!(String::from_utf8(out.clone()).unwrap(), want);
        assert_eq!(canon(&out), Value::from(s));
    }

    #[test]
    fn integers_encode_plainly() {
        for i in [
            0,
            1,
            -1,
            10,
            -10,
            1234567890,
            MAX_INT,
            -MAX_INT,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(encode(&Value::Int(i)), i.to_string().into_bytes());
        }
    }

    #[test]
    fn keys_sort_by_utf16() {
        // Byte order would put U+E000 before U+1F600; UTF-16 puts the
        // surrogate pair (0xD83D…) first.
        assert_eq!(key_cmp("\u{e000}", "\u{1f600}"), Ordering::Greater);
        assert_eq!(key_cmp("a\u{ffff}", "a\u{10000}"), Ordering::Greater);
        assert_eq!(key_cmp("\u{d7ff}", "\u{10000}"), Ordering::Less);
        assert_eq!(key_cmp("\u{1f600}", "\u{1f601}"), Ordering::Less);
        assert_eq!(key_cmp("ab", "abc"), Ordering::Less);
        assert_eq!(key_cmp("é", "ê"), Ordering::Less);
        assert_eq!(key_cmp("", ""), Ordering::Equal);
        let v = ok("{\"\u{e000}\":1,\"\u{1f600}\":2,\"z\":3}".as_bytes());
        assert_eq!(
            encode(&v),
            "{\"z\":3,\"\u{1f600}\":2,\"\u{e000}\":1}".as_bytes()
        );
    }

    #[test]
    fn object_api() {
        let mut o = Object::new();
        assert!(o.is_empty());
        assert_eq!(o.insert("b", 1.into()), None);
        assert_eq!(o.insert("a", "x".into()), None);
        assert_eq!(o.insert("b", true.into()), Some(Value::Int(1)));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(o.get("b"), Some(&Value::Bool(true)));
        assert_eq!(o.len(), 2);
        assert_eq!(o.remove("a"), Some(Value::from("x")));
        assert_eq!(o.get("a"), None);
        let o2: Object = [
            ("z".to_owned(), Value::Null),
            ("y".to_owned(), Value::from(vec![])),
        ]
        .into_iter()
        .collect();
        assert_eq!(encode(&o2.clone().into()), b"{\"y\":[],\"z\":null}");
        let v = Value::from(o2);
        assert_eq!(v.type_name(), "object");
        assert!(v.as_object().unwrap().get("z").unwrap().is_null());
        assert_eq!(Value::Int(3).as_i64(), Some(3));
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(Value::from("s").as_str(), Some("s"));
        assert_eq!(
            Value::from(vec![Value::Null]).as_array().map(<[_]>::len),
            Some(1)
        );
    }

    /// The worked example of spec/02-encoding.md §2.4, table and all.
    #[test]
    fn spec_worked_example() {
        let line = "{\"amount\":-1250,\"memo\":\"Café ☕\",\"ok\":true}";
        assert_eq!(line.len(), 45);
        let v = canon(line.as_bytes());
        let mut o = Object::new();
        o.insert("ok", true.into());
        o.insert("memo", "Caf\u{e9} \u{2615}".into());
        o.insert("amount", (-1250).into());
        assert_eq!(v, Value::Object(o));
        let cases: &[(&str, Rule, usize)] = &[
            (
                r#"{"memo":"Café ☕","amount":-1250,"ok":true}"#,
                Rule::Enc8,
                2,
            ),
            (
                r#"{"amount":-1250,"memo":"Caf\u00e9 \u2615","ok":true}"#,
                Rule::Enc8,
                27,
            ),
            (
                r#"{"amount": -1250,"memo":"Café ☕","ok":true}"#,
                Rule::Enc8,
                10,
            ),
            (
                r#"{"amount":-1250.0,"memo":"Café ☕","ok":true}"#,
                Rule::Enc5,
                15,
            ),
            (
                r#"{"amount":-1250,"memo":"Café ☕","ok":true,"ok":false}"#,
                Rule::Enc4,
                45,
            ),
            (
                r#"{"amount":-9007199254740992,"memo":"Café ☕","ok":true}"#,
                Rule::Enc6,
                10,
            ),
            (
                r#"{"amount":-1250,"memo":"Caf\ud800","ok":true}"#,
                Rule::Enc7,
                27,
            ),
        ];
        for &(input, rule, at) in cases {
            assert_eq!(cerr(input.as_bytes()), (rule, at), "{input}");
        }
        let keys = canon(b"{\"\xf0\x9f\x98\x80\":1,\"\xee\x80\x80\":2}");
        assert_eq!(keys, ok(b"{\"\\ue000\":2,\"\\ud83d\\ude00\":1}"));
    }

    #[test]
    fn parsed_unsorted_objects_are_sorted() {
        let v = ok(b"{\"b\":1,\"a\":{\"d\":1,\"c\":2},\"c\":3}");
        assert_eq!(encode(&v), b"{\"a\":{\"c\":2,\"d\":1},\"b\":1,\"c\":3}");
        assert_eq!(parse_canonical(&encode(&v)).unwrap(), v);
    }
}
