//! The structured chain target: start from a sound chain and apply
//! mutations an attacker without the keys could make — drop, duplicate,
//! reorder and splice lines (from a fork of the same commune and from
//! another commune), edit bytes, edit values and re-encode them
//! canonically, move signatures between documents, and re-link `seq` and
//! `prev` so the later checks are reached rather than stopping at CHN-2/3.
//!
//! Properties: no panic; the report is self-consistent; and a chain the
//! audit accepts holds only fixture documents with fixture signatures (no
//! forgery). Valid results do occur (a prefix; documents re-wrapped at new
//! positions, which the protocol allows since a signature does not cover
//! the chain position; a signature dropped from a two-signature document).
#![no_main]

use std::sync::OnceLock;

use commonstock::audit::{self, Options};
use commonstock::canonical::{self, Value};
use commonstock::hash::{self, Hash};
use commonstock::{b64, document::Kind};
use commonstock_fuzz::{Fixtures, Known, check_no_forgery, check_report};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

struct State {
    fx: Fixtures,
    known: Known,
}

fn state() -> &'static State {
    static S: OnceLock<State> = OnceLock::new();
    S.get_or_init(|| {
        let fx = Fixtures::build();
        let known = fx.known_documents();
        State { fx, known }
    })
}

#[derive(Arbitrary, Debug)]
enum Source {
    Fork,
    Foreign,
}

#[derive(Arbitrary, Debug)]
enum Edit {
    /// Removes one signature from the document.
    DropSig(u8),
    /// Copies a signature from another line's document.
    CopySig { from_line: u8, index: u8 },
    /// Reverses the order of the signatures.
    ReverseSigs,
    /// Sets the date to day `n` of 2025 (wrapping into a valid date).
    SetDate(u16),
    /// Sets the kind.
    SetKind(u8),
    /// Sets a body member to an integer.
    SetBody(String, i64),
    /// Copies the `commune` member from another line's document.
    CopyCommune(u8),
    /// Sets the entry's `seq`.
    SetSeq(i64),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Drop(u8),
    Dup {
        from: u8,
        to: u8,
    },
    Swap(u8, u8),
    Splice {
        source: Source,
        from: u8,
        to: u8,
    },
    SetByte {
        line: u8,
        pos: u16,
        byte: u8,
    },
    Insert {
        line: u8,
        pos: u16,
        bytes: Vec<u8>,
    },
    Delete {
        line: u8,
        pos: u16,
        len: u8,
    },
    Edit {
        line: u8,
        edit: Edit,
    },
    /// Recomputes `seq` and `prev` of every line from its position.
    Relink,
}

#[derive(Arbitrary, Debug)]
struct Input {
    ops: Vec<Op>,
    /// Cut the file at this byte (modulo its length + 1).
    truncate: Option<u16>,
}

fn pick(n: u8, len: usize) -> Option<usize> {
    (len > 0).then(|| usize::from(n) % len)
}

/// The entry and document objects of a line, if it has them.
fn edit_line(line: &mut Vec<u8>, f: impl FnOnce(&mut canonical::Object, &mut canonical::Object)) {
    let Ok(Value::Object(mut entry)) = canonical::parse(line) else {
        return;
    };
    let Some(Value::Object(mut doc)) = entry.remove("doc") else {
        return;
    };
    f(&mut entry, &mut doc);
    entry.insert("doc", Value::Object(doc));
    *line = canonical::encode(&Value::Object(entry));
}

fn doc_member(line: &[u8], member: &str) -> Option<Value> {
    let Ok(Value::Object(entry)) = canonical::parse(line) else {
        return None;
    };
    entry.get("doc")?.as_object()?.get(member).cloned()
}

