//! The cases of the collateral rules (spec chapter 14, protocol version 2):
//! three small communes, each valid throughout and closing its periods
//! (so each case carries its dividend table), and the failing cases that
//! append one bad document to a prefix of one of them.
//!
//! - [`default_and_sale`]: a rented press funded by a series; the renter
//!   stops paying, the series defaults, the agreement is ended and the press
//!   sold for less than the bondholders' claims (LIQ-1, LIQ-2).
//! - [`call_and_reserve`]: a van's series partly called early, the call's
//!   deficit covered from the reserve by the charter's policy, then a draw on
//!   the reserve (CAL-1, CAL-2, RES-1).
//! - [`auction`]: a kiln's series sold at auction (uniform price, the
//!   marginal bid filled in part), redeemed, then the kiln sold with a
//!   surplus that the charter makes income (AUC-1 … AUC-4).
//!
//! Every document is applied to a [`State`] as it is added: a story that
//! broke a rule would panic here. Every figure the comments derive by hand
//! from the spec is asserted as the story is built.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::build::{Gen, key, obj, payment, pk, text_hash};
use crate::commune::{self, State, dividend};
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::Hash;
use crate::protocol::rule::Rule;
use crate::protocol::sig::SecretKey;

fn s(v: &str) -> Value {
    Value::from(v)
}

fn int(n: i64) -> Value {
    Value::Int(n)
}

fn d(s: &str) -> Date {
    Date::parse(s).expect("fixed dates are valid")
}

/// A version-2 commune under construction: members `a`, `b`, `c` (keys
/// 101, 102, 103; treasurers `a` and `b`; decisions at 5,001 bps, so `a`
/// and `b` sign them), every document of version 2.
#[derive(Clone)]
struct Story {
    commune: Hash,
    keys: Arc<BTreeMap<&'static str, SecretKey>>,
    state: State,
    builder: Builder,
    payments: usize,
}

impl Story {
    fn new(name: &str, reserve_bps: i64, covers_deficit: bool, sale_surplus: &str) -> Story {
        let keys: BTreeMap<&'static str, SecretKey> = [("a", 101), ("b", 102), ("c", 103)]
            .into_iter()
            .map(|(m, seed)| (m, key(seed)))
            .collect();
        let founders = keys
            .iter()
            .map(|(m, k)| Value::Object(obj(&[("key", pk(k)), ("member", s(m))])))
            .collect();
        let body = obj(&[
            ("bonds_transferable", Value::Bool(true)),
            ("bylaws", text_hash("Bylaws of a collateral commune.\n")),
            (
                "currency",
                Value::Object(obj(&[("code", s("EUR")), ("exponent", int(2))])),
            ),
            ("founders", Value::Array(founders)),
            ("name", s(name)),
            ("reserve_bps", int(reserve_bps)),
            ("reserve_covers_deficit", Value::Bool(covers_deficit)),
            ("sale_surplus", s(sale_surplus)),
            ("thresholds", Value::Object(commune::thresholds_value(5_001, 6_667))),
            ("treasurers", Value::Array(vec![s("a"), s("b")])),
        ]);
        let commune = chain::commune_id(&body);
        let mut st = Story {
            commune,
            keys: Arc::new(keys),
            state: State::new(),
            builder: Builder::new(),
            payments: 0,
        };
        let all: Vec<&SecretKey> = st.keys.values().collect();
        let charter = st.doc_signed(Kind::Charter, "2026-01-01", body, &all);
        st.push(charter);
        st
    }

    /// A version-2 document signed by `signers`.
    fn doc_signed(&self, kind: Kind, date: &str, body: Object, signers: &[&SecretKey]) -> Document {
        let mut doc = Document::new(self.commune, kind, d(date), body).version(2);
        for k in signers {
            doc.sign(k).expect("distinct signers");
        }
        doc
    }

    /// A decision signed by `a` and `b` (2 of 3 at 5,001 bps), plus `parties`.
    fn decision(&self, kind: Kind, date: &str, body: Object, parties: &[&SecretKey]) -> Document {
        let mut signers = vec![&self.keys["a"], &self.keys["b"]];
        for p in parties {
            if !signers.iter().any(|k| k.public_key() == p.public_key()) {
                signers.push(p);
            }
        }
        self.doc_signed(kind, date, body, &signers)
    }

    /// A document signed by treasurer `a`.
    fn by_treasurer(&self, kind: Kind, date: &str, body: Object) -> Document {
        self.doc_signed(kind, date, body, &[&self.keys["a"]])
    }

    fn push(&mut self, doc: Document) {
        assert!(self.state.as_of.is_none_or(|d| d <= doc.date), "CHN-6");
        if let Err(f) = self.state.apply(&doc) {
            panic!("collateral case: a void {} on {}: {f}", doc.kind, doc.date);
        }
        self.builder.push(&doc);
    }

    fn next_payment(&mut self) -> String {
        self.payments += 1;
        format!("p{}", self.payments)
    }

    /// A payment by treasurer `a`.
    fn pay(&mut self, date: &str, purpose: &str, amount: i64, reference: &[(&str, Value)]) {
        let id = self.next_payment();
        let doc = self.payment_doc(date, &id, purpose, amount, reference);
        self.push(doc);
    }

