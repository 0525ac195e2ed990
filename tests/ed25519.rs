//! The pinned Ed25519 rule set (spec/04-signatures.md) against external
//! vectors (Wycheproof, RFC 8032, CCTV) and our own cases, in single and
//! batch form.
//!
//! The CCTV verdict table `test-vectors/ed25519/cctv-verdicts.json` is the
//! reference. It is derived from the CCTV flags alone (not from this crate's
//! code) by `verdict_from_flags`; regenerate it with
//! `cargo test --test ed25519 -- --ignored regenerate_cctv_verdicts`.

use std::fs;
use std::path::PathBuf;

use commonstock::sig::{self, Error, Item, SecretKey};
use serde_json::Value;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> Value {
    let text = fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn code(r: Result<(), Error>) -> String {
    match r {
        Ok(()) => "accept".to_string(),
        Err(e) => e.rule().code().to_string(),
    }
}

/// An owned test case.
struct Case {
    name: String,
    key: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
    expect: String,
}

impl Case {
    fn item(&self) -> Item<'_> {
        Item {
            key: &self.key,
            msg: &self.msg,
            sig: &self.sig,
        }
    }
}

/// A batch verifier.
type Batch = fn(&[Item<'_>]) -> Vec<Result<(), Error>>;

/// Both batch forms: one A term per key (the default) and one per item.
const BATCHES: [(&str, Batch); 2] = [
    ("batch", sig::verify_batch),
    ("uncoalesced batch", sig::verify_batch_uncoalesced),
];

/// Checks every case singly, as one batch, and as batches of `chunk` items,
/// in both batch forms.
fn check_single_and_batch(cases: &[Case], chunk: usize) {
    for c in cases {
        let got = code(sig::verify(&c.key, &c.msg, &c.sig));
        assert_eq!(got, c.expect, "{}: single", c.name);
    }
    let items: Vec<Item<'_>> = cases.iter().map(Case::item).collect();
    for (form, batch) in BATCHES {
        for c in cases {
            let alone = batch(&[c.item()]);
            assert_eq!(code(alone[0]), c.expect, "{}: {form} of one", c.name);
        }
        let all = batch(&items);
        assert_eq!(all.len(), cases.len());
        for (c, r) in cases.iter().zip(&all) {
            assert_eq!(code(*r), c.expect, "{}: whole-file {form}", c.name);
        }
        for (part, items) in cases.chunks(chunk).zip(items.chunks(chunk)) {
            for (c, r) in part.iter().zip(batch(items)) {
                assert_eq!(code(r), c.expect, "{}: {form} of {chunk}", c.name);
            }
        }
    }
}

// ---------------------------------------------------------------- Wycheproof

#[test]
fn wycheproof_labelled_verdicts() {
    let v = load("test-vectors/external/wycheproof/ed25519_test.json");
    let mut cases = Vec::new();
    let (mut total, mut wrong_length) = (0, 0);
    for group in v["testGroups"].as_array().unwrap() {
        let pk = hex(group["publicKey"]["pk"].as_str().unwrap());
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let id = t["tcId"].as_u64().unwrap();
            let result = t["result"].as_str().unwrap();
            assert!(
                result == "valid" || result == "invalid",
                "tc {id}: {result}"
            );
            let sig = hex(t["sig"].as_str().unwrap());
            let (Ok(key), Ok(sig)) = (
                <[u8; 32]>::try_from(&pk[..]),
                <[u8; 64]>::try_from(&sig[..]),
            ) else {
                // Not representable: the types (and ENC-9 on the wire) reject it.
                assert_eq!(
                    result, "invalid",
                    "tc {id}: wrong length but labelled valid"
                );
                wrong_length += 1;
                continue;
            };
            let msg = hex(t["msg"].as_str().unwrap());
            let got = code(sig::verify(&key, &msg, &sig));
            // The label fixes accept or reject; the batch must also give our rule code.
            assert_eq!(got == "accept", result == "valid", "tc {id}: {got}");
            let expect = got;
            if id == 151 {
                assert_eq!(expect, "SIG-3", "tc 151: R = identity with x sign bit set");
            }
            cases.push(Case {
                name: format!("wycheproof tc {id}"),
                key,
                msg,
                sig,
                expect,
            });
        }
    }
    assert_eq!(total, 151);
    assert_eq!(wrong_length, 12);
    assert_eq!(cases.iter().filter(|c| c.expect == "accept").count(), 88);
    assert_eq!(v["numberOfTests"].as_u64(), Some(151));
    assert!(cases.iter().any(|c| c.name == "wycheproof tc 151"));
    check_single_and_batch(&cases, 10);
}

// ------------------------------------------------------------------ RFC 8032

#[test]
fn rfc8032_section_7_1() {
    let v = load("test-vectors/external/rfc8032/rfc8032_ed25519_7_1.json");
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 5);
    let mut cases = Vec::new();
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let seed: [u8; 32] = hex(t["secret_key"].as_str().unwrap()).try_into().unwrap();
        let key: [u8; 32] = hex(t["public_key"].as_str().unwrap()).try_into().unwrap();
        let msg = hex(t["message"].as_str().unwrap());
        let sig: [u8; 64] = hex(t["signature"].as_str().unwrap()).try_into().unwrap();
        let sk = SecretKey::from_seed(seed);
        assert_eq!(sk.public_key(), key, "{name}: public key");
        assert_eq!(sk.sign(&msg), sig, "{name}: signature");
        assert_eq!(sig::check_key(&key), Ok(()), "{name}");
        cases.push(Case {
            name: name.to_string(),
            key,
            msg,
            sig,
            expect: "accept".into(),
        });
    }
    check_single_and_batch(&cases, 5);
}

