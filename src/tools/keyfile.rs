//! Secret key files: their format, and writing them so that only their
//! owner can read them and an existing key is never overwritten
//! (spec/05-documents.md §5.6 describes the file; it is not part of what a
//! verifier checks).
//!
//! A secret key file is either
//!
//! - plain: one line, `commonstock-secret-key-v1 `, the 32-byte Ed25519 seed
//!   in unpadded base64url, LF; or
//! - encrypted with a passphrase: an `ENCRYPTED PRIVATE KEY` PEM block, the
//!   standard PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958) of the Ed25519
//!   private key (RFC 8410), with PBES2 (RFC 8018): scrypt (log₂N = 18,
//!   r = 8, p = 1, random 16-byte salt: the cost age uses for passphrases,
//!   256 MiB and about a second) and AES-256-CBC. A standard format, so the
//!   key is not locked into this tool. (Keys written before the cost was
//!   raised have log₂N = 14; the parameters are read from the file, so they
//!   still open. OpenSSL 3 caps scrypt at 32 MiB by default, so `openssl
//!   pkey` opens only those older keys.)
//! - a plain PKCS#8 `PRIVATE KEY` PEM block of an Ed25519 key, as `openssl
//!   genpkey -algorithm ed25519` writes it: read, never written.
//!
//! A **public key file** is one line: the 43-character public key and LF,
//! exactly what `commonstock key generate` prints ([`read_public`]). It is
//! no secret, and anything that takes a secret key names it as a public
//! key, as it names a chain, document or checkpoint file given by mistake
//! ([`Error::NotASecretKey`]).
//!
//! Either is created with mode 0600
//! under a temporary name, fsynced, then hard-linked to its final name
//! (which fails if that name exists) and the temporary name removed, so a
//! crash leaves either no key or the whole key, and never touches an
//! existing file.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::protocol::b64;
use crate::protocol::sig::SecretKey;

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
    /// An encrypted key file, and the passphrase does not open it.
    Passphrase(PathBuf),
    /// An encrypted key file, and no passphrase could be had.
    NoPassphrase(PathBuf, String),
    /// Some other file given where a secret key file was expected: a
    /// public key, a chain, a document, a checkpoint (what it is).
    NotASecretKey(PathBuf, &'static str),
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
            Error::Passphrase(p) => write!(
                f,
                "{}: wrong passphrase (or a damaged key file); try again",
                p.display()
            ),
            Error::NoPassphrase(p, why) => write!(
                f,
                "{} is encrypted and needs its passphrase: {why}",
                p.display()
            ),
            Error::NotASecretKey(p, what) => write!(
                f,
                "{} is {what}, not a secret key file: give the secret key file that `commonstock key generate --out` wrote",
                p.display()
            ),
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

/// Generates a key and writes it to `path` encrypted under `passphrase`.
pub fn generate_encrypted(path: &Path, passphrase: &str) -> Result<SecretKey, Error> {
    let key = SecretKey::generate().map_err(|e| Error::Random(e.to_string()))?;
    write_encrypted(path, &key, passphrase)?;
    Ok(key)
}

/// Writes `key` to a new file at `path` (mode 0600, atomic, never
/// overwriting).
pub fn write(path: &Path, key: &SecretKey) -> Result<(), Error> {
    write_private(path, &encode(key))
}

/// The bytes of a plain secret key file of `key`.
pub fn encode(key: &SecretKey) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(format!("{PREFIX}{}\n", b64::encode(key.seed())).into_bytes())
}

/// The PKCS#8 `PrivateKeyInfo` of an Ed25519 seed (RFC 8410 §7): a fixed
/// 16-byte DER prefix (version 0, algorithm id-Ed25519 1.3.101.112, an
/// OCTET STRING holding the 32-byte OCTET STRING of the seed), then the seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PEM_LABEL: &str = "ENCRYPTED PRIVATE KEY";
const PLAIN_PEM_LABEL: &str = "PRIVATE KEY";

/// The scrypt cost of new encrypted keys: log₂N (age's for passphrases).
pub const SCRYPT_LOG_N: u8 = 18;
/// The highest scrypt cost read (4 GiB with r = 8 would be a denial of
/// service, not a key).
const MAX_LOG_N: u64 = 20;

/// Writes `key` encrypted under `passphrase` (see the module doc), with
/// the same guarantees as [`write`].
pub fn write_encrypted(path: &Path, key: &SecretKey, passphrase: &str) -> Result<(), Error> {
    write_private(path, &encode_encrypted(path, key, passphrase)?)
}

