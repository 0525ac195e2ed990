//! Ed25519 under the pinned Commonstock rule set: keys, signing, and
//! single and batch verification with identical verdicts.
//!
//! This module owns the verification rule set of `spec/04-signatures.md`.
//! Every signature in a commune's records is checked here, and nowhere else.
//!
//! # The rule set
//!
//! For a public key `A_bytes` (32 bytes), a message `M` and a signature
//! `R_bytes || S_bytes` (64 bytes), the checks run in this order and the first
//! one that fails is the verdict ([`Error`], whose [`Error::rule`] is the
//! spec's rule id):
//!
//! | rule | check | error |
//! |---|---|---|
//! | SIG-1 | `A_bytes` is a canonical encoding: y < p, not an "x = −0" encoding, on the curve | [`Error::NonCanonicalKey`] |
//! | SIG-2 | A is not one of the 8 small-order points | [`Error::SmallOrderKey`] |
//! | SIG-3 | `R_bytes` is a canonical encoding, as SIG-1 | [`Error::NonCanonicalR`] |
//! | SIG-4 | R is not small-order | [`Error::SmallOrderR`] |
//! | SIG-5 | S < L | [`Error::ScalarNotReduced`] |
//! | SIG-6 | `[8]([S]B − [k]A − R) = O`, k = SHA-512(`R_bytes` ‖ `A_bytes` ‖ M) mod L | [`Error::Equation`] |
//!
//! k is computed over the bytes as received. The cofactor 8 multiplies the
//! point; it is never folded into k.
//!
//! This is "strict decoding + cofactored equation": RFC 8032 with strict
//! point decoding and the cofactored equation, plus no small-order A or R
//! ("Taming the many EdDSAs", Alg. 2; equivalently ZIP-215 plus SIG-1..SIG-4).
//! It gives strong unforgeability (S < L and canonical encodings), strong
//! binding (no small-order keys) and, because the equation is cofactored, a
//! batch verifier whose verdicts equal single verification exactly.
//!
//! # Why not ed25519-dalek's verifiers
//!
//! ed25519-dalek is used only for signing (RFC 8032 deterministic signing).
//! None of its verifiers implements this rule set (research
//! `research-ed25519.md` §1, measured on ed25519-dalek 2.2.0 and 3.0.0):
//!
//! - `Verifier::verify` and `verify_strict` decode A leniently (y ≥ p and
//!   "x = −0" are accepted: 26 non-canonical encodings, 20 of them of large
//!   order, so `verify_strict` accepts them as keys) and use the
//!   *cofactorless* equation, which no randomized batch can reproduce.
//!   `verify` also accepts small-order A and R.
//! - `verify_batch` is cofactorless and decodes R leniently, so it disagrees
//!   with both single verifiers in both directions: it accepts non-canonical R
//!   (Wycheproof tc 151) and some torsion residues depending on the other
//!   items, and it rejects some signatures `verify_strict` accepts.
//! - The `legacy_compatibility` feature weakens S < L in every function;
//!   this module checks S itself and must never depend on that feature.
//!
//! So every check above is done here on curve25519-dalek primitives.
//!
//! # Batch verification
//!
//! [`verify_batch`] returns, for every item, exactly the verdict of
//! [`verify`]. Items failing SIG-1..SIG-5 get that verdict directly. The
//! others are split into chunks of [`BATCH_CHUNK`] items; for each chunk one
//! random linear combination is checked:
//!
//! ```text
//! [8]( [Σ z_i S_i]B − Σ [z_i k_i]A_i − Σ [z_i]R_i ) = O
//! ```
//!
//! If it holds, every item of the chunk is accepted; if not, every item of the
//! chunk is verified singly, so each gets its exact single verdict and error.
//!
//! *Why this is sound.* Write `P_i = [S_i]B − [k_i]A_i − R_i = Q_i + T_i`,
//! with `Q_i` in the prime-order subgroup and `T_i` a torsion point. The single
//! rule accepts iff `Q_i = O`. The prime-order part of the batch sum is
//! `Σ z_i Q_i` (reducing `z_i k_i` mod L changes only torsion); multiplying by
//! 8 removes all torsion. If every item is valid the sum is `O`, so a batch of
//! valid items passes **even when their points carry torsion components**
//! (unlike ed25519-dalek's cofactorless `verify_batch`, which rejects such
//! batches for some coefficients). If some `Q_j ≠ O`, the sum vanishes only if
//! `z_j` hits one value mod L given the others: probability 2^-128 for
//! unpredictable 128-bit `z_j`. A passing batch therefore implies every item
//! passes singly; a failing batch falls back to singles. Either way each
//! verdict equals the single verdict.
//!
//! *Coefficients.* The `z_i` are derived deterministically (no RNG, so
//! verdicts and timing are reproducible): a BLAKE3 hasher in `derive_key`
//! mode with context [`BATCH_CONTEXT`] absorbs the chunk's item count and then
//! every item's `A_bytes ‖ R_bytes ‖ S_bytes ‖ k_i` (k_i is the 32-byte
//! challenge, a hash of M bound to R and A); then `z_i` is the first 16 bytes
//! of that transcript extended by `i` (u64 little-endian). The transcript fixes
//! every input of the batch equation, so an adversary cannot choose any item
//! after seeing the coefficients; grinding over batches costs about 2^128
//! BLAKE3 evaluations per success (BLAKE3 modelled as a random oracle).
//!
//! *Chunk size and cost.* [`BATCH_CHUNK`] = 256 items (513 points) puts each
//! chunk well above curve25519-dalek's Straus/Pippenger switch (190 points),
//! where Pippenger's per-point cost keeps falling, while bounding the work
//! thrown away when a chunk fails. Measured (release, 2-core VM, valid
//! signatures of ~17 bytes; `bench_single_vs_batch` in `tests/ed25519.rs`):
//! single 41 µs per signature; one chunk of 8 items 23.5, of 64 22.7, of 128
//! 19.6, of 256 18.4; 1024 items (4 chunks) 18.5. If every chunk fails (an adversary can
//! arrange that with one bad item per chunk), the cost is one batch check plus
//! one single verification per item: proportional to the input's length
//! (measured 54 µs per signature, about 1.3 times single verification).

