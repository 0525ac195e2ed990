//! What the commune owes and is owed as of a date: rent instalments to
//! collect, bond rows to pay per holder of record, the next period to
//! close, and the dividends payable per member and period — the
//! treasurer's list (`commonstock due`). Everything is read from the
//! replayed [`State`] by the rules of spec/10-commune.md (§10.3.10 rent,
//! §10.3.13 holders of record and PAY-1) and spec/11-dividends.md (§11.1
//! periods, §11.5 dividend payments); the JSON form is spec/13-outputs.md,
//! "due" (schema [`SCHEMA`]).
//!
//! A row due after the chain's last entry but on or before the date asked
//! for has no holders of record in the state yet: they will be the holdings
//! at the start of its due date, which (with no entry in between) are the
//! holdings now, so those are shown.

use std::io::{self, Write};

use crate::commune::State;
use crate::protocol::canonical::{Object, Value, number};
use crate::protocol::date::{Date, month_name};
use crate::protocol::hash::Hash;
use crate::report::statement::format_money;
use crate::tools::review::Chain;

/// The version of the `--json` form.
pub const SCHEMA: &str = "commonstock-due-v1";

/// A rent instalment due and not fully paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RentDue {
    pub agreement: String,
    pub instalment: i64,
    pub renters: Vec<String>,
    pub due: Date,
    /// Still owed on it.
    pub amount: i128,
    /// Days from the due date to the as-of date.
    pub days_late: i64,
}

/// A bond row due to one holder of record, with what is not paid yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BondDue {
    pub series: String,
    /// 1-based, as `ref.row` of a payment.
    pub row: usize,
    pub holder: [u8; 32],
    /// Units the holder held at the start of the due date.
    pub units: i64,
    pub due: Date,
    /// Coupon and principal not paid yet (each is paid whole, PAY-1).
    pub coupon: i128,
    pub principal: i128,
    pub days_late: i64,
    /// Days in default (spec 14.4): days late beyond the series' grace
    /// days; 0 while within its grace.
    pub days_in_default: i64,
}

/// A dividend declared by a close and not paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DividendDue {
    /// Month index.
    pub period: i64,
    pub member: String,
    pub amount: i128,
}

/// The next period to close and the first date it can be closed on (DIV-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextClose {
    pub period: i64,
    pub from: Date,
}

/// Everything due as of a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub as_of: Date,
    pub commune: Option<Hash>,
    pub entries: u64,
    pub head: Hash,
    pub name: String,
    pub currency: String,
    pub exponent: i64,
    pub cash: i128,
    pub rent: Vec<RentDue>,
    pub bonds: Vec<BondDue>,
    pub next_close: Option<NextClose>,
    pub dividends: Vec<DividendDue>,
    /// Member id of each bond holder key that is a current member's key.
    holder_names: Vec<Option<String>>,
}

/// Rent instalments due on or before `as_of` and not fully paid, by
/// agreement and instalment.
pub fn rent(state: &State, as_of: Date) -> Vec<RentDue> {
    let mut out = Vec::new();
    for (id, a) in &state.agreements {
        for k in 1..=a.instalments {
            let due = a.due_date(k);
            if due > as_of {
                break;
            }
            if !a.owes(k) {
                continue;
            }
            let owed = a.rent(k) as i128 - a.paid.get(&k).copied().unwrap_or(0);
            if owed > 0 {
                out.push(RentDue {
                    agreement: id.clone(),
                    instalment: k,
                    renters: a.renters.clone(),
                    due,
                    amount: owed,
                    days_late: as_of.to_days() - due.to_days(),
                });
            }
        }
    }
    out
}

/// Units held of record of row `row` (0-based) of `series` at the start of
/// its due date, per holder: the state's record, or for a row not yet
/// recorded (due after the chain's last entry), the holdings now.
pub fn holders_of_record(state: &State, series: &str, row: usize) -> Vec<([u8; 32], i64)> {
    let Some(s) = state.series.get(series) else {
        return Vec::new();
    };
    match s.records.get(row) {
        Some(r) => r.iter().map(|(k, u)| (*k, *u)).collect(),
        None if row < s.rows.len() => s
            .holdings
            .iter()
            .filter(|(_, u)| **u > 0)
            .map(|(k, u)| (*k, *u))
            .collect(),
        None => Vec::new(),
    }
}

