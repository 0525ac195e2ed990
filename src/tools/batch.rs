//! Drafting payments in batches, with everything the rules fix filled in
//! (spec/10-commune.md §10.3.13, spec/11-dividends.md §11.5; the id scheme
//! and the CSV mapping are spec/13-outputs.md, "drafted payments"):
//!
//! - [`dividends`]: one payment per member with a dividend of a closed
//!   period still payable;
//! - [`bond_service`]: one payment per series, row, holder of record and
//!   coupon or principal due and unpaid by a date, the amount being the
//!   row's per-unit figure × the units of record (PAY-1 fixes it);
//! - [`fill_payment`]: a single payment's `amount` where the rules fix it
//!   (a coupon, a principal, a dividend) and its `id`;
//! - [`payments_csv`]: payments from a bank-statement-like CSV, every row
//!   checked, the whole file refused at the first bad row.
//!
//! Every batch is checked as it will be appended, in order, by a
//! [`Sequence`]: each document against the state the chain and the
//! documents before it leave, by the commune rules themselves. So a batch
//! that drafts is one that can be appended once signed; one that cannot
//! (cash too short for the last coupons, an id taken, an amount the rules
//! contradict) is refused whole, naming the document and the rule.
//!
//! **Ids.** A drafted payment's id is its natural name (below) if no
//! payment has it yet, else the first of NAME-2, NAME-3, … that is free —
//! free of the chain's payment ids (REF-2 keeps them taken, even reversed)
//! and of the batch's own. A name longer than 64 characters (the id limit)
//! is cut to its first 51 and tagged with `-` and the first 12 hexadecimal
//! digits of its BLAKE3 hash. Parts are ids, numbers, months and dates, so
//! the name is an id; anything else is lowercased and every character an
//! id cannot hold becomes `-`.
//!
//! | purpose | natural name |
//! |---|---|
//! | rent | `rent-AGREEMENT-INSTALMENT` |
//! | coupon, principal | `coupon-SERIES-ROW-HOLDER`, `principal-SERIES-ROW-HOLDER` (HOLDER: the first 4 bytes of the holder's key in lowercase hexadecimal) |
//! | dividend | `dividend-YYYY-MM-MEMBER` |
//! | income | `income-YYYY-MM-DD` (the payment's date) |
//! | asset_purchase | `purchase-ASSET` |
//! | expense, refund | `expense-APPROVAL`, `refund-APPROVAL` |

// A commune finding is 128 bytes; as in `commune`, it is the rare path and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;

use crate::commune::{Finding, State};
use crate::protocol::canonical::{Object, Value};
use crate::protocol::date::{Date, month_name};
use crate::protocol::document::{Document, Kind};
use crate::protocol::rule::Rule;
use crate::protocol::{b64, sig};
use crate::tools::draft;
use crate::tools::due;
use crate::tools::review::{Chain, Money, Sequence};

/// The longest id (COM-2).
pub const MAX_ID: usize = 64;

/// Why a batch was not drafted.
#[derive(Debug)]
pub enum Error {
    /// What was asked for cannot be drafted (a period not closed, a date
    /// before a due date, a CSV without a needed column, …).
    Input(String),
    /// A drafted document breaks a rule: where (a payment id, a CSV row)
    /// and the rule.
    Refused { at: String, finding: Finding },
    /// A CSV row that cannot be read as a payment (its 1-based row: the
    /// file's line where it starts, the header being row 1).
    Malformed { row: usize, detail: String },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Input(s) => f.write_str(s),
            Error::Refused { at, finding } => write!(f, "{at}: {finding}"),
            Error::Malformed { row, detail } => write!(f, "row {row}: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

/// A drafted payment and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drafted {
    pub id: String,
    pub doc: Document,
}

// ---------------------------------------------------------------------------
// Ids

/// `name` as an id: itself when it fits, else cut and tagged with a hash
/// (see the module doc).
pub fn fit(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.len() <= MAX_ID {
        return clean;
    }
    let h = blake3::hash(clean.as_bytes());
    let tag: String = h.as_bytes()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}-{tag}", &clean[..MAX_ID - 13])
}

