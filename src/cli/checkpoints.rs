//! `commonstock checkpoint`: make, cosign and verify checkpoints; build and
//! check fork proofs (spec/07-checkpoints.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use commonstock::audit::{self, Options};
use commonstock::canonical::{Object, Value};
use commonstock::chain::LineReader;
use commonstock::chainfile;
use commonstock::checkpoint::{Checkpoint, ForkProof};
use commonstock::commune::State;
use commonstock::{b64, keyfile};

use crate::common::*;
use crate::workflow::*;

// ---------------------------------------------------------------------------
// Checkpoints

pub(crate) fn read_checkpoint(p: &Path) -> Res<Checkpoint> {
    let bytes = read_source(&p.to_string_lossy())?;
    Checkpoint::parse(&bytes)
        .map_err(|e| refused(format!("{} is not a checkpoint: {e}", p.display())))
}

/// The first `size` entries of a chain file (for the state at a checkpoint).
pub(crate) fn prefix(bytes: &[u8], size: u64) -> &[u8] {
    let mut seen = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            seen += 1;
            if seen == size {
                return &bytes[..=i];
            }
        }
    }
    bytes
}

pub(crate) fn state_at(bytes: &[u8], size: u64) -> Res<State> {
    audit::audit_with_state(prefix(bytes, size), &Options::default())
        .map(|(_, s)| s)
        .map_err(|e| usage(e.to_string()))
}

