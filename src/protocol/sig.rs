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
//! [`verify`]. Items failing SIG-1..SIG-5 get that verdict directly (each
//! distinct key is decoded once per call). The others are split into chunks
//! of [`BATCH_CHUNK`] items; for each chunk one random linear combination is
//! checked, written as the negation of the spec's (4.4):
//!
//! ```text
//! [8]( Σ_A [Σ_{i: A_i = A} z_i k_i]A + Σ [z_i]R_i − [Σ z_i S_i]B ) = O
//! ```
//!
//! If it holds, every item of the chunk is accepted; if not, every item of the
//! chunk is verified singly, so each gets its exact single verdict and error.
//!
//! *One term per key.* The signatures of one key share its A term, with the
//! sum of their `z_i k_i` mod L as scalar (as ed25519-zebra does): a chunk of
//! n items by m keys is a multiscalar multiplication of n + m + 1 points
//! instead of 2n + 1, and on a commune's chain, where the treasurer signs
//! nearly every entry, m is a handful. Keys are grouped by their 32 bytes:
//! SIG-1 admits one encoding per point, so among keys that reach the equation
//! equal bytes are equal points and vice versa (spec 4.3). Summing the scalars
//! mod L changes the sum only by a torsion point, which the factor 8 removes:
//! the coalesced and the per-item combination ([`verify_batch_uncoalesced`])
//! are the same point. The R terms keep their 128-bit `z_i` (the negation
//! moves the minus signs to the B term, whose scalar is full-size anyway),
//! which halves their share of the multiplication's additions.
//!
//! *Why this is sound.* Write `P_i = [S_i]B − [k_i]A_i − R_i = Q_i + T_i`,
//! with `Q_i` in the prime-order subgroup and `T_i` a torsion point. The single
//! rule accepts iff `Q_i = O`. The prime-order part of the batch sum is
//! `−Σ z_i Q_i` (reducing `z_i k_i` mod L changes only torsion); multiplying by
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
//! challenge, a hash of M bound to R and A); then `z_0, z_1, …` are the
//! consecutive 16-byte pieces of its output stream (extendable output), each
//! read as a little-endian integer. The transcript fixes every input of the
//! batch equation, so an adversary cannot choose any item after seeing the
//! coefficients; grinding over batches costs about 2^128 BLAKE3 evaluations
//! per success (BLAKE3 modelled as a random oracle).
//!
//! *Chunk size and cost.* [`BATCH_CHUNK`] = 1024 items, so that a block of
//! the audit (512 lines) is one multiscalar multiplication: curve25519-dalek's
//! Pippenger costs per point, besides the point's own additions, a share of
//! every window's bucket sums, which falls as the chunk grows (window 6 below
//! 500 points, 7 up to 800, 8 above). Counted with callgrind (instructions,
//! repeatable under load) on the 11,007 signatures of the benchmark's 10k
//! chain in blocks of 512: 182,600 per signature before keys were merged,
//! 95,800 with one term per key in chunks of 256, 90,000 in one chunk per
//! block; ed25519-zebra's batch verifier on the same blocks 88,500. Of the
//! 90,000: decompressing R 40,500 (a serial field exponentiation, 45 % of
//! the total), the multiscalar multiplication 33,000, SHA-512 of the
//! challenge 9,100, the scalar products and the rest 7,400, of which the
//! strict rules and the coefficients are the 1,500 zebra does not spend.
//! If every chunk fails (an adversary can arrange that with one bad item
//! per chunk), the cost is one batch check plus one single verification per
//! item: proportional to the input's length, about 1.2–1.4 times single
//! verification whatever the chunk size.

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
pub const BATCH_CHUNK: usize = 1024;

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

