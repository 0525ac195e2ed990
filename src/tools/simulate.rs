//! A deterministic commune generator: realistic chains of any size, from a
//! seed, with no clock.
//!
//! It writes the shipped example (`examples/commune.jsonl`, see
//! [`Params::example`]) and the synthetic communes of the benchmarks. The
//! story it tells, month by month: founders sign a charter; workers join and
//! some leave (one is expelled); a member rotates a key and another recovers
//! a lost one; the commune buys assets, each funded by a bond series sold to
//! outside and member bondholders and rented by a member or a collective whose
//! rent covers the series' service; rent comes in on the 5th, bond service
//! goes out on the 10th; one rent instalment is paid late, a mistaken payment
//! is reversed, bonds change hands, expenses are approved and paid; when a
//! series is redeemed the asset is rented again without a guarantee.
//!
//! With [`Params::collateral`] (the example), the story also uses protocol
//! version 2 (spec/14-collateral.md): the series are callable, with grace
//! days; a version-2 amendment lets the reserve cover deficits; units of
//! series 2 are called early and redeemed; the renters of asset 3 stop
//! paying, its series defaults, the lease is ended and the asset sold for
//! less than its bondholders' claims, the price split among them; a fourth
//! asset is funded by a series sold at auction; and money is drawn from
//! the reserve by decision for an expense.
//!
//! Every document is checked by [`State::apply`] as it is made: a generator
//! bug panics instead of writing a chain that does not audit clean.
//!
//! Randomness is SplitMix64 from the seed; keys are
//! `BLAKE3-derive_key("commonstock simulate key", seed ‖ role ‖ index ‖
//! generation)`, so the same parameters give the same bytes everywhere.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::commune::dividend;
use crate::commune::{self, State};
use crate::protocol::b64;
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Builder, Entry};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::{self, Hash};
use crate::protocol::sig::SecretKey;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Params {
    pub seed: u64,
    /// Founding members (at least 3).
    pub founders: usize,
    /// Members admitted after the founding.
    pub joiners: usize,
    /// Months of history.
    pub months: i64,
    /// Assets bought, each with one bond series and a rental agreement.
    pub assets: usize,
    /// Bondholders per series.
    pub holders: usize,
    /// The charter's date; the first of a month.
    pub start: Date,
    /// Every decision threshold of the charter, in basis points; `None`
    /// for the example's thresholds (a majority, two thirds for
    /// amendments, expulsions and key recoveries).
    pub decision_bps: Option<i64>,
    /// Other income booked on the 5th of every month, per current member
    /// (minor units; 0 for none), so that a large commune has a dividend
    /// to pay every member.
    pub income_per_member: i64,
    /// The version-2 collateral story of the example (see the module doc).
    pub collateral: bool,
}

impl Params {
    /// The shipped example commune.
    pub fn example() -> Params {
        Params {
            seed: 2024,
            founders: 12,
            joiners: 30,
            months: 30,
            assets: 3,
            holders: 4,
            start: Date::new(2024, 1, 1).expect("valid"),
            decision_bps: None,
            income_per_member: 0,
            collateral: true,
        }
    }

    /// A synthetic commune for benchmarks: `members` founders (plus one
    /// joiner in fifty, admitted over the first two thirds), `months` of
    /// history, `assets` assets with their bond series. Decisions need 10
    /// bps of the members (10 signatures among 10,000), so nearly every
    /// entry carries one signature; every month pays every member a
    /// dividend, so the chain has about `members × months` entries.
    pub fn scaled(members: usize, months: i64, assets: usize, seed: u64) -> Params {
        Params {
            seed,
            founders: members.max(assets + 3),
            joiners: members / 50,
            months,
            assets,
            holders: 4,
            start: Date::new(2024, 1, 1).expect("valid"),
            decision_bps: Some(10),
            income_per_member: 2_000,
            collateral: false,
        }
    }

