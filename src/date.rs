//! STUB
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date { year: u16, month: u8, day: u8 }
impl Date {
    pub fn parse(_s: &str) -> Result<Date, crate::canonical::Error> { todo!() }
    pub fn new(_y: u16, _m: u8, _d: u8) -> Option<Date> { todo!() }
    pub fn year(self) -> u16 { self.year } pub fn month(self) -> u8 { self.month } pub fn day(self) -> u8 { self.day }
    pub fn to_days(self) -> i64 { todo!() }
    pub fn from_days(_d: i64) -> Option<Date> { todo!() }
    pub fn month_index(self) -> i64 { todo!() }
    pub fn from_month_index(_i: i64, _day: u8) -> Option<Date> { todo!() }
}
pub fn days_in_month(_y: u16, _m: u8) -> u8 { todo!() }
impl std::fmt::Display for Date { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day) } }
