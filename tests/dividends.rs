//! Dividends (spec chapter 11) on the example commune: its closes are
//! recomputed and match; altered figures, payouts and dividend payments are
//! reported with the exact difference.

use std::sync::OnceLock;

use commonstock::Rule;
use commonstock::audit::{self, Options, Report};
use commonstock::canonical::{Object, Value};
use commonstock::commune::month_name;
use commonstock::date::Date;
use commonstock::dividend::{self, Figures};
use commonstock::document::{Document, Kind};
use commonstock::simulate::{self, Commune, Params};

fn example() -> &'static Commune {
    static C: OnceLock<Commune> = OnceLock::new();
    C.get_or_init(|| simulate::generate(&Params::example()))
}

/// Audits the example with the gift and `docs` appended.
fn with(docs: &[Document]) -> (Report, u64) {
    let mut b = example().builder().clone();
    b.push(&gift());
    let first = b.len() as u64;
    for d in docs {
        b.push(d);
    }
    (
        audit::audit(&b.to_bytes()[..], &Options::default()).unwrap(),
        first,
    )
}

fn only(docs: &[Document], rule: Rule) -> audit::Finding {
    let (r, first) = with(docs);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = r.findings[0].clone();
    assert_eq!(f.rule, rule, "{f}");
    assert_eq!(f.entry, Some(first + docs.len() as u64 - 1), "{f}");
    f
}

/// A gift of 10,000.00 received in the example's open month, so that its
/// close has a pool to share.
fn gift() -> Document {
    let mut r = Object::new();
    r.insert("source", Value::from("a gift"));
    let mut b = Object::new();
    b.insert("amount", Value::Int(GIFT));
    b.insert("id", Value::from("gift"));
    b.insert("purpose", Value::from("income"));
    b.insert("ref", Value::Object(r));
    example().sign(
        Kind::Payment,
        example().last_date(),
        b,
        None,
        None,
        &[example().treasurer()],
    )
}

const GIFT: i64 = 1_000_000;

/// The next period of the example (after the gift), its recomputed
/// figures, and a date after it ends.
fn next_close() -> (i64, Figures, Date) {
    let st = example().state();
    let period = st.periods.next;
    let mut inputs = st.close_inputs(period);
    inputs.income += GIFT as i128;
    let f = dividend::compute(&inputs);
    assert!(f.pool > 0);
    (period, f, Date::from_month_index(period + 1, 2).unwrap())
}

fn close_doc(body: Object, date: Date) -> Document {
    example().sign(
        Kind::PeriodClose,
        date,
        body,
        Some(example().thresholds().close),
        None,
        &[],
    )
}

#[test]
fn the_example_closes_every_month_and_they_recompute() {
    let bytes = example().builder().to_bytes();
    let r = audit::audit(&bytes[..], &Options::default()).unwrap();
    assert!(r.is_valid(), "{:?}", r.findings);
    let closes = bytes
        .split(|b| *b == b'\n')
        .filter(|l| String::from_utf8_lossy(l).contains("\"kind\":\"period_close\""))
        .count();
    assert_eq!(r.dividends.len(), closes);
    assert!(closes >= 24);
    // whole-month members get the identical amount, `dividend`, every period
    for (period, f) in &r.dividends {
        let start = Date::from_month_index(*period, 1).unwrap();
        let len = commonstock::date::days_in_month(start.year(), start.month()) as i64;
        let whole: Vec<i128> = f
            .payouts()
            .filter(|p| p.days == len)
            .map(|p| p.amount)
            .collect();
        assert!(!whole.is_empty(), "{}", month_name(*period));
        assert!(
            whole.iter().all(|a| *a == f.dividend),
            "{}",
            month_name(*period)
        );
        // nothing lost
        if f.net > 0 {
            let paid: i128 = f.payouts().map(|p| p.amount).sum();
            assert_eq!(paid + f.reserve + f.carry_out, f.net);
        }
    }
    // every declared dividend was paid
    let st = example().state();
    for (member, declared, paid) in dividend::member_totals(st) {
        assert_eq!(declared, paid, "{member}");
    }
}

#[test]
fn a_correct_close_of_the_open_month_is_accepted() {
    let (period, f, date) = next_close();
    let (r, _) = with(&[close_doc(dividend::close_body(period, &f), date)]);
    assert!(r.is_valid(), "{:?}", r.findings);
    assert_eq!(*r.dividends[&period], f);
}

#[test]
fn an_altered_figure_is_reported_with_its_difference() {
    let (period, f, date) = next_close();
    let mut body = dividend::close_body(period, &f);
    body.insert("pool", Value::Int(f.pool as i64 + 1));
    let finding = only(&[close_doc(body, date)], Rule::Div2);
    assert_eq!(finding.field.as_deref(), Some("doc.body.pool"));
    assert_eq!(
        (finding.expected, finding.found, finding.difference()),
        (Some(f.pool), Some(f.pool + 1), Some(1))
    );
    let mut body = dividend::close_body(period, &f);
    body.insert("rent", Value::Int(f.rent as i64 - 7));
    let finding = only(&[close_doc(body, date)], Rule::Div2);
    assert_eq!(finding.difference(), Some(-7));
}