pub(crate) fn checkpoint(c: CheckpointCommand) -> Res<ExitCode> {
    match c {
        CheckpointCommand::Make {
            chain,
            out,
            key,
            pass,
        } => {
            let ch = read_chain(&chain)?;
            if !ch.report.integrity {
                return Err(refused(format!(
                    "{} fails its audit; run `commonstock audit` on it",
                    chain.display()
                )));
            }
            let mut cp = Checkpoint::new(ch.commune.unwrap_or_default(), ch.len, ch.head);
            let key = load_key(&KeyArgs { key, pass })?;
            let public = key.public_key();
            if ch.state.member_by_key(&public).is_none() {
                return Err(refused(format!(
                    "key {} is not a current member's key in this chain; only members' cosignatures count",
                    keyfile::fingerprint(&public)
                )));
            }
            cp.sign(&key).map_err(|e| refused(e.to_string()))?;
            write_output(&out.to_string_lossy(), &cp.to_bytes())?;
            eprintln!(
                "checkpoint of {} entries, head {}, {} signature(s)",
                cp.size,
                cp.head,
                cp.sigs.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        CheckpointCommand::Cosign { file, key, chain } => {
            let mut cp = read_checkpoint(&file)?;
            cp.verify_signatures()
                .map_err(|e| refused(format!("not cosigned: a signature does not verify: {e}")))?;
            let sk = load_key(&key)?;
            let public = sk.public_key();
            if cp.sigs.iter().any(|s| s.key == public) {
                return Err(refused(format!(
                    "not cosigned: CKP-2: key {} has already cosigned",
                    keyfile::fingerprint(&public)
                )));
            }
            match &chain {
                Some(p) => {
                    let bytes = read_source(&p.to_string_lossy())?;
                    let opts = Options {
                        checkpoints: vec![cp.clone()],
                    };
                    let report =
                        audit::audit(&bytes[..], &opts).map_err(|e| usage(e.to_string()))?;
                    if let Some(f) = report.findings.iter().find(|f| f.rule.code() == "CKP-3") {
                        return Err(refused(format!(
                            "not cosigned: the checkpoint disagrees with your chain: {f}"
                        )));
                    }
                    if !report.integrity {
                        return Err(refused("not cosigned: your chain fails its audit"));
                    }
                    if state_at(&bytes, cp.size)?.member_by_key(&public).is_none() {
                        return Err(refused(format!(
                            "not cosigned: key {} was not a current member's key at entry {}",
                            keyfile::fingerprint(&public),
                            cp.size - 1
                        )));
                    }
                }
                None => eprintln!(
                    "warning: not checked against a chain; pass --chain to be sure what you cosign"
                ),
            }
            cp.sign(&sk).map_err(|e| refused(e.to_string()))?;
            chainfile::replace_file(&file, &cp.to_bytes())
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            eprintln!(
                "cosigned: {} entries, head {}; {} signature(s)",
                cp.size,
                cp.head,
                cp.sigs.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        CheckpointCommand::Verify {
            chain,
            checkpoints,
            json,
        } => verify_checkpoints(&chain, &checkpoints, json),
        CheckpointCommand::ForkProof {
            a,
            b,
            chain_a,
            chain_b,
            out,
        } => fork_proof(&a, &b, chain_a.as_deref(), chain_b.as_deref(), &out),
        CheckpointCommand::VerifyProof { proof, json } => {
            let bytes = read_source(&proof.to_string_lossy())?;
            let verdict = ForkProof::parse(&bytes).and_then(|p| p.verify().map(|()| p));
            if json {
                let mut o = Object::new();
                o.insert("schema", Value::from("commonstock-fork-proof-v1"));
                o.insert("valid", Value::Bool(verdict.is_ok()));
                match &verdict {
                    Ok(p) => {
                        o.insert("commune", Value::from(p.a.commune.to_b64()));
                        o.insert("position", Value::Int(p.position as i64));
                    }
                    Err(e) => {
                        o.insert("rule", Value::from(e.rule.code()));
                        o.insert("detail", Value::from(e.to_string()));
                    }
                }
                print(&json_line(&Value::Object(o)))?;
            } else {
                match &verdict {
                    Ok(p) => println!(
                        "{}: commune {} forked at entry {}: checkpoints of sizes {} and {} cannot both hold (signed by {} and {} keys)",
                        paint("valid fork proof", RED),
                        p.a.commune,
                        p.position,
                        p.a.size,
                        p.b.size,
                        p.a.sigs.len(),
                        p.b.sigs.len()
                    ),
                    Err(e) => println!("{}: {e}", paint("not a fork proof", YELLOW)),
                }
            }
            Ok(if verdict.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

pub(crate) fn verify_checkpoints(chain: &Path, files: &[PathBuf], json: bool) -> Res<ExitCode> {
    let bytes = read_source(&chain.to_string_lossy())?;
    let cps = files
        .iter()
        .map(|f| read_checkpoint(f))
        .collect::<Res<Vec<_>>>()?;
    let opts = Options {
        checkpoints: cps.clone(),
    };
    let report = audit::audit(&bytes[..], &opts).map_err(|e| usage(e.to_string()))?;
    let mut all_ok = report.is_valid();
    let mut results = Vec::new();
    let mut text = String::new();
    use std::fmt::Write as _;
    for (i, (f, cp)) in files.iter().zip(&cps).enumerate() {
        let finding = report.findings.iter().find(|x| {
            x.field
                .as_deref()
                .is_some_and(|p| p.starts_with(&format!("checkpoint[{i}]")))
        });
        let (mut members, strangers) = if finding.is_none() && report.integrity {
            let state = state_at(&bytes, cp.size)?;
            let mut m = Vec::new();
            let mut s = Vec::new();
            for sig in &cp.sigs {
                match state.member_by_key(&sig.key) {
                    Some(id) => m.push(id.to_string()),
                    None => s.push(b64::encode(&sig.key)),
                }
            }
            (m, s)
        } else {
            (Vec::new(), Vec::new())
        };
        members.sort();
        all_ok &= strangers.is_empty();
        let ok = finding.is_none() && strangers.is_empty() && report.integrity;
        let _ = write!(
            text,
            "{}: {} at size {}: ",
            f.display(),
            if ok {
                paint("agrees", GREEN)
            } else {
                paint("FAILS", RED)
            },
            cp.size
        );
        match finding {
            Some(x) => {
                let _ = writeln!(text, "{x}");
            }
            None => {
                let _ = write!(
                    text,
                    "cosigned by {}",
                    if members.is_empty() {
                        "no member".to_string()
                    } else {
                        members.join(", ")
                    }
                );
                if !strangers.is_empty() {
                    let _ = write!(
                        text,
                        "; NOT members at entry {}: {}",
                        cp.size - 1,
                        strangers
                            .iter()
                            .map(|k| k[..12].to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                let _ = writeln!(text);
            }
        }
        let mut o = Object::new();
        o.insert("file", Value::from(f.to_string_lossy().into_owned()));
        o.insert("size", Value::Int(cp.size as i64));
        o.insert("agrees", Value::Bool(finding.is_none() && report.integrity));
        o.insert(
            "members",
            Value::Array(members.into_iter().map(Value::from).collect()),
        );
        o.insert(
            "not_members",
            Value::Array(strangers.into_iter().map(Value::from).collect()),
        );
        results.push(Value::Object(o));
    }
    if json {
        let mut o = Object::new();
        o.insert("schema", Value::from("commonstock-checkpoints-v1"));
        o.insert("valid", Value::Bool(all_ok));
        o.insert("audit", report.to_value());
        o.insert("checkpoints", Value::Array(results));
        print(&json_line(&Value::Object(o)))?;
    } else {
        if !report.integrity {
            let _ = writeln!(
                text,
                "the chain fails its audit: run `commonstock audit` on it"
            );
        } else if let Some(f) = report.findings.iter().find(|f| f.entry.is_some()) {
            let _ = writeln!(text, "the chain has findings, first: {f}");
        }
        print(text.as_bytes())?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(crate) fn chain_lines(p: &Path) -> Res<Vec<Vec<u8>>> {
    let bytes = read_source(&p.to_string_lossy())?;
    let mut r = LineReader::new(&bytes[..]);
    let mut out = Vec::new();
    while let Some(l) = r.next_line() {
        match l {
            Ok((_, line)) => out.push(line.to_vec()),
            Err(_) => {
                return Err(refused(format!(
                    "{} is not a well-framed chain",
                    p.display()
                )));
            }
        }
    }
    Ok(out)
}

pub(crate) fn fork_proof(
    a: &Path,
    b: &Path,
    chain_a: Option<&Path>,
    chain_b: Option<&Path>,
    out: &Path,
) -> Res<ExitCode> {
    let (ca, cb) = (read_checkpoint(a)?, read_checkpoint(b)?);
    let proof = match (chain_a, chain_b) {
        (Some(pa), Some(pb)) => {
            let (la, lb) = (chain_lines(pa)?, chain_lines(pb)?);
            let (na, nb) = (ca.size as usize, cb.size as usize);
            if la.len() < na || lb.len() < nb {
                return Err(refused(
                    "a chain is shorter than its checkpoint: give the chain each checkpoint describes",
                ));
            }
            let position = (0..na.min(nb)).find(|&i| la[i] != lb[i]).ok_or_else(|| {
                refused("the chains agree up to the shorter checkpoint: one extends the other, there is no fork")
            })?;
            ForkProof {
                a: ca,
                b: cb,
                position: position as u64,
                entries_a: la[position..na].to_vec(),
                entries_b: lb[position..nb].to_vec(),
            }
        }
        (None, None) => ForkProof {
            a: ca,
            b: cb,
            position: 0,
            entries_a: Vec::new(),
            entries_b: Vec::new(),
        },
        _ => {
            return Err(usage(
                "give both --chain-a and --chain-b, or neither (for two checkpoints of one size)",
            ));
        }
    };
    proof
        .verify()
        .map_err(|e| refused(format!("no fork proof: {e}")))?;
    let bytes = proof.to_bytes().map_err(|e| refused(e.to_string()))?;
    write_output(&out.to_string_lossy(), &bytes)?;
    eprintln!(
        "fork proof written to {}: the chains part at entry {}",
        out.display(),
        proof.position
    );
    Ok(ExitCode::SUCCESS)
}
