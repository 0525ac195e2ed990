//! The chain: entries, their links, the genesis charter and the commune id
//! (spec/06-chain.md), and the chain file's framing (spec/02-encoding.md
//! §2.2).
//!
//! A chain file is JSON Lines. Line *n* (counting from 0) holds the entry
//! `{"doc":…,"prev":…,"seq":n}`: `prev` is the hash of line *n−1* (all zero
//! bytes for the genesis entry) and `doc` a signed document. The genesis
//! entry holds the charter, and the commune id is the hash of the charter's
//! body, so every later document names the commune it belongs to.
//!
//! [`LineReader`] frames lines without ever holding more than one line of
//! at most [`MAX_LINE`] bytes. [`parse_entry`] turns a line into an
//! [`Entry`]. [`Linker`] checks one entry against the chain so far; it
//! keeps a constant amount of state plus one hash per document, for the
//! replay rule CHN-7.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, BufRead};

use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::date::Date;
use crate::protocol::document::{self, Document, Kind};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;

/// The longest line, LF included (LIM-1).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// A rule broken at a place in a chain file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub rule: Rule,
    /// 1-based line number; entry index = line − 1.
    pub line: u64,
    /// The member at fault, as a path inside the entry (`doc.sigs[1].key`),
    /// when one is known.
    pub field: Option<String>,
    pub detail: String,
}

impl Error {
    pub fn new(rule: Rule, line: u64, field: Option<String>, detail: impl Into<String>) -> Self {
        Error {
            rule,
            line,
            field,
            detail: detail.into(),
        }
    }