    fn payment_doc(
        &self,
        date: &str,
        id: &str,
        purpose: &str,
        amount: i64,
        reference: &[(&str, Value)],
    ) -> Document {
        self.by_treasurer(
            Kind::Payment,
            date,
            payment(id, purpose, amount, obj(reference)),
        )
    }

    fn asset(&mut self, date: &str, id: &str, price: i64) {
        let body = obj(&[
            ("asset", s(id)),
            ("description", s(&format!("the {id}"))),
            ("price", int(price)),
            ("text", text_hash(&format!("Purchase of the {id}.\n"))),
        ]);
        let doc = self.decision(Kind::AssetAcquisition, date, body, &[]);
        self.push(doc);
    }

    /// A version-2 series on `asset`, linear, 1,200 bps.
    #[allow(clippy::too_many_arguments)]
    fn series(
        &mut self,
        date: &str,
        id: &str,
        asset: &str,
        first_due: &str,
        payments: i64,
        units: i64,
        callable: bool,
        premium: i64,
        grace: i64,
    ) {
        let rows = commune::schedule(true, 1_000, payments, 1_200, d(first_due));
        let body = obj(&[
            ("amortisation", s("linear")),
            ("asset", s(asset)),
            ("call_premium_bps", int(premium)),
            ("callable", Value::Bool(callable)),
            ("face", int(1_000)),
            ("first_due", s(first_due)),
            ("grace_days", int(grace)),
            ("payments", int(payments)),
            ("rate_bps", int(1_200)),
            ("schedule", schedule_value(&rows)),
            ("series", s(id)),
            ("text", text_hash(&format!("Terms of {id}.\n"))),
            ("units", int(units)),
        ]);
        let doc = self.decision(Kind::BondSeries, date, body, &[]);
        self.push(doc);
    }

    fn sell_bonds(&mut self, date: &str, series: &str, holder: &SecretKey, units: i64) {
        let body = obj(&[
            ("holder", pk(holder)),
            ("price", int(1_000)),
            ("series", s(series)),
            ("units", int(units)),
        ]);
        let doc = self.doc_signed(Kind::BondSale, date, body, &[holder, &self.keys["a"]]);
        self.push(doc);
    }

    /// A rental agreement of `renter` for `asset`, from `start`, `n`
    /// instalments of `rent`, guaranteeing `series`.
    #[allow(clippy::too_many_arguments)]
    fn lease(&mut self, date: &str, id: &str, asset: &str, renter: &str, start: &str, n: i64, rent: i64, series: &str) {
        let body = obj(&[
            ("agreement", s(id)),
            ("asset", s(asset)),
            ("guarantees", Value::Array(vec![s(series)])),
            ("instalments", int(n)),
            (
                "rent",
                Value::Array(vec![Value::Object(obj(&[
                    ("amount", int(rent)),
                    ("from", int(1)),
                ]))]),
            ),
            ("renters", Value::Array(vec![s(renter)])),
            ("start", s(start)),
            ("text", text_hash(&format!("Lease {id}.\n"))),
        ]);
        let doc = self.decision(Kind::RentalAgreement, date, body, &[&self.keys[renter]]);
        self.push(doc);
    }

    fn rent(&mut self, date: &str, agreement: &str, instalment: i64, amount: i64) {
        self.pay(
            date,
            "rent",
            amount,
            &[("agreement", s(agreement)), ("instalment", int(instalment))],
        );
    }

    /// Pays row `row` of `series` to every holder of record, coupon then
    /// principal, holder by holder.
    fn service(&mut self, date: &str, series: &str, row: usize) {
        // the holders of record are taken at the start of the date
        self.state.advance(d(date));
        let s_ = &self.state.series[series];
        let r = s_.rows[row - 1];
        let holders: Vec<([u8; 32], i64)> = s_.records[row - 1]
            .iter()
            .map(|(k, u)| (*k, *u))
            .collect();
        for (holder, units) in holders {
            let h = Value::from(crate::protocol::b64::encode(&holder));
            let reference = [("holder", h), ("row", int(row as i64)), ("series", s(series))];
            self.pay(date, "coupon", units * r.coupon, &reference);
            self.pay(date, "principal", units * r.principal, &reference);
        }
    }

    /// The next close's figures, as the rules compute them.
    fn figures(&self, date: &str) -> (i64, dividend::Figures) {
        let mut st = self.state.clone();
        st.advance(d(date));
        let period = st.periods.next;
        let mut f = dividend::compute(&st.close_inputs(period));
        f.v2 = true;
        (period, f)
    }

    fn close_doc(&self, date: &str, edit: impl FnOnce(&mut Object)) -> Document {
        let (period, f) = self.figures(date);
        let mut body = dividend::close_body(period, &f);
        edit(&mut body);
        self.decision(Kind::PeriodClose, date, body, &[])
    }

    /// Closes the next period; returns its figures.
    fn close(&mut self, date: &str) -> dividend::Figures {
        let (_, f) = self.figures(date);
        let doc = self.close_doc(date, |_| {});
        self.push(doc);
        f
    }

