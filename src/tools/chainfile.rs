//! The chain file on disk: starting it from a charter and appending a
//! document to it, atomically and under a lock (spec/06-chain.md; the
//! file's framing is spec/02-encoding.md §2.2).
//!
//! **Checks.** A document is appended only when [`review::check`] finds it
//! complete against the chain as it is *under the lock*: every rule of the
//! spec holds for the new entry. A batch ([`append_all`]) is checked in
//! order, each document against the state the ones before it leave, and is
//! written whole or not at all. The chain is read through the cache of
//! saved audit states when one is given ([`cache`]), so a long chain costs
//! in proportion to what was added since it was last read.
//!
//! **Atomicity.** The chain on disk is always either the old file or the
//! new one, whatever happens: the new chain (the old bytes, then the new
//! line) is written to a temporary file in the same directory, fsynced, and
//! renamed over the chain (an atomic replacement on POSIX file systems);
//! then the directory is fsynced so the rename itself is durable. A process
//! killed at any point, or a full disk, leaves at most a stray temporary
//! file (`.NAME.tmp.PID`), which the next append removes. The old file is
//! never written in place.
//!
//! **Locking.** Appends to one chain are serialised by an exclusive
//! advisory lock (`flock`) on a companion file `NAME.lock`, held from
//! before the chain is read until after the rename. The kernel releases the
//! lock when its holder dies, so a crash never leaves a stale lock; the lock
//! file itself stays (removing it would let two processes lock two
//! different files). Readers need no lock: they see the old or the new file.
//!
//! **Fault injection.** For the tests, the environment variable
//! [`FAULT_ENV`] set to `append:STEP` aborts the process at that step (see
//! [`STEPS`]), and `append:enospc` makes the write fail half-way with "no
//! space left on device". Every other file the CLI writes has two sites of
//! its own: `write:partial` / `write:enospc` for document and checkpoint
//! files ([`replace_file`]), `key:partial` / `key:enospc` for secret keys
//! (`keyfile`). Unset, it does nothing.

// A commune finding is 128 bytes; as in `commune`, it is the rare path and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::audit::Progress;
use crate::commune::Finding;
use crate::protocol::chain::Entry;
use crate::protocol::document::Document;
use crate::protocol::hash::{self, Hash};
use crate::tools::cache::{self, Cache};
use crate::tools::review::{self, Chain, Sequence, Standing};

pub use crate::atomic::{FAULT_ENV, replace_file};
use crate::atomic::{fault_set, sibling};

/// The steps of an append at which a fault can be injected, in order.
pub const STEPS: &[&str] = &[
    "locked",  // the lock is held, nothing written
    "partial", // half of the new chain is in the temporary file
    "written", // the whole new chain is in the temporary file, not synced
    "synced",  // the temporary file is on disk
    "renamed", // the chain is the new file; the directory is not synced
    "done",    // everything is durable; the lock is still held
];

/// Why a document was not appended.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing failed (the chain is unchanged).
    Io(PathBuf, io::Error),
    /// `--new` on a chain that exists.
    Exists(PathBuf),
    /// No chain at the path (and not `--new`).
    Missing(PathBuf),
    /// The document can never be valid at the end of this chain.
    Refused(Finding),
    /// The document is sound but not fully signed yet.
    Incomplete(Finding),
    /// The chain file may not be written by this user (read-only, or its
    /// owner could not be kept).
    NotWritable(PathBuf, String),
    /// In a batch: the 0-based index of the document that stops it, and why
    /// (nothing was appended).
    At(usize, Box<Error>),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(p, e) => write!(
                f,
                "{}: {e}; the chain is unchanged{}",
                p.display(),
                if e.raw_os_error() == Some(28) {
                    " (free some space and try again)"
                } else {
                    ""
                }
            ),
            Error::Exists(p) => write!(
                f,
                "{} already exists; a new chain is started only once (append without --new)",
                p.display()
            ),
            Error::Missing(p) => write!(
                f,
                "{} does not exist; start a chain with `commonstock append --new {} CHARTER`",
                p.display(),
                p.display()
            ),
            Error::Refused(x) => write!(f, "refused: {x}"),
            Error::Incomplete(x) => write!(
                f,
                "not fully signed yet: {x}; gather the missing signatures with `commonstock sign`"
            ),
            Error::NotWritable(p, why) => {
                write!(
                    f,
                    "{} cannot be appended to: {why}; the chain is unchanged",
                    p.display()
                )
            }
            Error::At(i, e) => write!(f, "document {}: {e}; nothing was appended", i + 1),
        }
    }
}

