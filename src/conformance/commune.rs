//! The cases of the commune rules (spec chapter 10): [`life`], one valid
//! chain that uses every kind of commune document, and for every rule
//! chains whose only finding is that rule at the last entry. Each failing
//! case appends documents to [`Fixture`] or to a prefix of [`life`]; every
//! appended document but the last is valid.

use super::build::{
    Fixture, Gen, bond_ref, charter_body, income, key, lease_body, obj, payment, pk, series_body,
    signed, text_hash,
};
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Builder};
use crate::protocol::document::{Document, Kind};
use crate::protocol::rule::Rule;
use crate::protocol::sig::SecretKey;

/// The life of a commune that uses every kind of document the commune rules
/// define (spec chapter 10), valid throughout. Members: founders `f1`, `f2`,
/// `f3` (keys 1, 2, 3; treasurers `f1`, `f2`), `m4` (key 5, rotated to key
/// 7), `m5` (key 6, recovered as key 8). Bondholders outside the commune:
/// keys 20, 21, 22. Thresholds as [`thresholds`](super::thresholds); the
/// entry comments give the signatures each decision needs. Cash after each
/// money entry in brackets.
#[rustfmt::skip]
pub fn life() -> Fixture {
    let k: Vec<SecretKey> = (0..=22).map(key).collect();
    let body = charter_body("Atelier de la Lune", &[&k[1], &k[2], &k[3]]);
    let mut f = Fixture::of(chain::commune_id(&body), Vec::new());
    let (id, int) = (|s: &str| Value::from(s), Value::Int);
    let three = [&k[1], &k[2], &k[3]];
    let pay = |id: &str, purpose: &str, amount: i64, r: &[(&str, Value)]| payment(id, purpose, amount, obj(r));
    // 0: 3 founders
    f.push(Kind::Charter, "2025-01-01", body, &three);
    // 1: 3 members at 5,001 bps: ceil(1.5003) = 2, and the new key
    f.push(Kind::Admission, "2025-01-02", obj(&[("key", pk(&k[5])), ("member", id("m4"))]),
        &[&k[1], &k[2], &k[5]]);
    // 2: 4 members: ceil(2.0004) = 3
    f.push(Kind::Admission, "2025-01-02", obj(&[("key", pk(&k[6])), ("member", id("m5"))]),
        &[&k[1], &k[2], &k[3], &k[6]]);
    // 3: m4 rotates key 5 to key 7: both keys sign
    f.push(Kind::KeyRotation, "2025-01-03", obj(&[("member", id("m4")), ("new_key", pk(&k[7]))]),
        &[&k[5], &k[7]]);
    // 4: m5 lost key 6: 4 members besides m5 at 6,667 bps: ceil(2.6668) = 3, and key 8
    f.push(Kind::KeyRecovery, "2025-01-03", obj(&[("member", id("m5")), ("new_key", pk(&k[8]))]),
        &[&k[1], &k[2], &k[3], &k[8]]);
    // 5: income [500,000]
    f.push(Kind::Payment, "2025-01-10", income("grant-1", 500_000, "Förderverein Nord: start-up grant"),
        &[&k[1]]);
    // 6: 5 members at 5,001 bps: ceil(2.5005) = 3
    f.push(Kind::AssetAcquisition, "2025-01-15", obj(&[
        ("asset", id("lathe")),
        ("description", id("Lathe, 1.5 m between centres")),
        ("price", int(300_000)),
        ("text", text_hash("Purchase agreement for the lathe.\n")),
    ]), &three);
    // 7: the purchase, at the price [200,000]
    f.push(Kind::Payment, "2025-01-20", pay("buy-lathe", "asset_purchase", 300_000, &[("asset", id("lathe"))]),
        &[&k[2]]);
    // 8, 9: two series on the lathe (3 signatures each)
    f.push(Kind::BondSeries, "2025-02-01", series_body("lathe-a", true, 10_000, 7, 600, 20), &three);
    f.push(Kind::BondSeries, "2025-02-01", series_body("lathe-b", false, 1_000, 3, 1_200, 10), &three);
    // 10, 11: sales, signed by the buyer and a treasurer [300,000; 310,000]
    let sale = |holder: &SecretKey, price, series, units| obj(&[
        ("holder", pk(holder)), ("price", int(price)), ("series", id(series)), ("units", int(units)),
    ]);
    f.push(Kind::BondSale, "2025-02-05", sale(&k[20], 10_000, "lathe-a", 10), &[&k[1], &k[20]]);
    f.push(Kind::BondSale, "2025-02-05", sale(&k[21], 1_000, "lathe-b", 10), &[&k[2], &k[21]]);
    // 12: key 20 transfers 4 of its 10 lathe-a units to key 22
    f.push(Kind::BondTransfer, "2025-02-10", transfer(&k[20], &k[22], 4), &[&k[20], &k[22]]);
    // 13: m4 rents the lathe; the rent covers both series (SCH-3): by the
    // end of each month from 2025-03 the cumulative rent (30,000, then
    // 40,000 a month) is at least the cumulative service of 20 lathe-a and
    // 10 lathe-b units (29,660; 59,160; 98,520; 127,640; 156,620; 185,460;
    // 214,240 from March to September). 3 members and m4's current key 7.
    f.push(Kind::RentalAgreement, "2025-02-20",
        lease_body("lease-1", &["lathe-a", "lathe-b"], &[(30_000, 1), (40_000, 2)], &["m4"]),
        &[&k[1], &k[2], &k[3], &k[7]]);
    // 14: rent, instalment 1 [340,000]
    f.push(Kind::Payment, "2025-03-01",
        pay("rent-1", "rent", 30_000, &[("agreement", id("lease-1")), ("instalment", int(1))]), &[&k[1]]);
    // 15-17: row 1 of both series, due 2025-03-15; holders of record:
    // key 20 (6 lathe-a units), key 22 (4), key 21 (10 lathe-b units).
    // Coupon 6 × 50 [339,700]; principal 4 × 1,428 [333,988]; coupon 10 × 10 [333,888]
    f.push(Kind::Payment, "2025-03-15",
        payment("cpn-a1-20", "coupon", 300, bond_ref(&k[20], 1, "lathe-a")), &[&k[1]]);
    f.push(Kind::Payment, "2025-03-15",
        payment("prn-a1-22", "principal", 5_712, bond_ref(&k[22], 1, "lathe-a")), &[&k[2]]);
    f.push(Kind::Payment, "2025-03-15",
        payment("cpn-b1-21", "coupon", 100, bond_ref(&k[21], 1, "lathe-b")), &[&k[1]]);
    // 18: an expense approval (3 signatures)
    f.push(Kind::ExpenseApproval, "2025-03-20", obj(&[
        ("amount", int(20_000)),
        ("approval", id("paint")),
        ("payee", id("Farben Müller GmbH")),
        ("purpose", id("Paint for the workshop floor")),
    ]), &three);
    // 19, 20: an expense and a refund against it [318,888; 316,888]
    f.push(Kind::Payment, "2025-03-21", pay("paint-1", "expense", 15_000, &[("approval", id("paint"))]),
        &[&k[2]]);
    f.push(Kind::Payment, "2025-03-22", pay("refund-1", "refund", 2_000, &[("approval", id("paint"))]),
        &[&k[1]]);
    // 21: the refund reversed [318,888]
    f.push(Kind::Reversal, "2025-03-25",
        obj(&[("payment", id("refund-1")), ("reason", id("refund paid in error"))]), &[&k[2]]);
    // 22: m4 ends the lease by notice (key 7)
    f.push(Kind::RentalEnd, "2025-04-10",
        obj(&[("agreement", id("lease-1")), ("reason", id("notice"))]), &[&k[7]]);
    // 23: m5 leaves (key 8)
    f.push(Kind::Exit, "2025-04-15", obj(&[("member", id("m5")), ("reason", id("voluntary"))]), &[&k[8]]);
    // 24: 4 members at 6,667 bps: ceil(2.6668) = 3; bonds no longer transferable
    let mut amendment = amendment(&three);
    amendment.insert("bonds_transferable", Value::Bool(false));
    f.push(Kind::CharterAmendment, "2025-04-20", amendment, &three);
    f
}

