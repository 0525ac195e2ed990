//! `commonstock log`: the chain as a person browses it.

use std::process::ExitCode;

use commonstock::canonical::{Object, Value};
use commonstock::chain::{self, LineReader};
use commonstock::commune::State;
use commonstock::document::Kind;
use commonstock::review::{self};

use crate::common::*;

// ---------------------------------------------------------------------------
// Log

pub(crate) fn log(
    chain: &str,
    full: bool,
    kind: Option<String>,
    member: Option<String>,
    asset: Option<String>,
    json: bool,
) -> Res<ExitCode> {
    let kind = kind
        .map(|k| Kind::from_name(&k).ok_or_else(|| usage(format!("unknown kind {k:?}"))))
        .transpose()?;
    let bytes = read_input(chain)?;
    let mut reader = LineReader::new(&bytes[..]);
    let mut state = State::new();
    let mut out = Vec::new();
    while let Some(next) = reader.next_line() {
        let (n, line) = next.map_err(|e| match e {
            chain::ReadError::Rule(r) => {
                refused(format!("{chain}: {r}; run `commonstock audit` on it"))
            }
            chain::ReadError::Io(e) => usage(e.to_string()),
        })?;
        let e = chain::parse_entry(line).map_err(|e| {
            refused(format!(
                "{chain}: line {n}: {e}; run `commonstock audit` on it"
            ))
        })?;
        let doc = &e.doc;
        let shown = kind.is_none_or(|k| k == doc.kind)
            && member
                .as_deref()
                .is_none_or(|m| review::involves_member(doc, &state, m))
            && asset
                .as_deref()
                .is_none_or(|a| review::involves_asset(doc, &state, a));
        if shown {
            let summary = review::summary(doc, Some(&state));
            if json {
                let mut o = Object::new();
                o.insert("date", Value::from(doc.date.to_string()));
                o.insert("doc_hash", Value::from(e.doc_hash.to_b64()));
                o.insert("entry_hash", Value::from(e.hash.to_b64()));
                o.insert("kind", Value::from(doc.kind.name()));
                o.insert("seq", Value::Int(e.seq as i64));
                o.insert("summary", Value::from(summary));
                if full {
                    o.insert("doc", doc.to_value());
                }
                out.extend_from_slice(&json_line(&Value::Object(o)));
            } else if full {
                let signers: Vec<String> = doc
                    .sigs
                    .iter()
                    .map(|s| review::key_name(&s.key, Some(&state)))
                    .collect();
                let mut t = format!(
                    "{} {}\nentry:    {}\ndocument: {}\ndate:     {}\nkind:     {}\nsigned:   {}\n\n    {summary}\n",
                    paint("entry", YELLOW),
                    e.seq,
                    e.hash,
                    e.doc_hash,
                    doc.date,
                    doc.kind,
                    signers.join(", ")
                );
                for (k, v) in review::describe(doc, Some(&state), None) {
                    t.push_str(&format!("    {k}: {v}\n"));
                }
                t.push('\n');
                out.extend_from_slice(t.as_bytes());
            } else {
                out.extend_from_slice(
                    format!(
                        "{:>5} {} {:<17} {} {summary}\n",
                        e.seq,
                        doc.date,
                        doc.kind.name(),
                        paint(&e.doc_hash.short(), YELLOW)
                    )
                    .as_bytes(),
                );
            }
        }
        // Void documents change nothing; the audit reports them.
        let _ = state.apply(doc);
    }
    print(&out)
}