/// The first of `name`, `name-2`, `name-3`, … (each [`fit`]) that `taken`
/// does not hold.
pub fn free_id(name: &str, taken: impl Fn(&str) -> bool) -> String {
    (1u64..)
        .map(|n| {
            if n == 1 {
                fit(name)
            } else {
                fit(&format!("{name}-{n}"))
            }
        })
        .find(|id| !taken(id))
        .expect("ids are unbounded")
}

/// The first 4 bytes of a holder's key in hexadecimal: the HOLDER part of
/// a bond payment's natural name.
pub fn holder_tag(key: &[u8; 32]) -> String {
    key[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The natural name of a payment (module doc), from its purpose and `ref`.
pub fn natural_name(purpose: &str, r: &Object, date: Date) -> String {
    let s = |k: &str| match r.get(k) {
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => "x".into(),
    };
    match purpose {
        "rent" => format!("rent-{}-{}", s("agreement"), s("instalment")),
        "coupon" | "principal" => {
            let holder = r
                .get("holder")
                .and_then(Value::as_str)
                .and_then(|h| b64::decode::<32>(h).ok())
                .map_or("x".into(), |k| holder_tag(&k));
            format!("{purpose}-{}-{}-{holder}", s("series"), s("row"))
        }
        "dividend" => format!("dividend-{}-{}", s("period"), s("member")),
        "income" => format!("income-{date}"),
        "asset_purchase" => format!("purchase-{}", s("asset")),
        "expense" | "refund" => format!("{purpose}-{}", s("approval")),
        other => format!("{other}-{date}"),
    }
}

// ---------------------------------------------------------------------------
// Amounts the rules fix

fn month(s: &str) -> Option<i64> {
    if s.len() != 7 {
        return None;
    }
    Date::parse(&format!("{s}-01"))
        .ok()
        .map(|d| d.month_index())
}

/// The amount the rules fix for a payment of `purpose` with `ref` `r` on
/// `date` (PAY-1: a coupon, a principal, a dividend are paid exactly and
/// whole), or `None` when the purpose leaves it open (rent, income,
/// purchases and expenses: up to a limit) or the `ref` is not complete
/// enough to tell (the body check then names what is missing). `Err` when
/// the rules say there is nothing to pay.
pub fn fixed_amount(
    state: &State,
    purpose: &str,
    r: &Object,
    date: Date,
) -> Result<Option<i128>, Finding> {
    let text = |k: &str| r.get(k).and_then(Value::as_str);
    match purpose {
        "dividend" => {
            let (Some(member), Some(period)) = (text("member"), text("period").and_then(month))
            else {
                return Ok(None);
            };
            let Some(close) = state.periods.closes.get(&period) else {
                return Err(Finding::new(
                    Rule::Ref1,
                    "body.ref.period",
                    format!("{} is not closed", month_name(period)),
                ));
            };
            let payout = close.payout(member).filter(|(_, p)| p.amount != 0);
            let Some((i, p)) = payout else {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.ref.member",
                    format!("{member} has no dividend in {}", month_name(period)),
                ));
            };
            if state.periods.paid[&period].get(i) {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.amount",
                    format!(
                        "{member}'s dividend for {} is already paid",
                        month_name(period)
                    ),
                ));
            }
            Ok(Some(p.amount))
        }
        "coupon" | "principal" => {
            let (Some(series), Some(row), Some(holder)) = (
                text("series"),
                r.get("row").and_then(Value::as_i64),
                text("holder").and_then(|h| b64::decode::<32>(h).ok()),
            ) else {
                return Ok(None);
            };
            let Some(s) = state.series.get(series) else {
                return Err(Finding::new(
                    Rule::Ref1,
                    "body.ref.series",
                    format!("no series {series}"),
                ));
            };
            let Some(index) = usize::try_from(row - 1).ok().filter(|i| *i < s.rows.len()) else {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.ref.row",
                    format!("{series} has no row {row}"),
                ));
            };
            let rw = s.rows[index];
            if rw.due > date {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.ref.row",
                    format!("row {row} of {series} is due on {}", rw.due),
                ));
            }
            let units = due::holders_of_record(state, series, index)
                .into_iter()
                .find(|(k, _)| *k == holder)
                .map_or(0, |(_, u)| u);
            if units == 0 {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.ref.holder",
                    format!("not a holder of record of row {row} of {series}"),
                ));
            }
            let principal = purpose == "principal";
            let (c, p) = s.paid.get(&(index, holder)).copied().unwrap_or((0, 0));
            if (if principal { p } else { c }) > 0 {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.amount",
                    format!("row {row} of {series} is already paid to this holder"),
                ));
            }
            let per_unit = if principal { rw.principal } else { rw.coupon };
            if per_unit == 0 {
                return Err(Finding::new(
                    Rule::Pay1,
                    "body.amount",
                    format!("row {row} of {series} has no {purpose} to pay"),
                ));
            }
            Ok(Some(units as i128 * per_unit as i128))
        }
        _ => Ok(None),
    }
}

