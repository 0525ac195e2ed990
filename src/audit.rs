//! The audit: every check of a chain, in the spec's fixed order, and the
//! verdict (spec/09-audit.md).
//!
//! The integrity layers run entry by entry: encoding (ENC, LIM), the entry
//! and its envelope (CHN-1, DOC), the links (CHN-2 to CHN-7), then the
//! signatures (SIG). The first integrity failure ends the audit, because
//! nothing after a broken link or a forged signature can be trusted; it is
//! the failure of the earliest entry, and within an entry the first in
//! layer order, so every conforming auditor reports the same one.
//!
//! Signatures are verified in batches across entries (a batch gives each
//! item exactly its single verdict, see [`crate::sig`]): structural checks
//! run ahead, and a batch is flushed before any verdict is reported, so a
//! bad signature at entry 5 is reported before a broken link at entry 7.
//!
//! Memory is bounded by one line, one batch of signatures and one hash per
//! document (for the replay rule), never by the whole file.

use std::collections::BTreeMap;
use std::io::{self, BufRead};

use crate::canonical::{self, Object, Value};
use crate::chain::{self, LineReader, Linker, ReadError};
use crate::checkpoint::Checkpoint;
use crate::commune::{self, State};
use crate::dividend::Figures;
use crate::document::Kind;
use crate::hash::Hash;
use crate::rule::Rule;
use crate::sig;

/// The version of the `--json` report format (spec 9.3).
pub const REPORT_SCHEMA: &str = "commonstock-audit-v1";

/// How many signatures are verified together.
const BATCH: usize = 512;

/// What to check besides the chain itself.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Cosigned checkpoints the chain must agree with (CKP-3).
    pub checkpoints: Vec<Checkpoint>,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// The entry's position (its seq when the chain is sound).
    pub entry: Option<u64>,
    /// 1-based line in the chain file.
    pub line: Option<u64>,
    pub kind: Option<Kind>,
    /// The member at fault, as a path inside the entry.
    pub field: Option<String>,
    pub detail: String,
    /// For numbers: what the rule expected and what the chain has
    /// (difference = found − expected).
    pub expected: Option<i128>,
    pub found: Option<i128>,
}

impl Finding {
    fn from_chain(e: chain::Error, kind: Option<Kind>) -> Self {
        Finding {
            rule: e.rule,
            entry: Some(e.entry()),
            line: Some(e.line),
            kind,
            field: e.field.filter(|f| !f.is_empty()),
            detail: e.detail,
            expected: None,
            found: None,
        }
    }

    fn from_commune(f: commune::Finding, line: u64, kind: Kind) -> Self {
        Finding {
            rule: f.rule,
            entry: Some(line - 1),
            line: Some(line),
            kind: Some(kind),
            field: Some(format!("doc.{}", f.field)),
            detail: f.detail,
            expected: f.expected,
            found: f.found,
        }
    }

    /// found − expected.
    pub fn difference(&self) -> Option<i128> {
        Some(self.found? - self.expected?)
    }

    /// The finding as a JSON object (spec 9.3).
    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("rule", Value::from(self.rule.code()));
        let opt_int = |v: Option<u64>| v.map_or(Value::Null, |n| Value::Int(n as i64));
        o.insert("entry", opt_int(self.entry));
        o.insert("line", opt_int(self.line));
        o.insert(
            "kind",
            self.kind.map_or(Value::Null, |k| Value::from(k.name())),
        );
        o.insert("field", self.field.clone().map_or(Value::Null, Value::from));
        o.insert("detail", Value::from(self.detail.clone()));
        o.insert("expected", number(self.expected));
        o.insert("found", number(self.found));
        o.insert("difference", number(self.difference()));
        Value::Object(o)
    }
}

/// An exact integer for the JSON report: a JSON integer within the ENC-6
/// range, else a decimal string; null when absent (spec 9.3).
pub fn number(n: Option<i128>) -> Value {
    match n {
        None => Value::Null,
        Some(n) if n.unsigned_abs() <= canonical::MAX_INT as u128 => Value::Int(n as i64),
        Some(n) => Value::from(n.to_string()),
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.rule)?;
        if let Some(e) = self.entry {
            write!(f, " at entry {e}")?;
        }
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        if let Some(k) = self.kind {
            write!(f, " [{k}]")?;
        }
        if let Some(fd) = &self.field {
            write!(f, " {fd}")?;
        }
        write!(f, ": {}", self.detail)?;
        if let (Some(e), Some(g), Some(d)) = (self.expected, self.found, self.difference()) {
            write!(f, " (expected {e}, found {g}, difference {d:+})")?;
        }
        Ok(())
    }
}

