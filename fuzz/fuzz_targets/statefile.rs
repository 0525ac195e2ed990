//! Arbitrary bytes as a saved audit state (`commonstock audit --resume`).
//!
//! Property: decoding never panics; a state that decodes (its checksum must
//! match, so mutations mostly test the checksum and header paths; seed with
//! real state files, see `seed.sh`) encodes back to the same bytes.
#![no_main]

use commonstock::statefile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(saved) = statefile::decode(data) {
        assert_eq!(statefile::encode(&saved), data, "one encoding per state");
    }
});
