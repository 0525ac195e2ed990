//! The commune rules (spec chapter 10), each violation injected into the
//! example commune: a document breaking one rule is appended to the
//! generated chain, signed as the generator would sign it, and the audit
//! must report exactly that rule at that entry, with the numbers where the
//! rule has numbers.

use std::sync::OnceLock;

use commonstock::Rule;
use commonstock::audit::{self, Options, Report};
use commonstock::b64;
use commonstock::canonical::{Object, Value};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::hash;
use commonstock::sig::SecretKey;
use commonstock::simulate::{self, Commune, Params};

fn example() -> &'static Commune {
    static C: OnceLock<Commune> = OnceLock::new();
    C.get_or_init(|| simulate::generate(&Params::example()))
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

fn key(k: &SecretKey) -> Value {
    Value::from(b64::encode(&k.public_key()))
}

fn fresh(n: u8) -> SecretKey {
    SecretKey::from_seed([0xA0 ^ n; 32])
}

/// Audits the example with `docs` appended.
fn with(docs: &[Document]) -> (Report, u64) {
    let mut b = example().builder().clone();
    let first = b.len() as u64;
    for d in docs {
        b.push(d);
    }
    (
        audit::audit(&b.to_bytes()[..], &Options::default()).unwrap(),
        first,
    )
}

/// Appends `docs`; the last must be the only one with a finding, `rule`.
fn rejects(docs: &[Document], rule: Rule) -> audit::Finding {
    let (r, first) = with(docs);
    assert!(r.integrity, "integrity must hold: {:?}", r.findings);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = r.findings[0].clone();
    assert_eq!(f.rule, rule, "{f}");
    assert_eq!(f.entry, Some(first + docs.len() as u64 - 1), "{f}");
    f
}

fn accepts(docs: &[Document]) {
    let (r, _) = with(docs);
    assert!(r.is_valid(), "{:?}", r.findings);
}

fn day() -> Date {
    example().last_date()
}

fn decision(kind: Kind, body: Object, bps: i64) -> Document {
    example().sign(kind, day(), body, Some(bps), None, &[])
}

fn by(kind: Kind, body: Object, parties: &[&SecretKey]) -> Document {
    example().sign(kind, day(), body, None, None, parties)
}

fn payment(id: &str, purpose: &str, amount: i64, reference: Object) -> Object {
    obj(vec![
        ("amount", Value::Int(amount)),
        ("id", s(id)),
        ("purpose", s(purpose)),
        ("ref", Value::Object(reference)),
    ])
}

fn treasurer_pays(body: Object) -> Document {
    by(Kind::Payment, body, &[example().treasurer()])
}

#[test]
fn the_example_audits_clean_and_regenerates_identically() {
    let bytes = example().builder().to_bytes();
    let shipped = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/commune.jsonl"
    ))
    .unwrap();
    assert!(
        bytes == shipped,
        "examples/commune.jsonl is stale: run `cargo run --example generate`"
    );
    let r = audit::audit(&bytes[..], &Options::default()).unwrap();
    assert!(r.is_valid(), "{:?}", r.findings);
    let bylaws =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bylaws.txt")).unwrap();
    assert_eq!(bylaws, simulate::BYLAWS.as_bytes());
}