/// The outcome of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Entries that passed every integrity check.
    pub entries: u64,
    /// Signatures verified valid.
    pub signatures: u64,
    pub commune: Option<Hash>,
    /// The hash of the last sound entry.
    pub head: Option<Hash>,
    /// Every broken rule; an integrity failure ends the list.
    pub findings: Vec<Finding>,
    /// Whether the integrity layers passed (no finding ended the audit).
    pub integrity: bool,
    /// The recomputed figures of every applied period close, by period
    /// (a month index).
    pub dividends: BTreeMap<i64, Figures>,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.findings.is_empty()
    }

    /// The `--json` report (spec 9.3), one canonical JSON object.
    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("schema", Value::from(REPORT_SCHEMA));
        o.insert("valid", Value::Bool(self.is_valid()));
        o.insert("integrity", Value::Bool(self.integrity));
        o.insert("entries", Value::Int(self.entries as i64));
        o.insert("signatures", Value::Int(self.signatures as i64));
        let h = |h: Option<Hash>| h.map_or(Value::Null, |h| Value::from(h.to_b64()));
        o.insert("commune", h(self.commune));
        o.insert("head", h(self.head));
        o.insert(
            "dividends",
            Value::Array(
                self.dividends
                    .iter()
                    .map(|(p, f)| crate::dividend::figures_value(*p, f))
                    .collect(),
            ),
        );
        o.insert(
            "findings",
            Value::Array(self.findings.iter().map(Finding::to_value).collect()),
        );
        Value::Object(o)
    }
}

/// A signature waiting for its batch.
struct Pending {
    line: u64,
    kind: Kind,
    index: usize,
    key: [u8; 32],
    sig: [u8; 64],
    msg: [u8; 98],
}

/// Verifies the pending batch; the first failure in chain order, if any.
fn flush(pending: &mut Vec<Pending>, report: &mut Report) -> Option<Finding> {
    if pending.is_empty() {
        return None;
    }
    let items: Vec<sig::Item<'_>> = pending
        .iter()
        .map(|p| sig::Item {
            key: &p.key,
            msg: &p.msg,
            sig: &p.sig,
        })
        .collect();
    let verdicts = sig::verify_batch(&items);
    let first_bad = verdicts.iter().position(Result::is_err);
    let good = first_bad.unwrap_or(verdicts.len());
    report.signatures += good as u64;
    let finding = first_bad.map(|i| {
        let p = &pending[i];
        let e = verdicts[i].unwrap_err();
        Finding {
            rule: e.rule(),
            entry: Some(p.line - 1),
            line: Some(p.line),
            kind: Some(p.kind),
            field: Some(format!("doc.sigs[{}]", p.index)),
            detail: format!("invalid signature: {e}"),
            expected: None,
            found: None,
        }
    });
    pending.clear();
    finding
}

/// Audits the chain read from `input`. `Err` only for I/O failures; every
/// rule broken by the input is a finding in the report.
pub fn audit<R: BufRead>(input: R, options: &Options) -> io::Result<Report> {
    audit_with_state(input, options).map(|(r, _)| r)
}

