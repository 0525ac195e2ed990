//! What an audit says of each checkpoint it was given (spec/07-checkpoints.md
//! §7.3, CKP-3): that the chain agrees with it and who cosigned it, the
//! finding against it, or that it was not checked because the chain fails
//! its integrity checks. `commonstock audit --checkpoint` prints these
//! lines under `checkpoints:`, and the web auditor shows the same lines.

use crate::audit::{Finding, Report};
use crate::commune::State;
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::sig;

/// What the chain says of one checkpoint.
#[derive(Clone, Debug)]
pub enum Verdict<'a> {
    /// The chain fails its integrity checks: no checkpoint was checked.
    Unchecked,
    /// The first finding about this checkpoint (CKP-3, or a rule its
    /// cosignatures break).
    Disagrees(&'a Finding),
    /// The chain agrees; the cosigners, by member id where the key is a
    /// current member's at the chain's end, else by fingerprint, sorted.
    Agrees(Vec<String>),
}

impl Verdict<'_> {
    /// `agrees`, `disagrees` or `unchecked`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Unchecked => "unchecked",
            Verdict::Disagrees(_) => "disagrees",
            Verdict::Agrees(_) => "agrees",
        }
    }

    /// The line printed for the checkpoint called `name`.
    pub fn line(&self, name: &str, cp: &Checkpoint) -> String {
        match self {
            Verdict::Unchecked => {
                format!("{name}: not checked (the chain fails its integrity checks)")
            }
            Verdict::Disagrees(f) => format!("{name}: DISAGREES: {f}"),
            Verdict::Agrees(cosigners) => format!(
                "{name}: agrees at size {}, head {}; cosigned by {}",
                cp.size,
                cp.head.short(),
                cosigners.join(", ")
            ),
        }
    }
}

/// The verdict on each of `checkpoints` (in the order the audit was given
/// them, so its findings name them `checkpoint[i]`).
pub fn verdicts<'a>(
    report: &'a Report,
    state: &State,
    checkpoints: &[Checkpoint],
) -> Vec<Verdict<'a>> {
    checkpoints
        .iter()
        .enumerate()
        .map(|(i, cp)| {
            let at = format!("checkpoint[{i}]");
            let finding = report.findings.iter().find(|f| {
                f.field.as_deref().is_some_and(|p| {
                    p == at || p.strip_prefix(&at).is_some_and(|r| r.starts_with('.'))
                })
            });
            match finding {
                _ if !report.integrity => Verdict::Unchecked,
                Some(f) => Verdict::Disagrees(f),
                None => {
                    let mut cosigners: Vec<String> = cp
                        .sigs
                        .iter()
                        .map(|s| match state.member_by_key(&s.key) {
                            Some(m) => m.to_string(),
                            None => {
                                format!("key {} (not a current member's)", sig::fingerprint(&s.key))
                            }
                        })
                        .collect();
                    cosigners.sort();
                    Verdict::Agrees(cosigners)
                }
            }
        })
        .collect()
}
