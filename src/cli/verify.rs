//! `commonstock verify`: whether a document's signatures all verify and,
//! with the chain, whether it can be appended now, as an exit status for
//! scripts (`show` is for reading, and exits 0 whatever it shows).

// A commune finding is 128 bytes; as in the library, it is the rare path.
#![allow(clippy::result_large_err)]

use std::path::Path;
use std::process::ExitCode;

use commonstock::b64;
use commonstock::canonical::{Object, Value};
use commonstock::document::Kind;
use commonstock::review::{self, Standing};

use crate::common::*;

/// The schema of `verify --json` (spec/13-outputs.md).
const VERIFY_SCHEMA: &str = "commonstock-verify-v1";

pub(crate) fn verify(name: &str, chain: Option<&Path>, json: bool) -> Res<ExitCode> {
    let doc = read_doc(name)?;
    let chain = chain.map(read_chain).transpose()?;
    let state = chain.as_ref().map(|c| &c.state);
    let verdicts = doc.verify_signatures();
    let signed = !doc.sigs.is_empty() && verdicts.iter().all(Result::is_ok);
    // A charter is judged as the start of a chain even without one.
    let standing =
        (chain.is_some() || doc.kind == Kind::Charter).then(|| review::check(chain.as_ref(), &doc));
    let appendable = standing
        .as_ref()
        .is_none_or(|s| matches!(s, Ok(Standing::Complete)));
    let ok = signed && appendable;
    if json {
        let mut o = Object::new();
        o.insert("schema", Value::from(VERIFY_SCHEMA));
        o.insert("valid", Value::Bool(ok));
        o.insert("hash", Value::from(doc.hash().to_b64()));
        o.insert("kind", Value::from(doc.kind.name()));
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
            "standing",
            standing.as_ref().map_or(Value::Null, standing_value),
        );
        print(&json_line(&Value::Object(o)))?;
    } else {
        let mut out = format!(
            "{name}: {} ({})\n",
            review::summary(&doc, state),
            doc.hash().short()
        );
        for (s, v) in doc.sigs.iter().zip(&verdicts) {
            let verdict = match v {
                Ok(()) => paint("valid", GREEN),
                Err(e) => paint("INVALID", RED) + &format!(" ({e})"),
            };
            out.push_str(&format!(
                "  {}  {verdict}\n",
                review::key_name(&s.key, state)
            ));
        }
        let bad = verdicts.iter().filter(|v| v.is_err()).count();
        out.push_str(&match (doc.sigs.len(), bad) {
            (0, _) => format!("{}: no signature\n", paint("not verified", RED)),
            (n, 0) => format!("{n} signature(s), every one valid\n"),
            (n, b) => format!(
                "{}: {b} of {n} signatures do not verify\n",
                paint("not verified", RED)
            ),
        });
        match &standing {
            Some(s) => out.push_str(&format!("standing: {}\n", standing_text(s))),
            None => {
                out.push_str("standing: not checked (pass --chain to check it against the chain)\n")
            }
        }
        print(out.as_bytes())?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
