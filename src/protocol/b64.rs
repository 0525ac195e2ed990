//! Binary fields: canonical unpadded base64url (`spec/02-encoding.md` §2.5,
//! ENC-9).
//!
//! Keys, hashes and signatures appear in records as strings in the URL-safe
//! base64 alphabet of RFC 4648 §5 (`A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`),
//! without `=` padding. Each byte string has exactly one accepted spelling:
//! the unused low bits of the last character must be zero, and the length
//! must be exactly the one the field requires (32 bytes → 43 characters,
//! 64 bytes → 86). Decoding is done by the `base64` crate's strict
//! `URL_SAFE_NO_PAD` engine and then confirmed by re-encoding and comparing,
//! so the canonical-only property does not rest on one library's settings.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::protocol::canonical::Error;
use crate::protocol::rule::Rule;

/// The unpadded base64url encoding of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The number of characters that encode `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n * 8).div_ceil(6)
}

/// Decodes exactly `N` bytes from canonical unpadded base64url.
///
/// Errors carry ENC-9 and, as `offset`, the index of the offending character
/// (0 when only the length is wrong).
pub fn decode<const N: usize>(s: &str) -> Result<[u8; N], Error> {
    if let Some(out) = decode_fast::<N>(s.as_bytes()) {
        debug_assert_eq!(encode(&out), s);
        return Ok(out);
    }
    decode_strict(s)
}

/// [`decode`] on bytes (a field cut from a line); `None` for anything
/// [`decode`] refuses, including bytes that are not UTF-8.
pub fn decode_bytes<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    decode_fast::<N>(b)
}

/// The strict path, which also finds the exact error.
fn decode_strict<const N: usize>(s: &str) -> Result<[u8; N], Error> {
    let want = encoded_len(N);
    let b = s.as_bytes();
    // Report a bad character first, wherever it is, so that `=` padding or a
    // `+` is named as such rather than as a length problem.
    if let Some(i) = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
    {
        let c = s[i..].chars().next().unwrap_or('?');
        let what = match c {
            '=' => "padding '=' is not allowed".to_owned(),
            '+' | '/' => format!("{c:?} is standard base64, not base64url"),
            _ => format!("{c:?} is not a base64url character"),
        };
        return Err(Error::new(Rule::Enc9, i, what));
    }
    if b.len() != want {
        return Err(Error::new(
            Rule::Enc9,
            0,
            format!("{} characters, expected {want} for {N} bytes", b.len()),
        ));
    }
    let mut out = [0u8; N];
    match URL_SAFE_NO_PAD.decode_slice(b, &mut out) {
        Ok(n) if n == N => {}
        Ok(n) => {
            return Err(Error::new(
                Rule::Enc9,
                0,
                format!("decodes to {n} bytes, expected {N}"),
            ));
        }
        Err(e) => {
            let at = match e {
                base64::DecodeSliceError::DecodeError(
                    base64::DecodeError::InvalidByte(i, _)
                    | base64::DecodeError::InvalidLastSymbol { offset: i, .. },
                ) => i,
                _ => b.len().saturating_sub(1),
            };
            return Err(Error::new(
                Rule::Enc9,
                at,
                format!("not canonical base64url: {e}"),
            ));
        }
    }
    // Belt and braces: the one canonical spelling re-encodes to itself.
    let again = encode(&out);
    if again != s {
        let at = again.bytes().zip(b).take_while(|(x, y)| x == *y).count();
        return Err(Error::new(
            Rule::Enc9,
            at,
            "not the canonical base64url spelling",
        ));
    }
    Ok(out)
}

