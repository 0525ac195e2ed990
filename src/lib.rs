//! Commonstock: the protocol, reference verifier and conformance suite for
//! the records of venture communes.
//!
//! A commune publishes its history as a chain file: JSON Lines, each line an
//! entry that links to the previous one by hash and carries a document signed
//! by its parties. This crate holds the whole protocol as specified in
//! `spec/`; the `commonstock` binary (`src/cli/`) only wires it to a command
//! line.
//!
//! # Layers
//!
//! Each folder is a layer; a layer imports only from the layers below it
//! (`tests/layers.rs` checks that, and that no two files import each other
//! round a circle):
//!
//! | layer | spec | owns |
//! |---|---|---|
//! | [`protocol`] | 02–07 | canonical JSON, hashes, signatures, documents, the chain, checkpoints, rule ids |
//! | [`commune`] | 10, 11 | the commune rules and the state they replay; the dividend figures |
//! | [`audit`] | 09 | the ordered checks, the verdict, the saved state of an incremental audit |
//! | [`report`] | 09.3, 11.7 | the statement, the dividend table and the HTML report for people and programs |
//! | [`tools`] | 05, 06, 10, 13 | drafting (one document or a batch), review, what is due, chain and key files, the cache of audit states, synthetic communes |
//! | [`conformance`] | conformance.md | the test vectors, their generator, the runner |
//!
//! [`atomic`] (files replaced atomically) sits beside them and imports
//! nothing of the crate.
//!
//! # Builds
//!
//! The default feature `native` adds what needs an operating system: key
//! and chain files, the system's random numbers, and the command line. With
//! `--no-default-features` the library builds for `wasm32-unknown-unknown`
//! (no threads, files or network are needed by the protocol, the commune
//! rules, the audit or the reports).
//!
//! # Paths
//!
//! Every module is also re-exported at the crate root under its own name
//! (`commonstock::chain`, `commonstock::dividend`, …): those are the public
//! paths, stable across moves inside the layers.
//!
//! Every error carries a [`Rule`]: the spec's stable rule id.

pub mod atomic;
pub mod audit;
pub mod commune;
pub mod conformance;
pub mod protocol;
pub mod report;
pub mod tools;

pub use audit::statefile;
pub use protocol::{b64, canonical, chain, checkpoint, date, document, hash, intern, rule, sig};
pub use report::statement;
pub use rule::Rule;
pub use tools::{batch, draft, due, review, simulate};
#[cfg(feature = "native")]
pub use tools::{cache, chainfile, keyfile};

/// The dividends: the figures of a period close ([`commune::dividend`]) and
/// the table of them ([`report::dividends`]) under one public path.
pub mod dividend {
    pub use crate::commune::dividend::*;
    pub use crate::report::dividends::*;
}
