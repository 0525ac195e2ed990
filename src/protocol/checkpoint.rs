//! Checkpoints and fork proofs (spec/07-checkpoints.md).
//!
//! A checkpoint is a signed statement "the chain of commune C has `size`
//! entries and its last entry hashes to `head`". Members cosign it, so a
//! commune cannot later show one person a chain and another person a
//! different one without someone holding two signed checkpoints that
//! disagree. Two such checkpoints, with the entries that show where they
//! part, form a [`ForkProof`]: a portable file anyone can verify with no
//! access to either chain.

use std::fmt;

use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain::{self, Entry};
use crate::protocol::document::{self, Signature};
use crate::protocol::hash::Hash;
use crate::protocol::rule::Rule;
use crate::protocol::sig;

/// The ASCII tag that starts every checkpoint signing message.
pub const SIGNATURE_TAG: &[u8] = b"commonstock v1 checkpoint signature";

/// The checkpoint members, in canonical order.
/// The version checkpoints and fork proofs carry: protocol version 2 left
/// their format as version 1 defined it (spec/README.md).
pub const VERSION: i64 = 1;

const MEMBERS: [&str; 5] = ["commune", "head", "sigs", "size", "v"];
const PROOF_MEMBERS: [&str; 6] = ["a", "b", "entries_a", "entries_b", "position", "v"];

/// A checkpoint that breaks a rule: rule, member at fault, what was found.
pub type Error = document::Error;

/// A signed statement of a chain's size and head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub commune: Hash,
    pub size: u64,
    pub head: Hash,
    /// Sorted strictly ascending by key (CKP-2).
    pub sigs: Vec<Signature>,
}

/// The bytes a cosigner signs: `TAG || 0x00 || commune || size (u64
/// big-endian) || head`.
pub fn signing_message(commune: &Hash, size: u64, head: &Hash) -> [u8; 108] {
    const T: usize = SIGNATURE_TAG.len();
    const _: () = assert!(T + 1 + 32 + 8 + 32 == 108);
    let mut m = [0u8; 108];
    m[..T].copy_from_slice(SIGNATURE_TAG);
    m[T + 1..T + 33].copy_from_slice(&commune.0);
    m[T + 33..T + 41].copy_from_slice(&size.to_be_bytes());
    m[T + 41..].copy_from_slice(&head.0);
    m
}

impl Checkpoint {
    /// An unsigned checkpoint.
    pub fn new(commune: Hash, size: u64, head: Hash) -> Self {
        Checkpoint {
            commune,
            size,
            head,
            sigs: Vec::new(),
        }
    }

    /// Parses a checkpoint file: one canonical JSON line with its LF.
    pub fn parse(bytes: &[u8]) -> Result<Checkpoint, Error> {
        let line = bytes.strip_suffix(b"\n").ok_or_else(|| {
            Error::new(
                Rule::Enc2,
                "",
                "a checkpoint file is one line ending with LF",
            )
        })?;
        let v = canonical::parse_canonical(line)
            .map_err(|e| Error::new(e.rule, "", format!("at byte {}: {}", e.offset, e.detail)))?;
        Checkpoint::from_value(&v, "")
    }

