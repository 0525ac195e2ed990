//! Chains built from fixed seeds for the integration tests.
#![allow(dead_code)]

use commonstock::canonical::{Object, Value};
use commonstock::chain::{self, Builder};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::hash::Hash;
use commonstock::sig::SecretKey;

pub mod dir;

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

pub fn obj(members: &[(&str, Value)]) -> Object {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(*k, v.clone());
    }
    o
}

/// A charter body (spec 10.3.1) with `founders` as members m1, m2, …,
/// all of them treasurers, and majority thresholds.
pub fn charter_body(name: &str, founders: &[&SecretKey]) -> Object {
    let ids: Vec<String> = (1..=founders.len()).map(|i| format!("m{i}")).collect();
    let list = founders
        .iter()
        .zip(&ids)
        .map(|(k, id)| {
            Value::Object(obj(&[
                (
                    "key",
                    Value::from(commonstock::b64::encode(&k.public_key())),
                ),
                ("member", Value::from(id.as_str())),
            ]))
        })
        .collect();
    let thresholds = obj(&[
        ("admission", Value::Int(5001)),
        ("amendment", Value::Int(6667)),
        ("asset", Value::Int(5001)),
        ("bond", Value::Int(5001)),
        ("close", Value::Int(5001)),
        ("expense", Value::Int(5001)),
        ("expulsion", Value::Int(6667)),
        ("key_recovery", Value::Int(6667)),
        ("rental", Value::Int(5001)),
    ]);
    obj(&[
        ("bonds_transferable", Value::Bool(true)),
        (
            "bylaws",
            Value::from(commonstock::hash::text(b"bylaws").to_b64()),
        ),
        (
            "currency",
            Value::Object(obj(&[
                ("code", Value::from("EUR")),
                ("exponent", Value::Int(2)),
            ])),
        ),
        ("founders", Value::Array(list)),
        ("name", Value::from(name)),
        ("reserve_bps", Value::Int(1000)),
        ("thresholds", Value::Object(thresholds)),
        (
            "treasurers",
            Value::Array(ids.iter().map(|i| Value::from(i.as_str())).collect()),
        ),
    ])
}

/// An income payment body (spec 10.3.13).
pub fn income(id: &str, amount: i64, source: &str) -> Object {
    obj(&[
        ("amount", Value::Int(amount)),
        ("id", Value::from(id)),
        ("purpose", Value::from("income")),
        (
            "ref",
            Value::Object(obj(&[("source", Value::from(source))])),
        ),
    ])
}

/// A signed document.
pub fn doc(commune: Hash, kind: Kind, d: &str, body: Object, signers: &[&SecretKey]) -> Document {
    let mut doc = Document::new(commune, kind, date(d), body);
    for k in signers {
        doc.sign(k).unwrap();
    }
    doc
}

/// A small sound chain: a charter signed by two founders, then `n` income
/// payments, each signed by one of them (both are treasurers).
pub fn small_chain(name: &str, n: usize) -> (Builder, Hash) {
    let (a, b) = (key(1), key(2));
    let body = charter_body(name, &[&a, &b]);
    let commune = chain::commune_id(&body);
    let mut builder = Builder::new();
    builder.push(&doc(commune, Kind::Charter, "2025-01-01", body, &[&a, &b]));
    for i in 0..n {
        let body = income(
            &format!("p{i}"),
            100 + i as i64,
            &format!("{name} rent {i}"),
        );
        let signer = if i % 2 == 0 { &a } else { &b };
        let d = format!("2025-{:02}-15", 1 + (i % 12));
        let d = if i < 12 { d } else { "2025-12-31".to_string() };
        builder.push(&doc(commune, Kind::Payment, &d, body, &[signer]));
    }
    (builder, commune)
}

pub fn lines_to_bytes(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}
