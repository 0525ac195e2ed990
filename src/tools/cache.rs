//! The cache of saved audit states: what lets `due`, `draft`, `show`,
//! `sign` and `append` read a long chain in time proportional to what was
//! added since the last time, instead of auditing it in full each time
//! (the incremental audit of spec/09-audit.md §9.5).
//!
//! **Where.** One directory per commune, named by its commune id, under
//! [`Cache::from_env`]'s directory: `$COMMONSTOCK_CACHE` if set (empty or
//! `off`: no cache), else `$XDG_CACHE_HOME/commonstock`, else
//! `$HOME/.cache/commonstock`. Directories are created private (mode 0700):
//! a cached state is trusted input, like a state file given to
//! `audit --resume`.
//!
//! **What.** Each file, `ENTRIES-HEAD.state` (the number of entries it
//! covers and the entry hash of the last of them), is a wrapper followed by
//! a state file exactly as [`statefile::encode`] writes it:
//!
//! | bytes | what |
//! |---|---|
//! | 24 | magic, [`MAGIC`] |
//! | 4 | wrapper version ([`VERSION`]), little-endian |
//! | 8 | *n*: the length in bytes of the chain prefix the state covers (its lines and their LFs), little-endian |
//! | 32 | `BLAKE3-derive_key(`[`PREFIX_CONTEXT`]`, the prefix's n bytes)` |
//! | 32 | `BLAKE3-derive_key(`[`CHECKSUM_CONTEXT`]`, the 68 bytes above)` |
//! | … | the state file (with its own header and checksum) |
//!
//! **Never trusted blindly.** A cached state is used for a chain only if
//! the chain's first *n* bytes hash to the wrapper's digest, end with an
//! LF, and their last line hashes to the state's head: the prefix is then
//! byte for byte the one that was audited (up to a BLAKE3 collision), which
//! is what §9.5 requires of a resumed audit. That check reads the prefix
//! once at BLAKE3's full speed (many chunks at a time) rather than hashing
//! it line by line; the state file's checksum and consistency checks then
//! apply as for `--resume`. A file that is of another format, corrupt, of
//! another commune or for another prefix is ignored and the chain audited
//! in full (a corrupt one is removed); when the prefix it names differs from
//! the chain's, the caller is told ([`Loaded::notes`]): the chain's history
//! changed since it was cached.
//!
//! **When a state is saved.** After a full audit, and after a resumed one
//! whose new part is more than 1/64 of the prefix (so reading the chain
//! costs at most that much more than it would right after a save, and a
//! command does not pay for writing the state after every append). The
//! state the audit resumed from is then removed (the new one extends it),
//! and at most [`KEEP`] states are kept per commune (the longest). Writes
//! are a temporary file renamed into place, not fsynced: a torn file fails
//! its checksum and is rebuilt.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::audit::{self, Progress, statefile};
use crate::protocol::chain;
use crate::protocol::hash::{self, Hash};
use crate::tools::review::Chain;

/// The first bytes of every cache file.
pub const MAGIC: &[u8; 24] = b"commonstock state cache\n";
/// The wrapper's version (the state file inside has its own).
pub const VERSION: u32 = 1;
/// The BLAKE3 key-derivation context of the prefix digest.
pub const PREFIX_CONTEXT: &str = "commonstock cache prefix";
/// The BLAKE3 key-derivation context of the wrapper's checksum.
pub const CHECKSUM_CONTEXT: &str = "commonstock cache checksum";
/// The most states kept per commune.
pub const KEEP: usize = 4;

const WRAP_LEN: usize = 24 + 4 + 8 + 32 + 32;

