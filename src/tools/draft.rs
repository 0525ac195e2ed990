//! Drafting documents: building a body from a JSON file and `PATH=VALUE`
//! assignments, filling in what the protocol computes, and checking the
//! body's own rules before anyone signs (spec/05-documents.md,
//! spec/06-chain.md §6.3, spec/10-commune.md §10.3).
//!
//! Drafting is generic over kinds: the body is whatever the assignments
//! build, and [`commune::check_body`] judges it, so a kind added to the
//! commune rules can be drafted with no change here. What the rules
//! determine is computed rather than typed, because no person should have
//! to: a charter's commune id (the hash of its body, §6.3), a bond series'
//! `schedule` when it is not given (SCH-1 fixes it from the terms), a
//! period close's figures when its body is empty (DIV-2 and DIV-3 fix them
//! from the chain; [`fill_period_close`]), and, from the chain, an asset
//! sale's split of its price, a call's price, and an auction's clearing
//! rate, allocations and schedule (LIQ-2, CAL-2, AUC-3, AUC-4, SCH-1;
//! [`fill_computed`], spec/14-collateral.md).
//!
//! Assignment values ([`parse_value`]):
//!
//! | value | becomes |
//! |---|---|
//! | `@FILE` | for a key member, the key in the public key file FILE; else the text hash (§3.1) of the file's bytes |
//! | `EUR 1,234.56`, `EUR 1234.56` or `1234.56 EUR` | the amount in minor units of the commune's currency (positive: [`Money::parse`]) |
//! | a JSON literal: `12`, `true`, `"007"`, `[…]`, `{…}` | that value |
//! | `k=v,k=v` (only after `PATH[]=`) | an object of those members, each value read by these rules |
//! | anything else | a string |
//!
//! `PATH` is dotted (`ref.agreement`); `PATH[]=` appends to a list. Lists
//! built by appending are sorted the way COM-4 requires (strings as bytes,
//! objects by `member`, else by `from`).

// A commune finding is 128 bytes; as in `commune`, it is the rare path and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::path::Path;

use crate::commune::{self, Finding, fields};
use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain;
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::report::money::Money;

/// Why a draft could not be built.
#[derive(Debug)]
pub enum Error {
    /// An assignment or the body file is malformed.
    Input(String),
    /// The body breaks a rule of the spec.
    Rule(Finding),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Input(s) => f.write_str(s),
            Error::Rule(x) => write!(f, "{x}"),
        }
    }
}

impl std::error::Error for Error {}

fn input(s: impl Into<String>) -> Error {
    Error::Input(s.into())
}

/// Reads an assignment's value (see the module doc).
pub fn parse_value(raw: &str, money: Option<&Money>, in_list: bool) -> Result<Value, Error> {
    parse_typed(raw, money, in_list, None, "")
}

/// [`parse_value`] for the member at `path` of a `kind`'s body (an element
/// of the list at `path` when `in_list`): `@FILE` is a public key file
/// where the member is a key, else a text hash.
fn parse_typed(
    raw: &str,
    money: Option<&Money>,
    in_list: bool,
    kind: Option<Kind>,
    path: &str,
) -> Result<Value, Error> {
    if let Some(file) = raw.strip_prefix('@') {
        let bytes = std::fs::read(Path::new(file)).map_err(|e| input(format!("{file}: {e}")))?;
        let at = if in_list {
            format!("{path}[]")
        } else {
            path.to_string()
        };
        if kind.and_then(|k| fields::type_of(k, &at)) == Some(fields::Type::Key) {
            let key = public_key_file(&bytes)
                .ok_or_else(|| input(format!("{file}: {}", NOT_A_PUBLIC_KEY_FILE)))?;
            return Ok(Value::from(crate::protocol::b64::encode(&key)));
        }
        return Ok(Value::from(hash::text(&bytes).to_b64()));
    }
    if let Some(n) = Money::parse(raw, money).map_err(|e| input(e.to_string()))? {
        return Ok(Value::Int(n));
    }
    if let Ok(v) = canonical::parse(raw.as_bytes()) {
        return Ok(v);
    }
    if in_list && raw.contains('=') {
        let mut o = Object::new();
        for pair in pairs(raw) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| input(format!("{pair:?}: expected NAME=VALUE")))?;
            let k = k.trim();
            let inner = format!("{path}[].{k}");
            o.insert(k, parse_typed(v.trim(), money, false, kind, &inner)?);
        }
        return Ok(Value::Object(o));
    }
    Ok(Value::from(raw))
}

/// The `k=v` pairs of `k=v,k=v`: a comma starts a new pair only when what
/// follows it has a `=`, so a value may hold commas (`amount=EUR 1,100.00`).
fn pairs(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in raw.split(',') {
        match out.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => out.push(piece.to_string()),
        }
    }
    out
}