    /// The index of the entry at fault (its position in the chain).
    pub fn entry(&self) -> u64 {
        self.line.saturating_sub(1)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at entry {} (line {})",
            self.rule,
            self.entry(),
            self.line
        )?;
        if let Some(field) = &self.field {
            write!(f, " in {field}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for Error {}

/// What can go wrong reading a chain file: the file breaks a rule, or the
/// reader fails.
#[derive(Debug)]
pub enum ReadError {
    Rule(Error),
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Frames a chain file into lines (ENC-2, LIM-1).
pub struct LineReader<R> {
    inner: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The 1-based number of the line last returned.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The next line's 1-based number and bytes without its LF, or `None`
    /// at the end of the file. After an error the reader is finished.
    pub fn next_line(&mut self) -> Option<Result<(u64, &[u8]), ReadError>> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let next = self.next_line_into(&mut buf);
        self.buf = buf;
        Some(next?.map(|(n, _)| (n, &self.buf[..])))
    }

    /// [`LineReader::next_line`], appending the line (without its LF) to
    /// `out` instead: returns its number and where it starts in `out`. On
    /// an error `out` is left as it was.
    pub fn next_line_into(&mut self, out: &mut Vec<u8>) -> Option<Result<(u64, usize), ReadError>> {
        if self.done {
            return None;
        }
        let start = out.len();
        match self.fill(out, start) {
            Ok(true) => Some(Ok((self.line, start))),
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                out.truncate(start);
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn fill(&mut self, out: &mut Vec<u8>, start: usize) -> Result<bool, ReadError> {
        let number = self.line + 1;
        let rule = |rule, detail: &str| ReadError::Rule(Error::new(rule, number, None, detail));
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if avail.is_empty() {
                if out.len() == start {
                    return Ok(false);
                }
                return Err(rule(Rule::Enc2, "the last line does not end with LF"));
            }
            let (take, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            // +1 for an LF not yet seen: a line must fit with its LF.
            if out.len() - start + take + usize::from(!found) > MAX_LINE {
                return Err(rule(Rule::Lim1, "line longer than 16 MiB"));
            }
            out.extend_from_slice(&avail[..take]);
            self.inner.consume(take);
            if found {
                break;
            }
        }
        out.pop(); // the LF
        self.line = number;
        let line = &out[start..];
        if number == 1 && line.starts_with(b"\xEF\xBB\xBF") {
            return Err(rule(Rule::Enc2, "the file starts with a byte order mark"));
        }
        if line.is_empty() {
            return Err(rule(Rule::Enc2, "empty line"));
        }
        if memchr::memchr(b'\r', line).is_some() {
            return Err(rule(Rule::Enc2, "carriage return in line"));
        }
        Ok(true)
    }
}

/// One entry of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub prev: Hash,
    pub doc: Document,
    /// The hash of this entry's line.
    pub hash: Hash,
    /// The hash of its document.
    pub doc_hash: Hash,
}

/// A rule broken inside one entry, before its place in the file is known.
pub type EntryError = document::Error;

/// Parses one line: canonical JSON (ENC-1 to ENC-8, LIM-2), the entry
/// members (CHN-1), then the document envelope (DOC-1 to DOC-4, LIM-3).
pub fn parse_entry(line: &[u8]) -> Result<Entry, EntryError> {
    let value = canonical::parse_canonical(line)
        .map_err(|e| EntryError::new(e.rule, "", format!("at byte {}: {}", e.offset, e.detail)))?;
    entry_from_value(&value, hash::entry(line), Some(line))
}

/// An entry read by [`scan_entry`]: every member but the body, whose values
/// stay unparsed as the canonical bytes `line[body]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    pub seq: u64,
    pub prev: Hash,
    pub hash: Hash,
    pub doc_hash: Hash,
    pub commune: Hash,
    pub date: Date,
    pub kind: Kind,
    /// The document's version (`v`).
    pub v: i64,
    /// The body's span in the line.
    pub body: std::ops::Range<usize>,
    /// The signatures' span in the vector [`scan_entry`] appended them to.
    pub sigs: std::ops::Range<usize>,
}

impl Scanned {
    /// What the links look at.
    pub fn link(&self) -> Link {
        Link {
            seq: self.seq,
            prev: self.prev,
            hash: self.hash,
            doc_hash: self.doc_hash,
            commune: self.commune,
            date: self.date,
            kind: self.kind,
        }
    }
}

/// The fast path of [`parse_entry`], for the audit: reads a line of the
/// usual shape in one pass, without building values, and appends the
/// signatures to `sigs`. `None` decides nothing (the line has escapes,
/// non-ASCII member names, or is not valid): the caller then uses
/// [`parse_entry`], which gives the exact verdict. `Some` only for lines
/// [`parse_entry`] accepts, with the same fields: a canonical entry line is
/// exactly `{"doc":{"body":…,"commune":"…","date":"…","kind":"…","sigs":[…],"v":1},"prev":"…","seq":n}`
/// (or `"v":2`)
/// (spec 6.1, members in canonical order), so matching that shape and
/// checking each piece is canonical is the same check.
pub fn scan_entry(line: &[u8], sigs: &mut Vec<document::Signature>) -> Option<Scanned> {
    let first = sigs.len();
    let out = scan(line, sigs);
    if out.is_none() {
        sigs.truncate(first);
    }
    out
}

fn scan(line: &[u8], sigs: &mut Vec<document::Signature>) -> Option<Scanned> {
    // ENC-1 once for the whole line; strings may then hold any character.
    if !line.is_ascii() && std::str::from_utf8(line).is_err() {
        return None;
    }
    let mut at = 0;
    let lit = |at: &mut usize, s: &[u8]| -> Option<()> {
        line.get(*at..)?.starts_with(s).then(|| *at += s.len())
    };
    // A quoted string of exactly `n` plain characters.
    let fixed = |at: &mut usize, n: usize| -> Option<&[u8]> {
        let s = line.get(*at..*at + n + 1)?;
        if s[n] != b'"' || s[..n].iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20) {
            return None;
        }
        *at += n + 1;
        Some(&s[..n])
    };
    lit(&mut at, b"{\"doc\":{\"body\":")?;
    let body_start = at;
    if line.get(at) != Some(&b'{') {
        return None;
    }
    at = canonical::skip_canonical(line, at, 2)?;
    let body = body_start..at;
    lit(&mut at, b",\"commune\":\"")?;
    let commune = Hash(crate::protocol::b64::decode_bytes::<32>(fixed(
        &mut at, 43,
    )?)?);
    lit(&mut at, b",\"date\":\"")?;
    let date = Date::parse(std::str::from_utf8(fixed(&mut at, 10)?).ok()?).ok()?;
    lit(&mut at, b",\"kind\":")?;
    let kind_end = canonical::skip_plain_string(line, at)?;
    let kind = Kind::from_name(std::str::from_utf8(&line[at + 1..kind_end - 1]).ok()?)?;
    at = kind_end;
    let sigs_start = at;
    lit(&mut at, b",\"sigs\":[")?;
    let first = sigs.len();
    loop {
        lit(&mut at, b"{\"key\":\"")?;
        let key = crate::protocol::b64::decode_bytes::<32>(fixed(&mut at, 43)?)?;
        lit(&mut at, b",\"sig\":\"")?;
        let sig = crate::protocol::b64::decode_bytes::<64>(fixed(&mut at, 86)?)?;
        lit(&mut at, b"}")?;
        // DOC-4: strictly ascending keys.
        if sigs.len() > first && sigs[sigs.len() - 1].key >= key {
            return None;
        }
        sigs.push(document::Signature { key, sig });
        if lit(&mut at, b"]").is_some() {
            break;
        }
        lit(&mut at, b",")?;
    }
    if sigs.len() - first > document::MAX_SIGNATURES {
        return None;
    }
    let v_start = at;
    lit(&mut at, b",\"v\":")?;
    let v = match line.get(at) {
        Some(b'1') => 1,
        Some(b'2') => 2,
        _ => return None,
    };
    at += 1;
    lit(&mut at, b"}")?;
    // DOC-3: a kind of a later version than the document's is refused by
    // the full parser.
    if kind.since() > v {
        return None;
    }
    let doc_end = at;
    lit(&mut at, b",\"prev\":\"")?;
    let prev = Hash(crate::protocol::b64::decode_bytes::<32>(fixed(
        &mut at, 43,
    )?)?);
    lit(&mut at, b",\"seq\":")?;
    if line.get(at) == Some(&b'-') {
        return None;
    }
    let (end, seq) = canonical::skip_canonical_int(line, at)?;
    if end + 1 != line.len() || line[end] != b'}' {
        return None;
    }
    let start = b"{\"doc\":".len();
    Some(Scanned {
        seq: seq as u64,
        prev,
        hash: hash::entry(line),
        doc_hash: hash::document_parts(&[&line[start..sigs_start], &line[v_start..doc_end]]),
        commune,
        date,
        kind,
        v,
        body,
        sigs: first..sigs.len(),
    })
}

/// The document's canonical bytes without `sigs`, as two slices of its/// The document's canonical bytes without `sigs`, as two slices of its
/// canonical entry line: `{"doc":{"body":…,"kind":"…"` and `,"v":1}` (or 2). Every
/// signature object is exactly `{"key":"<43>","sig":"<86>"}` (ENC-9), so the
/// `sigs` member's span follows from their number; the boundaries are
/// checked, and `None` means "re-encode instead". Spec 5.3: the canonical
/// encoding of the envelope without `sigs` is exactly these bytes.
fn unsigned_doc_slices(line: &[u8], sigs: usize) -> Option<(&[u8], &[u8])> {
    const PREV: &[u8] = b",\"prev\":\"";
    const V1: &[u8] = b",\"v\":1}";
    const V2: &[u8] = b",\"v\":2}";
    const V: usize = V1.len();
    const SIGS: &[u8] = b",\"sigs\":[";
    let start = b"{\"doc\":".len();
    let tail_from = line.len().checked_sub(80)?.max(start);
    let doc_end = tail_from
        + line[tail_from..]
            .windows(PREV.len())
            .rposition(|w| w == PREV)?;
    let v_start = doc_end.checked_sub(V)?;
    let sigs_start = v_start.checked_sub(SIGS.len() + 149 * sigs)?;
    if sigs == 0
        || !line.starts_with(b"{\"doc\":{\"body\":")
        || (&line[v_start..doc_end] != V1 && &line[v_start..doc_end] != V2)
        || &line[sigs_start..sigs_start + SIGS.len()] != SIGS
        || line[v_start - 1] != b']'
        || sigs_start < start
    {
        return None;
    }
    Some((&line[start..sigs_start], &line[v_start..doc_end]))
}

fn entry_from_value(value: &Value, hash: Hash, line: Option<&[u8]>) -> Result<Entry, EntryError> {
    let obj = value
        .as_object()
        .ok_or_else(|| document::type_error(Rule::Chn1, "", "object", value))?;
    document::exact_members(obj, &["doc", "prev", "seq"], Rule::Chn1, "")?;
    let seq_v = obj.get("seq").unwrap();
    let seq = seq_v
        .as_i64()
        .ok_or_else(|| document::type_error(Rule::Chn1, "seq", "integer", seq_v))?;
    let seq = u64::try_from(seq)
        .map_err(|_| EntryError::new(Rule::Chn1, "seq", "negative sequence number"))?;
    let prev = Hash(document::binary::<32>(
        obj.get("prev").unwrap(),
        "prev",
        Rule::Chn1,
    )?);
    let doc = Document::from_value(obj.get("doc").unwrap()).map_err(|mut e| {
        e.field = if e.field.is_empty() {
            "doc".into()
        } else {
            format!("doc.{}", e.field)
        };
        e
    })?;
    let doc_hash = match line.and_then(|l| unsigned_doc_slices(l, doc.sigs.len())) {
        Some((a, b)) => hash::document_parts(&[a, b]),
        None => doc.hash(),
    };
    debug_assert_eq!(doc_hash, doc.hash());
    Ok(Entry {
        seq,
        prev,
        doc,
        hash,
        doc_hash,
    })
}

impl Entry {
    /// The entry as a JSON value; its canonical encoding is its line.
    pub fn to_value(seq: u64, prev: &Hash, doc: &Document) -> Value {
        let mut o = Object::new();
        o.insert("doc", doc.to_value());
        o.insert("prev", Value::from(prev.to_b64()));
        o.insert("seq", Value::Int(seq as i64));
        Value::Object(o)
    }

    /// The line (without LF) for `doc` at position `seq` after `prev`.
    pub fn line(seq: u64, prev: &Hash, doc: &Document) -> Vec<u8> {
        canonical::encode(&Entry::to_value(seq, prev, doc))
    }
}

/// The `prev` and `seq` of a canonical entry line, read from its tail
/// (`…,"prev":"<43 characters>","seq":<n>}`) without parsing the line;
/// `None` if the tail has another shape. Used to check cheaply that a chain
/// file extends an audited prefix.
pub fn tail_link(line: &[u8]) -> Option<(Hash, u64)> {
    const PREV: &[u8] = b",\"prev\":\"";
    let at = line.windows(PREV.len()).rposition(|w| w == PREV)?;
    let rest = &line[at + PREV.len()..];
    let (prev, rest) = (rest.get(..43)?, rest.get(43..)?);
    let digits = rest.strip_prefix(b"\",\"seq\":")?.strip_suffix(b"}")?;
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seq = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let prev = crate::protocol::b64::decode::<32>(std::str::from_utf8(prev).ok()?).ok()?;
    Some((Hash(prev), seq))
}

/// What the links (CHN-2 to CHN-7) look at in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub seq: u64,
    pub prev: Hash,
    pub hash: Hash,
    pub doc_hash: Hash,
    pub commune: Hash,
    pub date: Date,
    pub kind: Kind,
}

impl Link {
    pub fn of(e: &Entry) -> Link {
        Link {
            seq: e.seq,
            prev: e.prev,
            hash: e.hash,
            doc_hash: e.doc_hash,
            commune: e.doc.commune,
            date: e.doc.date,
            kind: e.doc.kind,
        }
    }
}

/// Checks entries in order against the chain so far (CHN-2 to CHN-7).
#[derive(Clone, Debug, Default)]
pub struct Linker {
    next_seq: u64,
    prev: Hash,
    commune: Option<Hash>,
    last_date: Option<Date>,
    /// The hashes of the documents linked with the last date, for CHN-7.
    /// A document's date is part of its hash (spec 5.3) and CHN-6 is
    /// checked first, so a document that passes CHN-6 can only repeat one
    /// of the last date's documents: when the date moves on, the set
    /// starts again. It is bounded by the busiest day (a close's dividend
    /// payments), not by the chain. Looked up only, never iterated for a
    /// verdict (the state file writes it sorted).
    seen: HashSet<[u8; 32]>,
}

// The links in the saved-state file of an incremental audit: every field, in
// order. Bump `statefile::FORMAT_VERSION` when this list or a type changes.
crate::protocol::persist::persist_struct!(Linker {
    next_seq,
    prev,
    commune,
    last_date,
    seen,
});

impl Linker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The commune id, once the genesis entry is linked.
    pub fn commune(&self) -> Option<Hash> {
        self.commune
    }