    /// Pays every member's dividend of the last close.
    fn pay_dividends(&mut self, date: &str) {
        let (period, f) = {
            let (p, f) = self.state.periods.closes.iter().next_back().expect("a close");
            (*p, f.clone())
        };
        for p in f.payouts().filter(|p| p.amount > 0) {
            self.pay(
                date,
                "dividend",
                p.amount as i64,
                &[
                    ("member", s(p.member)),
                    ("period", s(&commune::month_name(period))),
                ],
            );
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.builder.to_bytes()
    }

    /// The expected `dividends` member of the report (spec 9.3).
    fn table(&self) -> Vec<u8> {
        let rows = self
            .state
            .periods
            .closes
            .iter()
            .map(|(p, f)| dividend::figures_value(*p, f))
            .collect();
        crate::protocol::canonical::encode(&Value::Array(rows))
    }

    /// The chain with `docs` appended, of which the last breaks `rule` (and
    /// the others nothing): (its entry, the bytes). Checked here, so that a
    /// case that does not fail as its comment says does not get written.
    fn failing(&self, rule: Rule, docs: &[Document]) -> (Option<u64>, Vec<u8>) {
        let mut st = self.state.clone();
        let mut b = self.builder.clone();
        for (i, doc) in docs.iter().enumerate() {
            assert!(st.as_of.is_none_or(|d| d <= doc.date), "CHN-6");
            let got = st.apply(doc);
            if i + 1 < docs.len() {
                assert!(got.is_ok(), "collateral case: {}: {got:?}", doc.kind);
            } else {
                let f = got.expect_err("the last document breaks a rule");
                assert_eq!(f.rule, rule, "collateral case: {f}");
            }
            b.push(doc);
        }
        (Some(b.len() as u64 - 1), b.to_bytes())
    }

    fn key_of(&self, m: &str) -> &SecretKey {
        &self.keys[m]
    }
}

fn schedule_value(rows: &[commune::Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                Value::Object(obj(&[
                    ("coupon", int(r.coupon)),
                    ("due", s(&r.due.to_string())),
                    ("principal", int(r.principal)),
                ]))
            })
            .collect(),
    )
}

fn holder(k: &SecretKey) -> Value {
    pk(k)
}

/// The body of a sale of `asset`: (holder, claim, amount) per holder.
fn sale_body(asset: &str, price: i64, shares: &[(&SecretKey, i64, i64)], surplus: i64, written_down: i64) -> Object {
    let mut shares = shares.to_vec();
    shares.sort_by_key(|(k, _, _)| k.public_key()); // COM-4: by key bytes
    let list: Vec<(Value, i64, i64)> =
        shares.iter().map(|(k, c, a)| (holder(k), *c, *a)).collect();
    obj(&[
        ("asset", s(asset)),
        ("buyer", s("Druckerei Süd GmbH")),
        (
            "distribution",
            Value::Array(
                list.into_iter()
                    .map(|(h, c, a)| {
                        Value::Object(obj(&[("amount", int(a)), ("claim", int(c)), ("holder", h)]))
                    })
                    .collect(),
            ),
        ),
        ("price", int(price)),
        ("surplus", int(surplus)),
        ("text", text_hash(&format!("Sale of the {asset}.\n"))),
        ("written_down", int(written_down)),
    ])
}

/// Bondholders and bidders, outside the commune.
fn h(n: u8) -> SecretKey {
    key(110 + n)
}

/// Story 1: a press rented to `c` and funded by 60 units of a linear
/// series (face 1,000, 4 payments at 1,200 bps from 2026-02-10, 5 grace
/// days): per unit rows (10 + 250), (7 + 250), (5 + 250), (2 + 250).
/// Holders H1 40 units, H2 20. Rent 16,000 a month from 2026-02-05 (the
/// service is at most 60 × 260 = 15,600). February and March are paid;
/// in April the rent is not, the commune cannot pay row 3, which is in
/// default from 2026-04-16; the lease is ended on 04-20 and the press sold
/// on 04-25.
fn default_and_sale_prefix() -> Story {
    let mut st = Story::new("Presse commune", 0, false, "reserve");
    let (h1, h2) = (h(1), h(2));
    st.asset("2026-01-02", "press", 60_000);
    st.series("2026-01-03", "press-a", "press", "2026-02-10", 4, 60, false, 0, 5);
    st.sell_bonds("2026-01-04", "press-a", &h1, 40);
    st.sell_bonds("2026-01-04", "press-a", &h2, 20);
    st.pay("2026-01-05", "asset_purchase", 60_000, &[("asset", s("press"))]);
    st.lease("2026-01-06", "press-lease", "press", "c", "2026-02-05", 4, 16_000, "press-a");
    st.rent("2026-02-05", "press-lease", 1, 16_000);
    st.service("2026-02-10", "press-a", 1);
    // January: nothing; February: 16,000 − 60 × 260 = 400, 133 each
    // (floor(400 × 28 / 84)), carry 1
    st.close("2026-03-01");
    let feb = st.close("2026-03-01");
    assert_eq!((feb.net, feb.dividend, feb.carry_out), (400, 133, 1));
    st.rent("2026-03-05", "press-lease", 2, 16_000);
    st.service("2026-03-10", "press-a", 2);
    // March: 16,000 − 60 × 257 + 1 = 581, floor(581 × 31 / 93) = 193, carry 2
    let mar = st.close("2026-04-01");
    assert_eq!((mar.net, mar.dividend, mar.carry_out), (581, 193, 2));
    assert_eq!(st.state.cash, 980);
    st
}