/// What a public key file holds: the key in base64url (43 characters) and
/// an LF, as `commonstock key generate` prints it (spec §5.6).
pub fn public_key_file(bytes: &[u8]) -> Option<[u8; 32]> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.strip_suffix('\n').unwrap_or(text);
    crate::protocol::b64::decode::<32>(line).ok()
}

const NOT_A_PUBLIC_KEY_FILE: &str = "not a public key file (one line: the 43-character public key that `commonstock key generate` prints)";

/// A body being built.
#[derive(Clone, Debug, Default)]
pub struct Body {
    root: Object,
    /// The kind it is for, when known: `@FILE` then reads a public key
    /// file for a key member.
    kind: Option<Kind>,
    /// Paths of lists built by appending (sorted at the end).
    appended: Vec<String>,
}

impl Body {
    /// Starts from a JSON object (a body file: any JSON within the profile,
    /// not necessarily canonical).
    pub fn from_json(bytes: &[u8]) -> Result<Body, Error> {
        let v = canonical::parse(bytes.strip_suffix(b"\n").unwrap_or(bytes))
            .map_err(|e| input(format!("the body file is not JSON of the profile: {e}")))?;
        match v {
            Value::Object(root) => Ok(Body {
                root,
                kind: None,
                appended: Vec::new(),
            }),
            other => Err(input(format!(
                "the body file holds a {}, not an object",
                other.type_name()
            ))),
        }
    }

    /// The same body, for a `kind`'s document.
    pub fn for_kind(mut self, kind: Kind) -> Body {
        self.kind = Some(kind);
        self
    }

    /// Applies one `PATH=VALUE` assignment.
    pub fn assign(&mut self, assignment: &str, money: Option<&Money>) -> Result<(), Error> {
        let (path, raw) = assignment
            .split_once('=')
            .ok_or_else(|| input(format!("{assignment:?}: expected PATH=VALUE")))?;
        let (path, append) = match path.strip_suffix("[]") {
            Some(p) => (p, true),
            None => (path, false),
        };
        let value = parse_typed(raw, money, append, self.kind, path)?;
        let names: Vec<&str> = path.split('.').collect();
        if names.iter().any(|n| n.is_empty()) {
            return Err(input(format!("{path:?}: not a member path")));
        }
        let mut obj = &mut self.root;
        for n in &names[..names.len() - 1] {
            if !matches!(obj.get(n), Some(Value::Object(_))) {
                obj.insert(*n, Value::Object(Object::new()));
            }
            let Some(Value::Object(inner)) = obj_get_mut(obj, n) else {
                unreachable!("inserted above")
            };
            obj = inner;
        }
        let last = names[names.len() - 1];
        if append {
            let mut list = match obj.remove(last) {
                Some(Value::Array(a)) => a,
                None => Vec::new(),
                Some(other) => {
                    return Err(input(format!(
                        "{path}: is a {}, not a list",
                        other.type_name()
                    )));
                }
            };
            list.push(value);
            obj.insert(last, Value::Array(list));
            if !self.appended.iter().any(|p| p == path) {
                self.appended.push(path.to_string());
            }
        } else {
            obj.insert(last, value);
        }
        Ok(())
    }

    /// The body, with appended lists in COM-4 order.
    pub fn finish(mut self) -> Object {
        for path in &self.appended {
            let names: Vec<&str> = path.split('.').collect();
            sort_at(&mut self.root, &names);
        }
        self.root
    }
}

fn sort_at(obj: &mut Object, names: &[&str]) {
    match names {
        [last] => {
            if let Some(Value::Array(list)) = obj.get_mut(last) {
                list.sort_by_key(sort_key);
            }
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(inner)) = obj.get_mut(first) {
                sort_at(inner, rest);
            }
        }
        [] => {}
    }
}

fn obj_get_mut<'a>(o: &'a mut Object, k: &str) -> Option<&'a mut Value> {
    o.get_mut(k)
}

fn sort_key(v: &Value) -> (Vec<u8>, i64) {
    match v {
        Value::Str(s) => (s.as_bytes().to_vec(), 0),
        Value::Object(o) => match (
            o.get("member"),
            o.get("from"),
            o.get("holder"),
            o.get("bid"),
        ) {
            (Some(Value::Str(m)), ..) => (m.as_bytes().to_vec(), 0),
            (_, Some(Value::Int(f)), ..) => (Vec::new(), *f),
            // keys sort by their bytes, not their base64url text (COM-4)
            (_, _, Some(Value::Str(k)), _) => (
                crate::protocol::b64::decode::<32>(k)
                    .map_or_else(|_| k.as_bytes().to_vec(), |b| b.to_vec()),
                0,
            ),
            (.., Some(Value::Str(b))) => (b.as_bytes().to_vec(), 0),
            _ => (canonical::encode(v), 0),
        },
        _ => (canonical::encode(v), 0),
    }
}

