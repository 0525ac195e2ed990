//! The conformance suite: test vectors every implementation of the protocol
//! can run without reading this crate, their deterministic generator, and
//! the runner that puts any implementation through them
//! (spec/conformance.md, test-vectors/README.md).
//!
//! # What is in the suite
//!
//! - **Chain cases** (`test-vectors/chains/*.case`): one case per file, in
//!   the manner of the age test kit (C2SP/CCTV). A short text header says
//!   what a conforming auditor must conclude (`expect: valid|invalid`, the
//!   first error's `rule` and `entry`, the rules the case `covers`,
//!   `checkpoint:`s to audit against, `comment:`s), then one empty line,
//!   then the chain file's exact bytes. The data is raw bytes, so a case can
//!   hold a byte order mark, a CR, a missing final LF or invalid UTF-8.
//!   Cases too large to commit (a 16 MiB line, 65,537 signatures) carry an
//!   `expand:` header that says which bytes to repeat where; see
//!   [`Expand`].
//! - **Tables** (`test-vectors/tables/*.json`) for the layers below the
//!   chain, where a whole chain would be a clumsy carrier: canonical JSON,
//!   hashing, Ed25519 under the pinned rule set, the document envelope,
//!   checkpoints and fork proofs. Every row names the rules it `covers`.
//! - **The manifest** (`test-vectors/manifest.json`): every case and every
//!   table row, with its layer and the rules it covers.
//!
//! # Coverage
//!
//! Every rule of [`Rule::ALL`] must have at least one *passing* item (a
//! valid case, or an accepting table row, in which the rule is checked and
//! holds) and one *failing* item (a case or row whose expected first error
//! is that rule). `tests/conformance.rs` fails the build when a rule has
//! neither; adding a rule to [`Rule::ALL`] therefore fails the build until
//! the generator below gets cases for it.
//!
//! # Files
//!
//! Imports point down this list; no file imports one above it.
//!
//! | file | owns | spec |
//! | --- | --- | --- |
//! | `case.rs` | [`Case`], [`Expect`], [`Expand`], the `.case` format, [`layer_of`], hex | test-vectors/README.md |
//! | `build.rs` | the builder: [`Gen`], keys, bodies, [`signed`], [`Fixture`], line edits, curve points, table rows; **how to add a case** | conformance.md |
//! | `chains.rs` | integrity chain cases (tables of line and signature edits) | chapters 2 to 8 |
//! | `commune.rs` | [`life`] and the commune rule cases | chapter 10 |
//! | `dividends.rs` | dividend scenarios, DIV cases, `tables/dividends.json` | chapter 11 |
//! | `collateral.rs` | version-2 stories (sale, call and reserve, auction) and their cases | chapter 14 |
//! | `tables.rs` | the other `tables/*.json` and [`check_row`] | chapters 2 to 7 |
//! | `generate.rs` | [`generate`]: the case list, the manifest, file layout | test-vectors/README.md |
//! | `runner.rs` | [`run`]: an adapter through the cases; [`library_verdict`] | conformance.md |
//!
//! Every file of cases has a hook `pub(crate) fn cases(g: &mut Gen)` and is
//! registered by its name in the `case_files!` list below; see `build.rs`
//! for how to write one.
//!
//! # The runner
//!
//! [`run`] puts an implementation through every chain case via the adapter
//! contract of spec/conformance.md: for each case it writes the chain (and
//! the checkpoints) to a fresh directory under the system temporary
//! directory, runs `sh -c 'CMD "$@"' conformance [--checkpoint FILE]...
//! CHAIN`, reads one audit report (spec 9.3, schema
//! `commonstock-audit-v1`) from standard output, and compares the validity,
//! the first finding's rule and its entry with the case's header. Exit
//! status 0 or 1 is accepted; any other status, a report it cannot read, or
//! no answer within [`TIMEOUT`] fails the case. The timeout is the only
//! place a clock enters, and only for adapters that hang.

mod build;
mod case;
mod generate;
mod runner;
mod tables;

pub use build::{
    BYLAWS, Fixture, GROUP_ORDER, Gen, IDENTITY, LineEdit, ORDER_8, X_NEG_ZERO, Y_EQUALS_P,
    Y_P_PLUS_3, add_l_to_s, charter_body, edit_array, edit_doc, edit_entry, edit_sig, edit_sigs,
    income, join, key, map_str, obj, off_curve, payment, pk, replace, set_doc, set_entry, signed,
    text_hash, thresholds, torsioned_signature,
};
pub use case::{Case, Expand, Expect, hex, layer_of, unhex};
pub use commune::life;
pub use generate::{MANIFEST_SCHEMA, layout};
pub use runner::{
    Answer, Outcome, REPORT_SCHEMA, RunReport, TIMEOUT, library_dividends, library_verdict,
    load_cases, parse_report, rules_of, run, run_case,
};
pub use tables::{check_row, tables};

/// Declares the files of chain cases and lists their hooks, so that a new
/// file is one more name here.
macro_rules! case_files {
    ($($file:ident),* $(,)?) => {
        $(mod $file;)*
        /// Every file's `cases` hook.
        const CASE_FILES: &[fn(&mut Gen)] = &[$($file::cases),*];
    };
}

case_files! {
    chains,
    commune,
    dividends,
    collateral,
}

/// Every chain case of the suite, sorted by name.
pub fn chain_cases() -> Vec<Case> {
    generate::chain_cases(CASE_FILES)
}

/// Every generated file: paths relative to `test-vectors/` and bytes.
/// Pure and deterministic.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    generate::files(CASE_FILES)
}