/// The lease ended for default on 2026-04-20 (row 3 is then 5 days in
/// default: due 04-10, grace 5).
fn default_and_sale_ended() -> Story {
    let mut st = default_and_sale_prefix();
    let body = obj(&[("agreement", s("press-lease")), ("reason", s("default"))]);
    let doc = st.decision(Kind::RentalEnd, "2026-04-20", body, &[]);
    st.push(doc);
    let defaults: Vec<i64> = st
        .state
        .arrears()
        .iter()
        .filter_map(commune::Arrear::default_days)
        .collect();
    assert_eq!(defaults, [5, 5], "row 3, both holders");
    st
}

/// The sale: claims H1 40 × 250 + 40 × 255 = 20,200, H2 10,100; total
/// 30,300; price 25,000: floor(25,000 × 20,200 / 30,300) = 16,666 rem
/// 20,200 and floor(25,000 × 10,100 / 30,300) = 8,333 rem 10,100; the one
/// unit left goes to H1 (larger remainder): 16,667 and 8,333; written down
/// 5,300.
fn the_sale(st: &Story, h1_amount: i64, h2_amount: i64) -> Document {
    sale_on(st, "2026-04-25", h1_amount, h2_amount)
}

fn sale_on(st: &Story, date: &str, h1_amount: i64, h2_amount: i64) -> Document {
    let body = sale_body(
        "press",
        25_000,
        &[(&h(1), 20_200, h1_amount), (&h(2), 10_100, h2_amount)],
        0,
        5_300,
    );
    st.decision(Kind::AssetSale, date, body, &[])
}

fn default_and_sale() -> Story {
    let mut st = default_and_sale_ended();
    let split = st.state.sale_split("press", d("2026-04-25"), 25_000);
    let got: Vec<(i128, i128)> = split.shares.iter().map(|x| (x.claim, x.amount)).collect();
    // H2's key sorts before H1's
    assert!(h(2).public_key() < h(1).public_key());
    let want = vec![(10_100, 8_333), (20_200, 16_667)];
    assert_eq!(got, want);
    let sale = the_sale(&st, 16_667, 8_333);
    st.push(sale);
    st.pay("2026-04-28", "proceeds", 16_667, &[("asset", s("press")), ("holder", pk(&h(1)))]);
    st.pay("2026-04-28", "proceeds", 8_333, &[("asset", s("press")), ("holder", pk(&h(2)))]);
    // April: no rent, row 3 counted (60 × 255), carry 2: −15,298
    let apr = st.close("2026-05-01");
    assert_eq!(apr.net, -15_298);
    // the renter pays instalment 3 late; row 4 (due 05-10) was cancelled by
    // the sale: May = 16,000 − 15,298 = 702, 234 each
    st.rent("2026-05-05", "press-lease", 3, 16_000);
    let may = st.close("2026-06-01");
    assert_eq!((may.service, may.net, may.dividend, may.carry_out), (0, 702, 234, 0));
    st
}

/// Story 2: a van rented to `a`, funded by 20 units (H1 12, H3 8) of a
/// callable linear series (face 1,000, 4 payments at 1,200 bps from
/// 2026-03-10, premium 200 bps, 10 grace days); reserve 1,000 bps, and the
/// charter covers deficits from the reserve. January brings 10,000 of
/// income (reserve 1,000), February 6,000 of rent (reserve 600).
fn call_prefix() -> Story {
    let mut st = Story::new("Van commune", 1_000, true, "reserve");
    let (h1, h3) = (h(1), h(3));
    st.pay("2026-01-02", "income", 10_000, &[("source", s("members' contributions"))]);
    st.asset("2026-01-03", "van", 20_000);
    st.series("2026-01-04", "van-a", "van", "2026-03-10", 4, 20, true, 200, 10);
    st.sell_bonds("2026-01-05", "van-a", &h1, 12);
    st.sell_bonds("2026-01-05", "van-a", &h3, 8);
    st.pay("2026-01-06", "asset_purchase", 20_000, &[("asset", s("van"))]);
    st.lease("2026-01-07", "van-lease", "van", "a", "2026-02-05", 6, 6_000, "van-a");
    let jan = st.close("2026-02-02");
    assert_eq!((jan.reserve, jan.dividend, jan.reserve_balance), (1_000, 3_000, 1_000));
    st.pay_dividends("2026-02-03");
    st.rent("2026-02-05", "van-lease", 1, 6_000);
    let feb = st.close("2026-03-01");
    assert_eq!((feb.reserve, feb.dividend, feb.reserve_balance), (600, 1_800, 1_600));
    st.pay_dividends("2026-03-02");
    st.rent("2026-03-05", "van-lease", 2, 6_000);
    st.service("2026-03-10", "van-a", 1);
    st
}

/// The call of 2 of H1's units on 2026-03-15: principal outstanding after
/// row 1 is 750, the price 750 + floor(750 × 200 / 10,000) = 765.
fn the_call(st: &Story, units: i64, price: i64) -> Document {
    let body = obj(&[
        ("call", s("call-1")),
        (
            "holders",
            Value::Array(vec![Value::Object(obj(&[
                ("holder", pk(&h(1))),
                ("units", int(units)),
            ]))]),
        ),
        ("price", int(price)),
        ("series", s("van-a")),
    ]);
    st.decision(Kind::BondCall, "2026-03-15", body, &[])
}

