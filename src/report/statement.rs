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
/// and not called times the per-unit principal not yet due; 0 once the
/// sale of its asset settled it (spec 14.2).
fn outstanding(state: &State, id: &str) -> i128 {
    let s = &state.series[id];
    if s.settled.is_some() {
        return 0;
    }
    let as_of = state.as_of.expect("a chartered state has a date");
    (s.sold - s.called) as i128 * s.outstanding_per_unit(as_of) as i128
}

fn key(k: &[u8; 32]) -> Value {
    Value::from(b64::encode(k))
}

/// The first characters of a key, as the text statement shows holders.
fn short(k: &[u8; 32]) -> String {
    b64::encode(k)[..8].to_string()
}

/// Every asset sale, by asset (spec 14.2): buyer, price, and per holder the
/// claim, the amount, what of it is paid and what was written down.
fn sales_value(state: &State) -> Vec<Value> {
    state
        .assets
        .iter()
        .filter_map(|(id, a)| a.sale.as_ref().map(|s| (id, s)))
        .map(|(id, s)| {
            let shares = s
                .shares
                .iter()
                .zip(&s.paid)
                .map(|(x, paid)| {
                    obj(vec![
                        ("holder", key(&x.holder)),
                        ("claim", money(x.claim)),
                        ("amount", money(x.amount)),
                        ("paid", money(*paid)),
                        ("written_down", money(x.written_down())),
                    ])
                })
                .collect();
            obj(vec![
                ("asset", Value::from(id.as_str())),
                ("date", Value::from(s.date.to_string())),
                ("buyer", Value::from(s.buyer.as_str())),
                ("price", money(s.price as i128)),
                ("distribution", Value::Array(shares)),
                ("surplus", money(s.surplus)),
                ("written_down", money(s.written_down)),
            ])
        })
        .collect()
}

/// Every call (spec 14.3): per holder the units, the amount and what is
/// paid.
fn calls_value(state: &State) -> Vec<Value> {
    state
        .calls
        .iter()
        .map(|(id, c)| {
            let holders = c
                .holders
                .iter()
                .map(|(h, units, paid)| {
                    obj(vec![
                        ("holder", key(h)),
                        ("units", Value::Int(*units)),
                        ("amount", money(*units as i128 * c.price as i128)),
                        ("paid", money(*paid)),
                    ])
                })
                .collect();
            obj(vec![
                ("call", Value::from(id.as_str())),
                ("series", Value::from(c.series.as_str())),
                ("date", Value::from(c.date.to_string())),
                ("price", money(c.price as i128)),
                ("holders", Value::Array(holders)),
            ])
        })
        .collect()
}