use std::fmt;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha512};

use crate::protocol::rule::Rule;

/// Length of an encoded public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an encoded signature, `R_bytes || S_bytes`.
pub const SIGNATURE_LEN: usize = 64;

/// Items per batch equation in [`verify_batch`] (see the module docs).
pub const BATCH_CHUNK: usize = 256;

/// BLAKE3 `derive_key` context for the batch coefficients.
pub const BATCH_CONTEXT: &str = "commonstock v1 batch verification";

/// Why a key or signature was rejected: the first failing rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// SIG-1: the public key is not a canonical encoding of a curve point.
    NonCanonicalKey,
    /// SIG-2: the public key is a small-order point.
    SmallOrderKey,
    /// SIG-3: the signature's R is not a canonical encoding of a curve point.
    NonCanonicalR,
    /// SIG-4: the signature's R is a small-order point.
    SmallOrderR,
    /// SIG-5: the signature's S is not less than L.
    ScalarNotReduced,
    /// SIG-6: the cofactored verification equation does not hold.
    Equation,
}

impl Error {
    /// The spec rule this error reports.
    pub fn rule(self) -> Rule {
        match self {
            Error::NonCanonicalKey => Rule::Sig1,
            Error::SmallOrderKey => Rule::Sig2,
            Error::NonCanonicalR => Rule::Sig3,
            Error::SmallOrderR => Rule::Sig4,
            Error::ScalarNotReduced => Rule::Sig5,
            Error::Equation => Rule::Sig6,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::NonCanonicalKey => "public key is not a canonical point encoding",
            Error::SmallOrderKey => "public key is a small-order point",
            Error::NonCanonicalR => "signature R is not a canonical point encoding",
            Error::SmallOrderR => "signature R is a small-order point",
            Error::ScalarNotReduced => "signature S is not less than the group order L",
            Error::Equation => "signature does not verify",
        })
    }
}