fn call_and_draw_prefix() -> Story {
    let mut st = call_prefix();
    assert_eq!(st.state.call_price_of("van-a", d("2026-03-15")), Some(765));
    let call = the_call(&st, 2, 765);
    st.push(call);
    st.pay("2026-03-16", "redemption", 1_530, &[("call", s("call-1")), ("holder", pk(&h(1)))]);
    // March: 6,000 − 20 × 260 − 2 × 765 = −730, covered from the reserve
    // (balance 1,600): net 0, balance 870
    let mar = st.close("2026-04-01");
    assert_eq!(
        (mar.service, mar.covered, mar.net, mar.reserve_balance),
        (6_730, 730, 0, 870)
    );
    st.rent("2026-04-05", "van-lease", 3, 6_000);
    // row 2 is owed on the 18 units still held: 18 × 257 = 4,626
    st.service("2026-04-10", "van-a", 2);
    st
}

fn draw_doc(st: &Story, amount: i64) -> Document {
    let body = obj(&[
        ("amount", int(amount)),
        ("draw", s("repaint")),
        ("purpose", s("repaint the van")),
    ]);
    st.decision(Kind::ReserveDraw, "2026-04-20", body, &[])
}

/// The call story up to April's close: the draw of 500 and the expense it
/// pays.
fn call_and_reserve_open() -> Story {
    let mut st = call_and_draw_prefix();
    let draw = draw_doc(&st, 500);
    st.push(draw);
    let body = obj(&[
        ("amount", int(500)),
        ("approval", s("paint")),
        ("payee", s("Lackiererei Ost")),
        ("purpose", s("repaint the van")),
    ]);
    let doc = st.decision(Kind::ExpenseApproval, "2026-04-21", body, &[]);
    st.push(doc);
    st.pay("2026-04-22", "expense", 500, &[("approval", s("paint"))]);
    st
}

fn call_and_reserve() -> Story {
    let mut st = call_and_reserve_open();
    // April: 6,000 − 4,626 − 500 + 500 drawn = 1,374; reserve 137, pool
    // 1,237, floor(1,237 × 30 / 90) = 412 each, carry 1; balance 370 + 137
    let apr = st.close("2026-05-01");
    assert_eq!(
        (apr.drawn, apr.net, apr.reserve, apr.dividend, apr.carry_out, apr.reserve_balance),
        (500, 1_374, 137, 412, 1, 507)
    );
    st
}

/// Story 3: a kiln's series (linear, face 1,000, 2 payments from
/// 2026-02-10, 100 units, maximum 900 bps) sold at auction: bids in chain
/// order b1 700 × 40, b2 500 × 30, b3 600 × 50, b4 600 × 10 (the spec
/// 14.6 example): clearing 700 bps, b1 10, b2 30, b3 50, b4 10.
fn auction_prefix() -> Story {
    let mut st = Story::new("Kiln commune", 0, false, "income");
    st.asset("2026-01-02", "kiln", 100_000);
    let body = obj(&[
        ("amortisation", s("linear")),
        ("asset", s("kiln")),
        ("call_premium_bps", int(0)),
        ("callable", Value::Bool(false)),
        ("closes", s("2026-01-20")),
        ("face", int(1_000)),
        ("first_due", s("2026-02-10")),
        ("grace_days", int(3)),
        ("max_rate_bps", int(900)),
        ("payments", int(2)),
        ("series", s("kiln-a")),
        ("text", text_hash("Terms of kiln-a, offered at auction.\n")),
        ("units", int(100)),
    ]);
    let doc = st.decision(Kind::Auction, "2026-01-03", body, &[]);
    st.push(doc);
    for (n, date, rate, units) in [
        (1, "2026-01-05", 700, 40),
        (2, "2026-01-06", 500, 30),
        (3, "2026-01-07", 600, 50),
        (4, "2026-01-08", 600, 10),
    ] {
        let doc = bid_doc(&st, n, date, rate, units, &h(n + 3));
        st.push(doc);
    }
    st
}

/// Bid `b<n>` by bidder key `h(n + 3)`, signed by `signer`.
fn bid_doc(st: &Story, n: u8, date: &str, rate: i64, units: i64, signer: &SecretKey) -> Document {
    let body = obj(&[
        ("auction", s("kiln-a")),
        ("bid", s(&format!("b{n}"))),
        ("bidder", pk(&h(n + 3))),
        ("rate_bps", int(rate)),
        ("units", int(units)),
    ]);
    st.doc_signed(Kind::Bid, date, body, &[signer])
}

/// The result: `allocations` (bid, units), the rate, the schedule's rate.
fn result_doc(st: &Story, date: &str, allocations: &[(&str, i64)], rate: i64, schedule_rate: i64) -> Document {
    let rows = commune::schedule(true, 1_000, 2, schedule_rate, d("2026-02-10"));
    let body = obj(&[
        (
            "allocations",
            Value::Array(
                allocations
                    .iter()
                    .map(|(b, u)| Value::Object(obj(&[("bid", s(b)), ("units", int(*u))])))
                    .collect(),
            ),
        ),
        ("auction", s("kiln-a")),
        ("rate_bps", int(rate)),
        ("schedule", schedule_value(&rows)),
    ]);
    st.by_treasurer(Kind::AuctionResult, date, body)
}

