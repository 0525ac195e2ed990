//! Reviewing a document before it is signed or appended: whether it can
//! still take its place at the end of a chain, what is still missing, and
//! how a person reads it (spec/05-documents.md §5.4, spec/06-chain.md §6.3 to
//! §6.5, spec/10-commune.md §10.1).
//!
//! A document is signed offline, one party after another, so until the
//! last signature arrives it is *expected* to fail authority (AUT-1 … AUT-4:
//! who signed). Anything else that would stop it at the end of the chain —
//! another commune (CHN-5), a date before the chain's last (CHN-6), a
//! document already in the chain (CHN-7), a forged signature (SIG-*), a bad
//! body (COM-*), an id already used (REF-2), an amount not owed (PAY-1),
//! cash going negative (BAL-1) … — means no number of further signatures
//! can make it valid, and [`check`] reports it as a [`Problem`]. The rules
//! are the library's own: the chain-level ones as [`crate::protocol::chain::Linker`]
//! states them, the commune ones by [`State::apply`] on a copy of the state
//! the audit replayed.
//!
//! [`summary`] and [`describe`] render a document for people (the `log` line
//! and `show`), generically over kinds, so a kind this module does not know
//! still shows every member of its body.

// A commune finding is 128 bytes; as in `commune`, it is the rare path and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;

use crate::audit;
use crate::commune::{self, Finding, State};
use crate::protocol::b64;
use crate::protocol::canonical::{Object, Value};
use crate::protocol::chain::{self, Linker};
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind, Signature};
use crate::protocol::hash::Hash;
use crate::protocol::rule::Rule;

/// A rule that stops the document for good (see the module doc).
pub type Problem = Finding;

/// A chain read in full, with what is needed to judge the next document.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The audit of the chain as it is.
    pub report: audit::Report,
    /// The commune's state after the last entry.
    pub state: State,
    /// Entries in the chain (that passed the integrity checks).
    pub len: u64,
    /// The hash of the last entry.
    pub head: Hash,
    pub commune: Option<Hash>,
    pub last_date: Option<Date>,
    /// The links after the last entry, with the document hashes CHN-7
    /// remembers.
    linker: Linker,
}

impl Chain {
    /// Audits `bytes` (a whole chain file) in full. (`tools::cache` reads a
    /// chain resuming from a saved state instead.)
    pub fn read(bytes: &[u8]) -> std::io::Result<Chain> {
        let o = audit::run(bytes, &audit::Options::default(), audit::Run::default())?;
        Ok(Chain::from_outcome(o))
    }

    /// The chain an audit (full or resumed) read.
    pub fn from_outcome(o: audit::Outcome) -> Chain {
        Chain {
            head: o.report.head.unwrap_or_default(),
            commune: o.report.commune,
            len: o.linker.len(),
            last_date: o.linker.last_date(),
            linker: o.linker,
            report: o.report,
            state: o.state,
        }
    }

    /// Whether a document with this hash is in the chain.
    pub fn contains(&self, doc_hash: &Hash) -> bool {
        self.linker.contains(doc_hash)
    }

    /// The state, if the chain is sound and its charter applied.
    fn usable(&self) -> Result<&State, Problem> {
        if !self.report.integrity {
            let f = self.report.findings.last();
            return Err(Finding::new(
                f.map_or(Rule::Chn8, |f| f.rule),
                "chain",
                format!(
                    "the chain itself fails its audit{}; run `commonstock audit` on it",
                    f.map(|f| format!(" ({f})")).unwrap_or_default()
                ),
            ));
        }
        if self.state.settings.is_none() {
            return Err(Finding::new(
                Rule::Aut1,
                "chain",
                "the chain's charter is void, so nothing can be added to it; run `commonstock audit` on it",
            ));
        }
        Ok(&self.state)
    }
}

/// Where a document stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Fully signed: it can be appended now.
    Complete,
    /// Sound, but still missing signatures: the authority rule that fails.
    Incomplete(Finding),
}

/// The authority rules that only say "not signed (enough) yet".
pub fn is_missing_signatures(rule: Rule) -> bool {
    matches!(rule, Rule::Aut1 | Rule::Aut2 | Rule::Aut3 | Rule::Aut4)
}

