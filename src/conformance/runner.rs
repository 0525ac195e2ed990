//! Checking verdicts: the library's own ([`library_verdict`],
//! [`library_dividends`], used by the test suite) and another
//! implementation's, through the adapter contract of spec/conformance.md
//! ([`run`]). The timeout is the only place a clock enters, and only for
//! adapters that hang.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::build::{row, s};
use super::case::{Case, Expect};
use crate::audit;
use crate::protocol::canonical::{self, Value};
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::rule::Rule;

/// The version of the runner's `--json` report.
pub const REPORT_SCHEMA: &str = "commonstock-conformance-v1";
/// How long an adapter may take on one case.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// The dividend table our library computes for a case (the canonical JSON
/// of the report's `dividends`).
pub fn library_dividends(case: &Case) -> Result<Vec<u8>, String> {
    let chain = case.chain();
    let report = audit::audit(&chain[..], &audit::Options::default()).map_err(|e| e.to_string())?;
    Ok(report_dividends(&report.to_value()))
}

/// The canonical JSON of a report's `dividends` member (`[]` when absent).
fn report_dividends(report: &Value) -> Vec<u8> {
    let d = report
        .as_object()
        .and_then(|o| o.get("dividends"))
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    canonical::encode(&d)
}

/// What our own audit concludes about a case.
pub fn library_verdict(case: &Case) -> Result<Expect, String> {
    let mut options = audit::Options::default();
    for cp in &case.checkpoints {
        let mut b = cp.clone();
        b.push(b'\n');
        options
            .checkpoints
            .push(Checkpoint::parse(&b).map_err(|e| format!("checkpoint: {e}"))?);
    }
    let chain = case.chain();
    let report = audit::audit(&chain[..], &options).map_err(|e| e.to_string())?;
    Ok(match report.findings.first() {
        None => Expect::Valid,
        Some(f) => Expect::Invalid {
            rule: f.rule.code().to_string(),
            entry: f.entry,
        },
    })
}

/// What an adapter said about a case, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Verdict(Expect),
    Error(String),
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub name: String,
    pub expected: Expect,
    pub answer: Answer,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.answer == Answer::Verdict(self.expected.clone())
    }

    /// `ok   NAME` or `FAIL NAME: expected …, got …`.
    pub fn line(&self) -> String {
        if self.passed() {
            return format!("ok   {}", self.name);
        }
        let got = match &self.answer {
            Answer::Verdict(v) => v.describe(),
            Answer::Error(e) => format!("adapter error: {e}"),
        };
        format!(
            "FAIL {}: expected {}, got {got}",
            self.name,
            self.expected.describe()
        )
    }
}

/// The results of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub outcomes: Vec<Outcome>,
}

impl RunReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// One line per case, then `N passed, M failed`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for o in &self.outcomes {
            s.push_str(&o.line());
            s.push('\n');
        }
        let _ = writeln!(s, "{} passed, {} failed", self.passed(), self.failed());
        s
    }

    /// The `--json` report.
    pub fn to_value(&self) -> Value {
        let verdict = |e: &Expect| match e {
            Expect::Valid => row(vec![("valid", Value::Bool(true))]),
            Expect::Invalid { rule, entry } => row(vec![
                ("entry", entry.map_or(Value::Null, |e| Value::Int(e as i64))),
                ("rule", s(rule)),
                ("valid", Value::Bool(false)),
            ]),
        };
        let cases = self
            .outcomes
            .iter()
            .map(|o| {
                let mut m = vec![
                    ("expected", verdict(&o.expected)),
                    ("name", s(&o.name)),
                    ("passed", Value::Bool(o.passed())),
                ];
                match &o.answer {
                    Answer::Verdict(v) => m.push(("got", verdict(v))),
                    Answer::Error(e) => m.push(("error", s(e))),
                }
                row(m)
            })
            .collect();
        row(vec![
            ("cases", Value::Array(cases)),
            ("failed", Value::Int(self.failed() as i64)),
            ("passed", Value::Int(self.passed() as i64)),
            ("schema", s(REPORT_SCHEMA)),
        ])
    }
}

/// Reads every `chains/*.case` under `vectors`, sorted by name.
pub fn load_cases(vectors: &Path) -> io::Result<Vec<Case>> {
    let dir = vectors.join("chains");
    let mut names: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|(name, p)| {
            let b = std::fs::read(&p)?;
            Case::parse(&name, &b).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", p.display()))
            })
        })
        .collect()
}

/// Reads an adapter's report (spec 9.3): `schema`, `valid`, and the first
/// finding's `rule` and `entry`.
pub fn parse_report(stdout: &[u8]) -> Result<Expect, String> {
    let v = canonical::parse(stdout)
        .map_err(|e| format!("stdout is not a JSON text in the profile: {e}"))?;
    let o = v.as_object().ok_or("the report is not an object")?;
    match o.get("schema").and_then(Value::as_str) {
        Some(audit::REPORT_SCHEMA) => {}
        other => return Err(format!("unknown report schema {other:?}")),
    }
    let valid = o
        .get("valid")
        .and_then(Value::as_bool)
        .ok_or("`valid` is not a boolean")?;
    let findings = o
        .get("findings")
        .and_then(Value::as_array)
        .ok_or("`findings` is not an array")?;
    match (valid, findings.first()) {
        (true, None) => Ok(Expect::Valid),
        (true, Some(_)) => Err("valid, yet with findings".into()),
        (false, None) => Err("invalid, yet without findings".into()),
        (false, Some(f)) => {
            let f = f.as_object().ok_or("a finding is not an object")?;
            let rule = f
                .get("rule")
                .and_then(Value::as_str)
                .ok_or("the finding has no `rule` string")?;
            let entry = match f.get("entry") {
                Some(Value::Null) => None,
                Some(Value::Int(n)) if *n >= 0 => Some(*n as u64),
                _ => {
                    return Err(
                        "the finding's `entry` is neither a non-negative integer nor null".into(),
                    );
                }
            };
            Ok(Expect::Invalid {
                rule: rule.to_string(),
                entry,
            })
        }
    }
}