#[test]
fn the_example_tells_its_story() {
    let st = example().state();
    let count = |k: &str| {
        example()
            .builder()
            .lines()
            .iter()
            .filter(|l| String::from_utf8_lossy(l).contains(&format!("\"kind\":\"{k}\"")))
            .count()
    };
    assert!(st.members.len() >= 40, "dozens of members");
    assert!(
        st.members.values().any(|m| m.until.is_some()),
        "members leave"
    );
    assert!(st.assets.len() >= 3 && st.series.len() >= 3 && st.agreements.len() >= 3);
    assert!(count("key_rotation") >= 1 && count("key_recovery") >= 1);
    assert!(count("bond_transfer") >= 1 && count("reversal") >= 1);
    let first = example().builder().lines().first().unwrap().clone();
    let months = example().last_date().month_index() - Date::new(2024, 1, 1).unwrap().month_index();
    assert!(
        months >= 24,
        "two years or more, from {}",
        String::from_utf8_lossy(&first[..40])
    );
    // the unpaid rent of the last month is in arrears, with its days
    let arrears = st.arrears();
    assert!(!arrears.is_empty());
    match &arrears[0] {
        commonstock::commune::Arrear::Rent {
            agreement,
            instalment,
            due,
            owed,
            days,
        } => {
            let a = &st.agreements[agreement];
            assert_eq!(*owed, a.rent(*instalment) as i128);
            assert_eq!(*days, day().to_days() - due.to_days());
            assert!(*days > 0);
        }
        other => panic!("expected rent arrears first, got {other:?}"),
    }
}

// -- membership: one share per member, never transferred

#[test]
fn admission_needs_the_threshold_and_the_new_members_signature() {
    let k = fresh(1);
    let body = obj(vec![("key", key(&k)), ("member", s("m900"))]);
    let t = example().thresholds().admission;
    accepts(&[example().sign(Kind::Admission, day(), body.clone(), Some(t), None, &[&k])]);
    // threshold: only the new member and one other
    let f = rejects(
        &[by(
            Kind::Admission,
            body.clone(),
            &[&k, example().key("m001")],
        )],
        Rule::Aut2,
    );
    let n = example().state().current_members() as i128;
    assert_eq!(f.expected, Some((n * t as i128 + 9_999) / 10_000));
    assert_eq!(f.found, Some(1));
    // consent: no signature by the new key
    rejects(&[decision(Kind::Admission, body, t)], Rule::Aut3);
}

#[test]
fn a_member_holds_one_share_only() {
    let t = example().thresholds().admission;
    // an existing member id admitted again
    let k = fresh(2);
    let body = obj(vec![("key", key(&k)), ("member", s("m001"))]);
    rejects(
        &[example().sign(Kind::Admission, day(), body, Some(t), None, &[&k])],
        Rule::Mem1,
    );
    // an existing member's key admitted as a second member
    let k = example().key("m020");
    let body = obj(vec![("key", key(k)), ("member", s("m901"))]);
    rejects(
        &[example().sign(Kind::Admission, day(), body, Some(t), None, &[k])],
        Rule::Mem1,
    );
    // a "transfer": rotating a member's key to another member's key
    let other = example().key("m021");
    let body = obj(vec![("member", s("m020")), ("new_key", key(other))]);
    rejects(
        &[by(Kind::KeyRotation, body, &[example().key("m020"), other])],
        Rule::Mem1,
    );
}

#[test]
fn a_rotated_out_key_counts_for_nothing() {
    // m020 rotates its key; an approval then signed by exactly the threshold
    // of members, m020 among them with its OLD key, is one short.
    let old = example().key("m020");
    let new = fresh(3);
    let rotate = by(
        Kind::KeyRotation,
        obj(vec![("member", s("m020")), ("new_key", key(&new))]),
        &[old, &new],
    );
    let t = example().thresholds().expense;
    let body = obj(vec![
        ("amount", Value::Int(100)),
        ("approval", s("paint")),
        ("payee", s("Farbe GmbH")),
        ("purpose", s("paint")),
    ]);
    let n = example().state().current_members();
    let need = commonstock::commune::required(n, t) as usize;
    let signers: Vec<String> = example()
        .current()
        .into_iter()
        .filter(|m| m != "m020")
        .take(need - 1)
        .collect();
    let approval = |m020: &SecretKey| {
        let mut doc = Document::new(example().id(), Kind::ExpenseApproval, day(), body.clone());
        for m in &signers {
            doc.sign(example().key(m)).unwrap();
        }
        doc.sign(m020).unwrap();
        doc
    };
    accepts(&[rotate.clone(), approval(&new)]);
    let f = rejects(&[rotate, approval(old)], Rule::Aut2);
    assert_eq!(
        (f.expected, f.found, f.difference()),
        (Some(need as i128), Some(need as i128 - 1), Some(-1))
    );
}