fn apply_edit(lines: &mut [Vec<u8>], at: usize, edit: Edit) {
    let other = |n: u8| lines[usize::from(n) % lines.len()].clone();
    match edit {
        Edit::DropSig(i) => edit_line(&mut lines[at], |_, doc| {
            if let Some(Value::Array(mut sigs)) = doc.remove("sigs") {
                if let Some(i) = pick(i, sigs.len()) {
                    sigs.remove(i);
                }
                doc.insert("sigs", Value::Array(sigs));
            }
        }),
        Edit::CopySig { from_line, index } => {
            let src = other(from_line);
            let Some(Value::Array(from)) = doc_member(&src, "sigs") else {
                return;
            };
            let Some(i) = pick(index, from.len()) else {
                return;
            };
            let s = from[i].clone();
            edit_line(&mut lines[at], |_, doc| {
                if let Some(Value::Array(mut sigs)) = doc.remove("sigs") {
                    sigs.push(s);
                    // Keep the order rule satisfied when the keys allow it,
                    // so the signature itself is what gets checked.
                    sigs.sort_by_key(canonical::encode);
                    doc.insert("sigs", Value::Array(sigs));
                }
            });
        }
        Edit::ReverseSigs => edit_line(&mut lines[at], |_, doc| {
            if let Some(Value::Array(mut sigs)) = doc.remove("sigs") {
                sigs.reverse();
                doc.insert("sigs", Value::Array(sigs));
            }
        }),
        Edit::SetDate(n) => {
            let d = commonstock::date::Date::parse("2025-01-01").unwrap();
            let d = commonstock::date::Date::from_days(d.to_days() + i64::from(n % 400)).unwrap();
            edit_line(&mut lines[at], |_, doc| {
                doc.insert("date", Value::from(d.to_string()));
            });
        }
        Edit::SetKind(k) => {
            let kind = Kind::ALL[usize::from(k) % Kind::ALL.len()];
            edit_line(&mut lines[at], |_, doc| {
                doc.insert("kind", Value::from(kind.name()));
            });
        }
        Edit::SetBody(name, value) => edit_line(&mut lines[at], |_, doc| {
            if let Some(Value::Object(mut body)) = doc.remove("body") {
                body.insert(name, Value::Int(value));
                doc.insert("body", Value::Object(body));
            }
        }),
        Edit::CopyCommune(n) => {
            let Some(c) = doc_member(&other(n), "commune") else {
                return;
            };
            edit_line(&mut lines[at], |_, doc| {
                doc.insert("commune", c);
            });
        }
        Edit::SetSeq(s) => edit_line(&mut lines[at], |entry, _| {
            entry.insert("seq", Value::Int(s));
        }),
    }
}

fn relink(lines: &mut [Vec<u8>]) {
    let mut prev = Hash([0; 32]);
    for (i, line) in lines.iter_mut().enumerate() {
        if let Ok(Value::Object(mut entry)) = canonical::parse(line) {
            entry.insert("seq", Value::Int(i as i64));
            entry.insert("prev", Value::from(b64::encode(&prev.0)));
            *line = canonical::encode(&Value::Object(entry));
        }
        prev = hash::entry(line);
    }
}

fuzz_target!(|input: Input| {
    let st = state();
    let mut lines: Vec<Vec<u8>> = st.fx.main.lines().to_vec();
    for op in input.ops.into_iter().take(16) {
        let len = lines.len();
        match op {
            Op::Drop(i) => {
                if let Some(i) = pick(i, len) {
                    lines.remove(i);
                }
            }
            Op::Dup { from, to } => {
                if let Some(f) = pick(from, len) {
                    let l = lines[f].clone();
                    lines.insert(usize::from(to) % (len + 1), l);
                }
            }
            Op::Swap(a, b) => {
                if let (Some(a), Some(b)) = (pick(a, len), pick(b, len)) {
                    lines.swap(a, b);
                }
            }
            Op::Splice { source, from, to } => {
                let src = match source {
                    Source::Fork => st.fx.fork.lines(),
                    Source::Foreign => st.fx.foreign.lines(),
                };
                let l = src[usize::from(from) % src.len()].clone();
                lines.insert(usize::from(to) % (len + 1), l);
            }
            Op::SetByte { line, pos, byte } => {
                if let Some(l) = pick(line, len)
                    && !lines[l].is_empty()
                {
                    let p = usize::from(pos) % lines[l].len();
                    lines[l][p] = byte;
                }
            }
            Op::Insert { line, pos, bytes } => {
                if let Some(l) = pick(line, len) {
                    let p = usize::from(pos) % (lines[l].len() + 1);
                    lines[l].splice(p..p, bytes.into_iter().take(64));
                }
            }
            Op::Delete { line, pos, len: n } => {
                if let Some(l) = pick(line, len) {
                    let ll = lines[l].len();
                    let p = usize::from(pos) % (ll + 1);
                    let e = (p + usize::from(n)).min(ll);
                    lines[l].drain(p..e);
                }
            }
            Op::Edit { line, edit } => {
                if let Some(l) = pick(line, len) {
                    apply_edit(&mut lines, l, edit);
                }
            }
            Op::Relink => relink(&mut lines),
        }
    }
    let mut bytes = Vec::new();
    for l in &lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    if let Some(t) = input.truncate {
        bytes.truncate(usize::from(t) % (bytes.len() + 1));
    }
    let report = audit::audit(&bytes[..], &Options::default()).expect("no I/O error from a slice");
    check_report(&bytes, &report);
    if report.is_valid() {
        check_no_forgery(&bytes, &st.known);
    }
});
