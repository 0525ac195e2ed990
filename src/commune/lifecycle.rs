//! The kinds of protocol version 2 against the commune's state
//! (spec/14-collateral.md §14.2 – §14.6): `asset_sale`, `bond_call`,
//! `reserve_draw`, `auction`, `bid` and `auction_result`, checked in the
//! order of §14.7 and applied, and the state's questions that `draft` and
//! the reports ask (claims, a sale's split, a call's price, a clearing).
//! What the rules compute is in [`super::collateral`]; this file only
//! gathers its inputs and compares.

use std::collections::BTreeMap;

use super::collateral::{Clearing, Offer, Split, call_price, clear, split};
use super::{
    Auction, Bid, Call, Draw, Fields, Finding, MAX_COUNT, MAX_GRACE_DAYS, MAX_MEMBERS, MAX_UNITS,
    Res, Sale, State, Terms, check_key, compare_schedule, must_be_new, read_schedule, schedule,
};
use crate::protocol::b64;
use crate::protocol::date::Date;
use crate::protocol::document::Document;
use crate::protocol::rule::Rule;

/// The first characters of a key, for findings.
fn short(key: &[u8; 32]) -> String {
    b64::encode(key)[..8].to_string()
}

impl State {
    /// Every bondholder's claim on `asset` as of `date` (spec 14.2): for
    /// each series it secures that is not settled, the units each key holds
    /// times the principal outstanding per unit, plus the coupon and
    /// principal due on or before `date` and not paid to each holder of
    /// record. Keys with a claim, by key.
    pub fn claims(&self, asset: &str, date: Date) -> Vec<([u8; 32], i128)> {
        let mut claims: BTreeMap<[u8; 32], i128> = BTreeMap::new();
        for s in self
            .series
            .values()
            .filter(|s| s.asset == asset && s.settled.is_none())
        {
            let outstanding = s.outstanding_per_unit(date) as i128;
            for (h, u) in s.holdings.iter().filter(|(_, u)| **u > 0) {
                *claims.entry(*h).or_insert(0) += *u as i128 * outstanding;
            }
            for (row, holders) in s.records.iter().enumerate() {
                let r = s.rows[row];
                if r.due > date {
                    continue; // (taken before `date` only when replaying)
                }
                for (h, u) in holders {
                    let (c, p) = s.paid.get(&(row, *h)).copied().unwrap_or((0, 0));
                    let owed = *u as i128 * (r.coupon as i128 + r.principal as i128) - c - p;
                    if owed > 0 {
                        *claims.entry(*h).or_insert(0) += owed;
                    }
                }
            }
        }
        claims.into_iter().filter(|(_, c)| *c > 0).collect()
    }

    /// The split of `price` that a sale of `asset` on `date` must declare
    /// (spec 14.2): what `draft` fills in.
    pub fn sale_split(&self, asset: &str, date: Date, price: i64) -> Split {
        let mut st = self.clone();
        st.advance(date);
        split(price as i128, &st.claims(asset, date))
    }

    /// The price per unit a call of `series` on `date` must declare (spec
    /// 14.3), if the series exists.
    pub fn call_price_of(&self, series: &str, date: Date) -> Option<i128> {
        let s = self.series.get(series)?;
        Some(call_price(
            s.outstanding_per_unit(date),
            s.terms.call_premium_bps,
        ))
    }

    /// The clearing of the auction of `series` from the bids so far (spec
    /// 14.6), if it has any.
    pub fn clearing(&self, series: &str) -> Option<Clearing> {
        let a = self.auctions.get(series)?;
        let offers: Vec<Offer> = a
            .bids
            .iter()
            .map(|b| Offer {
                rate_bps: b.rate_bps,
                units: b.units,
            })
            .collect();
        clear(a.units, &offers)
    }

