//! Documents: the signed envelope every commune record shares
//! (spec/05-documents.md).
//!
//! A document is what parties sign: `{v, commune, kind, date, body, sigs}`.
//! It is identified by its hash, taken over the canonical bytes of the
//! envelope *without* `sigs`, so signatures can be gathered one by one,
//! offline, by passing the file around; adding a signature never changes
//! what the others signed. A signature commits to the domain tag, the
//! commune id and the document hash (see [`signing_message`]), so it cannot
//! be replayed into another commune or onto another kind of record.
//!
//! This module checks the envelope only (DOC-1 to DOC-4, plus the encoding
//! rules of its fields). What a body must contain, and who must sign it, is
//! the commune layer's business.

use std::fmt;

use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::date::Date;
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::protocol::{b64, sig};

/// The highest protocol version this crate implements (spec/README.md):
/// documents carry `"v":1` or `"v":2` (DOC-2).
pub const VERSION: i64 = 2;

/// The most signatures one document may carry (LIM-3).
pub const MAX_SIGNATURES: usize = 65_536;

/// The ASCII tag that starts every document signing message.
pub const SIGNATURE_TAG: &[u8] = b"commonstock v1 document signature";

/// The envelope members, in canonical order.
const MEMBERS: [&str; 6] = ["body", "commune", "date", "kind", "sigs", "v"];

macro_rules! kinds {
    ($( $var:ident = $name:literal, $since:literal ),* $(,)?) => {
        /// A kind of document.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $($var),* }

        impl Kind {
            /// Every kind, in spec order.
            pub const ALL: &'static [Kind] = &[$(Kind::$var),*];

            /// The kind's name as it appears in the `kind` member.
            pub fn name(self) -> &'static str {
                match self { $(Kind::$var => $name),* }
            }

            /// The protocol version that defines the kind: a document of
            /// this kind carries at least this `v` (DOC-3).
            pub fn since(self) -> i64 {
                match self { $(Kind::$var => $since),* }
            }

            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $($name => Some(Kind::$var),)* _ => None }
            }
        }
    };
}

kinds! {
    Charter = "charter", 1,
    CharterAmendment = "charter_amendment", 1,
    Admission = "admission", 1,
    Exit = "exit", 1,
    KeyRotation = "key_rotation", 1,
    KeyRecovery = "key_recovery", 1,
    AssetAcquisition = "asset_acquisition", 1,
    BondSeries = "bond_series", 1,
    BondSale = "bond_sale", 1,
    BondTransfer = "bond_transfer", 1,
    RentalAgreement = "rental_agreement", 1,
    RentalEnd = "rental_end", 1,
    ExpenseApproval = "expense_approval", 1,
    Payment = "payment", 1,
    Reversal = "reversal", 1,
    PeriodClose = "period_close", 1,
    // version 2 (spec/14-collateral.md)
    AssetSale = "asset_sale", 2,
    BondCall = "bond_call", 2,
    ReserveDraw = "reserve_draw", 2,
    Auction = "auction", 2,
    Bid = "bid", 2,
    AuctionResult = "auction_result", 2,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One party's signature on a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub key: [u8; 32],
    pub sig: [u8; 64],
}

/// A document: the envelope with its body and signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The protocol version the document follows (`v`, DOC-2): it selects
    /// the kinds and the body schemas of chapter 10 and 13 that apply.
    pub v: i64,
    pub commune: Hash,
    pub kind: Kind,
    pub date: Date,
    pub body: Object,
    /// Sorted strictly ascending by key bytes (DOC-4).
    pub sigs: Vec<Signature>,
}

/// A document that breaks a rule: the rule, the member at fault (a JSON
/// path inside the document, such as `sigs[2].key`) and what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub rule: Rule,
    pub field: String,
    pub detail: String,
}

impl Error {
    pub fn new(rule: Rule, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Error {
            rule,
            field: field.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}: {}", self.rule, self.field, self.detail)
    }
}

impl std::error::Error for Error {}

/// The bytes a party signs: `SIGNATURE_TAG || 0x00 || commune || hash`.
pub fn signing_message(commune: &Hash, document: &Hash) -> [u8; 98] {
    const T: usize = SIGNATURE_TAG.len();
    const _: () = assert!(T + 1 + 64 == 98);
    let mut m = [0u8; 98];
    m[..T].copy_from_slice(SIGNATURE_TAG);
    // m[T] stays 0x00: it ends the tag
    m[T + 1..T + 33].copy_from_slice(&commune.0);
    m[T + 33..].copy_from_slice(&document.0);
    m
}

/// Reads a binary member of `obj`, reporting ENC-9 against `field`.
/// `schema_rule` is reported when the member is not a string at all.
pub(crate) fn binary<const N: usize>(
    v: &Value,
    field: &str,
    schema_rule: Rule,
) -> Result<[u8; N], Error> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(schema_rule, field, "string", v))?;
    b64::decode::<N>(s).map_err(|e| Error::new(Rule::Enc9, field, e.detail))
}

