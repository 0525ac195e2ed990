//! Interning: sets of values numbered in the order they were first seen,
//! so that what refers to them can hold a `u32` instead of the value.
//!
//! The commune state of a long chain is mostly references: about one
//! payment per entry, each with an id that must stay unique (REF-2) and a
//! record of what it paid, naming an agreement, a series, a bond holder…
//! (kept because a later reversal may undo it). [`Interner`] keeps strings
//! end to end in one buffer and [`Numbered`] keeps fixed-size values (the
//! document hashes of the replay rule CHN-7, bond holder keys) in one
//! vector; both find a value again through the same compact table of ids.
//!
//! Values are compared in full, never by a prefix or a digest, so two
//! values that differ always get different numbers. The table is hashed
//! with std's [`RandomState`] (keyed per process), so a chain cannot be
//! built to make its lookups collide. Numbers follow insertion order and
//! nothing here is iterated in hash order.
//!
//! A slot of the table is 4 bytes and so is an interned string's end
//! offset (issue #17: the payment ids of the 1M-entry audit took 33.6 MB,
//! now 21.0 MB). With 2^k slots, a value's home slot is the top k bits of
//! its 64-bit hash; its slot holds its number plus one in the low k bits (0
//! is an empty slot; the table is at most three quarters full, so the
//! number fits) under the next 32 − k bits of the hash, a tag that spares
//! the comparison of all but one in 2^(32−k) of the other values met on
//! the way. A slot does not say where its home is (the home gains a bit
//! and the tag loses one each time the table doubles), so growing hashes
//! every value again, in the order of their numbers; reading a saved state
//! sizes the table up front and never grows it. A string's end offset is
//! kept modulo 2^32, with the numbers at which the text passed a multiple
//! of 4 GiB kept aside (none in practice).

use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};

/// The most slots a [`Table`] has: 2^32, so that a number plus one always
/// fits the low bits of its slot (k ≤ 32).
const MAX_SLOTS: u64 = 1 << 32;

/// Where a value of hash `hash` starts probing among 2^k slots: the top
/// k bits of its hash (1 ≤ k ≤ 32).
fn home(hash: u64, k: u32) -> usize {
    (hash >> (64 - k)) as usize
}

/// The high 32 − k bits of a value's slot among 2^k: the 32 − k bits of
/// its hash after those of its home (none when k = 32).
fn tag(hash: u64, k: u32) -> u32 {
    ((hash >> 32) << k) as u32
}

/// The low k bits of a slot among 2^k: where its number plus one is.
fn id_bits(k: u32) -> u32 {
    ((1u64 << k) - 1) as u32
}

/// An open-addressing hash table (linear probing) of the numbers 0, 1, 2…
/// of values that live with the caller. A slot does not hold its value's
/// whole hash, so the caller hashes a number's value again when the table
/// grows (`rehash`).
#[derive(Clone, Default)]
struct Table {
    /// 2^k slots (none before the first number), each 0 (empty) or a tag
    /// and a number plus one (see [`tag`] and [`id_bits`]).
    slots: Vec<u32>,
    len: usize,
}

impl Table {
    /// An empty table with room for `n` numbers before it grows.
    fn with_capacity(n: usize) -> Table {
        if n == 0 {
            return Table::default();
        }
        let size = ((n as u64).saturating_mul(4) / 3 + 1)
            .checked_next_power_of_two()
            .map_or(MAX_SLOTS, |size| size.clamp(16, MAX_SLOTS));
        Table {
            slots: zeroed(size),
            len: 0,
        }
    }

    /// log2 of the number of slots.
    fn bits(&self) -> u32 {
        self.slots.len().trailing_zeros()
    }