/// The bytes of an encrypted secret key file of `key` (`path` only names
/// the file in errors).
pub fn encode_encrypted(
    path: &Path,
    key: &SecretKey,
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut der = Zeroizing::new(PKCS8_PREFIX.to_vec());
    der.extend_from_slice(key.seed());
    let info = pkcs8::PrivateKeyInfoRef::try_from(&der[..])
        .map_err(|e| Error::Io(path.to_path_buf(), io::Error::other(e.to_string())))?;
    // The salt and IV from the system's generator; scrypt with AES-256-CBC
    // (the module doc gives the parameters).
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    getrandom::fill(&mut salt)
        .and_then(|()| getrandom::fill(&mut iv))
        .map_err(|e| Error::Random(e.to_string()))?;
    let params = pkcs8::pkcs5::scrypt::Params::new(SCRYPT_LOG_N, 8, 1)
        .map_err(|e| Error::Random(e.to_string()))?;
    let pbes2 = pkcs8::pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(params, &salt, iv)
        .map_err(|e| Error::Random(e.to_string()))?;
    let enc = info
        .encrypt_with_params(pbes2, passphrase.as_bytes())
        .map_err(|e| Error::Random(e.to_string()))?;
    let pem = enc
        .to_pem(PEM_LABEL, pkcs8::LineEnding::LF)
        .map_err(|e| Error::Io(path.to_path_buf(), io::Error::other(e.to_string())))?;
    Ok(Zeroizing::new(pem.as_bytes().to_vec()))
}

/// Whether the key file at `path` is encrypted (so reading it will ask for
/// a passphrase).
pub fn is_encrypted(path: &Path) -> Result<bool, Error> {
    let text = read_private(path)?;
    Ok(text.starts_with(&format!("-----BEGIN {PEM_LABEL}-----")))
}

/// Writes `bytes` to a new private file at `path`: mode 0600, under a
/// temporary name, fsynced, then linked to its name (which fails if it
/// exists).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
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
    // Temporaries of an earlier run that was killed hold part of a secret:
    // remove them before anything else.
    let prefix = format!(".{}.tmp", name.to_string_lossy());
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = create_private(&tmp)?;
        crate::atomic::write_in_halves(&mut f, bytes, "key")?;
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

/// Reads a plain secret key file, refusing one that group or others can
/// read. An encrypted file needs [`read_with`].
pub fn read(path: &Path) -> Result<SecretKey, Error> {
    read_with(path, || Err("no passphrase source was given".to_string()))
}

/// Reads a secret key file, plain or encrypted, refusing one that group or
/// others can read. `passphrase` is asked only for an encrypted file.
pub fn read_with(
    path: &Path,
    passphrase: impl FnOnce() -> Result<Zeroizing<String>, String>,
) -> Result<SecretKey, Error> {
    let text = read_private(path)?;
    let format = || Error::Format(path.to_path_buf());
    if text.starts_with(&format!("-----BEGIN {PEM_LABEL}-----")) {
        let pass = passphrase().map_err(|why| Error::NoPassphrase(path.to_path_buf(), why))?;
        return decrypt(path, &text, &pass);
    }
    if text.starts_with(&format!("-----BEGIN {PLAIN_PEM_LABEL}-----")) {
        let (label, doc) = pkcs8::SecretDocument::from_pem(&text).map_err(|_| format())?;
        if label != PLAIN_PEM_LABEL {
            return Err(format());
        }
        return ed25519_of(doc.as_bytes()).ok_or_else(format);
    }
    let seed = text
        .strip_prefix(PREFIX)
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(|s| b64::decode::<32>(s).ok())
        .ok_or_else(format)?;
    Ok(SecretKey::from_seed(seed))
}

/// The Ed25519 key of a PKCS#8 `PrivateKeyInfo` (RFC 8410): version 0 or 1,
/// algorithm id-Ed25519 with no parameters, the seed as an OCTET STRING in
/// the OCTET STRING; a public key, if present, must be the seed's.
fn ed25519_of(der: &[u8]) -> Option<SecretKey> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).ok()?;
    const ED25519: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");
    if info.algorithm.oid != ED25519 || info.algorithm.parameters.is_some() {
        return None;
    }
    let inner = info.private_key.as_bytes();
    let seed = inner
        .strip_prefix(&[0x04, 0x20][..])
        .filter(|s| s.len() == 32)?;
    let mut s = Zeroizing::new([0u8; 32]);
    s.copy_from_slice(seed);
    let key = SecretKey::from_seed(*s);
    if let Some(public) = &info.public_key
        && public.raw_bytes() != key.public_key()
    {
        return None;
    }
    Some(key)
}

