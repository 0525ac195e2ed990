//! Commonstock: the protocol, reference verifier and conformance suite for
//! the records of venture communes.
//!
//! A commune publishes its history as a chain file: JSON Lines, each line an
//! entry that links to the previous one by hash and carries a document signed
//! by its parties. This crate holds the whole protocol as specified in
//! `spec/`; the `commonstock` binary only wires it to a command line.
//!
//! Layers, bottom up, each a module named after the protocol concept it owns:
//!
//! | module | spec | owns |
//! |---|---|---|
//! | [`canonical`] | 02 | the canonical JSON profile: parse, encode, compare |
//! | [`b64`], [`date`] | 02 | binary fields and calendar dates |
//! | [`hash`] | 03 | BLAKE3 with domain-separation contexts |
//! | [`sig`] | 04 | the pinned Ed25519 rule set, single and batch |
//! | [`document`] | 05 | the document envelope, its hash and signatures |
//! | [`chain`] | 06 | entries, links, the genesis charter, the commune id |
//! | [`checkpoint`] | 07 | checkpoints, cosignatures and fork proofs |
//! | [`audit`] | 09 | the ordered checks and the verdict |
//! | [`commune`] | 10 | the commune rules and the state they replay |
//! | [`dividend`] | 11 | period closes: the figures, computed exactly |
//! | [`conformance`] | conformance.md | test vectors, their generator, the runner |
//! | [`draft`] | 05, 10 | building a document's body before anyone signs |
//! | [`review`] | 05, 06, 10 | whether a document can still join a chain; how people read it |
//! | [`chainfile`] | 06 | the chain on disk: atomic, locked appends |
//! | [`keyfile`] | 05 (§5.6) | secret key files, plain or passphrase-encrypted |
//! | [`statefile`] | 09 (§9.5) | the saved state of an incremental audit, on disk |
//! | [`intern`] | — | numbered sets of ids, keys and hashes: a long chain's state, kept small |
//!
//! Every error carries a [`Rule`]: the spec's stable rule id.

pub mod audit;
pub mod b64;
pub mod canonical;
pub mod chain;
pub mod chainfile;
pub mod checkpoint;
pub mod commune;
pub mod conformance;
pub mod date;
pub mod dividend;
pub mod document;
pub mod draft;
pub mod hash;
pub mod intern;
pub mod keyfile;
pub mod review;
pub mod rule;
pub mod sig;
pub mod simulate;
pub mod statefile;
pub mod statement;

pub use rule::Rule;