impl std::error::Error for Error {}

/// The 8 small-order points, by their canonical encodings (C2SP CCTV
/// `ed25519/README.md`). Given SIG-1, membership here is exactly "A (or R)
/// has small order".
pub const SMALL_ORDER: [[u8; 32]; 8] = [
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("0000000000000000000000000000000000000000000000000000000000000080"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
];

/// The two "x = −0" encodings: y = 1 and y = p − 1 with the sign bit set.
const NEGATIVE_ZERO: [[u8; 32]; 2] = [
    hex32("0100000000000000000000000000000000000000000000000000000000000080"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
];

const fn hex32(h: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    let h = h.as_bytes();
    assert!(h.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(h[2 * i]) << 4) | nibble(h[2 * i + 1]);
        i += 1;
    }
    out
}

/// Decodes a canonical point encoding (RFC 8032 §5.1.3, strictly): y (bit
/// 255 cleared, little-endian) < p = 2^255 − 19, not "x = −0", on the curve.
fn decode_canonical(enc: &[u8; 32]) -> Option<EdwardsPoint> {
    // Compare y with p = ed ff .. ff 7f (little-endian), most significant first.
    let mut y_below_p = false;
    for i in (0..32).rev() {
        let y = if i == 31 { enc[31] & 0x7f } else { enc[i] };
        let p = match i {
            31 => 0x7f,
            0 => 0xed,
            _ => 0xff,
        };
        if y != p {
            y_below_p = y < p;
            break;
        }
    }
    if !y_below_p || NEGATIVE_ZERO.contains(enc) {
        return None;
    }
    // With y < p and no "x = -0", decompression fails only off the curve.
    CompressedEdwardsY(*enc).decompress()
}

/// A key or signature that passed SIG-1..SIG-5, ready for the equation.
struct Checked {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

fn decode_key(pk: &[u8; 32]) -> Result<EdwardsPoint, Error> {
    let a = decode_canonical(pk).ok_or(Error::NonCanonicalKey)?;
    if SMALL_ORDER.contains(pk) {
        return Err(Error::SmallOrderKey);
    }
    Ok(a)
}

/// SIG-1..SIG-5, and the challenge k.
fn precheck(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<Checked, Error> {
    let a = decode_key(pk)?;
    let r_bytes: &[u8; 32] = sig[..32].try_into().expect("32 bytes");
    let s_bytes: [u8; 32] = sig[32..].try_into().expect("32 bytes");
    let r = decode_canonical(r_bytes).ok_or(Error::NonCanonicalR)?;
    if SMALL_ORDER.contains(r_bytes) {
        return Err(Error::SmallOrderR);
    }
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
        .ok_or(Error::ScalarNotReduced)?;
    let digest = Sha512::new()
        .chain_update(r_bytes)
        .chain_update(pk)
        .chain_update(msg)
        .finalize();
    let k = Scalar::from_bytes_mod_order_wide(&digest.into());
    Ok(Checked { a, r, s, k })
}

/// SIG-6 for one item: `[8]([S]B − [k]A − R) = O`.
fn equation(c: &Checked) -> Result<(), Error> {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&c.k, &-c.a, &c.s);
    if (sb_minus_ka - c.r).mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(Error::Equation)
    }
}

/// Checks a public key as it enters a commune's state: SIG-1, then SIG-2.
pub fn check_key(pk: &[u8; 32]) -> Result<(), Error> {
    decode_key(pk).map(|_| ())
}

/// Verifies one signature under the pinned rule set (SIG-1..SIG-6, in order).
pub fn verify(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), Error> {
    equation(&precheck(pk, msg, sig)?)
}

/// One item of a batch: a public key, a message and a signature.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub key: &'a [u8; 32],
    pub msg: &'a [u8],
    pub sig: &'a [u8; 64],
}

