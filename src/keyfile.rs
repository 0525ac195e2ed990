//! Secret key files: their format, and writing them so that only their
//! owner can read them and an existing key is never overwritten
//! (spec/05-documents.md §5.6 describes the file; it is not part of what a
//! verifier checks).
//!
//! A secret key file is one line: `commonstock-secret-key-v1 `, the 32-byte
//! Ed25519 seed in unpadded base64url, LF. It is created with mode 0600
//! under a temporary name, fsynced, then hard-linked to its final name
//! (which fails if that name exists) and the temporary name removed, so a
//! crash leaves either no key or the whole key, and never touches an
//! existing file.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::b64;
use crate::sig::SecretKey;

const PREFIX: &str = "commonstock-secret-key-v1 ";

/// Why a key file could not be written or read.
#[derive(Debug)]
pub enum Error {
    Io(PathBuf, io::Error),
    /// The target exists; keys are never overwritten.
    Exists(PathBuf),
    /// Group or others may read the file.
    Permissions(PathBuf, u32),
    /// Not a secret key file.
    Format(PathBuf),
    /// The system's random number generator failed.
    Random(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Error::Exists(p) => write!(
                f,
                "{} already exists; keys are never overwritten (choose another path or remove it yourself)",
                p.display()
            ),
            Error::Permissions(p, mode) => write!(
                f,
                "{} can be read by others (mode {mode:o}); run `chmod 600 {}` first",
                p.display(),
                p.display()
            ),
            Error::Format(p) => write!(f, "{} is not a commonstock secret key file", p.display()),
            Error::Random(e) => write!(f, "the system random number generator failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Generates a key and writes it to `path`; returns the key.
pub fn generate(path: &Path) -> Result<SecretKey, Error> {
    let key = SecretKey::generate().map_err(|e| Error::Random(e.to_string()))?;
    write(path, &key)?;
    Ok(key)
}

/// Writes `key` to a new file at `path` (mode 0600, atomic, never
/// overwriting).
pub fn write(path: &Path, key: &SecretKey) -> Result<(), Error> {
    let io = |e| Error::Io(path.to_path_buf(), e);
    if path.exists() {
        return Err(Error::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let text = Zeroizing::new(format!("{PREFIX}{}\n", b64::encode(key.seed())));
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    match result {
        Ok(()) => {
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(Error::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn create_private(p: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)
}

#[cfg(not(unix))]
fn create_private(p: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(p)
}

/// Reads a secret key file, refusing one that group or others can read.
pub fn read(path: &Path) -> Result<SecretKey, Error> {
    let io = |e| Error::Io(path.to_path_buf(), e);
    let f = File::open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::Permissions(path.to_path_buf(), mode));
        }
    }
    let mut text = Zeroizing::new(String::new());
    f.take(256).read_to_string(&mut text).map_err(io)?;
    let seed = text
        .strip_prefix(PREFIX)
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(|s| b64::decode::<32>(s).ok())
        .ok_or_else(|| Error::Format(path.to_path_buf()))?;
    Ok(SecretKey::from_seed(seed))
}