/// Bond rows due on or before `as_of`, per holder of record, with coupon or
/// principal unpaid; by series, row and holder key.
pub fn bonds(state: &State, as_of: Date) -> Vec<BondDue> {
    let mut out = Vec::new();
    for (id, s) in &state.series {
        for (row, r) in s.rows.iter().enumerate() {
            if r.due > as_of {
                break;
            }
            for (holder, units) in holders_of_record(state, id, row) {
                let (c, p) = s.paid.get(&(row, holder)).copied().unwrap_or((0, 0));
                let coupon = if c > 0 {
                    0
                } else {
                    units as i128 * r.coupon as i128
                };
                let principal = if p > 0 {
                    0
                } else {
                    units as i128 * r.principal as i128
                };
                if coupon > 0 || principal > 0 {
                    out.push(BondDue {
                        series: id.clone(),
                        row: row + 1,
                        holder,
                        units,
                        due: r.due,
                        coupon,
                        principal,
                        days_late: as_of.to_days() - r.due.to_days(),
                        days_in_default: (as_of.to_days() - r.due.to_days() - s.terms.grace_days)
                            .max(0),
                    });
                }
            }
        }
    }
    out
}

/// Dividends declared and not paid, by period and member.
pub fn dividends(state: &State) -> Vec<DividendDue> {
    let mut out = Vec::new();
    for (period, f) in &state.periods.closes {
        let paid = &state.periods.paid[period];
        for (p, paid) in f.payouts().zip(paid.iter()) {
            if p.amount > 0 && !paid {
                out.push(DividendDue {
                    period: *period,
                    member: p.member.to_string(),
                    amount: p.amount,
                });
            }
        }
    }
    out
}

/// The next period to close (spec §11.1), once the charter is applied.
pub fn next_close(state: &State) -> Option<NextClose> {
    state.settings.as_ref()?;
    let period = state.periods.next;
    let from = Date::from_month_index(period + 1, 1)?;
    Some(NextClose { period, from })
}

impl Due {
    /// What is due on `chain` as of `as_of` (the caller makes it no earlier
    /// than the chain's last entry: the state is the chain's end).
    pub fn of(chain: &Chain, as_of: Date) -> Due {
        let state = &chain.state;
        let bonds = bonds(state, as_of);
        let holder_names = bonds
            .iter()
            .map(|b| state.member_by_key(&b.holder).map(str::to_string))
            .collect();
        Due {
            as_of,
            commune: chain.commune,
            entries: chain.len,
            head: chain.head,
            name: state.name.clone(),
            currency: state.currency.clone(),
            exponent: state.exponent,
            cash: state.cash,
            rent: rent(state, as_of),
            bonds,
            next_close: next_close(state),
            dividends: dividends(state),
            holder_names,
        }
    }

    /// Money to collect (rent), to pay (bond service) and payable
    /// (dividends).
    pub fn totals(&self) -> (i128, i128, i128) {
        (
            self.rent.iter().map(|r| r.amount).sum(),
            self.bonds.iter().map(|b| b.coupon + b.principal).sum(),
            self.dividends.iter().map(|d| d.amount).sum(),
        )
    }