/// Fills in a payment body's `amount` where the rules fix it
/// ([`fixed_amount`]) and its `id` by the scheme of the module doc, when
/// they are missing; anything else is left for the body check to judge.
pub fn fill_payment(state: &State, body: &mut Object, date: Date) -> Result<(), Finding> {
    let Some(purpose) = body
        .get("purpose")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(());
    };
    let Some(r) = body.get("ref").and_then(Value::as_object).cloned() else {
        return Ok(());
    };
    if body.get("amount").is_none()
        && let Some(a) = fixed_amount(state, &purpose, &r, date)?
    {
        body.insert("amount", Value::Int(a as i64));
    }
    if body.get("id").is_none() {
        let id = free_id(&natural_name(&purpose, &r, date), |id| {
            state.has_payment(id)
        });
        body.insert("id", Value::from(id));
    }
    Ok(())
}

/// A payment body.
fn payment_body(id: &str, purpose: &str, amount: i128, r: Object) -> Object {
    let mut b = Object::new();
    b.insert("amount", Value::Int(amount as i64));
    b.insert("id", Value::from(id));
    b.insert("purpose", Value::from(purpose));
    b.insert("ref", Value::Object(r));
    b
}

/// Builds the document for `body` and checks it as the next in `seq`.
fn draft_next(
    seq: &mut Sequence<'_>,
    chain: &Chain,
    date: Date,
    body: Object,
    at: impl Fn() -> String,
) -> Result<Drafted, Error> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let v = Kind::Payment.since();
    let doc =
        draft::document(Kind::Payment, date, body, chain.commune, v).map_err(|e| match e {
            draft::Error::Rule(finding) => Error::Refused { at: at(), finding },
            draft::Error::Input(m) => Error::Input(m),
        })?;
    seq.check(&doc)
        .map_err(|finding| Error::Refused { at: at(), finding })?;
    Ok(Drafted { id, doc })
}

fn sequence(chain: &Chain) -> Result<Sequence<'_>, Error> {
    Sequence::new(chain).map_err(|finding| Error::Refused {
        at: "the chain".into(),
        finding,
    })
}

/// One payment dated `date` for every member whose dividend for `period`
/// (a month index) is still payable, by member id.
pub fn dividends(chain: &Chain, period: i64, date: Date) -> Result<Vec<Drafted>, Error> {
    let mut seq = sequence(chain)?;
    let state = &chain.state;
    let Some(close) = state.periods.closes.get(&period) else {
        return Err(Error::Input(format!(
            "{} is not closed{}; close it first (draft period_close)",
            month_name(period),
            if period >= state.periods.next {
                format!(
                    " (the next period to close is {})",
                    month_name(state.periods.next)
                )
            } else {
                String::new()
            }
        )));
    };
    let paid = &state.periods.paid[&period];
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (p, paid) in close.payouts().zip(paid.iter()) {
        if p.amount == 0 || paid {
            continue;
        }
        let mut r = Object::new();
        r.insert("member", Value::from(p.member));
        r.insert("period", Value::from(month_name(period)));
        let name = natural_name("dividend", &r, date);
        let id = free_id(&name, |id| state.has_payment(id) || ids.contains(id));
        ids.insert(id.clone());
        let body = payment_body(&id, "dividend", p.amount, r);
        out.push(draft_next(&mut seq, chain, date, body, || id.clone())?);
    }
    Ok(out)
}

