//! The byte encoding of saved state: a minimal, canonical binary form for
//! every type an incremental audit keeps (spec/09-audit.md §9.5 describes
//! the file; this module only encodes values).
//!
//! It lives in the protocol layer because the types it persists live at
//! every layer (the links of [`crate::protocol::chain`], the commune's state, the
//! audit's findings): each layer lists its own fields with
//! [`persist_struct!`] next to its types, and the file around them (magic,
//! header, checksum) is [`crate::audit::statefile`]'s.
//!
//! Integers are minimal LEB128 varints (signed ones zigzagged), strings and
//! collections a count then the items, sets and maps in ascending order with
//! no repeats; a reader never reads past its end and never preallocates more
//! than a bound before the items are there.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::io;
use std::sync::Arc;

use crate::protocol::date::Date;
use crate::protocol::document::Kind;
use crate::protocol::hash::Hash;
use crate::protocol::intern::{Interner, Numbered};
use crate::protocol::rule::Rule;

/// The most bytes a collection preallocates before its items are read.
const MAX_PREALLOC_BYTES: usize = 1 << 16;

/// A body that is not a valid encoding: the byte offset in the file and
/// what is wrong there.
#[derive(Debug)]
pub(crate) struct Malformed {
    pub(crate) offset: usize,
    pub(crate) detail: String,
}

/// The body being written, streamed to a sink in pieces of
/// [`Writer::PIECE`] bytes, so that encoding a state never holds a second
/// copy of it in memory.
pub(crate) struct Writer<'a> {
    buf: Vec<u8>,
    out: &'a mut dyn io::Write,
    /// Bytes handed to `out` so far.
    sent: u64,
    /// The first error of `out`; nothing is written after it.
    error: Option<io::Error>,
    /// Shared strings written so far, by their number (see `Arc<str>`).
    shared: HashMap<Arc<str>, u32>,
}

impl<'a> Writer<'a> {
    const PIECE: usize = 1 << 16;

    pub(crate) fn new(out: &'a mut dyn io::Write) -> Self {
        Writer {
            buf: Vec::with_capacity(Self::PIECE + 64),
            out,
            sent: 0,
            error: None,
            shared: HashMap::new(),
        }
    }

    fn send(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(&self.buf)
        {
            self.error = Some(e);
        }
        self.sent += self.buf.len() as u64;
        self.buf.clear();
    }

    fn spill(&mut self) {
        if self.buf.len() >= Self::PIECE {
            self.send();
        }
    }

    /// Sends what is buffered; the bytes written in all, or the sink's
    /// first error.
    pub(crate) fn finish(mut self) -> io::Result<u64> {
        self.send();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.sent),
        }
    }

    pub(crate) fn byte(&mut self, b: u8) {
        self.buf.push(b);
        self.spill();
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        if b.len() >= Self::PIECE {
            self.send();
            self.buf.extend_from_slice(b);
            self.send();
        } else {
            self.buf.extend_from_slice(b);
            self.spill();
        }
    }

    /// LEB128, minimal.
    pub(crate) fn varint(&mut self, mut v: u128) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
        self.spill();
    }

    /// A count (of bytes or items).
    pub(crate) fn len(&mut self, n: usize) {
        self.varint(n as u128);
    }
}

/// `v` encoded, in memory.
#[cfg(test)]
pub(crate) fn to_bytes<T: Persist>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out);
    v.write(&mut w);
    w.finish().expect("a Vec takes every write");
    out
}

