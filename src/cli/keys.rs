//! `commonstock key generate` and `key show`.

use std::path::Path;
use std::process::ExitCode;

use commonstock::canonical::{Object, Value};
use commonstock::{b64, keyfile};

use crate::common::*;

// ---------------------------------------------------------------------------
// Keys

pub(crate) fn key_generate(out: &Path, encrypt: bool, pass: &PassArgs) -> Res<ExitCode> {
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

pub(crate) fn key_show(file: &Path, pass: &PassArgs, json: bool) -> Res<ExitCode> {
    let k = KeyArgs {
        key: file.to_path_buf(),
        pass: pass.clone(),
    };
    let encrypted = keyfile::is_encrypted(file).map_err(key_error)?;
    let key = load_key(&k)?;
    let public = key.public_key();
    if json {
        let mut o = Object::new();
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