    pub(super) fn asset_sale(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let asset = b.id("asset")?;
        let buyer = b.text("buyer")?;
        let list = b.array("distribution", 0, MAX_MEMBERS)?;
        let mut declared: Vec<([u8; 32], i64, i64)> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let f = Fields::open_item(v, "body.distribution", i, &["amount", "claim", "holder"])?;
            let amount = f.amount("amount", 0)?;
            let claim = f.amount("claim", 0)?;
            let holder = f.key("holder")?;
            if declared.last().is_some_and(|l| l.0 >= holder) {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("holder"),
                    "distribution not sorted strictly by holder",
                ));
            }
            declared.push((holder, claim, amount));
        }
        let price = b.amount("price", 0)?;
        let surplus = b.amount("surplus", 0)?;
        b.key("text")?;
        let written_down = b.amount("written_down", 0)?;
        self.decision(doc, self.settings().thresholds.asset, None)?;
        let a = self
            .assets
            .get(&asset)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.asset", format!("no asset {asset}")))?;
        if let Some(sale) = &a.sale {
            return Err(Finding::new(
                Rule::Liq1,
                "body.asset",
                format!("{asset} was sold on {}", sale.date),
            ));
        }
        if let Some(current) = self.active_agreement(a, doc.date) {
            return Err(Finding::new(
                Rule::Liq1,
                "body.asset",
                format!("{asset} is still rented under {current}: end the agreement first"),
            ));
        }
        let want = split(price as i128, &self.claims(&asset, doc.date));
        compare_split(&want, &declared, surplus, written_down)?;
        // applied
        self.cash += price as i128;
        for s in self.series.values_mut().filter(|s| s.asset == asset) {
            if s.settled.is_none() {
                s.settled = Some(doc.date);
                s.holdings.clear();
            }
        }
        let settled: Vec<String> = self
            .series
            .iter()
            .filter(|(_, s)| s.asset == asset)
            .map(|(id, _)| id.clone())
            .collect();
        self.pending_records
            .retain(|(_, s, _)| settled.binary_search(s).is_err());
        if self.settings().surplus_to_income {
            *self
                .periods
                .income
                .entry(doc.date.month_index())
                .or_insert(0) += want.surplus;
        } else {
            self.periods.reserve += want.surplus;
        }
        let n = want.shares.len();
        self.assets.get_mut(&asset).expect("checked").sale = Some(Sale {
            date: doc.date,
            buyer,
            price,
            shares: want.shares,
            paid: vec![0; n],
            surplus: want.surplus,
            written_down: want.written_down,
        });
        Ok(())
    }

    pub(super) fn bond_call(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let id = b.id("call")?;
        let list = b.array("holders", 1, MAX_MEMBERS)?;
        let mut holders: Vec<([u8; 32], i64)> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let f = Fields::open_item(v, "body.holders", i, &["holder", "units"])?;
            let holder = f.key("holder")?;
            if holders.last().is_some_and(|l| l.0 >= holder) {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("holder"),
                    "holders not sorted strictly by key",
                ));
            }
            holders.push((holder, f.int("units", 1, MAX_UNITS)?));
        }
        let price = b.amount("price", 0)?;
        let series = b.id("series")?;
        self.decision(doc, self.settings().thresholds.bond, None)?;
        let s = self.series.get(&series).ok_or_else(|| {
            Finding::new(Rule::Ref1, "body.series", format!("no series {series}"))
        })?;
        must_be_new(self.calls.contains_key(&id), "body.call", "call", &id)?;
        if !s.terms.callable {
            return Err(Finding::new(
                Rule::Cal1,
                "body.series",
                format!("the terms of {series} do not allow a call"),
            ));
        }
        if let Some(d) = s.settled {
            return Err(Finding::new(
                Rule::Cal1,
                "body.series",
                format!("{series} was settled by the sale of its asset on {d}"),
            ));
        }
        for (i, (h, units)) in holders.iter().enumerate() {
            let held = s.holdings.get(h).copied().unwrap_or(0);
            if *units > held {
                return Err(Finding::new(
                    Rule::Cal1,
                    format!("body.holders[{i}].units"),
                    format!("{} holds {held} units of {series}", short(h)),
                )
                .numbers(held as i128, *units as i128));
            }
        }
        let want = call_price(s.outstanding_per_unit(doc.date), s.terms.call_premium_bps);
        if want != price as i128 {
            return Err(Finding::new(
                Rule::Cal2,
                "body.price",
                format!(
                    "the call price per unit of {series}: principal outstanding {} plus {} bps",
                    s.outstanding_per_unit(doc.date),
                    s.terms.call_premium_bps
                ),
            )
            .numbers(want, price as i128));
        }
        // applied
        let s = self.series.get_mut(&series).expect("checked");
        let mut total = 0i128;
        for (h, units) in &holders {
            *s.holdings.get_mut(h).expect("held") -= units;
            s.called += units;
            total += *units as i128 * price as i128;
        }
        *self
            .periods
            .called
            .entry(doc.date.month_index())
            .or_insert(0) += total;
        self.calls.insert(
            id,
            Call {
                series,
                date: doc.date,
                price,
                holders: holders.into_iter().map(|(h, u)| (h, u, 0)).collect(),
            },
        );
        Ok(())
    }

    pub(super) fn reserve_draw(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let amount = b.amount("amount", 1)?;
        let id = b.id("draw")?;
        let purpose = b.text("purpose")?;
        self.decision(doc, self.settings().thresholds.expense, None)?;
        must_be_new(self.draws.contains_key(&id), "body.draw", "draw", &id)?;
        let balance = self.periods.reserve;
        if amount as i128 > balance {
            return Err(
                Finding::new(Rule::Res1, "body.amount", "more than the reserve's balance")
                    .numbers(balance, amount as i128),
            );
        }
        self.periods.reserve -= amount as i128;
        *self
            .periods
            .drawn
            .entry(doc.date.month_index())
            .or_insert(0) += amount as i128;
        self.draws.insert(
            id,
            Draw {
                date: doc.date,
                amount,
                purpose,
            },
        );
        Ok(())
    }

    pub(super) fn auction(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let amortisation = b.choice("amortisation", &["bullet", "linear"])?;
        let asset = b.id("asset")?;
        let call_premium_bps = b.int("call_premium_bps", 0, 10_000)?;
        let callable = b.bool("callable")?;
        let closes = b.date("closes")?;
        if closes < doc.date {
            return Err(Finding::new(
                Rule::Com3,
                "body.closes",
                "the auction would close before the document's date",
            ));
        }
        let face = b.amount("face", 1)?;
        let first_due = b.date("first_due")?;
        if first_due.day() > 28 || first_due <= closes {
            return Err(Finding::new(
                Rule::Com3,
                "body.first_due",
                "the first due date must be on day 1 to 28 and after the auction closes",
            ));
        }
        let grace_days = b.int("grace_days", 0, MAX_GRACE_DAYS)?;
        let max_rate_bps = b.int("max_rate_bps", 0, 100_000)?;
        let payments = b.int("payments", 1, MAX_COUNT)?;
        if Date::from_month_index(first_due.month_index() + payments - 1, first_due.day()).is_none()
        {
            return Err(Finding::new(
                Rule::Com3,
                "body.payments",
                "the last payment would fall after 9999-12",
            ));
        }
        let series = b.id("series")?;
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
            self.series.contains_key(&series) || self.auctions.contains_key(&series),
            "body.series",
            "series",
            &series,
        )?;
        self.unsold_asset(&asset)?;
        self.auctions.insert(
            series,
            Auction {
                asset,
                terms: Terms {
                    grace_days,
                    callable,
                    call_premium_bps,
                },
                face,
                first_due,
                payments,
                linear: amortisation == "linear",
                max_rate_bps,
                closes,
                units,
                bids: Vec::new(),
                settled: false,
            },
        );
        Ok(())
    }

    pub(super) fn bid(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let auction = b.id("auction")?;
        let id = b.id("bid")?;
        let bidder = b.key("bidder")?;
        let rate_bps = b.int("rate_bps", 0, 100_000)?;
        let units = b.int("units", 1, MAX_UNITS)?;
        check_key(&bidder, "body.bidder")?;
        self.party(doc, &bidder, "the bidder")?;
        let a = self.auctions.get(&auction).ok_or_else(|| {
            Finding::new(Rule::Ref1, "body.auction", format!("no auction {auction}"))
        })?;
        must_be_new(self.bids.contains_key(&id), "body.bid", "bid", &id)?;
        if a.settled {
            return Err(Finding::new(
                Rule::Auc1,
                "body.auction",
                format!("the auction of {auction} is settled"),
            ));
        }
        if doc.date > a.closes {
            return Err(Finding::new(
                Rule::Auc1,
                "date",
                format!("the auction of {auction} closed on {}", a.closes),
            ));
        }
        if rate_bps > a.max_rate_bps {
            return Err(Finding::new(
                Rule::Auc1,
                "body.rate_bps",
                "above the auction's maximum rate",
            )
            .numbers(a.max_rate_bps as i128, rate_bps as i128));
        }
        if units > a.units {
            return Err(
                Finding::new(Rule::Auc1, "body.units", "more units than offered")
                    .numbers(a.units as i128, units as i128),
            );
        }
        self.auctions
            .get_mut(&auction)
            .expect("checked")
            .bids
            .push(Bid {
                id: id.clone(),
                bidder,
                rate_bps,
                units,
            });
        self.bids.insert(id, auction);
        Ok(())
    }

    pub(super) fn auction_result(&mut self, doc: &Document, b: &Fields<'_>) -> Res<()> {
        let list = b.array("allocations", 0, MAX_MEMBERS)?;
        let mut allocations: Vec<(String, i64)> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let f = Fields::open_item(v, "body.allocations", i, &["bid", "units"])?;
            let bid = f.id("bid")?;
            if allocations
                .last()
                .is_some_and(|l| l.0.as_bytes() >= bid.as_bytes())
            {
                return Err(Finding::new(
                    Rule::Com4,
                    f.path("bid"),
                    "allocations not sorted strictly by bid",
                ));
            }
            allocations.push((bid, f.int("units", 1, MAX_UNITS)?));
        }
        let id = b.id("auction")?;
        let rate_bps = b.int("rate_bps", 0, 100_000)?;
        let rows = read_schedule(b)?;
        self.treasurer(doc)?;
        let a = self
            .auctions
            .get(&id)
            .ok_or_else(|| Finding::new(Rule::Ref1, "body.auction", format!("no auction {id}")))?;
        let auc2 = |field: &str, detail: String| Err(Finding::new(Rule::Auc2, field, detail));
        if a.settled {
            return auc2("body.auction", format!("the auction of {id} is settled"));
        }
        if doc.date <= a.closes {
            return auc2(
                "date",
                format!(
                    "the auction of {id} closes on {}: settle it later",
                    a.closes
                ),
            );
        }
        if doc.date >= a.first_due {
            return auc2(
                "date",
                format!(
                    "the series' first payment is due on {}: too late to settle",
                    a.first_due
                ),
            );
        }
        let Some(want) = self.clearing(&id) else {
            return auc2("body.auction", format!("the auction of {id} has no bid"));
        };
        self.unsold_asset(&a.asset)?;
        if want.rate_bps != rate_bps {
            return Err(Finding::new(
                Rule::Auc3,
                "body.rate_bps",
                "the clearing rate: the rate of the last bid filled, lowest rates first",
            )
            .numbers(want.rate_bps as i128, rate_bps as i128));
        }
        compare_allocations(a, &want, &allocations)?;
        let sched = schedule(a.linear, a.face, a.payments, want.rate_bps, a.first_due);
        compare_schedule(&sched, &rows)?;
        // applied: the series, sold to the bidders at face
        let a = self.auctions.get_mut(&id).expect("checked");
        a.settled = true;
        let a = a.clone();
        let total = want.total();
        self.new_series(
            id.clone(),
            a.asset.clone(),
            a.face,
            total,
            want.rate_bps,
            rows,
            a.terms,
        );
        let s = self.series.get_mut(&id).expect("just added");
        s.sold = total;
        for (bid, units) in a.bids.iter().zip(&want.units) {
            if *units > 0 {
                *s.holdings.entry(bid.bidder).or_insert(0) += units;
            }
        }
        self.cash += total as i128 * a.face as i128;
        Ok(())
    }
}

