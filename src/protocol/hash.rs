//! Hashing: BLAKE3 in key-derivation mode, one context string per purpose
//! (spec/03-hashing.md).
//!
//! Every hash in the protocol is `BLAKE3-derive_key(context, bytes)` with a
//! 32-byte output. The context names what the bytes are, so the hash of a
//! document can never be mistaken for the hash of an entry or of a charter
//! body, even if the bytes happened to be equal. Context strings are fixed
//! ASCII constants; they are part of the protocol and never change within a
//! protocol version.

use std::fmt;
use std::sync::OnceLock;

use crate::protocol::b64;

/// Context for the commune id, over the canonical bytes of the charter body.
pub const COMMUNE_CONTEXT: &str = "commonstock v1 commune id";
/// Context for a document hash, over the canonical bytes of the document
/// envelope without its `sigs` member.
pub const DOCUMENT_CONTEXT: &str = "commonstock v1 document";
/// Context for an entry hash, over the bytes of the entry's line without
/// its LF.
pub const ENTRY_CONTEXT: &str = "commonstock v1 entry";
/// Context for the hash of a human-readable text (bylaws, agreement texts),
/// over the file's bytes exactly as published.
pub const TEXT_CONTEXT: &str = "commonstock v1 text";

/// A 32-byte protocol hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash: the `prev` of the genesis entry.
    pub const ZERO: Hash = Hash([0; 32]);

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The unpadded base64url form used in JSON.
    pub fn to_b64(&self) -> String {
        b64::encode(&self.0)
    }

    /// The first 8 characters of the base64url form, for human output only.
    pub fn short(&self) -> String {
        let mut s = self.to_b64();
        s.truncate(8);
        s
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_b64())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_b64())
    }
}

/// A hasher whose context key is derived once per process, not per call.
fn hasher(context: &'static str, cell: &'static OnceLock<blake3::Hasher>) -> blake3::Hasher {
    cell.get_or_init(|| blake3::Hasher::new_derive_key(context))
        .clone()
}

macro_rules! hash_fn {
    ($(#[$doc:meta])* $name:ident, $ctx:expr) => {
        $(#[$doc])*
        pub fn $name(bytes: &[u8]) -> Hash {
            static CELL: OnceLock<blake3::Hasher> = OnceLock::new();
            let mut h = hasher($ctx, &CELL);
            h.update(bytes);
            Hash(*h.finalize().as_bytes())
        }
    };
}

hash_fn!(
    /// The commune id: the hash of the charter body's canonical bytes.
    commune_id,
    COMMUNE_CONTEXT
);
hash_fn!(
    /// A document's hash: over its canonical bytes without `sigs`.
    document,
    DOCUMENT_CONTEXT
);
/// [`document`] over the concatenation of `parts`.
pub fn document_parts(parts: &[&[u8]]) -> Hash {
    static CELL: OnceLock<blake3::Hasher> = OnceLock::new();
    let mut h = hasher(DOCUMENT_CONTEXT, &CELL);
    for p in parts {
        h.update(p);
    }
    Hash(*h.finalize().as_bytes())
}

hash_fn!(
    /// An entry's hash: over its line, without the LF.
    entry,
    ENTRY_CONTEXT
);
hash_fn!(
    /// A published text's hash: over the file's bytes.
    text,
    TEXT_CONTEXT
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_separate_equal_inputs() {
        let b = b"{}";
        let all = [commune_id(b), document(b), entry(b), text(b)];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
            }
        }
    }

    #[test]
    fn matches_blake3_derive_key() {
        let want = blake3::derive_key(ENTRY_CONTEXT, b"abc");
        assert_eq!(entry(b"abc").0, want);
        // and the cached hasher does not leak state between calls
        assert_eq!(entry(b"abc").0, want);
    }
}
