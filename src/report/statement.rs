//! The commune's statement after an audit: members, assets, bond series,
//! rental agreements, arrears and cash, as of the last entry's date
//! (spec/09-audit.md §9.4, spec/10-commune.md §10.6).
//!
//! [`to_value`] gives the `statement` member of the JSON report; [`write_text`]
//! the human form of `commonstock audit --report`. Both iterate only ordered
//! maps, so the output is byte-stable.

use std::io::{self, Write};

use crate::audit::number;
use crate::commune::{Arrear, State};
use crate::protocol::b64;
use crate::protocol::canonical::{Object, Value};

fn obj(members: Vec<(&str, Value)>) -> Value {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    Value::Object(o)
}

fn money(n: i128) -> Value {
    number(Some(n))
}

fn date_or_null(d: Option<crate::protocol::date::Date>) -> Value {
    d.map_or(Value::Null, |d| Value::from(d.to_string()))
}

/// Outstanding principal of a series as of the statement date: units sold
/// times the per-unit principal not yet due.
fn outstanding(state: &State, id: &str) -> i128 {
    let s = &state.series[id];
    let as_of = state.as_of.expect("a chartered state has a date");
    s.sold as i128 * s.outstanding_per_unit(as_of) as i128
}

/// Dividends declared by the closes and not paid (yet).
pub fn dividends_payable(state: &State) -> i128 {
    crate::report::dividends::member_totals(state)
        .iter()
        .map(|(_, declared, paid)| declared - paid)
        .sum()
}

/// The statement as a JSON value (spec 9.4).
pub fn to_value(state: &State) -> Value {
    let members = state
        .members
        .iter()
        .map(|(id, m)| {
            obj(vec![
                ("member", Value::from(&**id)),
                ("key", Value::from(b64::encode(&m.key))),
                ("since", Value::from(m.since.to_string())),
                ("until", date_or_null(m.until)),
            ])
        })
        .collect();
    let assets = state
        .assets
        .iter()
        .map(|(id, a)| {
            obj(vec![
                ("asset", Value::from(id.as_str())),
                ("description", Value::from(a.description.as_str())),
                ("price", money(a.price as i128)),
                ("purchased", money(a.purchased)),
                (
                    "agreement",
                    a.agreement.clone().map_or(Value::Null, Value::from),
                ),
            ])
        })
        .collect();
    let series = state
        .series
        .iter()
        .map(|(id, s)| {
            obj(vec![
                ("series", Value::from(id.as_str())),
                ("asset", Value::from(s.asset.as_str())),
                ("face", money(s.face as i128)),
                ("units", Value::Int(s.units)),
                ("sold", Value::Int(s.sold)),
                ("rate_bps", Value::Int(s.rate_bps)),
                ("outstanding_principal", money(outstanding(state, id))),
            ])
        })
        .collect();
    let agreements = state
        .agreements
        .iter()
        .map(|(id, a)| {
            let paid: i128 = a.paid.values().sum();
            obj(vec![
                ("agreement", Value::from(id.as_str())),
                ("asset", Value::from(a.asset.as_str())),
                (
                    "renters",
                    Value::Array(a.renters.iter().map(|r| Value::from(r.as_str())).collect()),
                ),
                ("start", Value::from(a.start.to_string())),
                ("instalments", Value::Int(a.instalments)),
                ("ended", date_or_null(a.ended)),
                ("rent_paid", money(paid)),
            ])
        })
        .collect();
    let arrears = state.arrears().iter().map(arrear_value).collect();
    obj(vec![
        ("name", Value::from(state.name.as_str())),
        ("currency", Value::from(state.currency.as_str())),
        ("exponent", Value::Int(state.exponent)),
        ("as_of", date_or_null(state.as_of)),
        ("cash", money(state.cash)),
        ("dividends_payable", money(dividends_payable(state))),
        ("members", Value::Array(members)),
        ("assets", Value::Array(assets)),
        ("series", Value::Array(series)),
        ("agreements", Value::Array(agreements)),
        ("arrears", Value::Array(arrears)),
    ])
}

