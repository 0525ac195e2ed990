//! The case model (test-vectors/README.md, spec/conformance.md): what a
//! chain case says ([`Case`], [`Expect`], [`Expand`]), the `.case` file
//! format both ways, the layer of a rule id ([`layer_of`]), and hex.

use std::fmt::Write as _;

use crate::protocol::canonical;
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::rule::Rule;

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Decodes hexadecimal (either case); `None` if malformed.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
// ---------------------------------------------------------------------------
// The case model

/// What an auditor must conclude about a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Valid,
    /// The first finding: its rule id and entry (`None` for CHN-8 and
    /// checkpoint findings).
    Invalid {
        rule: String,
        entry: Option<u64>,
    },
}

impl Expect {
    pub(crate) fn describe(&self) -> String {
        match self {
            Expect::Valid => "valid".into(),
            Expect::Invalid { rule, entry } => match entry {
                Some(e) => format!("{rule} at entry {e}"),
                None => format!("{rule} at entry none"),
            },
        }
    }
}

/// A run of repeated bytes inserted into a case's data: the chain file is
/// `data[..offset] ‖ unit × count ‖ data[offset..]`. Header line:
/// `expand: <offset> <count> <unit as hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expand {
    pub offset: usize,
    pub count: usize,
    pub unit: Vec<u8>,
}

/// One chain case: a header and the chain file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The file name without `.case`, e.g. `CHN-3_wrong_prev`.
    pub name: String,
    pub expect: Expect,
    /// Rule ids the case exercises: for a valid case the rules it passes
    /// meaningfully, for an invalid one the rule it breaks.
    pub covers: Vec<String>,
    /// Canonical checkpoint lines (no LF), audited in order.
    pub checkpoints: Vec<Vec<u8>>,
    pub expand: Option<Expand>,
    pub comments: Vec<String>,
    /// The expected dividend table: the canonical JSON of the report's
    /// `dividends` member (spec 9.3), for cases that close periods.
    pub dividends: Option<Vec<u8>>,
    /// The chain file's bytes (before [`Expand`]).
    pub data: Vec<u8>,
}

/// The layer a rule id belongs to, from its area.
pub fn layer_of(rule: &str) -> &'static str {
    match rule.split('-').next().unwrap_or("") {
        "ENC" => "encoding",
        "SIG" => "signatures",
        "DOC" => "documents",
        "CHN" => "chain",
        "CKP" => "checkpoints",
        "FRK" => "fork-proofs",
        "LIM" => "limits",
        "COM" => "commune",
        "AUT" => "authority",
        "MEM" => "membership",
        "REF" => "references",
        "SCH" => "schedules",
        "PAY" | "BAL" => "balances",
        "DIV" => "dividends",
        "LIQ" | "CAL" | "RES" | "AUC" => "collateral",
        _ => "unknown",
    }
}

