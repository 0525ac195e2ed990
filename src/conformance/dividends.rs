//! The dividend cases (spec chapter 11; `dividends.rs`): small communes whose
//! every period close is declared, each built around one edge case of the
//! dividend rule, with its expected dividend table in the `dividends:`
//! header; failing cases for DIV-1 … DIV-3; and `tables/dividends.json`,
//! the computation of §11.3 on its own.
//!
//! The expected figures come from the library, but every scenario also
//! asserts, as it is built, the figures worked out by hand from the spec in
//! its comments: a generator that disagreed with them would panic.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::build::{self, Gen, covers, key, obj, payment, pk, row, s, signed, text_hash};
use crate::commune::dividend::{self, Figures, Inputs};
use crate::commune::{self, State};
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::Hash;
use crate::protocol::rule::Rule;
use crate::protocol::sig::SecretKey;

/// A small commune under construction: every document is applied to a
/// [`State`] as it is added, and must be lawful.
struct Mini {
    builder: Builder,
    state: State,
    commune: Hash,
    keys: BTreeMap<String, SecretKey>,
    payments: usize,
    /// Payment ids in order.
    ids: Vec<String>,
}

fn d(s: &str) -> Date {
    Date::parse(s).expect("fixed dates are valid")
}

impl Mini {
    /// A commune founded on `date` by `founders` (id, key seed), every one a
    /// treasurer, majority thresholds, `reserve_bps`.
    fn new(date: &str, founders: &[(&str, u8)], reserve_bps: i64) -> Mini {
        let mut keys = BTreeMap::new();
        let list = founders
            .iter()
            .map(|(id, seed)| {
                let k = key(*seed);
                let v = Value::Object(obj(&[
                    ("key", pk(&k)),
                    ("member", s(id)),
                ]));
                keys.insert(id.to_string(), k);
                v
            })
            .collect();
        let thresholds = commune::thresholds_value(5001, 5001);
        let body = obj(&[
            ("bonds_transferable", Value::Bool(false)),
            ("bylaws", text_hash("Bylaws.\n")),
            (
                "currency",
                Value::Object(obj(&[("code", s("EUR")), ("exponent", Value::Int(2))])),
            ),
            ("founders", Value::Array(list)),
            ("name", s("Dividend Commune")),
            ("reserve_bps", Value::Int(reserve_bps)),
            ("thresholds", Value::Object(thresholds)),
            (
                "treasurers",
                Value::Array(founders.iter().map(|f| s(f.0)).collect()),
            ),
        ]);
        let commune = chain::commune_id(&body);
        let signers: Vec<&SecretKey> = keys.values().collect();
        let charter = signed(commune, Kind::Charter, date, body, &signers);
        let mut m = Mini {
            builder: Builder::new(),
            state: State::new(),
            commune,
            keys,
            payments: 0,
            ids: Vec::new(),
        };
        m.push(charter);
        m
    }

    fn push(&mut self, doc: Document) {
        assert!(
            self.state.as_of.is_none_or(|d| d <= doc.date),
            "dates must not decrease"
        );
        if let Err(f) = self.state.apply(&doc) {
            panic!("dividend case: a void {} on {}: {f}", doc.kind, doc.date);
        }
        self.builder.push(&doc);
    }