    /// How many entries are linked.
    pub fn len(&self) -> u64 {
        self.next_seq
    }

    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
    }

    /// The hash of the last linked entry (zero before genesis).
    pub fn head(&self) -> Hash {
        self.prev
    }

    /// The date of the last linked entry.
    pub fn last_date(&self) -> Option<Date> {
        self.last_date
    }

    /// Whether a document with this hash is linked (CHN-7).
    pub fn contains(&self, doc_hash: &Hash) -> bool {
        self.seen.contains(&doc_hash.0)
    }

    /// Checks `e` as the next entry and, if it passes, links it.
    pub fn link(&mut self, e: &Entry) -> Result<(), EntryError> {
        self.link_with(&Link::of(e), || commune_id(&e.doc.body))
    }

    /// [`Linker::link`] on what the links look at; `charter_id` gives the
    /// commune id of the genesis entry's body (asked only for a charter).
    pub fn link_with(
        &mut self,
        e: &Link,
        charter_id: impl FnOnce() -> Hash,
    ) -> Result<(), EntryError> {
        if e.seq != self.next_seq {
            return Err(EntryError::new(
                Rule::Chn2,
                "seq",
                format!("seq {}, expected {}", e.seq, self.next_seq),
            ));
        }
        if e.prev != self.prev {
            return Err(EntryError::new(
                Rule::Chn3,
                "prev",
                format!("prev {}, expected {}", e.prev, self.prev),
            ));
        }
        let commune = match self.commune {
            None => {
                if e.kind != Kind::Charter {
                    return Err(EntryError::new(
                        Rule::Chn4,
                        "doc.kind",
                        format!("the genesis entry holds a {}, not a charter", e.kind),
                    ));
                }
                charter_id()
            }
            Some(c) => {
                if e.kind == Kind::Charter {
                    return Err(EntryError::new(
                        Rule::Chn4,
                        "doc.kind",
                        "a charter after the genesis entry",
                    ));
                }
                c
            }
        };
        if e.commune != commune {
            return Err(EntryError::new(
                Rule::Chn5,
                "doc.commune",
                format!("commune {}, expected {}", e.commune, commune),
            ));
        }
        if let Some(last) = self.last_date
            && e.date < last
        {
            return Err(EntryError::new(
                Rule::Chn6,
                "doc.date",
                format!("date {} before the previous entry's {}", e.date, last),
            ));
        }
        if self.last_date != Some(e.date) {
            // A later date (CHN-6 passed): no earlier document has it.
            self.seen.clear();
        }
        if !self.seen.insert(e.doc_hash.0) {
            return Err(EntryError::new(
                Rule::Chn7,
                "doc",
                format!("document {} already in the chain", e.doc_hash),
            ));
        }
        self.commune = Some(commune);
        self.next_seq += 1;
        self.prev = e.hash;
        self.last_date = Some(e.date);
        Ok(())
    }
}