/// [`audit`], also returning the commune's state after the last entry the
/// commune rules applied (for the full report).
pub fn audit_with_state<R: BufRead>(input: R, options: &Options) -> io::Result<(Report, State)> {
    let mut report = Report::default();
    let mut reader = LineReader::new(input);
    let mut linker = Linker::new();
    let mut state = State::new();
    // The commune rules run until the charter itself turns out void.
    let mut commune_rules = true;
    let mut commune_findings: Vec<Finding> = Vec::new();
    let mut pending: Vec<Pending> = Vec::with_capacity(BATCH);
    // Hashes of entries checked structurally whose signatures are pending.
    let mut unconfirmed: Vec<Hash> = Vec::new();
    // Entry hashes at the sizes the checkpoints name.
    let mut wanted: Vec<(u64, Option<Hash>)> =
        options.checkpoints.iter().map(|c| (c.size, None)).collect();

    let mut stop: Option<Finding> = None;
    while let Some(next) = reader.next_line() {
        let (line_no, line) = match next {
            Ok(l) => l,
            Err(ReadError::Io(e)) => return Err(e),
            Err(ReadError::Rule(e)) => {
                stop = Some(Finding::from_chain(e, None));
                break;
            }
        };
        let entry = match chain::parse_entry(line) {
            Ok(e) => e,
            Err(e) => {
                let at = chain::Error::new(e.rule, line_no, Some(e.field), e.detail);
                stop = Some(Finding::from_chain(at, None));
                break;
            }
        };
        if let Err(e) = linker.link(&entry) {
            let at = chain::Error::new(e.rule, line_no, Some(e.field), e.detail);
            stop = Some(Finding::from_chain(at, Some(entry.doc.kind)));
            break;
        }
        for w in wanted.iter_mut().filter(|w| w.0 == entry.seq + 1) {
            w.1 = Some(entry.hash);
        }
        let msg = crate::document::signing_message(&entry.doc.commune, &entry.doc_hash);
        for (index, s) in entry.doc.sigs.iter().enumerate() {
            pending.push(Pending {
                line: line_no,
                kind: entry.doc.kind,
                index,
                key: s.key,
                sig: s.sig,
                msg,
            });
        }
        unconfirmed.push(entry.hash);
        // The commune rules run ahead of the batched signatures; if a
        // signature of this or an earlier entry fails, findings from that
        // entry on are dropped below.
        if commune_rules && let Err(f) = state.apply(&entry.doc) {
            commune_findings.push(Finding::from_commune(f, line_no, entry.doc.kind));
            commune_rules = entry.seq != 0;
        }
        if pending.len() >= BATCH {
            if let Some(f) = flush(&mut pending, &mut report) {
                return Ok(end_at_signature(
                    report,
                    commune_findings,
                    f,
                    &mut unconfirmed,
                    &linker,
                    state,
                ));
            }
            confirm(&mut report, &mut unconfirmed, None);
        }
    }
    // A signature failure earlier than the structural one wins.
    if let Some(f) = flush(&mut pending, &mut report) {
        return Ok(end_at_signature(
            report,
            commune_findings,
            f,
            &mut unconfirmed,
            &linker,
            state,
        ));
    }
    confirm(&mut report, &mut unconfirmed, None);
    report.commune = linker.commune();
    report.findings = commune_findings;
    if let Some(f) = stop {
        report.findings.push(f);
        return Ok((report, state));
    }
    report.integrity = !linker.is_empty();
    if linker.is_empty() {
        report.findings.push(Finding {
            rule: Rule::Chn8,
            entry: None,
            line: None,
            kind: None,
            field: None,
            detail: "the chain has no entry".into(),
            expected: None,
            found: None,
        });
        return Ok((report, state));
    }
    state.finish();
    report.dividends = state.periods.closes.clone();
    for (i, cp) in options.checkpoints.iter().enumerate() {
        if let Some(f) = check_checkpoint(cp, i, &linker, wanted[i].1) {
            report.findings.push(f);
        }
    }
    Ok((report, state))
}

/// Ends the audit at a bad signature: keeps commune findings of earlier
/// entries only.
fn end_at_signature(
    mut report: Report,
    mut commune_findings: Vec<Finding>,
    f: Finding,
    unconfirmed: &mut Vec<Hash>,
    linker: &Linker,
    state: State,
) -> (Report, State) {
    confirm(&mut report, unconfirmed, f.entry);
    commune_findings.retain(|c| c.entry < f.entry);
    report.findings = commune_findings;
    report.findings.push(f);
    report.commune = linker.commune();
    (report, state)
}

/// Moves entries whose signatures are now verified into the report; with
/// `bad_entry`, only those before it.
fn confirm(report: &mut Report, unconfirmed: &mut Vec<Hash>, bad_entry: Option<u64>) {
    let keep = match bad_entry {
        Some(e) => (e - report.entries) as usize,
        None => unconfirmed.len(),
    };
    if keep > 0 {
        report.head = Some(unconfirmed[keep - 1]);
    }
    report.entries += keep as u64;
    unconfirmed.clear();
}

fn check_checkpoint(
    cp: &Checkpoint,
    i: usize,
    linker: &Linker,
    at_size: Option<Hash>,
) -> Option<Finding> {
    let finding = |rule, field: Option<String>, detail: String| Finding {
        rule,
        entry: None,
        line: None,
        kind: None,
        field: Some(format!(
            "checkpoint[{i}]{}",
            field.map(|f| format!(".{f}")).unwrap_or_default()
        )),
        detail,
        expected: None,
        found: None,
    };
    if let Err(e) = cp.verify_signatures() {
        return Some(finding(e.rule, Some(e.field), e.detail));
    }
    let mismatch = if Some(cp.commune) != linker.commune() {
        Some(crate::checkpoint::Mismatch::Commune {
            chain: linker.commune().unwrap_or_default(),
        })
    } else if cp.size > linker.len() {
        Some(crate::checkpoint::Mismatch::Shorter {
            chain_size: linker.len(),
        })
    } else if at_size != Some(cp.head) {
        Some(crate::checkpoint::Mismatch::Head {
            chain_head: at_size.unwrap_or_default(),
        })
    } else {
        None
    };
    mismatch.map(|m| finding(Rule::Ckp3, None, m.to_string()))
}