const ALLOCATIONS: [(&str, i64); 4] = [("b1", 10), ("b2", 30), ("b3", 50), ("b4", 10)];

fn auction() -> Story {
    let mut st = auction_prefix();
    let c = st.state.clearing("kiln-a").expect("bids");
    assert_eq!((c.rate_bps, c.units.clone()), (700, vec![10, 30, 50, 10]));
    let doc = result_doc(&st, "2026-01-21", &ALLOCATIONS, 700, 700);
    st.push(doc);
    // 100 units at face: cash 100,000; rows per unit (5 + 500), (2 + 500)
    assert_eq!(st.state.cash, 100_000);
    assert_eq!(
        st.state.series["kiln-a"]
            .rows
            .iter()
            .map(|r| (r.coupon, r.principal))
            .collect::<Vec<_>>(),
        [(5, 500), (2, 500)]
    );
    st.pay("2026-01-22", "asset_purchase", 100_000, &[("asset", s("kiln"))]);
    st.lease("2026-01-23", "kiln-lease", "kiln", "b", "2026-02-05", 2, 52_000, "kiln-a");
    st.close("2026-02-02");
    st.rent("2026-02-05", "kiln-lease", 1, 52_000);
    st.service("2026-02-10", "kiln-a", 1);
    // February: 52,000 − 100 × 505 = 1,500, 500 each
    let feb = st.close("2026-03-01");
    assert_eq!((feb.net, feb.dividend), (1_500, 500));
    st.rent("2026-03-05", "kiln-lease", 2, 52_000);
    st.service("2026-03-10", "kiln-a", 2);
    // the series is redeemed and the lease over: the kiln is sold for
    // 70,000, nothing is owed to anyone, so it is all surplus, income of
    // March under this charter
    let split = st.state.sale_split("kiln", d("2026-03-20"), 70_000);
    assert_eq!((split.shares.len(), split.surplus, split.written_down), (0, 70_000, 0));
    let mut body = sale_body("kiln", 70_000, &[], 70_000, 0);
    body.insert("buyer", s("Töpferei Nord"));
    let doc = st.decision(Kind::AssetSale, "2026-03-20", body, &[]);
    st.push(doc);
    // March: 52,000 − 100 × 502 + 70,000 = 71,800; floor(71,800 / 3) = 23,933, carry 1
    let mar = st.close("2026-04-01");
    assert_eq!((mar.income, mar.net, mar.dividend, mar.carry_out), (70_000, 71_800, 23_933, 1));
    st
}