/// A signature that passed SIG-3..SIG-5 (its key SIG-1 and SIG-2), ready
/// for the equation.
struct Checked {
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

/// SIG-3..SIG-5, and the challenge k (the key already passed SIG-1, SIG-2).
fn precheck(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<Checked, Error> {
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
    Ok(Checked { r, s, k })
}

/// SIG-6 for one item: `[8]([S]B − [k]A − R) = O`.
fn equation(a: &EdwardsPoint, c: &Checked) -> Result<(), Error> {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&c.k, &-a, &c.s);
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
    let a = decode_key(pk)?;
    equation(&a, &precheck(pk, msg, sig)?)
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
/// than one extra batch check per chunk of [`BATCH_CHUNK`] items. The
/// signatures of one key share one term of the batch equation (see the
/// module docs), so a batch mostly by one signer costs about half as much
/// per item as one by distinct signers.
pub fn verify_batch(items: &[Item<'_>]) -> Vec<Result<(), Error>> {
    batch(items, Terms::PerKey)
}

/// [`verify_batch`] with one A term per item instead of one per key: the
/// same verdicts, and the same batch equation up to the grouping of its
/// terms. For tests and benchmarks that compare the two.
pub fn verify_batch_uncoalesced(items: &[Item<'_>]) -> Vec<Result<(), Error>> {
    batch(items, Terms::PerItem)
}

/// How a chunk's equation groups the A terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Terms {
    /// One term per distinct key, its scalars summed mod L.
    PerKey,
    /// One term per item.
    PerItem,
}

/// The distinct keys of a batch, each decoded once (SIG-1, SIG-2).
///
/// Keys are grouped by their 32 bytes: strict decoding (SIG-1) admits one
/// encoding per point, so equal bytes and equal points coincide among the
/// keys that reach the equation (spec 4.3).
struct Keys {
    /// For each distinct key, in byte order: the decoded point or its error.
    decoded: Vec<Result<EdwardsPoint, Error>>,
    /// For each item, the index of its key in `decoded`.
    of_item: Vec<u32>,
}

impl Keys {
    fn new(items: &[Item<'_>]) -> Keys {
        // Sorting groups equal keys; a batch is mostly a few signers.
        let mut order: Vec<u32> = (0..items.len() as u32).collect();
        order.sort_unstable_by_key(|&i| items[i as usize].key);
        let mut decoded = Vec::new();
        let mut of_item = vec![0u32; items.len()];
        let mut last: Option<&[u8; 32]> = None;
        for &i in &order {
            let key = items[i as usize].key;
            if last != Some(key) {
                decoded.push(decode_key(key));
                last = Some(key);
            }
            of_item[i as usize] = decoded.len() as u32 - 1;
        }
        Keys { decoded, of_item }
    }

    /// The decoded key of an item that passed SIG-1 and SIG-2.
    fn point(&self, key: u32) -> &EdwardsPoint {
        self.decoded[key as usize]
            .as_ref()
            .expect("only items whose key decoded are pending")
    }
}

/// An item that passed SIG-1..SIG-5: its index in the batch, its key's
/// index in [`Keys`], and its checked signature.
struct Pending {
    item: usize,
    key: u32,
    checked: Checked,
}

fn batch(items: &[Item<'_>], terms: Terms) -> Vec<Result<(), Error>> {
    let mut out = vec![Ok(()); items.len()];
    let keys = Keys::new(items);
    let mut pending: Vec<Pending> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let key = keys.of_item[i];
        let checked = match &keys.decoded[key as usize] {
            Err(e) => Err(*e),
            Ok(_) => precheck(it.key, it.msg, it.sig),
        };
        match checked {
            Ok(checked) => pending.push(Pending {
                item: i,
                key,
                checked,
            }),
            Err(e) => out[i] = Err(e),
        }
    }
    let mut sums = Sums::new(keys.decoded.len());
    for chunk in pending.chunks(BATCH_CHUNK) {
        if chunk.len() < 2 || !batch_point(items, &keys, chunk, terms, &mut sums).is_identity() {
            for p in chunk {
                out[p.item] = equation(keys.point(p.key), &p.checked);
            }
        }
    }
    out
}

/// Per-key sums of `z_i·k_i` for one chunk at a time, reused across chunks.
struct Sums {
    /// Indexed by key; meaningful only for the keys in `used`.
    sum: Vec<Scalar>,
    /// The chunk that last wrote each key's sum (1-based; 0 = none).
    stamp: Vec<u32>,
    /// The current chunk's keys, in order of first use.
    used: Vec<u32>,
    chunk: u32,
}

impl Sums {
    fn new(keys: usize) -> Sums {
        Sums {
            sum: vec![Scalar::ZERO; keys],
            stamp: vec![0; keys],
            used: Vec::new(),
            chunk: 0,
        }
    }

    fn start(&mut self) {
        self.chunk += 1;
        self.used.clear();
    }

    fn add(&mut self, key: u32, x: Scalar) {
        let k = key as usize;
        if self.stamp[k] == self.chunk {
            self.sum[k] += x;
        } else {
            self.stamp[k] = self.chunk;
            self.sum[k] = x;
            self.used.push(key);
        }
    }
}

/// The chunk's coefficients `z_i` (see the module docs): 128 bits each,
/// read in turn from the output stream of a transcript of every input of
/// the chunk's equation.
fn coefficients(items: &[Item<'_>], chunk: &[Pending]) -> Vec<Scalar> {
    let mut transcript = blake3::Hasher::new_derive_key(BATCH_CONTEXT);
    transcript.update(&(chunk.len() as u64).to_le_bytes());
    for p in chunk {
        transcript.update(items[p.item].key);
        transcript.update(items[p.item].sig);
        transcript.update(p.checked.k.as_bytes());
    }
    let mut stream = transcript.finalize_xof();
    (0..chunk.len())
        .map(|_| {
            let mut z = [0u8; 16];
            stream.fill(&mut z);
            Scalar::from(u128::from_le_bytes(z))
        })
        .collect()
}

/// `[8]( Σ [z_i·k_i]A_i + Σ [z_i]R_i − [Σ z_i·S_i]B )` over one chunk: the
/// negation of the spec's combination (4.4), which is the identity exactly
/// when that one is. Written this way the R terms keep their 128-bit
/// coefficients, which halves their share of the multiscalar
/// multiplication; with [`Terms::PerKey`] the A terms of one key are one
/// term, with the sum of their scalars mod L (which changes the sum only by
/// torsion, and the factor 8 removes it).
fn batch_point(
    items: &[Item<'_>],
    keys: &Keys,
    chunk: &[Pending],
    terms: Terms,
    sums: &mut Sums,
) -> EdwardsPoint {
    let z = coefficients(items, chunk);
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(2 * chunk.len() + 1);
    let mut points = Vec::with_capacity(2 * chunk.len() + 1);
    sums.start();
    for (p, z) in chunk.iter().zip(&z) {
        let c = &p.checked;
        b_coefficient -= z * c.s;
        match terms {
            Terms::PerKey => sums.add(p.key, z * c.k),
            Terms::PerItem => {
                scalars.push(z * c.k);
                points.push(*keys.point(p.key));
            }
        }
        scalars.push(*z);
        points.push(c.r);
    }
    for &key in &sums.used {
        scalars.push(sums.sum[key as usize]);
        points.push(*keys.point(key));
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).mul_by_cofactor()
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

    /// Pending items and keys for a batch of items that all pass SIG-1..SIG-5.
    fn pending(items: &[Item<'_>]) -> (Keys, Vec<Pending>) {
        let keys = Keys::new(items);
        let pending = items
            .iter()
            .enumerate()
            .map(|(i, it)| Pending {
                item: i,
                key: keys.of_item[i],
                checked: precheck(it.key, it.msg, it.sig).unwrap(),
            })
            .collect();
        (keys, pending)
    }

    /// The chunk's combination, one term per key and one per item.
    fn both_points(items: &[Item<'_>]) -> (EdwardsPoint, EdwardsPoint) {
        let (keys, chunk) = pending(items);
        let mut sums = Sums::new(keys.decoded.len());
        let per_key = batch_point(items, &keys, &chunk, Terms::PerKey, &mut sums);
        let per_item = batch_point(items, &keys, &chunk, Terms::PerItem, &mut sums);
        (per_key, per_item)
    }

    /// A signature valid under the cofactored rule whose A and R carry the
    /// given torsion points (honest signers' points carry none).
    fn torsion_signature(
        seed: u8,
        nonce: u8,
        ta: usize,
        tr: usize,
    ) -> ([u8; 32], Vec<u8>, [u8; 64]) {
        use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
        let sk = SigningKey::from_bytes(&[seed; 32]);
        let a = sk.to_scalar();
        let r = Scalar::from_bytes_mod_order([nonce; 32]);
        let big_a = (&a * ED25519_BASEPOINT_TABLE + EIGHT_TORSION[ta])
            .compress()
            .to_bytes();
        let big_r = (&r * ED25519_BASEPOINT_TABLE + EIGHT_TORSION[tr])
            .compress()
            .to_bytes();
        let msg = vec![nonce; 10];
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
        (big_a, msg, sig)
    }

    fn items(owned: &[([u8; 32], Vec<u8>, [u8; 64])]) -> Vec<Item<'_>> {
        owned
            .iter()
            .map(|(key, msg, sig)| Item { key, msg, sig })
            .collect()
    }

    /// Valid under the cofactored rule, but A and R carry torsion: the batch
    /// equation itself (not the fallback) accepts a chunk of these, in both
    /// forms, also when one torsioned key signs several items.
    #[test]
    fn batch_equation_accepts_valid_items_with_torsion() {
        let mut owned = Vec::new();
        for i in 0u8..6 {
            let key_seed = 1 + i % 3; // three keys, two items each
            let ta = 1 + key_seed as usize % 7;
            owned.push(torsion_signature(
                key_seed,
                i + 100,
                ta,
                (3 * i as usize) % 8,
            ));
        }
        let items = items(&owned);
        let (keys, chunk) = pending(&items);
        assert_eq!(keys.decoded.len(), 3);
        // At least one is rejected by the cofactorless equation.
        assert!(chunk.iter().any(|p| {
            let a = keys.point(p.key);
            let c = &p.checked;
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&c.k, &-a, &c.s) != c.r
        }));
        for p in &chunk {
            assert_eq!(equation(keys.point(p.key), &p.checked), Ok(()));
        }
        let (per_key, per_item) = both_points(&items);
        assert!(per_key.is_identity());
        assert!(per_item.is_identity());
        assert!(verify_batch(&items).iter().all(Result::is_ok));
        assert!(verify_batch_uncoalesced(&items).iter().all(Result::is_ok));
    }

    /// Merging the terms of one key changes nothing but the grouping: the
    /// two combinations are the same point, also when the chunk fails and
    /// when the merged scalars wrap mod L with torsioned keys.
    #[test]
    fn coalesced_combination_equals_per_item_combination() {
        let honest = |seed: u8, n: u8| {
            let sk = SecretKey::from_seed([seed; 32]);
            let msg = vec![n; 1 + n as usize];
            (sk.public_key(), msg.clone(), sk.sign(&msg))
        };
        let mut owned = Vec::new();
        for n in 0..40u8 {
            owned.push(honest(1 + n % 4, n)); // four honest keys
            // two torsioned keys, twenty items each
            let seed = 9 + n % 2;
            owned.push(torsion_signature(
                seed,
                n + 100,
                seed as usize % 7 + 1,
                n as usize % 8,
            ));
        }
        let items0 = items(&owned);
        assert_eq!(Keys::new(&items0).decoded.len(), 6);
        let (per_key, per_item) = both_points(&items0);
        assert!(per_key.is_identity() && per_item.is_identity());
        // A wrong signature among many by its key: both forms fail, alike.
        for bad in [0, 7, 13] {
            let mut broken = owned.clone();
            broken[bad].2[40] ^= 1;
            let items = items(&broken);
            let (per_key, per_item) = both_points(&items);
            assert!(!per_key.is_identity());
            assert_eq!(per_key, per_item, "bad item {bad}");
            let want: Vec<_> = items
                .iter()
                .map(|it| verify(it.key, it.msg, it.sig))
                .collect();
            assert_eq!(want.iter().filter(|v| v.is_err()).count(), 1);
            assert_eq!(verify_batch(&items), want);
            assert_eq!(verify_batch_uncoalesced(&items), want);
        }
    }

    /// Keys are grouped by their bytes. A point has only one encoding that
    /// passes SIG-1, so no two encodings of one point ever share a term: the
    /// lenient alias y = p + 3 of the point with y = 3 is refused by SIG-1
    /// before it reaches the equation, and the canonical one is its own key.
    #[test]
    fn keys_group_by_bytes_and_aliases_are_refused() {
        let mut canonical = [0u8; 32];
        canonical[0] = 3;
        let mut alias = [0xffu8; 32];
        alias[0] = 0xed + 3;
        alias[31] = 0x7f;
        let point = CompressedEdwardsY(canonical)
            .decompress()
            .expect("y = 3 is on the curve");
        assert_eq!(CompressedEdwardsY(alias).decompress(), Some(point));
        assert!(!point.is_small_order());
        let honest = SecretKey::from_seed([5; 32]);
        let hk = honest.public_key();
        let sig = honest.sign(b"m");
        let owned = [
            (hk, b"m".to_vec(), sig),
            (alias, b"m".to_vec(), sig),
            (canonical, b"m".to_vec(), sig),
            (hk, b"m".to_vec(), sig),
            (alias, b"m".to_vec(), sig),
        ];
        let items = items(&owned);
        let keys = Keys::new(&items);
        assert_eq!(keys.decoded.len(), 3);
        assert_eq!(keys.of_item[0], keys.of_item[3]);
        assert_eq!(keys.of_item[1], keys.of_item[4]);
        assert_ne!(keys.of_item[1], keys.of_item[2]);
        assert_eq!(
            keys.decoded[keys.of_item[1] as usize],
            Err(Error::NonCanonicalKey)
        );
        assert_eq!(keys.decoded[keys.of_item[2] as usize], Ok(point));
        let want = vec![
            Ok(()),
            Err(Error::NonCanonicalKey),
            Err(Error::Equation),
            Ok(()),
            Err(Error::NonCanonicalKey),
        ];
        assert_eq!(verify_batch(&items), want);
        assert_eq!(verify_batch_uncoalesced(&items), want);
    }

    /// The coefficients are a function of the chunk alone, 128 bits each,
    /// and every one depends on every item.
    #[test]
    fn coefficients_are_deterministic_and_bound_to_the_chunk() {
        let sk = SecretKey::from_seed([3; 32]);
        let owned: Vec<_> = (0..4u8)
            .map(|n| (sk.public_key(), vec![n], sk.sign(&[n])))
            .collect();
        let items = items(&owned);
        let (_, chunk) = pending(&items);
        let z = coefficients(&items, &chunk);
        assert_eq!(z, coefficients(&items, &chunk));
        assert!(z.iter().all(|z| z.as_bytes()[16..] == [0; 16]));
        let mut changed = owned.clone();
        changed[3].1 = vec![9];
        changed[3].2 = sk.sign(&[9]);
        let items2 = self::items(&changed);
        let (_, chunk2) = pending(&items2);
        let z2 = coefficients(&items2, &chunk2);
        assert!(z.iter().zip(&z2).all(|(a, b)| a != b));
        // a shorter chunk is another transcript
        let z3 = coefficients(&items[..3], &chunk[..3]);
        assert!(z.iter().zip(&z3).all(|(a, b)| a != b));
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