    fn current(&self) -> Vec<String> {
        self.state
            .members
            .iter()
            .filter(|(_, m)| m.until.is_none())
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// A decision signed by the first members needed, plus `parties`.
    fn decision(&self, kind: Kind, date: &str, body: Object, parties: &[&SecretKey]) -> Document {
        let current = self.current();
        let need = commune::required(current.len(), 5001) as usize;
        let mut signers: Vec<&SecretKey> =
            current.iter().take(need).map(|m| &self.keys[m]).collect();
        for p in parties {
            if !signers.iter().any(|k| k.public_key() == p.public_key()) {
                signers.push(p);
            }
        }
        signed(self.commune, kind, date, body, &signers)
    }

    fn treasurer(&self) -> &SecretKey {
        let t = &self.state.settings.as_ref().expect("chartered").treasurers;
        let id = t
            .iter()
            .find(|t| self.current().contains(t))
            .expect("a current treasurer");
        &self.keys[id]
    }

    fn admit(&mut self, date: &str, id: &str, seed: u8) {
        let k = key(seed);
        let body = obj(&[
            ("key", pk(&k)),
            ("member", s(id)),
        ]);
        let doc = self.decision(Kind::Admission, date, body, &[&k]);
        self.keys.insert(id.to_string(), k);
        self.push(doc);
    }

    fn leave(&mut self, date: &str, id: &str) {
        let body = obj(&[("member", s(id)), ("reason", s("voluntary"))]);
        let doc = signed(self.commune, Kind::Exit, date, body, &[&self.keys[id]]);
        self.push(doc);
    }

    /// A payment; returns its id.
    fn pay(&mut self, date: &str, purpose: &str, amount: i64, reference: Object) -> String {
        self.payments += 1;
        let id = format!("p{}", self.payments);
        let body = payment(&id, purpose, amount, reference);
        let doc = signed(self.commune, Kind::Payment, date, body, &[self.treasurer()]);
        self.push(doc);
        self.ids.push(id.clone());
        id
    }

    fn income(&mut self, date: &str, amount: i64) -> String {
        self.pay(date, "income", amount, obj(&[("source", s("sales"))]))
    }

    fn reverse(&mut self, date: &str, payment: &str) {
        let body = obj(&[("payment", s(payment)), ("reason", s("booked by mistake"))]);
        let doc = signed(
            self.commune,
            Kind::Reversal,
            date,
            body,
            &[self.treasurer()],
        );
        self.push(doc);
    }

    /// The figures of the next close as the rules compute them.
    fn next_figures(&self) -> (i64, Figures) {
        let period = self.state.periods.next;
        (period, dividend::compute(&self.state.close_inputs(period)))
    }

    /// Closes the next period on `date` with `declared` (or the true
    /// figures), returning the true figures.
    fn close_with(&mut self, date: &str, declared: Option<(i64, Figures)>) -> Figures {
        let (period, f) = self.next_figures();
        let (p, g) = declared.unwrap_or((period, f.clone()));
        let doc = self.decision(Kind::PeriodClose, date, dividend::close_body(p, &g), &[]);
        self.push(doc);
        f
    }

    fn close(&mut self, date: &str) -> Figures {
        self.close_with(date, None)
    }

    /// Pays every unpaid dividend of the last close on `date`.
    fn pay_dividends(&mut self, date: &str) {
        let (period, f) = {
            let (p, f) = self
                .state
                .periods
                .closes
                .iter()
                .next_back()
                .expect("a close");
            (*p, f.clone())
        };
        for p in f.payouts() {
            if p.amount > 0 {
                let reference = obj(&[
                    ("member", s(p.member)),
                    ("period", Value::from(commune::month_name(period))),
                ]);
                self.pay(date, "dividend", p.amount as i64, reference);
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.builder.to_bytes()
    }

    /// The chain with `doc` appended, unchecked, and its entry number.
    fn with(&self, doc: &Document) -> (Option<u64>, Vec<u8>) {
        let mut b = self.builder.clone();
        b.push(doc);
        (Some(b.len() as u64 - 1), b.to_bytes())
    }

    /// The expected `dividends` member of the report: every close's
    /// recomputed figures (spec 9.3).
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
}

/// Sets `member`'s amount in the `payouts` of a close's body.
fn declare_amount(body: &mut Object, member: &str, amount: i64) {
    let Some(Value::Array(payouts)) = body.get_mut("payouts") else {
        panic!("not a close body");
    };
    for p in payouts {
        if let Value::Object(p) = p
            && p.get("member").and_then(Value::as_str) == Some(member)
        {
            p.insert("amount", Value::Int(amount));
        }
    }
}

fn payouts(f: &Figures) -> Vec<(&str, i64, i128)> {
    f.payouts().map(|p| (p.member, p.days, p.amount)).collect()
}

/// Scenario A: a pool smaller than the members, carried, then shared.
fn pool_smaller_than_members() -> Mini {
    let mut m = Mini::new("2025-01-01", &[("a", 31), ("b", 32), ("c", 33)], 0);
    m.income("2025-01-15", 2);
    // January: net 2, W = 3 × 31 = 93, floor(2 × 31 / 93) = 0 each, carry 2
    let jan = m.close("2025-02-01");
    assert_eq!(
        (jan.net, jan.pool, jan.dividend, jan.carry_out),
        (2, 2, 0, 2)
    );
    assert_eq!(payouts(&jan), [("a", 31, 0), ("b", 31, 0), ("c", 31, 0)]);
    m.income("2025-02-10", 91);
    // February: net 91 + 2 = 93, W = 84, floor(93 × 28 / 84) = 31 each, carry 0
    let feb = m.close("2025-03-01");
    assert_eq!((feb.net, feb.dividend, feb.carry_out), (93, 31, 0));
    m.pay_dividends("2025-03-02");
    m
}

/// Scenario C: a deficit, carried, recovered before the next dividend.
fn deficit_and_recovery() -> Mini {
    let mut m = Mini::new("2025-01-01", &[("a", 41)], 1_000);
    m.income("2025-01-20", 100);
    // January: net 100, reserve floor(100 × 1000 / 10000) = 10, pool 90, a: 90
    let jan = m.close("2025-02-01");
    assert_eq!((jan.reserve, jan.pool, jan.dividend), (10, 90, 90));
    m.pay_dividends("2025-02-02");
    let body = obj(&[
        ("amount", Value::Int(10)),
        ("approval", s("tools")),
        ("payee", s("Werkzeug eG")),
        ("purpose", s("hand tools")),
    ]);
    let approval = m.decision(Kind::ExpenseApproval, "2025-02-03", body, &[]);
    m.push(approval);
    m.pay(
        "2025-02-04",
        "expense",
        10,
        obj(&[("approval", s("tools"))]),
    );
    // February: net 0 − 10 = −10: no reserve, no dividend, carry −10
    let feb = m.close("2025-03-01");
    assert_eq!(
        (feb.net, feb.reserve, feb.pool, feb.carry_out),
        (-10, 0, 0, -10)
    );
    assert_eq!(payouts(&feb), [("a", 28, 0)]);
    m.income("2025-03-15", 25);
    // March: net 25 − 10 = 15, reserve floor(1.5) = 1, pool 14, a: 14
    let mar = m.close("2025-04-01");
    assert_eq!(
        (mar.net, mar.reserve, mar.pool, mar.dividend, mar.carry_out),
        (15, 1, 14, 14, 0)
    );
    m.pay_dividends("2025-04-02");
    m
}

/// Scenario D: joining on the last day, leaving on the first, joining and
/// leaving within one month.
fn joining_and_leaving() -> Mini {
    let mut m = Mini::new("2025-01-01", &[("a", 51), ("b", 52)], 0);
    m.admit("2025-01-01", "d", 54);
    m.income("2025-01-15", 1_000);
    m.admit("2025-01-31", "c", 53);
    // January (31 days): a, b, d 31 days, c 1 day; W = 94;
    // floor(1000 × 31 / 94) = 329, floor(1000 / 94) = 10; 3 × 329 + 10 = 997, carry 3
    let jan = m.close("2025-02-01");
    assert_eq!(
        payouts(&jan),
        [("a", 31, 329), ("b", 31, 329), ("c", 1, 10), ("d", 31, 329)]
    );
    assert_eq!((jan.member_days, jan.dividend, jan.carry_out), (94, 329, 3));
    m.leave("2025-02-01", "b");
    m.admit("2025-02-10", "e", 55);
    m.income("2025-02-15", 997);
    m.leave("2025-02-20", "e");
    // February (28 days): b left on the 1st (0 days, not eligible); e from the
    // 10th to the 19th: 10 days; a, c, d 28. W = 94, pool 997 + 3 = 1000;
    // floor(1000 × 28 / 94) = 297, floor(1000 × 10 / 94) = 106; carry 3
    let feb = m.close("2025-03-01");
    assert_eq!(
        payouts(&feb),
        [
            ("a", 28, 297),
            ("c", 28, 297),
            ("d", 28, 297),
            ("e", 10, 106)
        ]
    );
    assert_eq!((feb.member_days, feb.carry_out), (94, 3));
    m.pay_dividends("2025-03-02");
    m
}

/// Scenario E: a bond series fully redeemed; its asset's rent then flows to
/// the members.
fn series_redeemed() -> Mini {
    let mut m = Mini::new("2025-01-01", &[("a", 61), ("b", 62)], 0);
    let body = obj(&[
        ("asset", s("kiln")),
        ("description", s("a kiln")),
        ("price", Value::Int(1_000)),
        ("text", text_hash("kiln")),
    ]);
    let doc = m.decision(Kind::AssetAcquisition, "2025-01-05", body, &[]);
    m.push(doc);
    // face 500, 2 linear payments at 1,200 bps from 2025-02-10: coupons
    // floor(500 × 1200 / 120000) = 5 and floor(250 × 1200 / 120000) = 2,
    // principal 250 and 250: per unit 255 then 252; 2 units: 510 then 504
    let rows = commune::schedule(true, 500, 2, 1_200, d("2025-02-10"));
    assert_eq!(
        rows.iter()
            .map(|r| (r.coupon, r.principal))
            .collect::<Vec<_>>(),
        [(5, 250), (2, 250)]
    );
    let schedule = rows
        .iter()
        .map(|r| {
            Value::Object(obj(&[
                ("coupon", Value::Int(r.coupon)),
                ("due", Value::from(r.due.to_string())),
                ("principal", Value::Int(r.principal)),
            ]))
        })
        .collect();
    let body = obj(&[
        ("amortisation", s("linear")),
        ("asset", s("kiln")),
        ("face", Value::Int(500)),
        ("first_due", s("2025-02-10")),
        ("payments", Value::Int(2)),
        ("rate_bps", Value::Int(1_200)),
        ("schedule", Value::Array(schedule)),
        ("series", s("kiln-bonds")),
        ("text", text_hash("kiln bonds")),
        ("units", Value::Int(2)),
    ]);
    let doc = m.decision(Kind::BondSeries, "2025-01-06", body, &[]);
    m.push(doc);
    let holder = key(69);
    let body = obj(&[
        ("holder", pk(&holder)),
        ("price", Value::Int(500)),
        ("series", s("kiln-bonds")),
        ("units", Value::Int(2)),
    ]);
    let doc = signed(
        m.commune,
        Kind::BondSale,
        "2025-01-07",
        body,
        &[&holder, m.treasurer()],
    );
    m.push(doc);
    m.pay(
        "2025-01-08",
        "asset_purchase",
        1_000,
        obj(&[("asset", s("kiln"))]),
    );
    let body = obj(&[
        ("agreement", s("kiln-lease")),
        ("asset", s("kiln")),
        ("guarantees", Value::Array(vec![s("kiln-bonds")])),
        ("instalments", Value::Int(4)),
        (
            "rent",
            Value::Array(vec![Value::Object(obj(&[
                ("amount", Value::Int(600)),
                ("from", Value::Int(1)),
            ]))]),
        ),
        ("renters", Value::Array(vec![s("b")])),
        ("start", s("2025-02-05")),
        ("text", text_hash("kiln lease")),
    ]);
    let renter = SecretKey::from_seed(*m.keys["b"].seed());
    let doc = m.decision(Kind::RentalAgreement, "2025-01-09", body, &[&renter]);
    m.push(doc);
    // January: nothing recognised
    let jan = m.close("2025-02-01");
    assert_eq!((jan.net, jan.carry_out), (0, 0));
    let holder_ref = |row: i64| {
        obj(&[
            ("holder", pk(&holder)),
            ("row", Value::Int(row)),
            ("series", s("kiln-bonds")),
        ])
    };
    let rent = |k: i64| {
        obj(&[
            ("agreement", s("kiln-lease")),
            ("instalment", Value::Int(k)),
        ])
    };
    m.pay("2025-02-05", "rent", 600, rent(1));
    m.pay("2025-02-10", "coupon", 10, holder_ref(1));
    m.pay("2025-02-10", "principal", 500, holder_ref(1));
    // February: 600 − 510 = 90, 45 each
    let feb = m.close("2025-03-01");
    assert_eq!((feb.service, feb.net, feb.dividend), (510, 90, 45));
    m.pay_dividends("2025-03-02");
    m.pay("2025-03-05", "rent", 600, rent(2));
    m.pay("2025-03-10", "coupon", 4, holder_ref(2));
    m.pay("2025-03-10", "principal", 500, holder_ref(2));
    // March: 600 − 504 = 96, 48 each
    let mar = m.close("2025-04-01");
    assert_eq!((mar.service, mar.net, mar.dividend), (504, 96, 48));
    m.pay_dividends("2025-04-02");
    m.pay("2025-04-05", "rent", 600, rent(3));
    // April: the series is redeemed: all 600 is shared, 300 each
    let apr = m.close("2025-05-01");
    assert_eq!((apr.service, apr.net, apr.dividend), (0, 600, 300));
    m.pay_dividends("2025-05-02");
    m
}

/// Scenario F: a rent payment reversed in a later period; the dividend
/// declared before stays payable and is paid later.
fn rent_reversed_later() -> Mini {
    let mut m = Mini::new("2025-01-01", &[("a", 71), ("b", 72)], 0);
    let body = obj(&[
        ("asset", s("van")),
        ("description", s("a van")),
        ("price", Value::Int(1)),
        ("text", text_hash("van")),
    ]);
    let doc = m.decision(Kind::AssetAcquisition, "2025-01-02", body, &[]);
    m.push(doc);
    let body = obj(&[
        ("agreement", s("van-lease")),
        ("asset", s("van")),
        ("guarantees", Value::Array(vec![])),
        ("instalments", Value::Int(3)),
        (
            "rent",
            Value::Array(vec![Value::Object(obj(&[
                ("amount", Value::Int(300)),
                ("from", Value::Int(1)),
            ]))]),
        ),
        ("renters", Value::Array(vec![s("a")])),
        ("start", s("2025-01-05")),
        ("text", text_hash("van lease")),
    ]);
    let renter = SecretKey::from_seed(*m.keys["a"].seed());
    let doc = m.decision(Kind::RentalAgreement, "2025-01-03", body, &[&renter]);
    m.push(doc);
    let rent = |k: i64| obj(&[("agreement", s("van-lease")), ("instalment", Value::Int(k))]);
    let first = m.pay("2025-01-05", "rent", 300, rent(1));
    // January: 300, 150 each (declared, not paid yet)
    let jan = m.close("2025-02-01");
    assert_eq!(jan.dividend, 150);
    m.pay("2025-02-05", "rent", 300, rent(2));
    // the January payment was booked by mistake: reversed on 2025-02-10, so
    // recognised in February as −300 (max(due 01-05, reversal 02-10))
    m.reverse("2025-02-10", &first);
    let feb = m.close("2025-03-01");
    assert_eq!((feb.rent, feb.net, feb.dividend), (0, 0, 0));
    m.pay("2025-03-05", "rent", 300, rent(3));
    let mar = m.close("2025-04-01");
    assert_eq!(mar.dividend, 150);
    // January's dividends, still payable, are paid now
    for member in ["a", "b"] {
        let reference = obj(&[("member", s(member)), ("period", s("2025-01"))]);
        m.pay("2025-04-02", "dividend", 150, reference);
    }
    m
}

/// Scenario G: the largest amounts the spec allows.
fn largest_amounts() -> Mini {
    let max = (1i64 << 53) - 1;
    let mut m = Mini::new("2025-01-01", &[("a", 81)], 1);
    m.income("2025-01-02", max);
    // net = 2^53 − 1 = 9007199254740991; reserve = floor(net × 1 / 10000)
    // = 900719925474; pool = 9006298534815517, all to a; carry 0
    let jan = m.close("2025-02-01");
    assert_eq!(
        (jan.reserve, jan.pool, jan.dividend, jan.carry_out),
        (
            900_719_925_474,
            9_006_298_534_815_517,
            9_006_298_534_815_517,
            0
        )
    );
    m.pay_dividends("2025-02-02");
    m
}

/// Adds the valid dividend cases and the DIV failing cases to `g`.
pub(crate) fn cases(g: &mut Gen) {
    let div = [Rule::Div1, Rule::Div2, Rule::Div3, Rule::Pay1];
    type Scenario = (&'static str, &'static str, fn() -> Mini);
    let scenarios: [Scenario; 6] = [
        (
            "dividends_pool_smaller_than_members",
            "Three members; January's pool of 2 is smaller than them: each gets floor(2 × 31 / 93) = 0 and 2 is carried. February: 91 + 2 = 93 shared, 31 each.",
            pool_smaller_than_members,
        ),
        (
            "dividends_deficit_and_recovery",
            "One member, reserve 1,000 bps. January: 100 in, reserve 10, dividend 90. February: an approved expense of 10 and no income: net −10, carried. March: 25 in, net 25 − 10 = 15, reserve 1, dividend 14.",
            deficit_and_recovery,
        ),
        (
            "dividends_joining_and_leaving",
            "c joins on 31 January (1 day); b leaves on 1 February (0 days in February, not eligible); e joins on 10 February and leaves on the 20th (10 days). Amounts per member-day, rounded down, remainders carried.",
            joining_and_leaving,
        ),
        (
            "dividends_series_redeemed",
            "A kiln funded by two units of a 2-payment linear series and rented for 600 a month: February and March share 600 − 510 and 600 − 504; from April the series is redeemed and the whole 600 is shared.",
            series_redeemed,
        ),
        (
            "dividends_rent_reversed_later",
            "January's rent is reversed on 10 February: −300 is recognised in February (the later of its due date and the reversal's), whose dividend is 0. January's declared dividends stay payable and are paid in April.",
            rent_reversed_later,
        ),
        (
            "dividends_largest_amounts",
            "An income of 2^53 − 1 with reserve 1 bps: reserve 900719925474, pool 9006298534815517, paid to the one member. Every product fits in 128 bits.",
            largest_amounts,
        ),
    ];
    for (name, comment, build) in scenarios {
        let m = build();
        let c = g.valid(name, &div, comment, m.bytes());
        c.dividends = Some(m.table());
    }

    // DIV-1: February closed before January
    let mut m = Mini::new("2025-01-01", &[("a", 31), ("b", 32), ("c", 33)], 0);
    m.income("2025-01-15", 2);
    let (period, f) = m.next_figures();
    let close = |m: &Mini, date: &str, body| m.decision(Kind::PeriodClose, date, body, &[]);
    let doc = close(&m, "2025-03-01", dividend::close_body(period + 1, &f));
    let (entry, data) = m.with(&doc);
    g.invalid(
        Rule::Div1,
        "period_skipped",
        entry,
        "The first close declares 2025-02 while 2025-01, the charter's month, is not closed.",
        data,
    );
    // DIV-1: dated before the period ends
    let (entry, data) = m.with(&close(&m, "2025-01-31", dividend::close_body(period, &f)));
    g.invalid(
        Rule::Div1,
        "closed_too_early",
        entry,
        "A close of 2025-01 dated 2025-01-31: a period is closed on or after the first day of the next month.",
        data,
    );
    // DIV-2: the pool declared one unit too high
    let mut body = dividend::close_body(period, &f);
    body.insert("pool", Value::Int(f.pool as i64 + 1));
    let (entry, data) = m.with(&close(&m, "2025-02-01", body));
    g.invalid(
        Rule::Div2,
        "pool_one_too_high",
        entry,
        "January's net is 2 and the reserve 0, so the pool is 2; the close declares 3 (difference +1).",
        data,
    );
    // DIV-3: one member's amount wrong
    let mut m = Mini::new("2025-01-01", &[("a", 31), ("b", 32), ("c", 33)], 0);
    m.income("2025-01-15", 93);
    let (period, f) = m.next_figures();
    assert_eq!(payouts(&f), [("a", 31, 31), ("b", 31, 31), ("c", 31, 31)]);
    let mut body = dividend::close_body(period, &f);
    declare_amount(&mut body, "b", 30);
    let (entry, data) = m.with(&close(&m, "2025-02-01", body));
    g.invalid(
        Rule::Div3,
        "payout_one_short",
        entry,
        "93 shared by three whole-month members is 31 each; the close declares 30 for b (difference −1) and keeps the totals.",
        data,
    );
    // SIG-6 after two applied closes: the report's `dividends` is empty
    let m = pool_smaller_than_members();
    let mut forged = signed(m.commune, Kind::Payment, "2025-03-03", build::income("late", 5, "late gift"), &[m.treasurer()]);
    forged.sigs[0].sig[40] ^= 1;
    let (entry, data) = m.with(&forged);
    let c = g.invalid(
        Rule::Sig6,
        "after_closes_no_dividends",
        entry,
        "January and February are closed and their dividends paid, then an income payment \
         with a forged signature: an integrity failure ends the audit, and the report's \
         `dividends` is empty although two closes were applied before it (spec 9.3).",
        data,
    );
    c.dividends = Some(b"[]".to_vec());
    // PAY-1: a dividend paid twice
    let m = pool_smaller_than_members();
    let reference = obj(&[("member", s("a")), ("period", s("2025-02"))]);
    let body = payment("again", "dividend", 31, reference);
    let doc = signed(m.commune, Kind::Payment, "2025-03-03", body, &[m.treasurer()]);
    let (entry, data) = m.with(&doc);
    g.invalid(
        Rule::Pay1,
        "dividend_paid_twice",
        entry,
        "a's February dividend of 31 was paid on 2025-03-02; paying it again is without authority.",
        data,
    );
}

/// `tables/dividends.json`: the computation of §11.3 alone, inputs to
/// figures, including a case no valid chain can reach (no eligible member).
pub(crate) fn table() -> Value {
    let days = |list: &[(&str, i64)]| -> BTreeMap<Arc<str>, i64> {
        list.iter().map(|(m, d)| (Arc::from(*m), *d)).collect()
    };
    let max = (1i128 << 53) - 1;
    let inputs = |money: [i128; 5], reserve_bps, list: &[(&str, i64)], period_days| {
        let [rent, income, service, expenses, carry_in] = money;
        let days = days(list);
        Inputs { rent, income, service, expenses, carry_in, reserve_bps, days, period_days }
    };
    // (name, comment, [rent, income, service, expenses, carry in], reserve bps, days, period days)
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, Inputs)> = vec![
        ("spec_example_1", "spec 11.6 example 1: a part-month member",
            inputs([100_000, 0, 70_000, 0, 2], 1_000, &[("a", 30), ("b", 30), ("c", 15)], 30)),
        ("pool_smaller_than_members", "spec 11.6 example 2",
            inputs([2, 0, 0, 0, 0], 0, &[("a", 31), ("b", 31), ("c", 31)], 31)),
        ("deficit", "spec 11.6 example 3, first period",
            inputs([10, 0, 25, 0, 3], 0, &[("a", 30)], 30)),
        ("deficit_recovered", "spec 11.6 example 3, second period",
            inputs([40, 0, 25, 0, -12], 0, &[("a", 31)], 31)),
        ("no_eligible_member", "W = 0 (unreachable in a valid chain, MEM-3): the pool is carried whole",
            inputs([500, 0, 0, 0, 0], 1_000, &[], 30)),
        ("largest_amounts", "rent, income and carry at 2^53 − 1: sums beyond 64 bits are exact",
            inputs([max, max, 0, 0, max], 1, &[("a", 31), ("b", 1)], 31)),
        ("expenses_and_income", "income and expenses count; reserve rounds down",
            inputs([1_000, 55, 300, 99, 1], 333, &[("a", 28), ("b", 28), ("c", 14), ("d", 1)], 28)),
    ];
    let rows = rows
        .into_iter()
        .map(|(name, comment, inputs)| {
            let f = dividend::compute(&inputs);
            let n = |v: i128| crate::audit::number(Some(v));
            let mut i = Object::new();
            i.insert("rent", n(inputs.rent));
            i.insert("income", n(inputs.income));
            i.insert("service", n(inputs.service));
            i.insert("expenses", n(inputs.expenses));
            i.insert("carry_in", n(inputs.carry_in));
            i.insert("reserve_bps", Value::Int(inputs.reserve_bps));
            i.insert("period_days", Value::Int(inputs.period_days));
            let mut dd = Object::new();
            for (m, d) in &inputs.days {
                dd.insert(&**m, Value::Int(*d));
            }
            i.insert("days", Value::Object(dd));
            row(vec![
                ("comment", s(comment)),
                ("covers", covers(&["DIV-2", "DIV-3"])),
                ("expect", dividend::figures_value(0, &f)),
                ("inputs", Value::Object(i)),
                ("name", s(name)),
            ])
        })
        .collect();
    build::table(
        "dividends",
        "The computation of spec 11.3 alone: `inputs` (rent, income, service, expenses, carry_in, reserve_bps, period_days, days per member) give `expect`, the figures of a close (its `period` member is a placeholder).",
        rows,
    )
}

/// Checks a `tables/dividends.json` row against the library.
pub(crate) fn check_row(r: &Object) -> Result<(), String> {
    let i = r
        .get("inputs")
        .and_then(Value::as_object)
        .ok_or("row without inputs")?;
    let num = |k: &str| -> Result<i128, String> {
        match i.get(k) {
            Some(Value::Int(n)) => Ok(*n as i128),
            Some(Value::Str(s)) => s.parse().map_err(|_| format!("{k} is not a number")),
            _ => Err(format!("inputs.{k} missing")),
        }
    };
    let days = i
        .get("days")
        .and_then(Value::as_object)
        .ok_or("inputs.days missing")?
        .iter()
        .map(|(m, d)| {
            Ok((
                Arc::from(m),
                d.as_i64().ok_or("a day count is not an integer")?,
            ))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    let inputs = Inputs {
        rent: num("rent")?,
        income: num("income")?,
        service: num("service")?,
        expenses: num("expenses")?,
        carry_in: num("carry_in")?,
        reserve_bps: num("reserve_bps")? as i64,
        period_days: num("period_days")? as i64,
        days,
    };
    let got = dividend::figures_value(0, &dividend::compute(&inputs));
    if r.get("expect") != Some(&got) {
        return Err("the library computes other figures".into());
    }
    Ok(())
}
