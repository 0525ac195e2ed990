//! `due`: what the commune owes and is owed as of a date (the library's
//! `due`; the JSON form is spec/13-outputs.md, "due").

use std::path::Path;
use std::process::ExitCode;

use commonstock::date::Date;
use commonstock::due::Due;

use crate::common::*;

pub(crate) fn due(path: &Path, as_of: Option<&str>, json: bool) -> Res<ExitCode> {
    let chain = read_chain(path)?;
    if !chain.report.integrity || chain.state.settings.is_none() {
        let why = chain
            .report
            .findings
            .last()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        return Err(refused(format!(
            "{}: the chain fails its audit{why}, so nothing can be said to be due; run `commonstock audit` on it",
            path.display()
        )));
    }
    let last = chain.last_date.expect("a sound chain has entries");
    let as_of = match as_of {
        None => last,
        Some(s) => {
            let d = Date::parse(s).map_err(|e| usage(format!("--as-of {s}: {}", e.detail)))?;
            if d < last {
                return Err(usage(format!(
                    "--as-of {d} is before the chain's last entry ({last}): what is due is told from the end of the chain"
                )));
            }
            d
        }
    };
    let due = Due::of(&chain, as_of);
    if json {
        return print(&json_line(&due.to_value()));
    }
    let mut out = Vec::new();
    due.write_text(&mut out).map_err(|e| usage(e.to_string()))?;
    print(&out)
}