/// LIQ-2: the first difference between the computed and the declared
/// split: each element (holder, claim, amount), then the surplus and the
/// amount written down.
fn compare_split(
    want: &Split,
    declared: &[([u8; 32], i64, i64)],
    surplus: i64,
    written_down: i64,
) -> Res<()> {
    let mut expected = want.shares.iter();
    for (i, (holder, claim, amount)) in declared.iter().enumerate() {
        let at = |m: &str| format!("body.distribution[{i}].{m}");
        let Some(w) = expected.next() else {
            return Err(Finding::new(
                Rule::Liq2,
                at("holder"),
                format!("{} has no claim on the asset", short(holder)),
            ));
        };
        if w.holder != *holder {
            return Err(Finding::new(
                Rule::Liq2,
                at("holder"),
                format!("expected {}, found {}", short(&w.holder), short(holder)),
            ));
        }
        if w.claim != *claim as i128 {
            return Err(Finding::new(
                Rule::Liq2,
                at("claim"),
                format!("{}'s claim", short(holder)),
            )
            .numbers(w.claim, *claim as i128));
        }
        if w.amount != *amount as i128 {
            return Err(Finding::new(
                Rule::Liq2,
                at("amount"),
                format!("{}'s share of the price", short(holder)),
            )
            .numbers(w.amount, *amount as i128));
        }
    }
    if let Some(w) = expected.next() {
        return Err(Finding::new(
            Rule::Liq2,
            "body.distribution",
            format!("{}'s claim is missing", short(&w.holder)),
        ));
    }
    if want.surplus != surplus as i128 {
        return Err(Finding::new(
            Rule::Liq2,
            "body.surplus",
            "what is left once every claim is paid",
        )
        .numbers(want.surplus, surplus as i128));
    }
    if want.written_down != written_down as i128 {
        return Err(Finding::new(
            Rule::Liq2,
            "body.written_down",
            "the claims the price does not pay",
        )
        .numbers(want.written_down, written_down as i128));
    }
    Ok(())
}