/// A transfer of `units` lathe-a units from `from` to `to`.
fn transfer(from: &SecretKey, to: &SecretKey, units: i64) -> Object {
    obj(&[
        ("from", pk(from)),
        ("series", Value::from("lathe-a")),
        ("to", pk(to)),
        ("units", Value::Int(units)),
    ])
}

/// A charter amendment body: the charter's amendable members as
/// [`charter_body`] sets them.
fn amendment(founders: &[&SecretKey]) -> Object {
    let mut body = charter_body("", founders);
    for m in ["currency", "founders", "name"] {
        body.remove(m);
    }
    body
}

/// Sets member `m` of row `i` of a bond series body's schedule.
fn edit_row(body: &mut Object, i: usize, m: &str, v: Value) {
    let Some(Value::Array(mut rows)) = body.remove("schedule") else {
        unreachable!("a series body")
    };
    let Value::Object(r) = &mut rows[i] else {
        unreachable!("rows are objects")
    };
    r.insert(m, v);
    body.insert("schedule", Value::Array(rows));
}

/// The commune cases.
#[rustfmt::skip]
pub(crate) fn cases(g: &mut Gen) {
    let f = Fixture::new();
    let c = f.commune;
    let life = life();
    let k: Vec<SecretKey> = (0..=23).map(key).collect();
    let (id, int) = (|s: &str| Value::from(s), Value::Int);
    let three = [&k[1], &k[2], &k[3]];
    // the fixture plus `docs`; the last is entry 4 + docs.len()
    let fx = |docs: &[Document]| (Some(4 + docs.len() as u64), f.with_all(docs));
    // the first `n` entries of the life plus `docs`
    let lf = |n: usize, docs: &[Document]| (Some((n + docs.len() - 1) as u64), life.prefix(n).with_all(docs));
    let doc = |kind, d: &str, body: Object, signers: &[&SecretKey]| signed(c, kind, d, body, signers);
    let ldoc = |kind, d: &str, body: Object, signers: &[&SecretKey]| signed(life.commune, kind, d, body, signers);
    let one = |docs: &[Document]| {
        let mut b = Builder::new();
        for d in docs {
            b.push(d);
        }
        (Some(docs.len() as u64 - 1), b.to_bytes())
    };
    // --- the valid life
    let all_commune: Vec<Rule> = Rule::ALL.iter().copied().filter(|r| r.section() == "10-commune.md").collect();
    g.valid(
        "commune_life",
        &all_commune,
        "Every kind of commune document, valid: charter; two admissions (threshold and the new \
         key); a key rotation and a key recovery; income; an asset and its purchase; a linear \
         and a bullet bond series on it (schedules as spec 10.3.7 computes them); two sales; a \
         transfer; a rental agreement guaranteeing both series whose stepped rent covers their \
         service month by month; rent, coupons and a principal paid to the holders of record; \
         an expense approval, an expense and a refund, the refund reversed; the rental ended \
         by notice; a voluntary exit; an amendment making bonds non-transferable.",
        life.bytes(),
    );
    let mut case = |rule: Rule, short: &str, (entry, data): (Option<u64>, Vec<u8>), comment: &str| {
        g.invalid(rule, short, entry, comment, data);
    };
    let kinds: Vec<Kind> = life.docs.iter().map(|d| d.kind).collect();
    assert_eq!(kinds.len(), 25);
    assert_eq!(kinds[13], Kind::RentalAgreement);
    let gift = |id: &str, amount, signer: &SecretKey| doc(Kind::Payment, "2025-01-01", income(id, amount, "gift"), &[signer]);

    // --- COM: bodies
    let mut memo = income("p4", 5, "gift");
    memo.insert("memo", id("thanks"));
    case(Rule::Com1, "unknown_member", fx(&[doc(Kind::Payment, "2025-01-01", memo, &[&k[1]])]),
        "Entry 5 is an income payment whose body also has a `memo` member: bodies are closed.");
    let mut body = charter_body("Fonderie Café ☕", &three);
    body.insert("currency", id("EUR"));
    let cc = chain::commune_id(&body);
    case(Rule::Com1, "currency_not_object", one(&[signed(cc, Kind::Charter, "2024-02-29", body, &three)]),
        "The charter's `currency` is the string \"EUR\", not {\"code\",\"exponent\"}: COM-1 at \
         entry 0 (the charter is void).");
    case(Rule::Com2, "uppercase_id", fx(&[gift("P4", 5, &k[1])]),
        "Entry 5 is an income payment with the id `P4`: ids are lowercase.");
    case(Rule::Com3, "zero_amount",
        fx(&[doc(Kind::Payment, "2025-01-01", income("p4", 0, "nothing"), &[&k[1]])]),
        "Entry 5 is an income payment of 0: a payment's amount is at least 1.");
    let mut body = amendment(&three);
    body.insert("treasurers", Value::Array(vec![id("f2"), id("f1")]));
    case(Rule::Com4, "treasurers_unsorted", fx(&[doc(Kind::CharterAmendment, "2025-01-01", body, &three)]),
        "Entry 5 is a charter amendment listing the treasurers as [f2, f1], signed by \
         three of the four members (enough at 6,667 bps): lists are sorted.");

    // --- AUT: authority
    let mut docs = f.docs.clone();
    docs[0] = signed(c, Kind::Charter, "2024-02-29", f.docs[0].body.clone(), &[&k[1], &k[2]]);
    case(Rule::Aut1, "founder_missing", (Some(0), Fixture::of(c, docs).bytes()),
        "The fixture with its charter signed by f1 and f2 but not by f3 (same body, so the \
         same commune id): AUT-1 at entry 0. A void charter ends the commune rules, so \
         this is the only finding although entries 1 to 4 would be lawful.");
    let admit = |member: &str, new: &SecretKey| obj(&[("key", pk(new)), ("member", id(member))]);
    case(Rule::Aut2, "too_few_signers",
        fx(&[doc(Kind::Admission, "2025-01-01", admit("m5", &k[5]), &[&k[1], &k[5]])]),
        "Entry 5 admits key 5 as m5, signed by f1 and key 5 only. 4 current members at 5,001 \
         bps need ceil(4 × 5001 / 10000) = 3 counting members; 1 counts (key 5 is not yet a \
         member): expected 3, found 1, difference −2.");
    let rotation = obj(&[("member", id("zoe")), ("new_key", pk(&key(9)))]);
    case(Rule::Aut2, "rotated_out_key", fx(&[
            doc(Kind::KeyRotation, "2025-01-01", rotation, &[&k[4], &key(9)]),
            doc(Kind::Admission, "2025-01-02", admit("m5", &k[5]), &[&k[1], &k[2], &k[4], &k[5]]),
        ]),
        "Entry 5 rotates zoe's key 4 to key 9 (valid). Entry 6 admits key 5, signed by f1, f2, \
         zoe's old key 4 and key 5: a rotated-out key counts for nothing, so 2 of the 3 \
         required members count.");
    case(Rule::Aut3, "admission_without_new_key",
        fx(&[doc(Kind::Admission, "2025-01-01", admit("m5", &k[5]), &three)]),
        "Entry 5 admits key 5, signed by f1, f2 and f3 (enough) but not by key 5: the new \
         member's consent is missing.");
    case(Rule::Aut4, "not_a_treasurer", fx(&[gift("p4", 5, &k[3])]),
        "Entry 5 is an income payment signed by f3 only; the treasurers are f1 and f2.");
    case(Rule::Aut5, "transfer_not_allowed",
        lf(25, &[ldoc(Kind::BondTransfer, "2025-04-25", transfer(&k[22], &k[20], 1), &[&k[20], &k[22]])]),
        "The life, then a transfer of 1 lathe-a unit from key 22 to key 20 signed by both, \
         after entry 24 made bonds non-transferable.");

    case(Rule::Aut3, "before_aut5",
        lf(25, &[ldoc(Kind::BondTransfer, "2025-04-25", transfer(&k[22], &k[20], 1), &[&k[20]])]),
        "The life, then a transfer of 1 lathe-a unit from key 22 to key 20 after entry 24 made \
         bonds non-transferable, signed by key 20 only: a transfer is no decision, and its \
         party signatures (AUT-3) are checked before AUT-5 (spec 10.4), so the seller's \
         missing signature is the finding.");

    // --- MEM and LIM-4: membership
    case(Rule::Mem1, "member_id_reused",
        fx(&[doc(Kind::Admission, "2025-01-01", admit("f2", &k[5]), &[&k[1], &k[2], &k[3], &k[5]])]),
        "Entry 5 admits key 5 under the id f2, which a founder holds; signed by f1, f2, f3 \
         and key 5.");
    case(Rule::Mem1, "key_reused",
        fx(&[doc(Kind::Admission, "2025-01-01", admit("m5", &k[4]), &[&k[1], &k[2], &k[3], &k[4]])]),
        "Entry 5 admits zoe's key 4 again as m5; signed by f1, f2, f3 and key 4: one key, one \
         member.");
    let exit = |member: &str, reason: &str| obj(&[("member", id(member)), ("reason", id(reason))]);
    case(Rule::Mem2, "expel_former_member", fx(&[
            doc(Kind::Exit, "2025-01-01", exit("zoe", "voluntary"), &[&k[4]]),
            doc(Kind::Exit, "2025-01-02", exit("zoe", "expulsion"), &three),
        ]),
        "Entry 5: zoe leaves (voluntary, signed by key 4). Entry 6 expels zoe, signed by f1, \
         f2 and f3 (3 members, none the target, at 6,667 bps: 3 needed): she is not a current \
         member.");
    let body = charter_body("Solo", &[&k[1]]);
    let cc = chain::commune_id(&body);
    case(Rule::Mem3, "last_member", one(&[
            signed(cc, Kind::Charter, "2025-01-01", body, &[&k[1]]),
            signed(cc, Kind::Exit, "2025-02-01", exit("f1", "voluntary"), &[&k[1]]),
        ]),
        "A commune founded by f1 alone; entry 1: f1 leaves voluntarily (signed by key 1).");

    // --- REF: references
    let paint = || obj(&[("approval", id("paint"))]);
    case(Rule::Ref1, "no_such_approval",
        fx(&[doc(Kind::Payment, "2025-01-01", payment("p4", "expense", 10, paint()), &[&k[1]])]),
        "Entry 5 is an expense payment of 10 against the approval `paint`, which does not exist \
         in this commune.");
    case(Rule::Ref2, "payment_id_reused",
        fx(&[doc(Kind::Payment, "2025-01-01", income("p1", 7, "again"), &[&k[1]])]),
        "Entry 5 is an income payment of 7 with the id p1, which entry 2 used.");
    case(Rule::Ref3, "asset_already_rented",
        lf(14, &[ldoc(Kind::RentalAgreement, "2025-02-20", lease_body("lease-2", &[], &[(100, 1)], &["f3"]), &three)]),
        "The life to entry 13 (lease-1 rents the lathe from 2025-03-01 for 12 months), then a \
         second agreement for the lathe, lease-2 (renter f3, no guarantees), signed by f1, \
         f2 and f3: the asset has an active agreement.");
    let end = obj(&[("agreement", id("lease-1")), ("reason", id("notice"))]);
    case(Rule::Ref3, "ended_twice", lf(25, &[ldoc(Kind::RentalEnd, "2025-04-25", end, &[&k[7]])]),
        "The life, then m4 ends lease-1 by notice again (key 7): it ended at entry 22.");

    let notice = obj(&[("agreement", id("lease-9")), ("reason", id("notice"))]);
    case(Rule::Ref1, "notice_for_no_agreement", fx(&[doc(Kind::RentalEnd, "2025-01-01", notice, &[&k[1]])]),
        "Entry 5 ends lease-9 by notice, signed by f1; there is no agreement lease-9, so there \
         are no renters whose signatures a notice needs (spec 10.3.11): authority holds and \
         the finding is REF-1.");

    // --- SCH: schedules
    let mut body = series_body("lathe-a", true, 10_000, 7, 600, 20);
    edit_row(&mut body, 1, "coupon", int(43));
    case(Rule::Sch1, "linear_coupon", lf(8, &[ldoc(Kind::BondSeries, "2025-02-01", body, &three)]),
        "The life to entry 7, then lathe-a with row 2's coupon 43. Spec 10.3.7 for face \
         10,000, 7 linear payments at 600 bps: principal floor(10000 / 7) = 1,428 for rows \
         1-6 and 10,000 − 6 × 1,428 = 1,432 for row 7; coupon_k = floor(O_{k−1} × 600 / \
         120000) on O = 10,000, 8,572, 7,144, 5,716, 4,288, 2,860, 1,432: 50, 42, 35, 28, \
         21, 14, 7. SCH-1 at schedule[1].coupon: expected 42, found 43.");
    let mut body = series_body("lathe-b", false, 1_000, 3, 1_200, 10);
    edit_row(&mut body, 2, "principal", int(999));
    case(Rule::Sch1, "bullet_principal", lf(9, &[ldoc(Kind::BondSeries, "2025-02-01", body, &three)]),
        "The life to entry 8, then lathe-b (face 1,000, 3 bullet payments at 1,200 bps) \
         with row 3's principal 999. Spec 10.3.7: bullet principal is 0, 0 and face = \
         1,000; coupons floor(1000 × 1200 / 120000) = 10 each. SCH-1 at \
         schedule[2].principal: expected 1,000, found 999.");
    let sale = obj(&[("holder", pk(&k[23])), ("price", int(1)), ("series", id("lathe-a")), ("units", int(11))]);
    case(Rule::Sch2, "oversold", lf(11, &[ldoc(Kind::BondSale, "2025-02-05", sale, &[&k[1], &k[23]])]),
        "The life to entry 10 (10 of lathe-a's 20 units sold), then a sale of 11 more to key 23 \
         signed by key 23 and treasurer f1: 21 > 20.");
    case(Rule::Sch2, "transfer_more_than_held",
        lf(13, &[ldoc(Kind::BondTransfer, "2025-02-10", transfer(&k[22], &k[20], 5), &[&k[20], &k[22]])]),
        "The life to entry 12 (key 22 holds 4 lathe-a units), then key 22 transfers 5 to key 20, \
         signed by both.");
    let lease = lease_body("lease-1", &["lathe-a"], &[(29_560, 1), (29_399, 2)], &["m4"]);
    case(Rule::Sch3, "rent_one_short",
        lf(13, &[ldoc(Kind::RentalAgreement, "2025-02-20", lease, &[&k[1], &k[2], &k[3], &k[7]])]),
        "The life to entry 12, then lease-1 guaranteeing lathe-a only (20 units issued) with \
         rent 29,560 for instalment 1 and 29,399 from instalment 2, signed by f1, f2, f3 and \
         m4 (key 7). Service per unit: row 1 (2025-03-15) 50 + 1,428 = 1,478, row 2 \
         (2025-04-15) 42 + 1,428 = 1,470. March: rent 29,560 ≥ 20 × 1,478 = 29,560 (equal \
         covers). April: rent 29,560 + 29,399 = 58,959 < 29,560 + 20 × 1,470 = 58,960. SCH-3 \
         for 2025-04: expected 58,960, found 58,959, difference −1.");

    // --- PAY and BAL: payments and cash
    let coupon = payment("cpn-a1-20", "coupon", 301, bond_ref(&k[20], 1, "lathe-a"));
    case(Rule::Pay1, "wrong_coupon", lf(15, &[ldoc(Kind::Payment, "2025-03-15", coupon, &[&k[1]])]),
        "The life to entry 14, then a coupon of 301 to key 20 for lathe-a row 1 (due \
         2025-03-15). Key 20 held 6 units at the start of that day (10 bought, 4 transferred) \
         and the row's coupon is 50 per unit: exactly 300 is owed.");
    let expense = payment("paint-1", "expense", 20_001, paint());
    case(Rule::Pay1, "expense_over_approval", lf(19, &[ldoc(Kind::Payment, "2025-03-21", expense, &[&k[2]])]),
        "The life to entry 18 (approval paint: 20,000, nothing spent), then an expense of \
         20,001 against it.");
    let again = obj(&[("payment", id("refund-1")), ("reason", id("reversed again"))]);
    case(Rule::Pay2, "reversed_twice", lf(25, &[ldoc(Kind::Reversal, "2025-04-25", again, &[&k[1]])]),
        "The life, then the payment refund-1 reversed again (entry 21 reversed it).");
    let roof = obj(&[
        ("amount", int(250_000)), ("approval", id("roof")), ("payee", id("Dachdeckerei Ost")), ("purpose", id("New roof")),
    ]);
    let expense = payment("roof-1", "expense", 250_000, obj(&[("approval", id("roof"))]));
    case(Rule::Bal1, "expense_exceeds_cash", lf(8, &[
            ldoc(Kind::ExpenseApproval, "2025-01-25", roof, &three),
            ldoc(Kind::Payment, "2025-01-26", expense, &[&k[2]]),
        ]),
        "The life to entry 7 (cash 500,000 − 300,000 = 200,000), then an approval `roof` of \
         250,000 (f1, f2, f3) and an expense of 250,000 against it: cash would be −50,000.");
}