// ---------------------------------------------------------------------- CCTV

const CCTV: &str = "test-vectors/external/cctv/ed25519vectors.json";
const CCTV_TABLE: &str = "test-vectors/ed25519/cctv-verdicts.json";

/// The verdict the pinned rule set implies for a CCTV vector, from its flags
/// only: the first failing rule in spec order. A vector with none of the four
/// flags below has canonical, non-small-order A and R and S < L, and CCTV's
/// vectors all satisfy the cofactored equation over the bytes as received
/// (the low_order_component_*, low_order_residue and reencoded_k cases with
/// canonical, non-small-order points are accepted).
fn verdict_from_flags(flags: &[&str]) -> &'static str {
    let has = |f: &str| flags.contains(&f);
    if has("non_canonical_A") {
        "SIG-1"
    } else if has("low_order_A") {
        "SIG-2"
    } else if has("non_canonical_R") {
        "SIG-3"
    } else if has("low_order_R") {
        "SIG-4"
    } else {
        "accept"
    }
}

fn cctv_derived() -> Vec<(u64, &'static str)> {
    let v = load(CCTV);
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let flags: Vec<&str> = c["flags"]
                .as_array()
                .map(|a| a.iter().map(|f| f.as_str().unwrap()).collect())
                .unwrap_or_default();
            (c["number"].as_u64().unwrap(), verdict_from_flags(&flags))
        })
        .collect()
}

fn cctv_table_text(rows: &[(u64, &str)]) -> String {
    let mut s = String::from("{\n");
    s += "  \"description\": \"Expected verdict of every C2SP CCTV ed25519vectors.json case \
          (test-vectors/external/cctv/) under the pinned rule set: 'accept' or the first failing \
          rule id. Derived from the CCTV flags alone (tests/ed25519.rs, verdict_from_flags).\",\n";
    s += "  \"rule_set\": \"commonstock v1 (spec/04-signatures.md)\",\n";
    s += "  \"cases\": [\n";
    for (i, (n, e)) in rows.iter().enumerate() {
        let comma = if i + 1 < rows.len() { "," } else { "" };
        s += &format!("    {{\"number\": {n}, \"expect\": \"{e}\"}}{comma}\n");
    }
    s += "  ]\n}\n";
    s
}