fn decrypt(path: &Path, text: &str, passphrase: &str) -> Result<SecretKey, Error> {
    let format = || Error::Format(path.to_path_buf());
    let (label, doc) = pkcs8::SecretDocument::from_pem(text).map_err(|_| format())?;
    if label != PEM_LABEL {
        return Err(format());
    }
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes()).map_err(|_| format())?;
    if let pkcs8::pkcs5::EncryptionScheme::Pbes2(p) = &info.encryption_algorithm
        && let pkcs8::pkcs5::pbes2::Kdf::Scrypt(s) = &p.kdf
        && s.cost_parameter > 1 << MAX_LOG_N
    {
        return Err(format());
    }
    // A wrong passphrase shows as bad padding or an undecodable result;
    // PKCS#8 cannot tell the two apart.
    let plain = info
        .decrypt(passphrase.as_bytes())
        .map_err(|_| Error::Passphrase(path.to_path_buf()))?;
    ed25519_of(plain.as_bytes()).ok_or_else(format)
}

/// Reads a public key file (see the module doc); it may be readable by
/// anyone. `Ok(None)` when the file is something else.
pub fn read_public(path: &Path) -> Result<Option<[u8; 32]>, Error> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut bytes))
        .map_err(|e| Error::Io(path.to_path_buf(), e))?;
    Ok(public_key_of(&bytes))
}

fn public_key_of(bytes: &[u8]) -> Option<[u8; 32]> {
    let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if line.len() != 43 {
        return None;
    }
    b64::decode::<32>(std::str::from_utf8(line).ok()?).ok()
}

/// What a file that is not a secret key is, judged from its first bytes:
/// a public key, a chain, a document, a checkpoint, a fork proof.
fn not_a_secret_key(bytes: &[u8]) -> Option<&'static str> {
    if public_key_of(bytes).is_some() {
        return Some("a public key file (a public key cannot sign)");
    }
    if bytes.starts_with(b"-----BEGIN PUBLIC KEY-----") {
        return Some("a PEM public key (a public key cannot sign)");
    }
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let Ok(crate::protocol::canonical::Value::Object(o)) = crate::protocol::canonical::parse(line)
    else {
        return None;
    };
    let has = |k: &str| o.get(k).is_some();
    Some(if has("seq") && has("prev") && has("doc") {
        "a chain file"
    } else if has("kind") && has("commune") && has("body") {
        "a document file"
    } else if has("entries_a") {
        "a fork proof"
    } else if has("size") && has("head") {
        "a checkpoint file"
    } else {
        "a JSON file"
    })
}

/// Reads a key file's text (at most 4 KiB), refusing one that is some
/// other kind of file (what it is), then one that group or others can read.
fn read_private(path: &Path) -> Result<Zeroizing<String>, Error> {
    let io = |e| Error::Io(path.to_path_buf(), e);
    let f = File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    let mut bytes = Zeroizing::new(Vec::new());
    f.take(4096).read_to_end(&mut bytes).map_err(io)?;
    if let Some(what) = not_a_secret_key(&bytes) {
        return Err(Error::NotASecretKey(path.to_path_buf(), what));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::Permissions(path.to_path_buf(), mode));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Format(path.to_path_buf()))?;
    Ok(Zeroizing::new(text.to_string()))
}

pub use crate::protocol::sig::fingerprint;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_keys_round_trip_and_refuse_a_wrong_passphrase() {
        let dir = std::env::temp_dir().join(format!("cs-keyfile-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.key");
        let key = generate_encrypted(&path, "correct horse").unwrap();
        assert!(is_encrypted(&path).unwrap());
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        assert!(!text.contains(&b64::encode(key.seed())));
        let back = read_with(&path, || Ok(Zeroizing::new("correct horse".into()))).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let wrong = read_with(&path, || Ok(Zeroizing::new("wrong".into())));
        assert!(matches!(wrong, Err(Error::Passphrase(_))), "{wrong:?}");
        assert!(matches!(read(&path), Err(Error::NoPassphrase(..))));
        let _ = fs::remove_dir_all(&dir);
    }
}
