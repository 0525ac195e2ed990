//! Amounts of money as people read and type them: one format, used by every
//! report and tool, and read back by every tool that takes an amount
//! (spec/10-commune.md §10.3: an *amount* is an integer of minor units of the
//! charter's currency; this module only converts).
//!
//! The format is the currency code, a space, the major units grouped by
//! three with commas, and the minor units after a point: `EUR 1,234.56`,
//! `JPY 1,000`, `BHD 1,000.001`; a negative figure (a carry, a net result)
//! starts with `-`: `-EUR 0.05`. [`Money::parse`] reads that format back
//! (and `1234.56 EUR`, with or without the commas), so what a tool prints
//! can be pasted into its input. Amounts typed in are positive: a zero or
//! negative one is refused with a sentence saying so.
//!
//! [`Money::plain`] is the machine form of a decimal amount (`1234.56`,
//! `-0.05`: no code, no grouping) for CSV.

use crate::commune::State;
use crate::protocol::document::Document;

/// A currency: its ISO 4217 code and its exponent (minor units per major
/// unit = 10^exponent), as the charter names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    pub code: String,
    pub exponent: i64,
}

/// Why typed text is not an amount of this currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// The largest amount (spec §10.3: 2^53 − 1 minor units).
const MAX: i64 = (1 << 53) - 1;

impl Money {
    pub fn new(code: &str, exponent: i64) -> Money {
        Money {
            code: code.to_string(),
            exponent,
        }
    }

    /// The currency of a chain's state, or of a charter's own body.
    pub fn of(doc: &Document, state: Option<&State>) -> Option<Money> {
        if let Some(s) = state.filter(|s| !s.currency.is_empty()) {
            return Some(Money::new(&s.currency, s.exponent));
        }
        let c = doc.body.get("currency")?.as_object()?;
        let exponent = c
            .get("exponent")?
            .as_i64()
            .filter(|e| (0..=4).contains(e))?;
        Some(Money::new(c.get("code")?.as_str()?, exponent))
    }

    /// `n` minor units as people read them: `EUR 1,234.56`.
    pub fn show(&self, n: impl Into<i128>) -> String {
        format_money(&self.code, self.exponent, n.into())
    }

    /// `n` minor units as a plain decimal: `1234.56`, `-0.05`.
    pub fn plain(&self, n: impl Into<i128>) -> String {
        let n: i128 = n.into();
        let (major, minor) = split(n.unsigned_abs(), self.exponent);
        let sign = if n < 0 { "-" } else { "" };
        if self.exponent == 0 {
            format!("{sign}{major}")
        } else {
            format!(
                "{sign}{major}.{minor:0width$}",
                width = self.exponent as usize
            )
        }
    }

    /// Reads an amount typed in this currency: `EUR 1,200.00`, `EUR 1200`,
    /// `1200.5 EUR`. `Ok(None)` when `raw` does not look like an amount at
    /// all (so it may be some other value); an error when it does but is
    /// not a valid one: another currency, too many decimals, a zero or
    /// negative amount, or more than 2^53 − 1 minor units.
    pub fn parse(raw: &str, money: Option<&Money>) -> Result<Option<i64>, ParseError> {
        let Some((code, negative, number)) = shape(raw) else {
            return Ok(None);
        };
        let err = |m: String| Err(ParseError(format!("{raw:?}: {m}")));
        let Some(m) = money else {
            return err(
                "the commune's currency is not known here; give the amount in minor units".into(),
            );
        };
        if code != m.code {
            return err(format!("the commune's currency is {}", m.code));
        }
        let (major, minor) = number.split_once('.').unwrap_or((number, ""));
        let exp = m.exponent as usize;
        if minor.len() > exp || minor.contains('.') || (minor.is_empty() && number.contains('.')) {
            return err(format!("{} takes at most {exp} decimal places", m.code));
        }
        let Some(major) = ungroup(major) else {
            return err(
                "not a number: digits, grouped by three with commas if at all (1,200.00)".into(),
            );
        };
        let digits = format!("{major}{minor:0<exp$}");
        let n: i64 = match digits.parse::<i64>() {
            Ok(n) if n <= MAX => n,
            _ => return err("amount out of range".into()),
        };
        if negative || n == 0 {
            return err(format!(
                "amounts are positive: money going out is a payment of its own purpose, and a \
                 mistake is undone by a reversal (a zero figure of a period close is written 0; \
                 the smallest amount is {})",
                m.show(1)
            ));
        }
        Ok(Some(n))
    }
}