/// One payment dated `date` per series, row, holder of record and coupon
/// or principal due on or before `due_by` and not paid, in that order
/// (coupon before principal).
pub fn bond_service(chain: &Chain, due_by: Date, date: Date) -> Result<Vec<Drafted>, Error> {
    if due_by > date {
        return Err(Error::Input(format!(
            "--due-by {due_by} is after the payments' date {date}: a row cannot be paid before it is due (PAY-1)"
        )));
    }
    let mut seq = sequence(chain)?;
    let state = &chain.state;
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for b in due::bonds(state, due_by) {
        for (purpose, amount) in [("coupon", b.coupon), ("principal", b.principal)] {
            if amount == 0 {
                continue;
            }
            let mut r = Object::new();
            r.insert("holder", Value::from(b64::encode(&b.holder)));
            r.insert("row", Value::Int(b.row as i64));
            r.insert("series", Value::from(b.series.as_str()));
            let name = natural_name(purpose, &r, date);
            let id = free_id(&name, |id| state.has_payment(id) || ids.contains(id));
            ids.insert(id.clone());
            let body = payment_body(&id, purpose, amount, r);
            out.push(draft_next(&mut seq, chain, date, body, || id.clone())?);
        }
    }
    Ok(out)
}

/// Drafts one payment dated `date` from `body` as `draft payment` does:
/// the amount and id filled in where the rules fix them
/// ([`fill_payment`]), the body checked, then the document checked as the
/// chain's next entry. (What the benchmark times on a long chain.)
pub fn payment(chain: &Chain, date: Date, mut body: Object) -> Result<Drafted, Error> {
    let mut seq = sequence(chain)?;
    fill_payment(&chain.state, &mut body, date).map_err(|finding| Error::Refused {
        at: "the payment".into(),
        finding,
    })?;
    draft_next(&mut seq, chain, date, body, || "the payment".into())
}

// ---------------------------------------------------------------------------
// CSV

/// The fields a CSV column can hold (spec/13-outputs.md): the payment's
/// `date`, `purpose`, `amount` and `id`, each member of its `ref`, and
/// `ref` for several of them at once (`k=v;k=v`).
pub const FIELDS: [&str; 15] = [
    "date",
    "purpose",
    "amount",
    "id",
    "agreement",
    "instalment",
    "series",
    "row",
    "holder",
    "member",
    "period",
    "asset",
    "approval",
    "source",
    "ref",
];

/// The `ref` members of each purpose.
fn ref_fields(purpose: &str) -> Option<&'static [&'static str]> {
    Some(match purpose {
        "rent" => &["agreement", "instalment"],
        "income" => &["source"],
        "coupon" | "principal" => &["holder", "row", "series"],
        "dividend" => &["member", "period"],
        "asset_purchase" => &["asset"],
        "expense" | "refund" => &["approval"],
        _ => return None,
    })
}

/// Purposes that bring money in.
fn inflow(purpose: &str) -> bool {
    matches!(purpose, "rent" | "income")
}

/// Which CSV column holds which field. By default a column holds the field
/// its header names (compared ignoring case and surrounding spaces, with
/// spaces and `-` read as `_`); [`Mapping::set`] maps another header to a
/// field. Columns that hold no field are ignored (and listed).
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    /// (field, header) pairs given.
    pairs: Vec<(String, String)>,
}

fn normal(header: &str) -> String {
    header.trim().to_lowercase().replace([' ', '-'], "_")
}

impl Mapping {
    /// Maps `FIELD=HEADER`.
    pub fn set(&mut self, spec: &str) -> Result<(), Error> {
        let (field, header) = spec
            .split_once('=')
            .ok_or_else(|| Error::Input(format!("{spec:?}: expected FIELD=HEADER")))?;
        let field = normal(field);
        if !FIELDS.contains(&field.as_str()) {
            return Err(Error::Input(format!(
                "{spec:?}: no field {field:?}; the fields are {}",
                FIELDS.join(", ")
            )));
        }
        self.pairs.retain(|(f, _)| *f != field);
        self.pairs.push((field, normal(header)));
        Ok(())
    }

