//! The audit layer: every check of a chain, in the spec's fixed order, and
//! the verdict (spec/09-audit.md); [`statefile`] keeps its state on disk for
//! an incremental audit (§9.5). It stands on [`crate::commune`] and
//! [`crate::protocol`].
//!
//! The integrity layers run entry by entry: encoding (ENC, LIM), the entry
//! and its envelope (CHN-1, DOC), the links (CHN-2 to CHN-7), then the
//! signatures (SIG). The first integrity failure ends the audit, because
//! nothing after a broken link or a forged signature can be trusted; it is
//! the failure of the earliest entry, and within an entry the first in
//! layer order, so every conforming auditor reports the same one.
//!
//! Signatures are verified in batches across entries (a batch gives each
//! item exactly its single verdict, see [`crate::protocol::sig`]): structural checks
//! run ahead, and a batch is flushed before any verdict is reported, so a
//! bad signature at entry 5 is reported before a broken link at entry 7.
//!
//! The pipeline ([`run`]): one thread frames lines into blocks; a worker per
//! core reads each line in one pass ([`chain::scan_entry`]; the full parser
//! only for lines that pass declines, so the verdict is the full parser's),
//! takes its two hashes and batch-verifies the block's signatures; one
//! thread applies links and commune rules in chain order. Memory holds at
//! most a few blocks per worker (their buffers are recycled) besides the
//! commune's state, which grows with the commune, not with the file
//! (docs/performance.md says by how much). Without threads (one thread
//! asked for, or `wasm32`) the same steps run a block at a time in the
//! calling thread.

pub mod statefile;

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::{Arc, Mutex, mpsc};

use crate::commune::dividend::Figures;
use crate::commune::{self, State};
use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain::{self, Entry, LineReader, Linker, ReadError};
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::date::Date;
use crate::protocol::document::{Document, Kind, Signature, signing_message};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::protocol::sig;

/// The version of the `--json` report format (spec 9.3).
pub const REPORT_SCHEMA: &str = "commonstock-audit-v1";

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

pub use crate::protocol::canonical::number;

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
    pub dividends: BTreeMap<i64, Arc<Figures>>,
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
                    .map(|(p, f)| crate::commune::dividend::figures_value(*p, f))
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

/// How an audit runs (not what it checks): how many threads, what it
/// reports while it reads, and for an incremental audit the saved state it
/// resumes from. The verdict, the findings and the state never depend on it.
#[derive(Default)]
pub struct Run {
    /// Worker threads that parse, hash and verify signatures; 0 for one
    /// per core. With 1 (and always on `wasm32`, which has no threads) no
    /// thread is spawned: the calling thread reads, verifies and applies
    /// each block in turn.
    pub threads: usize,
    /// Resume after the prefix a saved state covers (spec 9.5).
    pub resume: Option<Saved>,
    /// With [`Run::resume`]: the input holds only the lines after the
    /// prefix, because the caller has already established that the chain
    /// extends it (as the state cache does, by the length and a hash of the
    /// prefix's bytes: `tools::cache`). Line numbers in findings and in
    /// [`Progress::lines`] still count from the chain's first line;
    /// [`Progress::bytes`] counts the input's.
    pub after_prefix: bool,
    /// Return a copy of the state to save after the last entry, when the
    /// chain so far passed every integrity check ([`Outcome::saved`]).
    pub save: bool,
    /// Called with the state to save after the last entry, when the chain
    /// so far passed every integrity check, before the audit finishes with
    /// it: the live state, not a copy (so writing the state file with
    /// [`statefile::save`] here costs no second copy of it). Its result is
    /// [`Outcome::saved_with`].
    pub save_with: Option<SaveWith>,
    /// Told how far the audit has read, in the calling thread, after each
    /// block of lines (512 lines or about 1 MiB) and once at the end.
    /// Against the file's size it makes a progress bar.
    pub progress: Option<Box<dyn FnMut(Progress)>>,
}