/// Checks `doc` as the next entry of `chain` (or, with no chain, as the
/// charter that starts one). `Err` when it can never be valid there.
pub fn check(chain: Option<&Chain>, doc: &Document) -> Result<Standing, Problem> {
    match chain {
        Some(c) => Sequence::new(c)?.check(doc),
        None => {
            if doc.kind != Kind::Charter {
                return Err(Finding::new(
                    Rule::Chn4,
                    "kind",
                    format!(
                        "a {} needs the chain it will join (only a charter starts a chain)",
                        doc.kind
                    ),
                ));
            }
            let id = chain::commune_id(&doc.body);
            if doc.commune != id {
                return Err(Finding::new(
                    Rule::Chn5,
                    "commune",
                    format!(
                        "commune {}, but this charter's body gives {id}",
                        doc.commune
                    ),
                ));
            }
            judge(&mut State::new(), doc)
        }
    }
}

/// Documents judged one after another as the next entries of a chain: each
/// against the state that the chain and the documents before it leave, as
/// they would be appended in this order (a batch to sign or to append). A
/// document still missing signatures counts as though it will be signed:
/// the next one is judged after it.
///
/// The chain's state is copied once, whatever the number of documents.
pub struct Sequence<'c> {
    chain: &'c Chain,
    state: State,
    last_date: Option<Date>,
    /// The documents judged so far (CHN-7 within the batch).
    hashes: HashSet<[u8; 32]>,
}