impl std::error::Error for Error {}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    /// The new head: the new entry's hash.
    pub head: Hash,
    pub doc_hash: Hash,
    /// The entry as `log` shows it.
    pub summary: String,
}

/// The fault hook: aborts at `step` when asked to (see the module doc).
fn step(step: &str) {
    if fault_set(&format!("append:{step}")) {
        std::process::abort();
    }
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// How an append reads the chain under its lock: through a cache of saved
/// audit states ([`cache`]), and telling how far the audit has got.
#[derive(Default)]
pub struct Reading {
    pub cache: Option<Cache>,
    pub progress: Option<Box<dyn FnMut(Progress)>>,
}

/// What a batch append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Each document's entry, in order.
    pub appended: Vec<Appended>,
    /// What the cache had to say (see [`cache::Loaded::notes`]).
    pub notes: Vec<String>,
}

/// Appends `doc` to the chain at `path`, or with `new` starts the chain with
/// it (a charter). See the module doc for the guarantees.
pub fn append(path: &Path, doc: &Document, new: bool) -> Result<Appended, Error> {
    match append_all(path, std::slice::from_ref(doc), new, Reading::default()) {
        Ok(mut b) => Ok(b.appended.remove(0)),
        Err(Error::At(_, e)) => Err(*e),
        Err(e) => Err(e),
    }
}

/// Appends `docs` in order, in one step: each is checked against the state
/// the chain and the documents before it leave, and either every one is
/// complete and they are all written with one atomic replacement of the
/// chain, or none is written and the error names the first that is not
/// ([`Error::At`]). With `new` the first must be the charter that starts
/// the chain. See the module doc for the guarantees.
pub fn append_all(
    path: &Path,
    docs: &[Document],
    new: bool,
    reading: Reading,
) -> Result<Batch, Error> {
    let io = |e| Error::Io(path.to_path_buf(), e);
    let at = |i: usize, e: Error| Error::At(i, Box::new(e));
    let lock_path = sibling(path, ".lock", false);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::Io(lock_path.clone(), e))?;
    // Blocks until every other append to this chain is done.
    lock.lock().map_err(|e| Error::Io(lock_path.clone(), e))?;
    step("locked");
    // The chain as it is under the lock: an append replaces the file (a new
    // inode), so this one stays as it is while it is read and copied.
    let mut old = match File::open(path) {
        Ok(_) if new => return Err(Error::Exists(path.to_path_buf())),
        Ok(f) => {
            let n = f.metadata().map_err(io)?.len();
            Some((f, n))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound && new => None,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::Missing(path.to_path_buf()));
        }
        Err(e) => return Err(io(e)),
    };
    if old.is_some() {
        writable(path)?;
    }
    let mut notes = Vec::new();
    let mut lines = Vec::new();
    let mut appended = Vec::with_capacity(docs.len());
    let (chain, rest) = match &mut old {
        Some((file, _)) => {
            let loaded = cache::load_from(&mut *file, reading.cache.as_ref(), reading.progress)
                .map_err(io)?;
            notes = loaded.notes;
            (loaded.chain, docs)
        }
        None => {
            let Some(charter) = docs.first() else {
                return Ok(Batch { appended, notes });
            };
            match review::check(None, charter) {
                Ok(Standing::Complete) => {}
                Ok(Standing::Incomplete(f)) => return Err(at(0, Error::Incomplete(f))),
                Err(f) => return Err(at(0, Error::Refused(f))),
            }
            let mut line = Entry::line(0, &Hash::ZERO, charter);
            let head = hash::entry(&line);
            line.push(b'\n');
            appended.push(Appended {
                seq: 0,
                head,
                doc_hash: charter.hash(),
                summary: review::summary(charter, None),
            });
            let chain = Chain::read(&line).map_err(io)?;
            lines = line;
            (chain, &docs[1..])
        }
    };
    let offset = docs.len() - rest.len();
    if !rest.is_empty() {
        let mut seq = Sequence::new(&chain).map_err(Error::Refused)?;
        for (i, doc) in rest.iter().enumerate() {
            match seq.check(doc) {
                Ok(Standing::Complete) => {}
                Ok(Standing::Incomplete(f)) => return Err(at(offset + i, Error::Incomplete(f))),
                Err(f) => return Err(at(offset + i, Error::Refused(f))),
            }
        }
    }
    let (mut seq, mut prev) = (chain.len, chain.head);
    for doc in rest {
        let mut line = Entry::line(seq, &prev, doc);
        let head = hash::entry(&line);
        line.push(b'\n');
        lines.extend_from_slice(&line);
        appended.push(Appended {
            seq,
            head,
            doc_hash: doc.hash(),
            summary: review::summary(doc, Some(&chain.state)),
        });
        (seq, prev) = (seq + 1, head);
    }
    drop(chain);
    if appended.is_empty() {
        return Ok(Batch { appended, notes });
    }
    remove_stale_temporaries(path);
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()), true);
    let result = write_new_chain(&tmp, path, old.as_mut().map(|(f, n)| (f, *n)), &lines);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)?;
    step("done");
    drop(lock);
    Ok(Batch { appended, notes })
}