/// What [`Run::save_with`] calls.
pub type SaveWith = Box<dyn FnOnce(&Saved) -> io::Result<()>>;

/// How far an audit has read the chain file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Lines read.
    pub lines: u64,
    /// Bytes of those lines, LF included.
    pub bytes: u64,
}

/// What [`run`] returns.
pub struct Outcome {
    pub report: Report,
    /// The commune's state after the last entry the commune rules applied.
    pub state: State,
    /// The state to resume from, when [`Run::save`] asked for it and the
    /// integrity layers passed.
    pub saved: Option<Saved>,
    /// The links after the last entry that passed the integrity checks
    /// (its head, its size and the document hashes CHN-7 remembers).
    pub linker: Linker,
    /// The commune's cash after the last entry of each date, in date order,
    /// from the chain's first entry (after a resume, the saved prefix's
    /// come from the state file). What the report's chart draws.
    pub cash: Vec<(Date, i128)>,
    /// What [`Run::save_with`] returned, when it was called (the integrity
    /// layers passed).
    pub saved_with: Option<io::Result<()>>,
}

/// An audit's state after a prefix of a chain that passed every integrity
/// check: what an incremental audit resumes from (spec 9.5). It is an
/// implementation artefact, not part of the protocol; [`crate::audit::statefile`]
/// writes it to a file and reads it back.
#[derive(Clone, Debug)]
pub struct Saved {
    /// The links: next seq, head, commune id, last date, and the document
    /// hashes seen (for CHN-7).
    pub linker: Linker,
    /// The commune's state after the prefix (before [`State::finish`]).
    pub state: State,
    /// Signatures verified valid in the prefix.
    pub signatures: u64,
    /// The commune findings of the prefix.
    pub findings: Vec<Finding>,
    /// Whether the commune rules still run (false once the charter failed them).
    pub commune_rules: bool,
    /// The cash after each date of the prefix ([`Outcome::cash`]), so that
    /// a resumed audit's report draws the cash from the chain's start.
    pub cash: Vec<(Date, i128)>,
}

/// Lines per block handed to a worker: one batch chunk of
/// single-signature entries.
const BLOCK_LINES: usize = 512;
/// Bytes per block, so that long lines make short blocks.
const BLOCK_BYTES: usize = 1 << 20;
/// Blocks read but not yet applied, per worker.
const MAX_IN_FLIGHT: usize = 4;

/// Consecutive lines of the chain file, for one worker.
struct Block {
    index: usize,
    first_line: u64,
    data: Vec<u8>,
    /// The end of each line in `data`.
    ends: Vec<usize>,
}

/// How a worker read a line.
enum Read {
    /// The fast path ([`chain::scan_entry`]): the body is still bytes.
    Scanned(chain::Scanned),
    /// The full parser (for lines the fast path declines; boxed: rare, and
    /// large).
    Parsed(Box<Entry>),
    /// The rule the line breaks, as the full parser found it.
    Refused(Box<chain::EntryError>),
}

impl Read {
    /// The signatures of the entry; `sigs` is the block's, which the fast
    /// path's ranges index.
    fn signatures<'a>(&'a self, sigs: &'a [Signature]) -> &'a [Signature] {
        match self {
            Read::Scanned(s) => &sigs[s.sigs.clone()],
            Read::Parsed(e) => &e.doc.sigs,
            Read::Refused(_) => &[],
        }
    }
}

/// A line as a worker leaves it: how it was read, and the first signature
/// of the entry that fails, with its index in `sigs`.
struct Line {
    read: Read,
    sig: Result<(), (usize, sig::Error)>,
}

/// A block as a worker leaves it: its bytes and line ends, the signatures
/// the fast path read, and its lines.
struct Done {
    index: usize,
    first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
    sigs: Vec<Signature>,
    lines: Vec<Line>,
}

