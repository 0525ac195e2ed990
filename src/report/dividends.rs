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
use crate::report::money::format_money;

/// Per member: dividends declared, paid and still payable, over every
/// applied close.
pub fn member_totals(state: &State) -> Vec<(String, i128, i128)> {
    let mut declared: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
    for (period, f) in &state.periods.closes {
        let paid = &state.periods.paid[period];
        for (p, paid) in f.payouts().zip(paid) {
            let e = declared.entry(p.member).or_default();
            e.0 += p.amount;
            e.1 += i128::from(*paid);
        }
    }
    declared
        .into_iter()
        .map(|(m, (d, p))| (m.to_string(), d, p))
        .collect()
}

/// The dividend table as JSON: periods and member totals.
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
    Value::Object(o)
}

/// The dividend table as text.
pub fn write_text(out: &mut impl Write, state: &State) -> io::Result<()> {
    let m = |n: i128| format_money(&state.currency, state.exponent, n);
    writeln!(
        out,
        "{:<8} {:>16} {:>16} {:>16} {:>14} {:>16} {:>8} {:>14} {:>14}",
        "period",
        "rent",
        "bond service",
        "expenses",
        "reserve",
        "pool",
        "eligible",
        "per member",
        "carry"
    )?;
    for (p, f) in &state.periods.closes {
        writeln!(
            out,
            "{:<8} {:>16} {:>16} {:>16} {:>14} {:>16} {:>8} {:>14} {:>14}",
            month_name(*p),
            m(f.rent + f.income),
            m(f.service),
            m(f.expenses),
            m(f.reserve),
            m(f.pool),
            f.eligible(),
            m(f.dividend),
            m(f.carry_out)
        )?;
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

/// The dividend table as CSV (RFC 4180; amounts in minor units): one row
/// per period and member.
pub fn write_csv(out: &mut impl Write, state: &State) -> io::Result<()> {
    writeln!(
        out,
        "period,rent,income,service,expenses,carry_in,net,reserve,pool,member_days,eligible,dividend,carry_out,member,days,amount"
    )?;
    for (p, f) in &state.periods.closes {
        let head = format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            month_name(*p),
            f.rent,
            f.income,
            f.service,
            f.expenses,
            f.carry_in,
            f.net,
            f.reserve,
            f.pool,
            f.member_days,
            f.eligible(),
            f.dividend,
            f.carry_out
        );
        if f.eligible() == 0 {
            writeln!(out, "{head},,,")?;
        }
        for p in f.payouts() {
            writeln!(out, "{head},{},{},{}", p.member, p.days, p.amount)?;
        }
    }
    Ok(())
}