/// Verifies many signatures; `result[i]` is exactly `verify` of `items[i]`.
///
/// Faster than single verification when most items are valid; never slower
/// than one extra batch check per chunk of [`BATCH_CHUNK`] items.
pub fn verify_batch(items: &[Item<'_>]) -> Vec<Result<(), Error>> {
    let mut out = vec![Ok(()); items.len()];
    let mut pending: Vec<(usize, Checked)> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        match precheck(it.key, it.msg, it.sig) {
            Ok(c) => pending.push((i, c)),
            Err(e) => out[i] = Err(e),
        }
    }
    for chunk in pending.chunks(BATCH_CHUNK) {
        if chunk.len() < 2 || !batch_equation(items, chunk) {
            for (i, c) in chunk {
                out[*i] = equation(c);
            }
        }
    }
    out
}

/// The cofactored random linear combination over one chunk.
fn batch_equation(items: &[Item<'_>], chunk: &[(usize, Checked)]) -> bool {
    let mut transcript = blake3::Hasher::new_derive_key(BATCH_CONTEXT);
    transcript.update(&(chunk.len() as u64).to_le_bytes());
    for (i, c) in chunk {
        transcript.update(items[*i].key);
        transcript.update(items[*i].sig);
        transcript.update(c.k.as_bytes());
    }
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(2 * chunk.len() + 1);
    let mut points = Vec::with_capacity(2 * chunk.len() + 1);
    for (j, (_, c)) in chunk.iter().enumerate() {
        let mut t = transcript.clone();
        t.update(&(j as u64).to_le_bytes());
        let mut z = [0u8; 32];
        z[..16].copy_from_slice(&t.finalize().as_bytes()[..16]);
        let z = Scalar::from_bytes_mod_order(z);
        b_coefficient += z * c.s;
        scalars.push(-(z * c.k));
        points.push(c.a);
        scalars.push(-z);
        points.push(c.r);
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

/// An Ed25519 secret key: the 32-byte RFC 8032 seed.
///
/// The seed is zeroized on drop; `Debug` never prints it.
pub struct SecretKey {
    inner: SigningKey,
}

impl SecretKey {
    /// The key with this seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut seed = seed;
        let inner = SigningKey::from_bytes(&seed);
        zeroize::Zeroize::zeroize(&mut seed);
        SecretKey { inner }
    }

    /// A fresh key from the operating system's random number generator.
    #[cfg(feature = "native")]
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut())?;
        Ok(SecretKey::from_seed(*seed))
    }

    /// The seed.
    pub fn seed(&self) -> &[u8; 32] {
        self.inner.as_bytes()
    }

    /// The encoded public key A.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.verifying_key().to_bytes()
    }

    /// Signs `msg` (RFC 8032 PureEdDSA, deterministic).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.inner.sign(msg).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A short fingerprint of a public key for people to compare: the first 12
