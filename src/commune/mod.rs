//! The commune layer: the commune rules (bodies, authority, membership,
//! references, bond and rent schedules, payments and cash; spec/10-commune.md)
//! and, in [`dividend`], the period closes' figures (spec/11-dividends.md).
//! It stands on [`crate::protocol`] and nothing above it.
//!
//! [`State`] replays a chain from its charter. [`State::apply`] checks one
//! document that passed the integrity layers against the state the earlier
//! documents left, in the spec's fixed order (body, keys, authority,
//! membership and references, schedules, payments and balances), and either
//! applies it or returns the first rule it breaks; a document with a
//! finding is void and changes nothing.
//!
//! Every check is exact integer arithmetic on `i128`; every collection that
//! is ever iterated for output is a `BTreeMap` (or numbered in chain order),
//! so reports do not depend on hash order.
//!
//! What grows with the chain is kept compact (docs/performance.md): a
//! payment is recorded, for a later reversal, as a few integers: its id and
//! the names it refers to are interned ([`crate::protocol::intern`]), and a dividend
//! payment points at its payout in the close. A close keeps only each
//! eligible member's days (the amounts follow from them), with the member
//! ids shared with the member table; the closes are shared with the audit
//! report, and the dividends paid are one amount per payout, in the
//! close's order.

// A finding is 128 bytes; it is the rare path, and boxing it would only add
// noise to every check.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::commune::dividend::{Figures, Inputs, Payout, Settled};
use crate::commune::roster::Roster;
use crate::protocol::canonical::{Object, Value};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::intern::{Interner, Numbered};
use crate::protocol::rule::Rule;
use crate::protocol::{b64, sig};

// Every type of the state in the saved-state file of an incremental audit.
pub mod collateral;
pub mod dividend;
pub mod fields;
mod lifecycle;
pub mod roster;
mod saved;

/// The most current members a commune may have (LIM-4).
pub const MAX_MEMBERS: usize = 100_000;
/// The most rows of a schedule or instalments of an agreement.
pub const MAX_COUNT: i64 = 1_200;
/// The most units a series may issue.
pub const MAX_UNITS: i64 = 1_000_000_000;
/// The largest amount (ENC-6 bound).
pub const MAX_AMOUNT: i64 = (1 << 53) - 1;

/// A rule a document breaks, with the member at fault (a path inside the
/// document: `body.schedule[3].coupon`) and, for numbers, what the rule
/// expected and what the document has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub field: String,
    pub detail: String,
    pub expected: Option<i128>,
    pub found: Option<i128>,
}

impl Finding {
    pub fn new(rule: Rule, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Finding {
            rule,
            field: field.into(),
            detail: detail.into(),
            expected: None,
            found: None,
        }
    }

    fn numbers(mut self, expected: i128, found: i128) -> Self {
        self.expected = Some(expected);
        self.found = Some(found);
        self
    }

    /// found − expected, when both are known.
    pub fn difference(&self) -> Option<i128> {
        Some(self.found? - self.expected?)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}: {}", self.rule, self.field, self.detail)?;
        if let (Some(e), Some(g)) = (self.expected, self.found) {
            write!(f, " (expected {e}, found {g}, difference {})", g - e)?;
        }
        Ok(())
    }
}

type Res<T> = Result<T, Finding>;

// ---------------------------------------------------------------------------
// Reading bodies (COM-1 … COM-4, ENC-9, ENC-10)

/// A closed object being read member by member, in canonical order.
struct Fields<'a> {
    obj: &'a Object,
    path: Place,
}

/// Where a [`Fields`] object is, for findings: a path, or an element of a
/// list (written out only for a finding: a close reads 10,000 of them).
enum Place {
    Path(String),
    Item(&'static str, usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Path(p) => f.write_str(p),
            Place::Item(list, i) => write!(f, "{list}[{i}]"),
        }
    }
}

fn wrong_type(path: &str, want: &str, v: &Value) -> Finding {
    Finding::new(
        Rule::Com1,
        path,
        format!("expected {want}, found {}", v.type_name()),
    )
}

impl<'a> Fields<'a> {
    /// Checks that `v` is an object with exactly `names` (which must be in
    /// canonical order): unknown members first, then missing ones.
    fn open(v: &'a Value, path: &str, names: &[&str]) -> Res<Fields<'a>> {
        Self::open_at(v, Place::Path(path.to_string()), names)
    }

    /// [`Fields::open`] on element `i` of the list at `list`.
    fn open_item(v: &'a Value, list: &'static str, i: usize, names: &[&str]) -> Res<Fields<'a>> {
        Self::open_at(v, Place::Item(list, i), names)
    }

    fn open_at(v: &'a Value, place: Place, names: &[&str]) -> Res<Fields<'a>> {
        let Some(obj) = v.as_object() else {
            return Err(wrong_type(&place.to_string(), "object", v));
        };
        Self::check_names(obj, &place, names)?;
        Ok(Fields { obj, path: place })
    }

    /// Unknown members first, then missing ones.
    fn check_names(obj: &Object, place: &Place, names: &[&str]) -> Res<()> {
        for k in obj.keys() {
            if !names.contains(&k) {
                return Err(Finding::new(
                    Rule::Com1,
                    format!("{place}.{k}"),
                    "unknown member",
                ));
            }
        }
        for n in names {
            if obj.get(n).is_none() {
                return Err(Finding::new(
                    Rule::Com1,
                    format!("{place}.{n}"),
                    "missing member",
                ));
            }
        }
        Ok(())
    }

    /// [`Fields::open`] on an object.
    fn open_object(obj: &'a Object, path: &str, names: &[&str]) -> Res<Fields<'a>> {
        let place = Place::Path(path.to_string());
        Self::check_names(obj, &place, names)?;
        Ok(Fields { obj, path: place })
    }

    fn path(&self, k: &str) -> String {
        format!("{}.{k}", self.path)
    }

    fn value(&self, k: &str) -> &'a Value {
        self.obj.get(k).expect("members checked by open")
    }

    fn str(&self, k: &str) -> Res<&'a str> {
        let v = self.value(k);
        v.as_str()
            .ok_or_else(|| wrong_type(&self.path(k), "string", v))
    }

    fn int(&self, k: &str, lo: i64, hi: i64) -> Res<i64> {
        let v = self.value(k);
        let n = v
            .as_i64()
            .ok_or_else(|| wrong_type(&self.path(k), "integer", v))?;
        in_range(n, lo, hi, || self.path(k))
    }

    fn amount(&self, k: &str, min: i64) -> Res<i64> {
        let v = self.value(k);
        let n = v
            .as_i64()
            .ok_or_else(|| wrong_type(&self.path(k), "integer", v))?;
        if n < min {
            // The wording people need: an amount is never negative, and
            // most are at least one minor unit.
            return Err(Finding::new(
                Rule::Com3,
                self.path(k),
                if min > 0 {
                    format!("{n} is not an amount here: amounts are positive (at least {min})")
                } else {
                    format!("{n} is not an amount: amounts are positive or zero")
                },
            ));
        }
        in_range(n, min, MAX_AMOUNT, || self.path(k))
    }

    fn bool(&self, k: &str) -> Res<bool> {
        let v = self.value(k);
        v.as_bool()
            .ok_or_else(|| wrong_type(&self.path(k), "boolean", v))
    }

    fn id(&self, k: &str) -> Res<String> {
        id_value(self.value(k), || self.path(k))
    }

    fn key(&self, k: &str) -> Res<[u8; 32]> {
        binary(self.value(k), || self.path(k))
    }

    fn date(&self, k: &str) -> Res<Date> {
        let s = self.str(k)?;
        Date::parse(s).map_err(|e| Finding::new(Rule::Enc10, self.path(k), e.detail))
    }

    fn text(&self, k: &str) -> Res<String> {
        let s = self.str(k)?;
        let n = s.chars().count();
        if !(1..=1000).contains(&n) {
            return Err(Finding::new(
                Rule::Com3,
                self.path(k),
                format!("{n} characters, expected 1 to 1000"),
            ));
        }
        Ok(s.to_string())
    }

    fn choice(&self, k: &str, options: &[&'static str]) -> Res<&'static str> {
        let s = self.str(k)?;
        options.iter().find(|o| **o == s).copied().ok_or_else(|| {
            Finding::new(
                Rule::Com1,
                self.path(k),
                format!("{s:?} is not one of {options:?}"),
            )
        })
    }

    fn array(&self, k: &str, lo: usize, hi: usize) -> Res<&'a [Value]> {
        let v = self.value(k);
        let a = v
            .as_array()
            .ok_or_else(|| wrong_type(&self.path(k), "array", v))?;
        if a.len() < lo || a.len() > hi {
            return Err(Finding::new(
                Rule::Com3,
                self.path(k),
                format!("{} elements, expected {lo} to {hi}", a.len()),
            ));
        }
        Ok(a)
    }

    fn object(&self, k: &str, names: &[&str]) -> Res<Fields<'a>> {
        Fields::open(self.value(k), &self.path(k), names)
    }

    /// A sorted list of ids (COM-4).
    fn id_list(&self, k: &str, lo: usize) -> Res<Vec<String>> {
        let arr = self.array(k, lo, MAX_MEMBERS)?;
        let mut out: Vec<String> = Vec::with_capacity(arr.len());
        for (i, v) in arr.iter().enumerate() {
            let p = || format!("{}[{i}]", self.path(k));
            let id = id_value(v, p)?;
            if out.last().is_some_and(|l| l.as_bytes() >= id.as_bytes()) {
                return Err(Finding::new(
                    Rule::Com4,
                    p(),
                    "not sorted strictly ascending",
                ));
            }
            out.push(id);
        }
        Ok(out)
    }
}

/// (Paths are closures: they are built only for a finding.)
fn in_range(n: i64, lo: i64, hi: i64, path: impl Fn() -> String) -> Res<i64> {
    if n < lo || n > hi {
        return Err(Finding::new(
            Rule::Com3,
            path(),
            format!("{n} is outside {lo} ..= {hi}"),
        ));
    }
    Ok(n)
}

/// REF-2: an id a document creates must be new in its namespace.
fn must_be_new(exists: bool, field: &str, what: &str, id: &str) -> Res<()> {
    if exists {
        return Err(Finding::new(
            Rule::Ref2,
            field,
            format!("{what} {id} exists"),
        ));
    }
    Ok(())
}

/// A period, `YYYY-MM`, as a month index.
fn month_value(s: &str, path: impl Fn() -> String) -> Res<i64> {
    let bad = || {
        Finding::new(
            Rule::Com3,
            path(),
            format!("{s:?} is not a month (YYYY-MM)"),
        )
    };
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' {
        return Err(bad());
    }
    // YYYY-MM-01, checked as a date without building the string.
    let mut day = [b'0'; 10];
    day[..7].copy_from_slice(b);
    day[7..].copy_from_slice(b"-01");
    std::str::from_utf8(&day)
        .ok()
        .and_then(|d| Date::parse(d).ok())
        .map(Date::month_index)
        .ok_or_else(bad)
}

pub use crate::protocol::date::month_name;

fn id_value(v: &Value, path: impl Fn() -> String) -> Res<String> {
    let s = v.as_str().ok_or_else(|| wrong_type(&path(), "string", v))?;
    let ok = (1..=64).contains(&s.len())
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(Finding::new(
            Rule::Com2,
            path(),
            format!("{s:?} is not an id"),
        ));
    }
    Ok(s.to_string())
}

fn binary(v: &Value, path: impl Fn() -> String) -> Res<[u8; 32]> {
    let s = v.as_str().ok_or_else(|| wrong_type(&path(), "string", v))?;
    b64::decode::<32>(s).map_err(|e| Finding::new(Rule::Enc9, path(), e.detail))
}

