//! The collateral of protocol version 2 (spec/14-collateral.md) end to end:
//! what `draft` fills in is exactly what the valid conformance stories
//! declare (and the audit accepts), and the statement shows each sale's
//! distribution, the calls, the auctions, the reserve and the defaults.

use commonstock::audit::{self, Options};
use commonstock::canonical::{self, Object, Value};
use commonstock::chain;
use commonstock::commune::State;
use commonstock::date::Date;
use commonstock::document::Kind;
use commonstock::{draft, statement};

/// The chain of a conformance case (its data, after the header).
fn case_chain(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(format!("test-vectors/chains/{name}.case")).unwrap();
    let at = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
    bytes[at + 2..].to_vec()
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn state_of(lines: &[&[u8]]) -> State {
    let mut bytes = Vec::new();
    for l in lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    let (report, state) = audit::audit_with_state(&bytes[..], &Options::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.findings);
    state
}

/// For the first document of `kind` in the case: the state before it, its
/// date and its body.
fn before_first(case: &str, kind: Kind) -> (State, Date, Object) {
    let bytes = case_chain(case);
    let all = lines(&bytes);
    let (i, entry) = all
        .iter()
        .enumerate()
        .map(|(i, l)| (i, chain::parse_entry(l).unwrap()))
        .find(|(_, e)| e.doc.kind == kind)
        .unwrap_or_else(|| panic!("{case} has no {kind}"));
    (state_of(&all[..i]), entry.doc.date, entry.doc.body)
}

/// Drafts `kind` with only `given` of the real body's members, and checks
/// that draft computes the rest exactly as the chain declared it.
fn draft_gives_what_the_chain_declares(case: &str, kind: Kind, given: &[&str]) {
    let (state, date, body) = before_first(case, kind);
    let mut draft_body = Object::new();
    for k in given {
        draft_body.insert(*k, body.get(k).unwrap().clone());
    }
    draft::fill_computed(kind, &mut draft_body, &state, date);
    assert_eq!(
        canonical::encode(&Value::Object(draft_body)),
        canonical::encode(&Value::Object(body)),
        "{case}: {kind}"
    );
}

#[test]
fn draft_splits_a_sale_as_the_rules_do() {
    draft_gives_what_the_chain_declares(
        "valid_collateral_default_and_sale",
        Kind::AssetSale,
        &["asset", "buyer", "price", "text"],
    );
    draft_gives_what_the_chain_declares(
        "valid_collateral_auction",
        Kind::AssetSale,
        &["asset", "buyer", "price", "text"],
    );
}

#[test]
fn draft_prices_a_call_as_the_rules_do() {
    draft_gives_what_the_chain_declares(
        "valid_collateral_call_and_reserve",
        Kind::BondCall,
        &["call", "holders", "series"],
    );
}

#[test]
fn draft_clears_an_auction_as_the_rules_do() {
    draft_gives_what_the_chain_declares(
        "valid_collateral_auction",
        Kind::AuctionResult,
        &["auction"],
    );
}

#[test]
fn draft_leaves_what_is_given() {
    let (state, date, body) = before_first("valid_collateral_call_and_reserve", Kind::BondCall);
    let mut b = body.clone();
    b.insert("price", Value::Int(1));
    draft::fill_computed(Kind::BondCall, &mut b, &state, date);
    assert_eq!(b.get("price"), Some(&Value::Int(1)));
}

#[test]
fn the_statement_shows_the_sale_to_each_holder() {
    let bytes = case_chain("valid_collateral_default_and_sale");
    let (_, state) = audit::audit_with_state(&bytes[..], &Options::default()).unwrap();
    let mut text = Vec::new();
    statement::write_text(&mut text, &state).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("sale of press on 2026-04-25 to Druckerei Süd GmbH for EUR 250.00: surplus EUR 0.00, written down EUR 53.00"),
        "{text}"
    );
    assert!(
        text.contains("claim EUR 202.00, receives EUR 166.67 (paid), written down EUR 35.33"),
        "{text}"
    );
    assert!(
        text.contains("claim EUR 101.00, receives EUR 83.33 (paid), written down EUR 17.67"),
        "{text}"
    );
    let v = statement::to_value(&state);
    let sales = v
        .as_object()
        .unwrap()
        .get("sales")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(sales.len(), 1);
    let sale = sales[0].as_object().unwrap();
    let dist = sale.get("distribution").unwrap().as_array().unwrap();
    let amounts: Vec<i64> = dist
        .iter()
        .map(|d| {
            d.as_object()
                .unwrap()
                .get("amount")
                .unwrap()
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(amounts, [8_333, 16_667]);
    assert_eq!(sale.get("written_down"), Some(&Value::Int(5_300)));
}

#[test]
fn a_default_is_reported_with_its_days_until_the_sale_settles_it() {
    let bytes = case_chain("valid_collateral_default_and_sale");
    let all = lines(&bytes);
    let sale = all
        .iter()
        .position(|l| chain::parse_entry(l).unwrap().doc.kind == Kind::AssetSale)
        .unwrap();
    // up to the rental end (2026-04-20): row 3, due 2026-04-10, grace 5
    let state = state_of(&all[..sale]);
    let mut text = Vec::new();
    statement::write_text(&mut text, &state).unwrap();
    let text = String::from_utf8(text).unwrap();
    let defaults: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("bond defaults:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(defaults.len(), 2, "{text}");
    for l in &defaults {
        assert!(
            l.contains("press-a row 3 due 2026-04-10, grace 5 days"),
            "{l}"
        );
        assert!(l.ends_with("10 days past due, 5 in default"), "{l}");
    }
    // after the sale the series is settled: nothing is in default any more
    let state = state_of(&all[..=sale]);
    assert!(state.arrears().iter().all(|a| a.default_days().is_none()));
}

#[test]
fn the_reserve_follows_the_closes_and_the_draws() {
    let bytes = case_chain("valid_collateral_call_and_reserve");
    let (_, state) = audit::audit_with_state(&bytes[..], &Options::default()).unwrap();
    // 1,000 + 600 set aside, 730 covered, 500 drawn, 137 set aside
    assert_eq!(state.periods.reserve, 1_000 + 600 - 730 - 500 + 137);
    let v = statement::to_value(&state);
    assert_eq!(
        v.as_object().unwrap().get("reserve"),
        Some(&Value::Int(507))
    );
}

/// The dividend table as text shows the reserve's columns (drawn, covered,
/// balance) when a close is of version 2, and keeps its narrower form for a
/// chain of version-1 closes only.
#[test]
fn the_dividend_table_shows_the_reserve_of_version_2_closes() {
    let table = |name: &str| {
        let bytes = case_chain(name);
        let (_, state) = audit::audit_with_state(&bytes[..], &Options::default()).unwrap();
        let mut text = Vec::new();
        commonstock::dividend::write_text(&mut text, &state).unwrap();
        (String::from_utf8(text).unwrap(), state)
    };
    let (text, state) = table("valid_collateral_call_and_reserve");
    let head = text.lines().next().unwrap();
    assert!(
        head.contains("reserve          drawn        covered  reserve balance"),
        "{head}"
    );
    let (period, f) = state
        .periods
        .closes
        .iter()
        .rfind(|(_, f)| f.v2 && f.reserve_balance > 0)
        .expect("a close with a reserve");
    let money =
        |n: i128| commonstock::report::money::format_money(&state.currency, state.exponent, n);
    let row = text
        .lines()
        .find(|l| l.starts_with(&commonstock::commune::month_name(*period)))
        .unwrap();
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert!(cells.contains(&money(f.reserve_balance).as_str()), "{row}");
    let (text, state) = table("valid_dividends_joining_and_leaving");
    assert!(state.periods.closes.values().all(|f| !f.v2));
    assert!(!text.lines().next().unwrap().contains("drawn"), "{text}");
}