/// The value of each base64url character; 0xFF for any other byte.
static VALUE: [u8; 256] = {
    let mut t = [0xFF; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes the one canonical spelling of `N` bytes, or `None` for anything
/// else (then [`decode`] works out the exact error). Canonical by
/// construction: every character is in the alphabet, the length is the
/// one `N` needs, and the unused low bits of the last character are zero,
/// so re-encoding gives `b` back.
fn decode_fast<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    if b.len() != encoded_len(N) {
        return None;
    }
    let mut out = [0u8; N];
    // Whole groups: four characters, three bytes; a bad character is
    // caught once at the end (its value has the 0x80 bit set).
    let mut bad = 0u8;
    let groups = N / 3;
    for (g, chunk) in b[..groups * 4].chunks_exact(4).enumerate() {
        let v = [
            VALUE[usize::from(chunk[0])],
            VALUE[usize::from(chunk[1])],
            VALUE[usize::from(chunk[2])],
            VALUE[usize::from(chunk[3])],
        ];
        bad |= v[0] | v[1] | v[2] | v[3];
        let n =
            u32::from(v[0]) << 18 | u32::from(v[1]) << 12 | u32::from(v[2]) << 6 | u32::from(v[3]);
        out[g * 3..g * 3 + 3].copy_from_slice(&n.to_be_bytes()[1..]);
    }
    if bad & 0x80 != 0 {
        return None;
    }
    // The tail: 2 characters for 1 byte, 3 for 2; unused bits must be 0.
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut o = groups * 3;
    for &c in &b[groups * 4..] {
        let v = VALUE[usize::from(c)];
        if v == 0xFF {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out[o] = (acc >> bits) as u8;
            o += 1;
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0 && o == N).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail<const N: usize>(s: &str) -> usize {
        let e = decode::<N>(s).expect_err(s);
        assert_eq!(e.rule, Rule::Enc9, "{e}");
        e.offset
    }

    #[test]
    fn round_trips() {
        for n in 0..=70usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let s = encode(&bytes);
            assert_eq!(s.len(), encoded_len(n));
            assert!(!s.contains('='));
        }
        let k = [0xFBu8; 32];
        let s = encode(&k);
        assert_eq!(s.len(), 43);
        assert!(s.contains('-') || s.contains('_'));
        assert_eq!(decode::<32>(&s).unwrap(), k);
        let sig: [u8; 64] = std::array::from_fn(|i| i as u8 * 3);
        let s = encode(&sig);
        assert_eq!(s.len(), 86);
        assert_eq!(decode::<64>(&s).unwrap(), sig);
    }

    #[test]
    fn known_value() {
        // RFC 4648 §10 "foob" / "fooba" / "foobar", unpadded.
        assert_eq!(encode(b"foob"), "Zm9vYg");
        assert_eq!(decode::<5>("Zm9vYmE").unwrap(), *b"fooba");
        assert_eq!(decode::<6>("Zm9vYmFy").unwrap(), *b"foobar");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn rejects_trailing_bits() {
        // 32 bytes: the last character carries 2 bits of data and 4 unused.
        let s = encode(&[0u8; 32]);
        assert!(s.ends_with('A'));
        let bad = format!("{}B", &s[..42]);
        assert_eq!(fail::<32>(&bad), 42);
        // 64 bytes: the last character carries 4 bits and 2 unused.
        let s = encode(&[0u8; 64]);
        let bad = format!("{}B", &s[..85]);
        assert_eq!(fail::<64>(&bad), 85);
        assert_eq!(fail::<1>("AB"), 1);
        assert_eq!(decode::<1>("AA").unwrap(), [0]);
    }

    #[test]
    fn rejects_padding_and_wrong_alphabet() {
        let s = encode(&[7u8; 32]);
        assert_eq!(fail::<32>(&format!("{s}=")), 43);
        assert_eq!(fail::<1>("AA=="), 2);
        let plus = format!("+{}", &s[1..]);
        assert_eq!(fail::<32>(&plus), 0);
        let slash = format!("{}/{}", &s[..5], &s[6..]);
        assert_eq!(fail::<32>(&slash), 5);
        assert_eq!(fail::<32>(&format!("{} ", &s[..42])), 42);
        assert_eq!(fail::<32>(&format!("{}é", &s[..41])), 41);
    }

    #[test]
    fn engine_is_strict_on_its_own() {
        // The crate's engine alone already refuses what ENC-9 refuses; the
        // character scan and the re-encoding in `decode` are extra guards.
        assert!(URL_SAFE_NO_PAD.decode("AB").is_err()); // trailing bits
        assert!(URL_SAFE_NO_PAD.decode("AA==").is_err()); // padding
        assert!(URL_SAFE_NO_PAD.decode("A+").is_err()); // standard alphabet
        assert!(URL_SAFE_NO_PAD.decode("A").is_err()); // impossible length
        assert_eq!(URL_SAFE_NO_PAD.decode("AA").unwrap(), [0]);
    }

    #[test]
    fn fast_and_strict_decoders_agree() {
        // Every string of one to four characters over a mix of good and bad
        // bytes, for 1, 2 and 3 bytes: the fast decoder accepts exactly what
        // the strict path does, with the same bytes.
        let chars = b"AQgw_-9Zaz+/=. ";
        let mut all: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = all
                .iter()
                .flat_map(|s| {
                    chars.iter().map(move |&c| {
                        let mut t = s.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            all.extend(longer);
        }
        all.sort();
        all.dedup();
        for s in &all {
            let strict = |s: &[u8]| -> Option<Vec<u8>> {
                let text = std::str::from_utf8(s).ok()?;
                let v = URL_SAFE_NO_PAD.decode(text).ok()?;
                (encode(&v) == text).then_some(v)
            };
            let want = strict(s);
            let check = |got: Option<Vec<u8>>, n: usize| {
                let want = want.clone().filter(|v| v.len() == n);
                assert_eq!(got, want, "{:?} as {n} bytes", String::from_utf8_lossy(s));
            };
            check(decode_fast::<1>(s).map(|a| a.to_vec()), 1);
            check(decode_fast::<2>(s).map(|a| a.to_vec()), 2);
            check(decode_fast::<3>(s).map(|a| a.to_vec()), 3);
        }
        // Keys and signatures: every one-character change of an encoding.
        let mut x: u64 = 1;
        for _ in 0..40 {
            let k: [u8; 64] = std::array::from_fn(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            });
            for text in [encode(&k[..32]), encode(&k)] {
                for i in 0..text.len() {
                    for &c in chars {
                        let mut t = text.clone().into_bytes();
                        t[i] = c;
                        let want = std::str::from_utf8(&t).ok().and_then(|s| {
                            URL_SAFE_NO_PAD.decode(s).ok().filter(|v| encode(v) == s)
                        });
                        let got = if text.len() == 43 {
                            decode_fast::<32>(&t).map(|a| a.to_vec())
                        } else {
                            decode_fast::<64>(&t).map(|a| a.to_vec())
                        };
                        assert_eq!(got, want, "{}", String::from_utf8_lossy(&t));
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_wrong_length() {
        let s = encode(&[7u8; 32]);
        assert_eq!(fail::<32>(&s[..42]), 0);
        assert_eq!(fail::<32>(&format!("{s}A")), 0);
        assert_eq!(fail::<32>(""), 0);
        assert_eq!(fail::<64>(&s), 0);
        assert_eq!(decode::<0>("").unwrap(), []);
    }
}