    /// Reads a checkpoint from a JSON value (CKP-1, ENC-9, LIM-3, CKP-2).
    pub fn from_value(v: &Value, path: &str) -> Result<Checkpoint, Error> {
        let at = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        let obj = v
            .as_object()
            .ok_or_else(|| document::type_error(Rule::Ckp1, path, "object", v))?;
        document::exact_members(obj, &MEMBERS, Rule::Ckp1, path)?;
        let get = |k: &str| obj.get(k).unwrap();
        for (k, want) in [
            ("commune", "string"),
            ("head", "string"),
            ("sigs", "array"),
            ("size", "integer"),
            ("v", "integer"),
        ] {
            if get(k).type_name() != want {
                return Err(document::type_error(Rule::Ckp1, &at(k), want, get(k)));
            }
        }
        if get("v").as_i64() != Some(VERSION) {
            return Err(Error::new(Rule::Ckp1, at("v"), "version must be 1"));
        }
        let size = get("size").as_i64().unwrap();
        if size < 1 {
            return Err(Error::new(
                Rule::Ckp1,
                at("size"),
                format!("size {size}, at least 1"),
            ));
        }
        let commune = Hash(document::binary::<32>(
            get("commune"),
            &at("commune"),
            Rule::Ckp1,
        )?);
        let head = Hash(document::binary::<32>(
            get("head"),
            &at("head"),
            Rule::Ckp1,
        )?);
        let sigs = document::signatures(get("sigs"), &at("sigs"), Rule::Ckp1, Rule::Ckp2)?;
        Ok(Checkpoint {
            commune,
            size: size as u64,
            head,
            sigs,
        })
    }

    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("commune", Value::from(self.commune.to_b64()));
        o.insert("head", Value::from(self.head.to_b64()));
        o.insert("sigs", document::signatures_value(&self.sigs));
        o.insert("size", Value::Int(self.size as i64));
        o.insert("v", Value::Int(VERSION));
        Value::Object(o)
    }

    /// The checkpoint file's bytes: its canonical line and LF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = canonical::encode(&self.to_value());
        b.push(b'\n');
        b
    }

    pub fn signing_message(&self) -> [u8; 108] {
        signing_message(&self.commune, self.size, &self.head)
    }

    /// Adds the signature of `key`; refuses a second one by the same key.
    pub fn sign(&mut self, key: &sig::SecretKey) -> Result<(), Error> {
        let s = Signature {
            key: key.public_key(),
            sig: key.sign(&self.signing_message()),
        };
        self.add_signature(s)
    }

    pub fn add_signature(&mut self, s: Signature) -> Result<(), Error> {
        document::insert_signature(&mut self.sigs, s)
            .map_err(|_| Error::new(Rule::Ckp2, "sigs", "this key has already signed"))
    }

    /// Verifies every signature; the first failure, by position in `sigs`.
    pub fn verify_signatures(&self) -> Result<(), Error> {
        let verdicts = document::verify_all(&self.sigs, &self.signing_message());
        for (i, r) in verdicts.into_iter().enumerate() {
            if let Err(e) = r {
                return Err(Error::new(e.rule(), format!("sigs[{i}]"), e.to_string()));
            }
        }
        Ok(())
    }
}

/// How a checkpoint disagrees with a chain (CKP-3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The checkpoint is for another commune.
    Commune { chain: Hash },
    /// The chain is shorter than the checkpoint: entries were withheld.
    Shorter { chain_size: u64 },
    /// The chain's entry at `size − 1` hashes to something else: a fork.
    Head { chain_head: Hash },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Commune { chain } => {
                write!(f, "the checkpoint is for another commune than {chain}")
            }
            Mismatch::Shorter { chain_size } => {
                write!(
                    f,
                    "the chain has {chain_size} entries, fewer than the checkpoint's size"
                )
            }
            Mismatch::Head { chain_head } => write!(
                f,
                "the chain's entry at that size hashes to {chain_head}: a fork"
            ),
        }
    }
}

/// A portable proof that two signed checkpoints of one commune cannot both
/// describe the same chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkProof {
    pub a: Checkpoint,
    pub b: Checkpoint,
    /// The first position where the two chains differ (shown by the runs).
    pub position: u64,
    /// Entry lines at positions `position ..= a.size − 1` of A's chain.
    pub entries_a: Vec<Vec<u8>>,
    /// Entry lines at positions `position ..= b.size − 1` of B's chain.
    pub entries_b: Vec<Vec<u8>>,
}

impl ForkProof {
    /// Parses a fork-proof file: one canonical JSON line with its LF.
    pub fn parse(bytes: &[u8]) -> Result<ForkProof, Error> {
        let line = bytes.strip_suffix(b"\n").ok_or_else(|| {
            Error::new(
                Rule::Enc2,
                "",
                "a fork proof file is one line ending with LF",
            )
        })?;
        let v = canonical::parse_canonical(line)
            .map_err(|e| Error::new(e.rule, "", format!("at byte {}: {}", e.offset, e.detail)))?;
        let obj = v
            .as_object()
            .ok_or_else(|| document::type_error(Rule::Frk1, "", "object", &v))?;
        document::exact_members(obj, &PROOF_MEMBERS, Rule::Frk1, "")?;
        if obj.get("v").and_then(Value::as_i64) != Some(VERSION) {
            return Err(Error::new(Rule::Frk1, "v", "version must be 1"));
        }
        let position = obj
            .get("position")
            .and_then(Value::as_i64)
            .and_then(|p| u64::try_from(p).ok())
            .ok_or_else(|| Error::new(Rule::Frk1, "position", "expected a non-negative integer"))?;
        let a = Checkpoint::from_value(obj.get("a").unwrap(), "a")?;
        let b = Checkpoint::from_value(obj.get("b").unwrap(), "b")?;
        let run = |k: &str| -> Result<Vec<Vec<u8>>, Error> {
            let v = obj.get(k).unwrap();
            let arr = v
                .as_array()
                .ok_or_else(|| document::type_error(Rule::Frk1, k, "array", v))?;
            arr.iter()
                .enumerate()
                .map(|(i, e)| match e {
                    Value::Object(_) => Ok(canonical::encode(e)),
                    _ => Err(document::type_error(
                        Rule::Frk1,
                        &format!("{k}[{i}]"),
                        "object",
                        e,
                    )),
                })
                .collect()
        };
        Ok(ForkProof {
            a,
            b,
            position,
            entries_a: run("entries_a")?,
            entries_b: run("entries_b")?,
        })
    }