/// The fields of a kind's body as `commonstock help draft KIND` lists them:
/// a line per member path with its type and note (spec §10.3's tables;
/// [`fields::fields`]).
pub fn fields_text(kind: Kind) -> String {
    use std::fmt::Write as _;
    let rows = fields::fields(kind);
    let width = rows.iter().map(|f| f.path.len()).max().unwrap_or(0);
    let mut out = format!(
        "{kind}: the members of its body ({}), each set with -s PATH=VALUE\n",
        section(kind)
    );
    for f in rows {
        let _ = write!(out, "  {:<width$}  {}", f.path, f.ty.name());
        if !f.note.is_empty() {
            let _ = write!(out, "; {}", f.note);
        }
        out.push('\n');
    }
    let extra = fields::version_2_members(kind);
    if !extra.is_empty() {
        out.push_str("With --v2 (a version-2 document), also:\n");
        for f in extra {
            let _ = writeln!(out, "  {:<width$}  {}; {}", f.path, f.ty.name(), f.note);
        }
    }
    if kind == Kind::Payment {
        out.push_str("`ref` holds only the members of the payment's purpose.\n");
    }
    if matches!(kind, Kind::AssetSale | Kind::BondCall | Kind::AuctionResult) {
        out.push_str("With --chain, what the rules determine is filled in when not given.\n");
    }
    if matches!(kind, Kind::BondSeries | Kind::PeriodClose) {
        out.push_str(if kind == Kind::BondSeries {
            "`schedule` is computed from the terms when not given.\n"
        } else {
            "With no -s and no --body, every figure is filled in from the chain.\n"
        });
    }
    out
}

/// Where the spec defines a kind's body.
fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Charter => "spec 10.3.1",
        Kind::CharterAmendment => "spec 10.3.2",
        Kind::Admission => "spec 10.3.3",
        Kind::Exit => "spec 10.3.4",
        Kind::KeyRotation | Kind::KeyRecovery => "spec 10.3.5",
        Kind::AssetAcquisition => "spec 10.3.6",
        Kind::BondSeries => "spec 10.3.7",
        Kind::BondSale => "spec 10.3.8",
        Kind::BondTransfer => "spec 10.3.9",
        Kind::RentalAgreement => "spec 10.3.10",
        Kind::RentalEnd => "spec 10.3.11",
        Kind::ExpenseApproval => "spec 10.3.12",
        Kind::Payment => "spec 10.3.13",
        Kind::Reversal => "spec 10.3.15",
        Kind::PeriodClose => "spec 11.4",
        Kind::AssetSale => "spec 14.2",
        Kind::BondCall => "spec 14.3",
        Kind::ReserveDraw => "spec 14.5",
        Kind::Auction | Kind::Bid | Kind::AuctionResult => "spec 14.6",
    }
}

fn schedule_value(rows: &[commune::Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                let mut o = Object::new();
                o.insert("coupon", Value::Int(r.coupon));
                o.insert("due", Value::from(r.due.to_string()));
                o.insert("principal", Value::Int(r.principal));
                Value::Object(o)
            })
            .collect(),
    )
}

/// Fills in a bond series' schedule from its terms when it is missing
/// (SCH-1). Leaves the body as it is when the terms are not all there or
/// not of the right types: the body check then names what is wrong.
pub fn fill_schedule(body: &mut Object) {
    if body.get("schedule").is_some() {
        return;
    }
    let int = |k: &str| body.get(k).and_then(Value::as_i64);
    let (Some(face), Some(n), Some(rate)) = (int("face"), int("payments"), int("rate_bps")) else {
        return;
    };
    let linear = match body.get("amortisation").and_then(Value::as_str) {
        Some("linear") => true,
        Some("bullet") => false,
        _ => return,
    };
    let Some(first_due) = body
        .get("first_due")
        .and_then(Value::as_str)
        .and_then(|s| Date::parse(s).ok())
    else {
        return;
    };
    // Out-of-range terms would make the computation meaningless (or
    // overflow); the body check reports them.
    if !(1..=commune::MAX_AMOUNT).contains(&face)
        || !(1..=commune::MAX_COUNT).contains(&n)
        || !(0..=100_000).contains(&rate)
        || first_due.day() > 28
        || first_due.add_months(n as u32).is_none()
    {
        return;
    }
    let rows = commune::schedule(linear, face, n, rate, first_due);
    body.insert("schedule", schedule_value(&rows));
}