impl<'c> Sequence<'c> {
    /// Starts after the last entry of `chain`; `Err` when nothing can be
    /// added to it (it fails its audit, or its charter is void).
    pub fn new(chain: &'c Chain) -> Result<Sequence<'c>, Problem> {
        let state = chain.usable()?.clone();
        Ok(Sequence {
            chain,
            state,
            last_date: chain.last_date,
            hashes: HashSet::new(),
        })
    }

    /// The state after the documents judged so far (those refused left it
    /// as it was).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Judges `doc` as the next document; unless it is refused, the
    /// documents after it are judged with it applied.
    pub fn check(&mut self, doc: &Document) -> Result<Standing, Problem> {
        let c = self.chain;
        if doc.kind == Kind::Charter {
            return Err(Finding::new(
                Rule::Chn4,
                "kind",
                "a charter only starts a chain; this chain has one",
            ));
        }
        if Some(doc.commune) != c.commune {
            return Err(Finding::new(
                Rule::Chn5,
                "commune",
                format!(
                    "this document is for commune {}, the chain is commune {}",
                    doc.commune,
                    c.commune.unwrap_or_default()
                ),
            ));
        }
        if let Some(last) = self.last_date
            && doc.date < last
        {
            return Err(Finding::new(
                Rule::Chn6,
                "date",
                format!(
                    "dated {}, before the {} ({last}); draft it again with a later date",
                    doc.date,
                    if c.last_date == Some(last) && self.hashes.is_empty() {
                        "chain's last entry"
                    } else {
                        "document before it"
                    }
                ),
            ));
        }
        let hash = doc.hash();
        if c.contains(&hash) {
            return Err(Finding::new(
                Rule::Chn7,
                "doc",
                format!("document {hash} is already in the chain"),
            ));
        }
        if self.hashes.contains(&hash.0) {
            return Err(Finding::new(
                Rule::Chn7,
                "doc",
                format!("document {hash} comes twice"),
            ));
        }
        let standing = judge(&mut self.state, doc)?;
        self.hashes.insert(hash.0);
        self.last_date = Some(doc.date);
        Ok(standing)
    }
}

/// Judges `doc` against `state` (the chain-level rules already hold) and,
/// unless it is refused, applies it: as it is when it is complete, as
/// though every missing party had signed when it is not.
fn judge(state: &mut State, doc: &Document) -> Result<Standing, Problem> {
    for (i, r) in doc.verify_signatures().into_iter().enumerate() {
        if let Err(e) = r {
            return Err(Finding::new(
                e.rule(),
                format!("sigs[{i}]"),
                format!(
                    "the signature by {} does not verify: {e}",
                    key_name(&doc.sigs[i].key, Some(state))
                ),
            ));
        }
    }
    commune::check_body(doc)?;
    // A document with a finding changes nothing (`State::apply`), so the
    // state can be tried in place.
    match state.apply(doc) {
        Ok(()) => Ok(Standing::Complete),
        Err(f) if is_missing_signatures(f.rule) => {
            // Would anything but signatures stop it? Check it as though
            // every possible party had signed: authority looks only at which
            // keys are present (signatures are verified above), so stand-in
            // signatures by every key that could count make every authority
            // rule pass.
            let mut all = doc.clone();
            let mut keys = stand_in_keys(state, doc);
            keys.extend(all.sigs.iter().map(|s| s.key));
            keys.sort_unstable();
            keys.dedup();
            all.sigs = keys
                .into_iter()
                .map(|key| Signature { key, sig: [0; 64] })
                .collect();
            match state.apply(&all) {
                Err(g) if !is_missing_signatures(g.rule) => Err(g),
                _ => Ok(Standing::Incomplete(f)),
            }
        }
        Err(f) => Err(f),
    }
}

/// The keys whose signatures could count for `doc`: for what a treasurer
/// signs alone (a payment, a reversal), the current treasurers'; for a bond
/// sale, those and the keys its body names; for anything else, every
/// current member's and every key its body names.
fn stand_in_keys(state: &State, doc: &Document) -> Vec<[u8; 32]> {
    let current = |id: &str| state.members.get(id).filter(|m| m.until.is_none());
    let treasurers = || -> Vec<[u8; 32]> {
        state
            .settings
            .iter()
            .flat_map(|s| s.treasurers.iter())
            .filter_map(|t| current(t).map(|m| m.key))
            .collect()
    };
    let mut keys = match doc.kind {
        Kind::Payment | Kind::Reversal => return treasurers(),
        Kind::BondSale => treasurers(),
        _ => state
            .members
            .values()
            .filter(|m| m.until.is_none())
            .map(|m| m.key)
            .collect(),
    };
    body_keys(&Value::Object(doc.body.clone()), &mut keys);
    keys
}

/// Whether a signature by `key` can count for `doc`: the key is a current
/// member's (in `state`, the chain's state; none for a charter) or one the
/// body names (a founder, a new member, a new key, a bondholder). Any
/// other signature is allowed but counts for nothing (spec §10.4).
pub fn signature_can_count(doc: &Document, state: Option<&State>, key: &[u8; 32]) -> bool {
    if state.is_some_and(|s| s.member_by_key(key).is_some()) {
        return true;
    }
    let mut keys = Vec::new();
    body_keys(&Value::Object(doc.body.clone()), &mut keys);
    keys.contains(key)
}

/// Every 32-byte key named anywhere in a body.
fn body_keys(v: &Value, out: &mut Vec<[u8; 32]>) {
    match v {
        Value::Object(o) => o.iter().for_each(|(_, v)| body_keys(v, out)),
        Value::Array(a) => a.iter().for_each(|v| body_keys(v, out)),
        Value::Str(s) if s.len() == 43 => {
            if let Ok(k) = b64::decode::<32>(s) {
                out.push(k);
            }
        }
        _ => {}
    }
}

/// A key as people know it: the member whose current key it is, and its
/// fingerprint.
pub fn key_name(key: &[u8; 32], state: Option<&State>) -> String {
    let fp = crate::protocol::sig::fingerprint(key);
    match state.and_then(|s| s.member_by_key(key)) {
        Some(m) => format!("{m} ({fp})"),
        None => format!("key {fp}"),
    }
}

pub use crate::report::money::Money;

fn money(m: Option<&Money>, n: i64) -> String {
    match m {
        Some(m) => m.show(n),
        None => format!("{n} (minor units)"),
    }
}

/// The body members whose integers are amounts of money (by the kind's
/// table, [`crate::commune::fields`]).
fn is_amount(kind: Kind, name: &str) -> bool {
    crate::commune::fields::is_money(kind, name)
}

/// The body members that hold text hashes (spec §3.1).
pub fn is_text_hash(name: &str) -> bool {
    matches!(name, "text" | "bylaws")
}

/// A one-line summary: what `log` shows for an entry.
pub fn summary(doc: &Document, state: Option<&State>) -> String {
    let m = Money::of(doc, state);
    let b = &doc.body;
    let s = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    let n = |k: &str| b.get(k).and_then(Value::as_i64);
    let amt = |k: &str| n(k).map_or("?".into(), |v| money(m.as_ref(), v));
    let key = |k: &str| {
        b.get(k)
            .and_then(Value::as_str)
            .and_then(|v| b64::decode::<32>(v).ok())
            .map_or("?".into(), |k| key_name(&k, state))
    };
    let list = |k: &str| {
        b.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or("?"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    match doc.kind {
        Kind::Charter => format!(
            "charter {:?}: {} founders, {}",
            s("name"),
            b.get("founders")
                .and_then(Value::as_array)
                .map_or(0, <[Value]>::len),
            m.as_ref().map_or("?".into(), |m| m.code.clone())
        ),
        Kind::Admission => format!("admission {} {}", s("member"), key("key")),
        Kind::Exit => format!("exit {} ({})", s("member"), s("reason")),
        Kind::KeyRotation | Kind::KeyRecovery => {
            format!("{} {} to {}", doc.kind, s("member"), key("new_key"))
        }
        Kind::AssetAcquisition => format!(
            "asset {} up to {}: {}",
            s("asset"),
            amt("price"),
            s("description")
        ),
        Kind::BondSeries => format!(
            "bond series {} on {}: {} units of {}, {} bps, {} {} payments from {}",
            s("series"),
            s("asset"),
            n("units").map_or("?".into(), |u| u.to_string()),
            amt("face"),
            n("rate_bps").map_or("?".into(), |u| u.to_string()),
            n("payments").map_or("?".into(), |u| u.to_string()),
            s("amortisation"),
            s("first_due")
        ),
        Kind::BondSale => format!(
            "bond sale {} {} units at {} to {}",
            s("series"),
            n("units").map_or("?".into(), |u| u.to_string()),
            amt("price"),
            key("holder")
        ),
        Kind::BondTransfer => format!(
            "bond transfer {} {} units from {} to {}",
            s("series"),
            n("units").map_or("?".into(), |u| u.to_string()),
            key("from"),
            key("to")
        ),
        Kind::RentalAgreement => {
            let first = b
                .get("rent")
                .and_then(Value::as_array)
                .and_then(|r| r.first())
                .and_then(Value::as_object)
                .and_then(|o| o.get("amount"))
                .and_then(Value::as_i64);
            format!(
                "rental {} of {} to {}: {} instalments from {}, {} a month",
                s("agreement"),
                s("asset"),
                list("renters"),
                n("instalments").map_or("?".into(), |u| u.to_string()),
                s("start"),
                first.map_or("?".into(), |v| money(m.as_ref(), v))
            )
        }
        Kind::RentalEnd => format!("rental end {} ({})", s("agreement"), s("reason")),
        Kind::ExpenseApproval => format!(
            "expense approval {} up to {} to {:?}",
            s("approval"),
            amt("amount"),
            s("payee")
        ),
        Kind::Payment => {
            let r = b.get("ref").and_then(Value::as_object);
            let rs = |k: &str| {
                r.and_then(|r| r.get(k))
                    .map(|v| match v {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        _ => "?".into(),
                    })
                    .unwrap_or_else(|| "?".into())
            };
            let reference = match s("purpose").as_str() {
                "rent" => format!("{}#{}", rs("agreement"), rs("instalment")),
                "coupon" | "principal" => {
                    let holder = r
                        .and_then(|r| r.get("holder"))
                        .and_then(Value::as_str)
                        .and_then(|v| b64::decode::<32>(v).ok())
                        .map_or("?".into(), |k| key_name(&k, state));
                    format!("{}#{} to {holder}", rs("series"), rs("row"))
                }
                "asset_purchase" => rs("asset"),
                "expense" | "refund" => rs("approval"),
                "income" => format!("{:?}", rs("source")),
                _ => r
                    .map(|r| render_object(doc.kind, m.as_ref(), r))
                    .unwrap_or_default(),
            };
            format!(
                "payment {} {} {} {reference}",
                s("id"),
                s("purpose"),
                amt("amount")
            )
        }
        Kind::Reversal => format!("reversal of {}: {}", s("payment"), s("reason")),
        Kind::PeriodClose => {
            let members = b
                .get("payouts")
                .and_then(Value::as_array)
                .map_or(0, <[Value]>::len);
            let income = match n("income") {
                Some(0) | None => String::new(),
                Some(_) => format!(", income {}", amt("income")),
            };
            format!(
                "period close {}: rent {}{income}, bond service {}, expenses {}, reserve {}, pool {}; dividend {} ({members} {}), carry {}",
                s("period"),
                amt("rent"),
                amt("service"),
                amt("expenses"),
                amt("reserve"),
                amt("pool"),
                amt("dividend"),
                if members == 1 { "member" } else { "members" },
                amt("carry_out")
            )
        }
        _ => format!("{} {}", doc.kind, render_object(doc.kind, m.as_ref(), b)),
    }
}

/// A compact rendering of an object's scalar members: `k=v k=v`.
fn render_object(kind: Kind, m: Option<&Money>, o: &Object) -> String {
    o.iter()
        .filter_map(|(k, v)| match v {
            Value::Str(s) => Some(format!("{k}={s}")),
            Value::Int(i) if is_amount(kind, k) => Some(format!("{k}={}", money(m, *i))),
            Value::Int(i) => Some(format!("{k}={i}")),
            Value::Bool(b) => Some(format!("{k}={b}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The body as lines a person reads: one per scalar member, with its path;
/// amounts with their currency, keys with the member they belong to, text
/// hashes marked (and compared with `text` when given), each element of a
/// list of objects (a schedule, the rent steps, the founders) on one line.
pub fn describe(
    doc: &Document,
    state: Option<&State>,
    text: Option<&[u8]>,
) -> Vec<(String, String)> {
    let m = Money::of(doc, state);
    let mut out = Vec::new();
    let ctx = Ctx {
        kind: doc.kind,
        money: m.as_ref(),
        state,
        text,
        units: doc.body.get("units").and_then(Value::as_i64),
    };
    for (k, v) in doc.body.iter() {
        walk(&ctx, k, k, v, &mut out);
    }
    out
}

struct Ctx<'a> {
    kind: Kind,
    /// A bond series' units issued: its schedule rows are per unit.
    units: Option<i64>,
    money: Option<&'a Money>,
    state: Option<&'a State>,
    text: Option<&'a [u8]>,
}

fn scalar(ctx: &Ctx<'_>, name: &str, v: &Value) -> String {
    match v {
        Value::Int(i) if is_amount(ctx.kind, name) => money(ctx.money, *i),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Str(s) if is_text_hash(name) => match ctx.text {
            Some(t) => {
                let h = crate::protocol::hash::text(t).to_b64();
                let verdict = if &h == s {
                    "matches the given text"
                } else {
                    "DOES NOT match the given text"
                };
                format!("text hash {s} ({verdict})")
            }
            None => format!("text hash {s}"),
        },
        Value::Str(s) => match b64::decode::<32>(s) {
            Ok(k) if s.len() == 43 => match ctx.state.and_then(|st| st.member_by_key(&k)) {
                Some(m) => format!("{s} (member {m})"),
                None => s.clone(),
            },
            _ => s.clone(),
        },
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn walk(ctx: &Ctx<'_>, name: &str, path: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            let flat = o
                .iter()
                .all(|(_, v)| !matches!(v, Value::Object(_) | Value::Array(_)));
            if let (Kind::BondSeries, "schedule", Some(row)) =
                (ctx.kind, name, schedule_row(ctx, o))
            {
                out.push((path.to_string(), row));
            } else if flat && !o.is_empty() {
                let line = o
                    .iter()
                    .map(|(k, v)| format!("{k} {}", scalar(ctx, k, v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((path.to_string(), line));
            } else {
                for (k, v) in o.iter() {
                    walk(ctx, k, &format!("{path}.{k}"), v, out);
                }
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                out.push((path.to_string(), "(none)".into()));
            } else if a
                .iter()
                .all(|v| !matches!(v, Value::Object(_) | Value::Array(_)))
            {
                let line = a
                    .iter()
                    .map(|v| scalar(ctx, name, v))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((path.to_string(), line));
            } else {
                for (i, v) in a.iter().enumerate() {
                    walk(ctx, name, &format!("{path} #{}", i + 1), v, out);
                }
            }
        }
        _ => out.push((path.to_string(), scalar(ctx, name, v))),
    }
}

/// A bond series' schedule row as people read it: the row is per unit
/// (SCH-1), so the total for the units issued is shown beside it.
fn schedule_row(ctx: &Ctx<'_>, o: &Object) -> Option<String> {
    let coupon = o.get("coupon")?.as_i64()?;
    let principal = o.get("principal")?.as_i64()?;
    let due = o.get("due")?.as_str()?;
    let m = |n: i128| match ctx.money {
        Some(m) => m.show(n),
        None => format!("{n} (minor units)"),
    };
    let mut line = format!(
        "due {due}: coupon {} + principal {} per unit",
        m(coupon.into()),
        m(principal.into())
    );
    if let Some(u) = ctx.units.filter(|u| *u > 0) {
        let (u, c, p) = (i128::from(u), i128::from(coupon), i128::from(principal));
        line.push_str(&format!(
            "; for the {u} units issued: coupon {} + principal {} = {}",
            m(u * c),
            m(u * p),
            m(u * (c + p))
        ));
    }
    Some(line)
}

/// Whether `doc` concerns member `id`: it names the member in its body (as
/// `member`, a renter, a founder, a treasurer, a payout of a close, the
/// member of a dividend payment), it concerns an agreement the member
/// rents (its rent payments, its end), or the member signed it with the
/// key `state` (the state before the document) knows for them.
pub fn involves_member(doc: &Document, state: &State, id: &str) -> bool {
    let body = Value::Object(doc.body.clone());
    let mut names = Vec::new();
    strings_at(
        &body,
        &["member", "renters", "treasurers"],
        false,
        &mut names,
    );
    let mut agreements = Vec::new();
    strings_at(&body, &["agreement"], false, &mut agreements);
    let rents = |ag: &String| {
        state
            .agreements
            .get(ag)
            .is_some_and(|a| a.renters.iter().any(|r| &**r == id))
    };
    names.iter().any(|n| n == id)
        || agreements.iter().any(rents)
        || doc
            .sigs
            .iter()
            .any(|s| state.member_by_key(&s.key) == Some(id))
}

/// Whether `doc` concerns the bonds of the holder `key`: a sale to it, a
/// transfer from or to it, a coupon or principal paid to it.
pub fn involves_holder(doc: &Document, key: &[u8; 32]) -> bool {
    let mut keys = Vec::new();
    strings_at(
        &Value::Object(doc.body.clone()),
        &["holder", "from", "to"],
        false,
        &mut keys,
    );
    let k = b64::encode(key);
    matches!(
        doc.kind,
        Kind::BondSale | Kind::BondTransfer | Kind::Payment
    ) && keys.contains(&k)
}

/// Whether `doc` concerns asset `id`: it names the asset, a bond series on
/// it, or an agreement renting it (as `state`, the state before the
/// document, knows them).
pub fn involves_asset(doc: &Document, state: &State, id: &str) -> bool {
    let mut names = Vec::new();
    strings_at(
        &Value::Object(doc.body.clone()),
        &["asset", "series", "agreement", "guarantees"],
        false,
        &mut names,
    );
    let on_asset = |n: &String| {
        n == id
            || state.series.get(n).is_some_and(|s| s.asset == id)
            || state.agreements.get(n).is_some_and(|a| a.asset == id)
    };
    names.iter().any(on_asset)
}

/// Every string found under a member named in `keys`, at any depth.
fn strings_at(v: &Value, keys: &[&str], inside: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o.iter() {
                strings_at(v, keys, keys.contains(&k), out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| strings_at(v, keys, inside, out)),
        Value::Str(s) if inside => out.push(s.clone()),
        _ => {}
    }
}