    /// The field of the column with `header`, if any.
    fn field_of(&self, header: &str) -> Option<&'static str> {
        let h = normal(header);
        if let Some((f, _)) = self.pairs.iter().find(|(_, hh)| *hh == h) {
            return FIELDS.iter().copied().find(|x| x == f);
        }
        if self.pairs.iter().any(|(f, _)| *f == h) {
            // The field named by this header is mapped to another column.
            return None;
        }
        FIELDS.iter().copied().find(|x| *x == h)
    }
}

/// The records of a CSV text (RFC 4180: `,` between fields, `"` quotes with
/// `""` for a quote, LF or CRLF between records; a first UTF-8 byte order
/// mark and blank lines are skipped), each with the 1-based line it starts
/// on.
pub fn records(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Error::Malformed {
            row: line,
            detail: "not UTF-8 text".into(),
        }
    })?;
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(Error::Malformed {
                        row: start,
                        detail: "a quoted field is not closed".into(),
                    });
                }
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    c => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '"' => {
                    return Err(Error::Malformed {
                        row: start,
                        detail: "a quote inside an unquoted field (quote the field and double the quote)"
                            .into(),
                    });
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    break;
                }
                c if was_quoted => {
                    return Err(Error::Malformed {
                        row: start,
                        detail: format!("{c:?} after a closing quote"),
                    });
                }
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue; // a blank line
        }
        out.push((start, fields));
    }
    Ok(out)
}

/// An amount as a bank statement writes it: an optional sign, an optional
/// currency code before or after (the commune's), digits with optional `,`
/// between groups of three, and at most the currency's decimals after a
/// `.`. Returns minor units and whether it was negative.
pub fn parse_amount(raw: &str, money: &Money) -> Result<(i64, bool), String> {
    let bad = |why: &str| format!("amount {raw:?}: {why}");
    let mut s = raw.trim();
    let mut code = None;
    if let Some((a, b)) = s.split_once(' ') {
        let (a, b) = (a.trim(), b.trim());
        let is_code = |x: &str| x.len() == 3 && x.bytes().all(|c| c.is_ascii_uppercase());
        if is_code(a) {
            code = Some(a);
            s = b;
        } else if is_code(b) {
            code = Some(b);
            s = a;
        } else {
            return Err(bad(
                "expected a number, with the currency code before or after it",
            ));
        }
    }
    if let Some(c) = code
        && c != money.code
    {
        return Err(bad(&format!("the commune's currency is {}", money.code)));
    }
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (major, minor) = s.split_once('.').unwrap_or((s, ""));
    let groups: Vec<&str> = major.split(',').collect();
    let grouped_ok = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    let digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit());
    if major.is_empty() || !grouped_ok || !groups.iter().all(|g| digits(g)) || !digits(minor) {
        return Err(bad(
            "expected digits, `,` between thousands and `.` before the decimals",
        ));
    }
    let exp = money.exponent as usize;
    if minor.len() > exp {
        return Err(bad(&format!(
            "{} takes at most {exp} decimal places",
            money.code
        )));
    }
    let n: i64 = format!("{}{minor:0<exp$}", groups.concat())
        .parse()
        .ok()
        .filter(|n| *n <= crate::commune::MAX_AMOUNT)
        .ok_or_else(|| bad("out of range"))?;
    Ok((n, negative))
}

/// What [`payments_csv`] drafted.
#[derive(Clone, Debug, Default)]
pub struct CsvDrafts {
    /// Each payment with the row it came from, in the order they are to be
    /// appended (by date; rows of one date in file order).
    pub drafted: Vec<(usize, Drafted)>,
    /// Headers of the columns that hold no field.
    pub ignored: Vec<String>,
}

