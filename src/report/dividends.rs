//! The dividend table of a replayed commune, for people and programs: per
//! period the figures of its close, per member what was declared, paid and
//! is still payable (spec/11-dividends.md §11.7; the JSON form is spec 9.3's
//! `commonstock-dividends-v1`).
//!
//! The figures themselves are computed in [`crate::commune::dividend`]; this
//! module only reads them out of the [`State`].

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::commune::State;
use crate::commune::dividend::figures_value;
use crate::protocol::canonical::{Object, Value, number};
use crate::protocol::date::month_name;
use crate::report::money::{Money, format_money};

/// Per member: dividends declared, paid and still payable, over every
/// applied close.
pub fn member_totals(state: &State) -> Vec<(String, i128, i128)> {
    let mut declared: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
    for (period, f) in &state.periods.closes {
        let paid = &state.periods.paid[period];
        for (p, paid) in f.payouts().zip(paid.iter()) {
            let e = declared.entry(p.member).or_default();
            e.0 += p.amount;
            e.1 += if paid { p.amount } else { 0 };
        }
    }
    declared
        .into_iter()
        .map(|(m, (d, p))| (m.to_string(), d, p))
        .collect()
}

/// The dividend table as JSON (schema `commonstock-dividends-v1`,
/// spec/13-outputs.md): the periods, the member totals, and what was
/// declared, paid and is payable per member and period.
pub fn table_value(state: &State) -> Value {
    let mut o = Object::new();
    o.insert("schema", Value::from("commonstock-dividends-v1"));
    o.insert("currency", Value::from(state.currency.as_str()));
    o.insert("exponent", Value::Int(state.exponent));
    o.insert(
        "periods",
        Value::Array(
            state
                .periods
                .closes
                .iter()
                .map(|(p, f)| figures_value(*p, f))
                .collect(),
        ),
    );
    let members = member_totals(state)
        .into_iter()
        .map(|(m, d, p)| {
            let mut x = Object::new();
            x.insert("member", Value::from(m));
            x.insert("declared", number(Some(d)));
            x.insert("paid", number(Some(p)));
            x.insert("payable", number(Some(d - p)));
            Value::Object(x)
        })
        .collect();
    o.insert("members", Value::Array(members));
    let per = payouts_paid(state);
    let mut per: Vec<_> = per.iter().collect();
    per.sort_by_key(|(period, member, ..)| (member.as_bytes(), *period));
    let per = per
        .into_iter()
        .map(|(period, member, _, declared, paid)| {
            let mut x = Object::new();
            x.insert("member", Value::from(*member));
            x.insert("period", Value::from(month_name(*period)));
            x.insert("declared", number(Some(*declared)));
            x.insert("paid", number(Some(*paid)));
            x.insert("payable", number(Some(declared - paid)));
            Value::Object(x)
        })
        .collect();
    o.insert("member_periods", Value::Array(per));
    Value::Object(o)
}

/// The dividend table as text. When a close is of version 2 (spec 11.4),
/// the reserve's columns follow what was set aside: drawn by decision,
/// covered by the charter's policy, and the balance after the close.
pub fn write_text(out: &mut impl Write, state: &State) -> io::Result<()> {
    let m = |n: i128| format_money(&state.currency, state.exponent, n);
    let v2 = state.periods.closes.values().any(|f| f.v2);
    let mut head = vec![
        ("period", 8),
        ("rent", 16),
        ("bond service", 16),
        ("expenses", 16),
        ("reserve", 14),
    ];
    if v2 {
        head.extend([("drawn", 14), ("covered", 14), ("reserve balance", 16)]);
    }
    head.extend([
        ("pool", 16),
        ("eligible", 8),
        ("per member", 14),
        ("carry", 14),
    ]);
    let row = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, (_, width))) in cells.iter().zip(&head).enumerate() {
            if i == 0 {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                line.push_str(&format!(" {cell:>width$}"));
            }
        }
        writeln!(out, "{line}")
    };
    let names: Vec<String> = head.iter().map(|(h, _)| h.to_string()).collect();
    row(out, &names)?;
    for (p, f) in &state.periods.closes {
        let mut cells = vec![
            month_name(*p),
            m(f.rent + f.income),
            m(f.service),
            m(f.expenses),
            m(f.reserve),
        ];
        if v2 {
            // a version-1 close declares none of these: they are 0 there
            cells.extend([m(f.drawn), m(f.covered), m(f.reserve_balance)]);
        }
        cells.extend([
            m(f.pool),
            f.eligible().to_string(),
            m(f.dividend),
            m(f.carry_out),
        ]);
        row(out, &cells)?;
    }
    writeln!(
        out,
        "\n{:<8} {:>16} {:>16} {:>16}",
        "member", "declared", "paid", "payable"
    )?;
    for (member, d, p) in member_totals(state) {
        writeln!(
            out,
            "{member:<8} {:>16} {:>16} {:>16}",
            m(d),
            m(p),
            m(d - p)
        )?;
    }
    Ok(())
}

/// Every payout of every applied close, with what was paid against it:
/// `(period, member, days, declared, paid)`, in period then member order.
pub fn payouts_paid(state: &State) -> Vec<(i64, &str, i64, i128, i128)> {
    let mut out = Vec::new();
    for (period, f) in &state.periods.closes {
        let paid = &state.periods.paid[period];
        for (p, paid) in f.payouts().zip(paid.iter()) {
            let paid = if paid { p.amount } else { 0 };
            out.push((*period, p.member, p.days, p.amount, paid));
        }
    }
    out
}

/// How the CSV writes amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvAmounts {
    /// Decimal major units, `1100.00` (the default).
    Decimal,
    /// Integer minor units, `110000`.
    MinorUnits,
}

/// The dividend table as CSV (RFC 4180): one row per period and member,
/// with the currency, the period's figures, the member's days and
/// dividend, what was paid of it and what is still payable. A period with
/// no eligible member has one row with the member columns empty.
pub fn write_csv(out: &mut impl Write, state: &State, amounts: CsvAmounts) -> io::Result<()> {
    let money = Money::new(&state.currency, state.exponent);
    let a = |n: i128| match amounts {
        CsvAmounts::Decimal => money.plain(n),
        CsvAmounts::MinorUnits => n.to_string(),
    };
    writeln!(
        out,
        "period,currency,rent,income,service,expenses,carry_in,net,reserve,pool,member_days,eligible,dividend,carry_out,member,days,amount,paid,payable"
    )?;
    let rows = payouts_paid(state);
    let mut rows = rows.iter().peekable();
    for (p, f) in &state.periods.closes {
        let head = format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            month_name(*p),
            state.currency,
            a(f.rent),
            a(f.income),
            a(f.service),
            a(f.expenses),
            a(f.carry_in),
            a(f.net),
            a(f.reserve),
            a(f.pool),
            f.member_days,
            f.eligible(),
            a(f.dividend),
            a(f.carry_out)
        );
        if f.eligible() == 0 {
            writeln!(out, "{head},,,,,")?;
        }
        while let Some((_, member, days, declared, paid)) = rows.next_if(|r| r.0 == *p) {
            writeln!(
                out,
                "{head},{member},{days},{},{},{}",
                a(*declared),
                a(*paid),
                a(declared - paid)
            )?;
        }
    }
    Ok(())
}