    /// The `--json` form (spec/13-outputs.md, "due").
    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("schema", Value::from(SCHEMA));
        o.insert(
            "commune",
            self.commune
                .map_or(Value::Null, |c| Value::from(c.to_b64())),
        );
        o.insert("entries", Value::Int(self.entries as i64));
        o.insert("head", Value::from(self.head.to_b64()));
        o.insert("as_of", Value::from(self.as_of.to_string()));
        o.insert("currency", Value::from(self.currency.as_str()));
        o.insert("exponent", Value::Int(self.exponent));
        o.insert("cash", number(Some(self.cash)));
        let rent = self
            .rent
            .iter()
            .map(|r| {
                let mut x = Object::new();
                x.insert("agreement", Value::from(r.agreement.as_str()));
                x.insert("instalment", Value::Int(r.instalment));
                x.insert(
                    "renters",
                    Value::Array(r.renters.iter().map(|m| Value::from(m.as_str())).collect()),
                );
                x.insert("due", Value::from(r.due.to_string()));
                x.insert("amount", number(Some(r.amount)));
                x.insert("days_late", Value::Int(r.days_late));
                Value::Object(x)
            })
            .collect();
        o.insert("rent", Value::Array(rent));
        let bonds = self
            .bonds
            .iter()
            .zip(&self.holder_names)
            .map(|(b, name)| {
                let mut x = Object::new();
                x.insert("series", Value::from(b.series.as_str()));
                x.insert("row", Value::Int(b.row as i64));
                x.insert(
                    "holder",
                    Value::from(crate::protocol::b64::encode(&b.holder)),
                );
                x.insert("member", name.as_deref().map_or(Value::Null, Value::from));
                x.insert("units", Value::Int(b.units));
                x.insert("due", Value::from(b.due.to_string()));
                x.insert("coupon", number(Some(b.coupon)));
                x.insert("principal", number(Some(b.principal)));
                x.insert("days_late", Value::Int(b.days_late));
                x.insert("days_in_default", Value::Int(b.days_in_default));
                Value::Object(x)
            })
            .collect();
        o.insert("bonds", Value::Array(bonds));
        o.insert(
            "next_close",
            match self.next_close {
                None => Value::Null,
                Some(n) => {
                    let mut x = Object::new();
                    x.insert("period", Value::from(month_name(n.period)));
                    x.insert("from", Value::from(n.from.to_string()));
                    x.insert("closable", Value::Bool(self.as_of >= n.from));
                    Value::Object(x)
                }
            },
        );
        let dividends = self
            .dividends
            .iter()
            .map(|d| {
                let mut x = Object::new();
                x.insert("period", Value::from(month_name(d.period)));
                x.insert("member", Value::from(d.member.as_str()));
                x.insert("amount", number(Some(d.amount)));
                Value::Object(x)
            })
            .collect();
        o.insert("dividends", Value::Array(dividends));
        let (rent, bonds, dividends) = self.totals();
        let mut t = Object::new();
        t.insert("rent", number(Some(rent)));
        t.insert("bonds", number(Some(bonds)));
        t.insert("dividends", number(Some(dividends)));
        o.insert("totals", Value::Object(t));
        Value::Object(o)
    }

    /// The human table.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let m = |n: i128| format_money(&self.currency, self.exponent, n);
        let (rent, bonds, dividends) = self.totals();
        writeln!(
            out,
            "{} — due as of {} ({} entries; cash {})",
            self.name,
            self.as_of,
            self.entries,
            m(self.cash)
        )?;
        writeln!(out)?;
        if self.rent.is_empty() {
            writeln!(out, "rent to collect: none")?;
        } else {
            writeln!(out, "rent to collect: {}", m(rent))?;
            let rows: Vec<[String; 6]> = self
                .rent
                .iter()
                .map(|r| {
                    [
                        r.agreement.clone(),
                        r.instalment.to_string(),
                        r.renters.join(","),
                        r.due.to_string(),
                        m(r.amount),
                        r.days_late.to_string(),
                    ]
                })
                .collect();
            table(
                out,
                &[
                    "agreement",
                    "instalment",
                    "renters",
                    "due",
                    "amount",
                    "days late",
                ],
                &[false, true, false, false, true, true],
                &rows,
            )?;
        }
        writeln!(out)?;
        if self.bonds.is_empty() {
            writeln!(out, "bond service to pay: none")?;
        } else {
            writeln!(out, "bond service to pay: {}", m(bonds))?;
            let rows: Vec<[String; 9]> = self
                .bonds
                .iter()
                .zip(&self.holder_names)
                .map(|(b, name)| {
                    let fp = crate::protocol::sig::fingerprint(&b.holder);
                    [
                        b.series.clone(),
                        b.row.to_string(),
                        name.as_ref()
                            .map_or(format!("key {fp}"), |n| format!("{n} ({fp})")),
                        b.units.to_string(),
                        b.due.to_string(),
                        m(b.coupon),
                        m(b.principal),
                        b.days_late.to_string(),
                        b.days_in_default.to_string(),
                    ]
                })
                .collect();
            table(
                out,
                &[
                    "series",
                    "row",
                    "holder",
                    "units",
                    "due",
                    "coupon",
                    "principal",
                    "days late",
                    "in default",
                ],
                &[false, true, false, true, false, true, true, true, true],
                &rows,
            )?;
        }
        writeln!(out)?;
        match self.next_close {
            None => writeln!(out, "next period to close: none (no charter)")?,
            Some(n) if self.as_of >= n.from => writeln!(
                out,
                "next period to close: {} (it can be closed now: draft period_close)",
                month_name(n.period)
            )?,
            Some(n) => writeln!(
                out,
                "next period to close: {} (from {})",
                month_name(n.period),
                n.from
            )?,
        }
        writeln!(out)?;
        if self.dividends.is_empty() {
            writeln!(out, "dividends payable: none")?;
        } else {
            writeln!(out, "dividends payable: {}", m(dividends))?;
            let rows: Vec<[String; 3]> = self
                .dividends
                .iter()
                .map(|d| [month_name(d.period), d.member.clone(), m(d.amount)])
                .collect();
            table(
                out,
                &["period", "member", "amount"],
                &[false, false, true],
                &rows,
            )?;
        }
        Ok(())
    }
}

/// An indented table with a header; `right` aligns a column to the right.
fn table<const N: usize>(
    out: &mut impl Write,
    header: &[&str; N],
    right: &[bool; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut width = [0usize; N];
    for (i, h) in header.iter().enumerate() {
        width[i] = h.chars().count();
    }
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            s.push(' ');
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < N {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < N {
                s.push(' ');
            }
        }
        s
    };
    writeln!(out, "{}", line(header))?;
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}