#[test]
#[ignore = "writes test-vectors/ed25519/cctv-verdicts.json"]
fn regenerate_cctv_verdicts() {
    fs::write(path(CCTV_TABLE), cctv_table_text(&cctv_derived())).unwrap();
}

#[test]
fn cctv_table_equals_flag_derivation() {
    let derived = cctv_derived();
    assert_eq!(derived.len(), 914);
    assert_eq!(derived.iter().filter(|(_, e)| *e == "accept").count(), 106);
    let table = load(CCTV_TABLE);
    assert_eq!(
        table["rule_set"].as_str(),
        Some("commonstock v1 (spec/04-signatures.md)")
    );
    let rows = table["cases"].as_array().unwrap();
    assert_eq!(rows.len(), derived.len());
    for (row, (n, e)) in rows.iter().zip(&derived) {
        assert_eq!(row["number"].as_u64(), Some(*n));
        assert_eq!(row["expect"].as_str(), Some(*e), "case {n}");
    }
    // The committed bytes are exactly what the derivation writes.
    let text = fs::read_to_string(path(CCTV_TABLE)).unwrap();
    assert_eq!(text, cctv_table_text(&derived));
}

fn cctv_cases() -> Vec<Case> {
    let v = load(CCTV);
    let table = load(CCTV_TABLE);
    v.as_array()
        .unwrap()
        .iter()
        .zip(table["cases"].as_array().unwrap())
        .map(|(c, row)| {
            let n = c["number"].as_u64().unwrap();
            assert_eq!(row["number"].as_u64(), Some(n));
            Case {
                name: format!("cctv {n}"),
                key: hex(c["key"].as_str().unwrap()).try_into().unwrap(),
                msg: c["msg"].as_str().unwrap().as_bytes().to_vec(),
                sig: hex(c["sig"].as_str().unwrap()).try_into().unwrap(),
                expect: row["expect"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

#[test]
fn cctv_verdicts_single_and_batch() {
    let cases = cctv_cases();
    assert_eq!(cases.len(), 914);
    check_single_and_batch(&cases, 7);
    // Interleaved: accepted and rejected cases mixed in every batch.
    let mut mixed: Vec<Case> = Vec::new();
    let (acc, rej): (Vec<Case>, Vec<Case>) = cases.into_iter().partition(|c| c.expect == "accept");
    let mut rej = rej.into_iter();
    for a in acc {
        mixed.push(a);
        mixed.extend(rej.by_ref().take(3));
    }
    mixed.extend(rej);
    check_single_and_batch(&mixed, 16);
}

// ----------------------------------------------------------------- our cases

fn honest(n: usize, seed_byte: u8) -> Vec<Case> {
    (0..n)
        .map(|i| {
            let mut seed = [seed_byte; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let sk = SecretKey::from_seed(seed);
            let msg = format!("honest message {i}").into_bytes();
            Case {
                name: format!("honest {seed_byte}/{i}"),
                key: sk.public_key(),
                sig: sk.sign(&msg),
                msg,
                expect: "accept".into(),
            }
        })
        .collect()
}

#[test]
fn large_order_non_canonical_keys_are_sig1() {
    // y = p + d for these d decodes (leniently) to a large-order point.
    let honest = &honest(1, 9)[0];
    let mut count = 0;
    for d in [3u8, 4, 5, 6, 9, 10, 14, 15, 16, 18] {
        for sign in [0u8, 0x80] {
            let mut enc = [0xffu8; 32];
            enc[0] = 0xed + d; // p = ed ff .. ff 7f; no carry for d <= 18
            enc[31] = 0x7f | sign;
            let lenient = curve25519_dalek::edwards::CompressedEdwardsY(enc).decompress();
            assert!(lenient.is_some_and(|p| !p.is_small_order()), "y = p + {d}");
            assert_eq!(sig::check_key(&enc), Err(Error::NonCanonicalKey));
            assert_eq!(
                sig::verify(&enc, &honest.msg, &honest.sig),
                Err(Error::NonCanonicalKey)
            );
            count += 1;
        }
    }
    assert_eq!(count, 20);
}

/// Little-endian 32-byte value of `x + L*m` where x < 2^253.
fn add_multiple_of_l(x: &[u8], m: u64) -> [u8; 32] {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut out = [0u8; 32];
    let mut carry = 0u64;
    for i in 0..32 {
        let v = x[i] as u64 + L[i] as u64 * m + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

#[test]
fn scalar_range() {
    let c = &honest(1, 3)[0];
    let with_s = |s: [u8; 32]| {
        let mut sig = c.sig;
        sig[32..].copy_from_slice(&s);
        sig::verify(&c.key, &c.msg, &sig)
    };
    let zero = [0u8; 32];
    let l = add_multiple_of_l(&zero, 1);
    let mut l_minus_1 = l;
    l_minus_1[0] -= 1;
    let mut l_plus_1 = l;
    l_plus_1[0] += 1;
    assert_eq!(with_s(l), Err(Error::ScalarNotReduced));
    assert_eq!(with_s(l_plus_1), Err(Error::ScalarNotReduced));
    // L - 1 is in range, so the verdict comes from the equation.
    assert_eq!(with_s(l_minus_1), Err(Error::Equation));
    // S + L: the classic malleated signature, same point equation, rejected.
    assert_eq!(
        with_s(add_multiple_of_l(&c.sig[32..], 1)),
        Err(Error::ScalarNotReduced)
    );
    assert_eq!(with_s(c.sig[32..].try_into().unwrap()), Ok(()));
}

#[test]
fn torsion_residues_batch_with_honest_signatures() {
    // CCTV vectors we accept that carry low-order components or residues.
    let torsion: Vec<Case> = cctv_cases()
        .into_iter()
        .filter(|c| c.expect == "accept")
        .collect();
    assert_eq!(torsion.len(), 106);
    let honest = honest(40, 1);
    let mut mixed = Vec::new();
    for (i, t) in torsion.into_iter().enumerate() {
        mixed.push(t);
        if i % 3 == 0 {
            mixed.extend(honest[(i / 3) % 40..(i / 3) % 40 + 1].iter().map(|h| Case {
                name: h.name.clone(),
                key: h.key,
                msg: h.msg.clone(),
                sig: h.sig,
                expect: h.expect.clone(),
            }));
        }
    }
    let items: Vec<Item<'_>> = mixed.iter().map(Case::item).collect();
    for (form, batch) in BATCHES {
        for (c, r) in mixed.iter().zip(&batch(&items)) {
            assert_eq!(
                *r,
                sig::verify(&c.key, &c.msg, &c.sig),
                "{form}: {}",
                c.name
            );
            assert_eq!(*r, Ok(()), "{form}: {}", c.name);
        }
        for size in [2, 5, 13] {
            for part in items.chunks(size) {
                assert!(batch(part).iter().all(Result::is_ok), "{form}");
            }
        }
    }
}

#[test]
fn one_corrupted_signature_in_a_batch() {
    for (n, bad) in [(8, 5), (sig::BATCH_CHUNK + 20, sig::BATCH_CHUNK + 3)] {
        let mut cases = honest(n, 2);
        cases[bad].sig[40] ^= 1; // flips bit 64 of S: still < L, wrong equation
        let items: Vec<Item<'_>> = cases.iter().map(Case::item).collect();
        let single = sig::verify(&cases[bad].key, &cases[bad].msg, &cases[bad].sig);
        assert_eq!(single, Err(Error::Equation));
        for (form, batch) in BATCHES {
            let got = batch(&items);
            for (i, r) in got.iter().enumerate() {
                let want = if i == bad { single } else { Ok(()) };
                assert_eq!(*r, want, "{form}: n = {n}, item {i}");
            }
        }
    }
    // A corrupted message is the same.
    let mut cases = honest(4, 4);
    cases[0].msg.push(b'!');
    let items: Vec<Item<'_>> = cases.iter().map(Case::item).collect();
    for (_, batch) in BATCHES {
        assert_eq!(
            batch(&items),
            vec![Err(Error::Equation), Ok(()), Ok(()), Ok(())]
        );
    }
}

/// `n` signatures by one key (a commune's treasurer), on distinct messages.
fn one_signer(n: usize, seed_byte: u8) -> Vec<Case> {
    let sk = SecretKey::from_seed([seed_byte; 32]);
    (0..n)
        .map(|i| {
            let msg = format!("payment {i}").into_bytes();
            Case {
                name: format!("treasurer {seed_byte}/{i}"),
                key: sk.public_key(),
                sig: sk.sign(&msg),
                msg,
                expect: "accept".into(),
            }
        })
        .collect()
}

/// One key signs nearly every item, as a commune's treasurer does, so its
/// items share one term of the batch equation: each bad one still gets its
/// own verdict, the good ones beside it theirs, in every chunk.
#[test]
fn one_key_signs_many_items_and_one_is_bad() {
    let n = sig::BATCH_CHUNK + 300; // two chunks
    let mut cases = one_signer(n, 11);
    // a few other signers among them
    for (i, other) in honest(6, 12).into_iter().enumerate() {
        cases.insert(100 + 200 * i, other);
    }
    let items: Vec<Item<'_>> = cases.iter().map(Case::item).collect();
    for (form, batch) in BATCHES {
        assert!(batch(&items).iter().all(Result::is_ok), "{form}");
    }
    // One bad item in the first chunk (by the treasurer), then one in the
    // second (by the treasurer, a signature of another of its messages: the
    // key is right, the message is not), then an item by another signer.
    for bad in [17, sig::BATCH_CHUNK + 150, 300] {
        let mut broken: Vec<Case> = cases
            .iter()
            .map(|c| Case {
                name: c.name.clone(),
                key: c.key,
                msg: c.msg.clone(),
                sig: c.sig,
                expect: "accept".into(),
            })
            .collect();
        if bad == 17 {
            broken[bad].sig[33] ^= 4;
        } else {
            broken[bad].sig = broken[bad + 1].sig;
        }
        assert_eq!(broken[bad].key == broken[0].key, bad != 300);
        broken[bad].expect = "SIG-6".into();
        check_single_and_batch(&broken, 512);
    }
    // The treasurer's signature moved to an item of another key.
    let mut moved: Vec<Case> = one_signer(40, 13);
    let other = honest(1, 14).remove(0);
    moved[20].key = other.key;
    moved[20].expect = "SIG-6".into();
    check_single_and_batch(&moved, 16);
}

#[test]
fn empty_batch() {
    assert!(sig::verify_batch(&[]).is_empty());
    assert!(sig::verify_batch_uncoalesced(&[]).is_empty());
}

#[test]
fn check_order_is_the_verdict() {
    // Everything wrong at once: the key's rule wins; then R; then S.
    let small = [0u8; 32]; // small order, canonical
    let mut non_canonical = [0xffu8; 32]; // y = 2^255 - 1 > p
    non_canonical[31] = 0x7f;
    let mut sig = [0xffu8; 64];
    sig[..32].copy_from_slice(&non_canonical);
    assert_eq!(
        sig::verify(&non_canonical, b"", &sig),
        Err(Error::NonCanonicalKey)
    );
    assert_eq!(sig::verify(&small, b"", &sig), Err(Error::SmallOrderKey));
    let good = honest(1, 5).remove(0);
    assert_eq!(sig::verify(&good.key, b"", &sig), Err(Error::NonCanonicalR));
    sig[..32].copy_from_slice(&small);
    assert_eq!(sig::verify(&good.key, b"", &sig), Err(Error::SmallOrderR));
    sig[..32].copy_from_slice(&good.sig[..32]);
    assert_eq!(
        sig::verify(&good.key, b"", &sig),
        Err(Error::ScalarNotReduced)
    );
}

#[test]
fn generated_keys_sign_and_verify() {
    let sk = SecretKey::generate().unwrap();
    let pk = sk.public_key();
    assert_eq!(sig::check_key(&pk), Ok(()));
    assert_eq!(SecretKey::from_seed(*sk.seed()).public_key(), pk);
    assert_eq!(sig::verify(&pk, b"m", &sk.sign(b"m")), Ok(()));
    assert_eq!(sig::verify(&pk, b"n", &sk.sign(b"m")), Err(Error::Equation));
}

/// The worked example of spec/04-signatures.md §4.2; the spec quotes these values.
#[test]
fn spec_worked_example() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    let sk = SecretKey::from_seed(seed);
    let pk = sk.public_key();
    let sig = sk.sign(b"commonstock");
    println!("pk  {} {}", to_hex(&pk), b64(&pk));
    println!("sig {} {}", to_hex(&sig), b64(&sig));
    assert_eq!(to_hex(&pk), EXAMPLE_PK_HEX);
    assert_eq!(b64(&pk), EXAMPLE_PK_B64);
    assert_eq!(to_hex(&sig), EXAMPLE_SIG_HEX);
    assert_eq!(b64(&sig), EXAMPLE_SIG_B64);
    assert_eq!(sig::verify(&pk, b"commonstock", &sig), Ok(()));
    // And the spec file really quotes them.
    let spec = fs::read_to_string(path("spec/04-signatures.md")).unwrap();
    for v in [EXAMPLE_PK_HEX, EXAMPLE_PK_B64, EXAMPLE_SIG_B64] {
        assert!(spec.contains(v), "spec/04-signatures.md lacks {v}");
    }
    // The signature hex is split over two lines in the spec.
    assert!(spec.contains(&EXAMPLE_SIG_HEX[..64]) && spec.contains(&EXAMPLE_SIG_HEX[64..]));
}

const EXAMPLE_PK_HEX: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
const EXAMPLE_PK_B64: &str = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg";
const EXAMPLE_SIG_HEX: &str = "5d4b15e15e7703bcb72ade7593f9686e2f0efd5bfe472cb21723971294e18dda9512d8007d7454a6932c7186d1bb475c45ce40ec330c158c1bc07845e5fb700e";
const EXAMPLE_SIG_B64: &str =
    "XUsV4V53A7y3Kt51k_lobi8O_Vv-RyyyFyOXEpThjdqVEtgAfXRUppMscYbRu0dcRc5A7DMMFYwbwHhF5ftwDg";

/// Timing, not a check: `cargo test --release --test ed25519 -- --ignored bench --nocapture`.
#[test]
#[ignore = "benchmark"]
fn bench_single_vs_batch() {
    use std::time::Instant;
    let per_sig = |f: &dyn Fn(), n: usize, reps: usize| {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / (n * reps) as f64
    };
    for (signers, cases) in [
        ("distinct signers", honest(1024, 6)),
        ("one signer", one_signer(1024, 6)),
    ] {
        let items: Vec<Item<'_>> = cases.iter().map(Case::item).collect();
        let single = per_sig(
            &|| {
                for c in &cases {
                    assert!(sig::verify(&c.key, &c.msg, &c.sig).is_ok());
                }
            },
            1024,
            3,
        );
        println!("{signers}: single {single:.1} us/sig");
        for n in [8, 16, 32, 64, 128, 256, 512, 1024] {
            let part = &items[..n];
            for (form, batch) in BATCHES {
                let us = per_sig(
                    &|| assert!(batch(part).iter().all(Result::is_ok)),
                    n,
                    3 * 1024 / n,
                );
                println!("{signers}: {form} of {n}: {us:.1} us/sig");
            }
        }
        // Adversarial: one bad item per chunk, so every chunk falls back.
        let mut bad: Vec<Item<'_>> = items.clone();
        let wrong = b"not the message".to_vec();
        for it in bad.iter_mut().step_by(sig::BATCH_CHUNK) {
            it.msg = &wrong;
        }
        let us = per_sig(&|| drop(sig::verify_batch(&bad)), 1024, 3);
        println!("{signers}: batch of 1024, every chunk failing: {us:.1} us/sig");
    }
}
