//! The web auditor's side in WebAssembly: [`audit`] runs the library's
//! audit (the same code as `commonstock audit`, single-threaded because
//! `wasm32-unknown-unknown` has no threads) over a chain that JavaScript
//! hands over a chunk at a time, and returns what the command line would
//! print: the HTML report of `--html`, the JSON report of `--json --report`
//! and the dividend table of `dividends --json`. The chain is checked
//! against the cosigned checkpoints the member holds, as `audit --checkpoint`
//! does (spec/07-checkpoints.md §7.3, CKP-3).
//!
//! It only wires the library to JavaScript: every rule, figure and line of
//! the report comes from `commonstock`.

use std::io::{self, BufRead, Read};

use commonstock::audit::{self, Options, Progress, Run};
use commonstock::canonical::{Object, Value};
use commonstock::checkpoint::Checkpoint;
use commonstock::report::checkpoints;
use commonstock::report::html::Html;
use commonstock::{canonical, dividend, statement};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Where the chain comes from (see `web/worker.js`): `read(max)` gives
    /// the next bytes, at most `max` of them, and an empty array at the
    /// end; `progress(lines, bytes)` is told how far the audit has read.
    #[derive(Clone, Debug)]
    pub type Source;

    #[wasm_bindgen(method, catch)]
    fn read(this: &Source, max: usize) -> Result<Vec<u8>, JsValue>;

    #[wasm_bindgen(method)]
    fn progress(this: &Source, lines: f64, bytes: f64);
}

/// The checkpoint files the member holds, each read by `Checkpoint::parse`
/// (spec §7.1) as it is added: before the chain is fetched, so that a file
/// that breaks a rule stops everything at once, as `commonstock audit
/// --checkpoint` stops.
#[wasm_bindgen]
#[derive(Default)]
pub struct Checkpoints {
    files: Vec<(String, Checkpoint)>,
}

#[wasm_bindgen]
impl Checkpoints {
    /// None yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Checkpoints {
        Checkpoints::default()
    }

    /// Adds the file `name` (a file name or a URL) holding `bytes`. A file
    /// that fails to parse is the error `{name}: {error}`, the command
    /// line's message for it, and is not added.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        let cp = Checkpoint::parse(bytes).map_err(|e| JsError::new(&format!("{name}: {e}")))?;
        self.files.push((name.to_string(), cp));
        Ok(())
    }
}

/// Bytes asked of the source at a time.
const CHUNK: usize = 1 << 20;

/// The source as the buffered reader the audit takes.
struct Chunks {
    source: Source,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.buf = self
                .source
                .read(CHUNK)
                .map_err(|e| io::Error::other(e.as_string().unwrap_or_else(|| format!("{e:?}"))))?;
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// What an audit gives the page.
#[wasm_bindgen]
pub struct Audited {
    valid: bool,
    fragment: String,
    page: String,
    json: String,
    dividends: Option<String>,
    checkpoints: String,
}

#[wasm_bindgen]
impl Audited {
    /// Whether the chain passed every check.
    #[wasm_bindgen(getter)]
    pub fn valid(&self) -> bool {
        self.valid
    }

    /// The report as an element for the page (its style included).
    #[wasm_bindgen(getter)]
    pub fn fragment(&self) -> String {
        self.fragment.clone()
    }

    /// The report as the self-contained page `commonstock audit --html`
    /// writes.
    #[wasm_bindgen(getter)]
    pub fn page(&self) -> String {
        self.page.clone()
    }

    /// The JSON report of `commonstock audit --json --report` (one
    /// canonical line, LF included).
    #[wasm_bindgen(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }

    /// The dividend table of `commonstock dividends --json`, when the
    /// integrity layers passed (the command prints none otherwise).
    #[wasm_bindgen(getter)]
    pub fn dividends(&self) -> Option<String> {
        self.dividends.clone()
    }

    /// What the chain says of each checkpoint, in the order given: a JSON
    /// array of `{"name", "state", "line"}`, `state` one of `agrees`,
    /// `disagrees`, `unchecked`, and `line` what `commonstock audit
    /// --checkpoint` prints for it under `checkpoints:` (without the
    /// indent).
    #[wasm_bindgen(getter)]
    pub fn checkpoints(&self) -> String {
        self.checkpoints.clone()
    }
}

/// Audits the chain `source` gives against `checkpoints` (which it takes:
/// the JavaScript object is spent). `name` is what the report calls the
/// chain (a file name or a URL); `spec_base` is where the report's links
/// to the spec point. Fails only when reading fails: every rule the chain
/// breaks, a disagreeing checkpoint included (CKP-3), is a finding in the
/// report.
#[wasm_bindgen]
pub fn audit(
    source: Source,
    name: &str,
    spec_base: &str,
    checkpoints: Checkpoints,
) -> Result<Audited, JsError> {
    let tell = source.clone();
    let run = Run {
        threads: 1,
        progress: Some(Box::new(move |p: Progress| {
            tell.progress(p.lines as f64, p.bytes as f64)
        })),
        ..Run::default()
    };
    let input = Chunks {
        source,
        buf: Vec::new(),
        pos: 0,
    };
    let (names, list): (Vec<String>, Vec<Checkpoint>) = checkpoints.files.into_iter().unzip();
    let options = Options { checkpoints: list };
    let outcome =
        audit::run(input, &options, run).map_err(|e| JsError::new(&format!("{name}: {e}")))?;
    let html = Html {
        report: &outcome.report,
        state: &outcome.state,
        cash: &outcome.cash,
        source: name,
        spec_base,
    };
    let shows_statement = outcome.report.integrity && outcome.state.as_of.is_some();
    let mut v = outcome.report.to_value();
    if let (true, canonical::Value::Object(o)) = (shows_statement, &mut v) {
        o.insert("statement", statement::to_value(&outcome.state));
    }
    let line = |v: &canonical::Value| {
        let mut bytes = canonical::encode(v);
        bytes.push(b'\n');
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Audited {
        valid: outcome.report.is_valid(),
        fragment: html.fragment(),
        page: html.page(),
        json: line(&v),
        dividends: outcome
            .report
            .integrity
            .then(|| line(&dividend::table_value(&outcome.state))),
        checkpoints: line(&checkpoint_lines(&outcome, &names, &options)),
    })
}

/// What `commonstock audit --checkpoint` prints of each checkpoint
/// (`report::checkpoints`, the same lines), with its name and verdict for
/// the page's list. `web/test.mjs` compares the lines with the command
/// line's.
fn checkpoint_lines(outcome: &audit::Outcome, names: &[String], options: &Options) -> Value {
    let verdicts = checkpoints::verdicts(&outcome.report, &outcome.state, &options.checkpoints);
    let list = names
        .iter()
        .zip(&options.checkpoints)
        .zip(verdicts)
        .map(|((name, cp), v)| {
            let mut o = Object::new();
            o.insert("name", Value::from(name.clone()));
            o.insert("state", Value::from(v.kind()));
            o.insert("line", Value::from(v.line(name, cp)));
            Value::Object(o)
        });
    Value::Array(list.collect())
}