/// A fresh, empty working directory under the system temporary directory.
fn work_dir() -> io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!(
            "commonstock-conformance-{}-{n}",
            std::process::id()
        ));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Runs the adapter `cmd` on one case in `dir`.
pub fn run_case(cmd: &str, case: &Case, dir: &Path) -> io::Result<Outcome> {
    let chain = dir.join(format!("{}.jsonl", case.name));
    std::fs::write(&chain, case.chain())?;
    let mut args: Vec<PathBuf> = Vec::new();
    for (i, cp) in case.checkpoints.iter().enumerate() {
        let p = dir.join(format!("{}.{i}.checkpoint", case.name));
        let mut b = cp.clone();
        b.push(b'\n');
        std::fs::write(&p, b)?;
        args.push("--checkpoint".into());
        args.push(p);
    }
    args.push(chain.clone());
    let (mut answer, stdout) = invoke(cmd, &args);
    // A case with a dividend table passes only if the report carries it.
    if let (Some(want), Answer::Verdict(_)) = (&case.dividends, &answer) {
        let got = canonical::parse(&stdout)
            .map(|v| report_dividends(&v))
            .unwrap_or_default();
        if &got != want {
            answer = Answer::Error(format!(
                "the dividend table differs: {}",
                first_difference(want, &got)
            ));
        }
    }
    let _ = std::fs::remove_file(&chain);
    for a in args
        .iter()
        .filter(|a| a.extension().is_some_and(|x| x == "checkpoint"))
    {
        let _ = std::fs::remove_file(a);
    }
    Ok(Outcome {
        name: case.name.clone(),
        expected: case.expect.clone(),
        answer,
    })
}

/// Where two dividend tables (canonical JSON arrays of closes) first differ.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let (Ok(w), Ok(g)) = (canonical::parse(want), canonical::parse(got)) else {
        return "the report's `dividends` is missing or not JSON".into();
    };
    let (w, g) = (
        w.as_array().unwrap_or(&[]).to_vec(),
        g.as_array().unwrap_or(&[]).to_vec(),
    );
    for (i, (a, b)) in w.iter().zip(&g).enumerate() {
        if a == b {
            continue;
        }
        let period = a
            .as_object()
            .and_then(|o| o.get("period"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        if let (Some(ao), Some(bo)) = (a.as_object(), b.as_object()) {
            for (k, av) in ao.iter() {
                if bo.get(k) != Some(av) {
                    let show = |v: Option<&Value>| {
                        v.map_or("nothing".to_string(), |v| {
                            String::from_utf8_lossy(&canonical::encode(v)).into_owned()
                        })
                    };
                    return format!(
                        "close {i} ({period}), `{k}`: expected {}, got {}",
                        show(Some(av)),
                        show(bo.get(k))
                    );
                }
            }
        }
        return format!("close {i} ({period})");
    }
    format!("expected {} closes, got {}", w.len(), g.len())
}

/// `sh -c 'CMD "$@"' conformance ARGS…`, its report read from stdout.
fn invoke(cmd: &str, args: &[PathBuf]) -> (Answer, Vec<u8>) {
    let answer = invoke_raw(cmd, args);
    match answer {
        Ok((a, out)) => (a, out),
        Err(a) => (a, Vec::new()),
    }
}

fn invoke_raw(cmd: &str, args: &[PathBuf]) -> Result<(Answer, Vec<u8>), Answer> {
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$@\""))
        .arg("conformance")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Err(Answer::Error(format!("cannot start sh: {e}"))),
    };
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = stdout.read_to_end(&mut buf);
        r.map(|_| buf)
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() >= TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Answer::Error(format!(
                    "no answer within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Answer::Error(format!("waiting for the adapter: {e}"))),
        }
    };
    let out = match reader.join() {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return Err(Answer::Error(format!("reading stdout: {e}"))),
        Err(_) => return Err(Answer::Error("reading stdout failed".into())),
    };
    match status.code() {
        Some(0 | 1) => {}
        Some(c) => return Err(Answer::Error(format!("exit status {c}"))),
        None => return Err(Answer::Error("killed by a signal".into())),
    }
    match parse_report(&out) {
        Ok(v) => Ok((Answer::Verdict(v), out)),
        Err(e) => Err(Answer::Error(e)),
    }
}

/// Runs the adapter `cmd` over every chain case under `vectors`. `Err` only
/// when the vectors cannot be read or the working directory not written.
pub fn run(cmd: &str, vectors: &Path, mut progress: impl FnMut(&Outcome)) -> io::Result<RunReport> {
    let cases = load_cases(vectors)?;
    if cases.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no case in {}", vectors.join("chains").display()),
        ));
    }
    let dir = work_dir()?;
    let mut report = RunReport::default();
    let result = (|| {
        for c in &cases {
            let o = run_case(cmd, c, &dir)?;
            progress(&o);
            report.outcomes.push(o);
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|()| report)
}

/// A case's rule ids as [`Rule`]s (ids this crate does not know are
/// skipped).
pub fn rules_of(ids: &[String]) -> Vec<Rule> {
    ids.iter().filter_map(|c| Rule::from_code(c)).collect()
}
