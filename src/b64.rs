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

use crate::Rule;
use crate::canonical::Error;

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
    fn rejects_wrong_length() {
        let s = encode(&[7u8; 32]);
        assert_eq!(fail::<32>(&s[..42]), 0);
        assert_eq!(fail::<32>(&format!("{s}A")), 0);
        assert_eq!(fail::<32>(""), 0);
        assert_eq!(fail::<64>(&s), 0);
        assert_eq!(decode::<0>("").unwrap(), []);
    }
}