/// Fills in what the collateral rules determine from the chain (spec
/// chapter 14), each member only when it is missing, and only when what it
/// follows from is there:
///
/// - `asset_sale` with `asset` and `price`: `distribution`, `surplus` and
///   `written_down`, the split of the price among the bondholders' claims
///   on `date` (LIQ-2);
/// - `bond_call` with `series`: `price`, the principal outstanding per
///   unit on `date` plus the series' premium (CAL-2);
/// - `auction_result` with `auction`: `rate_bps`, `allocations` and
///   `schedule`, cleared from the bids so far (AUC-3, AUC-4, SCH-1).
pub fn fill_computed(kind: Kind, body: &mut Object, state: &commune::State, date: Date) {
    let id = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    match kind {
        Kind::AssetSale => {
            let (Some(asset), Some(price)) =
                (id("asset"), body.get("price").and_then(Value::as_i64))
            else {
                return;
            };
            if body.get("distribution").is_some()
                || !state.assets.contains_key(&asset)
                || !(0..=commune::MAX_AMOUNT).contains(&price)
            {
                return;
            }
            let split = state.sale_split(&asset, date, price);
            let int = |n: i128| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
            let list = split
                .shares
                .iter()
                .map(|x| {
                    let mut o = Object::new();
                    o.insert("amount", int(x.amount));
                    o.insert("claim", int(x.claim));
                    o.insert(
                        "holder",
                        Value::from(crate::protocol::b64::encode(&x.holder)),
                    );
                    Value::Object(o)
                })
                .collect();
            body.insert("distribution", Value::Array(list));
            if body.get("surplus").is_none() {
                body.insert("surplus", int(split.surplus));
            }
            if body.get("written_down").is_none() {
                body.insert("written_down", int(split.written_down));
            }
        }
        Kind::BondCall => {
            if body.get("price").is_some() {
                return;
            }
            if let Some(price) = id("series").and_then(|s| state.call_price_of(&s, date)) {
                body.insert(
                    "price",
                    Value::Int(i64::try_from(price).unwrap_or(i64::MAX)),
                );
            }
        }
        Kind::AuctionResult => {
            let Some(auction) = id("auction") else {
                return;
            };
            let (Some(a), Some(c)) = (state.auctions.get(&auction), state.clearing(&auction))
            else {
                return;
            };
            if body.get("rate_bps").is_none() {
                body.insert("rate_bps", Value::Int(c.rate_bps));
            }
            if body.get("allocations").is_none() {
                let mut list: Vec<(&str, i64)> = a
                    .bids
                    .iter()
                    .zip(&c.units)
                    .filter(|(_, u)| **u > 0)
                    .map(|(b, u)| (b.id.as_str(), *u))
                    .collect();
                list.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
                let list = list
                    .into_iter()
                    .map(|(b, u)| {
                        let mut o = Object::new();
                        o.insert("bid", Value::from(b));
                        o.insert("units", Value::Int(u));
                        Value::Object(o)
                    })
                    .collect();
                body.insert("allocations", Value::Array(list));
            }
            if body.get("schedule").is_none() {
                let rows = commune::schedule(a.linear, a.face, a.payments, c.rate_bps, a.first_due);
                body.insert("schedule", schedule_value(&rows));
            }
        }
        _ => {}
    }
}

/// Fills in a period close when its body is empty: the figures of the next
/// period to close, as the rules compute them from `state` on `date` (spec
/// §11.3), so that members review and sign what the verifier will
/// recompute; a version-2 body (with the reserve's figures) when `v2`.
pub fn fill_period_close(body: &mut Object, state: &commune::State, date: Date, v2: bool) {
    if !body.is_empty() || state.settings.is_none() {
        return;
    }
    let mut st = state.clone();
    st.advance(date);
    let period = st.periods.next;
    let mut figures = crate::commune::dividend::compute(&st.close_inputs(period));
    figures.v2 = v2;
    *body = crate::commune::dividend::close_body(period, &figures);
}

/// Builds the unsigned document and checks its body's own rules (spec
/// §10.1 steps 1 and 2). `commune` is the chain's id; `None` for a charter,
/// whose id is computed from its body. The document's version is `v`, or
/// the version that defines `kind` if that is later (DOC-3).
pub fn document(
    kind: Kind,
    date: Date,
    mut body: Object,
    commune: Option<Hash>,
    v: i64,
) -> Result<Document, Error> {
    if kind == Kind::BondSeries {
        fill_schedule(&mut body);
    }
    let commune = match (kind, commune) {
        (Kind::Charter, _) => chain::commune_id(&body),
        (_, Some(c)) => c,
        (_, None) => {
            return Err(Error::Rule(Finding::new(
                Rule::Chn5,
                "commune",
                format!("a {kind} needs the commune id: pass the chain it will join (--chain)"),
            )));
        }
    };
    let doc = Document::new(commune, kind, date, body).version(v.max(kind.since()));
    commune::check_body(&doc).map_err(Error::Rule)?;
    Ok(doc)
}