/// Every auction (spec 14.6), open or settled, with its bids.
fn auctions_value(state: &State) -> Vec<Value> {
    state
        .auctions
        .iter()
        .map(|(id, a)| {
            let allocated = state.clearing(id).filter(|_| a.settled);
            let bids = a
                .bids
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    obj(vec![
                        ("bid", Value::from(b.id.as_str())),
                        ("bidder", key(&b.bidder)),
                        ("rate_bps", Value::Int(b.rate_bps)),
                        ("units", Value::Int(b.units)),
                        (
                            "allocated",
                            Value::Int(allocated.as_ref().map_or(0, |c| c.units[i])),
                        ),
                    ])
                })
                .collect();
            obj(vec![
                ("series", Value::from(id.as_str())),
                ("asset", Value::from(a.asset.as_str())),
                ("closes", Value::from(a.closes.to_string())),
                ("units", Value::Int(a.units)),
                ("max_rate_bps", Value::Int(a.max_rate_bps)),
                ("settled", Value::Bool(a.settled)),
                ("bids", Value::Array(bids)),
            ])
        })
        .collect()
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
                ("sold", date_or_null(a.sale.as_ref().map(|s| s.date))),
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
                ("called", Value::Int(s.called)),
                ("grace_days", Value::Int(s.terms.grace_days)),
                ("callable", Value::Bool(s.terms.callable)),
                ("settled", date_or_null(s.settled)),
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
        ("reserve", money(state.periods.reserve)),
        ("sales", Value::Array(sales_value(state))),
        ("calls", Value::Array(calls_value(state))),
        ("auctions", Value::Array(auctions_value(state))),
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
    writeln!(
        out,
        "reserve: {} (of the cash; free cash {})",
        m(state.periods.reserve),
        m(state.cash - state.periods.reserve)
    )?;

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
        let status = match &a.sale {
            Some(s) => format!("sold {} to {}", s.date, s.buyer),
            None => format!("rented under {}", a.agreement.as_deref().unwrap_or("-")),
        };
        writeln!(
            out,
            "  {id:<10} price {}, purchased {}, {status}: {}",
            m(a.price as i128),
            m(a.purchased),
            a.description
        )?;
    }

    writeln!(out, "\nbond series:")?;
    for (id, s) in &state.series {
        let mut extra = String::new();
        if s.called > 0 {
            extra.push_str(&format!(", {} called", s.called));
        }
        if let Some(d) = s.settled {
            extra.push_str(&format!(", settled {d} by the sale of {}", s.asset));
        }
        writeln!(
            out,
            "  {id:<10} on {}: {} of {} units sold, face {}, {} bps, grace {} days, outstanding principal {}{extra}",
            s.asset,
            s.sold,
            s.units,
            m(s.face as i128),
            s.rate_bps,
            s.terms.grace_days,
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

    let defaults: Vec<&Arrear> = arrears
        .iter()
        .filter(|a| a.default_days().is_some())
        .collect();
    writeln!(
        out,
        "
bond defaults: {}",
        if defaults.is_empty() { "none" } else { "" }
    )?;
    for a in defaults {
        if let Arrear::Bond {
            series,
            row,
            holder,
            due,
            coupon,
            principal,
            days,
            grace_days,
        } = a
        {
            writeln!(
                out,
                "  {series} row {row} due {due}, grace {grace_days} days: {} owed to {}, {days} days past due, {} in default",
                m(coupon + principal),
                short(holder),
                a.default_days().unwrap_or(0)
            )?;
        }
    }

    for (id, a) in &state.assets {
        let Some(s) = &a.sale else { continue };
        writeln!(
            out,
            "
sale of {id} on {} to {} for {}: surplus {}, written down {}",
            s.date,
            s.buyer,
            m(s.price as i128),
            m(s.surplus),
            m(s.written_down)
        )?;
        for (x, paid) in s.shares.iter().zip(&s.paid) {
            writeln!(
                out,
                "  {}: claim {}, receives {} ({}), written down {}",
                short(&x.holder),
                m(x.claim),
                m(x.amount),
                if *paid == x.amount {
                    "paid".to_string()
                } else {
                    format!("{} payable", m(x.amount - paid))
                },
                m(x.written_down())
            )?;
        }
    }

    for (id, c) in &state.calls {
        writeln!(
            out,
            "
call {id} of {} on {} at {} per unit:",
            c.series,
            c.date,
            m(c.price as i128)
        )?;
        for (h, units, paid) in &c.holders {
            let amount = *units as i128 * c.price as i128;
            writeln!(
                out,
                "  {}: {units} units, {} ({})",
                short(h),
                m(amount),
                if *paid == amount {
                    "paid".to_string()
                } else {
                    format!("{} payable", m(amount - paid))
                }
            )?;
        }
    }

    for (id, a) in &state.auctions {
        let status = if a.settled {
            let s = &state.series[id];
            format!("settled: {} units at {} bps", s.units, s.rate_bps)
        } else {
            format!("open until {}", a.closes)
        };
        writeln!(
            out,
            "
auction of {id} ({} units on {}, at most {} bps): {status}",
            a.units, a.asset, a.max_rate_bps
        )?;
        let allocated = state.clearing(id).filter(|_| a.settled);
        for (i, b) in a.bids.iter().enumerate() {
            writeln!(
                out,
                "  bid {} by {}: {} units at {} bps{}",
                b.id,
                short(&b.bidder),
                b.units,
                b.rate_bps,
                match &allocated {
                    Some(c) => format!(", allocated {}", c.units[i]),
                    None => String::new(),
                }
            )?;
        }
    }
    Ok(())
}