#[test]
fn an_altered_payout_is_reported_with_its_difference() {
    let (period, f, date) = next_close();
    let index = f.payouts().position(|p| p.amount > 0).unwrap();
    let payouts = |body: &mut Object| match body.get_mut("payouts") {
        Some(Value::Array(a)) => std::mem::take(a),
        _ => unreachable!("a close body"),
    };
    let mut body = dividend::close_body(period, &f);
    let mut list = payouts(&mut body);
    let amount = f.payout_at(index).amount as i64;
    if let Value::Object(p) = &mut list[index] {
        p.insert("amount", Value::Int(amount - 1));
    }
    body.insert("payouts", Value::Array(list));
    let finding = only(&[close_doc(body, date)], Rule::Div3);
    assert_eq!(
        finding.field.as_deref(),
        Some(format!("doc.body.payouts[{index}].amount").as_str())
    );
    assert_eq!(finding.difference(), Some(-1));
    // a member left out
    let mut body = dividend::close_body(period, &f);
    let mut list = payouts(&mut body);
    list.remove(index);
    body.insert("payouts", Value::Array(list));
    only(&[close_doc(body, date)], Rule::Div3);
}

#[test]
fn periods_close_in_order_and_after_they_end() {
    let (period, f, date) = next_close();
    // skipping a month
    let body = dividend::close_body(period + 1, &f);
    only(
        &[close_doc(
            body,
            date.max(Date::from_month_index(period + 2, 2).unwrap()),
        )],
        Rule::Div1,
    );
    // dated before the month has ended
    let early = example().last_date();
    assert!(early < Date::from_month_index(period + 1, 1).unwrap());
    only(
        &[close_doc(dividend::close_body(period, &f), early)],
        Rule::Div1,
    );
}

/// A payment of `member`'s dividend for `period`.
fn pay_dividend(id: &str, member: &str, amount: i64, period: i64, date: Date) -> Document {
    let mut r = Object::new();
    r.insert("member", Value::from(member));
    r.insert("period", Value::from(month_name(period)));
    let mut b = Object::new();
    b.insert("amount", Value::Int(amount));
    b.insert("id", Value::from(id));
    b.insert("purpose", Value::from("dividend"));
    b.insert("ref", Value::Object(r));
    example().sign(Kind::Payment, date, b, None, None, &[example().treasurer()])
}

fn reversal(payment: &str, reason: &str, date: Date) -> Document {
    let mut b = Object::new();
    b.insert("payment", Value::from(payment));
    b.insert("reason", Value::from(reason));
    example().sign(
        Kind::Reversal,
        date,
        b,
        None,
        None,
        &[example().treasurer()],
    )
}

#[test]
fn dividend_payments_must_match_their_close() {
    let (period, f, date) = next_close();
    let close = close_doc(dividend::close_body(period, &f), date);
    let p = f.payouts().find(|p| p.amount > 0).unwrap();
    let pay = |id: &str, amount: i64, period: i64| pay_dividend(id, p.member, amount, period, date);
    let amount = p.amount as i64;
    let (ok, _) = with(&[close.clone(), pay("d1", amount, period)]);
    assert!(ok.is_valid(), "{:?}", ok.findings);
    let wrong = only(&[close.clone(), pay("d1", amount + 1, period)], Rule::Pay1);
    assert_eq!(wrong.difference(), Some(1));
    only(
        &[
            close.clone(),
            pay("d1", amount, period),
            pay("d2", amount, period),
        ],
        Rule::Pay1,
    );
    // a period not closed yet
    only(&[pay("d1", amount, period)], Rule::Ref1);
}

/// A reversal undoes a dividend payment (it is payable again); it cannot
/// be undone twice, and the payment ids stay taken.
#[test]
fn a_reversed_dividend_is_payable_again() {
    let (period, f, date) = next_close();
    let close = close_doc(dividend::close_body(period, &f), date);
    // the last member with a dividend, and one before it
    let mut paid = f.payouts().filter(|p| p.amount > 0).rev();
    let (p, q) = (paid.next().unwrap(), paid.next().unwrap());
    let pay =
        |id: &str, p: dividend::Payout| pay_dividend(id, p.member, p.amount as i64, period, date);
    let totals = |docs: &[Document]| {
        let mut b = example().builder().clone();
        b.push(&gift());
        for d in docs {
            b.push(d);
        }
        let (r, st) = audit::audit_with_state(&b.to_bytes()[..], &Options::default()).unwrap();
        assert!(r.is_valid(), "{:?}", r.findings);
        let of = |m: &str| {
            let t = dividend::member_totals(&st);
            let (_, declared, paid) = t.into_iter().find(|t| t.0 == m).unwrap();
            declared - paid
        };
        (of(p.member), of(q.member))
    };
    let before = totals(std::slice::from_ref(&close));
    let docs = [close.clone(), pay("d1", p), pay("d2", q)];
    assert_eq!(totals(&docs), (before.0 - p.amount, before.1 - q.amount));
    let mut docs = docs.to_vec();
    docs.push(reversal("d1", "paid to the wrong account", date));
    assert_eq!(totals(&docs), (before.0, before.1 - q.amount));
    docs.push(pay("d3", p));
    assert_eq!(totals(&docs), (before.0 - p.amount, before.1 - q.amount));
    // the reversed payment cannot be reversed again, nor its id reused
    let mut twice = docs[..4].to_vec();
    twice.push(reversal("d1", "once more", date));
    only(&twice, Rule::Pay2);
    let mut reused = docs[..4].to_vec();
    reused.push(pay("d1", q));
    only(&reused, Rule::Ref2);
    // paid again, it is paid
    let mut again = docs.clone();
    again.push(pay("d4", p));
    only(&again, Rule::Pay1);
}
