//! Files replaced atomically: a temporary file in the same directory,
//! written, fsynced and renamed over the old one, so a crash or a full disk
//! leaves the old file or the new one, never half of one. Every layer that
//! writes a file (the chain, documents, checkpoints, secret keys, the saved
//! audit state) goes through here; this module imports nothing of the crate.
//!
//! **Fault injection.** For the tests, the environment variable
//! [`FAULT_ENV`] names a fault site; unset, it does nothing (the sites are
//! listed in `chainfile`'s module doc).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The environment variable of the fault-injection hook (tests only).
pub const FAULT_ENV: &str = "COMMONSTOCK_FAULT";

/// Whether the fault `want` is asked for.
pub(crate) fn fault_set(want: &str) -> bool {
    std::env::var_os(FAULT_ENV).is_some_and(|v| v == want)
}

pub(crate) fn sibling(path: &Path, suffix: &str, hidden: bool) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let dot = if hidden { "." } else { "" };
    path.with_file_name(format!("{dot}{name}{suffix}"))
}

/// Writes `bytes` to a new temporary file in two halves, with the fault
/// sites `SITE:partial` (abort between the halves) and `SITE:enospc` (fail
/// between them as a full disk does).
pub(crate) fn write_in_halves(f: &mut File, bytes: &[u8], site: &str) -> io::Result<()> {
    let (first, second) = bytes.split_at(bytes.len() / 2);
    f.write_all(first)?;
    if fault_set(&format!("{site}:enospc")) {
        return Err(io::Error::from_raw_os_error(28));
    }
    if fault_set(&format!("{site}:partial")) {
        std::process::abort();
    }
    f.write_all(second)
}

/// Replaces the file at `path` with `bytes` atomically (temporary file,
/// fsync, rename): for document and checkpoint files being signed.
///
/// A path that names something other than a regular file (`/dev/null`, a
/// FIFO, a terminal) is written to as it is: renaming over it would
/// replace the device with a file.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
        && !m.is_dir()
    {
        let mut f = OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes).and_then(|()| f.flush());
    }
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()), true);
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Ok(m) = std::fs::metadata(path) {
            f.set_permissions(m.permissions())?;
        }
        write_in_halves(&mut f, bytes, "write")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`replace_file`] for content too large to hold in memory: `write`
/// streams it to the temporary file (in pieces; unbuffered, so it should
/// write in large ones). The fault sites are [`replace_file`]'s: the first
/// piece is written in two halves, with `write:partial` and `write:enospc`
/// between them.
pub fn replace_file_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    /// The file, with the fault sites in its first write.
    struct Halves {
        f: File,
        first: bool,
    }
    impl Write for Halves {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if std::mem::take(&mut self.first) && !b.is_empty() {
                write_in_halves(&mut self.f, b, "write")?;
                return Ok(b.len());
            }
            self.f.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.f.flush()
        }
    }
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()), true);
    let result = (|| {
        let f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Ok(m) = std::fs::metadata(path) {
            f.set_permissions(m.permissions())?;
        }
        let mut out = Halves { f, first: true };
        write(&mut out)?;
        out.f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