/// The commune id a charter body gives (spec 6.3).
pub fn commune_id(charter_body: &Object) -> Hash {
    hash::commune_id(&canonical::encode(&Value::Object(charter_body.clone())))
}

/// Builds a chain in memory: assigns seq and prev and renders lines. Used
/// by the generators, the tests and `append`.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    lines: Vec<Vec<u8>>,
    head: Hash,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `doc`, returning its entry's hash.
    pub fn push(&mut self, doc: &Document) -> Hash {
        let line = Entry::line(self.lines.len() as u64, &self.head, doc);
        self.head = hash::entry(&line);
        self.lines.push(line);
        self.head
    }

    pub fn lines(&self) -> &[Vec<u8>] {
        &self.lines
    }

    pub fn head(&self) -> Hash {
        self.head
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The chain file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        out
    }
}

#[cfg(test)]
mod linker_tests {
    use super::*;

    /// Links a document dated `day` with document hash `[doc; 32]`.
    fn link(l: &mut Linker, day: u8, doc: u8) -> Result<(), Rule> {
        let kind = if l.is_empty() {
            Kind::Charter
        } else {
            Kind::Payment
        };
        let e = Link {
            seq: l.len(),
            prev: l.head(),
            hash: Hash([l.len() as u8 + 1; 32]),
            doc_hash: Hash([doc; 32]),
            commune: Hash([9; 32]),
            date: Date::new(2030, 1, day).unwrap(),
            kind,
        };
        l.link_with(&e, || Hash([9; 32])).map_err(|e| e.rule)
    }