/// Where cached states are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The cache the environment names (see the module doc), if any.
    pub fn from_env() -> Option<Cache> {
        let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty());
        if let Some(v) = std::env::var_os("COMMONSTOCK_CACHE") {
            return (!v.is_empty() && v != "off").then(|| Cache::at(v));
        }
        if let Some(x) = var("XDG_CACHE_HOME").filter(|x| Path::new(x).is_absolute()) {
            return Some(Cache::at(Path::new(&x).join("commonstock")));
        }
        var("HOME").map(|h| Cache::at(Path::new(&h).join(".cache").join("commonstock")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of one commune's states.
    pub fn commune_dir(&self, commune: &Hash) -> PathBuf {
        self.dir.join(commune.to_b64())
    }
}

/// A chain read through the cache.
#[derive(Debug)]
pub struct Loaded {
    pub chain: Chain,
    /// Entries covered by the cached state the audit resumed from (0: it
    /// audited the chain in full).
    pub resumed: u64,
    /// Whether a state for the chain as it is now was saved in the cache.
    pub saved: bool,
    /// What people should know: a cached state ignored because the chain's
    /// prefix changed, or the cache could not be written.
    pub notes: Vec<String>,
    /// Where the time went, for the benchmark: each phase and its
    /// microseconds, in order.
    pub phases: Vec<(&'static str, u128)>,
}

/// A cache file's wrapper and the state file header it holds.
#[derive(Clone, Debug)]
struct Candidate {
    path: PathBuf,
    prefix_len: u64,
    digest: [u8; 32],
    header: statefile::Header,
}

/// The digest of a prefix (see the module doc).
pub fn prefix_digest(bytes: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key(PREFIX_CONTEXT)
        .update(bytes)
        .finalize()
        .as_bytes()
}

fn wrapper_checksum(wrapper: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key(CHECKSUM_CONTEXT)
        .update(wrapper)
        .finalize()
        .as_bytes()
}

/// The bytes of a cache file: the wrapper for a prefix of `prefix_len`
/// bytes with `digest`, then the state file.
pub fn encode(prefix_len: u64, digest: &[u8; 32], saved: &audit::Saved) -> Vec<u8> {
    let state = statefile::encode(saved);
    let mut out = Vec::with_capacity(WRAP_LEN + state.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&prefix_len.to_le_bytes());
    out.extend_from_slice(digest);
    let sum = wrapper_checksum(&out);
    out.extend_from_slice(&sum);
    out.extend_from_slice(&state);
    out
}

/// Why a cache file is not read.
#[derive(Debug)]
enum Unusable {
    /// Not a cache file of this version, or damaged: removed.
    Corrupt(String),
    /// Could not be read (perhaps removed meanwhile, or replaced while
    /// being read).
    Io,
}

/// The wrapper and state header at the start of a cache file.
fn peek(first: &[u8], path: &Path) -> Result<Candidate, Unusable> {
    if first.len() < WRAP_LEN || &first[..24] != MAGIC {
        return Err(Unusable::Corrupt(
            "not a commonstock state cache file".into(),
        ));
    }
    let version = u32::from_le_bytes(first[24..28].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(Unusable::Corrupt(format!("cache format version {version}")));
    }
    if wrapper_checksum(&first[..68]) != first[68..100] {
        return Err(Unusable::Corrupt("checksum mismatch".into()));
    }
    let header =
        statefile::peek(&first[WRAP_LEN..]).map_err(|e| Unusable::Corrupt(e.to_string()))?;
    Ok(Candidate {
        path: path.to_path_buf(),
        prefix_len: u64::from_le_bytes(first[28..36].try_into().expect("8 bytes")),
        digest: first[36..68].try_into().expect("32 bytes"),
        header,
    })
}

fn read_start(path: &Path) -> Result<Vec<u8>, Unusable> {
    let mut first = Vec::with_capacity(WRAP_LEN + statefile::PEEK_LEN);
    File::open(path)
        .and_then(|f| {
            f.take((WRAP_LEN + statefile::PEEK_LEN) as u64)
                .read_to_end(&mut first)
        })
        .map_err(|_| Unusable::Io)?;
    Ok(first)
}

/// The whole state in a cache file, checked as `audit --resume` checks a
/// state file, and that it is still the file `c` describes.
fn read_state(c: &Candidate) -> Result<audit::Saved, Unusable> {
    let bytes = fs::read(&c.path).map_err(|_| Unusable::Io)?;
    let again = peek(&bytes, &c.path)?;
    if (again.prefix_len, again.digest, again.header) != (c.prefix_len, c.digest, c.header) {
        return Err(Unusable::Io);
    }
    statefile::decode(&bytes[WRAP_LEN..]).map_err(|e| Unusable::Corrupt(e.to_string()))
}

/// Bytes read at a time from the chain.
const CHUNK: usize = 1 << 20;

/// The commune id the chain's genesis line names, if it can be read.
fn commune_of<R: Read + Seek>(src: &mut R) -> io::Result<Option<Hash>> {
    src.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            line.extend_from_slice(&buf[..i]);
            break;
        }
        line.extend_from_slice(&buf[..n]);
        if line.len() > chain::MAX_LINE {
            return Ok(None);
        }
    }
    let mut sigs = Vec::new();
    Ok(match chain::scan_entry(&line, &mut sigs) {
        Some(s) => Some(s.commune),
        None => chain::parse_entry(&line).ok().map(|e| e.doc.commune),
    })
}

