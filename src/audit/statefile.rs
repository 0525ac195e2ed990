//! The saved-state file of an incremental audit (spec/09-audit.md §9.5):
//! an [`crate::audit::Saved`] on disk, so `commonstock audit --resume` can audit a
//! grown chain in proportion to its new entries.
//!
//! The file is an implementation artefact, not part of the protocol, and it
//! is trusted input: whoever resumes from it trusts the audit that wrote it.
//! What this module guarantees is that a file that is not exactly what an
//! audit wrote (truncated, edited, another format version, not a state file
//! at all) is refused with an [`Error`], never read into a wrong state and
//! never a panic.
//!
//! **Layout.** All fixed-width integers are little-endian.
//!
//! | bytes | what |
//! |---|---|
//! | 24 | magic, `commonstock audit state` and LF |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 32 | the commune id |
//! | 8 | the number of entries the state covers |
//! | 32 | the head: the entry hash of the last of them |
//! | 8 | the number of signatures verified valid in them |
//! | 8 | the length *n* of the body |
//! | *n* | the body: the [`crate::audit::Saved`], encoded as below |
//! | 32 | the checksum: `BLAKE3-derive_key(`[`CHECKSUM_CONTEXT`]`, every byte before it)` |
//!
//! The header repeats what the body says about the prefix (commune, size,
//! head, signatures) so the state is bound to what it covers and a reader
//! can say what a file is without decoding it; on reading, the two must
//! agree.
//!
//! **Body encoding** (the crate-internal trait `Persist`): unsigned and signed integers as
//! LEB128 varints (signed ones zigzag-mapped), minimal length only; `bool`
//! and `Option` tags as one byte (0 or 1); strings and sequences as a
//! varint count then their items; interned strings (the payment ids)
//! front-coded, each as the length of its common prefix with the one before
//! and the rest; shared strings (the member ids the closes name) written out
//! once, as 0 and the string, then referred to by their number + 1; `[u8;
//! N]` and hashes as N raw bytes;
//! dates as a varint day number; rules and document kinds by their spec
//! names. Maps and sets are written in ascending key order (hash maps and
//! sets are sorted first) and must be read back strictly ascending, so the
//! same state always gives the same bytes. A struct is its fields in
//! declaration order, with no names or tags; an enum is a one-byte variant
//! tag then the variant's fields.
//!
//! **Field lists.** Each struct's fields are listed once, with
//! `persist_struct!` (and `persist_enum!`): the audit's part below, the
//! commune state's in `commune/saved.rs`, the links' next to
//! [`crate::protocol::chain::Linker`]. The macros destructure the struct without
//! `..`, so a field added to a type and not to its list does not compile.
//! **Bump [`FORMAT_VERSION`] whenever any list, or a listed field's type,
//! changes**: an old file is then refused ("audit the chain in full")
//! instead of misread.
//!
//! **Reading** never trusts a length: every count is bounded by the bytes
//! that remain, nothing is preallocated beyond a small bound (the tables of
//! interned values: beyond a few times the bytes that remain), and every
//! error is typed. The links (the replay set) are decoded on a second
//! thread while the commune state is. The file is written atomically
//! ([`crate::atomic::replace_file`]: temporary file, fsync, rename), so
//! a crash leaves the previous state or the new one, never half of one.

use std::fmt;
use std::io;
use std::path::Path;

use crate::audit::{Finding, Saved};
use crate::protocol::chain::Linker;
use crate::protocol::hash::Hash;
use crate::protocol::persist::{Malformed, Persist, Reader, Writer, persist_struct};

/// The first bytes of every state file.
pub const MAGIC: &[u8; 24] = b"commonstock audit state\n";
/// The version of the layout and of every field list. See the module doc.
pub const FORMAT_VERSION: u32 = 5;
/// The BLAKE3 key-derivation context of the checksum.
pub const CHECKSUM_CONTEXT: &str = "commonstock audit state checksum";

/// Bytes before the body.
const HEADER_LEN: usize = 24 + 4 + 32 + 8 + 32 + 8 + 8;
const CHECKSUM_LEN: usize = 32;