/// `(code, negative, number)` when `raw` has the shape of an amount: a
/// 3-letter upper-case code and a number, either way round, separated by
/// one space; a `-` before either.
fn shape(raw: &str) -> Option<(&str, bool, &str)> {
    let (negative, rest) = match raw.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, raw),
    };
    let (a, b) = rest.split_once(' ')?;
    let is_code = |s: &str| s.len() == 3 && s.bytes().all(|c| c.is_ascii_uppercase());
    let is_num = |s: &str| {
        let s = s.strip_prefix('-').unwrap_or(s);
        s.bytes().next().is_some_and(|c| c.is_ascii_digit())
            && s.bytes()
                .all(|c| c.is_ascii_digit() || c == b'.' || c == b',')
    };
    if is_code(a) && is_num(b) {
        Some(match b.strip_prefix('-') {
            Some(n) => (a, true, n),
            None => (a, negative, b),
        })
    } else if is_num(a) && is_code(b) {
        Some(match a.strip_prefix('-') {
            Some(n) => (b, true, n),
            None => (b, negative, a),
        })
    } else {
        None
    }
}

/// The digits of a major part, commas removed if they group it by three
/// (`1,200`, `12,000,000`); `None` for a misplaced comma.
fn ungroup(major: &str) -> Option<String> {
    if !major.contains(',') {
        return (!major.is_empty()).then(|| major.to_string());
    }
    let groups: Vec<&str> = major.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| groups.concat())
}

fn split(n: u128, exponent: i64) -> (u128, u128) {
    let scale = 10u128.pow(exponent as u32);
    (n / scale, n % scale)
}

/// An amount in minor units shown in major units: `EUR 1,234.56`.
pub fn format_money(currency: &str, exponent: i64, n: i128) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let (major, minor) = split(n.unsigned_abs(), exponent);
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if exponent == 0 {
        format!("{sign}{currency} {grouped}")
    } else {
        format!(
            "{sign}{currency} {grouped}.{minor:0width$}",
            width = exponent as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Money {
        Money::new("EUR", 2)
    }

    #[test]
    fn money_is_grouped_and_exact() {
        assert_eq!(format_money("EUR", 2, 123_456_789), "EUR 1,234,567.89");
        assert_eq!(format_money("EUR", 2, -5), "-EUR 0.05");
        assert_eq!(format_money("JPY", 0, 1_000), "JPY 1,000");
        assert_eq!(format_money("BHD", 3, 1_000_001), "BHD 1,000.001");
        assert_eq!(eur().plain(123_456_789), "1234567.89");
        assert_eq!(eur().plain(-5), "-0.05");
        assert_eq!(Money::new("JPY", 0).plain(1_000), "1000");
    }

    /// What the tools print, they read back.
    #[test]
    fn the_printed_form_reads_back() {
        for n in [1, 5, 99, 100, 120_000, 123_456_789, MAX] {
            let shown = eur().show(n);
            assert_eq!(Money::parse(&shown, Some(&eur())), Ok(Some(n)), "{shown}");
        }
        for (raw, n) in [
            ("EUR 1200", 120_000),
            ("EUR 1,200.5", 120_050),
            ("1,200.00 EUR", 120_000),
            ("EUR 0.01", 1),
        ] {
            assert_eq!(Money::parse(raw, Some(&eur())), Ok(Some(n)), "{raw}");
        }
        let jpy = Money::new("JPY", 0);
        assert_eq!(Money::parse("JPY 1,000", Some(&jpy)), Ok(Some(1_000)));
        assert_eq!(Money::parse(&jpy.show(1_000), Some(&jpy)), Ok(Some(1_000)));
    }

    #[test]
    fn not_an_amount_is_left_alone() {
        for raw in [
            "ana", "12", "EUR", "gift 12", "EURO 12", "EUR 12 x", "eur 12",
        ] {
            assert_eq!(Money::parse(raw, Some(&eur())), Ok(None), "{raw}");
        }
    }

    #[test]
    fn zero_negative_and_malformed_amounts_say_why() {
        for raw in ["EUR 0.00", "EUR 0", "EUR -5.00", "-EUR 5.00", "-5.00 EUR"] {
            let e = Money::parse(raw, Some(&eur())).unwrap_err();
            assert!(e.0.contains("amounts are positive"), "{raw}: {e}");
        }
        let e = Money::parse("EUR 1.001", Some(&eur())).unwrap_err();
        assert!(e.0.contains("at most 2 decimal places"), "{e}");
        let e = Money::parse("EUR 1.", Some(&eur())).unwrap_err();
        assert!(e.0.contains("at most 2 decimal places"), "{e}");
        let e = Money::parse("USD 1.00", Some(&eur())).unwrap_err();
        assert!(e.0.contains("currency is EUR"), "{e}");
        for raw in ["EUR 12,00.00", "EUR 1,2000", "EUR 1,,000", "EUR 1..0"] {
            assert!(Money::parse(raw, Some(&eur())).is_err(), "{raw}");
        }
        let e = Money::parse("EUR 90071992547409.92", Some(&eur())).unwrap_err();
        assert!(e.0.contains("out of range"), "{e}");
        let e = Money::parse("EUR 1.00", None).unwrap_err();
        assert!(e.0.contains("not known here"), "{e}");
    }
}
