//! Many documents at once: the batch drafts (`draft dividends`,
//! `draft bond-service`, `draft payments`), `sign` of several documents
//! (one passphrase, one confirmation) and `append` (one document or
//! many, in one atomic step). Only wiring: the rules are the library's
//! (`batch`, `review::Sequence`, `chainfile::append_all`).

// A commune finding is 128 bytes; as in the library, it is the rare path and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use commonstock::b64;
use commonstock::batch::{self, Drafted, Mapping};
use commonstock::canonical::{Object, Value};
use commonstock::chainfile::{self, Reading};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::review::{self, Chain, Money, Sequence, Standing};
use commonstock::tools::cache::Cache;

use crate::common::*;
use crate::workflow::*;

pub(crate) fn is_batch(kind: &str) -> bool {
    BATCHES.contains(&kind)
}

/// Refuses the batch options on a single document's draft.
pub(crate) fn single_draft_only(a: &DraftArgs) -> Res<()> {
    let batch_only = [
        (a.period.is_some(), "--period"),
        (a.due_by.is_some(), "--due-by"),
        (a.csv.is_some(), "--csv"),
        (!a.columns.is_empty(), "--column"),
        (a.dir != Path::new("."), "--dir"),
        (a.json, "--json"),
    ];
    if let Some((_, flag)) = batch_only.iter().find(|(set, _)| *set) {
        return Err(usage(format!(
            "{flag} is for the batch drafts ({}), not for a {}",
            BATCHES.join(", "),
            a.kind
        )));
    }
    Ok(())
}

fn batch_error(e: batch::Error) -> Failure {
    match e {
        batch::Error::Input(m) => usage(format!("nothing drafted: {m}")),
        e => refused(format!("nothing drafted: {e}")),
    }
}

fn date_arg(flag: &str, s: &str) -> Res<Date> {
    Date::parse(s).map_err(|e| usage(format!("{flag} {s}: {}", e.detail)))
}

pub(crate) fn draft(a: DraftArgs) -> Res<ExitCode> {
    let kind = a.kind.as_str();
    let Some(chain_path) = &a.chain else {
        return Err(usage(format!(
            "draft {kind} needs the chain: pass --chain CHAIN"
        )));
    };
    let single_only = [
        (!a.set.is_empty(), "--set"),
        (a.body.is_some(), "--body"),
        (a.out != "-", "--out"),
    ];
    if let Some((_, flag)) = single_only.iter().find(|(set, _)| *set) {
        return Err(usage(format!(
            "{flag} is for a single document; draft {kind} writes one file per payment in --dir"
        )));
    }
    let needs = |set: bool, flag: &str| {
        if set {
            Err(usage(format!("{flag} is not an option of draft {kind}")))
        } else {
            Ok(())
        }
    };
    let date = a
        .date
        .as_deref()
        .map(|d| date_arg("--date", d))
        .transpose()?;
    let chain = read_chain(chain_path)?;
    let mut ignored = Vec::new();
    let drafted: Vec<(Option<usize>, Drafted)> = match kind {
        "dividends" => {
            needs(a.due_by.is_some(), "--due-by")?;
            needs(a.csv.is_some() || !a.columns.is_empty(), "--csv")?;
            let Some(p) = &a.period else {
                return Err(usage("draft dividends needs --period YYYY-MM"));
            };
            let period = (p.len() == 7)
                .then(|| Date::parse(&format!("{p}-01")).ok())
                .flatten()
                .ok_or_else(|| usage(format!("--period {p}: not a month (YYYY-MM)")))?
                .month_index();
            let date = date.expect("required without --csv");
            batch::dividends(&chain, period, date)
                .map_err(batch_error)?
                .into_iter()
                .map(|d| (None, d))
                .collect()
        }
        "bond-service" => {
            needs(a.period.is_some(), "--period")?;
            needs(a.csv.is_some() || !a.columns.is_empty(), "--csv")?;
            let date = date.expect("required without --csv");
            let due_by = match &a.due_by {
                Some(d) => date_arg("--due-by", d)?,
                None => date,
            };
            batch::bond_service(&chain, due_by, date)
                .map_err(batch_error)?
                .into_iter()
                .map(|d| (None, d))
                .collect()
        }
        _ => {
            needs(a.period.is_some(), "--period")?;
            needs(a.due_by.is_some(), "--due-by")?;
            needs(date.is_some(), "--date (the dates are the CSV's)")?;
            let Some(csv) = &a.csv else {
                return Err(usage("draft payments needs --csv FILE"));
            };
            let mut mapping = Mapping::default();
            for c in &a.columns {
                mapping.set(c).map_err(|e| usage(format!("--column {e}")))?;
            }
            let bytes = fs::read(csv).map_err(|e| usage(format!("{}: {e}", csv.display())))?;
            let out = batch::payments_csv(&chain, &bytes, &mapping).map_err(|e| match e {
                batch::Error::Input(m) => usage(format!("nothing drafted: {}: {m}", csv.display())),
                e => refused(format!("nothing drafted: {}: {e}", csv.display())),
            })?;
            ignored = out.ignored;
            out.drafted.into_iter().map(|(r, d)| (Some(r), d)).collect()
        }
    };
    write_batch(&a, &chain, &drafted, &ignored)
}