/// AUC-4: the first difference between the computed allocations (every
/// bid with units, by bid id) and the declared ones.
fn compare_allocations(a: &Auction, want: &Clearing, declared: &[(String, i64)]) -> Res<()> {
    let mut expected: Vec<(&str, i64)> = a
        .bids
        .iter()
        .zip(&want.units)
        .filter(|(_, u)| **u > 0)
        .map(|(b, u)| (b.id.as_str(), *u))
        .collect();
    expected.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
    let mut expected = expected.into_iter();
    for (i, (bid, units)) in declared.iter().enumerate() {
        let at = |m: &str| format!("body.allocations[{i}].{m}");
        match expected.next() {
            None => {
                return Err(Finding::new(
                    Rule::Auc4,
                    at("bid"),
                    format!("bid {bid} gets no units"),
                ));
            }
            Some((w, _)) if w != bid => {
                return Err(Finding::new(
                    Rule::Auc4,
                    at("bid"),
                    format!("expected bid {w}, found {bid}"),
                ));
            }
            Some((_, w)) if w != *units => {
                return Err(
                    Finding::new(Rule::Auc4, at("units"), format!("units of bid {bid}"))
                        .numbers(w as i128, *units as i128),
                );
            }
            Some(_) => {}
        }
    }
    if let Some((w, _)) = expected.next() {
        return Err(Finding::new(
            Rule::Auc4,
            "body.allocations",
            format!("bid {w} is missing"),
        ));
    }
    Ok(())
}