#[test]
fn exits() {
    // a former member cannot leave again
    let st = example().state();
    let former = st
        .members
        .iter()
        .find(|(_, m)| m.until.is_some())
        .map(|(id, _)| id.clone())
        .unwrap();
    let body = obj(vec![("member", s(&former)), ("reason", s("expulsion"))]);
    let t = example().thresholds().expulsion;
    rejects(&[decision(Kind::Exit, body, t)], Rule::Mem2);
    // voluntary exit must be signed by the member
    let body = obj(vec![("member", s("m030")), ("reason", s("voluntary"))]);
    let stranger = by(Kind::Exit, body.clone(), &[example().key("m031")]);
    rejects(&[stranger], Rule::Aut3);
    // an expulsion where the target signs does not count the target
    let mut doc = Document::new(
        example().id(),
        Kind::Exit,
        day(),
        obj(vec![("member", s("m031")), ("reason", s("expulsion"))]),
    );
    let n = example().state().current_members() - 1;
    let need = commonstock::commune::required(n, t) as usize;
    doc.sign(example().key("m031")).unwrap();
    for m in example()
        .current()
        .iter()
        .filter(|m| *m != "m031")
        .take(need - 1)
    {
        doc.sign(example().key(m)).unwrap();
    }
    rejects(&[doc], Rule::Aut2);
}

// -- assets, bonds, rent

fn series_body(
    id: &str,
    asset: &str,
    face: i64,
    n: i64,
    rate: i64,
    units: i64,
    tamper: impl Fn(&mut Vec<Value>),
) -> Object {
    let first_due = Date::from_month_index(day().month_index() + 1, 10).unwrap();
    let rows = commonstock::commune::schedule(true, face, n, rate, first_due);
    let mut schedule: Vec<Value> = rows
        .iter()
        .map(|r| {
            Value::Object(obj(vec![
                ("coupon", Value::Int(r.coupon)),
                ("due", Value::from(r.due.to_string())),
                ("principal", Value::Int(r.principal)),
            ]))
        })
        .collect();
    tamper(&mut schedule);
    obj(vec![
        ("amortisation", s("linear")),
        ("asset", s(asset)),
        ("face", Value::Int(face)),
        ("first_due", Value::from(first_due.to_string())),
        ("payments", Value::Int(n)),
        ("rate_bps", Value::Int(rate)),
        ("schedule", Value::Array(schedule)),
        ("series", s(id)),
        ("text", Value::from(hash::text(b"terms").to_b64())),
        ("units", Value::Int(units)),
    ])
}

fn new_asset(id: &str) -> Document {
    let body = obj(vec![
        ("asset", s(id)),
        ("description", s("a loom")),
        ("price", Value::Int(1_000_000)),
        ("text", Value::from(hash::text(b"loom").to_b64())),
    ]);
    decision(Kind::AssetAcquisition, body, example().thresholds().asset)
}

#[test]
fn bond_schedules_recompute_exactly() {
    let t = example().thresholds().bond;
    let good = series_body("loom-bonds", "loom", 10_000, 7, 600, 10, |_| {});
    accepts(&[new_asset("loom"), decision(Kind::BondSeries, good, t)]);
    let bad = series_body("loom-bonds", "loom", 10_000, 7, 600, 10, |rows| {
        if let Value::Object(o) = &mut rows[2] {
            o.insert("coupon", Value::Int(36));
        }
    });
    let f = rejects(
        &[new_asset("loom"), decision(Kind::BondSeries, bad, t)],
        Rule::Sch1,
    );
    assert_eq!(f.field.as_deref(), Some("doc.body.schedule[2].coupon"));
    assert_eq!(
        (f.expected, f.found, f.difference()),
        (Some(35), Some(36), Some(1))
    );
    // a series on an asset that does not exist
    let orphan = series_body("x-bonds", "nothing", 10_000, 7, 600, 10, |_| {});
    rejects(&[decision(Kind::BondSeries, orphan, t)], Rule::Ref1);
}