/// Writes each drafted payment to DIR/ID.doc.json (refusing the whole batch
/// before writing anything if a file there holds something else), then
/// says what was drafted.
fn write_batch(
    a: &DraftArgs,
    chain: &Chain,
    drafted: &[(Option<usize>, Drafted)],
    ignored: &[String],
) -> Res<ExitCode> {
    let files: Vec<PathBuf> = drafted
        .iter()
        .map(|(_, d)| a.dir.join(format!("{}.doc.json", d.id)))
        .collect();
    for (f, (_, d)) in files.iter().zip(drafted) {
        if let Ok(old) = fs::read(f)
            && old != d.doc.to_file_bytes()
        {
            return Err(refused(format!(
                "nothing drafted: {} exists and holds another document (perhaps already signed); move it away or draft into another --dir",
                f.display()
            )));
        }
    }
    if !drafted.is_empty() {
        fs::create_dir_all(&a.dir).map_err(|e| usage(format!("{}: {e}", a.dir.display())))?;
    }
    for (f, (_, d)) in files.iter().zip(drafted) {
        write_output(&f.to_string_lossy(), &d.doc.to_file_bytes())?;
    }
    let state = &chain.state;
    let money = Money {
        code: state.currency.clone(),
        exponent: state.exponent,
    };
    let total: i64 = drafted
        .iter()
        .filter_map(|(_, d)| d.doc.body.get("amount").and_then(Value::as_i64))
        .sum();
    if a.json {
        let docs = files
            .iter()
            .zip(drafted)
            .map(|(f, (row, d))| {
                let mut o = Object::new();
                o.insert("file", Value::from(f.to_string_lossy().into_owned()));
                o.insert("id", Value::from(d.id.as_str()));
                o.insert("hash", Value::from(d.doc.hash().to_b64()));
                o.insert("date", Value::from(d.doc.date.to_string()));
                o.insert(
                    "purpose",
                    d.doc.body.get("purpose").cloned().unwrap_or(Value::Null),
                );
                o.insert(
                    "amount",
                    d.doc.body.get("amount").cloned().unwrap_or(Value::Null),
                );
                o.insert("row", row.map_or(Value::Null, |r| Value::Int(r as i64)));
                o.insert("summary", Value::from(review::summary(&d.doc, Some(state))));
                Value::Object(o)
            })
            .collect();
        let mut o = Object::new();
        o.insert("schema", Value::from("commonstock-drafted-v1"));
        o.insert("documents", Value::Array(docs));
        o.insert("total", Value::Int(total));
        o.insert(
            "ignored_columns",
            Value::Array(ignored.iter().map(|c| Value::from(c.as_str())).collect()),
        );
        return print(&json_line(&Value::Object(o)));
    }
    let mut out = String::new();
    if !ignored.is_empty() {
        out.push_str(&format!("ignored columns: {}\n", ignored.join(", ")));
    }
    if drafted.is_empty() {
        out.push_str("nothing to draft: every such payment is already made\n");
        return print(out.as_bytes());
    }
    for (f, (row, d)) in files.iter().zip(drafted) {
        let from = row.map(|r| format!("row {r}: ")).unwrap_or_default();
        out.push_str(&format!(
            "{}  {from}{}\n",
            f.display(),
            review::summary(&d.doc, Some(state))
        ));
    }
    out.push_str(&format!(
        "drafted {} payment{} ({}); sign them with `commonstock sign --chain {} --key KEY {}/*.doc.json`\n",
        drafted.len(),
        if drafted.len() == 1 { "" } else { "s" },
        money.show(total),
        a.chain.as_deref().unwrap_or(Path::new("CHAIN")).display(),
        a.dir.display()
    ));
    print(out.as_bytes())
}