/// Why a state file was refused.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing the file failed.
    Io(io::Error),
    /// The file does not start with [`MAGIC`].
    NotAState,
    /// Another format version (a state written by another version of
    /// commonstock).
    Version(u32),
    /// The checksum does not match or the file is cut short: the file was
    /// truncated or changed after it was written.
    Corrupt(String),
    /// The checksum matches but the content is not a valid state: the byte
    /// offset in the file and what is wrong there.
    Malformed(usize, String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const AGAIN: &str = "audit the chain in full and save a new state";
        match self {
            Error::Io(e) => write!(f, "cannot read the state: {e}"),
            Error::NotAState => write!(f, "not a commonstock audit state file"),
            Error::Version(v) => write!(
                f,
                "a state file of format version {v}; this commonstock reads version {FORMAT_VERSION}: {AGAIN}"
            ),
            Error::Corrupt(d) => write!(
                f,
                "corrupt state file ({d}): it was truncated or changed after it was written; {AGAIN}"
            ),
            Error::Malformed(at, d) => write!(f, "invalid state file at byte {at}: {d}; {AGAIN}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m.offset, m.detail)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// What a state file covers, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub commune: Hash,
    /// Entries of the audited prefix.
    pub entries: u64,
    /// The entry hash of the prefix's last entry.
    pub head: Hash,
    /// Signatures verified valid in the prefix.
    pub signatures: u64,
}

impl Header {
    /// What `saved` covers.
    pub fn of(saved: &Saved) -> Header {
        Header {
            commune: saved.linker.commune().unwrap_or_default(),
            entries: saved.linker.len(),
            head: saved.linker.head(),
            signatures: saved.signatures,
        }
    }
}

/// The file's bytes for `saved`: the same state always gives the same bytes.
pub fn encode(saved: &Saved) -> Vec<u8> {
    let mut out = Vec::new();
    write(saved, &mut out).expect("a Vec takes every write");
    out
}

/// Writes the file for `saved` to `out` (the bytes of [`encode`]), streamed:
/// the body is encoded twice, once to count its bytes for the header and
/// once to write it, so that nothing but a small buffer is held besides the
/// state itself.
pub fn write(saved: &Saved, out: &mut dyn io::Write) -> io::Result<()> {
    let body_len = {
        let mut count = Count(0);
        let mut w = Writer::new(&mut count);
        saved.write(&mut w);
        w.finish()?
    };
    let h = Header::of(saved);
    let mut out = Checksummed {
        out,
        hasher: blake3::Hasher::new_derive_key(CHECKSUM_CONTEXT),
    };
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&h.commune.0);
    header.extend_from_slice(&h.entries.to_le_bytes());
    header.extend_from_slice(&h.head.0);
    header.extend_from_slice(&h.signatures.to_le_bytes());
    header.extend_from_slice(&body_len.to_le_bytes());
    io::Write::write_all(&mut out, &header)?;
    let mut w = Writer::new(&mut out);
    saved.write(&mut w);
    let written = w.finish()?;
    if written != body_len {
        // The encoding is a function of the state: it cannot differ.
        return Err(io::Error::other(
            "the state's encoding changed while it was written",
        ));
    }
    let sum = *out.hasher.finalize().as_bytes();
    out.out.write_all(&sum)
}

/// A sink that only counts.
struct Count(u64);

impl io::Write for Count {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Passes bytes on and hashes them for the checksum.
struct Checksummed<'a> {
    out: &'a mut dyn io::Write,
    hasher: blake3::Hasher,
}

impl io::Write for Checksummed<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.out.write(b)?;
        self.hasher.update(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn checksum(bytes: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key(CHECKSUM_CONTEXT)
        .update(bytes)
        .finalize()
        .as_bytes()
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn hash_at(b: &[u8], at: usize) -> Hash {
    let mut a = [0; 32];
    a.copy_from_slice(&b[at..at + 32]);
    Hash(a)
}

/// Checks the magic, the version and the checksum, and returns the header.
fn check(bytes: &[u8]) -> Result<Header, Error> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::NotAState);
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(Error::Corrupt(format!(
            "{} bytes, shorter than any state",
            bytes.len()
        )));
    }
    let mut v = [0; 4];
    v.copy_from_slice(&bytes[24..28]);
    let version = u32::from_le_bytes(v);
    if version != FORMAT_VERSION {
        return Err(Error::Version(version));
    }
    let (content, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if checksum(content) != sum {
        return Err(Error::Corrupt("checksum mismatch".into()));
    }
    let body_len = le_u64(bytes, HEADER_LEN - 8);
    if body_len != (content.len() - HEADER_LEN) as u64 {
        return Err(Error::Malformed(
            HEADER_LEN - 8,
            format!(
                "body length {body_len}, the file holds {}",
                content.len() - HEADER_LEN
            ),
        ));
    }
    Ok(Header {
        commune: hash_at(bytes, 28),
        entries: le_u64(bytes, 60),
        head: hash_at(bytes, 68),
        signatures: le_u64(bytes, 100),
    })
}

/// What a state file covers, from its header (checked, body not decoded).
pub fn header(bytes: &[u8]) -> Result<Header, Error> {
    check(bytes)
}

/// The bytes [`peek`] needs: the magic, the version and the header.
pub const PEEK_LEN: usize = HEADER_LEN;

/// What a state file says it covers, from its first [`PEEK_LEN`] bytes
/// alone: the magic and version are checked, the checksum is not (it
/// covers the whole file). For choosing among files cheaply; [`decode`]
/// then checks everything.
pub fn peek(first: &[u8]) -> Result<Header, Error> {
    if first.len() < MAGIC.len() || &first[..MAGIC.len()] != MAGIC {
        return Err(Error::NotAState);
    }
    if first.len() < HEADER_LEN {
        return Err(Error::Corrupt(format!(
            "{} bytes, shorter than a header",
            first.len()
        )));
    }
    let mut v = [0; 4];
    v.copy_from_slice(&first[24..28]);
    let version = u32::from_le_bytes(v);
    if version != FORMAT_VERSION {
        return Err(Error::Version(version));
    }
    Ok(Header {
        commune: hash_at(first, 28),
        entries: le_u64(first, 60),
        head: hash_at(first, 68),
        signatures: le_u64(first, 100),
    })
}

/// The bytes the links take at the start of the body, found without
/// building them (their encoding: `next_seq` a varint, `prev` 32 bytes,
/// `commune` an option of 32 bytes, `last_date` an option of a varint, then
/// `seen`: a count and 32 bytes each), so that the links and the rest of
/// the state can be decoded at the same time. Decoding the links then
/// checks they take exactly these bytes.
fn linker_len(body: &[u8]) -> Result<usize, Malformed> {
    let mut r = Reader::new(body, HEADER_LEN);
    r.varint()?;
    r.take(32)?;
    match r.byte()? {
        0 => {}
        1 => {
            r.take(32)?;
        }
        b => return Err(r.malformed(format!("{b} is not an option tag"))),
    }
    match r.byte()? {
        0 => {}
        1 => {
            r.varint()?;
        }
        b => return Err(r.malformed(format!("{b} is not an option tag"))),
    }
    let n = r.len()?;
    r.take(
        n.checked_mul(32)
            .ok_or_else(|| r.malformed("a count too large"))?,
    )?;
    Ok(body.len() - r.remaining())
}

/// Reads one part of the body, which must hold exactly it.
fn read_part<T: Persist>(part: &[u8], base: usize, what: &str) -> Result<T, Malformed> {
    let mut r = Reader::new(part, base);
    let v = T::read(&mut r)?;
    if r.remaining() != 0 {
        return Err(r.malformed(format!("{} bytes after the {what}", r.remaining())));
    }
    Ok(v)
}

/// The audit's part after the links, in field order.
struct Rest {
    state: crate::commune::State,
    signatures: u64,
    findings: Vec<Finding>,
    commune_rules: bool,
    cash: Vec<(crate::protocol::date::Date, i128)>,
}

impl Rest {
    fn read(r: &mut Reader<'_>) -> Result<Rest, Malformed> {
        Ok(Rest {
            state: Persist::read(r)?,
            signatures: Persist::read(r)?,
            findings: Persist::read(r)?,
            commune_rules: Persist::read(r)?,
            cash: Persist::read(r)?,
        })
    }
}

/// The body: the links on another thread while the rest is read (the
/// commune state of a long chain holds a million payment ids to rebuild
/// into a table); one after the other where no thread can be started.
fn read_body(body: &[u8]) -> Result<Saved, Malformed> {
    let split = linker_len(body)?;
    let (link_bytes, rest) = body.split_at(split);
    let read_rest = || {
        let mut r = Reader::new(rest, HEADER_LEN + split);
        let v = Rest::read(&mut r)?;
        if r.remaining() != 0 {
            return Err(r.malformed(format!("{} bytes after the state", r.remaining())));
        }
        Ok(v)
    };
    let (linker, rest) = std::thread::scope(|s| {
        let links = std::thread::Builder::new()
            .spawn_scoped(s, || read_part::<Linker>(link_bytes, HEADER_LEN, "links"));
        let rest = read_rest();
        let linker = match links {
            Ok(h) => h
                .join()
                .unwrap_or_else(|_| Err(Reader::new(&[], HEADER_LEN).malformed("panicked"))),
            Err(_) => read_part::<Linker>(link_bytes, HEADER_LEN, "links"),
        };
        (linker, rest)
    });
    let (linker, rest) = (linker?, rest?);
    // Every field of `Saved`, so that a field added to it and not read
    // here does not compile.
    let Rest {
        mut state,
        signatures,
        findings,
        commune_rules,
        cash,
    } = rest;
    state.restore();
    Ok(Saved {
        linker,
        state,
        signatures,
        findings,
        commune_rules,
        cash,
    })
}

/// The state in a file's bytes, or why they are refused.
pub fn decode(bytes: &[u8]) -> Result<Saved, Error> {
    let header = check(bytes)?;
    let body = &bytes[HEADER_LEN..bytes.len() - CHECKSUM_LEN];
    let saved = read_body(body)?;
    if Header::of(&saved) != header {
        return Err(Error::Malformed(
            MAGIC.len() + 4,
            "the header does not match the state".into(),
        ));
    }
    saved_consistent(&saved).map_err(|d| Error::Malformed(HEADER_LEN, d))?;
    Ok(saved)
}

/// The invariants the audit relies on when it resumes (so that even a
/// state file crafted with a valid checksum cannot make it panic).
fn saved_consistent(s: &Saved) -> Result<(), String> {
    let n = s.linker.len();
    if (n > 0) != s.linker.commune().is_some() || (n > 0) != s.linker.last_date().is_some() {
        return Err("the links do not match the number of entries".into());
    }
    if s.signatures > n.saturating_mul(crate::protocol::document::MAX_SIGNATURES as u64) {
        return Err("more signatures than the entries can hold".into());
    }
    if s.commune_rules && n > 0 && s.state.settings.is_none() {
        return Err("the commune rules run but no charter was applied".into());
    }
    // the cash chart's dates ascend and end by the state's last date
    let ascending = s.cash.windows(2).all(|w| w[0].0 < w[1].0);
    let last = s.cash.last().map(|(d, _)| *d);
    if !ascending || last > s.state.as_of {
        return Err("the cash after each date does not follow the chain's dates".into());
    }
    s.state.consistent()
}

/// Reads and decodes the state file at `path`.
pub fn load(path: &Path) -> Result<Saved, Error> {
    decode(&std::fs::read(path)?)
}

/// Writes `saved` to `path` atomically (temporary file, fsync, rename): a
/// crash leaves the previous file or the new one. The file is streamed
/// ([`write`]), never held in memory whole.
pub fn save(path: &Path, saved: &Saved) -> io::Result<()> {
    crate::atomic::replace_file_with(path, &mut |out| write(saved, out))
}

// ---------------------------------------------------------------------------
// The field lists of the audit's part of the state. (The commune state's are
// in `commune/saved.rs`, the links' next to `chain::Linker`.) Bump
// FORMAT_VERSION when one changes.

persist_struct!(Saved {
    linker,
    state,
    signatures,
    findings,
    commune_rules,
    cash,
});

persist_struct!(Finding {
    rule,
    entry,
    line,
    kind,
    field,
    detail,
    expected,
    found,
});
