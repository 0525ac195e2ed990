//! The dividend cases (spec chapter 11; `dividends.rs`): small communes whose
//! every period close is declared, each built around one edge case of the
//! dividend rule, with its expected dividend table in the `dividends:`
//! header; failing cases for DIV-1 … DIV-3; and `tables/dividends.json`,
//! the computation of §11.3 on its own.
//!
//! A scenario is a table of [`Step`]s. The expected figures come from the
//! library, but every close also asserts, as it is built, the figures worked
//! out by hand from the spec in its comments: a generator that disagreed
//! with them would panic.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::build::{
    self, Gen, Lease, Series, covers, key, obj, payment, pk, row, s, signed, text_hash,
};
use crate::commune::dividend::{self, Inputs};
use crate::commune::{self, State};
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::Hash;
use crate::protocol::rule::Rule;
use crate::protocol::sig::SecretKey;

/// A value of a payment's `ref`.
#[derive(Clone, Copy)]
enum V {
    S(&'static str),
    I(i64),
    /// The key of seed `n`, as a holder.
    Holder(u8),
}
use V::{Holder, I, S};

type Ref = &'static [(&'static str, V)];
/// Figures a close must have: (member of the close body, value).
type Want = &'static [(&'static str, i64)];

/// One dated document of a scenario; every one must be lawful. Decisions
/// are signed by the first current members needed, payments by the first
/// current treasurer.
enum Step {
    /// `admission` of (member, key seed).
    Admit(&'static str, &'static str, u8),
    /// A voluntary `exit` of member.
    Leave(&'static str, &'static str),
    /// An `income` payment from "sales" of amount.
    Income(&'static str, i64),
    /// A payment of (purpose, amount, `ref`).
    Pay(&'static str, &'static str, i64, Ref),
    /// A `reversal` of payment id.
    Reverse(&'static str, &'static str),
    /// An `asset_acquisition` of (asset, description, price, text).
    Asset(&'static str, &'static str, &'static str, i64, &'static str),
    /// An `expense_approval` of (approval, amount, payee, purpose).
    Approve(&'static str, &'static str, i64, &'static str, &'static str),
    /// A `bond_series`.
    Bonds(&'static str, Series<'static>),
    /// A `bond_sale` of (holder key seed, series, price, units), signed by
    /// the buyer and a treasurer.
    Sale(&'static str, u8, &'static str, i64, i64),
    /// A `rental_agreement`, signed by its renters too.
    Rent(&'static str, Lease<'static>),
    /// The next `period_close` with the true figures; asserts the figures
    /// named (members of the close body) and, unless empty, the payouts
    /// (member, days, amount).
    Close(&'static str, Want, &'static [(&'static str, i64, i128)]),
    /// Pays every unpaid dividend of the last close.
    PayDividends(&'static str),
}
use Step::*;

/// An edit of a document's body before it is signed.
type Edit = dyn Fn(&mut Object);

/// A founder's or an admission's `{"key", "member"}`.
fn admission(id: &str, k: &SecretKey) -> Object {
    obj(&[("key", pk(k)), ("member", s(id))])
}

/// A small commune: founders (id, key seed), all treasurers, founded on
/// 2025-01-01 with majority thresholds and the reserve in bps; then steps.
struct Scenario {
    founders: &'static [(&'static str, u8)],
    reserve_bps: i64,
    steps: &'static [Step],
}

/// A small commune under construction: every document is applied to a
/// [`State`] as it is added, and must be lawful.
struct Mini {
    builder: Builder,
    state: State,
    commune: Hash,
    keys: BTreeMap<String, SecretKey>,
    payments: usize,
}

impl Mini {
    /// The commune of `sc` after its first `n` steps.
    fn new(sc: &Scenario, n: usize) -> Mini {
        let keys: BTreeMap<String, SecretKey> =
            sc.founders.iter().map(|(id, n)| (id.to_string(), key(*n))).collect();
        let founder = |(id, k): (&String, &SecretKey)| Value::Object(admission(id, k));
        let currency = obj(&[("code", s("EUR")), ("exponent", Value::Int(2))]);
        let body = obj(&[
            ("bonds_transferable", Value::Bool(false)),
            ("bylaws", text_hash("Bylaws.\n")),
            ("currency", Value::Object(currency)),
            ("founders", Value::Array(keys.iter().map(founder).collect())),
            ("name", s("Dividend Commune")),
            ("reserve_bps", Value::Int(sc.reserve_bps)),
            ("thresholds", Value::Object(commune::thresholds_value(5001, 5001))),
            ("treasurers", Value::Array(sc.founders.iter().map(|f| s(f.0)).collect())),
        ]);
        let commune = chain::commune_id(&body);
        let signers: Vec<_> = keys.values().collect();
        let charter = signed(commune, Kind::Charter, "2025-01-01", body, &signers);
        let (builder, state) = (Builder::new(), State::new());
        let mut m = Mini { builder, state, commune, keys, payments: 0 };
        m.push(charter);
        for step in &sc.steps[..n] {
            m.step(step);
        }
        m
    }

    /// The whole scenario.
    fn of(sc: &Scenario) -> Mini {
        Mini::new(sc, sc.steps.len())
    }

    fn push(&mut self, doc: Document) {
        let in_order = self.state.as_of.is_none_or(|d| d <= doc.date);
        assert!(in_order, "dates must not decrease");
        if let Err(f) = self.state.apply(&doc) {
            panic!("dividend case: a void {} on {}: {f}", doc.kind, doc.date);
        }
        self.builder.push(&doc);
    }

    /// Applies a step.
    fn step(&mut self, step: &Step) {
        match step {
            Admit(_, id, seed) => {
                self.keys.insert(id.to_string(), key(*seed));
            }
            PayDividends(date) => {
                let (period, f) = self.state.periods.closes.last_key_value().expect("a close");
                let period = commune::month_name(*period);
                let payouts = f.payouts().filter(|p| p.amount > 0);
                let due: Vec<_> = payouts.map(|p| (p.member.to_string(), p.amount)).collect();
                for (member, amount) in due {
                    let r = obj(&[("member", s(&member)), ("period", s(&period))]);
                    let doc = self.pay(date, "dividend", amount as i64, r, &|_| {});
                    self.push(doc);
                }
                return;
            }
            _ => {}
        }
        let doc = self.doc(step, &|_| {});
        self.push(doc);
    }

    /// The document of `step` (not [`PayDividends`]), its body edited by
    /// `edit` before signing.
    fn doc(&mut self, step: &Step, edit: &Edit) -> Document {
        let (c, int) = (self.commune, Value::Int);
        let (date, kind, mut body, parties): (&str, Kind, Object, Vec<&SecretKey>) = match step {
            Admit(date, id, seed) => {
                let body = admission(id, &key(*seed));
                (date, Kind::Admission, body, vec![&self.keys[*id]])
            }
            Leave(date, id) => {
                let body = obj(&[("member", s(id)), ("reason", s("voluntary"))]);
                return signed(c, Kind::Exit, date, body, &[&self.keys[*id]]);
            }
            Income(date, amount) => {
                return self.pay(date, "income", *amount, obj(&[("source", s("sales"))]), edit);
            }
            Pay(date, purpose, amount, r) => {
                let v = |v: &V| match v {
                    S(v) => s(v),
                    I(n) => int(*n),
                    Holder(n) => pk(&key(*n)),
                };
                let r = obj(&r.iter().map(|(k, x)| (*k, v(x))).collect::<Vec<_>>());
                return self.pay(date, purpose, *amount, r, edit);
            }
            Reverse(date, id) => {
                let body = obj(&[("payment", s(id)), ("reason", s("booked by mistake"))]);
                return signed(c, Kind::Reversal, date, body, &[self.treasurer()]);
            }
            Asset(date, asset, description, price, text) => {
                let (asset, description, text) = (s(asset), s(description), text_hash(text));
                let body = obj(&[
                    ("asset", asset),
                    ("description", description),
                    ("price", int(*price)),
                    ("text", text),
                ]);
                (date, Kind::AssetAcquisition, body, vec![])
            }
            Approve(date, approval, amount, payee, purpose) => {
                let (approval, payee, purpose) = (s(approval), s(payee), s(purpose));
                let body = obj(&[
                    ("amount", int(*amount)),
                    ("approval", approval),
                    ("payee", payee),
                    ("purpose", purpose),
                ]);
                (date, Kind::ExpenseApproval, body, vec![])
            }
            Bonds(date, series) => (date, Kind::BondSeries, series.body(), vec![]),
            Sale(date, n, series, price, units) => {
                let holder = key(*n);
                let body = obj(&[
                    ("holder", pk(&holder)),
                    ("price", int(*price)),
                    ("series", s(series)),
                    ("units", int(*units)),
                ]);
                return signed(c, Kind::BondSale, date, body, &[&holder, self.treasurer()]);
            }
            Rent(date, lease) => {
                let renters = lease.renters.iter().map(|r| &self.keys[*r]).collect();
                (date, Kind::RentalAgreement, lease.body(), renters)
            }
            Close(date, want, payouts) => {
                let period = self.state.periods.next;
                let f = dividend::compute(&self.state.close_inputs(period));
                let body = dividend::close_body(period, &f);
                for (m, v) in *want {
                    let month = commune::month_name(period);
                    assert_eq!(body.get(m), Some(&int(*v)), "{month} {m}");
                }
                if !payouts.is_empty() {
                    let got: Vec<_> = f.payouts().map(|p| (p.member, p.days, p.amount)).collect();
                    assert_eq!(&got, payouts);
                }
                (date, Kind::PeriodClose, body, vec![])
            }
            PayDividends(_) => unreachable!("several documents"),
        };
        edit(&mut body);
        self.decision(kind, date, body, &parties)
    }

    /// A decision signed by the first members needed, plus `parties`.
    fn decision(&self, kind: Kind, date: &str, body: Object, parties: &[&SecretKey]) -> Document {
        let members = self.state.members.iter();
        let current: Vec<&str> =
            members.filter(|(_, m)| m.until.is_none()).map(|(id, _)| &**id).collect();
        let need = commune::required(current.len(), 5001) as usize;
        let mut signers: Vec<&SecretKey> =
            current.iter().take(need).map(|m| &self.keys[*m]).collect();
        for p in parties {
            if !signers.iter().any(|k| k.public_key() == p.public_key()) {
                signers.push(p);
            }
        }
        signed(self.commune, kind, date, body, &signers)
    }

    /// The first current treasurer's key.
    fn treasurer(&self) -> &SecretKey {
        let t = &self.state.settings.as_ref().expect("chartered").treasurers;
        let members = &self.state.members;
        let current = |id: &&String| members.get(id.as_str()).is_some_and(|m| m.until.is_none());
        &self.keys[t.iter().find(current).expect("a current treasurer")]
    }

    /// A payment with the next id `p<n>`, its body edited by `edit`.
    fn pay(&mut self, date: &str, purpose: &str, amount: i64, r: Object, edit: &Edit) -> Document {
        self.payments += 1;
        let mut body = payment(&format!("p{}", self.payments), purpose, amount, r);
        edit(&mut body);
        signed(self.commune, Kind::Payment, date, body, &[self.treasurer()])
    }

    /// The expected `dividends` member of the report: every close's
    /// recomputed figures (spec 9.3).
    fn table(&self) -> Vec<u8> {
        let closes = self.state.periods.closes.iter();
        let rows = closes.map(|(p, f)| dividend::figures_value(*p, f)).collect();
        crate::protocol::canonical::encode(&Value::Array(rows))
    }
}

/// The rent of instalment `k` of agreement `a`.
macro_rules! rent {
    ($a:literal, $k:literal) => {
        &[("agreement", S($a)), ("instalment", I($k))]
    };
}

/// A coupon or principal to key 69 for row `k` of `kiln-bonds`.
macro_rules! kiln {
    ($k:literal) => {
        &[("holder", Holder(69)), ("row", I($k)), ("series", S("kiln-bonds"))]
    };
}

const ABC: &[(&str, u8)] = &[("a", 31), ("b", 32), ("c", 33)];

/// A pool smaller than the members, carried, then shared.
#[rustfmt::skip]
const POOL_SMALLER: Scenario = Scenario { founders: ABC, reserve_bps: 0, steps: &[
    Income("2025-01-15", 2),
    // January: net 2, W = 3 × 31 = 93, floor(2 × 31 / 93) = 0 each, carry 2
    Close("2025-02-01", &[("net", 2), ("pool", 2), ("dividend", 0), ("carry_out", 2)],
        &[("a", 31, 0), ("b", 31, 0), ("c", 31, 0)]),
    Income("2025-02-10", 91),
    // February: net 91 + 2 = 93, W = 84, floor(93 × 28 / 84) = 31 each, carry 0
    Close("2025-03-01", &[("net", 93), ("dividend", 31), ("carry_out", 0)], &[]),
    PayDividends("2025-03-02"),
] };

/// A deficit, carried, recovered before the next dividend.
#[rustfmt::skip]
const DEFICIT: Scenario = Scenario { founders: &[("a", 41)], reserve_bps: 1_000, steps: &[
    Income("2025-01-20", 100),
    // January: net 100, reserve floor(100 × 1000 / 10000) = 10, pool 90, a: 90
    Close("2025-02-01", &[("reserve", 10), ("pool", 90), ("dividend", 90)], &[]),
    PayDividends("2025-02-02"),
    Approve("2025-02-03", "tools", 10, "Werkzeug eG", "hand tools"),
    Pay("2025-02-04", "expense", 10, &[("approval", S("tools"))]),
    // February: net 0 − 10 = −10: no reserve, no dividend, carry −10
    Close("2025-03-01", &[("net", -10), ("reserve", 0), ("pool", 0), ("carry_out", -10)],
        &[("a", 28, 0)]),
    Income("2025-03-15", 25),
    // March: net 25 − 10 = 15, reserve floor(1.5) = 1, pool 14, a: 14
    Close("2025-04-01",
        &[("net", 15), ("reserve", 1), ("pool", 14), ("dividend", 14), ("carry_out", 0)], &[]),
    PayDividends("2025-04-02"),
] };

/// Joining on the last day, leaving on the first, joining and leaving
/// within one month.
#[rustfmt::skip]
const JOINING: Scenario = Scenario { founders: &[("a", 51), ("b", 52)], reserve_bps: 0, steps: &[
    Admit("2025-01-01", "d", 54),
    Income("2025-01-15", 1_000),
    Admit("2025-01-31", "c", 53),
    // January (31 days): a, b, d 31 days, c 1 day; W = 94;
    // floor(1000 × 31 / 94) = 329, floor(1000 / 94) = 10; 3 × 329 + 10 = 997, carry 3
    Close("2025-02-01", &[("member_days", 94), ("dividend", 329), ("carry_out", 3)],
        &[("a", 31, 329), ("b", 31, 329), ("c", 1, 10), ("d", 31, 329)]),
    Leave("2025-02-01", "b"),
    Admit("2025-02-10", "e", 55),
    Income("2025-02-15", 997),
    Leave("2025-02-20", "e"),
    // February (28 days): b left on the 1st (0 days, not eligible); e from the
    // 10th to the 19th: 10 days; a, c, d 28. W = 94, pool 997 + 3 = 1000;
    // floor(1000 × 28 / 94) = 297, floor(1000 × 10 / 94) = 106; carry 3
    Close("2025-03-01", &[("member_days", 94), ("carry_out", 3)],
        &[("a", 28, 297), ("c", 28, 297), ("d", 28, 297), ("e", 10, 106)]),
    PayDividends("2025-03-02"),
] };

/// A bond series fully redeemed; its asset's rent then flows to the members.
/// Face 500, 2 linear payments at 1,200 bps from 2025-02-10: coupons
/// floor(500 × 1200 / 120000) = 5 and floor(250 × 1200 / 120000) = 2,
/// principal 250 and 250: per unit 255 then 252; 2 units: 510 then 504.
#[rustfmt::skip]
const REDEEMED: Scenario = Scenario { founders: &[("a", 61), ("b", 62)], reserve_bps: 0, steps: &[
    Asset("2025-01-05", "kiln", "a kiln", 1_000, "kiln"),
    Bonds("2025-01-06", KILN_BONDS),
    Sale("2025-01-07", 69, "kiln-bonds", 500, 2),
    Pay("2025-01-08", "asset_purchase", 1_000, &[("asset", S("kiln"))]),
    Rent("2025-01-09", Lease { id: "kiln-lease", asset: "kiln", start: "2025-02-05", instalments: 4,
        guarantees: &["kiln-bonds"], rent: &[(600, 1)], renters: &["b"], text: "kiln lease" }),
    // January: nothing recognised
    Close("2025-02-01", &[("net", 0), ("carry_out", 0)], &[]),
    Pay("2025-02-05", "rent", 600, rent!("kiln-lease", 1)),
    Pay("2025-02-10", "coupon", 10, kiln!(1)),
    Pay("2025-02-10", "principal", 500, kiln!(1)),
    // February: 600 − 510 = 90, 45 each
    Close("2025-03-01", &[("service", 510), ("net", 90), ("dividend", 45)], &[]),
    PayDividends("2025-03-02"),
    Pay("2025-03-05", "rent", 600, rent!("kiln-lease", 2)),
    Pay("2025-03-10", "coupon", 4, kiln!(2)),
    Pay("2025-03-10", "principal", 500, kiln!(2)),
    // March: 600 − 504 = 96, 48 each
    Close("2025-04-01", &[("service", 504), ("net", 96), ("dividend", 48)], &[]),
    PayDividends("2025-04-02"),
    Pay("2025-04-05", "rent", 600, rent!("kiln-lease", 3)),
    // April: the series is redeemed: all 600 is shared, 300 each
    Close("2025-05-01", &[("service", 0), ("net", 600), ("dividend", 300)], &[]),
    PayDividends("2025-05-02"),
] };

/// The kiln's series of [`REDEEMED`].
#[rustfmt::skip]
const KILN_BONDS: Series<'static> = Series { id: "kiln-bonds", asset: "kiln", linear: true,
    face: 500, payments: 2, rate_bps: 1_200, first_due: "2025-02-10", units: 2, text: "kiln bonds" };

/// A rent payment reversed in a later period; the dividend declared before
/// stays payable and is paid later.
#[rustfmt::skip]
const REVERSED: Scenario = Scenario { founders: &[("a", 71), ("b", 72)], reserve_bps: 0, steps: &[
    Asset("2025-01-02", "van", "a van", 1, "van"),
    Rent("2025-01-03", Lease { id: "van-lease", asset: "van", start: "2025-01-05", instalments: 3,
        guarantees: &[], rent: &[(300, 1)], renters: &["a"], text: "van lease" }),
    Pay("2025-01-05", "rent", 300, rent!("van-lease", 1)),
    // January: 300, 150 each (declared, not paid yet)
    Close("2025-02-01", &[("dividend", 150)], &[]),
    Pay("2025-02-05", "rent", 300, rent!("van-lease", 2)),
    // the January payment was booked by mistake: reversed on 2025-02-10, so
    // recognised in February as −300 (max(due 01-05, reversal 02-10))
    Reverse("2025-02-10", "p1"),
    Close("2025-03-01", &[("rent", 0), ("net", 0), ("dividend", 0)], &[]),
    Pay("2025-03-05", "rent", 300, rent!("van-lease", 3)),
    Close("2025-04-01", &[("dividend", 150)], &[]),
    // January's dividends, still payable, are paid now
    Pay("2025-04-02", "dividend", 150, &[("member", S("a")), ("period", S("2025-01"))]),
    Pay("2025-04-02", "dividend", 150, &[("member", S("b")), ("period", S("2025-01"))]),
] };

/// The largest amounts the spec allows: net = 2^53 − 1; reserve =
/// floor(net × 1 / 10000) = 900719925474; pool = 9006298534815517, all to
/// a; carry 0.
#[rustfmt::skip]
const LARGEST: Scenario = Scenario { founders: &[("a", 81)], reserve_bps: 1, steps: &[
    Income("2025-01-02", (1 << 53) - 1),
    Close("2025-02-01", &[("reserve", 900_719_925_474), ("pool", 9_006_298_534_815_517),
        ("dividend", 9_006_298_534_815_517), ("carry_out", 0)], &[]),
    PayDividends("2025-02-02"),
] };

/// 93 in, three whole-month members: 31 each.
const EVEN: Scenario =
    Scenario { founders: ABC, reserve_bps: 0, steps: &[Income("2025-01-15", 93)] };

/// Sets member `m` of a body.
fn set(m: &'static str, v: Value) -> impl Fn(&mut Object) {
    move |o| {
        o.insert(m, v.clone());
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

/// A failing case: (rule, name, comment, a scenario and how many of its
/// steps, the last document, the edit of its body).
type Failing<'a> = (Rule, &'a str, &'a str, (&'a Scenario, usize), Step, &'a Edit);

/// Adds the valid dividend cases and the DIV failing cases to `g`.
#[rustfmt::skip]
pub(crate) fn cases(g: &mut Gen) {
    let div = [Rule::Div1, Rule::Div2, Rule::Div3, Rule::Pay1];
    let scenarios: [(&str, &str, &Scenario); 6] = [
        ("dividends_pool_smaller_than_members",
            "Three members; January's pool of 2 is smaller than them: each gets floor(2 × 31 / 93) = 0 and 2 is carried. February: 91 + 2 = 93 shared, 31 each.",
            &POOL_SMALLER),
        ("dividends_deficit_and_recovery",
            "One member, reserve 1,000 bps. January: 100 in, reserve 10, dividend 90. February: an approved expense of 10 and no income: net −10, carried. March: 25 in, net 25 − 10 = 15, reserve 1, dividend 14.",
            &DEFICIT),
        ("dividends_joining_and_leaving",
            "c joins on 31 January (1 day); b leaves on 1 February (0 days in February, not eligible); e joins on 10 February and leaves on the 20th (10 days). Amounts per member-day, rounded down, remainders carried.",
            &JOINING),
        ("dividends_series_redeemed",
            "A kiln funded by two units of a 2-payment linear series and rented for 600 a month: February and March share 600 − 510 and 600 − 504; from April the series is redeemed and the whole 600 is shared.",
            &REDEEMED),
        ("dividends_rent_reversed_later",
            "January's rent is reversed on 10 February: −300 is recognised in February (the later of its due date and the reversal's), whose dividend is 0. January's declared dividends stay payable and are paid in April.",
            &REVERSED),
        ("dividends_largest_amounts",
            "An income of 2^53 − 1 with reserve 1 bps: reserve 900719925474, pool 9006298534815517, paid to the one member. Every product fits in 128 bits.",
            &LARGEST),
    ];
    let rows: Vec<_> = KILN_BONDS.rows().iter().map(|r| (r.coupon, r.principal)).collect();
    assert_eq!(rows, [(5, 250), (2, 250)]);
    for (name, comment, sc) in scenarios {
        let m = Mini::of(sc);
        g.valid(name, &div, comment, m.builder.to_bytes()).dividends = Some(m.table());
    }
    let one_short = |b: &mut Object| declare_amount(b, "b", 30);
    let failing: [Failing; 5] = [
        (Rule::Div1, "period_skipped",
            "The first close declares 2025-02 while 2025-01, the charter's month, is not closed.",
            (&POOL_SMALLER, 1), Close("2025-03-01", &[], &[]), &set("period", s("2025-02"))),
        (Rule::Div1, "closed_too_early",
            "A close of 2025-01 dated 2025-01-31: a period is closed on or after the first day of the next month.",
            (&POOL_SMALLER, 1), Close("2025-01-31", &[], &[]), &|_| {}),
        (Rule::Div2, "pool_one_too_high",
            "January's net is 2 and the reserve 0, so the pool is 2; the close declares 3 (difference +1).",
            (&POOL_SMALLER, 1), Close("2025-02-01", &[("pool", 2)], &[]), &set("pool", Value::Int(3))),
        (Rule::Div3, "payout_one_short",
            "93 shared by three whole-month members is 31 each; the close declares 30 for b (difference −1) and keeps the totals.",
            (&EVEN, 1), Close("2025-02-01", &[], &[("a", 31, 31), ("b", 31, 31), ("c", 31, 31)]), &one_short),
        (Rule::Pay1, "dividend_paid_twice",
            "a's February dividend of 31 was paid on 2025-03-02; paying it again is without authority.",
            (&POOL_SMALLER, 5), Pay("2025-03-03", "dividend", 31, &[("member", S("a")), ("period", S("2025-02"))]),
            &set("id", s("again"))),
    ];
    for (rule, short, comment, (sc, n), last, edit) in failing {
        let mut m = Mini::new(sc, n);
        let doc = m.doc(&last, edit);
        m.builder.push(&doc);
        g.invalid(rule, short, Some(m.builder.len() as u64 - 1), comment, m.builder.to_bytes());
    }
    // SIG-6 after two applied closes: the report's `dividends` is empty
    let mut m = Mini::of(&POOL_SMALLER);
    let late = Pay("2025-03-03", "income", 5, &[("source", S("late gift"))]);
    let mut forged = m.doc(&late, &set("id", s("late")));
    forged.sigs[0].sig[40] ^= 1;
    m.builder.push(&forged);
    g.invalid(Rule::Sig6, "after_closes_no_dividends", Some(m.builder.len() as u64 - 1),
        "January and February are closed and their dividends paid, then an income payment \
         with a forged signature: an integrity failure ends the audit, and the report's \
         `dividends` is empty although two closes were applied before it (spec 9.3).",
        m.builder.to_bytes()).dividends = Some(b"[]".to_vec());
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
        Inputs { rent, income, service, expenses, carry_in, reserve_bps, days, period_days, ..Inputs::default() }
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
    let n = |v: i128| crate::audit::number(Some(v));
    let rows = rows.into_iter().map(|(name, comment, i)| {
        let days = i.days.iter().map(|(m, d)| (&**m, Value::Int(*d)));
        let inputs = obj(&[
            ("rent", n(i.rent)),
            ("income", n(i.income)),
            ("service", n(i.service)),
            ("expenses", n(i.expenses)),
            ("carry_in", n(i.carry_in)),
            ("reserve_bps", Value::Int(i.reserve_bps)),
            ("period_days", Value::Int(i.period_days)),
            ("days", Value::Object(obj(&days.collect::<Vec<_>>()))),
        ]);
        row(vec![
            ("comment", s(comment)),
            ("covers", covers(&["DIV-2", "DIV-3"])),
            ("expect", dividend::figures_value(0, &dividend::compute(&i))),
            ("inputs", Value::Object(inputs)),
            ("name", s(name)),
        ])
    });
    build::table(
        "dividends",
        "The computation of spec 11.3 alone: `inputs` (rent, income, service, expenses, carry_in, reserve_bps, period_days, days per member) give `expect`, the figures of a close (its `period` member is a placeholder).",
        rows.collect(),
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
        ..Inputs::default()
    };
    let got = dividend::figures_value(0, &dividend::compute(&inputs));
    if r.get("expect") != Some(&got) {
        return Err("the library computes other figures".into());
    }
    Ok(())
}