pub(crate) fn type_error(rule: Rule, field: &str, want: &str, got: &Value) -> Error {
    Error::new(
        rule,
        field,
        format!("expected {want}, found {}", got.type_name()),
    )
}

/// Checks that `obj` has exactly the members `names` (closed schema);
/// reports the first unknown member in canonical order, then the first
/// missing one.
pub(crate) fn exact_members(
    obj: &Object,
    names: &[&str],
    rule: Rule,
    path: &str,
) -> Result<(), Error> {
    for k in obj.keys() {
        if !names.contains(&k) {
            return Err(Error::new(rule, join(path, k), "unknown member"));
        }
    }
    for n in names {
        if obj.get(n).is_none() {
            return Err(Error::new(rule, join(path, n), "missing member"));
        }
    }
    Ok(())
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

/// Parses a signature list (DOC-4 / CKP-2 order rule given as `order_rule`).
pub(crate) fn signatures(
    v: &Value,
    field: &str,
    schema_rule: Rule,
    order_rule: Rule,
) -> Result<Vec<Signature>, Error> {
    let arr = v
        .as_array()
        .ok_or_else(|| type_error(schema_rule, field, "array", v))?;
    if arr.len() > MAX_SIGNATURES {
        return Err(Error::new(
            Rule::Lim3,
            field,
            format!("{} signatures, at most {MAX_SIGNATURES}", arr.len()),
        ));
    }
    if arr.is_empty() {
        return Err(Error::new(order_rule, field, "no signature"));
    }
    let mut out: Vec<Signature> = Vec::with_capacity(arr.len());
    for (i, s) in arr.iter().enumerate() {
        let path = format!("{field}[{i}]");
        let obj = s
            .as_object()
            .ok_or_else(|| type_error(schema_rule, &path, "object", s))?;
        exact_members(obj, &["key", "sig"], schema_rule, &path)?;
        let key = binary::<32>(obj.get("key").unwrap(), &format!("{path}.key"), schema_rule)?;
        let sig = binary::<64>(obj.get("sig").unwrap(), &format!("{path}.sig"), schema_rule)?;
        if let Some(prev) = out.last()
            && prev.key >= key
        {
            let what = if prev.key == key {
                "two signatures by the same key"
            } else {
                "signatures not sorted by key"
            };
            return Err(Error::new(order_rule, format!("{path}.key"), what));
        }
        out.push(Signature { key, sig });
    }
    Ok(out)
}

pub(crate) fn signatures_value(sigs: &[Signature]) -> Value {
    Value::Array(
        sigs.iter()
            .map(|s| {
                let mut o = Object::new();
                o.insert("key", Value::from(b64::encode(&s.key)));
                o.insert("sig", Value::from(b64::encode(&s.sig)));
                Value::Object(o)
            })
            .collect(),
    )
}

/// Verifies signatures that all sign `msg`; one verdict each, in order.
pub(crate) fn verify_all(sigs: &[Signature], msg: &[u8]) -> Vec<Result<(), sig::Error>> {
    let items: Vec<sig::Item<'_>> = sigs
        .iter()
        .map(|s| sig::Item {
            key: &s.key,
            msg,
            sig: &s.sig,
        })
        .collect();
    sig::verify_batch(&items)
}

/// Inserts `s` at its sorted place; refuses a second signature by one key.
pub(crate) fn insert_signature(sigs: &mut Vec<Signature>, s: Signature) -> Result<(), Signature> {
    match sigs.binary_search_by(|x| x.key.cmp(&s.key)) {
        Ok(i) => Err(sigs[i]),
        Err(i) => {
            sigs.insert(i, s);
            Ok(())
        }
    }
}

impl Document {
    /// A new unsigned document of the lowest version that defines `kind`
    /// (see [`Document::version`] for another).
    pub fn new(commune: Hash, kind: Kind, date: Date, body: Object) -> Self {
        Document {
            v: kind.since(),
            commune,
            kind,
            date,
            body,
            sigs: Vec::new(),
        }
    }

    /// The same document under protocol version `v` (its body's schema is
    /// that version's).
    pub fn version(mut self, v: i64) -> Self {
        self.v = v;
        self
    }

    /// Reads a document from a parsed JSON value, checking the envelope:
    /// DOC-1 (members and types), then in member order DOC-2, DOC-3,
    /// ENC-9 and ENC-10 on their fields, LIM-3 and DOC-4 on `sigs`.
    pub fn from_value(v: &Value) -> Result<Document, Error> {
        Document::read(v, false)
    }

    /// Reads a document file (one canonical JSON line and LF, as
    /// [`Document::to_file_bytes`] writes it). Unlike an entry's document,
    /// a document file may carry no signature yet: it is a draft being
    /// passed around for signing. Every other envelope rule applies.
    pub fn parse_file(bytes: &[u8]) -> Result<Document, Error> {
        let line = bytes.strip_suffix(b"\n").ok_or_else(|| {
            Error::new(Rule::Enc2, "", "a document file is one line ending with LF")
        })?;
        let v = canonical::parse_canonical(line)
            .map_err(|e| Error::new(e.rule, "", format!("at byte {}: {}", e.offset, e.detail)))?;
        Document::read(&v, true)
    }

    /// The document file's bytes: its canonical line and LF.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut b = canonical::encode(&self.to_value());
        b.push(b'\n');
        b
    }

    fn read(v: &Value, draft: bool) -> Result<Document, Error> {
        let obj = v
            .as_object()
            .ok_or_else(|| type_error(Rule::Doc1, "", "object", v))?;
        exact_members(obj, &MEMBERS, Rule::Doc1, "")?;
        let get = |k: &str| obj.get(k).unwrap();
        // Types first, so a wrong type is DOC-1 wherever it is.
        for (k, want) in [
            ("body", "object"),
            ("commune", "string"),
            ("date", "string"),
            ("kind", "string"),
            ("sigs", "array"),
            ("v", "integer"),
        ] {
            let got = get(k);
            if got.type_name() != want {
                return Err(type_error(Rule::Doc1, k, want, got));
            }
        }
        let version = get("v").as_i64().unwrap();
        if !(1..=VERSION).contains(&version) {
            return Err(Error::new(
                Rule::Doc2,
                "v",
                format!("version {version}, expected 1 to {VERSION}"),
            ));
        }
        let kind_name = get("kind").as_str().unwrap();
        let kind = Kind::from_name(kind_name)
            .ok_or_else(|| Error::new(Rule::Doc3, "kind", format!("unknown kind {kind_name:?}")))?;
        if kind.since() > version {
            return Err(Error::new(
                Rule::Doc3,
                "kind",
                format!(
                    "{kind_name:?} is a kind of version {}, not of version {version}",
                    kind.since()
                ),
            ));
        }
        let commune = Hash(binary::<32>(get("commune"), "commune", Rule::Doc1)?);
        let date = Date::parse(get("date").as_str().unwrap())
            .map_err(|e| Error::new(Rule::Enc10, "date", e.detail))?;
        let sigs = match get("sigs").as_array() {
            Some([]) if draft => Vec::new(),
            _ => signatures(get("sigs"), "sigs", Rule::Doc1, Rule::Doc4)?,
        };
        let body = get("body").as_object().unwrap().clone();
        Ok(Document {
            v: version,
            commune,
            kind,
            date,
            body,
            sigs,
        })
    }

    /// The envelope without `sigs`: what the document hash covers.
    pub fn unsigned_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("body", Value::Object(self.body.clone()));
        o.insert("commune", Value::from(self.commune.to_b64()));
        o.insert("date", Value::from(self.date.to_string()));
        o.insert("kind", Value::from(self.kind.name()));
        o.insert("v", Value::Int(self.v));
        Value::Object(o)
    }

    /// The whole document, signatures included.
    pub fn to_value(&self) -> Value {
        let Value::Object(mut o) = self.unsigned_value() else {
            unreachable!("unsigned_value is an object")
        };
        o.insert("sigs", signatures_value(&self.sigs));
        Value::Object(o)
    }

    /// The document hash (spec 3.2).
    pub fn hash(&self) -> Hash {
        hash::document(&canonical::encode(&self.unsigned_value()))
    }

    /// What every party signs.
    pub fn signing_message(&self) -> [u8; 98] {
        signing_message(&self.commune, &self.hash())
    }

    /// Adds the signature of `key`. Refuses a second signature by one key.
    pub fn sign(&mut self, key: &sig::SecretKey) -> Result<(), Error> {
        let msg = self.signing_message();
        let s = Signature {
            key: key.public_key(),
            sig: key.sign(&msg),
        };
        insert_signature(&mut self.sigs, s)
            .map_err(|_| Error::new(Rule::Doc4, "sigs", "this key has already signed"))
    }

    /// Adds signatures made elsewhere (co-signatures gathered in another
    /// copy of the same document). Refuses a key that has already signed.
    pub fn add_signature(&mut self, s: Signature) -> Result<(), Error> {
        insert_signature(&mut self.sigs, s)
            .map_err(|_| Error::new(Rule::Doc4, "sigs", "this key has already signed"))
    }

    /// Verifies every signature (SIG-1 to SIG-6); one verdict each, in
    /// `sigs` order.
    pub fn verify_signatures(&self) -> Vec<Result<(), sig::Error>> {
        verify_all(&self.sigs, &self.signing_message())
    }

    /// Whether `key` has signed this document (presence only; validity is
    /// [`Document::verify_signatures`]).
    pub fn signed_by(&self, key: &[u8; 32]) -> bool {
        self.sigs.binary_search_by(|s| s.key.cmp(key)).is_ok()
    }
}