    /// The number whose value `is` the one sought, among those of the
    /// same home and tag as `hash`.
    fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let k = self.bits();
        let (tag, ids) = (tag(hash, k), id_bits(k));
        let mask = self.slots.len() - 1;
        let mut i = home(hash, k);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            // the same tag (the high bits) leaves the number plus one
            let id = s ^ tag;
            if id <= ids && is(id - 1) {
                return Some(id - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Numbers a value (of hash `hash`) known not to be in the table: its
    /// number is how many there were before it. `rehash(id)` is the hash
    /// of the value numbered `id`, for growth.
    ///
    /// # Panics
    /// Past 3 × 2^30 numbers (a table of 2^32 slots three quarters full).
    fn insert(&mut self, hash: u64, rehash: impl Fn(u32) -> u64) -> u32 {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(rehash);
        }
        let id = self.len as u32;
        self.place(hash, id);
        self.len += 1;
        id
    }

    fn place(&mut self, hash: u64, id: u32) {
        let k = self.bits();
        // At most three quarters full: the number plus one fits its bits.
        debug_assert!(id < id_bits(k));
        let mask = self.slots.len() - 1;
        let mut i = home(hash, k);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = tag(hash, k) | (id + 1);
    }

    /// Doubles the table (at most three quarters full, a power of two) and
    /// places every number again, in order, from its value's hash.
    fn grow(&mut self, rehash: impl Fn(u32) -> u64) {
        let size = (self.slots.len() as u64 * 2).max(16);
        assert!(size <= MAX_SLOTS, "at most 3 × 2^30 values");
        // The old slots are of no use (they do not say their homes): freed
        // before the new ones are taken.
        self.slots = Vec::new();
        self.slots = zeroed(size);
        for id in 0..self.len as u32 {
            self.place(rehash(id), id);
        }
    }
}

/// `size` empty slots.
fn zeroed(size: u64) -> Vec<u32> {
    vec![0; usize::try_from(size).expect("a table that fits in memory")]
}

/// Strings end to end, numbered in order.
#[derive(Clone, Default)]
struct Strings {
    /// Every string, end to end.
    text: String,
    /// Where each string ends in `text`, modulo 2^32 (it starts where the
    /// previous one ends).
    ends: Vec<u32>,
    /// The numbers of the strings at whose end the high part of the offset
    /// (end >> 32) rose, once per step and in order, so that string `i`
    /// ends at (how many are ≤ i) << 32 | ends[i]. Empty unless the text
    /// passes 4 GiB.
    wraps: Vec<u32>,
    /// What offset `text` starts at, below 2^32 (tests of `wraps` without
    /// 4 GiB).
    #[cfg(test)]
    base: u64,
}

impl Strings {
    /// The offset where `text` starts: 0 but in tests.
    #[inline]
    fn base(&self) -> u64 {
        #[cfg(test)]
        return self.base;
        #[cfg(not(test))]
        0
    }

    /// # Panics
    /// If no string has that number.
    fn resolve(&self, id: u32) -> &str {
        let i = id as usize;
        let end = u64::from(self.ends[i]);
        let start = if i == 0 {
            self.base()
        } else {
            u64::from(self.ends[i - 1])
        };
        let (start, end) = if self.wraps.is_empty() {
            (start, end)
        } else {
            self.past_4_gib(i, start, end)
        };
        let base = self.base();
        &self.text[(start - base) as usize..(end - base) as usize]
    }

    /// The whole offsets of string `i`, from where it starts and ends
    /// modulo 2^32 (its start is the end of string i − 1; string 0 starts
    /// at the base, below 2^32).
    #[cold]
    #[inline(never)]
    fn past_4_gib(&self, i: usize, start: u64, end: u64) -> (u64, u64) {
        let high = |j: usize| (self.wraps.partition_point(|&w| w as usize <= j) as u64) << 32;
        let start = if i == 0 { start } else { high(i - 1) | start };
        (start, high(i) | end)
    }

    fn push(&mut self, s: &str) {
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        let end = self.base() + self.text.len() as u64;
        // One step per 4 GiB passed (one at most, for a string shorter).
        for _ in self.wraps.len() as u64..end >> 32 {
            self.wraps.push(id);
        }
        self.ends.push(end as u32);
    }
}

/// Strings numbered 0, 1, 2… in the order they were first interned.
#[derive(Clone, Default)]
pub struct Interner {
    strings: Strings,
    table: Table,
    hasher: RandomState,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty interner with room for `n` strings of `bytes` bytes in all
    /// (reading a saved state: no table regrowth).
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Interner {
            strings: Strings {
                text: String::with_capacity(bytes),
                ends: Vec::with_capacity(n),
                ..Strings::default()
            },
            table: Table::with_capacity(n),
            hasher: RandomState::new(),
        }
    }