/// `sign --key KEY DOC…`: one key read (one passphrase), every document
/// checked in order, one confirmation, then each signed and written back.
pub(crate) fn sign(
    names: &[String],
    k: &KeyArgs,
    chain: Option<&Path>,
    yes: bool,
    out: Option<&str>,
    force: bool,
    json: bool,
) -> Res<ExitCode> {
    if out.is_some() && names.len() > 1 {
        return Err(usage("-o is for one document; several are signed in place"));
    }
    if names.len() > 1 && names.iter().any(|n| n == "-") {
        return Err(usage("`-` (standard input) is for one document"));
    }
    let to_stdout = out.map_or(names[0] == "-", |o| o == "-");
    if json && to_stdout {
        return Err(usage(
            "--json prints to standard output, where the signed document would go: write it to a file",
        ));
    }
    let mut docs = Vec::with_capacity(names.len());
    for n in names {
        docs.push(read_doc(n)?);
    }
    let charter = docs.iter().any(|d| d.kind == Kind::Charter);
    if charter && docs.len() > 1 {
        return Err(usage(
            "a charter is signed on its own, without other documents",
        ));
    }
    let chain = match (chain, charter) {
        (Some(p), _) => Some(read_chain(p)?),
        (None, true) => None,
        (None, false) => {
            return Err(usage(
                "to sign documents safely, pass the chain they will join (--chain CHAIN)",
            ));
        }
    };
    let key = load_key(k)?;
    let public = key.public_key();
    let state = chain.as_ref().map(|c| &c.state);
    let signer = review::key_name(&public, state);
    for (n, d) in names.iter().zip(&docs) {
        if d.signed_by(&public) {
            return Err(refused(format!(
                "nothing signed: {n}: DOC-4: {signer} has already signed this document"
            )));
        }
    }
    judge_all(chain.as_ref(), names, &docs).map_err(|(n, f)| {
        refused(format!(
            "nothing signed: {n} can never be valid at the end of the chain: {f}"
        ))
    })?;
    for (n, d) in names.iter().zip(&docs) {
        if !review::signature_can_count(d, state, &public) {
            eprintln!(
                "warning: {n}: {signer}: this key is not a current member's; the signature will not count"
            );
        }
    }
    if !yes {
        eprintln!("{} document(s) to sign as {signer}:", docs.len());
        for (n, d) in names.iter().zip(&docs) {
            eprintln!(
                "  {n}: {} dated {}: {} (hash {})",
                d.kind,
                d.date,
                review::summary(d, state),
                d.hash().short()
            );
        }
        confirm(&format!(
            "Sign {}?",
            if docs.len() == 1 {
                "it".to_string()
            } else {
                format!("these {} documents", docs.len())
            }
        ))?;
    }
    for d in &mut docs {
        d.sign(&key).map_err(|e| refused(e.to_string()))?;
    }
    let standings = standings(chain.as_ref(), &docs);
    let dests: Vec<&str> = names.iter().map(|n| out.unwrap_or(n.as_str())).collect();
    for (dest, d) in dests.iter().zip(&docs) {
        guard_overwrite(dest, d, force)?;
    }
    for (dest, d) in dests.iter().zip(&docs) {
        write_output(dest, &d.to_file_bytes())?;
    }
    if json {
        let list = names
            .iter()
            .zip(&docs)
            .zip(&standings)
            .map(|((n, d), s)| {
                let mut o = Object::new();
                o.insert(
                    "file",
                    Value::from(match out {
                        Some(o) => o,
                        None => n.as_str(),
                    }),
                );
                o.insert("hash", Value::from(d.hash().to_b64()));
                o.insert("standing", standing_value(s));
                Value::Object(o)
            })
            .collect();
        let mut signer_v = Object::new();
        signer_v.insert("key", Value::from(b64::encode(&public)));
        signer_v.insert(
            "member",
            state
                .and_then(|s| s.member_by_key(&public))
                .map_or(Value::Null, Value::from),
        );
        let mut o = Object::new();
        o.insert("schema", Value::from("commonstock-signed-v1"));
        o.insert("signer", Value::Object(signer_v));
        o.insert("documents", Value::Array(list));
        print(&json_line(&Value::Object(o)))?;
    } else {
        for (n, s) in names.iter().zip(&standings) {
            eprintln!("signed {n} as {signer}; {}", standing_text(s));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Judges the documents in order; the first that can never be valid.
fn judge_all(
    chain: Option<&Chain>,
    names: &[String],
    docs: &[Document],
) -> Result<Vec<Standing>, (String, review::Problem)> {
    let Some(c) = chain else {
        return docs
            .iter()
            .zip(names)
            .map(|(d, n)| review::check(None, d).map_err(|f| (n.clone(), f)))
            .collect();
    };
    let mut seq = Sequence::new(c).map_err(|f| ("the chain".to_string(), f))?;
    docs.iter()
        .zip(names)
        .map(|(d, n)| seq.check(d).map_err(|f| (n.clone(), f)))
        .collect()
}

/// Where each document stands, in order.
fn standings(chain: Option<&Chain>, docs: &[Document]) -> Vec<Result<Standing, review::Problem>> {
    match chain.map(Sequence::new) {
        None => docs.iter().map(|d| review::check(None, d)).collect(),
        Some(Err(f)) => docs.iter().map(|_| Err(f.clone())).collect(),
        Some(Ok(mut seq)) => docs.iter().map(|d| seq.check(d)).collect(),
    }
}

/// `append CHAIN DOC…`: all or nothing, in one atomic replacement.
pub(crate) fn append(path: &Path, names: &[String], new: bool, json: bool) -> Res<ExitCode> {
    if names.len() > 1 && names.iter().any(|n| n == "-") {
        return Err(usage("`-` (standard input) is for one document"));
    }
    let mut docs = Vec::with_capacity(names.len());
    for n in names {
        docs.push(read_doc(n)?);
    }
    let total = fs::metadata(path).ok().map(|m| m.len());
    let reading = Reading {
        cache: Cache::from_env(),
        progress: Some(crate::progress::Bar::boxed(total)),
    };
    let result = chainfile::append_all(path, &docs, new, reading);
    let batch = match result {
        Ok(b) => b,
        Err(chainfile::Error::At(i, e)) => {
            let what = if names.len() > 1 {
                format!("{}: ", names[i])
            } else {
                String::new()
            };
            let tail = if names.len() > 1 {
                "; nothing was appended"
            } else {
                ""
            };
            return Err(match *e {
                e @ (chainfile::Error::Refused(_) | chainfile::Error::Incomplete(_)) => {
                    refused(format!("not appended: {what}{e}{tail}"))
                }
                e => usage(format!("not appended: {what}{e}{tail}")),
            });
        }
        Err(e @ (chainfile::Error::Refused(_) | chainfile::Error::Incomplete(_))) => {
            return Err(refused(format!("not appended: {e}")));
        }
        Err(e) => return Err(usage(format!("not appended: {e}"))),
    };
    for n in &batch.notes {
        eprintln!("commonstock: {n}");
    }
    let head = batch.appended.last().map(|a| a.head);
    if json {
        let entries = batch
            .appended
            .iter()
            .zip(names)
            .map(|(a, n)| {
                let mut o = Object::new();
                o.insert("seq", Value::Int(a.seq as i64));
                o.insert("entry", Value::from(a.head.to_b64()));
                o.insert("document", Value::from(a.doc_hash.to_b64()));
                o.insert("file", Value::from(n.as_str()));
                o.insert("summary", Value::from(a.summary.as_str()));
                Value::Object(o)
            })
            .collect();
        let mut o = Object::new();
        o.insert("schema", Value::from("commonstock-appended-v1"));
        o.insert("entries", Value::Array(entries));
        o.insert(
            "head",
            head.map_or(Value::Null, |h| Value::from(h.to_b64())),
        );
        return print(&json_line(&Value::Object(o)));
    }
    let mut out = String::new();
    for a in &batch.appended {
        out.push_str(&format!(
            "appended entry {} ({}): {}\n",
            a.seq,
            a.doc_hash.short(),
            a.summary
        ));
    }
    if let Some(h) = head {
        out.push_str(&format!("head: {h}\n"));
    }
    print(out.as_bytes())
}