/// A worker's job: read and hash every line of a block, then verify every
/// signature of its entries as one batch (each item gets exactly its single
/// verdict, so the block's split never changes a verdict).
fn work(block: Block) -> Done {
    let mut sigs = Vec::with_capacity(block.ends.len());
    let mut lines = Vec::with_capacity(block.ends.len());
    let mut start = 0;
    for &end in &block.ends {
        let line = &block.data[start..end];
        let read = match chain::scan_entry(line, &mut sigs) {
            Some(s) => Read::Scanned(s),
            None => match chain::parse_entry(line) {
                Ok(e) => Read::Parsed(Box::new(e)),
                Err(e) => Read::Refused(Box::new(e)),
            },
        };
        lines.push(Line { read, sig: Ok(()) });
        start = end;
    }
    let msgs: Vec<[u8; 98]> = lines
        .iter()
        .map(|l| match &l.read {
            Read::Scanned(s) => signing_message(&s.commune, &s.doc_hash),
            Read::Parsed(e) => signing_message(&e.doc.commune, &e.doc_hash),
            Read::Refused(_) => [0; 98],
        })
        .collect();
    let mut items = Vec::with_capacity(sigs.len());
    let mut owners = Vec::with_capacity(sigs.len());
    for (i, l) in lines.iter().enumerate() {
        for (j, s) in l.read.signatures(&sigs).iter().enumerate() {
            items.push(sig::Item {
                key: &s.key,
                msg: &msgs[i],
                sig: &s.sig,
            });
            owners.push((i, j));
        }
    }
    let verdicts = sig::verify_batch(&items);
    drop(items);
    for ((i, j), v) in owners.into_iter().zip(verdicts) {
        if let (Err(e), Ok(())) = (v, &lines[i].sig) {
            lines[i].sig = Err((j, e));
        }
    }
    Done {
        index: block.index,
        first_line: block.first_line,
        data: block.data,
        ends: block.ends,
        sigs,
        lines,
    }
}

/// The in-order side of the audit: links, signature verdicts and commune
/// rules, one entry at a time in chain order.
struct Auditor {
    report: Report,
    linker: Linker,
    state: State,
    commune_rules: bool,
    commune_findings: Vec<Finding>,
    /// Entry hashes at the sizes the checkpoints name.
    wanted: Vec<(u64, Option<Hash>)>,
    /// See [`Outcome::cash`].
    cash: Vec<(Date, i128)>,
}

impl Auditor {
    /// Every line of a block, in order; the integrity failure that ends the
    /// audit, if any.
    #[allow(clippy::result_large_err)]
    fn block(&mut self, done: &Done) -> Result<(), Finding> {
        let mut start = 0;
        for (k, (l, &end)) in done.lines.iter().zip(&done.ends).enumerate() {
            let line = &done.data[start..end];
            self.entry(done.first_line + k as u64, l, line, &done.sigs)?;
            start = end;
        }
        Ok(())
    }

