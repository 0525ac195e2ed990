//! Chains built from fixed seeds for the integration tests.
#![allow(dead_code)]

use commonstock::canonical::{Object, Value};
use commonstock::chain::{self, Builder};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::hash::Hash;
use commonstock::sig::SecretKey;

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

/// A charter body naming `founders` (an integrity-layer stand-in).
pub fn charter_body(name: &str, founders: &[&SecretKey]) -> Object {
    let list = founders
        .iter()
        .map(|k| Value::from(commonstock::b64::encode(&k.public_key())))
        .collect();
    obj(&[
        ("name", Value::from(name)),
        ("founders", Value::Array(list)),
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

/// A small sound chain: a charter signed by two founders, then `n`
/// payments, each signed by one of them.
pub fn small_chain(name: &str, n: usize) -> (Builder, Hash) {
    let (a, b) = (key(1), key(2));
    let body = charter_body(name, &[&a, &b]);
    let commune = chain::commune_id(&body);
    let mut builder = Builder::new();
    builder.push(&doc(commune, Kind::Charter, "2025-01-01", body, &[&a, &b]));
    for i in 0..n {
        let body = obj(&[
            ("amount", Value::Int(100 + i as i64)),
            ("memo", Value::from(format!("{name} rent {i}"))),
        ]);
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