fn check_key(key: &[u8; 32], path: &str) -> Res<()> {
    sig::check_key(key).map_err(|e| Finding::new(e.rule(), path, format!("unusable key: {e}")))
}

// ---------------------------------------------------------------------------
// Settings and state

/// The signature threshold of each kind of decision, in basis points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub admission: i64,
    pub amendment: i64,
    pub asset: i64,
    pub bond: i64,
    pub close: i64,
    pub expense: i64,
    pub expulsion: i64,
    pub key_recovery: i64,
    pub rental: i64,
}

/// The kinds of decision with a threshold, in canonical order.
pub const THRESHOLD_NAMES: [&str; 9] = [
    "admission",
    "amendment",
    "asset",
    "bond",
    "close",
    "expense",
    "expulsion",
    "key_recovery",
    "rental",
];

/// A `thresholds` object: `two_thirds` for the kinds that change the
/// commune or act against a member (amendment, expulsion, key recovery),
/// `majority` for the others.
pub fn thresholds_value(majority: i64, two_thirds: i64) -> Object {
    let mut o = Object::new();
    for n in THRESHOLD_NAMES {
        let bps = match n {
            "amendment" | "expulsion" | "key_recovery" => two_thirds,
            _ => majority,
        };
        o.insert(n, Value::Int(bps));
    }
    o
}

impl Thresholds {
    fn read(f: &Fields<'_>, k: &str) -> Res<Thresholds> {
        let t = f.object(k, &THRESHOLD_NAMES)?;
        let g = |n| t.int(n, 1, 10_000);
        Ok(Thresholds {
            admission: g("admission")?,
            amendment: g("amendment")?,
            asset: g("asset")?,
            bond: g("bond")?,
            close: g("close")?,
            expense: g("expense")?,
            expulsion: g("expulsion")?,
            key_recovery: g("key_recovery")?,
            rental: g("rental")?,
        })
    }
}

/// The charter's settings that `charter_amendment` may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub bonds_transferable: bool,
    pub bylaws: [u8; 32],
    pub reserve_bps: i64,
    pub thresholds: Thresholds,
    pub treasurers: Vec<String>,
    /// Version 2 (spec 14.1): an asset sale's surplus is income of its
    /// period (`sale_surplus` "income") rather than added to the reserve
    /// ("reserve", and every version-1 charter).
    pub surplus_to_income: bool,
    /// Version 2 (spec 11.3): a close's deficit is covered from the reserve
    /// (false for every version-1 charter).
    pub reserve_covers_deficit: bool,
}

/// A member, current or former.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: [u8; 32],
    pub since: Date,
    pub until: Option<Date>,
    /// The member's number in [`State::roster`].
    pub number: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub description: String,
    pub price: i64,
    pub purchased: i128,
    /// The agreement renting it now, if any.
    pub agreement: Option<String>,
    /// Its sale, once sold (spec 14.2): it has then left the stock.
    pub sale: Option<Sale>,
}

/// An applied asset sale (spec 14.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    pub date: Date,
    pub buyer: String,
    pub price: i64,
    /// Every holder's claim and share of the price, by key.
    pub shares: Vec<collateral::Share>,
    /// Paid so far of each share (by `proceeds` payments), in `shares` order.
    pub paid: Vec<i128>,
    pub surplus: i128,
    pub written_down: i128,
}

/// An applied call of bond units (spec 14.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub series: String,
    pub date: Date,
    /// Per unit.
    pub price: i64,
    /// (holder, units called, redemption paid so far), by holder.
    pub holders: Vec<([u8; 32], i64, i128)>,
}

/// A bond series offered at auction (spec 14.6), until and after it is
/// settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auction {
    pub asset: String,
    pub terms: Terms,
    pub face: i64,
    pub first_due: Date,
    pub payments: i64,
    pub linear: bool,
    pub max_rate_bps: i64,
    pub closes: Date,
    /// Units offered.
    pub units: i64,
    /// Bids in chain order.
    pub bids: Vec<Bid>,
    pub settled: bool,
}

/// A bid in an auction (spec 14.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bid {
    pub id: String,
    pub bidder: [u8; 32],
    pub rate_bps: i64,
    pub units: i64,
}

/// A series' version-2 terms (spec 14.1): a version-1 series has grace 0
/// and is not callable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    pub grace_days: i64,
    pub callable: bool,
    pub call_premium_bps: i64,
}

/// An applied draw on the reserve (spec 11.3, 14.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draw {
    pub date: Date,
    pub amount: i64,
    pub purpose: String,
}

/// One row of a per-unit bond schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub due: Date,
    pub coupon: i64,
    pub principal: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub asset: String,
    pub face: i64,
    pub units: i64,
    pub rate_bps: i64,
    pub rows: Vec<Row>,
    pub sold: i64,
    pub holdings: BTreeMap<[u8; 32], i64>,
    /// Holders of record of each row taken so far (index = row − 1).
    pub records: Vec<BTreeMap<[u8; 32], i64>>,
    /// Paid per (row, holder): (coupon, principal).
    pub paid: BTreeMap<(usize, [u8; 32]), (i128, i128)>,
    pub terms: Terms,
    /// Units redeemed early by calls (spec 14.3).
    pub called: i64,
    /// The date of its asset's sale, which settled it (spec 14.2): rows due
    /// after it are cancelled, unpaid ones before it are settled by the
    /// sale's split.
    pub settled: Option<Date>,
}

impl Series {
    /// Principal still owed per unit after the rows due on or before `d`.
    pub fn outstanding_per_unit(&self, d: Date) -> i64 {
        self.face
            - self
                .rows
                .iter()
                .filter(|r| r.due <= d)
                .map(|r| r.principal)
                .sum::<i64>()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub asset: String,
    pub renters: Vec<String>,
    pub guarantees: Vec<String>,
    pub start: Date,
    pub instalments: i64,
    pub steps: Vec<(i64, i64)>,
    pub ended: Option<Date>,
    pub paid: BTreeMap<i64, i128>,
}

impl Agreement {
    pub fn due_date(&self, k: i64) -> Date {
        add_months(self.start, k - 1)
    }

    pub fn rent(&self, k: i64) -> i64 {
        self.steps
            .iter()
            .rev()
            .find(|(from, _)| *from <= k)
            .map_or(0, |s| s.1)
    }

    /// Whether instalment `k` is owed (in range, not cancelled by an end).
    pub fn owes(&self, k: i64) -> bool {
        (1..=self.instalments).contains(&k) && self.ended.is_none_or(|e| self.due_date(k) <= e)
    }

    pub fn last_due(&self) -> Date {
        self.due_date(self.instalments)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub amount: i64,
    pub spent: i128,
    pub payee: String,
    pub purpose: String,
}

/// What a payment's body says it pays.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Rent {
        agreement: String,
        instalment: i64,
    },
    Income,
    Bond {
        series: String,
        row: usize,
        holder: [u8; 32],
        principal: bool,
    },
    Purchase {
        asset: String,
    },
    Approval {
        approval: String,
    },
    Dividend {
        period: i64,
        member: String,
    },
    Proceeds {
        asset: String,
        holder: [u8; 32],
    },
    Redemption {
        call: String,
        holder: [u8; 32],
    },
}

impl Target {
    /// Whether the payment brings money in.
    fn inflow(&self) -> bool {
        matches!(self, Target::Rent { .. } | Target::Income)
    }
}

/// What an applied payment paid, so a reversal can undo it: a [`Target`]
/// with its names numbered in [`State::names`] and [`State::holders`], and
/// a dividend as its payout's index in the close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Paid {
    Rent {
        agreement: u32,
        instalment: u16,
    },
    Income,
    Bond {
        series: u32,
        row: u16,
        holder: u32,
        principal: bool,
    },
    Purchase {
        asset: u32,
    },
    Approval {
        approval: u32,
    },
    Dividend {
        period: i32,
        payout: u32,
    },
    /// A share of an asset sale: the asset, the share's index.
    Proceeds {
        asset: u32,
        share: u32,
    },
    /// A call's redemption: the call, the holder's index in it.
    Redemption {
        call: u32,
        holder: u32,
    },
}

impl Paid {
    fn inflow(self) -> bool {
        matches!(self, Paid::Rent { .. } | Paid::Income)
    }
}

/// The dividend side of the state (spec 11.2): what has been recognised in
/// each open period, the closes, and the dividends paid.
#[derive(Clone, Debug, Default)]
pub struct Periods {
    /// The next period to close, as a month index (`Date::month_index`).
    pub next: i64,
    /// What the last close carried.
    pub carry: i128,
    /// Recognised so far per open period: rent, income, expenses.
    pub rent: BTreeMap<i64, i128>,
    pub income: BTreeMap<i64, i128>,
    pub expenses: BTreeMap<i64, i128>,
    /// The figures of each applied close, by period (shared with the
    /// audit report).
    pub closes: BTreeMap<i64, Arc<Figures>>,
    /// Dividends paid, by period: which payouts of the close are paid, in
    /// the order of [`Figures::payouts`]. PAY-1 lets a payout be paid once
    /// (until a reversal), in full, so what was paid of each is its amount
    /// or nothing.
    pub paid: BTreeMap<i64, Settled>,
    /// Bond service of calls per open period (spec 11.2, 14.3).
    pub called: BTreeMap<i64, i128>,
    /// Drawn from the reserve by decision per open period (spec 11.3).
    pub drawn: BTreeMap<i64, i128>,
    /// The reserve's balance (spec 11.3): what closes set aside, less what
    /// they covered, plus sale surpluses, less draws.
    pub reserve: i128,
}

/// An applied payment, by its number in [`State::payment_ids`], in 16
/// bytes (there is one per payment: a million on the 1M-entry chain).
/// `word` holds the amount (at most [`MAX_AMOUNT`], 53 bits), what kind of
/// [`Paid`] it is (bits 53–55), a bond payment's `principal` (bit 57) and
/// whether it is reversed (bit 58); `a` and `b` hold the kind's two numbers,
/// a bond payment's (series, row) as one number in [`State::bond_rows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PaymentRecord {
    word: u64,
    a: u32,
    b: u32,
}

impl PaymentRecord {
    const AMOUNT: u64 = (1 << 53) - 1;
    const KIND_SHIFT: u32 = 53;
    const PRINCIPAL: u64 = 1 << 57;
    const REVERSED: u64 = 1 << 58;

    fn new(amount: i64, paid: Paid, bond_rows: &mut Numbered<(u32, u16)>) -> Self {
        let amount = u64::try_from(amount).expect("PAY-1: an amount of 1 … MAX_AMOUNT");
        debug_assert!(amount <= Self::AMOUNT);
        let (kind, a, b, flag) = match paid {
            Paid::Rent {
                agreement,
                instalment,
            } => (0, agreement, u32::from(instalment), 0),
            Paid::Income => (1, 0, 0, 0),
            Paid::Bond {
                series,
                row,
                holder,
                principal,
            } => (
                2,
                bond_rows.intern((series, row)),
                holder,
                if principal { Self::PRINCIPAL } else { 0 },
            ),
            Paid::Purchase { asset } => (3, asset, 0, 0),
            Paid::Approval { approval } => (4, approval, 0, 0),
            Paid::Dividend { period, payout } => (5, period as u32, payout, 0),
            Paid::Proceeds { asset, share } => (6, asset, share, 0),
            Paid::Redemption { call, holder } => (7, call, holder, 0),
        };
        PaymentRecord {
            word: amount | (kind << Self::KIND_SHIFT) | flag,
            a,
            b,
        }
    }