    /// The entry at `line_no` in layer order (spec 6.5); the integrity
    /// failure that ends the audit, if any. (Rare, and the caller stops.)
    #[allow(clippy::result_large_err)]
    fn entry(
        &mut self,
        line_no: u64,
        l: &Line,
        line: &[u8],
        sigs: &[Signature],
    ) -> Result<(), Finding> {
        let chain_error = |e: chain::EntryError, kind| {
            let at = chain::Error::new(e.rule, line_no, Some(e.field), e.detail);
            Finding::from_chain(at, kind)
        };
        let (link, linked) = match &l.read {
            Read::Scanned(s) => {
                let link = s.link();
                let body = &line[s.body.clone()];
                (
                    link,
                    self.linker.link_with(&link, || hash::commune_id(body)),
                )
            }
            Read::Parsed(e) => (chain::Link::of(e), self.linker.link(e)),
            Read::Refused(e) => return Err(chain_error((**e).clone(), None)),
        };
        if let Err(e) = linked {
            return Err(chain_error(e, Some(link.kind)));
        }
        for w in self.wanted.iter_mut().filter(|w| w.0 == link.seq + 1) {
            w.1 = Some(link.hash);
        }
        if let Err((index, e)) = &l.sig {
            self.report.signatures += *index as u64;
            return Err(Finding {
                rule: e.rule(),
                entry: Some(line_no - 1),
                line: Some(line_no),
                kind: Some(link.kind),
                field: Some(format!("doc.sigs[{index}]")),
                detail: format!("invalid signature: {e}"),
                expected: None,
                found: None,
            });
        }
        self.report.signatures += l.read.signatures(sigs).len() as u64;
        let applied = match &l.read {
            _ if !self.commune_rules => None,
            Read::Scanned(s) => Some(self.state.apply(&Document {
                v: s.v,
                commune: s.commune,
                kind: s.kind,
                date: s.date,
                body: canonical::parse_object(&line[s.body.clone()]),
                sigs: sigs[s.sigs.clone()].to_vec(),
            })),
            Read::Parsed(e) => Some(self.state.apply(&e.doc)),
            Read::Refused(_) => None, // returned above
        };
        self.report.entries += 1;
        self.report.head = Some(link.hash);
        if let Some(Err(f)) = applied {
            self.commune_findings
                .push(Finding::from_commune(f, line_no, link.kind));
            self.commune_rules = link.seq != 0;
        }
        if let (true, Some(d)) = (self.commune_rules, self.state.as_of) {
            match self.cash.last_mut() {
                Some((last, cash)) if *last == d => *cash = self.state.cash,
                _ => self.cash.push((d, self.state.cash)),
            }
        }
        Ok(())
    }
}

/// Audits the chain read from `input`. `Err` only for I/O failures; every
/// rule broken by the input is a finding in the report.
pub fn audit<R: BufRead>(input: R, options: &Options) -> io::Result<Report> {
    audit_with_state(input, options).map(|(r, _)| r)
}

/// [`audit`], also returning the commune's state after the last entry the
/// commune rules applied (for the full report).
pub fn audit_with_state<R: BufRead>(input: R, options: &Options) -> io::Result<(Report, State)> {
    run(input, options, Run::default()).map(|o| (o.report, o.state))
}