/// Refuses a chain this user may not write: one with no write permission
/// at all (which `root` could otherwise replace), or one the system does
/// not let this user open for writing. The chain is replaced by a rename,
/// which needs only the directory's permission, so this is checked first.
fn writable(path: &Path) -> Result<(), Error> {
    let no = |why: String| Err(Error::NotWritable(path.to_path_buf(), why));
    let m = fs::metadata(path).map_err(|e| Error::Io(path.to_path_buf(), e))?;
    if m.permissions().readonly() {
        return no("it is read-only (no write permission for anyone); make it writable first if the chain should grow".into());
    }
    if let Err(e) = OpenOptions::new().append(true).open(path) {
        return no(format!("you may not write it ({e})"));
    }
    Ok(())
}

/// Gives the new file the old one's mode and owner (owner and group on
/// Unix), so an append changes only the content. If the owner cannot be
/// kept (another user's chain that this user may write), the append is
/// refused rather than silently taking the file over.
fn keep_mode_and_owner(f: &File, path: &Path) -> io::Result<()> {
    let Ok(m) = fs::metadata(path) else {
        return Ok(());
    };
    f.set_permissions(m.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let now = f.metadata()?;
        if (now.uid(), now.gid()) != (m.uid(), m.gid()) {
            std::os::unix::fs::fchown(f, Some(m.uid()), Some(m.gid())).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "its owner (uid {}, gid {}) cannot be kept ({e}); append as that user",
                        m.uid(),
                        m.gid()
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// Writes the old chain (`old_len` bytes read from `old`, copied a block at
/// a time, never held whole) and the new lines to `tmp`, then renames it
/// over the chain.
fn write_new_chain(
    tmp: &Path,
    path: &Path,
    old: Option<(&mut File, u64)>,
    line: &[u8],
) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    keep_mode_and_owner(&f, path)?;
    let old_len = old.as_ref().map_or(0, |(_, n)| *n);
    let total = old_len as usize + line.len();
    let half = total / 2;
    let mut written = 0;
    let mut put = |f: &mut File, chunk: &[u8]| -> io::Result<()> {
        if written + chunk.len() > half && written <= half {
            let cut = half - written;
            f.write_all(&chunk[..cut])?;
            written += cut;
            if fault_set("append:enospc") {
                // What a full disk does to a write: part of it lands.
                return Err(io::Error::from_raw_os_error(28));
            }
            step("partial");
            f.write_all(&chunk[cut..])?;
            written += chunk.len() - cut;
        } else {
            f.write_all(chunk)?;
            written += chunk.len();
        }
        Ok(())
    };
    if let Some((old, n)) = old {
        old.seek(SeekFrom::Start(0))?;
        let mut buf = vec![0; 1 << 16];
        let mut left = n;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            old.read_exact(&mut buf[..want])?;
            put(&mut f, &buf[..want])?;
            left -= want as u64;
        }
    }
    for chunk in line.chunks(1 << 16) {
        put(&mut f, chunk)?;
    }
    step("written");
    f.sync_all()?;
    drop(f);
    step("synced");
    fs::rename(tmp, path)?;
    step("renamed");
    File::open(dir_of(path))?.sync_all()
}

/// Removes temporary files left by appends that were killed; called under
/// the lock, so none of them belongs to a live append.
fn remove_stale_temporaries(path: &Path) {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.tmp.");
    if let Ok(entries) = fs::read_dir(dir_of(path)) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}
