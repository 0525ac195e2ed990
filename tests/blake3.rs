//! The official BLAKE3 test vectors (test-vectors/external/blake3): the hash
//! the protocol uses is BLAKE3's derive_key mode (spec chapter 3), so that
//! mode, and the plain and keyed modes it is built on, must match, in full
//! extended output and as the 32-byte prefix the protocol keeps.

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn input(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn every_case_in_every_mode() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test-vectors/external/blake3/test_vectors.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let key: [u8; 32] = v["key"].as_str().unwrap().as_bytes().try_into().unwrap();
    let context = v["context_string"].as_str().unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 35);
    for c in cases {
        let len = c["input_len"].as_u64().unwrap() as usize;
        let data = input(len);
        for (mode, mut hasher) in [
            ("hash", blake3::Hasher::new()),
            ("keyed_hash", blake3::Hasher::new_keyed(&key)),
            ("derive_key", blake3::Hasher::new_derive_key(context)),
        ] {
            let want = unhex(c[mode].as_str().unwrap());
            hasher.update(&data);
            let mut got = vec![0u8; want.len()];
            hasher.finalize_xof().fill(&mut got);
            assert_eq!(got, want, "{mode}, input length {len}");
            assert_eq!(&got[..32], &want[..32]);
        }
        // the protocol's one-shot derive_key gives the 32-byte prefix
        let want = unhex(c["derive_key"].as_str().unwrap());
        assert_eq!(&blake3::derive_key(context, &data)[..], &want[..32]);
    }
}