    /// The proof file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let run = |lines: &[Vec<u8>]| -> Result<Value, Error> {
            lines
                .iter()
                .map(|l| canonical::parse(l).map_err(|e| Error::new(e.rule, "entries", e.detail)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        };
        let mut o = Object::new();
        o.insert("a", self.a.to_value());
        o.insert("b", self.b.to_value());
        o.insert("entries_a", run(&self.entries_a)?);
        o.insert("entries_b", run(&self.entries_b)?);
        o.insert("position", Value::Int(self.position as i64));
        o.insert("v", Value::Int(VERSION));
        let mut b = canonical::encode(&Value::Object(o));
        b.push(b'\n');
        Ok(b)
    }

    /// Checks the proof (spec 7.4): both checkpoints well-formed and validly
    /// signed, of one commune, and either equal in size with different heads
    /// and no runs, or each run linking from `position` to its checkpoint's
    /// head with different entries at `position`.
    pub fn verify(&self) -> Result<(), Error> {
        self.a.verify_signatures().map_err(|e| prefix(e, "a"))?;
        self.b.verify_signatures().map_err(|e| prefix(e, "b"))?;
        if self.a.commune != self.b.commune {
            return Err(Error::new(
                Rule::Frk2,
                "b.commune",
                "the checkpoints are of two communes",
            ));
        }
        if self.entries_a.is_empty() && self.entries_b.is_empty() {
            if self.a.size != self.b.size {
                return Err(Error::new(
                    Rule::Frk2,
                    "entries_a",
                    "checkpoints of different sizes need entries",
                ));
            }
            if self.a.head == self.b.head {
                return Err(Error::new(Rule::Frk2, "b.head", "the checkpoints agree"));
            }
            return Ok(());
        }
        let at_a = run_hash(&self.a, self.position, &self.entries_a, "entries_a")?;
        let at_b = run_hash(&self.b, self.position, &self.entries_b, "entries_b")?;
        if at_a == at_b {
            return Err(Error::new(
                Rule::Frk2,
                "position",
                "the two chains agree at this position",
            ));
        }
        Ok(())
    }
}

fn prefix(mut e: Error, p: &str) -> Error {
    e.field = format!("{p}.{}", e.field);
    e
}

/// Checks that `lines` are the entries at `position ..= cp.size − 1`, linked,
/// ending at `cp.head`; returns the hash of the entry at `position`.
fn run_hash(cp: &Checkpoint, position: u64, lines: &[Vec<u8>], field: &str) -> Result<Hash, Error> {
    let want = cp.size.checked_sub(position).filter(|&n| n > 0);
    if want != Some(lines.len() as u64) {
        return Err(Error::new(
            Rule::Frk2,
            field,
            format!(
                "{} entries, expected those from position {position} to size {}",
                lines.len(),
                cp.size
            ),
        ));
    }
    let mut first = None;
    let mut prev: Option<Hash> = None;
    for (i, line) in lines.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let e: Entry = chain::parse_entry(line).map_err(|e| prefix(e, &at))?;
        if e.seq != position + i as u64 {
            return Err(Error::new(
                Rule::Frk2,
                format!("{at}.seq"),
                "entries out of sequence",
            ));
        }
        if e.doc.commune != cp.commune {
            return Err(Error::new(
                Rule::Frk2,
                format!("{at}.doc.commune"),
                "entry of another commune",
            ));
        }
        if let Some(p) = prev
            && e.prev != p
        {
            return Err(Error::new(
                Rule::Frk2,
                format!("{at}.prev"),
                "entries do not link",
            ));
        }
        first.get_or_insert(e.hash);
        prev = Some(e.hash);
    }
    if prev != Some(cp.head) {
        return Err(Error::new(
            Rule::Frk2,
            field,
            "the last entry does not hash to the checkpoint's head",
        ));
    }
    Ok(first.expect("run is non-empty"))
}