    fn amount(self) -> i64 {
        (self.word & Self::AMOUNT) as i64
    }

    fn reversed(self) -> bool {
        self.word & Self::REVERSED != 0
    }

    fn reverse(&mut self) {
        self.word |= Self::REVERSED;
    }

    /// What the payment paid; `None` for bits no record is made of (a saved
    /// state's, see `State::consistent`).
    fn paid(self, bond_rows: &Numbered<(u32, u16)>) -> Option<Paid> {
        let known = Self::AMOUNT | (7 << Self::KIND_SHIFT) | Self::PRINCIPAL | Self::REVERSED;
        let principal = self.word & Self::PRINCIPAL != 0;
        if self.word & !known != 0 || (principal && self.kind() != 2) {
            return None;
        }
        let (a, b) = (self.a, self.b);
        let none = |p: Paid| (b == 0).then_some(p);
        match self.kind() {
            0 => Some(Paid::Rent {
                agreement: a,
                instalment: u16::try_from(b).ok()?,
            }),
            1 => (a == 0 && b == 0).then_some(Paid::Income),
            2 => {
                let (series, row) = ((a as usize) < bond_rows.len()).then(|| bond_rows.value(a))?;
                Some(Paid::Bond {
                    series,
                    row,
                    holder: b,
                    principal,
                })
            }
            3 => none(Paid::Purchase { asset: a }),
            4 => none(Paid::Approval { approval: a }),
            5 => Some(Paid::Dividend {
                period: a as i32,
                payout: b,
            }),
            6 => Some(Paid::Proceeds { asset: a, share: b }),
            _ => Some(Paid::Redemption { call: a, holder: b }),
        }
    }

    fn kind(self) -> u64 {
        (self.word >> Self::KIND_SHIFT) & 7
    }
}

/// The commune as the chain so far has made it.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub name: String,
    pub currency: String,
    pub exponent: i64,
    pub settings: Option<Settings>,
    pub members: BTreeMap<Arc<str>, Member>,
    /// Every member id, numbered in the order of admission (what closes
    /// name members by).
    pub roster: Roster,
    current: usize,
    /// Current key → member id.
    by_key: HashMap<[u8; 32], Arc<str>>,
    /// Every key that was ever a member's key.
    member_keys: HashSet<[u8; 32]>,
    pub assets: BTreeMap<String, Asset>,
    pub series: BTreeMap<String, Series>,
    pub agreements: BTreeMap<String, Agreement>,
    pub approvals: BTreeMap<String, Approval>,
    pub calls: BTreeMap<String, Call>,
    /// Auctions by the id of the series they offer.
    pub auctions: BTreeMap<String, Auction>,
    /// Every bid id (REF-2), with its auction.
    pub bids: BTreeMap<String, String>,
    pub draws: BTreeMap<String, Draw>,
    /// The id of every applied payment (REF-2), numbered in chain order.
    payment_ids: Interner,
    /// What each applied payment paid, by its number in `payment_ids`.
    payments: Vec<PaymentRecord>,
    /// The agreement, series, asset and approval ids payments refer to.
    names: Interner,
    /// The bond holders payments were made to.
    holders: Numbered<[u8; 32]>,
    /// The (series, row) pairs, as numbers in `names`, bond payments paid.
    bond_rows: Numbered<(u32, u16)>,
    /// Rows whose holders of record are not yet taken: (due, series, row index).
    pending_records: BTreeSet<(Date, String, usize)>,
    pub cash: i128,
    /// The date of the last document seen.
    pub as_of: Option<Date>,
    /// Set by [`check_body`]: stop each kind's checks where the body's own
    /// checks (steps 1 and 2) end.
    schema_only: bool,
    pub periods: Periods,
}

/// The marker [`State::schema_end`] returns in schema-only mode.
const SCHEMA_END: &str = "\u{0}end of the body's own checks";

/// Checks a document's body on its own: spec §10.1 steps 1 and 2 (the
/// schema, and the keys it names), with no chain state. What `draft`
/// checks before anyone signs.
pub fn check_body(doc: &Document) -> Res<()> {
    let mut st = State {
        schema_only: true,
        ..State::default()
    };
    st.settings = Some(Settings {
        bonds_transferable: true,
        bylaws: [0; 32],
        reserve_bps: 0,
        thresholds: Thresholds {
            admission: 1,
            amendment: 1,
            asset: 1,
            bond: 1,
            close: 1,
            expense: 1,
            expulsion: 1,
            key_recovery: 1,
            rental: 1,
        },
        treasurers: Vec::new(),
        surplus_to_income: false,
        reserve_covers_deficit: false,
    });
    match st.apply(doc) {
        Err(f) if f.detail == SCHEMA_END => Ok(()),
        Ok(()) => Ok(()),
        Err(f) => Err(f),
    }
}

/// `d` plus `n` whole months, same day (the day is at most 28 wherever this
/// is used, so it always exists).
pub fn add_months(d: Date, n: i64) -> Date {
    Date::from_month_index(d.month_index() + n, d.day()).expect("day ≤ 28 and year in range")
}