/// The body being read: never reads past its end.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The body's offset in the file, for error positions.
    base: usize,
    /// Shared strings read so far, by their number: a member id is one
    /// allocation however many closes name it, as in the state the replay
    /// built.
    shared: Vec<Arc<str>>,
    /// The same strings, to refuse one written out twice.
    shared_set: HashSet<Arc<str>>,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`, which start at offset `base` in the file.
    pub(crate) fn new(bytes: &'a [u8], base: usize) -> Self {
        Reader {
            bytes,
            pos: 0,
            base,
            shared: Vec::new(),
            shared_set: HashSet::new(),
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// An error at the current position.
    pub(crate) fn malformed(&self, detail: impl Into<String>) -> Malformed {
        Malformed {
            offset: self.base + self.pos,
            detail: detail.into(),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if n > self.remaining() {
            return Err(self.malformed(format!(
                "{n} bytes wanted, {} left in the body",
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    /// A minimal LEB128 varint of at most 128 bits.
    pub(crate) fn varint(&mut self) -> Result<u128, Malformed> {
        let start = self.pos;
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let low = u128::from(b & 0x7F);
            if shift >= 128 || (shift > 0 && (low >> (128 - shift)) != 0) {
                self.pos = start;
                return Err(self.malformed("integer wider than 128 bits"));
            }
            v |= low << shift;
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    self.pos = start;
                    return Err(self.malformed("integer not minimally encoded"));
                }
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A count of items of at least one byte each: at most what remains.
    pub(crate) fn len(&mut self) -> Result<usize, Malformed> {
        let start = self.pos;
        let n = self.varint()?;
        if n > self.remaining() as u128 {
            self.pos = start;
            return Err(self.malformed(format!(
                "a count of {n}, only {} bytes left",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }
}

/// How many `T` to allocate room for before reading `n` of them.
fn prealloc<T>(n: usize) -> usize {
    n.min(MAX_PREALLOC_BYTES / std::mem::size_of::<T>().max(1))
}

/// A value in the state file's body encoding (see the module doc).
pub(crate) trait Persist: Sized {
    fn write(&self, w: &mut Writer);
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed>;
}

/// Implements [`Persist`] for a struct from its field list, in declaration
/// order: `persist_struct!(Type { field, field, … });`. Every field must be
/// listed (the struct is destructured without `..`). Invoke it where the
/// fields are visible.
macro_rules! persist_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::protocol::persist::Persist for $ty {
            fn write(&self, w: &mut $crate::protocol::persist::Writer) {
                let $ty { $($field),* } = self;
                $( $crate::protocol::persist::Persist::write($field, w); )*
            }
            fn read(
                r: &mut $crate::protocol::persist::Reader<'_>,
            ) -> Result<Self, $crate::protocol::persist::Malformed> {
                Ok($ty { $($field: $crate::protocol::persist::Persist::read(r)?),* })
            }
        }
    };
}
pub(crate) use persist_struct;

/// Implements [`Persist`] for an enum whose variants have named fields (or
/// none, written `Variant {}`), each with a fixed one-byte tag:
/// `persist_enum!(Type { 0 => A { x, y }, 1 => B {} });`. Every variant
/// must be listed.
macro_rules! persist_enum {
    ($ty:ident { $($tag:literal => $var:ident { $($field:ident),* $(,)? }),* $(,)? }) => {
        impl $crate::protocol::persist::Persist for $ty {
            fn write(&self, w: &mut $crate::protocol::persist::Writer) {
                match self {
                    $($ty::$var { $($field),* } => {
                        w.byte($tag);
                        $( $crate::protocol::persist::Persist::write($field, w); )*
                    })*
                }
            }
            fn read(
                r: &mut $crate::protocol::persist::Reader<'_>,
            ) -> Result<Self, $crate::protocol::persist::Malformed> {
                match r.byte()? {
                    $($tag => Ok($ty::$var { $($field: $crate::protocol::persist::Persist::read(r)?),* }),)*
                    t => Err(r.malformed(format!(
                        "unknown {} variant {t}",
                        stringify!($ty)
                    ))),
                }
            }
        }
    };
}
pub(crate) use persist_enum;

macro_rules! persist_unsigned {
    ($($t:ty),*) => {$(
        impl Persist for $t {
            fn write(&self, w: &mut Writer) {
                w.varint(*self as u128);
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
                let v = r.varint()?;
                <$t>::try_from(v).map_err(|_| r.malformed(format!(
                    "{v} is out of range for {}", stringify!($t)
                )))
            }
        }
    )*};
}
persist_unsigned!(u16, u32, u64, usize);

macro_rules! persist_signed {
    ($($t:ty),*) => {$(
        impl Persist for $t {
            fn write(&self, w: &mut Writer) {
                let n = *self as i128;
                w.varint(((n << 1) ^ (n >> 127)) as u128);
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
                let u = r.varint()?;
                let n = (u >> 1) as i128 ^ -((u & 1) as i128);
                <$t>::try_from(n).map_err(|_| r.malformed(format!(
                    "{n} is out of range for {}", stringify!($t)
                )))
            }
        }
    )*};
}
persist_signed!(i32, i64, i128);

impl Persist for u8 {
    fn write(&self, w: &mut Writer) {
        w.byte(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        r.byte()
    }
}

impl Persist for bool {
    fn write(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(r.malformed(format!("{b} is not a boolean"))),
        }
    }
}

impl Persist for String {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        w.bytes(self.as_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let n = r.len()?;
        let at = r.pos;
        let b = r.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => {
                r.pos = at;
                Err(r.malformed("a string that is not UTF-8"))
            }
        }
    }
}

impl<const N: usize> Persist for [u8; N] {
    fn write(&self, w: &mut Writer) {
        w.bytes(self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let mut a = [0; N];
        a.copy_from_slice(r.take(N)?);
        Ok(a)
    }
}

impl Persist for Hash {
    fn write(&self, w: &mut Writer) {
        self.0.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok(Hash(Persist::read(r)?))
    }
}

impl Persist for Date {
    fn write(&self, w: &mut Writer) {
        self.to_days().write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let days = i64::read(r)?;
        Date::from_days(days).ok_or_else(|| r.malformed(format!("day {days} is not a date")))
    }
}

impl Persist for Rule {
    fn write(&self, w: &mut Writer) {
        self.code().to_string().write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let code = String::read(r)?;
        Rule::from_code(&code).ok_or_else(|| r.malformed(format!("no rule {code:?}")))
    }
}

impl Persist for Kind {
    fn write(&self, w: &mut Writer) {
        self.name().to_string().write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let name = String::read(r)?;
        Kind::from_name(&name).ok_or_else(|| r.malformed(format!("no document kind {name:?}")))
    }
}

impl<T: Persist> Persist for Option<T> {
    fn write(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.write(w);
            }
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        match r.byte()? {
            0 => Ok(None),
            1 => Ok(Some(T::read(r)?)),
            b => Err(r.malformed(format!("{b} is not an option tag"))),
        }
    }
}

impl<A: Persist, B: Persist> Persist for (A, B) {
    fn write(&self, w: &mut Writer) {
        self.0.write(w);
        self.1.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok((A::read(r)?, B::read(r)?))
    }
}

impl<A: Persist, B: Persist, C: Persist> Persist for (A, B, C) {
    fn write(&self, w: &mut Writer) {
        self.0.write(w);
        self.1.write(w);
        self.2.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok((A::read(r)?, B::read(r)?, C::read(r)?))
    }
}

impl<T: Persist> Persist for Vec<T> {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        for v in self {
            v.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let n = r.len()?;
        let mut out = Vec::with_capacity(prealloc::<T>(n));
        for _ in 0..n {
            out.push(T::read(r)?);
        }
        Ok(out)
    }
}

/// Writes `items` (already in ascending key order) as a count then items.
fn write_sorted<'a, T: Persist + 'a>(w: &mut Writer, n: usize, items: impl Iterator<Item = &'a T>) {
    w.len(n);
    for v in items {
        v.write(w);
    }
}

/// Reads a count then that many items whose keys ascend strictly.
fn read_sorted<T: Persist, K: Ord + ?Sized>(
    r: &mut Reader<'_>,
    key: impl Fn(&T) -> &K,
) -> Result<Vec<T>, Malformed> {
    let n = r.len()?;
    let mut out: Vec<T> = Vec::with_capacity(prealloc::<T>(n));
    for _ in 0..n {
        let at = r.pos;
        let v = T::read(r)?;
        if out.last().is_some_and(|last| key(last) >= key(&v)) {
            r.pos = at;
            return Err(r.malformed("keys not in strictly ascending order"));
        }
        out.push(v);
    }
    Ok(out)
}

impl<K: Persist + Ord, V: Persist> Persist for BTreeMap<K, V> {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        for (k, v) in self {
            k.write(w);
            v.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok(read_sorted::<(K, V), K>(r, |p| &p.0)?.into_iter().collect())
    }
}

impl<T: Persist + Ord> Persist for BTreeSet<T> {
    fn write(&self, w: &mut Writer) {
        write_sorted(w, self.len(), self.iter());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok(read_sorted::<T, T>(r, |v| v)?.into_iter().collect())
    }
}

impl<K, V, S> Persist for HashMap<K, V, S>
where
    K: Persist + Ord + std::hash::Hash,
    V: Persist,
    S: BuildHasher + Default,
{
    fn write(&self, w: &mut Writer) {
        let mut items: Vec<(&K, &V)> = self.iter().collect();
        items.sort_unstable_by(|a, b| a.0.cmp(b.0));
        w.len(items.len());
        for (k, v) in items {
            k.write(w);
            v.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let items = read_sorted::<(K, V), K>(r, |p| &p.0)?;
        let mut out = HashMap::with_capacity_and_hasher(items.len(), S::default());
        out.extend(items);
        Ok(out)
    }
}

impl<T, S> Persist for HashSet<T, S>
where
    T: Persist + Ord + std::hash::Hash,
    S: BuildHasher + Default,
{
    fn write(&self, w: &mut Writer) {
        let mut items: Vec<&T> = self.iter().collect();
        items.sort_unstable();
        write_sorted(w, items.len(), items.into_iter());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let items = read_sorted::<T, T>(r, |v| v)?;
        let mut out = HashSet::with_capacity_and_hasher(items.len(), S::default());
        out.extend(items);
        Ok(out)
    }
}

/// A shared string (a member id, which many closes name): written out the
/// first time, as a varint 0 then the string, and after that as the varint
/// n + 1 for the n-th shared string written out (in order of first
/// appearance). A string written out a second time is refused, so a state
/// has one encoding.
impl Persist for Arc<str> {
    fn write(&self, w: &mut Writer) {
        if let Some(&n) = w.shared.get(self) {
            w.varint(u128::from(n) + 1);
            return;
        }
        let n = w.shared.len() as u32;
        w.shared.insert(Arc::clone(self), n);
        w.byte(0);
        w.len(self.len());
        w.bytes(self.as_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let at = r.pos;
        match r.varint()? {
            0 => {
                let s: Arc<str> = Arc::from(String::read(r)?);
                if !r.shared_set.insert(Arc::clone(&s)) {
                    r.pos = at;
                    return Err(r.malformed("a shared string written out twice"));
                }
                r.shared.push(Arc::clone(&s));
                Ok(s)
            }
            n => match r.shared.get(n as usize - 1) {
                Some(s) => Ok(Arc::clone(s)),
                None => {
                    r.pos = at;
                    Err(r.malformed(format!("shared string {n} of {} so far", r.shared.len())))
                }
            },
        }
    }
}

impl<T: Persist> Persist for Arc<T> {
    fn write(&self, w: &mut Writer) {
        (**self).write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        T::read(r).map(Arc::new)
    }
}

impl<T: Persist> Persist for Box<[T]> {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        for v in self.iter() {
            v.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Vec::<T>::read(r).map(Vec::into_boxed_slice)
    }
}

/// Interned strings, in the order of their numbers (which the state's
/// records refer to), front-coded: each string is the byte length of its
/// longest common prefix with the one before, then the rest as a string
/// (consecutive payment ids such as `p004924`, `p004925` take 3 bytes
/// instead of 8). A prefix that is not the longest, a result that is not
/// UTF-8 and a repeated string are refused, so the encoding is unique.
impl Persist for Interner {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        let mut prev: &str = "";
        for s in self.iter() {
            let common = prev
                .bytes()
                .zip(s.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            w.len(common);
            w.len(s.len() - common);
            w.bytes(&s.as_bytes()[common..]);
            prev = s;
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let n = r.len()?;
        // Room for the table is reserved up front (a million payment ids
        // would otherwise be rehashed as it doubles), at most one number per
        // 8 bytes left, so what is reserved stays within a few times the
        // file's size whatever its counts say.
        let mut out = Interner::with_capacity(n.min(r.remaining() / 8), 0);
        let mut prev: Vec<u8> = Vec::new();
        for i in 0..n {
            let at = r.pos;
            let common = r.varint()?;
            if common > prev.len() as u128 {
                r.pos = at;
                return Err(r.malformed(format!(
                    "a common prefix of {common} bytes with a string of {}",
                    prev.len()
                )));
            }
            let common = common as usize;
            let len = r.len()?;
            let rest = r.take(len)?;
            if rest.first().is_some_and(|b| prev.get(common) == Some(b)) {
                r.pos = at;
                return Err(r.malformed("a common prefix shorter than it is"));
            }
            prev.truncate(common);
            prev.extend_from_slice(rest);
            let Ok(s) = std::str::from_utf8(&prev) else {
                r.pos = at;
                return Err(r.malformed("an interned string that is not UTF-8"));
            };
            if out.intern(s) as usize != i {
                r.pos = at;
                return Err(r.malformed("a repeated interned string"));
            }
        }
        Ok(out)
    }
}

/// Numbered values, in the order of their numbers; a repeat is refused.
impl<T: Persist + Copy + Eq + std::hash::Hash> Persist for Numbered<T> {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        for v in self.iter() {
            v.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let n = r.len()?;
        // As for the interner: at most one value per its size in bytes left
        // (a 32-byte hash is written as its 32 bytes).
        let mut out =
            Numbered::with_capacity(n.min(r.remaining() / std::mem::size_of::<T>().max(1)));
        for _ in 0..n {
            let at = r.pos;
            if out.insert(T::read(r)?).is_err() {
                r.pos = at;
                return Err(r.malformed("a repeated numbered value"));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Persist + PartialEq + std::fmt::Debug>(v: T) {
        let bytes = to_bytes(&v);
        let mut r = Reader {
            bytes: &bytes,
            pos: 0,
            base: 0,
            shared: Vec::new(),
            shared_set: HashSet::new(),
        };
        assert_eq!(T::read(&mut r).unwrap(), v);
        assert_eq!(r.remaining(), 0);
    }

    fn read<T: Persist>(bytes: &[u8]) -> Result<T, Malformed> {
        let mut r = Reader {
            bytes,
            pos: 0,
            base: 0,
            shared: Vec::new(),
            shared_set: HashSet::new(),
        };
        T::read(&mut r)
    }

    #[test]
    fn integers_round_trip_at_their_limits() {
        for v in [0, 1, 127, 128, 255, 300, u64::MAX - 1, u64::MAX] {
            round_trip(v);
        }
        for v in [0, 1, -1, 63, -64, 64, -65, i64::MIN, i64::MAX] {
            round_trip(v);
        }
        for v in [0, -1, i128::MIN, i128::MAX, i128::MIN + 1] {
            round_trip(v);
        }
        round_trip(u16::MAX);
        round_trip(usize::MAX);
    }

    #[test]
    fn varints_are_minimal_and_bounded() {
        // 0 as two bytes; 1 with a trailing zero group
        assert!(read::<u64>(&[0x80, 0x00]).is_err());
        assert!(read::<u64>(&[0x81, 0x00]).is_err());
        // 2^64 does not fit a u64; 19 continuation bytes do not fit 128 bits
        assert!(
            read::<u64>(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]).is_err()
        );
        assert!(read::<i128>(&[0xFF; 19]).is_err());
        assert!(read::<u64>(&[0x80]).is_err());
        assert!(read::<u16>(&[0xFF, 0xFF, 0x04]).is_err());
    }

    #[test]
    fn collections_are_canonical() {
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), 2i64);
        m.insert("a".to_string(), 1i64);
        round_trip(m);
        let h: HashMap<String, i64> = (0..100).map(|i| (format!("k{i}"), i)).collect();
        let w1 = to_bytes(&h);
        let h2: HashMap<String, i64> = (0..100).rev().map(|i| (format!("k{i}"), i)).collect();
        let w2 = to_bytes(&h2);
        assert_eq!(w1, w2, "a hash map is written in key order");
        assert_eq!(read::<HashMap<String, i64>>(&w1).unwrap(), h);
        // two equal keys, or descending ones, are refused
        assert!(read::<BTreeSet<u8>>(&[2, 5, 5]).is_err());
        assert!(read::<BTreeSet<u8>>(&[2, 6, 5]).is_err());
        assert!(read::<HashSet<u8>>(&[2, 5, 5]).is_err());
        round_trip(BTreeSet::from([1u8, 2, 3]));
        round_trip(Some((
            Hash([7; 32]),
            vec![String::from("é"), String::new()],
        )));
    }

    #[test]
    fn lengths_never_exceed_the_bytes_left() {
        // a count of 2^60 items in a 10-byte body
        let mut bytes = Vec::new();
        let mut w = Writer::new(&mut bytes);
        w.varint(1 << 60);
        w.bytes(&[0; 2]);
        w.finish().unwrap();
        assert!(read::<Vec<[u8; 32]>>(&bytes).is_err());
        assert!(read::<String>(&bytes).is_err());
        assert!(read::<String>(&[2, 0xC3, 0x28]).is_err(), "not UTF-8");
        assert!(read::<bool>(&[2]).is_err());
        assert!(read::<Option<u8>>(&[2, 0]).is_err());
        assert!(read::<Rule>(&[3, b'X', b'-', b'1']).is_err());
        assert!(read::<Date>(&[0x80, 0x80, 0x80, 0x80, 0x01]).is_err());
    }

    #[test]
    fn interned_strings_are_front_coded_and_canonical() {
        let mut i = Interner::new();
        for s in [
            "p004924", "p004925", "p00493", "", "q", "é", "è", "èa", "p004924x",
        ] {
            i.intern(s);
        }
        let bytes = to_bytes(&i);
        let back = read::<Interner>(&bytes).unwrap();
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            i.iter().collect::<Vec<_>>()
        );
        // count, then (common, rest length, rest): "p004924" in full, "p004925" as 6 + "5"
        assert_eq!(&bytes[..13], b"\x09\x00\x07p004924\x06\x015");
        // consecutive ids: 3 bytes each, 4 when the tens change, …
        let mut ids = Interner::new();
        for n in 0..1000 {
            ids.intern(&format!("p{n:06}"));
        }
        let len = to_bytes(&ids).len();
        assert!(len < 3_200, "{len}");
        // a prefix longer than the string before, one not the longest, a
        // split character, a repeat: refused
        assert!(read::<Interner>(b"\x02\x00\x01a\x02\x01b").is_err());
        assert!(read::<Interner>(b"\x02\x00\x02ab\x00\x02ac").is_err());
        assert!(read::<Interner>(b"\x02\x00\x02ab\x01\x01c").is_ok());
        assert!(read::<Interner>(b"\x01\x00\x01\xc3").is_err());
        assert!(read::<Interner>(b"\x02\x00\x01a\x01\x00").is_err());
    }

    #[test]
    fn shared_strings_are_written_once() {
        let m1: Arc<str> = Arc::from("m00001");
        let m2: Arc<str> = Arc::from("m00002");
        let v = vec![
            Arc::clone(&m1),
            Arc::clone(&m2),
            Arc::from("m00001"), // equal, another allocation: still shared
            Arc::clone(&m2),
        ];
        let bytes = to_bytes(&v);
        assert_eq!(bytes, b"\x04\x00\x06m00001\x00\x06m00002\x01\x02");
        let back = read::<Vec<Arc<str>>>(&bytes).unwrap();
        assert_eq!(back, v);
        assert!(Arc::ptr_eq(&back[0], &back[2]) && Arc::ptr_eq(&back[1], &back[3]));
        // written out twice, or a number not yet written: refused
        assert!(read::<Vec<Arc<str>>>(b"\x02\x00\x01a\x00\x01a").is_err());
        assert!(read::<Vec<Arc<str>>>(b"\x02\x00\x01a\x02").is_err());
        assert!(read::<Vec<Arc<str>>>(b"\x01\x01").is_err());
    }

    /// Streamed in pieces, the bytes are the same as written at once, also
    /// across piece boundaries and with long byte strings.
    #[test]
    fn streamed_pieces_are_the_whole() {
        let v: Vec<(String, u64)> = (0..20_000u64)
            .map(|i| ("x".repeat((i % 97) as usize), i * 1_000_003))
            .collect();
        let long = vec!["y".repeat(200_000)];
        for bytes in [to_bytes(&v), to_bytes(&long)] {
            assert!(bytes.len() > 2 * Writer::PIECE);
        }
        assert_eq!(read::<Vec<(String, u64)>>(&to_bytes(&v)).unwrap(), v);
        assert_eq!(read::<Vec<String>>(&to_bytes(&long)).unwrap(), long);
        // the sink's error is the result, after any number of writes
        struct Full(usize);
        impl io::Write for Full {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::from_raw_os_error(28));
                }
                self.0 -= 1;
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut full = Full(1);
        let mut w = Writer::new(&mut full);
        v.write(&mut w);
        assert_eq!(w.finish().unwrap_err().raw_os_error(), Some(28));
    }

    #[test]
    fn prealloc_is_bounded() {
        assert_eq!(prealloc::<u8>(10), 10);
        assert!(prealloc::<[u8; 32]>(usize::MAX) * 32 <= MAX_PREALLOC_BYTES);
    }
}