/// characters (72 bits) of its base64url form, so it is also a prefix of the
/// key as every document and report writes it.
pub fn fingerprint(public_key: &[u8; 32]) -> String {
    crate::protocol::b64::encode(public_key)[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;

    #[test]
    fn small_order_table_is_the_eight_torsion_points() {
        let mut from_curve: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|p| p.compress().to_bytes())
            .collect();
        let mut table = SMALL_ORDER.to_vec();
        from_curve.sort();
        table.sort();
        assert_eq!(from_curve, table);
        for enc in SMALL_ORDER {
            let p = decode_canonical(&enc).expect("canonical");
            assert!(p.is_small_order());
            assert_eq!(check_key(&enc), Err(Error::SmallOrderKey));
        }
    }

    #[test]
    fn negative_zero_encodings_are_rejected_but_decompress_leniently() {
        for enc in NEGATIVE_ZERO {
            assert!(CompressedEdwardsY(enc).decompress().is_some());
            assert_eq!(check_key(&enc), Err(Error::NonCanonicalKey));
        }
    }

    #[test]
    fn canonical_decoding_matches_round_trip() {
        // Every encoding with y in a window around 0 and p, both signs: canonical
        // iff it decompresses and compresses back to the same bytes.
        let mut encs = Vec::new();
        for d in 0u16..320 {
            let mut lo = [0u8; 32];
            lo[..2].copy_from_slice(&d.to_le_bytes());
            let mut hi = [0xffu8; 32]; // y = 2^255 - 1 - d, across p = 2^255 - 19
            hi[31] = 0x7f;
            hi[..2].copy_from_slice(&(0xffff - d).to_le_bytes());
            encs.push(lo);
            encs.push(hi);
        }
        for mut e in encs {
            for sign in [0u8, 0x80] {
                e[31] = (e[31] & 0x7f) | sign;
                let lenient = CompressedEdwardsY(e).decompress();
                let round_trip = lenient.filter(|p| p.compress().to_bytes() == e);
                assert_eq!(
                    decode_canonical(&e).is_some(),
                    round_trip.is_some(),
                    "{e:02x?}"
                );
            }
        }
    }

    /// Valid under the cofactored rule, but A and R carry torsion: the batch
    /// equation itself (not the fallback) accepts a chunk of these.
    #[test]
    fn batch_equation_accepts_valid_items_with_torsion() {
        use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
        let mut owned = Vec::new();
        for i in 0u8..6 {
            let sk = SigningKey::from_bytes(&[i + 1; 32]);
            let a = sk.to_scalar();
            let r = Scalar::from_bytes_mod_order([i + 100; 32]);
            let big_a = (&a * ED25519_BASEPOINT_TABLE + EIGHT_TORSION[1 + i as usize % 7])
                .compress()
                .to_bytes();
            let big_r = (&r * ED25519_BASEPOINT_TABLE + EIGHT_TORSION[(3 * i as usize) % 8])
                .compress()
                .to_bytes();
            let msg = vec![i; 10];
            let k = Scalar::from_bytes_mod_order_wide(
                &Sha512::new()
                    .chain_update(big_r)
                    .chain_update(big_a)
                    .chain_update(&msg)
                    .finalize()
                    .into(),
            );
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&big_r);
            sig[32..].copy_from_slice((r + k * a).as_bytes());
            owned.push((big_a, msg, sig));
        }
        let items: Vec<Item<'_>> = owned
            .iter()
            .map(|(key, msg, sig)| Item { key, msg, sig })
            .collect();
        let chunk: Vec<(usize, Checked)> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (i, precheck(it.key, it.msg, it.sig).unwrap()))
            .collect();
        // At least one is rejected by the cofactorless equation.
        assert!(chunk.iter().any(|(_, c)| {
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&c.k, &-c.a, &c.s) != c.r
        }));
        for (_, c) in &chunk {
            assert_eq!(equation(c), Ok(()));
        }
        assert!(batch_equation(&items, &chunk));
        assert!(verify_batch(&items).iter().all(Result::is_ok));
    }

    #[test]
    fn rules_and_display() {
        let all = [
            Error::NonCanonicalKey,
            Error::SmallOrderKey,
            Error::NonCanonicalR,
            Error::SmallOrderR,
            Error::ScalarNotReduced,
            Error::Equation,
        ];
        for (n, e) in all.into_iter().enumerate() {
            assert_eq!(e.rule().code(), format!("SIG-{}", n + 1));
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        let k = SecretKey::from_seed([7; 32]);
        assert_eq!(format!("{k:?}"), "SecretKey(<redacted>)");
        assert_eq!(k.seed(), &[7; 32]);
    }
}