/// The audit, pipelined: this thread frames lines into blocks; worker
/// threads parse, hash and verify the signatures of whole blocks; one
/// thread takes the blocks back in chain order and applies the links, the
/// signature verdicts and the commune rules entry by entry. The first
/// integrity failure is therefore exactly a sequential auditor's (spec
/// 9.1). Memory holds a bounded number of blocks in flight. With one
/// thread ([`Run::threads`]), and on `wasm32`, the same steps run in the
/// calling thread, a block at a time, to the same outcome.
///
/// With [`Run::resume`], `input` is the whole chain: its first lines must
/// be the prefix the saved state covers (each line's `prev` and `seq` are
/// checked against the previous line's hash, and the last against the
/// saved head, without parsing them); otherwise the resume is refused with
/// an `InvalidData` error, and a full audit is needed.
/// With [`Run::after_prefix`] too, `input` is only what follows the
/// prefix, and that check is the caller's.
pub fn run<R: BufRead>(input: R, options: &Options, run: Run) -> io::Result<Outcome> {
    let threads = match run.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut wanted: Vec<(u64, Option<Hash>)> =
        options.checkpoints.iter().map(|c| (c.size, None)).collect();
    let auditor = match run.resume {
        None => Auditor {
            report: Report::default(),
            linker: Linker::new(),
            state: State::new(),
            commune_rules: true,
            commune_findings: Vec::new(),
            wanted,
            cash: Vec::new(),
        },
        Some(saved) => {
            let size = saved.linker.len();
            for w in &mut wanted {
                match w.0.cmp(&size) {
                    std::cmp::Ordering::Less => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!(
                                "a checkpoint of size {} is older than the saved state ({size} entries)",
                                w.0
                            ),
                        ));
                    }
                    std::cmp::Ordering::Equal => w.1 = Some(saved.linker.head()),
                    std::cmp::Ordering::Greater => {}
                }
            }
            Auditor {
                report: Report {
                    entries: size,
                    signatures: saved.signatures,
                    head: (size > 0).then(|| saved.linker.head()),
                    ..Report::default()
                },
                linker: saved.linker,
                state: saved.state,
                commune_rules: saved.commune_rules,
                commune_findings: saved.findings,
                wanted,
                cash: saved.cash,
            }
        }
    };
    let (len, offset) = if run.after_prefix {
        (0, auditor.linker.len())
    } else {
        (auditor.linker.len(), 0)
    };
    let from = Prefix {
        len,
        offset,
        head: auditor.linker.head(),
        commune: auditor.linker.commune(),
    };
    let mut progress = run.progress;
    let (mut auditor, stop, read) = if threads == 1 || cfg!(target_arch = "wasm32") {
        let mut inline = Inline {
            auditor,
            stop: None,
            spare: None,
        };
        let read = read_blocks(input, &from, &mut progress, &mut inline);
        (inline.auditor, inline.stop, read)
    } else {
        pipelined(input, auditor, threads, &from, &mut progress)
    };
    if let Some(e) = read.refused {
        return Err(e);
    }
    let mut stop = stop;
    if stop.is_none() {
        match read.error {
            Some(ReadError::Io(e)) => return Err(e),
            Some(ReadError::Rule(e)) => stop = Some(Finding::from_chain(e, None)),
            None => {}
        }
    }
    let mut report = std::mem::take(&mut auditor.report);
    let linker = auditor.linker;
    let state = auditor.state;
    report.commune = linker.commune();
    report.findings = auditor.commune_findings;
    if let Some(f) = stop {
        report.findings.push(f);
        return Ok(Outcome {
            report,
            state,
            saved: None,
            linker,
            cash: auditor.cash,
            saved_with: None,
        });
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
        return Ok(Outcome {
            report,
            state,
            saved: None,
            linker,
            cash: auditor.cash,
            saved_with: None,
        });
    }
    let (mut saved, mut saved_with) = (None, None);
    let mut cash = auditor.cash;
    let (linker, mut state) = if run.save || run.save_with.is_some() {
        // Lent to the caller before `finish`, then taken back: no copy.
        let live = Saved {
            linker,
            state,
            signatures: report.signatures,
            findings: std::mem::take(&mut report.findings),
            commune_rules: auditor.commune_rules,
            cash: std::mem::take(&mut cash),
        };
        saved = run.save.then(|| live.clone());
        saved_with = run.save_with.map(|f| f(&live));
        report.findings = live.findings;
        cash = live.cash;
        (live.linker, live.state)
    } else {
        (linker, state)
    };
    state.finish();
    report.dividends = state.periods.closes.clone();
    for (i, cp) in options.checkpoints.iter().enumerate() {
        if let Some(f) = check_checkpoint(cp, i, &linker, auditor.wanted[i].1) {
            report.findings.push(f);
        }
    }
    Ok(Outcome {
        report,
        state,
        saved,
        linker,
        cash,
        saved_with,
    })
}

/// The prefix a resumed audit skips: its length, head and commune; and the
/// number of lines before the input (the prefix, when the input holds only
/// what follows it).
struct Prefix {
    len: u64,
    offset: u64,
    head: Hash,
    commune: Option<Hash>,
}

/// How reading the chain ended, besides its end.
struct ReadEnd {
    /// The resume is refused (see [`run`]).
    refused: Option<io::Error>,
    /// Reading failed: an I/O error, or a line broke a rule of the framing.
    error: Option<ReadError>,
}

/// Where the reader hands its blocks: worker threads ([`Workers`]) or the
/// calling thread ([`Inline`]).
trait Blocks {
    /// A buffer for the next block, recycled when one is free.
    fn buffer(&mut self) -> Vec<u8>;
    /// Hands a block on; false once the audit has stopped at an integrity
    /// failure.
    fn send(&mut self, block: Block) -> bool;
}