#[test]
fn units_sold_never_exceed_units_issued() {
    let t = example().thresholds().bond;
    let series = decision(
        Kind::BondSeries,
        series_body("loom-bonds", "loom", 10_000, 7, 600, 10, |_| {}),
        t,
    );
    let buyer = fresh(4);
    let sale = |units| {
        let body = obj(vec![
            ("holder", key(&buyer)),
            ("price", Value::Int(10_000)),
            ("series", s("loom-bonds")),
            ("units", Value::Int(units)),
        ]);
        by(Kind::BondSale, body, &[&buyer, example().treasurer()])
    };
    accepts(&[new_asset("loom"), series.clone(), sale(10)]);
    let f = rejects(
        &[new_asset("loom"), series.clone(), sale(6), sale(5)],
        Rule::Sch2,
    );
    assert_eq!((f.expected, f.found), (Some(4), Some(5)));
    // the commune must sign too (a treasurer)
    let body = obj(vec![
        ("holder", key(&buyer)),
        ("price", Value::Int(10_000)),
        ("series", s("loom-bonds")),
        ("units", Value::Int(1)),
    ]);
    rejects(
        &[
            new_asset("loom"),
            series,
            by(Kind::BondSale, body, &[&buyer]),
        ],
        Rule::Aut4,
    );
}

#[test]
fn rent_must_cover_the_guaranteed_service() {
    let t = example().thresholds();
    let series = decision(
        Kind::BondSeries,
        series_body("loom-bonds", "loom", 10_000, 7, 600, 10, |_| {}),
        t.bond,
    );
    // monthly service per 10 units: (1428 + 50) × 10 = 14,780 in the first month
    let lease = |rent: i64| {
        let start = Date::from_month_index(day().month_index() + 1, 5).unwrap();
        let body = obj(vec![
            ("agreement", s("loom-lease")),
            ("asset", s("loom")),
            ("guarantees", Value::Array(vec![s("loom-bonds")])),
            ("instalments", Value::Int(7)),
            (
                "rent",
                Value::Array(vec![Value::Object(obj(vec![
                    ("amount", Value::Int(rent)),
                    ("from", Value::Int(1)),
                ]))]),
            ),
            ("renters", Value::Array(vec![s("m020")])),
            ("start", Value::from(start.to_string())),
            ("text", Value::from(hash::text(b"lease").to_b64())),
        ]);
        example().sign(
            Kind::RentalAgreement,
            day(),
            body,
            Some(t.rental),
            None,
            &[example().key("m020")],
        )
    };
    accepts(&[new_asset("loom"), series.clone(), lease(14_780)]);
    let f = rejects(&[new_asset("loom"), series, lease(14_779)], Rule::Sch3);
    assert_eq!(
        (f.expected, f.found, f.difference()),
        (Some(14_780), Some(14_779), Some(-1))
    );
}

// -- payments and cash

