//! The roster: every member id the commune has admitted, current and
//! former, numbered 0, 1, 2… in the order of admission (spec 10.5).
//!
//! A period close lists every eligible member (spec 11.3), so on a long
//! chain the closes hold one entry per member and month: on the 1M-entry
//! synthetic chain, a million. They name members by their number in the
//! roster (four bytes) instead of by a shared id (sixteen), and each close
//! keeps a [`Roster`] of its own to read the ids back. That copy is cheap:
//! the roster is a list of full chunks of [`Roster::CHUNK`] ids, shared
//! between every copy (an `Arc` each), and a short tail copied with it, so
//! a close's copy costs a few kilobytes whatever the commune's size.
//!
//! Numbers are never reused and ids never change, so a copy taken at a
//! close reads every id the close names, however the roster grows later.

use std::fmt;
use std::sync::Arc;

use crate::protocol::persist::{Malformed, Persist, Reader, Writer};

/// Member ids numbered in order of admission; cloning shares the full
/// chunks.
#[derive(Clone, Default)]
pub struct Roster {
    /// Full chunks of `CHUNK` ids each, immutable once full.
    full: Vec<Arc<[Arc<str>]>>,
    /// The ids after the last full chunk (fewer than `CHUNK`).
    tail: Vec<Arc<str>>,
}

impl Roster {
    /// Ids per shared chunk: a copy copies at most `CHUNK - 1` of them.
    pub const CHUNK: usize = 256;

    pub fn new() -> Self {
        Self::default()
    }

    /// How many ids are numbered.
    pub fn len(&self) -> usize {
        self.full.len() * Self::CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Numbers `id` (the next number) and returns its number.
    pub fn push(&mut self, id: Arc<str>) -> u32 {
        let n = u32::try_from(self.len()).expect("fewer than 2^32 members ever");
        self.tail.push(id);
        if self.tail.len() == Self::CHUNK {
            self.full.push(Arc::from(std::mem::take(&mut self.tail)));
        }
        n
    }

    /// The id numbered `n`.
    ///
    /// # Panics
    /// If `n` is not below [`Roster::len`].
    #[inline]
    pub fn get(&self, n: u32) -> &Arc<str> {
        assert!((n as usize) < self.len(), "member number {n} out of range");
        let (chunk, i) = (n as usize / Self::CHUNK, n as usize % Self::CHUNK);
        match self.full.get(chunk) {
            Some(c) => &c[i],
            None => &self.tail[i],
        }
    }

    /// The ids in the order of their numbers.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<str>> {
        self.full.iter().flat_map(|c| c.iter()).chain(&self.tail)
    }
}

impl PartialEq for Roster {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Roster {}

impl fmt::Debug for Roster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Roster({} members)", self.len())
    }
}

/// The roster in the saved-state file: its ids in order (shared strings,
/// so an id the member table wrote costs a varint).
impl Persist for Roster {
    fn write(&self, w: &mut Writer) {
        w.len(self.len());
        for id in self.iter() {
            id.write(w);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let ids = Vec::<Arc<str>>::read(r)?;
        let mut roster = Roster::new();
        for id in ids {
            roster.push(id);
        }
        Ok(roster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_admission_and_copies_keep_reading() {
        let mut r = Roster::new();
        let ids: Vec<Arc<str>> = (0..1_000).map(|i| Arc::from(format!("m{i:04}"))).collect();
        let mut copies = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(r.push(Arc::clone(id)), i as u32);
            if i % 97 == 0 {
                copies.push((i + 1, r.clone()));
            }
        }
        assert_eq!(r.len(), 1_000);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(r.get(i as u32), id);
        }
        assert!(r.iter().eq(ids.iter()));
        // a copy reads what it had, and the original grew past it
        for (n, c) in &copies {
            assert_eq!(c.len(), *n);
            assert!(c.iter().eq(ids[..*n].iter()));
            assert_ne!(c, &r);
        }
        // full chunks are shared, not copied
        let c = r.clone();
        assert!(Arc::ptr_eq(&c.full[0], &r.full[0]));
        assert_eq!(c, r);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn a_number_past_the_end_is_refused() {
        let mut r = Roster::new();
        for i in 0..Roster::CHUNK {
            r.push(Arc::from(format!("m{i}")));
        }
        r.get(Roster::CHUNK as u32 + 1);
    }
}
