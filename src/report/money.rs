//! Money as people read it: an amount in minor units of the commune's
//! currency (spec/10-commune.md: amounts are integers in minor units, the
//! charter names the currency and its exponent) written in major units with
//! the currency code, the one format every report and tool prints.

/// An amount in minor units shown in major units: `EUR 1,234.56`.
pub fn format_money(currency: &str, exponent: i64, n: i128) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    let scale = 10u128.pow(exponent as u32);
    let (major, minor) = (n / scale, n % scale);
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

    #[test]
    fn money_is_grouped_and_exact() {
        assert_eq!(format_money("EUR", 2, 123_456_789), "EUR 1,234,567.89");
        assert_eq!(format_money("EUR", 2, -5), "-EUR 0.05");
        assert_eq!(format_money("JPY", 0, 1_000), "JPY 1,000");
        assert_eq!(format_money("BHD", 3, 1_000_001), "BHD 1,000.001");
    }
}