/// Whether `c` may cover a prefix of the chain (`len` bytes), by what is
/// cheap to check: the prefix fits, ends a line, and its last line hashes to
/// the state's head. (The digest of the whole prefix is checked after.)
fn plausible<R: Read + Seek>(c: &Candidate, commune: &Hash, src: &mut R, len: u64) -> bool {
    let n = c.prefix_len;
    if c.header.commune != *commune || c.header.entries == 0 || n == 0 || n > len {
        return false;
    }
    // The last line of the prefix, read backwards from its LF.
    let mut line: Vec<u8> = Vec::new();
    let mut end = n;
    let mut first = true;
    loop {
        let start = end.saturating_sub(1 << 16);
        let mut buf = vec![0; (end - start) as usize];
        if src.seek(SeekFrom::Start(start)).is_err() || src.read_exact(&mut buf).is_err() {
            return false;
        }
        if first {
            if buf.pop() != Some(b'\n') {
                return false;
            }
            first = false;
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                buf.drain(..=i);
                buf.extend_from_slice(&line);
                line = buf;
                break;
            }
            None => {
                buf.extend_from_slice(&line);
                line = buf;
                if start == 0 {
                    break;
                }
                if line.len() > chain::MAX_LINE {
                    return false;
                }
                end = start;
            }
        }
    }
    hash::entry(&line) == c.header.head
}

/// Feeds `hasher` the first `n` bytes of `src`.
fn hash_prefix<R: Read + Seek>(src: &mut R, n: u64, hasher: &mut blake3::Hasher) -> io::Result<()> {
    src.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0; CHUNK];
    let mut left = n;
    while left > 0 {
        let want = left.min(CHUNK as u64) as usize;
        src.read_exact(&mut buf[..want])?;
        hasher.update(&buf[..want]);
        left -= want as u64;
    }
    Ok(())
}

/// A reader that hashes and counts what is read through it.
struct Hashing<'h, R> {
    inner: R,
    hasher: &'h mut blake3::Hasher,
    count: u64,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The cached states of `commune`, longest first; corrupt files are
/// removed.
fn candidates(dir: &Path) -> Vec<Candidate> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "state") {
            continue;
        }
        match read_start(&path).and_then(|first| peek(&first, &path)) {
            Ok(c) => out.push(c),
            Err(Unusable::Corrupt(_)) => {
                let _ = fs::remove_file(&path);
            }
            Err(Unusable::Io) => {}
        }
    }
    // Longest first; ties by name, so the choice never depends on the
    // directory's order.
    out.sort_by(|a, b| {
        (b.header.entries, b.prefix_len)
            .cmp(&(a.header.entries, a.prefix_len))
            .then_with(|| a.path.cmp(&b.path))
    });
    out
}

/// Reads the chain in `bytes` (a whole chain file): see [`load_from`].
pub fn load(
    bytes: &[u8],
    cache: Option<&Cache>,
    progress: Option<Box<dyn FnMut(Progress)>>,
) -> io::Result<Loaded> {
    load_from(io::Cursor::new(bytes), cache, progress)
}

/// Reads the chain file at `path` (streamed: it is never held in memory
/// whole): see [`load_from`].
pub fn load_file(
    path: &Path,
    cache: Option<&Cache>,
    progress: Option<Box<dyn FnMut(Progress)>>,
) -> io::Result<Loaded> {
    load_from(File::open(path)?, cache, progress)
}

