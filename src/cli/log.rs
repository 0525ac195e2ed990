//! `commonstock log`: the chain as a person browses it.

use std::path::Path;
use std::process::ExitCode;

use commonstock::canonical::{Object, Value};
use commonstock::chain::{self, LineReader};
use commonstock::commune::State;
use commonstock::date::Date;
use commonstock::document::Kind;
use commonstock::review::{self};
use commonstock::{b64, draft};

use crate::common::*;
use crate::workflow::LogArgs;

/// The schema of each line of `log --json` (spec/13-outputs.md).
const LOG_SCHEMA: &str = "commonstock-log-v1";

// ---------------------------------------------------------------------------
// Log

fn date_arg(flag: &str, v: &Option<String>) -> Res<Option<Date>> {
    v.as_deref()
        .map(|d| Date::parse(d).map_err(|e| usage(format!("{flag} {d}: {}", e.detail))))
        .transpose()
}

/// A bondholder given on the command line: the key itself, or a public key
/// file (`@FILE` or FILE).
fn holder_arg(v: &str) -> Res<[u8; 32]> {
    if let Ok(k) = b64::decode::<32>(v) {
        return Ok(k);
    }
    let file = v.strip_prefix('@').unwrap_or(v);
    let bytes = std::fs::read(Path::new(file)).map_err(|e| {
        usage(format!(
            "--holder {v}: neither a public key nor a public key file ({e})"
        ))
    })?;
    draft::public_key_file(&bytes)
        .ok_or_else(|| usage(format!("--holder {v}: {file} is not a public key file")))
}

pub(crate) fn log(a: LogArgs) -> Res<ExitCode> {
    let kind = a
        .kind
        .as_deref()
        .map(|k| Kind::from_name(k).expect("clap checks the kind against Kind::ALL"));
    let since = date_arg("--since", &a.since)?;
    let until = date_arg("--until", &a.until)?;
    let holder = a.holder.as_deref().map(holder_arg).transpose()?;
    let bytes = read_source(&a.chain)?;
    let chain = &a.chain;
    let mut reader = LineReader::new(&bytes[..]);
    let mut state = State::new();
    // Each shown entry's output; -n and --reverse choose among them.
    let mut shown: Vec<Vec<u8>> = Vec::new();
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
        let pass = kind.is_none_or(|k| k == doc.kind)
            && since.is_none_or(|d| doc.date >= d)
            && until.is_none_or(|d| doc.date <= d)
            && a.member
                .as_deref()
                .is_none_or(|m| review::involves_member(doc, &state, m))
            && holder
                .as_ref()
                .is_none_or(|k| review::involves_holder(doc, k))
            && a.asset
                .as_deref()
                .is_none_or(|x| review::involves_asset(doc, &state, x));
        if pass {
            let summary = review::summary(doc, Some(&state));
            let out = if a.json {
                let mut o = Object::new();
                o.insert("schema", Value::from(LOG_SCHEMA));
                o.insert("date", Value::from(doc.date.to_string()));
                o.insert("doc_hash", Value::from(e.doc_hash.to_b64()));
                o.insert("entry_hash", Value::from(e.hash.to_b64()));
                o.insert("kind", Value::from(doc.kind.name()));
                o.insert("seq", Value::Int(e.seq as i64));
                o.insert("summary", Value::from(summary));
                if a.full {
                    o.insert("doc", doc.to_value());
                }
                json_line(&Value::Object(o))
            } else if a.full {
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
                t.into_bytes()
            } else {
                format!(
                    "{:>5} {} {:<17} {} {summary}\n",
                    e.seq,
                    doc.date,
                    doc.kind.name(),
                    paint(&e.doc_hash.short(), YELLOW)
                )
                .into_bytes()
            };
            shown.push(out);
        }
        // Void documents change nothing; the audit reports them.
        let _ = state.apply(doc);
    }
    if let Some(n) = a.max_count {
        let from = shown.len().saturating_sub(n);
        shown.drain(..from);
    }
    if a.reverse {
        shown.reverse();
    }
    print(&shown.concat())
}
