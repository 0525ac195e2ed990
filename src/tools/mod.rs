//! The tools layer: what people use to make and keep a chain, on top of
//! the protocol, the commune rules and the audit.
//!
//! | module | spec | owns |
//! |---|---|---|
//! | [`draft`] | 05, 10 | building a document's body before anyone signs |
//! | [`review`] | 05, 06, 10 | whether a document can still join a chain; how people read it |
//! | [`chainfile`] | 06 | the chain on disk: atomic, locked appends (one document or a batch) |
//! | [`cache`] | 09 (§9.5) | saved audit states kept per commune and head, so a long chain is read in proportion to what was added |
//! | [`due`] | 10, 11 | what the commune owes and is owed as of a date (`commonstock due`) |
//! | [`batch`] | 10, 11, 13 | drafting many payments at once: dividends, bond service, a bank statement's CSV; the payment id scheme |
//! | [`keyfile`] | 05 (§5.6) | secret key files, plain or passphrase-encrypted |
//! | [`simulate`] | — | synthetic communes of any size, for benchmarks |
//!
//! `cache`, `chainfile` and `keyfile` touch the file system and the system's random
//! number generator; they are left out of builds without the `native`
//! feature (the web build).

pub mod batch;
#[cfg(feature = "native")]
pub mod cache;
#[cfg(feature = "native")]
pub mod chainfile;
pub mod draft;
pub mod due;
#[cfg(feature = "native")]
pub mod keyfile;
pub mod review;
pub mod simulate;
