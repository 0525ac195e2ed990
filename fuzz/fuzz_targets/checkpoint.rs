//! Checkpoint and fork-proof files of arbitrary bytes.
//!
//! Properties: no panic; a file that parses is canonical, so writing the
//! parsed value back gives the same bytes; verification never panics.
#![no_main]

use commonstock::checkpoint::{Checkpoint, ForkProof};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cp) = Checkpoint::parse(data) {
        assert_eq!(cp.to_bytes(), data, "a checkpoint file is its own encoding");
        let _ = cp.verify_signatures();
    }
    if let Ok(proof) = ForkProof::parse(data) {
        let bytes = proof.to_bytes().expect("a parsed proof writes back");
        assert_eq!(bytes, data, "a fork proof file is its own encoding");
        let _ = proof.verify();
    }
});