    /// How many strings are interned.
    pub fn len(&self) -> usize {
        self.strings.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.ends.is_empty()
    }

    /// The string numbered `id`.
    ///
    /// # Panics
    /// If no string has that number.
    pub fn resolve(&self, id: u32) -> &str {
        self.strings.resolve(id)
    }

    /// The number of `s`, if it is interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.table
            .find(self.hasher.hash_one(s), |id| self.resolve(id) == s)
    }

    /// The number of `s`, interning it first if it is new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        if let Some(id) = self.table.find(hash, |id| self.resolve(id) == s) {
            return id;
        }
        let (strings, hasher) = (&self.strings, &self.hasher);
        let id = self
            .table
            .insert(hash, |id| hasher.hash_one(strings.resolve(id)));
        self.strings.push(s);
        id
    }

    /// The strings in the order of their numbers.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|id| self.resolve(id))
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interner({} strings)", self.len())
    }
}

/// Values of a fixed size (hashes, keys) numbered 0, 1, 2… in the order
/// they were first inserted.
#[derive(Clone)]
pub struct Numbered<T> {
    values: Vec<T>,
    table: Table,
    hasher: RandomState,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Numbered {
            values: Vec::new(),
            table: Table::default(),
            hasher: RandomState::new(),
        }
    }
}

impl<T: Copy + Eq + Hash> Numbered<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with room for `n` values (reading a saved state: no
    /// table regrowth).
    pub fn with_capacity(n: usize) -> Self {
        Numbered {
            values: Vec::with_capacity(n),
            table: Table::with_capacity(n),
            hasher: RandomState::new(),
        }
    }

    /// How many values are numbered.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value numbered `id`.
    ///
    /// # Panics
    /// If no value has that number.
    pub fn value(&self, id: u32) -> T {
        self.values[id as usize]
    }

    /// The number of `v`, if it is in the set.
    pub fn get(&self, v: &T) -> Option<u32> {
        self.table
            .find(self.hasher.hash_one(v), |id| self.values[id as usize] == *v)
    }

    pub fn contains(&self, v: &T) -> bool {
        self.get(v).is_some()
    }

    /// Adds `v` if it is new: `Ok` with its new number, or `Err` with the
    /// number it already has.
    pub fn insert(&mut self, v: T) -> Result<u32, u32> {
        let hash = self.hasher.hash_one(v);
        if let Some(id) = self.table.find(hash, |id| self.values[id as usize] == v) {
            return Err(id);
        }
        let (values, hasher) = (&self.values, &self.hasher);
        let id = self
            .table
            .insert(hash, |id| hasher.hash_one(values[id as usize]));
        self.values.push(v);
        Ok(id)
    }

    /// The number of `v`, adding it first if it is new.
    pub fn intern(&mut self, v: T) -> u32 {
        self.insert(v).unwrap_or_else(|id| id)
    }

    /// The values in the order of their numbers.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.values.iter()
    }
}