/// The threshold rule of spec §10.4.
pub fn required(n: usize, bps: i64) -> i64 {
    let n = n as i64;
    ((n * bps + 9_999) / 10_000).max(1)
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// Members current now.
    pub fn current_members(&self) -> usize {
        self.current
    }

    /// Whether a payment with this id has been applied (REF-2: the id is
    /// taken, even if the payment was reversed).
    pub fn has_payment(&self, id: &str) -> bool {
        self.payment_ids.get(id).is_some()
    }

    /// The member id whose current key is `key`.
    pub fn member_by_key(&self, key: &[u8; 32]) -> Option<&str> {
        self.by_key.get(key).map(Arc::as_ref)
    }

    fn settings(&self) -> &Settings {
        self.settings
            .as_ref()
            .expect("the charter is applied first")
    }

    fn is_current(&self, id: &str) -> bool {
        self.members.get(id).is_some_and(|m| m.until.is_none())
    }

    /// Moves the replay to date `d`: takes the holders of record of every
    /// row due on or before `d` (spec §10.3.13: holdings at the start of the
    /// due date, i.e. before any document dated on it). [`State::apply`]
    /// does this for each document's date.
    pub fn advance(&mut self, d: Date) {
        while let Some(first) = self.pending_records.first() {
            if first.0 > d {
                break;
            }
            let (_, series, row) = self.pending_records.pop_first().expect("non-empty");
            let s = self
                .series
                .get_mut(&series)
                .expect("pending rows belong to series");
            debug_assert_eq!(s.records.len(), row);
            let holders = s
                .holdings
                .iter()
                .filter(|(_, u)| **u > 0)
                .map(|(k, u)| (*k, *u))
                .collect();
            s.records.push(holders);
        }
    }

    /// Closes the replay at the end of the chain: takes the records of rows
    /// due on the last date (so the report can show them).
    pub fn finish(&mut self) {
        if let Some(d) = self.as_of {
            self.advance(d);
        }
    }

    /// Checks `doc` against the state and applies it, or returns the first
    /// rule it breaks (and changes nothing).
    pub fn apply(&mut self, doc: &Document) -> Res<()> {
        self.advance(doc.date);
        self.as_of = Some(doc.date);
        let b = Fields::open_object(&doc.body, "body", &names(doc.kind, doc.v))?;
        match doc.kind {
            Kind::Charter => self.charter(doc, &b),
            Kind::CharterAmendment => self.amendment(doc, &b),
            Kind::Admission => self.admission(doc, &b),
            Kind::Exit => self.exit(doc, &b),
            Kind::KeyRotation | Kind::KeyRecovery => self.key_change(doc, &b),
            Kind::AssetAcquisition => self.asset(doc, &b),
            Kind::BondSeries => self.bond_series(doc, &b),
            Kind::BondSale => self.bond_sale(doc, &b),
            Kind::BondTransfer => self.bond_transfer(doc, &b),
            Kind::RentalAgreement => self.rental_agreement(doc, &b),
            Kind::RentalEnd => self.rental_end(doc, &b),
            Kind::ExpenseApproval => self.expense_approval(doc, &b),
            Kind::Payment => self.payment(doc, &b),
            Kind::Reversal => self.reversal(doc, &b),
            Kind::PeriodClose => self.period_close(doc, &b),
            Kind::AssetSale => self.asset_sale(doc, &b),
            Kind::BondCall => self.bond_call(doc, &b),
            Kind::ReserveDraw => self.reserve_draw(doc, &b),
            Kind::Auction => self.auction(doc, &b),
            Kind::Bid => self.bid(doc, &b),
            Kind::AuctionResult => self.auction_result(doc, &b),
        }
    }

    // -- authority (spec §10.4)

    /// Where every kind's own body checks end and its checks against the
    /// state begin.
    fn schema_end(&self) -> Res<()> {
        if self.schema_only {
            return Err(Finding::new(Rule::Com1, "", SCHEMA_END));
        }
        Ok(())
    }

    /// Members counting towards a decision: current, signed with their
    /// current key, not `excluded`.
    fn counting(&self, doc: &Document, excluded: Option<&str>) -> i64 {
        doc.sigs
            .iter()
            .filter_map(|s| self.by_key.get(&s.key))
            .filter(|&m| excluded != Some(&**m))
            .count() as i64
    }

    /// AUT-2.
    fn decision(&self, doc: &Document, bps: i64, excluded: Option<&str>) -> Res<()> {
        self.schema_end()?;
        let n = self.current - usize::from(excluded.is_some_and(|e| self.is_current(e)));
        let need = required(n, bps);
        let have = self.counting(doc, excluded);
        if have < need {
            return Err(Finding::new(
                Rule::Aut2,
                "sigs",
                format!("{have} of {n} members signed; the threshold of {bps} bps needs {need}"),
            )
            .numbers(need as i128, have as i128));
        }
        Ok(())
    }

    /// AUT-3.
    fn party(&self, doc: &Document, key: &[u8; 32], who: &str) -> Res<()> {
        self.schema_end()?;
        if !doc.signed_by(key) {
            return Err(Finding::new(
                Rule::Aut3,
                "sigs",
                format!("not signed by {who}"),
            ));
        }
        Ok(())
    }

    /// AUT-3 for a member by their current key.
    fn member_party(&self, doc: &Document, id: &str) -> Res<()> {
        self.schema_end()?;
        match self.members.get(id) {
            Some(m) => self.party(doc, &m.key, &format!("member {id}")),
            None => Err(Finding::new(
                Rule::Aut3,
                "sigs",
                format!("not signed by member {id}"),
            )),
        }
    }

    /// AUT-4.
    fn treasurer(&self, doc: &Document) -> Res<()> {
        self.schema_end()?;
        let ok = self.settings().treasurers.iter().any(|t| {
            self.members
                .get(t.as_str())
                .is_some_and(|m| m.until.is_none() && doc.signed_by(&m.key))
        });
        if !ok {
            return Err(Finding::new(
                Rule::Aut4,
                "sigs",
                "no current treasurer signed",
            ));
        }
        Ok(())
    }

    fn member_must_be_current(&self, id: &str, path: &str) -> Res<()> {
        if !self.is_current(id) {
            return Err(Finding::new(
                Rule::Mem2,
                path,
                format!("{id} is not a current member"),
            ));
        }
        Ok(())
    }

    fn new_member_key(&self, key: &[u8; 32], path: &str) -> Res<()> {
        if self.member_keys.contains(key) {
            return Err(Finding::new(
                Rule::Mem1,
                path,
                "this key has already been a member's key",
            ));
        }
        Ok(())
    }

    fn add_member(&mut self, id: String, key: [u8; 32], since: Date) {
        let id: Arc<str> = id.into();
        self.by_key.insert(key, id.clone());
        self.member_keys.insert(key);
        let number = self.roster.push(Arc::clone(&id));
        self.members.insert(
            id,
            Member {
                key,
                since,
                until: None,
                number,
            },
        );
        self.current += 1;
    }

    // -- kinds

    /// An amendment's settings; a version-1 amendment keeps the version-2
    /// settings of `current`.
    fn read_settings(b: &Fields<'_>, v: i64, current: &Settings) -> Res<Settings> {
        let bonds_transferable = b.bool("bonds_transferable")?;
        let bylaws = b.key("bylaws")?;
        let reserve_bps = b.int("reserve_bps", 0, 10_000)?;
        let (reserve_covers_deficit, surplus_to_income) = if v >= 2 {
            reserve_policy(b)?
        } else {
            (current.reserve_covers_deficit, current.surplus_to_income)
        };
        Ok(Settings {
            bonds_transferable,
            bylaws,
            reserve_bps,
            thresholds: Thresholds::read(b, "thresholds")?,
            treasurers: b.id_list("treasurers", 1)?,
            surplus_to_income,
            reserve_covers_deficit,
        })
    }

    fn charter(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let bonds_transferable = b.bool("bonds_transferable")?;
        let bylaws = b.key("bylaws")?;
        let cur = b.object("currency", &["code", "exponent"])?;
        let code = cur.str("code")?;
        if code.len() != 3 || !code.bytes().all(|c| c.is_ascii_uppercase()) {
            return Err(Finding::new(
                Rule::Com3,
                cur.path("code"),
                format!("{code:?} is not an ISO 4217 code"),
            ));
        }
        let exponent = cur.int("exponent", 0, 4)?;
        let list = b.array("founders", 1, crate::protocol::document::MAX_SIGNATURES)?;
        let mut founders: Vec<(String, [u8; 32])> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let f = Fields::open(v, &format!("body.founders[{i}]"), &["key", "member"])?;
            let key = f.key("key")?;
            let id = f.id("member")?;
            if founders
                .last()
                .is_some_and(|(l, _)| l.as_bytes() >= id.as_bytes())
            {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("member"),
                    "founders not sorted strictly by member",
                ));
            }
            founders.push((id, key));
        }
        let name = b.text("name")?;
        let reserve_bps = b.int("reserve_bps", 0, 10_000)?;
        let (reserve_covers_deficit, surplus_to_income) = if doc.v >= 2 {
            reserve_policy(b)?
        } else {
            (false, false)
        };
        let thresholds = Thresholds::read(b, "thresholds")?;
        let treasurers = b.id_list("treasurers", 1)?;
        for (i, (_, key)) in founders.iter().enumerate() {
            check_key(key, &format!("body.founders[{i}].key"))?;
        }
        self.schema_end()?;
        for (_, key) in &founders {
            if !doc.signed_by(key) {
                return Err(Finding::new(
                    Rule::Aut1,
                    "sigs",
                    "not signed by every founder",
                ));
            }
        }
        let mut keys = HashSet::new();
        for (i, (_, key)) in founders.iter().enumerate() {
            if !keys.insert(*key) {
                return Err(Finding::new(
                    Rule::Mem1,
                    format!("body.founders[{i}].key"),
                    "two founders share a key",
                ));
            }
        }
        for (i, t) in treasurers.iter().enumerate() {
            if founders
                .binary_search_by(|(id, _)| id.as_bytes().cmp(t.as_bytes()))
                .is_err()
            {
                return Err(Finding::new(
                    Rule::Ref1,
                    format!("body.treasurers[{i}]"),
                    format!("{t} is not a founder"),
                ));
            }
        }
        self.name = name;
        self.currency = code.to_string();
        self.exponent = exponent;
        self.settings = Some(Settings {
            bonds_transferable,
            bylaws,
            reserve_bps,
            thresholds,
            treasurers,
            surplus_to_income,
            reserve_covers_deficit,
        });
        for (id, key) in founders {
            self.add_member(id, key, doc.date);
        }
        self.periods.next = doc.date.month_index();
        Ok(())
    }

    fn amendment(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let s = Self::read_settings(b, doc.v, self.settings())?;
        self.decision(doc, self.settings().thresholds.amendment, None)?;
        for (i, t) in s.treasurers.iter().enumerate() {
            if !self.is_current(t) {
                return Err(Finding::new(
                    Rule::Ref1,
                    format!("body.treasurers[{i}]"),
                    format!("{t} is not a current member"),
                ));
            }
        }
        self.settings = Some(s);
        Ok(())
    }

    fn admission(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let key = b.key("key")?;
        let id = b.id("member")?;
        check_key(&key, "body.key")?;
        self.decision(doc, self.settings().thresholds.admission, None)?;
        self.party(doc, &key, "the new member's key")?;
        if self.current >= MAX_MEMBERS {
            return Err(Finding::new(
                Rule::Lim4,
                "body.member",
                "the commune has 100,000 members",
            ));
        }
        self.new_member_key(&key, "body.key")?;
        if self.members.contains_key(id.as_str()) {
            return Err(Finding::new(
                Rule::Mem1,
                "body.member",
                format!("{id} has been admitted before"),
            ));
        }
        self.add_member(id, key, doc.date);
        Ok(())
    }

    fn exit(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("member")?;
        let reason = b.choice("reason", &["expulsion", "voluntary"])?;
        if reason == "voluntary" {
            self.member_party(doc, &id)?;
        } else {
            self.decision(doc, self.settings().thresholds.expulsion, Some(&id))?;
        }
        self.member_must_be_current(&id, "body.member")?;
        if self.current == 1 {
            return Err(Finding::new(
                Rule::Mem3,
                "body.member",
                "the last member cannot leave",
            ));
        }
        let m = self.members.get_mut(id.as_str()).expect("current");
        m.until = Some(doc.date);
        let key = m.key;
        self.by_key.remove(&key);
        self.current -= 1;
        Ok(())
    }

    fn key_change(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("member")?;
        let new_key = b.key("new_key")?;
        check_key(&new_key, "body.new_key")?;
        if doc.kind == Kind::KeyRecovery {
            self.decision(doc, self.settings().thresholds.key_recovery, Some(&id))?;
        } else {
            self.member_party(doc, &id)?;
        }
        self.party(doc, &new_key, "the new key")?;
        self.new_member_key(&new_key, "body.new_key")?;
        self.member_must_be_current(&id, "body.member")?;
        let m = self.members.get_mut(id.as_str()).expect("current");
        let old = std::mem::replace(&mut m.key, new_key);
        let id = self.by_key.remove(&old).expect("a current member's key");
        self.by_key.insert(new_key, id);
        self.member_keys.insert(new_key);
        Ok(())
    }

    fn asset(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("asset")?;
        let description = b.text("description")?;
        let price = b.amount("price", 1)?;
        b.key("text")?;
        self.decision(doc, self.settings().thresholds.asset, None)?;
        must_be_new(self.assets.contains_key(&id), "body.asset", "asset", &id)?;
        self.assets.insert(
            id,
            Asset {
                description,
                price,
                purchased: 0,
                agreement: None,
                sale: None,
            },
        );
        Ok(())
    }

    fn bond_series(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let amortisation = b.choice("amortisation", &["bullet", "linear"])?;
        let asset = b.id("asset")?;
        let mut terms = Terms::default();
        if doc.v >= 2 {
            terms.call_premium_bps = b.int("call_premium_bps", 0, 10_000)?;
            terms.callable = b.bool("callable")?;
        }
        let face = b.amount("face", 1)?;
        let first_due = b.date("first_due")?;
        if first_due.day() > 28 || first_due < doc.date {
            return Err(Finding::new(
                Rule::Com3,
                "body.first_due",
                "the first due date must be on day 1 to 28 and not before the document's date",
            ));
        }
        if doc.v >= 2 {
            terms.grace_days = b.int("grace_days", 0, MAX_GRACE_DAYS)?;
        }
        let n = b.int("payments", 1, MAX_COUNT)?;
        if Date::from_month_index(first_due.month_index() + n - 1, first_due.day()).is_none() {
            return Err(Finding::new(
                Rule::Com3,
                "body.payments",
                "the last payment would fall after 9999-12",
            ));
        }
        let rate_bps = b.int("rate_bps", 0, 100_000)?;
        let rows = read_schedule(b)?;
        let id = b.id("series")?;
        b.key("text")?;
        let units = b.int("units", 1, MAX_UNITS)?;
        self.decision(doc, self.settings().thresholds.bond, None)?;
        if !self.assets.contains_key(&asset) {
            return Err(Finding::new(
                Rule::Ref1,
                "body.asset",
                format!("no asset {asset}"),
            ));
        }
        must_be_new(
            self.series.contains_key(&id) || self.auctions.contains_key(&id),
            "body.series",
            "series",
            &id,
        )?;
        self.unsold_asset(&asset)?;
        let want = schedule(amortisation == "linear", face, n, rate_bps, first_due);
        compare_schedule(&want, &rows)?;
        self.new_series(id, asset, face, units, rate_bps, rows, terms);
        Ok(())
    }

    /// Adds a series with no units sold.
    #[allow(clippy::too_many_arguments)]
    fn new_series(
        &mut self,
        id: String,
        asset: String,
        face: i64,
        units: i64,
        rate_bps: i64,
        rows: Vec<Row>,
        terms: Terms,
    ) {
        for (i, r) in rows.iter().enumerate() {
            self.pending_records.insert((r.due, id.clone(), i));
        }
        self.series.insert(
            id,
            Series {
                asset,
                face,
                units,
                rate_bps,
                rows,
                sold: 0,
                holdings: BTreeMap::new(),
                records: Vec::new(),
                paid: BTreeMap::new(),
                terms,
                called: 0,
                settled: None,
            },
        );
    }

    /// REF-1 and REF-3: `asset` exists and has not been sold.
    fn unsold_asset(&self, asset: &str) -> Res<&Asset> {
        let a = self
            .assets
            .get(asset)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.asset", format!("no asset {asset}")))?;
        if let Some(sale) = &a.sale {
            return Err(Finding::new(
                Rule::Ref3,
                "body.asset",
                format!("{asset} was sold on {}", sale.date),
            ));
        }
        Ok(a)
    }

    /// The agreement renting `asset` on `date`, if one is active (spec
    /// 10.3.10).
    fn active_agreement<'a>(&'a self, asset: &'a Asset, date: Date) -> Option<&'a str> {
        let current = asset.agreement.as_deref()?;
        let a = &self.agreements[current];
        (a.ended.is_none() && a.last_due() >= date).then_some(current)
    }

    fn bond_sale(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let holder = b.key("holder")?;
        let price = b.amount("price", 0)?;
        let id = b.id("series")?;
        let units = b.int("units", 1, MAX_UNITS)?;
        check_key(&holder, "body.holder")?;
        self.party(doc, &holder, "the holder")?;
        self.treasurer(doc)?;
        let s = self
            .series
            .get_mut(&id)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.series", format!("no series {id}")))?;
        if let Some(d) = s.settled {
            return Err(Finding::new(
                Rule::Ref3,
                "body.series",
                format!("{id} was settled by the sale of its asset on {d}"),
            ));
        }
        if s.sold + units > s.units {
            return Err(
                Finding::new(Rule::Sch2, "body.units", "more units sold than issued")
                    .numbers((s.units - s.sold) as i128, units as i128),
            );
        }
        s.sold += units;
        *s.holdings.entry(holder).or_insert(0) += units;
        self.cash += units as i128 * price as i128;
        Ok(())
    }

    fn bond_transfer(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let from = b.key("from")?;
        let id = b.id("series")?;
        let to = b.key("to")?;
        if to == from {
            return Err(Finding::new(
                Rule::Com3,
                "body.to",
                "a transfer to the same key",
            ));
        }
        let units = b.int("units", 1, MAX_UNITS)?;
        check_key(&to, "body.to")?;
        self.party(doc, &from, "the seller (from)")?;
        self.party(doc, &to, "the buyer (to)")?;
        if !self.settings().bonds_transferable {
            return Err(Finding::new(
                Rule::Aut5,
                "kind",
                "the charter does not allow bond transfers",
            ));
        }
        let s = self
            .series
            .get_mut(&id)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.series", format!("no series {id}")))?;
        let held = s.holdings.get(&from).copied().unwrap_or(0);
        if units > held {
            return Err(
                Finding::new(Rule::Sch2, "body.units", "more units than the seller holds")
                    .numbers(held as i128, units as i128),
            );
        }
        *s.holdings.get_mut(&from).expect("held > 0") -= units;
        *s.holdings.entry(to).or_insert(0) += units;
        Ok(())
    }

    fn rental_agreement(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("agreement")?;
        let asset = b.id("asset")?;
        let guarantees = b.id_list("guarantees", 0)?;
        let instalments = b.int("instalments", 1, MAX_COUNT)?;
        let steps_v = b.array("rent", 1, MAX_COUNT as usize)?;
        let mut steps: Vec<(i64, i64)> = Vec::with_capacity(steps_v.len());
        for (i, v) in steps_v.iter().enumerate() {
            let f = Fields::open(v, &format!("body.rent[{i}]"), &["amount", "from"])?;
            let amount = f.amount("amount", 0)?;
            let from = f.int("from", 1, instalments)?;
            if i == 0 && from != 1 {
                return Err(Finding::new(
                    Rule::Com3,
                    f.path("from"),
                    "the first step starts at instalment 1",
                ));
            }
            if steps.last().is_some_and(|l| l.0 >= from) {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("from"),
                    "steps not sorted strictly by from",
                ));
            }
            steps.push((from, amount));
        }
        let renters = b.id_list("renters", 1)?;
        let start = b.date("start")?;
        if start.day() > 28 || start < doc.date {
            return Err(Finding::new(
                Rule::Com3,
                "body.start",
                "the start must be on day 1 to 28 and not before the document's date",
            ));
        }
        if Date::from_month_index(start.month_index() + instalments - 1, start.day()).is_none() {
            return Err(Finding::new(
                Rule::Com3,
                "body.start",
                "the last instalment would fall after 9999-12",
            ));
        }
        b.key("text")?;
        self.decision(doc, self.settings().thresholds.rental, None)?;
        for r in &renters {
            self.member_party(doc, r)?;
        }
        for (i, r) in renters.iter().enumerate() {
            self.member_must_be_current(r, &format!("body.renters[{i}]"))?;
        }
        let a = self
            .assets
            .get(&asset)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.asset", format!("no asset {asset}")))?;
        for (i, g) in guarantees.iter().enumerate() {
            if !self.series.contains_key(g) {
                return Err(Finding::new(
                    Rule::Ref1,
                    format!("body.guarantees[{i}]"),
                    format!("no series {g}"),
                ));
            }
        }
        must_be_new(
            self.agreements.contains_key(&id),
            "body.agreement",
            "agreement",
            &id,
        )?;
        if let Some(current) = self.active_agreement(a, doc.date) {
            return Err(Finding::new(
                Rule::Ref3,
                "body.asset",
                format!("{asset} is rented under {current}"),
            ));
        }
        if let Some(sale) = &a.sale {
            return Err(Finding::new(
                Rule::Ref3,
                "body.asset",
                format!("{asset} was sold on {}", sale.date),
            ));
        }
        for (i, g) in guarantees.iter().enumerate() {
            if self.series[g].asset != asset {
                return Err(Finding::new(
                    Rule::Ref3,
                    format!("body.guarantees[{i}]"),
                    format!("{g} is not a series of {asset}"),
                ));
            }
        }
        let agreement = Agreement {
            asset: asset.clone(),
            renters,
            guarantees,
            start,
            instalments,
            steps,
            ended: None,
            paid: BTreeMap::new(),
        };
        self.coverage(&agreement)?;
        self.assets.get_mut(&asset).expect("checked").agreement = Some(id.clone());
        self.agreements.insert(id, agreement);
        Ok(())
    }

    /// SCH-3: cumulative rent ≥ cumulative guaranteed service, month by month.
    fn coverage(&self, a: &Agreement) -> Res<()> {
        let mut by_month: BTreeMap<i64, (i128, i128)> = BTreeMap::new();
        for k in 1..=a.instalments {
            by_month.entry(a.due_date(k).month_index()).or_default().0 += a.rent(k) as i128;
        }
        for g in &a.guarantees {
            let s = &self.series[g];
            for r in &s.rows {
                let service = s.units as i128 * (r.coupon as i128 + r.principal as i128);
                by_month.entry(r.due.month_index()).or_default().1 += service;
            }
        }
        let first = a.start.month_index();
        let (mut rent, mut service) = (0i128, 0i128);
        for (m, (r, s)) in by_month {
            rent += r;
            service += s;
            if m >= first && rent < service {
                let month = Date::from_month_index(m, 1).expect("in range");
                return Err(Finding::new(
                    Rule::Sch3,
                    "body.rent",
                    format!(
                        "rent due to the end of {:04}-{:02} does not cover the guaranteed bond service",
                        month.year(),
                        month.month()
                    ),
                )
                .numbers(service, rent));
            }
        }
        Ok(())
    }

    fn rental_end(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("agreement")?;
        let reason = b.choice("reason", &["default", "liquidation", "notice"])?;
        self.schema_end()?;
        let renters = self.agreements.get(&id).map(|a| a.renters.clone());
        if reason == "notice" {
            for r in renters.iter().flatten() {
                self.member_party(doc, r)?;
            }
        } else {
            self.decision(doc, self.settings().thresholds.rental, None)?;
        }
        let a = self.agreements.get_mut(&id).ok_or_else(|| {
            Finding::new(Rule::Ref1, "body.agreement", format!("no agreement {id}"))
        })?;
        if a.ended.is_some() || a.last_due() < doc.date {
            return Err(Finding::new(
                Rule::Ref3,
                "body.agreement",
                format!("{id} is not active"),
            ));
        }
        a.ended = Some(doc.date);
        Ok(())
    }

    fn expense_approval(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let amount = b.amount("amount", 1)?;
        let id = b.id("approval")?;
        let payee = b.text("payee")?;
        let purpose = b.text("purpose")?;
        self.decision(doc, self.settings().thresholds.expense, None)?;
        must_be_new(
            self.approvals.contains_key(&id),
            "body.approval",
            "approval",
            &id,
        )?;
        self.approvals.insert(
            id,
            Approval {
                amount,
                spent: 0,
                payee,
                purpose,
            },
        );
        Ok(())
    }

    fn payment(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let amount = b.amount("amount", 1)?;
        let id = b.id("id")?;
        let purpose = b.choice(
            "purpose",
            if doc.v >= 2 {
                &PURPOSES_V2
            } else {
                &PURPOSES_V2[..8]
            },
        )?;
        let target = match purpose {
            "rent" => {
                let r = b.object("ref", &["agreement", "instalment"])?;
                Target::Rent {
                    agreement: r.id("agreement")?,
                    instalment: r.int("instalment", 1, MAX_COUNT)?,
                }
            }
            "income" => {
                let r = b.object("ref", &["source"])?;
                r.text("source")?;
                Target::Income
            }
            "coupon" | "principal" => {
                let r = b.object("ref", &["holder", "row", "series"])?;
                Target::Bond {
                    holder: r.key("holder")?,
                    row: r.int("row", 1, MAX_COUNT)? as usize - 1,
                    series: r.id("series")?,
                    principal: purpose == "principal",
                }
            }
            "dividend" => {
                let r = b.object("ref", &["member", "period"])?;
                Target::Dividend {
                    member: r.id("member")?,
                    period: month_value(r.str("period")?, || r.path("period"))?,
                }
            }
            "asset_purchase" => {
                let r = b.object("ref", &["asset"])?;
                Target::Purchase {
                    asset: r.id("asset")?,
                }
            }
            "proceeds" => {
                let r = b.object("ref", &["asset", "holder"])?;
                Target::Proceeds {
                    asset: r.id("asset")?,
                    holder: r.key("holder")?,
                }
            }
            "redemption" => {
                let r = b.object("ref", &["call", "holder"])?;
                Target::Redemption {
                    call: r.id("call")?,
                    holder: r.key("holder")?,
                }
            }
            _ => {
                let r = b.object("ref", &["approval"])?;
                Target::Approval {
                    approval: r.id("approval")?,
                }
            }
        };
        self.treasurer(doc)?;
        self.referent(&target)?;
        must_be_new(
            self.payment_ids.get(&id).is_some(),
            "body.id",
            "payment",
            &id,
        )?;
        let inflow = target.inflow();
        let payout = self.authorise(&target, amount as i128, doc.date)?;
        if !inflow && self.cash < amount as i128 {
            return Err(Finding::new(
                Rule::Bal1,
                "body.amount",
                "the commune's cash would go negative",
            )
            .numbers(self.cash, amount as i128));
        }
        let paid = self.record(&target, payout);
        self.effect(paid, amount as i128, doc.date);
        let number = self.payment_ids.intern(&id);
        debug_assert_eq!(number as usize, self.payments.len());
        self.payments
            .push(PaymentRecord::new(amount, paid, &mut self.bond_rows));
        Ok(())
    }

    /// What `target` (a payment that passed every check) paid, its names
    /// interned; `payout` is what [`State::authorise`] found for a dividend.
    fn record(&mut self, target: &Target, payout: Option<usize>) -> Paid {
        let index = |i: Option<usize>| u32::try_from(i.expect("authorised")).expect("a list index");
        let small = |n: usize| u16::try_from(n).expect("at most MAX_COUNT");
        match target {
            Target::Rent {
                agreement,
                instalment,
            } => Paid::Rent {
                agreement: self.names.intern(agreement),
                instalment: small(*instalment as usize),
            },
            Target::Income => Paid::Income,
            Target::Bond {
                series,
                row,
                holder,
                principal,
            } => Paid::Bond {
                series: self.names.intern(series),
                row: small(*row),
                holder: self.holders.intern(*holder),
                principal: *principal,
            },
            Target::Purchase { asset } => Paid::Purchase {
                asset: self.names.intern(asset),
            },
            Target::Approval { approval } => Paid::Approval {
                approval: self.names.intern(approval),
            },
            Target::Dividend { period, .. } => {
                let index = payout.expect("authorised: the member has a dividend");
                Paid::Dividend {
                    period: i32::try_from(*period).expect("a month index"),
                    payout: u32::try_from(index).expect("at most MAX_MEMBERS"),
                }
            }
            Target::Proceeds { asset, .. } => Paid::Proceeds {
                asset: self.names.intern(asset),
                share: index(payout),
            },
            Target::Redemption { call, .. } => Paid::Redemption {
                call: self.names.intern(call),
                holder: index(payout),
            },
        }
    }

    /// REF-1: what a payment pays exists.
    fn referent(&self, target: &Target) -> Res<()> {
        let missing = |field: &str, what: &str, id: &str| {
            Err(Finding::new(Rule::Ref1, field, format!("no {what} {id}")))
        };
        match target {
            Target::Income => Ok(()),
            Target::Rent { agreement, .. } if !self.agreements.contains_key(agreement) => {
                missing("body.ref.agreement", "agreement", agreement)
            }
            Target::Bond { series, .. } if !self.series.contains_key(series) => {
                missing("body.ref.series", "series", series)
            }
            Target::Purchase { asset } if !self.assets.contains_key(asset) => {
                missing("body.ref.asset", "asset", asset)
            }
            Target::Dividend { period, .. } if !self.periods.closes.contains_key(period) => Err(
                Finding::new(Rule::Ref1, "body.ref.period", "this period is not closed"),
            ),
            Target::Approval { approval } if !self.approvals.contains_key(approval) => {
                missing("body.ref.approval", "approval", approval)
            }
            Target::Proceeds { asset, .. } if !self.assets.contains_key(asset) => {
                missing("body.ref.asset", "asset", asset)
            }
            Target::Redemption { call, .. } if !self.calls.contains_key(call) => {
                missing("body.ref.call", "call", call)
            }
            _ => Ok(()),
        }
    }

    /// PAY-1 for a payment of `amount` on `date` (REF-1 already holds);
    /// for a dividend, the index of its payout in the close; for proceeds
    /// or a redemption, the index of the share or the holder.
    fn authorise(&self, target: &Target, amount: i128, date: Date) -> Res<Option<usize>> {
        let pay1 = |detail: String| Finding::new(Rule::Pay1, "body.amount", detail);
        match target {
            Target::Income => Ok(None),
            Target::Dividend { period, member } => {
                let payout = self.periods.closes[period].payout(member);
                let Some((index, declared)) =
                    payout.map(|(i, p)| (i, p.amount)).filter(|(_, a)| *a != 0)
                else {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.member",
                        format!("{member} has no dividend in {}", month_name(*period)),
                    ));
                };
                if self.periods.paid[period].get(index) {
                    return Err(pay1(format!(
                        "{member}'s dividend for {} is already paid",
                        month_name(*period)
                    )));
                }
                if amount != declared {
                    return Err(
                        pay1(format!("{member}'s dividend for {}", month_name(*period)))
                            .numbers(declared, amount),
                    );
                }
                Ok(Some(index))
            }
            Target::Rent {
                agreement,
                instalment,
            } => {
                let a = self.agreements.get(agreement).ok_or_else(|| {
                    Finding::new(
                        Rule::Ref1,
                        "body.ref.agreement",
                        format!("no agreement {agreement}"),
                    )
                })?;
                if !a.owes(*instalment) {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.instalment",
                        format!("instalment {instalment} of {agreement} is not owed"),
                    ));
                }
                let owed =
                    a.rent(*instalment) as i128 - a.paid.get(instalment).copied().unwrap_or(0);
                if amount > owed {
                    return Err(
                        pay1(format!("more than is owed on instalment {instalment}"))
                            .numbers(owed, amount),
                    );
                }
                Ok(None)
            }
            Target::Bond {
                series,
                row,
                holder,
                principal,
            } => {
                let s = self.series.get(series).ok_or_else(|| {
                    Finding::new(Rule::Ref1, "body.ref.series", format!("no series {series}"))
                })?;
                if let Some(d) = s.settled {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.series",
                        format!("{series} was settled by the sale of its asset on {d}"),
                    ));
                }
                let r = s.rows.get(*row).ok_or_else(|| {
                    Finding::new(
                        Rule::Pay1,
                        "body.ref.row",
                        format!("{series} has no row {}", row + 1),
                    )
                })?;
                if r.due > date {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.row",
                        format!("row {} of {series} is due on {}", row + 1, r.due),
                    ));
                }
                let units = s
                    .records
                    .get(*row)
                    .and_then(|h| h.get(holder))
                    .copied()
                    .unwrap_or(0);
                if units == 0 {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.holder",
                        format!("not a holder of record of row {} of {series}", row + 1),
                    ));
                }
                let per_unit = if *principal { r.principal } else { r.coupon };
                let (c, p) = s.paid.get(&(*row, *holder)).copied().unwrap_or((0, 0));
                if (if *principal { p } else { c }) > 0 {
                    return Err(pay1(format!(
                        "row {} of {series} is already paid to this holder",
                        row + 1
                    )));
                }
                let due = units as i128 * per_unit as i128;
                if amount != due {
                    return Err(
                        pay1(format!("{units} units × {per_unit} per unit")).numbers(due, amount)
                    );
                }
                Ok(None)
            }
            Target::Purchase { asset } => {
                let a = self.assets.get(asset).ok_or_else(|| {
                    Finding::new(Rule::Ref1, "body.ref.asset", format!("no asset {asset}"))
                })?;
                let room = a.price as i128 - a.purchased;
                if amount > room {
                    return Err(pay1(format!("purchases of {asset} would exceed its price"))
                        .numbers(room, amount));
                }
                Ok(None)
            }
            Target::Approval { approval } => {
                let a = self.approvals.get(approval).ok_or_else(|| {
                    Finding::new(
                        Rule::Ref1,
                        "body.ref.approval",
                        format!("no approval {approval}"),
                    )
                })?;
                let room = a.amount as i128 - a.spent;
                if amount > room {
                    return Err(pay1(format!("payments against {approval} would exceed it"))
                        .numbers(room, amount));
                }
                Ok(None)
            }
            Target::Proceeds { asset, holder } => {
                let Some(sale) = &self.assets[asset].sale else {
                    return Err(Finding::new(
                        Rule::Pay1,
                        "body.ref.asset",
                        format!("{asset} has not been sold"),
                    ));
                };
                let i = sale
                    .shares
                    .binary_search_by(|x| x.holder.cmp(holder))
                    .ok()
                    .filter(|&i| sale.shares[i].amount > 0)
                    .ok_or_else(|| {
                        Finding::new(
                            Rule::Pay1,
                            "body.ref.holder",
                            format!("the sale of {asset} owes this holder nothing"),
                        )
                    })?;
                if sale.paid[i] != 0 {
                    return Err(pay1(format!(
                        "this holder's share of the sale of {asset} is already paid"
                    )));
                }
                let due = sale.shares[i].amount;
                if amount != due {
                    return Err(pay1(format!("the holder's share of the sale of {asset}"))
                        .numbers(due, amount));
                }
                Ok(Some(i))
            }
            Target::Redemption { call, holder } => {
                let c = &self.calls[call];
                let i = c
                    .holders
                    .binary_search_by(|x| x.0.cmp(holder))
                    .ok()
                    .filter(|&i| c.price > 0 && c.holders[i].1 > 0)
                    .ok_or_else(|| {
                        Finding::new(
                            Rule::Pay1,
                            "body.ref.holder",
                            format!("the call {call} owes this holder nothing"),
                        )
                    })?;
                let (_, units, paid) = c.holders[i];
                if paid != 0 {
                    return Err(pay1(format!(
                        "this holder's redemption under {call} is already paid"
                    )));
                }
                let due = units as i128 * c.price as i128;
                if amount != due {
                    return Err(
                        pay1(format!("{units} units × {} per unit", c.price)).numbers(due, amount)
                    );
                }
                Ok(Some(i))
            }
        }
    }

    /// Applies a payment's effect on cash and on what it paid.
    fn effect(&mut self, paid: Paid, amount: i128, date: Date) {
        self.cash += if paid.inflow() { amount } else { -amount };
        self.book(paid, amount, date);
    }

    /// Books `amount` (negative for a reversal) against what `paid` paid,
    /// and recognises it in its period (spec 11.2) as of `date`.
    fn book(&mut self, paid: Paid, amount: i128, date: Date) {
        let p = &mut self.periods;
        match paid {
            Paid::Income => *p.income.entry(date.month_index()).or_insert(0) += amount,
            // PAY-1: a payout is paid once, in full; a reversal undoes it.
            Paid::Dividend { period, payout } => p
                .paid
                .get_mut(&i64::from(period))
                .expect("closed")
                .set(payout as usize, amount > 0),
            Paid::Approval { .. } => *p.expenses.entry(date.month_index()).or_insert(0) += amount,
            Paid::Rent {
                agreement,
                instalment,
            } => {
                let due =
                    self.agreements[self.names.resolve(agreement)].due_date(i64::from(instalment));
                *p.rent.entry(due.max(date).month_index()).or_insert(0) += amount;
            }
            _ => {}
        }
        match paid {
            Paid::Income | Paid::Dividend { .. } => {}
            Paid::Rent {
                agreement,
                instalment,
            } => {
                *self
                    .agreements
                    .get_mut(self.names.resolve(agreement))
                    .expect("authorised")
                    .paid
                    .entry(i64::from(instalment))
                    .or_insert(0) += amount;
            }
            Paid::Bond {
                series,
                row,
                holder,
                principal,
            } => {
                let e = self
                    .series
                    .get_mut(self.names.resolve(series))
                    .expect("authorised")
                    .paid
                    .entry((usize::from(row), self.holders.value(holder)))
                    .or_insert((0, 0));
                if principal {
                    e.1 += amount;
                } else {
                    e.0 += amount;
                }
            }
            Paid::Purchase { asset } => {
                self.assets
                    .get_mut(self.names.resolve(asset))
                    .expect("authorised")
                    .purchased += amount
            }
            Paid::Approval { approval } => {
                self.approvals
                    .get_mut(self.names.resolve(approval))
                    .expect("authorised")
                    .spent += amount
            }
            Paid::Proceeds { asset, share } => {
                self.assets
                    .get_mut(self.names.resolve(asset))
                    .and_then(|a| a.sale.as_mut())
                    .expect("authorised")
                    .paid[share as usize] += amount
            }
            Paid::Redemption { call, holder } => {
                self.calls
                    .get_mut(self.names.resolve(call))
                    .expect("authorised")
                    .holders[holder as usize]
                    .2 += amount
            }
        }
    }

    /// The inputs of the close of `period`, gathered from the state (spec
    /// 11.2).
    pub fn close_inputs(&self, period: i64) -> Inputs {
        let start = Date::from_month_index(period, 1).expect("in range");
        let p = &self.periods;
        let get = |m: &BTreeMap<i64, i128>| m.get(&period).copied().unwrap_or(0);
        // calls count as service due on their date (spec 11.2, 14.3)
        let mut service = get(&p.called);
        for s in self.series.values() {
            for (row, r) in s.rows.iter().enumerate() {
                if r.due.month_index() == period {
                    let units: i64 = s.records.get(row).map_or(0, |h| h.values().sum());
                    service += units as i128 * (r.coupon as i128 + r.principal as i128);
                }
            }
        }
        let eligible: Vec<(&Arc<str>, i64, u32)> = self
            .members
            .iter()
            .map(|(id, m)| (id, dividend::member_days(m.since, m.until, start), m.number))
            .filter(|(_, d, _)| *d > 0)
            .collect();
        let days = eligible
            .iter()
            .map(|(id, d, _)| (Arc::clone(id), *d))
            .collect();
        let numbers = eligible.iter().map(|(_, _, n)| *n).collect();
        Inputs {
            rent: get(&p.rent),
            income: get(&p.income),
            service,
            expenses: get(&p.expenses),
            carry_in: p.carry,
            reserve_bps: self.settings().reserve_bps,
            days,
            period_days: crate::protocol::date::days_in_month(start.year(), start.month()) as i64,
            drawn: get(&p.drawn),
            reserve_balance: p.reserve,
            covers_deficit: self.settings().reserve_covers_deficit,
            roster: Some((self.roster.clone(), numbers)),
        }
    }

    fn period_close(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let signed = |k: &str| b.int(k, -MAX_AMOUNT, MAX_AMOUNT);
        let carry_in = signed("carry_in")?;
        let carry_out = signed("carry_out")?;
        // A version-1 close declares no reserve figures: they must be 0.
        let v2 = doc.v >= 2;
        let covered = if v2 { b.amount("covered", 0)? } else { 0 };
        let dividend = b.amount("dividend", 0)?;
        let drawn = if v2 { b.amount("drawn", 0)? } else { 0 };
        let expenses = signed("expenses")?;
        let income = signed("income")?;
        let member_days = b.int("member_days", 0, MAX_AMOUNT)?;
        let net = signed("net")?;
        let list = b.array("payouts", 0, MAX_MEMBERS)?;
        let mut payouts: Vec<(String, i64, i64)> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let f = Fields::open_item(v, "body.payouts", i, &["amount", "days", "member"])?;
            let amount = f.amount("amount", 0)?;
            let days = f.int("days", 1, 31)?;
            let member = f.id("member")?;
            if payouts
                .last()
                .is_some_and(|l| l.0.as_bytes() >= member.as_bytes())
            {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("member"),
                    "payouts not sorted strictly by member",
                ));
            }
            payouts.push((member, days, amount));
        }
        let period = month_value(b.str("period")?, || "body.period".into())?;
        let pool = b.amount("pool", 0)?;
        let rent = signed("rent")?;
        let reserve = b.amount("reserve", 0)?;
        let reserve_balance = if v2 {
            Some(b.amount("reserve_balance", 0)?)
        } else {
            None
        };
        let service = b.amount("service", 0)?;
        self.decision(doc, self.settings().thresholds.close, None)?;
        let next = self.periods.next;
        if period != next {
            return Err(Finding::new(
                Rule::Div1,
                "body.period",
                format!(
                    "{} is not the next period to close, {}",
                    month_name(period),
                    month_name(next)
                ),
            ));
        }
        let Some(end) = Date::from_month_index(period + 1, 1) else {
            return Err(Finding::new(
                Rule::Div1,
                "body.period",
                "9999-12 never ends: it cannot be closed",
            ));
        };
        if doc.date < end {
            return Err(Finding::new(
                Rule::Div1,
                "date",
                format!("a close of {} is dated {end} or later", month_name(period)),
            ));
        }
        let mut want = dividend::compute(&self.close_inputs(period));
        want.v2 = v2;
        let balance = reserve_balance.map(|_| want.reserve_balance);
        let declared: [(&str, Option<i128>, Option<i128>); 14] = [
            ("carry_in", Some(want.carry_in), Some(carry_in as i128)),
            ("carry_out", Some(want.carry_out), Some(carry_out as i128)),
            ("covered", Some(want.covered), Some(covered as i128)),
            ("dividend", Some(want.dividend), Some(dividend as i128)),
            ("drawn", Some(want.drawn), Some(drawn as i128)),
            ("expenses", Some(want.expenses), Some(expenses as i128)),
            ("income", Some(want.income), Some(income as i128)),
            (
                "member_days",
                Some(want.member_days as i128),
                Some(member_days as i128),
            ),
            ("net", Some(want.net), Some(net as i128)),
            ("pool", Some(want.pool), Some(pool as i128)),
            ("rent", Some(want.rent), Some(rent as i128)),
            ("reserve", Some(want.reserve), Some(reserve as i128)),
            ("reserve_balance", balance, reserve_balance.map(i128::from)),
            ("service", Some(want.service), Some(service as i128)),
        ];
        for (k, e, g) in &declared {
            if let (Some(e), Some(g)) = (e, g)
                && e != g
            {
                let detail = if v2 {
                    format!("{k} of {}", month_name(period))
                } else {
                    format!(
                        "{k} of {}; a version 1 close declares none, so it is 0",
                        month_name(period)
                    )
                };
                return Err(Finding::new(Rule::Div2, format!("body.{k}"), detail).numbers(*e, *g));
            }
        }
        compare_payouts(&want, &payouts)?;
        let p = &mut self.periods;
        p.carry = want.carry_out;
        p.reserve = want.reserve_balance;
        p.next = period + 1;
        p.rent.remove(&period);
        p.income.remove(&period);
        p.expenses.remove(&period);
        p.called.remove(&period);
        p.drawn.remove(&period);
        p.paid.insert(period, Settled::new(want.eligible()));
        p.closes.insert(period, Arc::new(want));
        Ok(())
    }

    fn reversal(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("payment")?;
        b.text("reason")?;
        self.treasurer(doc)?;
        let number = self
            .payment_ids
            .get(&id)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.payment", format!("no payment {id}")))?;
        let p = self.payments[number as usize];
        if p.reversed() {
            return Err(Finding::new(
                Rule::Pay2,
                "body.payment",
                format!("{id} is already reversed"),
            ));
        }
        let amount = p.amount() as i128;
        let paid = p.paid(&self.bond_rows).expect("a record the state made");
        let inflow = paid.inflow();
        if inflow && self.cash < amount {
            return Err(Finding::new(
                Rule::Bal1,
                "body.payment",
                "the commune's cash would go negative",
            )
            .numbers(self.cash, amount));
        }
        self.effect(paid, -amount, doc.date);
        self.payments[number as usize].reverse();
        Ok(())
    }
}

