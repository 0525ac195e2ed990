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

use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};

/// A slot of [`Table`]: the top half of the value's hash and its number
/// plus one (0 for an empty slot).
#[derive(Clone, Copy, Default)]
struct Slot {
    tag: u32,
    id: u32,
}

/// An open-addressing hash table (linear probing) of numbers whose values
/// live with the caller. A value's home slot is a function of its 32-bit
/// tag alone, so the table grows without looking at the values.
#[derive(Clone, Default)]
struct Table {
    slots: Vec<Slot>,
    len: usize,
}

impl Table {
    /// An empty table with room for `n` numbers before it grows.
    fn with_capacity(n: usize) -> Table {
        if n == 0 {
            return Table::default();
        }
        let size = (n * 4 / 3 + 1).next_power_of_two().max(16);
        Table {
            slots: vec![Slot::default(); size],
            len: 0,
        }
    }

    fn home(&self, tag: u32) -> usize {
        ((u64::from(tag) * self.slots.len() as u64) >> 32) as usize
    }

    /// The number whose value `is` the one sought, among those with the
    /// same tag.
    fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        loop {
            let s = self.slots[i];
            if s.id == 0 {
                return None;
            }
            if s.tag == tag && is(s.id - 1) {
                return Some(s.id - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `id` for a value known not to be in the table.
    fn insert(&mut self, hash: u64, id: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.place(Slot {
            tag: (hash >> 32) as u32,
            id: id.checked_add(1).expect("fewer than 2^32 - 1 values"),
        });
        self.len += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(slot.tag);
        while self.slots[i].id != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Doubles the table (at most three quarters full, a power of two).
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        for s in old.into_iter().filter(|s| s.id != 0) {
            self.place(s);
        }
    }
}

/// Strings numbered 0, 1, 2… in the order they were first interned.
#[derive(Clone, Default)]
pub struct Interner {
    /// Every string, end to end.
    text: String,
    /// Where each string ends in `text` (it starts where the previous ends).
    ends: Vec<usize>,
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
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
            table: Table::with_capacity(n),
            hasher: RandomState::new(),
        }
    }

    /// How many strings are interned.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The string numbered `id`.
    ///
    /// # Panics
    /// If no string has that number.
    pub fn resolve(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
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
        let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 strings");
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.table.insert(hash, id);
        id
    }

    /// The strings in the order of their numbers.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|id| self.resolve(id))
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
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 values");
        self.values.push(v);
        self.table.insert(hash, id);
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

    /// Values whose tags collide are still told apart.
    #[test]
    fn a_full_probe_sequence_still_finds_every_value() {
        let mut t = Table::default();
        let values: Vec<u64> = (0..1_000).collect();
        for (i, _) in values.iter().enumerate() {
            // every value under the same hash
            t.insert(7 << 32, i as u32);
        }
        for (i, v) in values.iter().enumerate() {
            assert_eq!(
                t.find(7 << 32, |id| values[id as usize] == *v),
                Some(i as u32)
            );
        }
        assert_eq!(t.find(7 << 32, |_| false), None);
        assert_eq!(t.find(8 << 32, |_| true), None);
    }
}