#[test]
fn no_payment_without_authority() {
    // an expense with no approval
    let f = rejects(
        &[treasurer_pays(payment(
            "x1",
            "expense",
            100,
            obj(vec![("approval", s("nothing"))]),
        ))],
        Rule::Ref1,
    );
    assert_eq!(f.field.as_deref(), Some("doc.body.ref.approval"));
    // over what is left of the approval
    let roof = &example().state().approvals["roof-repair"];
    let room = roof.amount as i128 - roof.spent;
    assert!(room > 0);
    let over = room as i64 + 1;
    let f = rejects(
        &[treasurer_pays(payment(
            "x2",
            "expense",
            over,
            obj(vec![("approval", s("roof-repair"))]),
        ))],
        Rule::Pay1,
    );
    assert_eq!(
        (f.expected, f.found, f.difference()),
        (Some(room), Some(room + 1), Some(1))
    );
    // a coupon of the wrong amount: series-4's row 1 to an outside holder
    let st = example().state();
    let s3 = &st.series["series-4"];
    let (holder, units) = s3.records[0].iter().next().map(|(k, u)| (*k, *u)).unwrap();
    let reference = obj(vec![
        ("holder", Value::from(b64::encode(&holder))),
        ("row", Value::Int(1)),
        ("series", s("series-4")),
    ]);
    // already paid in the example
    let right = units * s3.rows[0].coupon;
    rejects(
        &[treasurer_pays(payment(
            "x3",
            "coupon",
            right,
            reference.clone(),
        ))],
        Rule::Pay1,
    );
    // a payment signed by a member who is not a treasurer
    let doc = by(
        Kind::Payment,
        payment("x4", "income", 5, obj(vec![("source", s("gift"))])),
        &[example().key("m020")],
    );
    rejects(&[doc], Rule::Aut4);
    // rent for an instalment that does not exist
    let body = payment(
        "x5",
        "rent",
        1,
        obj(vec![
            ("agreement", s("lease-3")),
            ("instalment", Value::Int(31)),
        ]),
    );
    rejects(&[treasurer_pays(body)], Rule::Pay1);
}

#[test]
fn cash_never_goes_negative() {
    let t = example().thresholds().expense;
    let cash = example().state().cash as i64;
    let approve = decision(
        Kind::ExpenseApproval,
        obj(vec![
            ("amount", Value::Int(cash + 1)),
            ("approval", s("big")),
            ("payee", s("someone")),
            ("purpose", s("everything")),
        ]),
        t,
    );
    accepts(&[
        approve.clone(),
        treasurer_pays(payment(
            "y1",
            "expense",
            cash,
            obj(vec![("approval", s("big"))]),
        )),
    ]);
    let f = rejects(
        &[
            approve,
            treasurer_pays(payment(
                "y1",
                "expense",
                cash + 1,
                obj(vec![("approval", s("big"))]),
            )),
        ],
        Rule::Bal1,
    );
    assert_eq!(
        (f.expected, f.found),
        (Some(cash as i128), Some(cash as i128 + 1))
    );
}

#[test]
fn reversals() {
    let income = treasurer_pays(payment("z1", "income", 7, obj(vec![("source", s("oops"))])));
    let reverse = |reason: &str| {
        by(
            Kind::Reversal,
            obj(vec![("payment", s("z1")), ("reason", s(reason))]),
            &[example().treasurer()],
        )
    };
    accepts(&[income.clone(), reverse("booked by mistake")]);
    rejects(
        &[income, reverse("booked by mistake"), reverse("again")],
        Rule::Pay2,
    );
    rejects(&[reverse("no such payment")], Rule::Ref1);
}