/// The payment purposes: version 1's eight, then the two version 2 adds.
const PURPOSES_V2: [&str; 10] = [
    "asset_purchase",
    "coupon",
    "dividend",
    "expense",
    "income",
    "principal",
    "refund",
    "rent",
    "proceeds",
    "redemption",
];

/// The most grace days a series may give (spec 14.1).
pub const MAX_GRACE_DAYS: i64 = 366;

/// Reads a version-2 charter's or amendment's reserve policy (spec 14.1):
/// (`reserve_covers_deficit`, whether `sale_surplus` is "income").
fn reserve_policy(b: &Fields<'_>) -> Res<(bool, bool)> {
    let covers = b.bool("reserve_covers_deficit")?;
    let to_income = b.choice("sale_surplus", &["income", "reserve"])? == "income";
    Ok((covers, to_income))
}

/// A `schedule` member: rows `{coupon, due, principal}` (spec 10.3.7).
fn read_schedule(b: &Fields<'_>) -> Res<Vec<Row>> {
    let rows_v = b.array("schedule", 0, MAX_COUNT as usize)?;
    let mut rows = Vec::with_capacity(rows_v.len());
    for (i, v) in rows_v.iter().enumerate() {
        let r = Fields::open(
            v,
            &format!("body.schedule[{i}]"),
            &["coupon", "due", "principal"],
        )?;
        rows.push(Row {
            coupon: r.amount("coupon", 0)?,
            due: r.date("due")?,
            principal: r.amount("principal", 0)?,
        });
    }
    Ok(rows)
}

