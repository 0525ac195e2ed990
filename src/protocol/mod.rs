//! The protocol layer: everything a chain is made of, before any commune
//! rule: the canonical JSON profile (spec 02), hashes (03), the pinned
//! Ed25519 rule set (04), documents (05), the chain and its genesis (06),
//! checkpoints and fork proofs (07), and the rule ids every error carries.
//!
//! Nothing here reads a file, starts a thread or opens a connection, so the
//! layer builds for `wasm32-unknown-unknown` as it is. It imports nothing
//! from the layers above.
//!
//! | module | spec | owns |
//! |---|---|---|
//! | [`rule`] | all | the stable rule ids |
//! | [`canonical`] | 02 | the canonical JSON profile: parse, encode, compare |
//! | [`b64`], [`date`] | 02 | binary fields and calendar dates |
//! | [`hash`] | 03 | BLAKE3 with domain-separation contexts |
//! | [`sig`] | 04 | the pinned Ed25519 rule set, single and batch |
//! | [`document`] | 05 | the document envelope, its hash and signatures |
//! | [`chain`] | 06 | entries, links, the genesis charter, the commune id |
//! | [`checkpoint`] | 07 | checkpoints, cosignatures and fork proofs |
//! | [`intern`] | — | numbered sets of ids, keys and hashes: a long chain's state, kept small |
//! | [`persist`] | 09 (§9.5) | the binary encoding of saved state, for every layer's types |

pub mod b64;
pub mod canonical;
pub mod chain;
pub mod checkpoint;
pub mod date;
pub mod document;
pub mod hash;
pub mod intern;
pub(crate) mod persist;
pub mod rule;
pub mod sig;
