//! Calendar dates (`spec/02-encoding.md` §2.6, ENC-10).
//!
//! Records carry dates, never times: strings of exactly the form `YYYY-MM-DD`
//! naming a real day of the proleptic Gregorian calendar, years 0001 to 9999.
//! Periods are whole months, so besides parsing and printing this module
//! gives the integer arithmetic the period and dividend code needs: day
//! numbers relative to 1970-01-01 (Howard Hinnant's `days_from_civil`, integer
//! only) and month indices (`year * 12 + month - 1`).

use std::fmt;
use std::str::FromStr;

use crate::protocol::canonical::Error;
use crate::protocol::rule::Rule;

/// A day of the proleptic Gregorian calendar, 0001-01-01 to 9999-12-31.
///
/// Ordering is calendar order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: u16,
    month: u8,
    day: u8,
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The number of days in a month (1–12) of a year; 0 for a month out of range.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day number of 0001-01-01 relative to 1970-01-01.
const MIN_DAYS: i64 = -719_162;
/// Day number of 9999-12-31 relative to 1970-01-01.
const MAX_DAYS: i64 = 2_932_896;

impl Date {
    /// The earliest date: 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    /// The latest date: 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The date, if it is a real day in years 1 to 9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`. Errors carry ENC-10 and the index of the
    /// first character at fault (0 for a wrong length or a day that does not
    /// exist in its month and year).
    pub fn parse(s: &str) -> Result<Date, Error> {
        let b = s.as_bytes();
        for (i, &c) in b.iter().enumerate().take(10) {
            let good = if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            };
            if !good {
                return Err(Error::new(
                    Rule::Enc10,
                    i,
                    format!("date {s:?} is not of the form YYYY-MM-DD"),
                ));
            }
        }
        if b.len() != 10 {
            return Err(Error::new(
                Rule::Enc10,
                b.len().min(10),
                format!("date {s:?} is not of the form YYYY-MM-DD"),
            ));
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'))
        };
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        if year == 0 {
            return Err(Error::new(Rule::Enc10, 0, "year 0000 does not exist"));
        }
        if !(1..=12).contains(&month) {
            return Err(Error::new(
                Rule::Enc10,
                5,
                format!("date {s:?} has no month {month}"),
            ));
        }
        // month is 1..=12 and day at most 99, so the casts are lossless.
        Date::new(year, month as u8, day as u8).ok_or_else(|| {
            Error::new(
                Rule::Enc10,
                8,
                format!(
                    "date {s:?} names no day: {year:04}-{month:02} has {} days",
                    { days_in_month(year, month as u8) }
                ),
            )
        })
    }

    /// The year, 1–9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms",
        // days_from_civil.
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400; // [0, 399]
        let mp = (m + 9) % 12; // March = 0
        let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if it lies within 0001-01-01 ..=
    /// 9999-12-31.
    pub fn from_days(days: i64) -> Option<Date> {
        if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
            return None;
        }
        // Howard Hinnant, civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097; // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
        let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
        let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
        let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
    }

    /// The first day of this date's month.
    pub fn first_of_month(self) -> Date {
        Date { day: 1, ..self }
    }

    /// `year * 12 + (month - 1)`: consecutive months have consecutive
    /// indices.
    pub fn month_index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The given day of the month with index `index` (see
    /// [`Date::month_index`]); `None` if the day does not exist in that month
    /// or the year is outside 1–9999. Does not clamp.
    pub fn from_month_index(index: i64, day: u8) -> Option<Date> {
        let year = u16::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        Date::new(year, month, day)
    }

    /// The same day `n` months later, with the day clamped to the last day of
    /// the target month (2024-01-31 + 1 month = 2024-02-29). `None` past
    /// 9999-12-31. Period code should work on month indices or on first days
    /// of months, where no clamping occurs.
    pub fn add_months(self, n: u32) -> Option<Date> {
        let index = self.month_index().checked_add(i64::from(n))?;
        let year = u16::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        Date::new(year, month, self.day.min(days_in_month(year, month)))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Date, Error> {
        Date::parse(s)
    }
}

/// A month index as `YYYY-MM`.
pub fn month_name(index: i64) -> String {
    match Date::from_month_index(index, 1) {
        Some(d) => format!("{:04}-{:02}", d.year(), d.month()),
        None => format!("month {index}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(s: &str) -> usize {
        let e = Date::parse(s).expect_err(s);
        assert_eq!(e.rule, Rule::Enc10);
        e.offset
    }

    #[test]
    fn parses_real_days() {
        for s in [
            "2000-02-29",
            "2024-02-29",
            "0001-01-01",
            "9999-12-31",
            "1970-01-01",
            "2023-12-31",
            "2024-04-30",
        ] {
            let d = Date::parse(s).unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(s.parse::<Date>().unwrap(), d);
        }
        let d = Date::parse("2024-03-15").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, 3, 15));
    }

    #[test]
    fn refuses_non_days() {
        assert_eq!(bad("1900-02-29"), 8);
        assert_eq!(bad("2023-02-29"), 8);
        assert_eq!(bad("2024-04-31"), 8);
        assert_eq!(bad("2024-01-00"), 8);
        assert_eq!(bad("2024-13-01"), 5);
        assert_eq!(bad("2024-00-01"), 5);
        assert_eq!(bad("0000-01-01"), 0);
    }

    #[test]
    fn refuses_other_forms() {
        assert_eq!(bad("2024-1-01"), 6);
        assert_eq!(bad(" 2024-01-01"), 0);
        assert_eq!(bad("2024-01-01 "), 10);
        assert_eq!(bad("2024-01-01T00:00:00Z"), 10);
        assert_eq!(bad("2024/01/01"), 4);
        assert_eq!(bad("20240101"), 4);
        assert_eq!(bad("+2024-01-01"), 0);
        assert_eq!(bad("12024-01-01"), 4);
        assert_eq!(bad("2024-01-0"), 9);
        assert_eq!(bad(""), 0);
        assert_eq!(bad("２024-01-01"), 0);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2024, 13), 0);
    }

    #[test]
    fn day_numbers() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
        assert_eq!(Date::new(1969, 12, 31).unwrap().to_days(), -1);
        assert_eq!(Date::new(2000, 3, 1).unwrap().to_days(), 11_017);
        assert_eq!(Date::MIN.to_days(), MIN_DAYS);
        assert_eq!(Date::MAX.to_days(), MAX_DAYS);
        assert_eq!(Date::from_days(MIN_DAYS - 1), None);
        assert_eq!(Date::from_days(MAX_DAYS + 1), None);
        assert_eq!(Date::from_days(i64::MIN), None);
        // Every day of 0001..=9999 round-trips, in order, one day apart.
        let mut prev = Date::from_days(MIN_DAYS).unwrap();
        assert_eq!(prev, Date::MIN);
        for n in MIN_DAYS + 1..=MAX_DAYS {
            let d = Date::from_days(n).unwrap();
            assert_eq!(d.to_days(), n);
            assert!(d > prev);
            if d.day() == 1 {
                assert_eq!(prev.day(), days_in_month(prev.year(), prev.month()));
            } else {
                assert_eq!(
                    (d.year(), d.month(), d.day() - 1),
                    (prev.year(), prev.month(), prev.day())
                );
            }
            prev = d;
        }
        assert_eq!(prev, Date::MAX);
    }

    #[test]
    fn months() {
        let d = Date::new(2024, 1, 31).unwrap();
        assert_eq!(d.first_of_month(), Date::new(2024, 1, 1).unwrap());
        assert_eq!(d.month_index(), 2024 * 12);
        assert_eq!(d.add_months(1), Date::new(2024, 2, 29));
        assert_eq!(d.add_months(13), Date::new(2025, 2, 28));
        assert_eq!(d.add_months(0), Some(d));
        assert_eq!(
            Date::new(2024, 12, 1).unwrap().add_months(1),
            Date::new(2025, 1, 1)
        );
        assert_eq!(Date::MAX.add_months(1), None);
        assert_eq!(
            Date::from_month_index(2024 * 12 + 1, 29),
            Date::new(2024, 2, 29)
        );
        assert_eq!(Date::from_month_index(2023 * 12 + 1, 29), None);
        assert_eq!(Date::from_month_index(11, 1), None); // year 0
        assert_eq!(Date::from_month_index(12, 1), Some(Date::MIN));
        assert_eq!(Date::from_month_index(-1, 1), None);
        assert_eq!(Date::from_month_index(10_000 * 12, 1), None);
        let i = Date::new(2023, 12, 5).unwrap().month_index();
        assert_eq!(Date::from_month_index(i + 1, 1), Date::new(2024, 1, 1));
    }

    #[test]
    fn ordering_is_calendar_order() {
        let a = Date::parse("2023-12-31").unwrap();
        let b = Date::parse("2024-01-01").unwrap();
        let c = Date::parse("2024-02-01").unwrap();
        assert!(a < b && b < c);
    }
}
