//! `draft`, `show`, `sign` and `merge`: a document from its first draft
//! to its last signature (`append`, and batches, are in `batch.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use commonstock::b64;
use commonstock::canonical::{Object, Value};
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::draft::{self, Body};
use commonstock::review::{self, Money};

use crate::common::*;
use crate::workflow::*;

// ---------------------------------------------------------------------------
// Draft, show, sign, merge, append

pub(crate) fn draft(a: DraftArgs) -> Res<ExitCode> {
    let kind = Kind::from_name(&a.kind).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        usage(format!(
            "unknown kind {:?}; one of: {}",
            a.kind,
            all.join(", ")
        ))
    })?;
    if a.fields {
        return print(draft::fields_text(kind).as_bytes());
    }
    let raw_date = a.date.as_deref().unwrap_or_default();
    let date =
        Date::parse(raw_date).map_err(|e| usage(format!("--date {raw_date}: {}", e.detail)))?;
    let chain = match (&a.chain, kind) {
        (Some(_), Kind::Charter) => {
            return Err(usage("a charter starts a chain: draft it without --chain"));
        }
        (Some(p), _) => Some(read_chain(p)?),
        (None, Kind::Charter) => None,
        (None, _) => {
            return Err(usage(format!(
                "a {kind} needs the chain it will join: pass --chain CHAIN"
            )));
        }
    };
    let mut body = match &a.body {
        Some(f) => Body::from_json(&read_input(f)?).map_err(|e| usage(e.to_string()))?,
        None => Body::default(),
    }
    .for_kind(kind);
    // The currency for `EUR 12.34` values: the chain's, or a charter's own
    // (set by an earlier --set or the body file).
    let mut money = chain.as_ref().and_then(|c| {
        (!c.state.currency.is_empty()).then(|| Money {
            code: c.state.currency.clone(),
            exponent: c.state.exponent,
        })
    });
    for s in &a.set {
        if money.is_none() {
            let probe = Document::new(Default::default(), kind, date, body.clone().finish());
            money = Money::of(&probe, None);
        }
        body.assign(s, money.as_ref())
            .map_err(|e| usage(format!("--set {s}: {e}")))?;
    }
    let mut body = body.finish();
    let v = if a.v2 { 2 } else { kind.since() };
    if let Some(c) = &chain {
        if kind == Kind::PeriodClose {
            draft::fill_period_close(&mut body, &c.state, date, v >= 2);
        }
        draft::fill_computed(kind, &mut body, &c.state, date);
        if kind == Kind::Payment {
            commonstock::batch::fill_payment(&c.state, &mut body, date).map_err(|f| {
                refused(format!(
                    "this payment could not join the chain: {f}; fix it and draft again"
                ))
            })?;
        }
    }
    let doc = draft::document(kind, date, body, chain.as_ref().and_then(|c| c.commune), v)
        .map_err(|e| match e {
            draft::Error::Input(m) => usage(m),
            draft::Error::Rule(f) => {
                refused(format!("the draft breaks {f}; fix it and draft again"))
            }
        })?;
    if let Some(c) = &chain
        && let Err(f) = review::check(Some(c), &doc)
    {
        return Err(refused(format!(
            "this {kind} could not join the chain: {f}; fix it and draft again"
        )));
    }
    guard_overwrite(&a.out, &doc, a.force)?;
    write_output(&a.out, &doc.to_file_bytes())?;
    if a.out != "-" {
        eprintln!(
            "drafted {} ({}): {}",
            a.out,
            doc.hash().short(),
            review::summary(&doc, chain.as_ref().map(|c| &c.state))
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn show(
    name: &str,
    chain: Option<&Path>,
    text: Option<&Path>,
    json: bool,
) -> Res<ExitCode> {
    let doc = read_doc(name)?;
    let chain = chain.map(read_chain).transpose()?;
    let text = text
        .map(|t| fs::read(t).map_err(|e| usage(format!("{}: {e}", t.display()))))
        .transpose()?;
    let state = chain.as_ref().map(|c| &c.state);
    let standing = if chain.is_some() || doc.kind == Kind::Charter {
        Some(review::check(chain.as_ref(), &doc))
    } else {
        None
    };
    let verdicts = doc.verify_signatures();
    let lines = review::describe(&doc, state, text.as_deref());
    let msg = doc.signing_message();
    if json {
        let mut o = Object::new();
        o.insert("schema", Value::from("commonstock-show-v1"));
        o.insert("document", doc.to_value());
        o.insert("hash", Value::from(doc.hash().to_b64()));
        o.insert("summary", Value::from(review::summary(&doc, state)));
        o.insert("signing_message", Value::from(b64::encode(&msg)));
        let sigs = doc
            .sigs
            .iter()
            .zip(&verdicts)
            .map(|(s, v)| {
                let mut o = Object::new();
                o.insert("key", Value::from(b64::encode(&s.key)));
                o.insert(
                    "member",
                    state
                        .and_then(|st| st.member_by_key(&s.key))
                        .map_or(Value::Null, Value::from),
                );
                o.insert("valid", Value::Bool(v.is_ok()));
                Value::Object(o)
            })
            .collect();
        o.insert("signatures", Value::Array(sigs));
        o.insert(
            "text_matches",
            match &text {
                None => Value::Null,
                Some(t) => {
                    let h = commonstock::hash::text(t).to_b64();
                    Value::Bool(
                        doc.body.iter().any(|(k, v)| {
                            review::is_text_hash(k) && v.as_str() == Some(h.as_str())
                        }),
                    )
                }
            },
        );
        o.insert(
            "standing",
            standing.as_ref().map_or(Value::Null, standing_value),
        );
        return print(&json_line(&Value::Object(o)));
    }
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(out, "{} dated {}", doc.kind, doc.date);
    let _ = writeln!(out, "  {}", review::summary(&doc, state));
    let _ = writeln!(out, "commune:       {}", doc.commune);
    let _ = writeln!(out, "document hash: {}", doc.hash());
    let _ = writeln!(out, "body:");
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in &lines {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
    let _ = writeln!(out, "signatures ({}):", doc.sigs.len());
    for (s, v) in doc.sigs.iter().zip(&verdicts) {
        let verdict = match v {
            Ok(()) => paint("valid", GREEN),
            Err(e) => paint("INVALID", RED) + &format!(" ({e})"),
        };
        let _ = writeln!(out, "  {}  {verdict}", review::key_name(&s.key, state));
    }
    if let Some(s) = &standing {
        let _ = writeln!(out, "standing: {}", standing_text(s));
    } else {
        let _ = writeln!(
            out,
            "standing: unknown (pass --chain to check it against the chain)"
        );
    }
    let _ = writeln!(
        out,
        "a signature commits to: \"commonstock v1 document signature\", 0x00, the commune id, and\n  the document hash, which covers v, commune, kind, date and the whole body above\n  (not the other signatures); the 98 bytes signed, base64url:\n  {}",
        b64::encode(&msg)
    );
    print(out.as_bytes())
}

pub(crate) fn sign(
    name: &str,
    k: &KeyArgs,
    chain: Option<&Path>,
    yes: bool,
    out: Option<&str>,
    force: bool,
) -> Res<ExitCode> {
    let mut doc = read_doc(name)?;
    let chain = match (chain, doc.kind) {
        (Some(p), _) => Some(read_chain(p)?),
        (None, Kind::Charter) => None,
        (None, kind) => {
            return Err(usage(format!(
                "to sign a {kind} safely, pass the chain it will join (--chain CHAIN)"
            )));
        }
    };
    let key = load_key(k)?;
    let public = key.public_key();
    if doc.signed_by(&public) {
        return Err(refused(format!(
            "not signed: DOC-4: {} has already signed this document",
            review::key_name(&public, chain.as_ref().map(|c| &c.state))
        )));
    }
    let state = chain.as_ref().map(|c| &c.state);
    if let Err(f) = review::check(chain.as_ref(), &doc) {
        return Err(refused(format!(
            "not signed: this document can never be valid at the end of the chain: {f}"
        )));
    }
    let stranger = !review::signature_can_count(&doc, state, &public);
    if stranger {
        eprintln!(
            "warning: {}: this key is not a current member's; the signature will not count",
            review::key_name(&public, state)
        );
    }
    if !yes {
        eprintln!(
            "{} dated {}: {}\ndocument hash {}; you sign as {}",
            doc.kind,
            doc.date,
            review::summary(&doc, state),
            doc.hash(),
            review::key_name(&public, state)
        );
        confirm("Sign it?")?;
    }
    doc.sign(&key).map_err(|e| refused(e.to_string()))?;
    let standing = review::check(chain.as_ref(), &doc);
    let dest = out.unwrap_or(name);
    guard_overwrite(dest, &doc, force)?;
    write_output(dest, &doc.to_file_bytes())?;
    eprintln!(
        "signed as {}; {}",
        review::key_name(&public, state),
        standing_text(&standing)
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn merge(docs: &[PathBuf], out: &str) -> Res<ExitCode> {
    let mut merged: Option<Document> = None;
    for p in docs {
        let name = p.to_string_lossy();
        let d = read_doc(&name)?;
        for (i, v) in d.verify_signatures().into_iter().enumerate() {
            if let Err(e) = v {
                return Err(refused(format!("{name}: sigs[{i}] does not verify: {e}")));
            }
        }
        match &mut merged {
            None => merged = Some(d),
            Some(m) => {
                if m.hash() != d.hash() {
                    return Err(refused(format!(
                        "{name} is another document (hash {}, not {}): only copies of one document merge",
                        d.hash(),
                        m.hash()
                    )));
                }
                for s in d.sigs {
                    if !m.signed_by(&s.key) {
                        m.add_signature(s).map_err(|e| refused(e.to_string()))?;
                    }
                }
            }
        }
    }
    let m = merged.expect("at least two documents");
    write_output(out, &m.to_file_bytes())?;
    eprintln!("merged: {} signatures", m.sigs.len());
    Ok(ExitCode::SUCCESS)
}