impl Case {
    /// The layer: that of the broken rule, `chain` for valid cases.
    pub fn layer(&self) -> &'static str {
        match &self.expect {
            Expect::Valid => "chain",
            Expect::Invalid { rule, .. } => layer_of(rule),
        }
    }

    /// Adds a checkpoint to audit the chain against.
    pub fn checkpoint(&mut self, cp: &Checkpoint) -> &mut Self {
        self.checkpoints.push(canonical::encode(&cp.to_value()));
        self
    }

    /// Adds a comment line.
    pub fn comment(&mut self, c: &str) -> &mut Self {
        self.comments.push(c.to_string());
        self
    }

    /// Adds rule ids to `covers`.
    pub fn also_covers(&mut self, rules: &[Rule]) -> &mut Self {
        for r in rules {
            let c = r.code().to_string();
            if !self.covers.contains(&c) {
                self.covers.push(c);
            }
        }
        self
    }

    /// The chain file: the data with its [`Expand`] applied.
    pub fn chain(&self) -> Vec<u8> {
        match &self.expand {
            None => self.data.clone(),
            Some(x) => {
                let mut out = Vec::with_capacity(self.data.len() + x.count * x.unit.len());
                out.extend_from_slice(&self.data[..x.offset]);
                for _ in 0..x.count {
                    out.extend_from_slice(&x.unit);
                }
                out.extend_from_slice(&self.data[x.offset..]);
                out
            }
        }
    }

    /// The case file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut h = String::new();
        match &self.expect {
            Expect::Valid => h.push_str("expect: valid\n"),
            Expect::Invalid { rule, entry } => {
                h.push_str("expect: invalid\n");
                let _ = writeln!(h, "rule: {rule}");
                match entry {
                    Some(e) => {
                        let _ = writeln!(h, "entry: {e}");
                    }
                    None => h.push_str("entry: none\n"),
                }
            }
        }
        let _ = writeln!(h, "covers: {}", self.covers.join(" "));
        for cp in &self.checkpoints {
            let _ = writeln!(h, "checkpoint: {}", String::from_utf8_lossy(cp));
        }
        if let Some(x) = &self.expand {
            let _ = writeln!(h, "expand: {} {} {}", x.offset, x.count, hex(&x.unit));
        }
        if let Some(d) = &self.dividends {
            let _ = writeln!(h, "dividends: {}", String::from_utf8_lossy(d));
        }
        for c in &self.comments {
            let _ = writeln!(h, "comment: {c}");
        }
        h.push('\n');
        let mut out = h.into_bytes();
        out.extend_from_slice(&self.data);
        out
    }

    /// Reads a case file. Unknown header keys are ignored.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Case, String> {
        let end = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or("no empty line ends the header")?;
        let header = std::str::from_utf8(&bytes[..end]).map_err(|_| "the header is not UTF-8")?;
        let data = bytes[end + 2..].to_vec();
        let (mut expect, mut rule, mut entry) = (None, None, None);
        let mut case = Case {
            name: name.to_string(),
            expect: Expect::Valid,
            covers: Vec::new(),
            checkpoints: Vec::new(),
            expand: None,
            comments: Vec::new(),
            dividends: None,
            data,
        };
        for line in header.split('\n') {
            let (k, v) = line
                .split_once(": ")
                .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
                .ok_or_else(|| format!("header line {line:?} is not `key: value`"))?;
            match k {
                "expect" => expect = Some(v.to_string()),
                "rule" => rule = Some(v.to_string()),
                "entry" => entry = Some(v.to_string()),
                "covers" => case.covers = v.split_whitespace().map(str::to_string).collect(),
                "checkpoint" => case.checkpoints.push(v.as_bytes().to_vec()),
                "comment" => case.comments.push(v.to_string()),
                "dividends" => case.dividends = Some(v.as_bytes().to_vec()),
                "expand" => {
                    let p: Vec<&str> = v.split(' ').collect();
                    let bad = || format!("bad expand header {v:?}");
                    if p.len() != 3 {
                        return Err(bad());
                    }
                    let x = Expand {
                        offset: p[0].parse().map_err(|_| bad())?,
                        count: p[1].parse().map_err(|_| bad())?,
                        unit: unhex(p[2]).ok_or_else(bad)?,
                    };
                    if x.offset > case.data.len() {
                        return Err(bad());
                    }
                    case.expand = Some(x);
                }
                _ => {} // unknown keys are ignored
            }
        }
        case.expect = match expect.as_deref() {
            Some("valid") => Expect::Valid,
            Some("invalid") => {
                let rule = rule.ok_or("an invalid case needs `rule:`")?;
                let entry = match entry.as_deref() {
                    Some("none") => None,
                    Some(e) => Some(e.parse().map_err(|_| format!("bad entry {e:?}"))?),
                    None => return Err("an invalid case needs `entry:`".into()),
                };
                Expect::Invalid { rule, entry }
            }
            other => return Err(format!("bad or missing expect: {other:?}")),
        };
        Ok(case)
    }
}