impl<T> fmt::Debug for Numbered<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Numbered({} values)", self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_numbered_in_order_and_found_again() {
        let mut s = Interner::new();
        assert_eq!(s.get("a"), None);
        let words: Vec<String> = (0..5_000).map(|i| format!("p{i:06}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(s.intern(w), i as u32);
        }
        assert_eq!(s.intern(""), 5_000);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(s.get(w), Some(i as u32));
            assert_eq!(s.intern(w), i as u32);
            assert_eq!(s.resolve(i as u32), w);
        }
        assert_eq!(s.get(""), Some(5_000));
        assert_eq!(s.get("p00000"), None);
        assert_eq!(s.get("p0000000"), None);
        assert_eq!(s.len(), 5_001);
        assert!(s.iter().take(5_000).eq(words.iter().map(String::as_str)));
        // a clone is independent and finds the same numbers
        let mut t = s.clone();
        t.intern("new");
        assert_eq!((s.get("new"), t.get("new")), (None, Some(5_001)));
        assert_eq!(t.get("p004999"), Some(4_999));
    }

    /// The table starts empty and doubles 15 times (16 to 2^19 slots),
    /// every value hashed again each time.
    #[test]
    fn numbers_stay_right_across_many_doublings() {
        let mut s = Interner::new();
        let n = 200_000u32;
        let id = |i: u32| format!("pay-{i:09}");
        for i in 0..n {
            assert_eq!(s.intern(&id(i)), i);
            if i.is_power_of_two() {
                // the values numbered so far are still found mid-growth
                assert_eq!(s.get(&id(i / 2)), Some(i / 2));
            }
        }
        assert_eq!(s.table.slots.len(), 1 << 19);
        assert!(s.strings.wraps.is_empty());
        for i in 0..n {
            assert_eq!(s.get(&id(i)), Some(i));
            assert_eq!(s.resolve(i), id(i));
            assert_eq!(s.get(&id(n + i)), None);
            assert_eq!(s.get(&format!("pay-{i:08}")), None);
            assert_eq!(s.get(&format!("{}x", id(i))), None);
        }
        assert_eq!(s.intern(&id(n)), n);
        assert_eq!(s.len(), n as usize + 1);
    }

    #[test]
    fn values_that_differ_anywhere_get_different_numbers() {
        let mut set: Numbered<[u8; 32]> = Numbered::new();
        let mut all = Vec::new();
        for i in 0..32 {
            for b in [1u8, 0x80] {
                let mut v = [0u8; 32];
                v[i] = b;
                all.push(v);
            }
        }
        all.push([0; 32]);
        for (n, v) in all.iter().enumerate() {
            assert_eq!(set.insert(*v), Ok(n as u32));
        }
        for (n, v) in all.iter().enumerate() {
            assert_eq!(set.insert(*v), Err(n as u32));
            assert_eq!(set.get(v), Some(n as u32));
            assert_eq!(set.value(n as u32), *v);
        }
        assert_eq!(set.len(), all.len());
        assert!(!set.contains(&[0xff; 32]));
        assert_eq!(set.intern([0xff; 32]), all.len() as u32);
    }

    #[test]
    fn fixed_size_values_stay_numbered_across_growth() {
        // a number in the first or the last four bytes of a constant: 100,000
        // values, pairs of which differ only at both ends (16 to 2^18 slots)
        let value = |i: u32, back: bool| {
            let mut v = [0x5au8; 32];
            let at = if back { 28 } else { 0 };
            v[at..at + 4].copy_from_slice(&i.to_le_bytes());
            v
        };
        let mut set: Numbered<[u8; 32]> = Numbered::new();
        let n = 50_000u32;
        for i in 0..n {
            assert_eq!(set.insert(value(i, false)), Ok(2 * i));
            assert_eq!(set.insert(value(i, true)), Ok(2 * i + 1));
        }
        assert_eq!(set.table.slots.len(), 1 << 18);
        for i in 0..n {
            assert_eq!(set.get(&value(i, false)), Some(2 * i));
            assert_eq!(set.insert(value(i, true)), Err(2 * i + 1));
            assert_eq!(set.value(2 * i + 1), value(i, true));
            assert!(!set.contains(&value(n + i, false)));
            assert!(!set.contains(&value(n + i, true)));
        }
        assert!(
            set.iter()
                .step_by(2)
                .eq((0..n).map(|i| value(i, false)).collect::<Vec<_>>().iter())
        );
    }

    /// Values of the same home and tag (their hashes differ only in bits
    /// the table keeps neither way) are still told apart, across growth.
    #[test]
    fn a_full_probe_sequence_still_finds_every_value() {
        let mut t = Table::default();
        let values: Vec<u64> = (0..1_000).collect();
        let hash = |v: u64| (7 << 32) | v;
        for (i, v) in values.iter().enumerate() {
            let id = t.insert(hash(*v), |id| hash(values[id as usize]));
            assert_eq!(id, i as u32);
        }
        let k = t.bits();
        assert_eq!(k, 11);
        assert!(
            values
                .iter()
                .all(|v| home(hash(*v), k) == 0 && tag(hash(*v), k) == 7 << k)
        );
        for (i, v) in values.iter().enumerate() {
            assert_eq!(
                t.find(hash(*v), |id| values[id as usize] == *v),
                Some(i as u32)
            );
        }
        assert_eq!(t.find(hash(1_000), |_| false), None);
        // the same home, another tag: no value is even compared
        assert_eq!(t.find(8 << 32, |_| true), None);
        assert_eq!(t.find(8 << 32, |_| panic!("compared")), None);
    }

    /// The home and the tag are the top 32 bits of the hash, split at k,
    /// and a slot gives its number back, for every size up to 2^32 slots.
    #[test]
    fn slots_keep_their_numbers_and_tags_at_every_size() {
        let hashes = [0, u64::MAX, 0x9e37_79b9_7f4a_7c15, 0x8000_0000_0000_0001];
        for k in 4..=32u32 {
            let ids = id_bits(k);
            assert_eq!(u64::from(ids), (1u64 << k) - 1);
            for h in hashes {
                let (home, tag) = (home(h, k), tag(h, k));
                assert!((home as u64) < 1 << k);
                assert_eq!(tag & ids, 0);
                assert_eq!((home as u64) << (32 - k) | u64::from(tag) >> k, h >> 32);
                // the greatest number a table of 2^k slots holds (3/4 full)
                for id in [0, (3u64 << (k - 2)) - 1] {
                    let slot = tag | (id as u32 + 1);
                    assert_eq!(u64::from((slot & ids) - 1), id);
                    assert_eq!(slot & !ids, tag);
                }
            }
        }
        assert_eq!(tag(u64::MAX, 32), 0);
        assert_eq!(home(u64::MAX, 32), u32::MAX as usize);
    }

    /// Room for n numbers is room for n numbers: no rehash while they come.
    #[test]
    fn a_table_with_capacity_does_not_grow() {
        for n in [1, 11, 12, 13, 24, 25, 1_000, 98_304, 98_305] {
            let mut t = Table::with_capacity(n);
            let size = t.slots.len();
            for i in 0..n as u64 {
                t.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), |_| {
                    panic!("regrew at {n}")
                });
            }
            assert_eq!(t.slots.len(), size);
            assert!(n * 4 <= size * 3);
        }
    }

    /// An interner whose text starts `base` bytes before 2^32, so that the
    /// offsets wrap after a few strings.
    fn near_4_gib(before: u64) -> Interner {
        let mut s = Interner::new();
        s.strings.base = (1 << 32) - before;
        s
    }

    #[test]
    fn offsets_past_4_gib_resolve() {
        // a string ends exactly at 2^32 (the third, the first), or one spans it
        for (before, wrap) in [(18, 2), (20, 3), (14, 2), (6, 0), (3, 0)] {
            let mut s = near_4_gib(before);
            let words: Vec<String> = (0..50).map(|i| format!("pay-{i:02}")).collect();
            for (i, w) in words.iter().enumerate() {
                assert_eq!(s.intern(w), i as u32);
            }
            assert_eq!(s.intern(""), 50);
            assert_eq!(s.strings.wraps, [wrap]);
            assert!(s.strings.ends[wrap as usize] < 7);
            for (i, w) in words.iter().enumerate() {
                assert_eq!(s.resolve(i as u32), w);
                assert_eq!(s.get(w), Some(i as u32));
            }
            assert_eq!(s.resolve(50), "");
            assert!(s.iter().take(50).eq(words.iter().map(String::as_str)));
            // growth hashes the strings again through the same offsets
            for i in 50..200 {
                assert_eq!(s.intern(&format!("pay-{i:03}")), i + 1);
            }
            assert_eq!(s.get("pay-07"), Some(7));
            assert_eq!(s.get("pay-199"), Some(200));
        }
    }
}