    /// The number of digits of member ids (`m001`, or wider when the
    /// commune has more than 999 members).
    fn id_width(&self) -> usize {
        (self.founders + self.joiners).to_string().len().max(3)
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn obj(members: Vec<(&str, Value)>) -> Object {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    o
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn key_value(k: &[u8; 32]) -> Value {
    Value::from(b64::encode(k))
}

/// One bondholder of the generator.
struct Holder {
    key: SecretKey,
}

/// A generated commune: its chain, its state after the last entry, and the
/// secret keys of everyone in it, so tests can append documents of their own.
pub struct Commune {
    p: Params,
    rng: Rng,
    builder: Builder,
    state: State,
    commune: Hash,
    /// Secret keys by member id (current key).
    keys: BTreeMap<String, SecretKey>,
    holders: Vec<Holder>,
    next_member: usize,
    next_payment: usize,
    generation: u64,
    /// Bond service due and not yet paid: (series, row, holder, purpose, amount).
    unpaid_service: Vec<(String, usize, [u8; 32], &'static str, i64)>,
    /// Redemptions of calls not yet paid: (call, holder, amount).
    unpaid_redemptions: Vec<(String, [u8; 32], i64)>,
    /// Whether the renters of asset 3 have stopped paying (the collateral
    /// story): neither its rent nor its series' service is paid.
    defaulting: bool,
    /// Whether closes are of version 2 (after the version-2 amendment).
    v2_closes: bool,
    /// When streaming: where the lines go instead of the builder.
    out: Option<Stream>,
}

/// The streaming side of [`generate_to`]: lines written, the head, and the
/// first write error (which stops the writing, not the story).
struct Stream {
    w: Box<dyn Write + Send + Sync>,
    entries: u64,
    head: Hash,
    error: Option<io::Error>,
}

impl Commune {
    /// The id of the `n`th member (1-based).
    fn mid(&self, n: usize) -> String {
        format!("m{:0w$}", n, w = self.p.id_width())
    }

    fn secret(&mut self, role: &str, index: u64) -> SecretKey {
        self.generation += 1;
        let mut material = Vec::new();
        material.extend_from_slice(&self.p.seed.to_le_bytes());
        material.extend_from_slice(role.as_bytes());
        material.extend_from_slice(&index.to_le_bytes());
        material.extend_from_slice(&self.generation.to_le_bytes());
        SecretKey::from_seed(blake3::derive_key("commonstock simulate key", &material))
    }

    /// The chain so far.
    pub fn builder(&self) -> &Builder {
        &self.builder
    }

    /// The state after the last entry.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The commune id.
    pub fn id(&self) -> Hash {
        self.commune
    }

    /// The current secret key of member `id`.
    pub fn key(&self, id: &str) -> &SecretKey {
        &self.keys[id]
    }

    /// The secret keys of the outside bondholders.
    pub fn holder_keys(&self) -> impl Iterator<Item = &SecretKey> {
        self.holders.iter().map(|h| &h.key)
    }

    /// The date of the last entry.
    pub fn last_date(&self) -> Date {
        self.state.as_of.expect("generated")
    }

    fn push(&mut self, doc: Document) {
        if let Err(f) = self.state.apply(&doc) {
            panic!(
                "simulate: generated a void {} on {}: {f}",
                doc.kind, doc.date
            );
        }
        match &mut self.out {
            None => {
                self.builder.push(&doc);
            }
            Some(out) => {
                let mut line = Entry::line(out.entries, &out.head, &doc);
                out.head = hash::entry(&line);
                out.entries += 1;
                line.push(b'\n');
                if out.error.is_none()
                    && let Err(e) = out.w.write_all(&line)
                {
                    out.error = Some(e);
                }
            }
        }
    }

    /// Current member ids, in order.
    pub fn current(&self) -> Vec<String> {
        self.state
            .members
            .iter()
            .filter(|(_, m)| m.until.is_none())
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// A document signed by `parties` and, for a decision (`bps`), by the
    /// first current members (in id order, `exclude` left out) needed to
    /// reach the threshold.
    pub fn sign(
        &self,
        kind: Kind,
        date: Date,
        body: Object,
        bps: Option<i64>,
        exclude: Option<&str>,
        parties: &[&SecretKey],
    ) -> Document {
        self.sign_v(kind, date, body, bps, exclude, parties, kind.since())
    }

    /// [`Commune::sign`] for a document of version `v`.
    #[allow(clippy::too_many_arguments)]
    fn sign_v(
        &self,
        kind: Kind,
        date: Date,
        body: Object,
        bps: Option<i64>,
        exclude: Option<&str>,
        parties: &[&SecretKey],
        v: i64,
    ) -> Document {
        let mut doc = Document::new(self.commune, kind, date, body).version(v);
        if let Some(bps) = bps {
            let voters: Vec<String> = self
                .current()
                .into_iter()
                .filter(|m| Some(m.as_str()) != exclude)
                .collect();
            let need = commune::required(voters.len(), bps) as usize;
            for m in voters.iter().take(need) {
                doc.sign(&self.keys[m]).expect("distinct keys");
            }
        }
        for k in parties {
            if !doc.signed_by(&k.public_key()) {
                doc.sign(k).expect("distinct keys");
            }
        }
        doc
    }

    pub fn thresholds(&self) -> commune::Thresholds {
        self.state
            .settings
            .as_ref()
            .expect("chartered")
            .thresholds
            .clone()
    }

    /// The key of the first treasurer.
    pub fn treasurer(&self) -> &SecretKey {
        let t = &self.state.settings.as_ref().expect("chartered").treasurers[0];
        &self.keys[t]
    }

    fn payment(&mut self, date: Date, purpose: &str, amount: i64, reference: Object) {
        self.next_payment += 1;
        let body = obj(vec![
            ("amount", Value::Int(amount)),
            ("id", Value::from(format!("p{:06}", self.next_payment))),
            ("purpose", s(purpose)),
            ("ref", Value::Object(reference)),
        ]);
        // the purposes version 2 adds are version-2 payments
        let v = if matches!(purpose, "proceeds" | "redemption") {
            2
        } else {
            1
        };
        let doc = self.sign_v(
            Kind::Payment,
            date,
            body,
            None,
            None,
            &[self.treasurer()],
            v,
        );
        self.push(doc);
    }

    fn charter(&mut self) {
        let mut founders = Vec::new();
        for i in 0..self.p.founders {
            let id = self.mid(i + 1);
            let k = self.secret("member", i as u64);
            founders.push(Value::Object(obj(vec![
                ("key", key_value(&k.public_key())),
                ("member", s(&id)),
            ])));
            self.keys.insert(id, k);
        }
        self.next_member = self.p.founders;
        let (majority, two_thirds) = match self.p.decision_bps {
            Some(bps) => (bps, bps),
            None => (5001, 6667),
        };
        let thresholds = commune::thresholds_value(majority, two_thirds);
        let body = obj(vec![
            ("bonds_transferable", Value::Bool(true)),
            (
                "bylaws",
                Value::from(hash::text(BYLAWS.as_bytes()).to_b64()),
            ),
            (
                "currency",
                Value::Object(obj(vec![("code", s("EUR")), ("exponent", Value::Int(2))])),
            ),
            ("founders", Value::Array(founders)),
            ("name", s("Cooperativa Telekommunisten Example")),
            ("reserve_bps", Value::Int(1000)),
            ("thresholds", Value::Object(thresholds)),
            (
                "treasurers",
                Value::Array(vec![s(&self.mid(1)), s(&self.mid(2))]),
            ),
        ]);
        self.commune = chain::commune_id(&body);
        let mut doc = Document::new(self.commune, Kind::Charter, self.p.start, body);
        for k in self.keys.values() {
            doc.sign(k).expect("distinct");
        }
        self.push(doc);
    }

    fn admit(&mut self, date: Date) {
        let i = self.next_member;
        self.next_member += 1;
        let id = self.mid(i + 1);
        let k = self.secret("member", i as u64);
        let body = obj(vec![
            ("key", key_value(&k.public_key())),
            ("member", s(&id)),
        ]);
        let doc = self.sign(
            Kind::Admission,
            date,
            body,
            Some(self.thresholds().admission),
            None,
            &[&k],
        );
        self.keys.insert(id, k);
        self.push(doc);
    }

    /// Members who may leave: not founders (treasurers stay), not renters.
    fn leavers(&self) -> Vec<String> {
        let renting: Vec<&String> = self
            .state
            .agreements
            .values()
            .filter(|a| a.ended.is_none())
            .flat_map(|a| a.renters.iter())
            .collect();
        self.current()
            .into_iter()
            .filter(|m| m.as_str() > self.mid(self.p.founders).as_str() && !renting.contains(&m))
            .collect()
    }

    fn exit(&mut self, date: Date, expel: bool) {
        let leavers = self.leavers();
        if leavers.is_empty() {
            return;
        }
        let id = leavers[self.rng.below(leavers.len() as u64) as usize].clone();
        let reason = if expel { "expulsion" } else { "voluntary" };
        let body = obj(vec![("member", s(&id)), ("reason", s(reason))]);
        let doc = if expel {
            self.sign(
                Kind::Exit,
                date,
                body,
                Some(self.thresholds().expulsion),
                Some(&id),
                &[],
            )
        } else {
            self.sign(Kind::Exit, date, body, None, None, &[&self.keys[&id]])
        };
        self.push(doc);
    }

    fn rotate(&mut self, date: Date, id: &str, recovery: bool) {
        let new = self.secret("member", 10_000 + self.generation);
        let body = obj(vec![
            ("member", s(id)),
            ("new_key", key_value(&new.public_key())),
        ]);
        let doc = if recovery {
            self.sign(
                Kind::KeyRecovery,
                date,
                body,
                Some(self.thresholds().key_recovery),
                Some(id),
                &[&new],
            )
        } else {
            self.sign(
                Kind::KeyRotation,
                date,
                body,
                None,
                None,
                &[&self.keys[id], &new],
            )
        };
        self.push(doc);
        self.keys.insert(id.to_string(), new);
    }

    /// Buys asset `i` in the month starting `d`, from the 11th to the 14th:
    /// acquisition, series, sales, purchase, rental agreement.
    fn buy_asset(&mut self, i: usize, d: Date) {
        let asset = format!("asset-{}", i + 1);
        let series = format!("series-{}", i + 1);
        let units = 40 + 20 * i as i64;
        let face = 100_000; // 1,000.00 EUR a unit
        let payments = 18 + 6 * i as i64;
        // Linear: with dividends paid monthly on the service due, a bullet
        // series would need a reserve the size of its balloon (spec 11.6).
        let linear = true;
        let rate = 450 + 75 * i as i64;
        let day = |n| Date::new(d.year(), d.month(), n).expect("valid");
        let t = self.thresholds();

        self.acquire(&asset, ASSETS[i % ASSETS.len()], units * face, day(11));

        let first_due = commune::add_months(day(10), 1);
        let rows = commune::schedule(linear, face, payments, rate, first_due);
        let schedule = rows
            .iter()
            .map(|r| {
                Value::Object(obj(vec![
                    ("coupon", Value::Int(r.coupon)),
                    ("due", Value::from(r.due.to_string())),
                    ("principal", Value::Int(r.principal)),
                ]))
            })
            .collect();
        let mut body = obj(vec![
            ("amortisation", s(if linear { "linear" } else { "bullet" })),
            ("asset", s(&asset)),
            ("face", Value::Int(face)),
            ("first_due", Value::from(first_due.to_string())),
            ("payments", Value::Int(payments)),
            ("rate_bps", Value::Int(rate)),
            ("schedule", Value::Array(schedule)),
            ("series", s(&series)),
            (
                "text",
                Value::from(hash::text(format!("terms of {series}").as_bytes()).to_b64()),
            ),
            ("units", Value::Int(units)),
        ]);
        // the example's series are version 2: callable at 1 % over the
        // principal outstanding, a week's grace (spec 14.1)
        let v = if self.p.collateral {
            body.insert("call_premium_bps", Value::Int(CALL_PREMIUM_BPS));
            body.insert("callable", Value::Bool(true));
            body.insert("grace_days", Value::Int(GRACE_DAYS));
            2
        } else {
            1
        };
        let doc = self.sign_v(Kind::BondSeries, day(12), body, Some(t.bond), None, &[], v);
        self.push(doc);

        // Sales: outside holders, and one member buying under their own key.
        let mut left = units;
        for h in 0..self.p.holders {
            let n = if h + 1 == self.p.holders {
                left
            } else {
                units / self.p.holders as i64
            };
            left -= n;
            let holder = if h == 1 {
                let m = self.mid(3 + i);
                self.keys[&m].public_key()
            } else {
                let k = self.secret("holder", (i * 100 + h) as u64);
                let pk = k.public_key();
                self.holders.push(Holder { key: k });
                pk
            };
            let body = obj(vec![
                ("holder", key_value(&holder)),
                ("price", Value::Int(face)),
                ("series", s(&series)),
                ("units", Value::Int(n)),
            ]);
            let holder_key = self.holder_secret(&holder);
            let doc = self.sign(
                Kind::BondSale,
                day(13),
                body,
                None,
                None,
                &[&holder_key, self.treasurer()],
            );
            self.push(doc);
        }
        self.payment(
            day(13),
            "asset_purchase",
            units * face,
            obj(vec![("asset", s(&asset))]),
        );

        // The rent: the smallest constant that covers the service month by
        // month, plus a tenth for the members.
        let rent = covering_rent(units, &rows);
        let renters = self.renters(i);
        let body = lease_body(
            &format!("lease-{}", i + 1),
            &asset,
            &[series.as_str()],
            payments,
            rent,
            &renters,
            commune::add_months(day(5), 1),
            &format!("lease of {asset}"),
        );
        let parties: Vec<SecretKey> = renters
            .iter()
            .map(|r| SecretKey::from_seed(*self.keys[r].seed()))
            .collect();
        let refs: Vec<&SecretKey> = parties.iter().collect();
        let doc = self.sign(
            Kind::RentalAgreement,
            day(14),
            body,
            Some(t.rental),
            None,
            &refs,
        );
        self.push(doc);
    }

    /// One member, or a collective of two.
    fn renters(&self, i: usize) -> Vec<String> {
        let base = self.p.founders - 1 - i;
        let mut r = vec![self.mid(base)];
        if i % 2 == 1 {
            r.push(self.mid(base - 1));
        }
        r.sort();
        r
    }

    fn holder_secret(&self, pk: &[u8; 32]) -> SecretKey {
        if let Some(h) = self.holders.iter().find(|h| &h.key.public_key() == pk) {
            return SecretKey::from_seed(*h.key.seed());
        }
        let m = self.state.member_by_key(pk).expect("a member holder");
        SecretKey::from_seed(*self.keys[m].seed())
    }

    /// A re-rental of a redeemed asset, with no guarantee.
    fn rerent(&mut self, agreement: &str, d: Date) {
        let a = &self.state.agreements[agreement];
        let asset = a.asset.clone();
        let renters = a.renters.clone();
        let rent = a.rent(1) / 3;
        let id = format!("{agreement}-renewed");
        let start = commune::add_months(Date::new(d.year(), d.month(), 5).expect("valid"), 1);
        let body = lease_body(
            &id,
            &asset,
            &[],
            24,
            rent,
            &renters,
            start,
            &format!("renewed lease of {asset}"),
        );
        let parties: Vec<SecretKey> = renters
            .iter()
            .map(|r| SecretKey::from_seed(*self.keys[r].seed()))
            .collect();
        let refs: Vec<&SecretKey> = parties.iter().collect();
        let doc = self.sign(
            Kind::RentalAgreement,
            d,
            body,
            Some(self.thresholds().rental),
            None,
            &refs,
        );
        self.push(doc);
    }

    /// Rent instalments due on `d` (all agreements), paid on time, except
    /// `late` ones which are left for later.
    fn rent_due(&mut self, d: Date, late: &mut Vec<(Date, String, i64)>) {
        let due: Vec<(String, i64, i64)> = self
            .state
            .agreements
            .iter()
            .flat_map(|(id, a)| {
                (1..=a.instalments)
                    .filter(|&k| a.due_date(k) == d && a.owes(k))
                    .map(|k| (id.clone(), k, a.rent(k)))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (id, k, amount) in due {
            let last_month = commune::add_months(self.p.start, self.p.months - 1);
            if d.month_index() == last_month.month_index() && id == "lease-3" {
                // still unpaid when the chain ends: shows as arrears
                continue;
            }
            if self.defaulting && id == "lease-3" {
                // the renters of asset 3 have stopped paying
                continue;
            }
            if id == "lease-1" && k == 4 {
                // paid three weeks late
                late.push((Date::new(d.year(), d.month(), 25).expect("valid"), id, k));
                continue;
            }
            self.payment(
                d,
                "rent",
                amount,
                obj(vec![("agreement", s(&id)), ("instalment", Value::Int(k))]),
            );
        }
    }

    /// Coupons and principal due on `d`, to every holder of record.
    fn service_due(&mut self, d: Date) {
        self.state.advance(d);
        let mut todo = Vec::new();
        for (id, s_) in &self.state.series {
            for (row, r) in s_.rows.iter().enumerate() {
                // (a settled series' later rows have no holders of record)
                let Some(records) = s_.records.get(row).filter(|_| r.due == d) else {
                    continue;
                };
                for (holder, units) in records {
                    todo.push((id.clone(), row, *holder, *units, *r));
                }
            }
        }
        for (id, row, holder, units, r) in todo {
            for (purpose, per_unit) in [("coupon", r.coupon), ("principal", r.principal)] {
                if per_unit > 0 {
                    self.unpaid_service
                        .push((id.clone(), row, holder, purpose, units * per_unit));
                }
            }
        }
        self.pay_service(d);
    }

    /// Pays bond service owed, in order, while the cash allows; what it
    /// cannot pay stays owed (bond arrears) until a later day.
    fn pay_service(&mut self, d: Date) {
        let owed = std::mem::take(&mut self.unpaid_service);
        for (id, row, holder, purpose, amount) in owed {
            if self.state.series[&id].settled.is_some() {
                continue; // settled by the sale of its asset (spec 14.2)
            }
            if self.state.cash < amount as i128 || (self.defaulting && id == "series-3") {
                self.unpaid_service.push((id, row, holder, purpose, amount));
                continue;
            }
            let reference = obj(vec![
                ("holder", key_value(&holder)),
                ("row", Value::Int(row as i64 + 1)),
                ("series", s(&id)),
            ]);
            self.payment(d, purpose, amount, reference);
        }
        let owed = std::mem::take(&mut self.unpaid_redemptions);
        for (call, holder, amount) in owed {
            if self.state.cash < amount as i128 {
                self.unpaid_redemptions.push((call, holder, amount));
                continue;
            }
            let reference = obj(vec![("call", s(&call)), ("holder", key_value(&holder))]);
            self.payment(d, "redemption", amount, reference);
        }
    }

    fn run(&mut self) {
        self.charter();
        let mut late: Vec<(Date, String, i64)> = Vec::new();
        let admit_months = (self.p.months * 2 / 3).max(1);
        let mut admitted = 0usize;
        for m in 0..self.p.months {
            let first = commune::add_months(self.p.start, m);
            let day = |n| Date::new(first.year(), first.month(), n).expect("valid");
            // 2nd: admissions, spread over the first two thirds
            let quota = (self.p.joiners * (m as usize + 1))
                .div_ceil(admit_months as usize)
                .min(self.p.joiners);
            while admitted < quota {
                self.admit(day(2));
                admitted += 1;
            }
            // the 3rd: the previous month is closed; the 4th: dividends paid
            if m > 0 {
                self.close(day(3), day(4));
            }
            // rent on the 5th, service on the 10th
            self.rent_due(day(5), &mut late);
            if self.p.income_per_member > 0 {
                let amount = self.p.income_per_member * self.state.current_members() as i64;
                let source = format!("sales of {}", commune::month_name(first.month_index()));
                self.payment(day(5), "income", amount, obj(vec![("source", s(&source))]));
            }
            self.service_due(day(10));
            // assets, from the 11th: one every other month from month 1
            if m >= 1 && (m - 1) % 2 == 0 && ((m - 1) / 2) < self.p.assets as i64 {
                self.buy_asset(((m - 1) / 2) as usize, first);
            }
            // the 15th: the odd events of the story
            match m {
                5 => {
                    let body = obj(vec![
                        ("amount", Value::Int(60_000)),
                        ("approval", s("roof-repair")),
                        ("payee", s("Dachdecker Kollektiv")),
                        ("purpose", s("repair of the workshop roof")),
                    ]);
                    let doc = self.sign(
                        Kind::ExpenseApproval,
                        day(15),
                        body,
                        Some(self.thresholds().expense),
                        None,
                        &[],
                    );
                    self.push(doc);
                    self.expense(day(16), 30_000);
                }
                7 => {
                    let m = self.mid(3);
                    self.rotate(day(15), &m, false)
                }
                8 => self.expense(day(16), 15_000),
                9 => {
                    // money booked twice by mistake, then reversed
                    self.payment(
                        day(15),
                        "income",
                        12_345,
                        obj(vec![("source", s("workshop sale"))]),
                    );
                    self.payment(
                        day(15),
                        "income",
                        12_345,
                        obj(vec![("source", s("workshop sale"))]),
                    );
                    let body = obj(vec![
                        ("payment", Value::from(format!("p{:06}", self.next_payment))),
                        ("reason", s("the same sale booked twice")),
                    ]);
                    let doc = self.sign(
                        Kind::Reversal,
                        day(16),
                        body,
                        None,
                        None,
                        &[self.treasurer()],
                    );
                    self.push(doc);
                }
                11 => self.transfer(day(15)),
                14 => {
                    let m = self.mid(6);
                    self.rotate(day(15), &m, true)
                }
                _ => {}
            }
            if m % 4 == 3 {
                self.exit(day(20), false);
            }
            if m == 19 {
                self.exit(day(20), true);
            }
            // from the 21st (the 11th for the auction): the version-2 story
            if self.p.collateral {
                self.collateral_events(m, first);
            }
            // late payments whose day has come
            let (now, later): (Vec<_>, Vec<_>) =
                late.drain(..).partition(|(d, _, _)| *d <= day(28));
            late = later;
            for (d, id, k) in now {
                let amount = self.state.agreements[&id].rent(k);
                self.payment(
                    d,
                    "rent",
                    amount,
                    obj(vec![("agreement", s(&id)), ("instalment", Value::Int(k))]),
                );
            }
            // bond service the cash could not meet on its day
            self.pay_service(day(26));
            // a redeemed asset is rented again
            let ended: Vec<String> = self
                .state
                .agreements
                .iter()
                .filter(|(id, a)| {
                    !id.ends_with("-renewed") && a.last_due() < day(28) && a.last_due() >= first
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in ended {
                self.rerent(&id, day(28));
            }
        }
    }

    /// Pays the roof repair: `amount`, or half the cash if that is less.
    fn expense(&mut self, d: Date, amount: i64) {
        let amount = amount.min((self.state.cash / 2) as i64);
        if amount > 0 {
            self.payment(
                d,
                "expense",
                amount,
                obj(vec![("approval", s("roof-repair"))]),
            );
        }
    }

    /// Closes the next period on `d` with the figures the rules give, then
    /// pays every dividend on `pay`.
    fn close(&mut self, d: Date, pay: Date) {
        let period = self.state.periods.next;
        let mut f = dividend::compute(&self.state.close_inputs(period));
        f.v2 = self.v2_closes;
        let body = dividend::close_body(period, &f);
        let doc = self.sign_v(
            Kind::PeriodClose,
            d,
            body,
            Some(self.thresholds().close),
            None,
            &[],
            if f.v2 { 2 } else { 1 },
        );
        self.push(doc);
        for p in f.payouts() {
            if p.amount > 0 {
                let reference = obj(vec![
                    ("member", s(p.member)),
                    ("period", Value::from(commune::month_name(period))),
                ]);
                self.payment(pay, "dividend", p.amount as i64, reference);
            }
        }
    }

    fn transfer(&mut self, d: Date) {
        let (series, from, units) = {
            let s_ = &self.state.series["series-1"];
            let (k, u) = s_
                .holdings
                .iter()
                .find(|(k, _)| self.holders.iter().any(|h| &h.key.public_key() == *k))
                .expect("an outside holder");
            ("series-1".to_string(), *k, u / 2)
        };
        let to = self.secret("holder", 9_999);
        let body = obj(vec![
            ("from", key_value(&from)),
            ("series", s(&series)),
            ("to", key_value(&to.public_key())),
            ("units", Value::Int(units)),
        ]);
        let from_key = self.holder_secret(&from);
        let doc = self.sign(Kind::BondTransfer, d, body, None, None, &[&from_key, &to]);
        self.holders.push(Holder { key: to });
        self.push(doc);
    }
}

/// The call premium of the example's series (spec 14.1).
const CALL_PREMIUM_BPS: i64 = 100;
/// The grace days of the example's series (spec 14.4).
const GRACE_DAYS: i64 = 7;

/// The smallest constant rent that covers a series' service month by month
/// (`units` × each row), plus a tenth for the members.
fn covering_rent(units: i64, rows: &[commune::Row]) -> i64 {
    let mut cum = 0i128;
    let mut need = 0i128;
    for (k, r) in rows.iter().enumerate() {
        cum += units as i128 * (r.coupon + r.principal) as i128;
        need = need.max((cum + k as i128) / (k as i128 + 1));
    }
    (need + need / 10) as i64
}

impl Commune {
    /// The version-2 events of the example's story in month `m` (starting
    /// `first`): on the 21st and later (the 11th to the 20th for the
    /// auction, in a month with no other event after the 10th).
    fn collateral_events(&mut self, m: i64, first: Date) {
        let day = |n| Date::new(first.year(), first.month(), n).expect("valid");
        match m {
            12 => self.reserve_policy(day(21)),
            15 => self.call(day(21)),
            // the renters of asset 3 stop paying from the next month
            17 => self.defaulting = true,
            19 => self.liquidate(day(21)),
            21 => self.auction(first),
            24 => self.draw(day(21)),
            _ => {}
        }
    }

    /// A version-2 amendment: the settings as they are, and the reserve
    /// covers deficits; a sale's surplus goes to the reserve.
    fn reserve_policy(&mut self, d: Date) {
        let st = self.state.settings.clone().expect("chartered");
        let t = &st.thresholds;
        let mut thresholds = Object::new();
        for (k, v) in [
            ("admission", t.admission),
            ("amendment", t.amendment),
            ("asset", t.asset),
            ("bond", t.bond),
            ("close", t.close),
            ("expense", t.expense),
            ("expulsion", t.expulsion),
            ("key_recovery", t.key_recovery),
            ("rental", t.rental),
        ] {
            thresholds.insert(k, Value::Int(v));
        }
        let body = obj(vec![
            ("bonds_transferable", Value::Bool(st.bonds_transferable)),
            ("bylaws", key_value(&st.bylaws)),
            ("reserve_bps", Value::Int(st.reserve_bps)),
            ("reserve_covers_deficit", Value::Bool(true)),
            ("sale_surplus", s("reserve")),
            ("thresholds", Value::Object(thresholds)),
            (
                "treasurers",
                Value::Array(st.treasurers.iter().map(|t| s(t)).collect()),
            ),
        ]);
        let doc = self.sign_v(
            Kind::CharterAmendment,
            d,
            body,
            Some(st.thresholds.amendment),
            None,
            &[],
            2,
        );
        self.push(doc);
        self.v2_closes = true;
    }

    /// Calls half the units of series 2's first outside holder.
    fn call(&mut self, d: Date) {
        let series = "series-2";
        let (holder, units) = {
            let s_ = &self.state.series[series];
            let (k, u) = s_
                .holdings
                .iter()
                .find(|(k, u)| **u > 1 && self.holders.iter().any(|h| &h.key.public_key() == *k))
                .expect("an outside holder");
            (*k, u / 2)
        };
        let price = self.state.call_price_of(series, d).expect("a series") as i64;
        let body = obj(vec![
            ("call", s("call-1")),
            (
                "holders",
                Value::Array(vec![Value::Object(obj(vec![
                    ("holder", key_value(&holder)),
                    ("units", Value::Int(units)),
                ]))]),
            ),
            ("price", Value::Int(price)),
            ("series", s(series)),
        ]);
        let doc = self.sign(
            Kind::BondCall,
            d,
            body,
            Some(self.thresholds().bond),
            None,
            &[],
        );
        self.push(doc);
        self.unpaid_redemptions
            .push(("call-1".to_string(), holder, units * price));
        self.pay_service(d);
    }

    /// Asset 3's series is in default: the lease is ended for default, the
    /// asset sold for three quarters of the bondholders' claims, and the
    /// price paid out to them as the split gives it.
    fn liquidate(&mut self, d: Date) {
        let body = obj(vec![("agreement", s("lease-3")), ("reason", s("default"))]);
        let doc = self.sign(
            Kind::RentalEnd,
            d,
            body,
            Some(self.thresholds().rental),
            None,
            &[],
        );
        self.push(doc);
        let sale_day = Date::new(d.year(), d.month(), 22).expect("valid");
        let total: i128 = self
            .state
            .sale_split("asset-3", sale_day, 0)
            .shares
            .iter()
            .map(|x| x.claim)
            .sum();
        // three quarters of the claims, and a unit for the rounding to place
        let price = (total * 3 / 4) as i64 + 1;
        let split = self.state.sale_split("asset-3", sale_day, price);
        let list = split
            .shares
            .iter()
            .map(|x| {
                Value::Object(obj(vec![
                    ("amount", Value::Int(x.amount as i64)),
                    ("claim", Value::Int(x.claim as i64)),
                    ("holder", key_value(&x.holder)),
                ]))
            })
            .collect();
        let body = obj(vec![
            ("asset", s("asset-3")),
            ("buyer", s("Genossenschaft Druck & Satz eG")),
            ("distribution", Value::Array(list)),
            ("price", Value::Int(price)),
            ("surplus", Value::Int(split.surplus as i64)),
            ("text", Value::from(hash::text(b"sale of asset-3").to_b64())),
            ("written_down", Value::Int(split.written_down as i64)),
        ]);
        let doc = self.sign(
            Kind::AssetSale,
            sale_day,
            body,
            Some(self.thresholds().asset),
            None,
            &[],
        );
        self.push(doc);
        self.defaulting = false;
        let pay_day = Date::new(d.year(), d.month(), 23).expect("valid");
        for x in &split.shares {
            let reference = obj(vec![
                ("asset", s("asset-3")),
                ("holder", key_value(&x.holder)),
            ]);
            self.payment(pay_day, "proceeds", x.amount as i64, reference);
        }
    }

    /// Asset 4, funded by a series sold at auction: four outside bids, the
    /// marginal one filled in part, the schedule at the clearing rate, the
    /// purchase and a lease that covers the service.
    /// The decision to buy `asset` for `price` (its bonds follow).
    fn acquire(&mut self, asset: &str, description: &str, price: i64, date: Date) {
        let t = self.thresholds();
        let body = obj(vec![
            ("asset", s(asset)),
            ("description", Value::from(description)),
            ("price", Value::Int(price)),
            (
                "text",
                Value::from(hash::text(format!("purchase of {asset}").as_bytes()).to_b64()),
            ),
        ]);
        let doc = self.sign(Kind::AssetAcquisition, date, body, Some(t.asset), None, &[]);
        self.push(doc);
    }

    fn auction(&mut self, first: Date) {
        let day = |n| Date::new(first.year(), first.month(), n).expect("valid");
        let (asset, series) = ("asset-4", "series-4");
        let (units, face, payments) = (30i64, 100_000i64, 12i64);
        let t = self.thresholds();
        self.acquire(asset, ASSETS[3], units * face, day(11));
        let first_due = commune::add_months(day(10), 1);
        let body = obj(vec![
            ("amortisation", s("linear")),
            ("asset", s(asset)),
            ("call_premium_bps", Value::Int(CALL_PREMIUM_BPS)),
            ("callable", Value::Bool(true)),
            ("closes", Value::from(day(18).to_string())),
            ("face", Value::Int(face)),
            ("first_due", Value::from(first_due.to_string())),
            ("grace_days", Value::Int(GRACE_DAYS)),
            ("max_rate_bps", Value::Int(900)),
            ("payments", Value::Int(payments)),
            ("series", s(series)),
            (
                "text",
                Value::from(hash::text(format!("terms of {series}").as_bytes()).to_b64()),
            ),
            ("units", Value::Int(units)),
        ]);
        let doc = self.sign(Kind::Auction, day(11), body, Some(t.bond), None, &[]);
        self.push(doc);
        // lowest rates first: 500 × 10, 600 × 15, then 650 × 12 gets the 5
        // left (the clearing rate); 700 × 10 gets nothing
        for (n, (rate, bid_units)) in [(650, 12), (500, 10), (600, 15), (700, 10)]
            .into_iter()
            .enumerate()
        {
            let k = self.secret("bidder", n as u64);
            let body = obj(vec![
                ("auction", s(series)),
                ("bid", Value::from(format!("bid-{}", n + 1))),
                ("bidder", key_value(&k.public_key())),
                ("rate_bps", Value::Int(rate)),
                ("units", Value::Int(bid_units)),
            ]);
            let doc = self.sign(Kind::Bid, day(12 + n as u8), body, None, None, &[&k]);
            self.push(doc);
            self.holders.push(Holder { key: k });
        }
        let c = self.state.clearing(series).expect("bids");
        let a = &self.state.auctions[series];
        let mut allocations: Vec<(String, i64)> = a
            .bids
            .iter()
            .zip(&c.units)
            .filter(|(_, u)| **u > 0)
            .map(|(b, u)| (b.id.clone(), *u))
            .collect();
        allocations.sort();
        let rows = commune::schedule(true, face, payments, c.rate_bps, first_due);
        let body = obj(vec![
            (
                "allocations",
                Value::Array(
                    allocations
                        .iter()
                        .map(|(b, u)| {
                            Value::Object(obj(vec![("bid", s(b)), ("units", Value::Int(*u))]))
                        })
                        .collect(),
                ),
            ),
            ("auction", s(series)),
            ("rate_bps", Value::Int(c.rate_bps)),
            (
                "schedule",
                Value::Array(
                    rows.iter()
                        .map(|r| {
                            Value::Object(obj(vec![
                                ("coupon", Value::Int(r.coupon)),
                                ("due", Value::from(r.due.to_string())),
                                ("principal", Value::Int(r.principal)),
                            ]))
                        })
                        .collect(),
                ),
            ),
        ]);
        let doc = self.sign(
            Kind::AuctionResult,
            day(19),
            body,
            None,
            None,
            &[self.treasurer()],
        );
        self.push(doc);
        self.payment(
            day(19),
            "asset_purchase",
            units * face,
            obj(vec![("asset", s(asset))]),
        );
        let renters = self.renters(3);
        let body = lease_body(
            "lease-4",
            asset,
            &[series],
            payments,
            covering_rent(units, &rows),
            &renters,
            commune::add_months(day(5), 1),
            &format!("lease of {asset}"),
        );
        let parties: Vec<SecretKey> = renters
            .iter()
            .map(|r| SecretKey::from_seed(*self.keys[r].seed()))
            .collect();
        let refs: Vec<&SecretKey> = parties.iter().collect();
        let doc = self.sign(
            Kind::RentalAgreement,
            day(20),
            body,
            Some(t.rental),
            None,
            &refs,
        );
        self.push(doc);
    }

    /// Draws from the reserve, by decision, for tools, and pays them.
    fn draw(&mut self, d: Date) {
        let amount = (self.state.periods.reserve / 2).min(80_000) as i64;
        if amount == 0 {
            return;
        }
        let t = self.thresholds();
        let body = obj(vec![
            ("amount", Value::Int(amount)),
            ("draw", s("tools")),
            ("purpose", s("tools for the wood workshop")),
        ]);
        let doc = self.sign(Kind::ReserveDraw, d, body, Some(t.expense), None, &[]);
        self.push(doc);
        let body = obj(vec![
            ("amount", Value::Int(amount)),
            ("approval", s("workshop-tools")),
            ("payee", s("Werkzeughandel Süd")),
            ("purpose", s("tools for the wood workshop")),
        ]);
        let doc = self.sign(Kind::ExpenseApproval, d, body, Some(t.expense), None, &[]);
        self.push(doc);
        if self.state.cash >= amount as i128 {
            self.payment(
                Date::new(d.year(), d.month(), 22).expect("valid"),
                "expense",
                amount,
                obj(vec![("approval", s("workshop-tools"))]),
            );
        }
    }
}

/// A rental agreement's body with one rent step (spec 10.3.10).
#[allow(clippy::too_many_arguments)]
fn lease_body(
    id: &str,
    asset: &str,
    guarantees: &[&str],
    instalments: i64,
    rent: i64,
    renters: &[String],
    start: Date,
    text: &str,
) -> Object {
    obj(vec![
        ("agreement", s(id)),
        ("asset", s(asset)),
        (
            "guarantees",
            Value::Array(guarantees.iter().map(|g| s(g)).collect()),
        ),
        ("instalments", Value::Int(instalments)),
        (
            "rent",
            Value::Array(vec![Value::Object(obj(vec![
                ("amount", Value::Int(rent)),
                ("from", Value::Int(1)),
            ]))]),
        ),
        (
            "renters",
            Value::Array(renters.iter().map(|r| s(r)).collect()),
        ),
        ("start", Value::from(start.to_string())),
        ("text", Value::from(hash::text(text.as_bytes()).to_b64())),
    ])
}

const ASSETS: [&str; 4] = [
    "Print workshop: two offset presses and a guillotine",
    "Server room: racks, power and cooling for the hosting collective",
    "Delivery van, electric, 3.5 t",
    "Wood workshop: CNC router and dust extraction",
];

/// The bylaws text whose hash the example charter carries (shipped as
/// `examples/bylaws.txt`).
pub const BYLAWS: &str = "Bylaws of the example venture commune.\n\n\
1. Membership is by labour only. Every member holds exactly one share; shares are not transferable.\n\
2. The commune acquires property with bonds it issues; members rent that property.\n\
3. Rent above what the bonds require is paid to all members equally.\n\
4. Decisions are documents signed by enough members, as the charter sets.\n";

/// Generates the commune for `p`.
pub fn generate(p: &Params) -> Commune {
    let mut sim = new(p);
    sim.run();
    sim
}

/// What [`generate_to`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub entries: u64,
    pub head: Hash,
    pub commune: Hash,
}

/// Generates the commune for `p` and streams its chain file to `w`, one
/// line at a time: memory holds the commune's state, never the chain.
/// The bytes are exactly those of [`generate`]'s builder.
pub fn generate_to(p: &Params, w: impl Write + Send + Sync + 'static) -> io::Result<Written> {
    let mut sim = new(p);
    sim.out = Some(Stream {
        w: Box::new(w),
        entries: 0,
        head: Hash::ZERO,
        error: None,
    });
    sim.run();
    let mut out = sim.out.take().expect("streaming");
    if let Some(e) = out.error {
        return Err(e);
    }
    out.w.flush()?;
    Ok(Written {
        entries: out.entries,
        head: out.head,
        commune: sim.commune,
    })
}

fn new(p: &Params) -> Commune {
    Commune {
        p: p.clone(),
        rng: Rng(p.seed),
        builder: Builder::new(),
        state: State::new(),
        commune: Hash::ZERO,
        keys: BTreeMap::new(),
        holders: Vec::new(),
        next_member: 0,
        next_payment: 0,
        generation: 0,
        unpaid_service: Vec::new(),
        unpaid_redemptions: Vec::new(),
        defaulting: false,
        v2_closes: false,
        out: None,
    }
}
