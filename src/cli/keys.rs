//! `commonstock key generate` and `key show`.

use std::path::Path;
use std::process::ExitCode;

use commonstock::canonical::{Object, Value};
use commonstock::sig::SecretKey;
use commonstock::{b64, keyfile};

use crate::common::*;

// ---------------------------------------------------------------------------
// Keys

pub(crate) fn key_generate(out: &Path, encrypt: bool, pass: &PassArgs) -> Res<ExitCode> {
    if out == Path::new("-") {
        return key_to_stdout(encrypt, pass);
    }
    let key = if encrypt {
        let p = passphrase(
            pass,
            &format!("New passphrase for {}: ", out.display()),
            true,
        )
        .map_err(usage)?;
        if p.is_empty() {
            return Err(refused("an empty passphrase protects nothing; choose one"));
        }
        keyfile::generate_encrypted(out, &p)
    } else {
        if pass.passphrase_file.is_some() || pass.passphrase_env.is_some() {
            return Err(usage("a passphrase was given without --encrypt"));
        }
        keyfile::generate(out)
    }
    .map_err(key_error)?;
    let public = key.public_key();
    eprintln!(
        "wrote {} (fingerprint {}); keep it private",
        out.display(),
        keyfile::fingerprint(&public)
    );
    print(format!("{}\n", b64::encode(&public)).as_bytes())
}

/// `key generate --out -`: the secret key file's bytes to standard output
/// (for a pipe or a secret store; no file named `-`), the public key to
/// standard error.
fn key_to_stdout(encrypt: bool, pass: &PassArgs) -> Res<ExitCode> {
    let key = SecretKey::generate().map_err(|e| usage(format!("random number generator: {e}")))?;
    let bytes = if encrypt {
        let p = passphrase(pass, "New passphrase: ", true).map_err(usage)?;
        if p.is_empty() {
            return Err(refused("an empty passphrase protects nothing; choose one"));
        }
        keyfile::encode_encrypted(Path::new("-"), &key, &p).map_err(key_error)?
    } else {
        if pass.passphrase_file.is_some() || pass.passphrase_env.is_some() {
            return Err(usage("a passphrase was given without --encrypt"));
        }
        keyfile::encode(&key)
    };
    let public = key.public_key();
    write_output("-", &bytes)?;
    eprintln!(
        "public key: {} (fingerprint {}); the secret key went to standard output",
        b64::encode(&public),
        keyfile::fingerprint(&public)
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn key_show(file: &Path, pass: &PassArgs, json: bool) -> Res<ExitCode> {
    if let Some(public) = keyfile::read_public(file).map_err(key_error)? {
        return show_public(&public, json);
    }
    let k = KeyArgs {
        key: file.to_path_buf(),
        pass: pass.clone(),
    };
    let encrypted = keyfile::is_encrypted(file).map_err(key_error)?;
    let key = load_key(&k)?;
    let public = key.public_key();
    if json {
        let mut o = Object::new();
        o.insert("schema", Value::from(KEY_SCHEMA));
        o.insert("secret", Value::Bool(true));
        o.insert("encrypted", Value::Bool(encrypted));
        o.insert("fingerprint", Value::from(keyfile::fingerprint(&public)));
        o.insert("public_key", Value::from(b64::encode(&public)));
        return print(&json_line(&Value::Object(o)));
    }
    print(
        format!(
            "public key:  {}\nfingerprint: {}\nencrypted:   {}\n",
            b64::encode(&public),
            keyfile::fingerprint(&public),
            if encrypted { "yes" } else { "no" }
        )
        .as_bytes(),
    )
}

/// The schema of `key show --json` (spec/13-outputs.md).
const KEY_SCHEMA: &str = "commonstock-key-v1";

/// `key show` of a public key file: what it holds, and that it is no
/// secret.
fn show_public(public: &[u8; 32], json: bool) -> Res<ExitCode> {
    if json {
        let mut o = Object::new();
        o.insert("schema", Value::from(KEY_SCHEMA));
        o.insert("secret", Value::Bool(false));
        o.insert("encrypted", Value::Bool(false));
        o.insert("fingerprint", Value::from(keyfile::fingerprint(public)));
        o.insert("public_key", Value::from(b64::encode(public)));
        return print(&json_line(&Value::Object(o)));
    }
    print(
        format!(
            "public key:  {}\nfingerprint: {}\na public key file: no secret; it names the key in drafts (-s key=@FILE), it cannot sign\n",
            b64::encode(public),
            keyfile::fingerprint(public)
        )
        .as_bytes(),
    )
}