/// A CSV row read into a payment body, not yet checked by the rules.
struct RowBody {
    row: usize,
    date: Date,
    purpose: String,
    /// The amount given: minor units and whether it was negative.
    amount: Option<(i64, bool)>,
    id: Option<String>,
    r: Vec<(&'static str, String)>,
}

/// Payments from a bank-statement-like CSV (the header row names the
/// columns; [`Mapping`] says which holds which field): one per row, dated
/// by its `date`. Each row needs `date` and `purpose` and the `ref` fields
/// of its purpose, and no other `ref` field; `amount` may be left empty
/// where the rules fix it, `id` where the scheme of the module doc is
/// wanted. A negative amount is money out, refused for rent and income.
/// A coupon's or principal's `holder` is a key, a member id (their current
/// key) or the fingerprint of a holder of record of that row.
///
/// Rows are checked in file order for their form, then drafted in date
/// order (rows of one date in file order) and checked by the rules as
/// they will be appended; the first bad row refuses the whole file.
pub fn payments_csv(chain: &Chain, bytes: &[u8], mapping: &Mapping) -> Result<CsvDrafts, Error> {
    let mut seq = sequence(chain)?;
    let state = &chain.state;
    let money = Money {
        code: state.currency.clone(),
        exponent: state.exponent,
    };
    let mut recs = records(bytes)?.into_iter();
    let Some((_, header)) = recs.next() else {
        return Err(Error::Input(
            "the CSV file is empty: it needs a header row naming its columns".into(),
        ));
    };
    let mut fields: Vec<Option<&'static str>> = Vec::with_capacity(header.len());
    let mut ignored = Vec::new();
    for h in &header {
        let f = mapping.field_of(h);
        if let Some(f) = f
            && fields.contains(&Some(f))
        {
            return Err(Error::Malformed {
                row: 1,
                detail: format!("two columns hold the field {f}"),
            });
        }
        if f.is_none() {
            ignored.push(h.trim().to_string());
        }
        fields.push(f);
    }
    for need in ["date", "purpose"] {
        if !fields.contains(&Some(need)) {
            return Err(Error::Input(format!(
                "no column holds the field {need} (the header is {:?}); name one {need}, or map one with --column {need}=HEADER",
                header.join(",")
            )));
        }
    }
    let mut rows = Vec::new();
    for (row, values) in recs {
        if values.len() != header.len() {
            return Err(Error::Malformed {
                row,
                detail: format!("{} fields, the header has {}", values.len(), header.len()),
            });
        }
        rows.push(read_row(row, &fields, &values, &money)?);
    }
    // Ids given in the file are reserved: a generated id never takes one.
    let given: BTreeSet<String> = rows.iter().filter_map(|r| r.id.clone()).collect();
    rows.sort_by_key(|r| r.date);
    let mut out = CsvDrafts {
        drafted: Vec::with_capacity(rows.len()),
        ignored,
    };
    let mut ids = BTreeSet::new();
    for r in rows {
        let at = || format!("row {}", r.row);
        let mut reference = Object::new();
        for (k, v) in &r.r {
            let value = match *k {
                "instalment" | "row" => Value::Int(v.parse().map_err(|_| Error::Malformed {
                    row: r.row,
                    detail: format!("{k} {v:?} is not a whole number"),
                })?),
                "holder" => Value::from(holder_key(seq.state(), &r.r, v, r.date)),
                _ => Value::from(v.as_str()),
            };
            reference.insert(*k, value);
        }
        let amount = match r.amount {
            Some((n, negative)) => {
                if negative && inflow(&r.purpose) {
                    return Err(Error::Malformed {
                        row: r.row,
                        detail: format!(
                            "a {} payment is money in; its amount is negative",
                            r.purpose
                        ),
                    });
                }
                n as i128
            }
            None => match fixed_amount(seq.state(), &r.purpose, &reference, r.date) {
                Ok(Some(a)) => a,
                Ok(None) => {
                    return Err(Error::Malformed {
                        row: r.row,
                        detail: format!(
                            "a {} payment needs an amount (the rules fix it only for coupons, principal and dividends)",
                            r.purpose
                        ),
                    });
                }
                Err(finding) => return Err(Error::Refused { at: at(), finding }),
            },
        };
        let id = match &r.id {
            Some(id) => id.clone(),
            None => free_id(&natural_name(&r.purpose, &reference, r.date), |id| {
                state.has_payment(id) || ids.contains(id) || given.contains(id)
            }),
        };
        ids.insert(id.clone());
        let body = payment_body(&id, &r.purpose, amount, reference);
        let d = draft_next(&mut seq, chain, r.date, body, at)?;
        out.drafted.push((r.row, d));
    }
    Ok(out)
}

/// A row's holder as a key: a key as it is; a member id, that member's
/// current key; else the holder of record of the row whose fingerprint it
/// is. Anything else is left as written, for PAY-1 or ENC-9 to name.
fn holder_key(state: &State, r: &[(&str, String)], v: &str, date: Date) -> String {
    if v.len() == 43 && b64::decode::<32>(v).is_ok() {
        return v.to_string();
    }
    if let Some(m) = state.members.get(v) {
        return b64::encode(&m.key);
    }
    let get = |k: &str| r.iter().find(|(f, _)| *f == k).map(|(_, v)| v.as_str());
    if let (Some(series), Some(row)) = (
        get("series"),
        get("row").and_then(|r| r.parse::<usize>().ok()),
    ) && let Some(s) = state.series.get(series)
        && (1..=s.rows.len()).contains(&row)
        && s.rows[row - 1].due <= date
    {
        let matching: Vec<[u8; 32]> = due::holders_of_record(state, series, row - 1)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| sig::fingerprint(k) == v)
            .collect();
        if let [k] = matching[..] {
            return b64::encode(&k);
        }
    }
    v.to_string()
}