/// The body members of each kind in a document of version `v`, in
/// canonical order.
fn names(kind: Kind, v: i64) -> Vec<&'static str> {
    let mut n = names_v1(kind);
    if v >= 2 {
        let extra: &[&str] = match kind {
            Kind::Charter | Kind::CharterAmendment => &["reserve_covers_deficit", "sale_surplus"],
            Kind::BondSeries => &["call_premium_bps", "callable", "grace_days"],
            Kind::PeriodClose => &["covered", "drawn", "reserve_balance"],
            _ => &[],
        };
        n.extend_from_slice(extra);
        n.sort_unstable();
    }
    n
}

/// The body members of each kind under version 1, and of the kinds version
/// 2 adds, in canonical order.
fn names_v1(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Charter => vec![
            "bonds_transferable",
            "bylaws",
            "currency",
            "founders",
            "name",
            "reserve_bps",
            "thresholds",
            "treasurers",
        ],
        Kind::CharterAmendment => vec![
            "bonds_transferable",
            "bylaws",
            "reserve_bps",
            "thresholds",
            "treasurers",
        ],
        Kind::Admission => vec!["key", "member"],
        Kind::Exit => vec!["member", "reason"],
        Kind::KeyRotation | Kind::KeyRecovery => vec!["member", "new_key"],
        Kind::AssetAcquisition => vec!["asset", "description", "price", "text"],
        Kind::BondSeries => vec![
            "amortisation",
            "asset",
            "face",
            "first_due",
            "payments",
            "rate_bps",
            "schedule",
            "series",
            "text",
            "units",
        ],
        Kind::BondSale => vec!["holder", "price", "series", "units"],
        Kind::BondTransfer => vec!["from", "series", "to", "units"],
        Kind::RentalAgreement => vec![
            "agreement",
            "asset",
            "guarantees",
            "instalments",
            "rent",
            "renters",
            "start",
            "text",
        ],
        Kind::RentalEnd => vec!["agreement", "reason"],
        Kind::ExpenseApproval => vec!["amount", "approval", "payee", "purpose"],
        Kind::Payment => vec!["amount", "id", "purpose", "ref"],
        Kind::Reversal => vec!["payment", "reason"],
        Kind::PeriodClose => vec![
            "carry_in",
            "carry_out",
            "dividend",
            "expenses",
            "income",
            "member_days",
            "net",
            "payouts",
            "period",
            "pool",
            "rent",
            "reserve",
            "service",
        ],
        Kind::AssetSale => vec![
            "asset",
            "buyer",
            "distribution",
            "price",
            "surplus",
            "text",
            "written_down",
        ],
        Kind::BondCall => vec!["call", "holders", "price", "series"],
        Kind::ReserveDraw => vec!["amount", "draw", "purpose"],
        Kind::Auction => vec![
            "amortisation",
            "asset",
            "call_premium_bps",
            "callable",
            "closes",
            "face",
            "first_due",
            "grace_days",
            "max_rate_bps",
            "payments",
            "series",
            "text",
            "units",
        ],
        Kind::Bid => vec!["auction", "bid", "bidder", "rate_bps", "units"],
        Kind::AuctionResult => vec!["allocations", "auction", "rate_bps", "schedule"],
    }
}