fn arrear_value(a: &Arrear) -> Value {
    match a {
        Arrear::Rent {
            agreement,
            instalment,
            due,
            owed,
            days,
        } => obj(vec![
            ("type", Value::from("rent")),
            ("agreement", Value::from(agreement.as_str())),
            ("instalment", Value::Int(*instalment)),
            ("due", Value::from(due.to_string())),
            ("owed", money(*owed)),
            ("days", Value::Int(*days)),
        ]),
        Arrear::Bond {
            series,
            row,
            holder,
            due,
            coupon,
            principal,
            days,
            grace_days,
        } => obj(vec![
            ("type", Value::from("bond")),
            ("series", Value::from(series.as_str())),
            ("row", Value::Int(*row as i64)),
            ("holder", Value::from(b64::encode(holder))),
            ("due", Value::from(due.to_string())),
            ("coupon", money(*coupon)),
            ("principal", money(*principal)),
            ("days", Value::Int(*days)),
            ("grace_days", Value::Int(*grace_days)),
            ("default_days", Value::Int(a.default_days().unwrap_or(0))),
        ]),
    }
}

pub use crate::report::money::format_money;

/// The human statement of `commonstock audit --report`.
pub fn write_text(out: &mut impl Write, state: &State) -> io::Result<()> {
    let m = |n: i128| format_money(&state.currency, state.exponent, n);
    let as_of = state.as_of.map(|d| d.to_string()).unwrap_or_default();
    writeln!(out, "\n{} — statement as of {as_of}", state.name)?;
    writeln!(out, "cash: {}", m(state.cash))?;
    writeln!(out, "dividends payable: {}", m(dividends_payable(state)))?;

    let current = state.members.values().filter(|x| x.until.is_none()).count();
    writeln!(
        out,
        "\nmembers: {current} current, {} former",
        state.members.len() - current
    )?;
    for (id, x) in &state.members {
        match x.until {
            None => writeln!(out, "  {id:<8} since {}", x.since)?,
            Some(u) => writeln!(out, "  {id:<8} since {} until {u}", x.since)?,
        }
    }

    writeln!(out, "\nassets:")?;
    for (id, a) in &state.assets {
        writeln!(
            out,
            "  {id:<10} price {}, purchased {}, rented under {}: {}",
            m(a.price as i128),
            m(a.purchased),
            a.agreement.as_deref().unwrap_or("-"),
            a.description
        )?;
    }

    writeln!(out, "\nbond series:")?;
    for (id, s) in &state.series {
        writeln!(
            out,
            "  {id:<10} on {}: {} of {} units sold, face {}, {} bps, outstanding principal {}",
            s.asset,
            s.sold,
            s.units,
            m(s.face as i128),
            s.rate_bps,
            m(outstanding(state, id))
        )?;
    }

    writeln!(out, "\nrental agreements:")?;
    for (id, a) in &state.agreements {
        let paid: i128 = a.paid.values().sum();
        let status = match a.ended {
            Some(e) => format!("ended {e}"),
            None => format!("{} instalments from {}", a.instalments, a.start),
        };
        writeln!(
            out,
            "  {id:<16} {} by {}: {status}; rent paid {}",
            a.asset,
            a.renters.join(", "),
            m(paid)
        )?;
    }

    let arrears = state.arrears();
    writeln!(
        out,
        "\narrears: {}",
        if arrears.is_empty() { "none" } else { "" }
    )?;
    for a in &arrears {
        match a {
            Arrear::Rent {
                agreement,
                instalment,
                due,
                owed,
                days,
            } => writeln!(
                out,
                "  rent   {agreement} instalment {instalment} due {due}: {} owed, {days} days",
                m(*owed)
            )?,
            Arrear::Bond {
                series,
                row,
                holder,
                due,
                coupon,
                principal,
                days,
                grace_days,
            } => writeln!(
                out,
                "  bond   {series} row {row} due {due} to {}: coupon {}, principal {} owed, {days} days{}",
                &b64::encode(holder)[..8],
                m(*coupon),
                m(*principal),
                match a.default_days() {
                    Some(d) => format!(" — IN DEFAULT for {d} days (grace {grace_days})"),
                    None => String::new(),
                }
            )?,
        }
    }
    Ok(())
}