    /// CHN-7 remembers only the last date's documents, and its verdicts are
    /// those of remembering every one: a repeat on the same date is CHN-7,
    /// a repeat of an earlier date's document is CHN-6 (checked first), and
    /// a later date cannot repeat anything, since the date is hashed.
    #[test]
    fn replays_are_found_with_the_last_dates_documents_only() {
        let mut l = Linker::new();
        link(&mut l, 1, 1).unwrap();
        link(&mut l, 2, 2).unwrap();
        link(&mut l, 2, 3).unwrap();
        assert_eq!(l.seen.len(), 2);
        assert_eq!(link(&mut l, 2, 2), Err(Rule::Chn7));
        assert_eq!(link(&mut l, 2, 3), Err(Rule::Chn7));
        assert_eq!(link(&mut l, 1, 1), Err(Rule::Chn6));
        // a refused entry changes nothing
        assert_eq!((l.len(), l.seen.len()), (3, 2));
        link(&mut l, 2, 4).unwrap();
        link(&mut l, 5, 5).unwrap();
        assert_eq!(l.seen.len(), 1);
        assert_eq!(link(&mut l, 5, 5), Err(Rule::Chn7));
        assert_eq!(link(&mut l, 2, 4), Err(Rule::Chn6));
        link(&mut l, 5, 6).unwrap();
        assert_eq!(l.len(), 6);
    }
}