/// The pipeline's end of the work queue and of the returned buffers.
struct Workers {
    work_tx: mpsc::SyncSender<Block>,
    spare_rx: mpsc::Receiver<Vec<u8>>,
    in_flight: usize,
    max_in_flight: usize,
}

impl Blocks for Workers {
    fn buffer(&mut self) -> Vec<u8> {
        let spare = if self.in_flight < self.max_in_flight {
            self.spare_rx.try_recv().ok()
        } else {
            // None only when the audit has stopped.
            self.spare_rx.recv().ok()
        };
        match spare {
            Some(mut data) => {
                data.clear();
                data
            }
            None => {
                self.in_flight += 1;
                Vec::with_capacity(BLOCK_BYTES / 4)
            }
        }
    }

    fn send(&mut self, block: Block) -> bool {
        self.work_tx.send(block).is_ok()
    }
}

/// The audit without threads: each block is read, verified and applied
/// before the next is framed, with exactly the pipeline's steps in the
/// pipeline's order, so the outcome is the same.
struct Inline {
    auditor: Auditor,
    stop: Option<Finding>,
    spare: Option<Vec<u8>>,
}

impl Blocks for Inline {
    fn buffer(&mut self) -> Vec<u8> {
        match self.spare.take() {
            Some(mut data) => {
                data.clear();
                data
            }
            None => Vec::with_capacity(BLOCK_BYTES / 4),
        }
    }

    fn send(&mut self, block: Block) -> bool {
        if self.stop.is_some() {
            return false;
        }
        let done = work(block);
        if let Err(f) = self.auditor.block(&done) {
            self.stop = Some(f);
            return false;
        }
        self.spare = Some(recycle(done.data));
        true
    }
}

/// A block's buffer for reuse. One that grew past half a block's bytes
/// (after a long line: a close lists every member's payout) goes back to
/// a block's usual size, so the buffers in flight stay a few MiB.
fn recycle(mut data: Vec<u8>) -> Vec<u8> {
    if data.capacity() > BLOCK_BYTES / 2 {
        data.clear();
        data.shrink_to(BLOCK_BYTES / 4);
    }
    data
}

/// The pipeline (see [`run`]): this thread reads, worker threads parse,
/// hash and verify whole blocks, one thread applies them in chain order.
fn pipelined<R: BufRead>(
    input: R,
    mut auditor: Auditor,
    threads: usize,
    from: &Prefix,
    progress: &mut Option<Box<dyn FnMut(Progress)>>,
) -> (Auditor, Option<Finding>, ReadEnd) {
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::sync_channel::<Block>(2 * threads);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::sync_channel::<Done>(2 * threads);
        for _ in 0..threads {
            let rx = Arc::clone(&work_rx);
            let tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let block = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(block) = block else { return };
                    if tx.send(work(block)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        drop(work_rx);
        // Each block's buffer goes back to the reader once its entries are
        // applied: that bounds the blocks in flight (a slow block, such as
        // a charter with thousands of signatures, cannot let the others
        // pile up behind it), and reusing the buffers spares the allocator
        // a large allocation and a cross-thread free per block.
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        let consumer = scope.spawn(move || {
            let mut next = 0;
            let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
            for done in done_rx {
                waiting.insert(done.index, done);
                while let Some(done) = waiting.remove(&next) {
                    if let Err(f) = auditor.block(&done) {
                        return (auditor, Some(f));
                    }
                    let _ = spare_tx.send(recycle(done.data));
                    next += 1;
                }
            }
            (auditor, None)
        });
        let mut workers = Workers {
            work_tx,
            spare_rx,
            in_flight: 0,
            max_in_flight: MAX_IN_FLIGHT * threads,
        };
        let read = read_blocks(input, from, progress, &mut workers);
        drop(workers); // the workers end with the queue
        let (auditor, stop) = consumer.join().expect("the audit thread panicked");
        (auditor, stop, read)
    })
}