fn read_row(
    row: usize,
    fields: &[Option<&'static str>],
    values: &[String],
    money: &Money,
) -> Result<RowBody, Error> {
    let bad = |detail: String| Error::Malformed { row, detail };
    let mut got: Vec<(&'static str, String)> = Vec::new();
    let mut put = |f: &'static str, v: &str| -> Result<(), Error> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(());
        }
        match got.iter().find(|(g, _)| *g == f) {
            Some((_, old)) if old != v => Err(Error::Malformed {
                row,
                detail: format!("{f} is given twice ({old:?} and {v:?})"),
            }),
            Some(_) => Ok(()),
            None => {
                got.push((f, v.to_string()));
                Ok(())
            }
        }
    };
    for (f, v) in fields.iter().zip(values) {
        match f {
            None => {}
            Some("ref") => {
                for pair in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    let (k, val) = pair
                        .split_once('=')
                        .ok_or_else(|| bad(format!("ref {pair:?}: expected NAME=VALUE")))?;
                    let k = normal(k);
                    let field = FIELDS[4..14]
                        .iter()
                        .copied()
                        .find(|x| *x == k)
                        .ok_or_else(|| bad(format!("ref {pair:?}: no reference {k:?}")))?;
                    put(field, val)?;
                }
            }
            Some(f) => put(f, v)?,
        }
    }
    let take = |f: &str| got.iter().find(|(g, _)| *g == f).map(|(_, v)| v.clone());
    let date = take("date").ok_or_else(|| bad("no date".into()))?;
    let date = Date::parse(&date).map_err(|e| bad(format!("date {date:?}: {}", e.detail)))?;
    let purpose = take("purpose").ok_or_else(|| bad("no purpose".into()))?;
    let Some(wanted) = ref_fields(&purpose) else {
        return Err(bad(format!(
            "purpose {purpose:?}: one of asset_purchase, coupon, dividend, expense, income, principal, refund, rent"
        )));
    };
    let mut r = Vec::new();
    for (f, v) in &got {
        if FIELDS[4..14].contains(f) {
            if !wanted.contains(f) {
                return Err(bad(format!(
                    "a {purpose} payment refers to {} only, but {f} is {v:?}",
                    wanted.join(" and ")
                )));
            }
            r.push((*f, v.clone()));
        }
    }
    for w in wanted {
        if !r.iter().any(|(f, _)| f == w) {
            return Err(bad(format!("a {purpose} payment needs its {w}")));
        }
    }
    r.sort_by_key(|(f, _)| *f);
    let amount = take("amount")
        .map(|a| parse_amount(&a, money))
        .transpose()
        .map_err(bad)?;
    Ok(RowBody {
        row,
        date,
        purpose,
        amount,
        id: take("id"),
        r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Money {
        Money {
            code: "EUR".into(),
            exponent: 2,
        }
    }

    #[test]
    fn ids_fit_the_id_syntax_and_never_repeat() {
        assert_eq!(fit("rent-lease-1-3"), "rent-lease-1-3");
        assert_eq!(fit("Income-2025 06/01"), "income-2025-06-01");
        let long = format!("dividend-2025-05-{}", "m".repeat(64));
        let id = fit(&long);
        assert_eq!(id.len(), MAX_ID);
        assert!(id.starts_with(&long[..51]));
        // The tag is the hash of the whole name: two long names that share
        // their first 51 characters differ.
        assert_ne!(fit(&format!("{long}a")), fit(&format!("{long}b")));
        let taken = ["dividend-2025-05-ana", "dividend-2025-05-ana-2"];
        assert_eq!(
            free_id("dividend-2025-05-ana", |i| taken.contains(&i)),
            "dividend-2025-05-ana-3"
        );
        assert_eq!(free_id("rent-l-1", |_| false), "rent-l-1");
        let longs: Vec<String> = (1..=3)
            .map(|n| {
                let t: Vec<String> = (1..n)
                    .map(|k| {
                        if k == 1 {
                            fit(&long)
                        } else {
                            fit(&format!("{long}-{k}"))
                        }
                    })
                    .collect();
                free_id(&long, |i| t.iter().any(|x| x == i))
            })
            .collect();
        assert!(longs.iter().all(|i| i.len() == MAX_ID));
        assert_eq!(longs.iter().collect::<BTreeSet<_>>().len(), 3, "{longs:?}");
        assert_eq!(
            holder_tag(&[
                0x87, 0x31, 0xd0, 0x2f, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0
            ]),
            "8731d02f"
        );
    }

    #[test]
    fn amounts_as_bank_statements_write_them() {
        let m = eur();
        assert_eq!(parse_amount("1100", &m), Ok((110_000, false)));
        assert_eq!(parse_amount("1,100.00", &m), Ok((110_000, false)));
        assert_eq!(parse_amount("EUR 1100.5", &m), Ok((110_050, false)));
        assert_eq!(parse_amount("1 100.00 EUR", &m).map_err(|_| ()), Err(()));
        assert_eq!(parse_amount("-60.00 EUR", &m), Ok((6_000, true)));
        assert_eq!(parse_amount("+0.01", &m), Ok((1, false)));
        for bad in [
            "",
            "1.100,00",
            "12,34",
            "1,0000.00",
            "1.234",
            "USD 5",
            "5 usd",
            "1e3",
            "--5",
            ".5",
            "9007199254740992",
        ] {
            assert!(parse_amount(bad, &m).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn csv_records_follow_rfc_4180() {
        let text = b"\xEF\xBB\xBFa,b,c\r\n1,\"x, \"\"y\"\"\",3\n\n\"multi\nline\",,\n4,5,6";
        let r = records(text).unwrap();
        let want: Vec<(usize, Vec<String>)> = vec![
            (1, vec!["a".into(), "b".into(), "c".into()]),
            (2, vec!["1".into(), "x, \"y\"".into(), "3".into()]),
            (4, vec!["multi\nline".into(), "".into(), "".into()]),
            (6, vec!["4".into(), "5".into(), "6".into()]),
        ];
        assert_eq!(r, want);
        for (bad, row) in [
            (&b"a,b\n1,\"open\n"[..], 2),
            (b"a\nx\"y\n", 2),
            (b"a\n\"q\"z\n", 2),
            (b"a\n\xff\n", 2),
        ] {
            match records(bad) {
                Err(Error::Malformed { row: r, .. }) => assert_eq!(r, row, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn columns_map_by_header_or_by_mapping() {
        let mut m = Mapping::default();
        assert_eq!(m.field_of(" Date "), Some("date"));
        assert_eq!(m.field_of("Value date"), None);
        m.set("date=Value date").unwrap();
        assert_eq!(m.field_of("value-date"), Some("date"));
        // `date` now comes from the mapped column only.
        assert_eq!(m.field_of("Date"), None);
        assert!(m.set("when=Date").is_err());
        assert!(m.set("nothing").is_err());
    }
}