#[test]
fn bond_transfers_need_both_parties_and_the_charter() {
    let st = example().state();
    let holder = example()
        .holder_keys()
        .find(|k| {
            st.series["series-4"]
                .holdings
                .get(&k.public_key())
                .is_some_and(|u| *u > 0)
        })
        .unwrap();
    let to = fresh(5);
    let body = obj(vec![
        ("from", key(holder)),
        ("series", s("series-4")),
        ("to", key(&to)),
        ("units", Value::Int(1)),
    ]);
    accepts(&[by(Kind::BondTransfer, body.clone(), &[holder, &to])]);
    rejects(
        &[by(Kind::BondTransfer, body.clone(), &[holder])],
        Rule::Aut3,
    );
    let held = st.series["series-4"].holdings[&holder.public_key()];
    let too_many = obj(vec![
        ("from", key(holder)),
        ("series", s("series-4")),
        ("to", key(&to)),
        ("units", Value::Int(held + 1)),
    ]);
    rejects(
        &[by(Kind::BondTransfer, too_many, &[holder, &to])],
        Rule::Sch2,
    );
    // the charter amended to forbid transfers
    let s0 = st.settings.clone().unwrap();
    let thresholds = obj(vec![
        ("admission", Value::Int(s0.thresholds.admission)),
        ("amendment", Value::Int(s0.thresholds.amendment)),
        ("asset", Value::Int(s0.thresholds.asset)),
        ("bond", Value::Int(s0.thresholds.bond)),
        ("close", Value::Int(s0.thresholds.close)),
        ("expense", Value::Int(s0.thresholds.expense)),
        ("expulsion", Value::Int(s0.thresholds.expulsion)),
        ("key_recovery", Value::Int(s0.thresholds.key_recovery)),
        ("rental", Value::Int(s0.thresholds.rental)),
    ]);
    let amend = decision(
        Kind::CharterAmendment,
        obj(vec![
            ("bonds_transferable", Value::Bool(false)),
            ("bylaws", Value::from(b64::encode(&s0.bylaws))),
            ("reserve_bps", Value::Int(s0.reserve_bps)),
            ("thresholds", Value::Object(thresholds)),
            (
                "treasurers",
                Value::Array(s0.treasurers.iter().map(|t| s(t)).collect()),
            ),
        ]),
        s0.thresholds.amendment,
    );
    rejects(
        &[amend, by(Kind::BondTransfer, body, &[holder, &to])],
        Rule::Aut5,
    );
}

// -- bodies

#[test]
fn bodies_are_closed_and_typed() {
    let mut body = payment("w1", "income", 5, obj(vec![("source", s("gift"))]));
    body.insert("note", s("extra"));
    let f = rejects(&[treasurer_pays(body)], Rule::Com1);
    assert_eq!(f.field.as_deref(), Some("doc.body.note"));
    rejects(
        &[treasurer_pays(payment(
            "W1",
            "income",
            5,
            obj(vec![("source", s("gift"))]),
        ))],
        Rule::Com2,
    );
    rejects(
        &[treasurer_pays(payment(
            "w1",
            "income",
            0,
            obj(vec![("source", s("gift"))]),
        ))],
        Rule::Com3,
    );
    let t = example().thresholds().rental;
    let body = obj(vec![
        ("agreement", s("l9")),
        ("asset", s("asset-1")),
        ("guarantees", Value::Array(vec![])),
        ("instalments", Value::Int(3)),
        (
            "rent",
            Value::Array(vec![Value::Object(obj(vec![
                ("amount", Value::Int(1)),
                ("from", Value::Int(1)),
            ]))]),
        ),
        ("renters", Value::Array(vec![s("m021"), s("m020")])),
        (
            "start",
            Value::from(
                Date::from_month_index(day().month_index() + 1, 5)
                    .unwrap()
                    .to_string(),
            ),
        ),
        ("text", Value::from(hash::text(b"x").to_b64())),
    ]);
    rejects(
        &[example().sign(Kind::RentalAgreement, day(), body, Some(t), None, &[])],
        Rule::Com4,
    );
}

#[test]
fn a_voided_document_changes_nothing() {
    // a payment over the cash is void; the same id can then be used.
    let cash = example().state().cash as i64;
    let t = example().thresholds().expense;
    let approve = decision(
        Kind::ExpenseApproval,
        obj(vec![
            ("amount", Value::Int(cash + 1)),
            ("approval", s("v")),
            ("payee", s("p")),
            ("purpose", s("q")),
        ]),
        t,
    );
    let too_much = treasurer_pays(payment(
        "v1",
        "expense",
        cash + 1,
        obj(vec![("approval", s("v"))]),
    ));
    let fine = {
        let mut d = Document::new(
            example().id(),
            Kind::Payment,
            day(),
            payment("v1", "expense", 1, obj(vec![("approval", s("v"))])),
        );
        d.sign(example().treasurer()).unwrap();
        d
    };
    let (r, first) = with(&[approve, too_much, fine]);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(
        (r.findings[0].rule, r.findings[0].entry),
        (Rule::Bal1, Some(first + 1))
    );
}
