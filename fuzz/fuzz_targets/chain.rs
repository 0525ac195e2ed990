//! A whole chain file of arbitrary bytes through the audit.
//!
//! Seeded with sound chains (see `seed.sh`), so the mutations start from
//! lines that pass every check. Properties: no panic, no I/O error from an
//! in-memory reader, and the report is self-consistent (one finding, at the
//! entry after the last one that passed; head = hash of that entry's line).
#![no_main]

use commonstock::audit::{self, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = audit::audit(data, &Options::default()).expect("no I/O error from a slice");
    commonstock_fuzz::check_report(data, &report);
});