/// The per-unit schedule of spec §10.3.7.
pub fn schedule(linear: bool, face: i64, n: i64, rate_bps: i64, first_due: Date) -> Vec<Row> {
    let mut out = Vec::with_capacity(n as usize);
    let mut outstanding = face as i128;
    let step = face / n;
    for k in 1..=n {
        let coupon = outstanding * rate_bps as i128 / 120_000;
        let principal = match (linear, k == n) {
            (_, true) => outstanding as i64,
            (true, false) => step,
            (false, false) => 0,
        };
        out.push(Row {
            due: add_months(first_due, k - 1),
            coupon: coupon as i64,
            principal,
        });
        outstanding -= principal as i128;
    }
    out
}

/// DIV-3: the first difference between the recomputed and the declared
/// payouts (member, days, amount).
fn compare_payouts(want: &Figures, declared: &[(String, i64, i64)]) -> Res<()> {
    let mut expected = want.payouts();
    for (i, (member, days, amount)) in declared.iter().enumerate() {
        let at = |m: &str| format!("body.payouts[{i}].{m}");
        let Some(Payout {
            member: m,
            days: d,
            amount: a,
        }) = expected.next()
        else {
            return Err(Finding::new(
                Rule::Div3,
                at("member"),
                format!("{member} had no day of membership in the period"),
            ));
        };
        if m != member.as_str() {
            return Err(Finding::new(
                Rule::Div3,
                at("member"),
                format!("expected {m}, found {member}"),
            ));
        }
        if d != *days {
            return Err(
                Finding::new(Rule::Div3, at("days"), format!("{member}'s days"))
                    .numbers(d as i128, *days as i128),
            );
        }
        if a != *amount as i128 {
            return Err(
                Finding::new(Rule::Div3, at("amount"), format!("{member}'s dividend"))
                    .numbers(a, *amount as i128),
            );
        }
    }
    if let Some(p) = expected.next() {
        return Err(Finding::new(
            Rule::Div3,
            "body.payouts",
            format!("{} is missing", p.member),
        ));
    }
    Ok(())
}