/// Adds the collateral cases to `g`.
pub(crate) fn cases(g: &mut Gen) {
    let v2 = "A version 2 chain: every document carries \"v\":2.";
    // --- the valid stories
    let st = default_and_sale();
    g.valid(
        "collateral_default_and_sale",
        &[Rule::Liq1, Rule::Liq2, Rule::Pay1, Rule::Div2, Rule::Div3, Rule::Ref3],
        "A press rented to c, funded by 60 units of a linear series (face 1,000, 4 payments at \
         1,200 bps, 5 grace days) held by H1 (40) and H2 (20). Rent stops in April and row 3 is not \
         paid: in default from 16 April. The lease is ended for default on 20 April and the press \
         sold on 25 April for 25,000 against claims of 20,200 (H1: 40 × 250 outstanding + 40 × 255 \
         unpaid) and 10,100 (H2): floor shares 16,666 and 8,333, the unit left to H1 (the larger \
         remainder): 16,667 and 8,333, 5,300 written down, row 4 cancelled. April's close counts \
         row 3 (−15,298 carried); the late rent of May makes it good (702, 234 each).",
        st.bytes(),
    )
    .comment(v2)
    .dividends = Some(st.table());

    let st = call_and_reserve();
    g.valid(
        "collateral_call_and_reserve",
        &[Rule::Cal1, Rule::Cal2, Rule::Res1, Rule::Pay1, Rule::Div2, Rule::Div3],
        "A van funded by a callable series (premium 200 bps); reserve 1,000 bps and the charter \
         covers deficits from it. On 15 March 2 units of H1 are called at 750 + 15 = 765: March's \
         service is 20 × 260 + 2 × 765 = 6,730 against 6,000 of rent; the deficit of 730 is covered \
         from the reserve (1,600 → 870). Row 2 is owed on the 18 units still held. In April 500 is \
         drawn from the reserve by decision to pay an approved expense of 500: net 1,374, reserve \
         137, 412 each, balance 507.",
        st.bytes(),
    )
    .comment(v2)
    .dividends = Some(st.table());

    let st = auction();
    g.valid(
        "collateral_auction",
        &[
            Rule::Auc1,
            Rule::Auc2,
            Rule::Auc3,
            Rule::Auc4,
            Rule::Sch1,
            Rule::Aut3,
            Rule::Aut4,
            Rule::Liq1,
            Rule::Liq2,
            Rule::Div2,
        ],
        "A kiln's series (100 units, face 1,000, 2 linear payments, at most 900 bps) sold at \
         auction: bids b1 700 bps × 40, b2 500 × 30, b3 600 × 50, b4 600 × 10, in chain order. \
         Lowest rates first, equal rates in chain order: b2 30, b3 50, b4 10, then b1 10 of its 40 \
         (the marginal bid, filled in part). Clearing rate 700 bps: rows (5 + 500), (2 + 500) per \
         unit. Once redeemed and the lease over, the kiln is sold for 70,000; nothing is owed to \
         bondholders, so all of it is surplus, which this charter makes income of March.",
        st.bytes(),
    )
    .comment(v2)
    .dividends = Some(st.table());

    // --- failing cases
    let mut case = |rule: Rule, short: &str, comment: &str, (entry, data): (Option<u64>, Vec<u8>)| {
        g.invalid(rule, short, entry, comment, data).comment(v2);
    };

    // LIQ-1
    let st = default_and_sale_prefix();
    let sale = the_sale(&st, 16_667, 8_333);
    case(
        Rule::Liq1,
        "asset_still_rented",
        "The press is sold on 25 April while its lease (last instalment due 5 May) is active: \
         the lease must be ended first.",
        st.failing(Rule::Liq1, &[sale]),
    );
    let st = default_and_sale();
    let again = sale_on(&st, "2026-06-02", 16_667, 8_333);
    case(
        Rule::Liq1,
        "sold_twice",
        "The press, sold on 25 April, is sold again on 2 June.",
        st.failing(Rule::Liq1, &[again]),
    );

    // LIQ-2
    let st = default_and_sale_ended();
    let sale = the_sale(&st, 16_666, 8_334);
    case(
        Rule::Liq2,
        "remainder_to_the_wrong_holder",
        "The split gives the unit rounding leaves to H2 (8,334) instead of H1, whose remainder \
         (20,200) is the larger. H2's key sorts first: its amount is expected 8,333, found 8,334.",
        st.failing(Rule::Liq2, &[sale]),
    );
    let body = sale_body(
        "press",
        25_000,
        &[(&h(1), 20_000, 16_502), (&h(2), 10_000, 8_498)],
        0,
        5_000,
    );
    let sale = st.decision(Kind::AssetSale, "2026-04-25", body, &[]);
    case(
        Rule::Liq2,
        "unpaid_coupon_left_out",
        "The claims leave out row 3, due and unpaid (5 + 250 per unit). H2's key sorts first: \
         its claim is expected 10,100 (20 × 250 + 20 × 255), found 10,000.",
        st.failing(Rule::Liq2, &[sale]),
    );

    // PAY-1 on the collateral's payments
    let st = default_and_sale_ended();
    let sale = the_sale(&st, 16_667, 8_333);
    let wrong = st.payment_doc(
        "2026-04-28",
        "proceeds-h2",
        "proceeds",
        8_334,
        &[("asset", s("press")), ("holder", pk(&h(2)))],
    );
    case(
        Rule::Pay1,
        "proceeds_more_than_the_share",
        "H2's share of the sale is 8,333; a payment of 8,334 is refused.",
        st.failing(Rule::Pay1, &[sale.clone(), wrong]),
    );
    let coupon = st.payment_doc(
        "2026-04-28",
        "late-coupon",
        "coupon",
        200,
        &[("holder", pk(&h(1))), ("row", int(3)), ("series", s("press-a"))],
    );
    case(
        Rule::Pay1,
        "coupon_of_a_settled_series",
        "After the sale, row 3's coupon (40 × 5 to H1) is settled by the sale's split: it can no \
         longer be paid as a coupon.",
        st.failing(Rule::Pay1, &[sale.clone(), coupon]),
    );
    let lease = {
        let body = obj(&[
            ("agreement", s("press-lease-2")),
            ("asset", s("press")),
            ("guarantees", Value::Array(vec![])),
            ("instalments", int(2)),
            (
                "rent",
                Value::Array(vec![Value::Object(obj(&[("amount", int(100)), ("from", int(1))]))]),
            ),
            ("renters", Value::Array(vec![s("b")])),
            ("start", s("2026-05-05")),
            ("text", text_hash("Lease press-lease-2.\n")),
        ]);
        st.decision(Kind::RentalAgreement, "2026-04-26", body, &[st.key_of("b")])
    };
    case(
        Rule::Ref3,
        "rent_a_sold_asset",
        "The press, sold on 25 April, has left the commune's stock: it cannot be rented.",
        st.failing(Rule::Ref3, &[sale, lease]),
    );

    // CAL-1, CAL-2
    let st = call_prefix();
    let call = the_call(&st, 13, 765);
    case(
        Rule::Cal1,
        "more_units_than_held",
        "A call of 13 units from H1, who holds 12: expected 12, found 13.",
        st.failing(Rule::Cal1, &[call]),
    );
    let call = the_call(&st, 2, 750);
    case(
        Rule::Cal2,
        "price_without_the_premium",
        "The call price is the principal outstanding after row 1 (750) plus 200 bps of it: \
         750 + floor(750 × 200 / 10,000) = 765, not 750.",
        st.failing(Rule::Cal2, &[call]),
    );
    let st = default_and_sale_prefix();
    let body = obj(&[
        ("call", s("call-p")),
        (
            "holders",
            Value::Array(vec![Value::Object(obj(&[("holder", pk(&h(1))), ("units", int(1))]))]),
        ),
        ("price", int(500)),
        ("series", s("press-a")),
    ]);
    let call = st.decision(Kind::BondCall, "2026-04-02", body, &[]);
    case(
        Rule::Cal1,
        "series_not_callable",
        "The press's series was issued with callable false: none of its units can be called.",
        st.failing(Rule::Cal1, &[call]),
    );
    let st = call_and_draw_prefix();
    let twice = st.payment_doc(
        "2026-04-11",
        "redeem-again",
        "redemption",
        1_530,
        &[("call", s("call-1")), ("holder", pk(&h(1)))],
    );
    case(
        Rule::Pay1,
        "redemption_paid_twice",
        "H1's redemption under call-1 (2 × 765) was paid on 16 March; it is paid again.",
        st.failing(Rule::Pay1, &[twice]),
    );

    // RES-1
    let draw = draw_doc(&st, 871);
    case(
        Rule::Res1,
        "draw_exceeds_balance",
        "The reserve holds 870 after March's close covered 730 of 1,600; a draw of 871 is \
         refused: expected 870, found 871.",
        st.failing(Rule::Res1, &[draw]),
    );

    // DIV-2 with the reserve's figures
    let st = call_and_reserve_open();
    let close = st.close_doc("2026-05-01", |b| {
        b.insert("reserve_balance", int(370));
    });
    case(
        Rule::Div2,
        "reserve_balance_without_the_reserve_set_aside",
        "April's close declares the reserve's balance after the draw (870 − 500 = 370) but \
         forgets the 137 set aside: expected 507, found 370.",
        st.failing(Rule::Div2, &[close]),
    );
    let st = {
        let mut st = call_prefix();
        let call = the_call(&st, 2, 765);
        st.push(call);
        st
    };
    let close = {
        let (period, mut f) = st.figures("2026-04-01");
        f.v2 = false;
        let body = dividend::close_body(period, &f);
        let mut doc = Document::new(st.commune, Kind::PeriodClose, d("2026-04-01"), body);
        assert_eq!(doc.v, 1);
        doc.sign(st.key_of("a")).expect("one");
        doc.sign(st.key_of("b")).expect("two");
        doc
    };
    case(
        Rule::Div2,
        "version_1_close_of_a_covered_deficit",
        "March's close is a version 1 document, which declares no reserve figures, so `covered` \
         counts as 0; but the charter's policy covers 730 of March's deficit from the reserve: \
         expected 730, found 0.",
        st.failing(Rule::Div2, &[close]),
    );

    // AUC-1 … AUC-4, AUT-3, SCH-1
    let st = auction_prefix();
    let late = bid_doc(&st, 5, "2026-01-21", 400, 10, &h(8));
    case(
        Rule::Auc1,
        "bid_after_close",
        "A bid dated 21 January for an auction that closed on the 20th.",
        st.failing(Rule::Auc1, &[late]),
    );
    let high = bid_doc(&st, 5, "2026-01-20", 901, 10, &h(8));
    case(
        Rule::Auc1,
        "rate_above_the_maximum",
        "A bid at 901 bps; the auction accepts at most 900: expected 900, found 901.",
        st.failing(Rule::Auc1, &[high]),
    );
    let forged = bid_doc(&st, 5, "2026-01-19", 400, 10, &h(4));
    case(
        Rule::Aut3,
        "bid_signed_by_someone_else",
        "Bid b5 names bidder key 118 but is signed by key 114 (b1's bidder): it is not the \
         bidder's bid.",
        st.failing(Rule::Aut3, &[forged]),
    );
    let early = result_doc(&st, "2026-01-20", &ALLOCATIONS, 700, 700);
    case(
        Rule::Auc2,
        "settled_before_it_closes",
        "The result is dated 20 January, the auction's closing day, when bids may still come.",
        st.failing(Rule::Auc2, &[early]),
    );
    let wrong_rate = result_doc(&st, "2026-01-21", &ALLOCATIONS, 600, 600);
    case(
        Rule::Auc3,
        "clearing_rate_of_a_full_bid",
        "The result declares 600 bps, the rate of the last bid filled in full; the marginal bid \
         (b1, 10 of 40 at 700) sets the clearing rate: expected 700, found 600.",
        st.failing(Rule::Auc3, &[wrong_rate]),
    );
    let whole = result_doc(
        &st,
        "2026-01-21",
        &[("b1", 40), ("b2", 30), ("b3", 30)],
        700,
        700,
    );
    case(
        Rule::Auc4,
        "marginal_bid_filled_whole",
        "The allocation fills b1 whole (40) and cuts b3 to 30: b1 is the marginal bid and gets \
         the 10 units left after b2, b3 and b4: expected 10, found 40.",
        st.failing(Rule::Auc4, &[whole]),
    );
    let at_max = result_doc(&st, "2026-01-21", &ALLOCATIONS, 700, 900);
    case(
        Rule::Sch1,
        "auction_schedule_at_the_maximum_rate",
        "The result's schedule is computed at the auction's maximum rate (900 bps, coupon 7) \
         instead of the clearing rate (700 bps, coupon 5): row 1's coupon expected 5, found 7.",
        st.failing(Rule::Sch1, &[at_max]),
    );
}