/// Frames the lines of `input` into blocks for `sink`; the lines of a
/// resumed prefix are checked against it and dropped.
fn read_blocks<R: BufRead>(
    input: R,
    from: &Prefix,
    progress: &mut Option<Box<dyn FnMut(Progress)>>,
    sink: &mut impl Blocks,
) -> ReadEnd {
    let skip = from.len;
    let mut read = Progress::default();
    let mut tell = |read: Progress| {
        if let Some(p) = progress.as_mut() {
            p(read)
        }
    };
    let mut reader = LineReader::new(input);
    let mut prefix = Hash::ZERO;
    let mut block = Block {
        index: 0,
        first_line: from.offset + skip + 1,
        data: sink.buffer(),
        ends: Vec::with_capacity(BLOCK_LINES),
    };
    let mut refused: Option<io::Error> = None;
    let mut error: Option<ReadError> = None;
    while let Some(next) = reader.next_line_into(&mut block.data) {
        let (line_no, start) = match next {
            Ok((n, start)) => (n + from.offset, start),
            Err(ReadError::Rule(e)) if e.line <= skip => {
                refused = Some(not_extending(e.line));
                break;
            }
            Err(ReadError::Rule(mut e)) => {
                e.line += from.offset;
                error = Some(ReadError::Rule(e));
                break;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        read.lines = line_no;
        read.bytes += (block.data.len() - start) as u64 + 1;
        if line_no <= skip {
            let line = &block.data[start..];
            if line_no == 1
                && let Ok(genesis) = chain::parse_entry(line)
                && Some(genesis.doc.commune) != from.commune
            {
                refused = Some(another_commune(from.commune, genesis.doc.commune));
                break;
            }
            if chain::tail_link(line) != Some((prefix, line_no - 1)) {
                refused = Some(not_extending(line_no));
                break;
            }
            prefix = hash::entry(line);
            if line_no == skip && prefix != from.head {
                refused = Some(not_extending(line_no));
                break;
            }
            block.data.truncate(start);
            if line_no % BLOCK_LINES as u64 == 0 {
                tell(read);
            }
            continue;
        }
        block.ends.push(block.data.len());
        if block.ends.len() >= BLOCK_LINES || block.data.len() >= BLOCK_BYTES {
            let next = Block {
                index: block.index + 1,
                first_line: line_no + 1,
                data: sink.buffer(),
                ends: Vec::with_capacity(BLOCK_LINES),
            };
            if !sink.send(std::mem::replace(&mut block, next)) {
                break; // the audit stopped at an integrity failure
            }
            tell(read);
        }
    }
    if refused.is_none() && error.is_none() && reader.line_number() < skip {
        refused = Some(shorter(reader.line_number(), skip));
    }
    if !block.ends.is_empty() {
        sink.send(block);
    }
    tell(read);
    ReadEnd { refused, error }
}

fn not_extending(line: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "line {line}: the chain does not extend the saved state (it differs from the audited prefix); audit it in full"
        ),
    )
}

fn shorter(lines: u64, saved: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the chain has {lines} entries, fewer than the {saved} the saved state covers; audit it in full"
        ),
    )
}

fn another_commune(saved: Option<Hash>, chain: Hash) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the saved state is of commune {}, the chain of commune {chain}; audit it in full",
            saved.unwrap_or_default()
        ),
    )
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
        Some(crate::protocol::checkpoint::Mismatch::Commune {
            chain: linker.commune().unwrap_or_default(),
        })
    } else if cp.size > linker.len() {
        Some(crate::protocol::checkpoint::Mismatch::Shorter {
            chain_size: linker.len(),
        })
    } else if at_size != Some(cp.head) {
        Some(crate::protocol::checkpoint::Mismatch::Head {
            chain_head: at_size.unwrap_or_default(),
        })
    } else {
        None
    };
    mismatch.map(|m| finding(Rule::Ckp3, None, m.to_string()))
}
