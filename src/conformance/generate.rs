//! Writes the suite (test-vectors/README.md): the chain cases of every
//! case file, the tables, and `manifest.json`, laid out byte-stably.

use super::build::{Gen, row, s};
use super::case::{Case, Expect};
use crate::protocol::canonical::{self, Value};
use crate::protocol::rule::Rule;

/// The version of `manifest.json`.
pub const MANIFEST_SCHEMA: &str = "commonstock-conformance-manifest-v1";
/// Pretty but byte-stable JSON: a top-level object with one member per line
/// and, for arrays, one canonical element per line.
pub fn layout(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Value::Object(o) = v else {
        out = canonical::encode(v);
        out.push(b'\n');
        return out;
    };
    out.extend_from_slice(b"{\n");
    let n = o.len();
    for (i, (k, v)) in o.iter().enumerate() {
        out.extend_from_slice(b"  ");
        out.extend_from_slice(&canonical::encode(&Value::from(k)));
        out.push(b':');
        match v {
            Value::Array(items) if !items.is_empty() => {
                out.extend_from_slice(b"[\n");
                for (j, item) in items.iter().enumerate() {
                    out.extend_from_slice(b"    ");
                    out.extend_from_slice(&canonical::encode(item));
                    if j + 1 < items.len() {
                        out.push(b',');
                    }
                    out.push(b'\n');
                }
                out.extend_from_slice(b"  ]");
            }
            _ => out.extend_from_slice(&canonical::encode(v)),
        }
        if i + 1 < n {
            out.push(b',');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"}\n");
    out
}

/// Every chain case of `files`, sorted by name.
pub(crate) fn chain_cases(files: &[fn(&mut Gen)]) -> Vec<Case> {
    let mut g = Gen::default();
    for cases in files {
        cases(&mut g);
    }
    let mut cases = g.cases;
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Every generated file for the cases of `files` and the tables: paths
/// relative to `test-vectors/` and bytes.
pub(crate) fn files(files: &[fn(&mut Gen)]) -> Vec<(String, Vec<u8>)> {
    let cases = chain_cases(files);
    let tables = super::tables::tables();
    let mut files = Vec::new();
    let mut case_list = Vec::new();
    for c in &cases {
        let path = format!("chains/{}.case", c.name);
        let mut m = vec![
            (
                "covers",
                Value::Array(c.covers.iter().map(|r| s(r)).collect()),
            ),
            (
                "expect",
                s(if c.expect == Expect::Valid {
                    "valid"
                } else {
                    "invalid"
                }),
            ),
            ("file", s(&path)),
            ("layer", s(c.layer())),
            ("name", s(&c.name)),
        ];
        if let Expect::Invalid { rule, entry } = &c.expect {
            m.push(("rule", s(rule)));
            m.push(("entry", entry.map_or(Value::Null, |e| Value::Int(e as i64))));
        }
        case_list.push(row(m));
        files.push((path, c.to_bytes()));
    }
    let mut table_list = Vec::new();
    for (name, layer, t) in &tables {
        let path = format!("tables/{name}");
        let rows = t
            .as_object()
            .and_then(|o| o.get("rows"))
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        let summary = rows
            .iter()
            .filter_map(Value::as_object)
            .map(|r| {
                row(vec![
                    (
                        "covers",
                        r.get("covers").cloned().unwrap_or(Value::Array(Vec::new())),
                    ),
                    ("expect", r.get("expect").cloned().unwrap_or(s("value"))),
                    ("name", r.get("name").cloned().unwrap_or(Value::Null)),
                ])
            })
            .collect();
        table_list.push(row(vec![
            ("file", s(&path)),
            ("layer", s(layer)),
            ("rows", Value::Array(summary)),
        ]));
        files.push((path, layout(t)));
    }
    let manifest = row(vec![
        ("cases", Value::Array(case_list)),
        (
            "protocol_version",
            Value::Int(crate::protocol::document::VERSION),
        ),
        (
            "rules",
            Value::Array(Rule::ALL.iter().map(|r| s(r.code())).collect()),
        ),
        ("schema", s(MANIFEST_SCHEMA)),
        ("tables", Value::Array(table_list)),
    ]);
    files.push(("manifest.json".into(), layout(&manifest)));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}