/// SCH-1: the first difference between the computed and the stated rows.
fn compare_schedule(want: &[Row], got: &[Row]) -> Res<()> {
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let p = |m: &str| format!("body.schedule[{i}].{m}");
        if w.coupon != g.coupon {
            return Err(
                Finding::new(Rule::Sch1, p("coupon"), format!("row {} coupon", i + 1))
                    .numbers(w.coupon as i128, g.coupon as i128),
            );
        }
        if w.due != g.due {
            return Err(Finding::new(
                Rule::Sch1,
                p("due"),
                format!("row {} is due on {}, not {}", i + 1, w.due, g.due),
            ));
        }
        if w.principal != g.principal {
            return Err(Finding::new(
                Rule::Sch1,
                p("principal"),
                format!("row {} principal", i + 1),
            )
            .numbers(w.principal as i128, g.principal as i128));
        }
    }
    if want.len() != got.len() {
        return Err(
            Finding::new(Rule::Sch1, "body.schedule", "wrong number of rows")
                .numbers(want.len() as i128, got.len() as i128),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_worked_example() {
        let d = Date::new(2025, 1, 15).unwrap();
        let rows = schedule(true, 10_000, 7, 600, d);
        let principal: Vec<i64> = rows.iter().map(|r| r.principal).collect();
        let coupon: Vec<i64> = rows.iter().map(|r| r.coupon).collect();
        assert_eq!(principal, [1428, 1428, 1428, 1428, 1428, 1428, 1432]);
        assert_eq!(coupon, [50, 42, 35, 28, 21, 14, 7]);
        assert_eq!(rows[6].due, Date::new(2025, 7, 15).unwrap());
    }

    #[test]
    fn bullet_schedule_pays_face_at_the_end() {
        let d = Date::new(2025, 11, 1).unwrap();
        let rows = schedule(false, 1_000, 3, 1_200, d);
        assert_eq!(
            rows.iter().map(|r| r.coupon).collect::<Vec<_>>(),
            [10, 10, 10]
        );
        assert_eq!(
            rows.iter().map(|r| r.principal).collect::<Vec<_>>(),
            [0, 0, 1_000]
        );
        assert_eq!(rows[2].due, Date::new(2026, 1, 1).unwrap());
    }

    #[test]
    fn check_body_stops_before_the_state() {
        let commune = crate::protocol::hash::Hash::ZERO;
        let date = Date::new(2025, 3, 1).unwrap();
        let mut body = Object::new();
        body.insert("amount", Value::Int(5));
        body.insert("id", Value::from("p1"));
        body.insert("purpose", Value::from("income"));
        let mut r = Object::new();
        r.insert("source", Value::from("gift"));
        body.insert("ref", Value::Object(r));
        // unsigned, no chain: the body alone is fine
        let doc = Document::new(commune, Kind::Payment, date, body.clone());
        assert_eq!(check_body(&doc), Ok(()));
        body.insert("amount", Value::Int(0));
        let doc = Document::new(commune, Kind::Payment, date, body);
        assert_eq!(check_body(&doc).unwrap_err().rule, Rule::Com3);
    }

    /// Terms that would run past 9999-12 are refused, not a panic.
    #[test]
    fn schedules_past_the_last_year_are_refused() {
        let date = Date::new(9999, 11, 1).unwrap();
        let rows = Value::Array(Vec::new());
        let mut body = Object::new();
        for (k, v) in [
            ("amortisation", Value::from("bullet")),
            ("asset", Value::from("a")),
            ("face", Value::Int(100)),
            ("first_due", Value::from("9999-12-10")),
            ("payments", Value::Int(2)),
            ("rate_bps", Value::Int(0)),
            ("schedule", rows),
            ("series", Value::from("s")),
            (
                "text",
                Value::from(crate::protocol::hash::Hash::ZERO.to_b64()),
            ),
            ("units", Value::Int(1)),
        ] {
            body.insert(k, v);
        }
        let doc = Document::new(
            crate::protocol::hash::Hash::ZERO,
            Kind::BondSeries,
            date,
            body,
        );
        let f = check_body(&doc).unwrap_err();
        assert_eq!((f.rule, f.field.as_str()), (Rule::Com3, "body.payments"));
    }

    /// Schedules and agreements are at most 1,200 rows (COM-3).
    #[test]
    fn counts_above_the_limit_are_refused() {
        let date = Date::new(2025, 1, 1).unwrap();
        let mut body = Object::new();
        for (k, v) in [
            ("amortisation", Value::from("linear")),
            ("asset", Value::from("a")),
            ("face", Value::Int(100)),
            ("first_due", Value::from("2025-02-10")),
            ("payments", Value::Int(MAX_COUNT + 1)),
            ("rate_bps", Value::Int(0)),
            ("schedule", Value::Array(Vec::new())),
            ("series", Value::from("s")),
            (
                "text",
                Value::from(crate::protocol::hash::Hash::ZERO.to_b64()),
            ),
            ("units", Value::Int(1)),
        ] {
            body.insert(k, v);
        }
        let doc = Document::new(
            crate::protocol::hash::Hash::ZERO,
            Kind::BondSeries,
            date,
            body.clone(),
        );
        let f = check_body(&doc).unwrap_err();
        assert_eq!((f.rule, f.field.as_str()), (Rule::Com3, "body.payments"));
        body.insert("payments", Value::Int(MAX_COUNT));
        let rows = vec![Value::Null; MAX_COUNT as usize + 1];
        body.insert("schedule", Value::Array(rows));
        let doc = Document::new(
            crate::protocol::hash::Hash::ZERO,
            Kind::BondSeries,
            date,
            body,
        );
        let f = check_body(&doc).unwrap_err();
        assert_eq!((f.rule, f.field.as_str()), (Rule::Com3, "body.schedule"));
    }

    /// One is kept for every payment of the chain (docs/performance.md).
    #[test]
    fn a_payment_record_is_a_few_integers() {
        assert_eq!(std::mem::size_of::<PaymentRecord>(), 16);
    }

    /// Every kind of payment, at the ends of its numbers' ranges, reads
    /// back from its record as it was made, reversed or not.
    #[test]
    fn a_payment_record_reads_back_what_it_packed() {
        let mut rows = Numbered::new();
        let all = [
            Paid::Rent {
                agreement: u32::MAX,
                instalment: u16::MAX,
            },
            Paid::Income,
            Paid::Bond {
                series: 7,
                row: u16::MAX,
                holder: u32::MAX,
                principal: true,
            },
            Paid::Bond {
                series: u32::MAX,
                row: 0,
                holder: 0,
                principal: false,
            },
            Paid::Purchase { asset: u32::MAX },
            Paid::Approval { approval: 0 },
            Paid::Dividend {
                period: -1,
                payout: u32::MAX,
            },
            Paid::Dividend {
                period: i32::MAX,
                payout: 0,
            },
            Paid::Proceeds {
                asset: 1,
                share: u32::MAX,
            },
            Paid::Redemption {
                call: u32::MAX,
                holder: 3,
            },
        ];
        for (i, paid) in all.into_iter().enumerate() {
            for amount in [1, MAX_AMOUNT, 1 << 52] {
                let mut r = PaymentRecord::new(amount, paid, &mut rows);
                assert_eq!(
                    (r.amount(), r.paid(&rows), r.reversed()),
                    (amount, Some(paid), false)
                );
                r.reverse();
                assert_eq!(
                    (r.amount(), r.paid(&rows), r.reversed()),
                    (amount, Some(paid), true),
                    "{i}"
                );
            }
        }
        assert_eq!(rows.len(), 2);
        // bits no record is made of are refused, not misread
        let r = PaymentRecord::new(5, Paid::Income, &mut rows);
        for bad in [
            PaymentRecord {
                word: r.word | 1 << 59,
                ..r
            },
            PaymentRecord {
                word: r.word | PaymentRecord::PRINCIPAL,
                ..r
            },
            PaymentRecord { a: 1, ..r },
            PaymentRecord {
                word: 2 << PaymentRecord::KIND_SHIFT,
                a: 2,
                b: 0,
            },
            PaymentRecord {
                word: 3 << PaymentRecord::KIND_SHIFT,
                a: 0,
                b: 1,
            },
        ] {
            assert_eq!(bad.paid(&rows), None, "{bad:?}");
        }
    }

    #[test]
    fn threshold_rounds_up_and_needs_one() {
        assert_eq!(required(3, 5_001), 2);
        assert_eq!(required(4, 5_000), 2);
        assert_eq!(required(4, 5_001), 3);
        assert_eq!(required(0, 5_000), 1);
        assert_eq!(required(10, 10_000), 10);
        assert_eq!(required(100_000, 1), 10);
    }
}

/// Money owed and not paid as of the last date (spec §10.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arrear {
    Rent {
        agreement: String,
        instalment: i64,
        due: Date,
        owed: i128,
        days: i64,
    },
    Bond {
        series: String,
        row: usize,
        holder: [u8; 32],
        due: Date,
        coupon: i128,
        principal: i128,
        days: i64,
        /// The series' grace days (spec 14.4): more days than this is a
        /// default.
        grace_days: i64,
    },
}

impl Arrear {
    /// Days in default (spec 14.4): bond service unpaid more than the
    /// series' grace days after it was due; `None` for rent and for bond
    /// service still within its grace.
    pub fn default_days(&self) -> Option<i64> {
        match self {
            Arrear::Bond {
                days, grace_days, ..
            } if days > grace_days => Some(days - grace_days),
            _ => None,
        }
    }
}

impl State {
    /// Rent and bond service due on or before the last date and not fully
    /// paid, in a fixed order: rent by agreement and instalment, then bonds by
    /// series, row and holder. Bond arrears past their grace days are
    /// defaults ([`Arrear::default_days`]).
    pub fn arrears(&self) -> Vec<Arrear> {
        let Some(as_of) = self.as_of else {
            return Vec::new();
        };
        let days = |d: Date| as_of.to_days() - d.to_days();
        let mut out = Vec::new();
        for (id, a) in &self.agreements {
            for k in 1..=a.instalments {
                let due = a.due_date(k);
                if due > as_of || !a.owes(k) {
                    continue;
                }
                let owed = a.rent(k) as i128 - a.paid.get(&k).copied().unwrap_or(0);
                if owed > 0 {
                    out.push(Arrear::Rent {
                        agreement: id.clone(),
                        instalment: k,
                        due,
                        owed,
                        days: days(due),
                    });
                }
            }
        }
        // a settled series owes nothing more as rows: its sale's split
        // settled what was unpaid (spec 14.2)
        for (id, s) in self.series.iter().filter(|(_, s)| s.settled.is_none()) {
            for (row, holders) in s.records.iter().enumerate() {
                let r = s.rows[row];
                for (holder, units) in holders {
                    let (c, p) = s.paid.get(&(row, *holder)).copied().unwrap_or((0, 0));
                    let coupon = *units as i128 * r.coupon as i128 - c;
                    let principal = *units as i128 * r.principal as i128 - p;
                    if coupon > 0 || principal > 0 {
                        out.push(Arrear::Bond {
                            series: id.clone(),
                            row: row + 1,
                            holder: *holder,
                            due: r.due,
                            coupon,
                            principal,
                            days: days(r.due),
                            grace_days: s.terms.grace_days,
                        });
                    }
                }
            }
        }
        out
    }
}