/// Reads a chain: resuming from the longest cached state that covers a
/// prefix of it, else auditing it in full, and saving the state after it
/// when the module doc says so. `progress` is told how far the audit has
/// read, in bytes and lines of the whole chain (a resumed audit starts at
/// the end of the prefix). `Err` only for I/O failures reading the chain;
/// a cache that cannot be read or written only costs time (and a note).
pub fn load_from<R: Read + Seek>(
    mut src: R,
    cache: Option<&Cache>,
    progress: Option<Box<dyn FnMut(Progress)>>,
) -> io::Result<Loaded> {
    let mut notes = Vec::new();
    let mut phases = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut phase = |name: &'static str| {
        phases.push((name, clock.elapsed().as_micros()));
        clock = std::time::Instant::now();
    };
    let len = src.seek(SeekFrom::End(0))?;
    let commune = commune_of(&mut src)?;
    let dir = match (cache, &commune) {
        (Some(c), Some(id)) => Some(c.commune_dir(id)),
        _ => None,
    };
    // The longest plausible candidate whose prefix digest matches and whose
    // state reads, and the hasher that has read its prefix.
    let mut hit: Option<(Candidate, audit::Saved)> = None;
    let mut hasher = blake3::Hasher::new_derive_key(PREFIX_CONTEXT);
    if let (Some(dir), Some(commune)) = (&dir, &commune) {
        for c in candidates(dir) {
            if !plausible(&c, commune, &mut src, len) {
                continue;
            }
            // The state is decoded while the prefix is hashed.
            let (hashed, state) = std::thread::scope(|s| {
                let decoding = s.spawn(|| read_state(&c));
                let mut h = blake3::Hasher::new_derive_key(PREFIX_CONTEXT);
                let hashed = hash_prefix(&mut src, c.prefix_len, &mut h).map(|()| h);
                phase("hash the prefix");
                (
                    hashed,
                    decoding
                        .join()
                        .unwrap_or_else(|_| Err(Unusable::Corrupt("panicked".into()))),
                )
            });
            phase("read and decode the state (in parallel)");
            let h = hashed?;
            if *h.finalize().as_bytes() != c.digest {
                notes.push(format!(
                    "the cached audit state {} covers {} entries that differ from this chain's first {} (the chain's history changed since it was cached); ignored",
                    c.path.display(),
                    c.header.entries,
                    c.header.entries
                ));
                continue;
            }
            match state {
                Ok(saved) => {
                    hasher = h;
                    hit = Some((c, saved));
                    break;
                }
                Err(Unusable::Corrupt(why)) => {
                    notes.push(format!(
                        "the cached audit state {} is damaged ({why}); removed",
                        c.path.display()
                    ));
                    let _ = fs::remove_file(&c.path);
                }
                Err(Unusable::Io) => {}
            }
        }
    }
    let (prefix_len, resumed) = hit
        .as_ref()
        .map_or((0, 0), |(c, _)| (c.prefix_len, c.header.entries));
    let used = hit.as_ref().map(|(c, _)| c.path.clone());
    let tail_len = len - prefix_len;
    let save = dir.is_some() && (hit.is_none() || tail_len * 64 > prefix_len);
    // The audit counts the lines of the whole chain, the bytes of what it
    // reads: the bytes of the prefix are added.
    let progress = progress.map(|mut f| -> Box<dyn FnMut(Progress)> {
        Box::new(move |p: Progress| {
            f(Progress {
                bytes: p.bytes + prefix_len,
                lines: p.lines,
            })
        })
    });
    let run = audit::Run {
        after_prefix: hit.is_some(),
        resume: hit.map(|(_, s)| s),
        save,
        progress,
        ..audit::Run::default()
    };
    src.seek(SeekFrom::Start(prefix_len))?;
    let mut tail = io::BufReader::with_capacity(
        CHUNK,
        Hashing {
            inner: &mut src,
            hasher: &mut hasher,
            count: 0,
        },
    );
    let mut outcome = audit::run(&mut tail, &audit::Options::default(), run)?;
    let read = tail.get_ref().count;
    drop(tail);
    phase("audit what follows");
    let mut saved = false;
    // What the audit read is the whole chain (the state is saved only when
    // every line passed, and the input was read to its end).
    if let (Some(dir), Some(state), true) = (&dir, outcome.saved.take(), read == tail_len) {
        let file = encode(len, hasher.finalize().as_bytes(), &state);
        drop(state);
        let name = format!(
            "{}-{}.state",
            outcome.linker.len(),
            outcome.linker.head().to_b64()
        );
        match write(dir, &name, &file) {
            Ok(()) => {
                saved = true;
                // The state resumed from is superseded: the new one extends
                // it.
                if let Some(old) = &used
                    && old.file_name().is_some_and(|f| f != name.as_str())
                {
                    let _ = fs::remove_file(old);
                }
                prune(dir);
            }
            Err(e) => notes.push(format!(
                "could not save the audit state in the cache {}: {e}",
                dir.display()
            )),
        }
        phase("save the new state");
    }
    Ok(Loaded {
        chain: Chain::from_outcome(outcome),
        resumed,
        saved,
        notes,
        phases,
    })
}

/// Writes a cache file: a temporary file renamed into place (see the
/// module doc: not fsynced).
fn write(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, dir.join(name)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Keeps the [`KEEP`] longest states of a commune.
fn prune(dir: &Path) {
    for c in candidates(dir).into_iter().skip(KEEP) {
        let _ = fs::remove_file(c.path);
    }
}
