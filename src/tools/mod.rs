//! The tools layer: what people use to make and keep a chain, on top of
//! the protocol, the commune rules and the audit.
//!
//! | module | spec | owns |
//! |---|---|---|
//! | [`draft`] | 05, 10 | building a document's body before anyone signs |
//! | [`review`] | 05, 06, 10 | whether a document can still join a chain; how people read it |
//! | [`chainfile`] | 06 | the chain on disk: atomic, locked appends |
//! | [`keyfile`] | 05 (§5.6) | secret key files, plain or passphrase-encrypted |
//! | [`simulate`] | — | synthetic communes of any size, for benchmarks |
//!
//! `chainfile` and `keyfile` touch the file system and the system's random
//! number generator; they are left out of builds without the `native`
//! feature (the web build).

#[cfg(feature = "native")]
pub mod chainfile;
pub mod draft;
#[cfg(feature = "native")]
pub mod keyfile;
pub mod review;
pub mod simulate;
