//! What every command shares: how a command fails (exit 1 refused, exit 2
//! usage or I/O), reading and writing documents and chains, keys and
//! passphrases, confirmation on a terminal, colour.

use std::fs;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use zeroize::Zeroizing;

use commonstock::canonical::{self, Object, Value};
use commonstock::chainfile;
use commonstock::document::Document;
use commonstock::keyfile;
use commonstock::review::{self, Chain, Standing};
use commonstock::sig::SecretKey;
use commonstock::tools::cache;

use clap::Args;

/// Why a command failed: a refusal (exit 1) or a usage or I/O error (exit 2).
#[derive(Debug)]
pub enum Failure {
    Refused(String),
    Usage(String),
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Refused(m) | Failure::Usage(m) => m,
        }
    }
}

pub(crate) type Res<T> = Result<T, Failure>;

pub(crate) fn usage(m: impl Into<String>) -> Failure {
    Failure::Usage(m.into())
}

pub(crate) fn refused(m: impl Into<String>) -> Failure {
    Failure::Refused(m.into())
}

// ---------------------------------------------------------------------------
// Shared helpers

/// Colour for a word, only on a terminal and without NO_COLOR.
pub(crate) fn paint(word: &str, colour: u8) -> String {
    let on =
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if on {
        format!("\x1b[{colour}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}

pub(crate) const GREEN: u8 = 32;
pub(crate) const YELLOW: u8 = 33;
pub(crate) const RED: u8 = 31;

/// Whether `name` is a web address to fetch.
pub(crate) fn is_url(name: &str) -> bool {
    name.starts_with("http://") || name.starts_with("https://")
}

/// Opens what a reading command reads: a file, `-` for standard input, or
/// an http(s) URL, streamed. A response that is not a chain file (an
/// error status, an HTML page) is an I/O error (exit 2): the chain could
/// not be had, which says nothing about the chain.
pub(crate) fn open_source(name: &str) -> Res<Box<dyn BufRead>> {
    Ok(if name == "-" {
        Box::new(io::stdin().lock())
    } else if is_url(name) {
        let mut r = io::BufReader::with_capacity(1 << 16, fetch(name)?);
        let head = r.fill_buf().map_err(|e| usage(format!("{name}: {e}")))?;
        if looks_like_html(head) {
            return Err(usage(format!(
                "{name}: the server sent an HTML page, not a chain file (is the address right?)"
            )));
        }
        Box::new(r)
    } else {
        let f = fs::File::open(name).map_err(|e| usage(format!("{name}: {e}")))?;
        Box::new(io::BufReader::with_capacity(1 << 16, f))
    })
}

/// A chain file starts with `{`; a web page with `<` (after white space).
fn looks_like_html(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

/// A published chain over http(s). An error status (404) and an HTML page
/// (by its Content-Type) are refused here.
fn fetch(url: &str) -> Res<impl Read + use<>> {
    let response = ureq::get(url)
        .call()
        .map_err(|e| usage(format!("{url}: {e}")))?;
    let html = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        return Err(usage(format!(
            "{url}: the server sent an HTML page (Content-Type text/html), not a chain file (is the address right?)"
        )));
    }
    Ok(response.into_body().into_reader())
}

/// The whole of what [`open_source`] opens.
pub(crate) fn read_source(name: &str) -> Res<Vec<u8>> {
    let mut b = Vec::new();
    open_source(name)?
        .read_to_end(&mut b)
        .map_err(|e| usage(format!("{name}: {e}")))?;
    Ok(b)
}

/// A document, body or checkpoint file: a file, `-` or a URL.
pub(crate) fn read_input(name: &str) -> Res<Vec<u8>> {
    read_source(name)
}

pub(crate) fn write_output(name: &str, bytes: &[u8]) -> Res<()> {
    if name == "-" {
        let mut out = io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| usage(format!("standard output: {e}")))
    } else {
        chainfile::replace_file(Path::new(name), bytes).map_err(|e| usage(format!("{name}: {e}")))
    }
}

/// Refuses to replace `dest` when that would lose signatures: when it is a
/// document file holding a signature that `doc` does not carry, or any
/// other non-empty file (a chain, a checkpoint: signatures too, or
/// something else altogether). `--force` replaces it anyway. Standard
/// output and what is not a regular file (`/dev/null`) are never refused.
pub(crate) fn guard_overwrite(dest: &str, doc: &Document, force: bool) -> Res<()> {
    if dest == "-" || force {
        return Ok(());
    }
    let path = Path::new(dest);
    match fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => {}
        _ => return Ok(()),
    }
    let bytes = fs::read(path).map_err(|e| usage(format!("{dest}: {e}")))?;
    match Document::parse_file(&bytes) {
        Ok(old) => {
            let lost = old.sigs.iter().filter(|s| !doc.signed_by(&s.key)).count();
            if lost == 0 {
                return Ok(());
            }
            Err(refused(format!(
                "{dest} exists and holds {lost} signature(s) that would be lost; write to another file (-o), or pass --force to replace it"
            )))
        }
        Err(_) => Err(refused(format!(
            "{dest} exists and is not a document file (a chain or a checkpoint holds signatures too); write to another file (-o), or pass --force to replace it"
        ))),
    }
}

pub(crate) fn read_doc(name: &str) -> Res<Document> {
    let bytes = read_input(name)?;
    Document::parse_file(&bytes).map_err(|e| {
        refused(format!(
            "{name} is not a document file: {e} (a document file is one canonical JSON line, as `commonstock draft` writes it)"
        ))
    })
}

/// Reads a chain (a file, `-` or a URL) for judging a document against it:
/// through the cache of saved audit states (`tools::cache`: only what was
/// added since it was last read is audited), a file streamed, with a
/// progress bar when that takes long.
pub(crate) fn read_chain(path: &Path) -> Res<Chain> {
    let name = path.to_string_lossy();
    let cache = cache::Cache::from_env();
    let failed = |e: std::io::Error| usage(format!("{}: {e}", path.display()));
    let loaded = if name == "-" || is_url(&name) {
        let bytes = read_source(&name)?;
        let bar = crate::progress::Bar::boxed(Some(bytes.len() as u64));
        cache::load(&bytes, cache.as_ref(), Some(bar)).map_err(failed)?
    } else {
        let size = fs::metadata(path).map_err(failed)?.len();
        let bar = crate::progress::Bar::boxed(Some(size));
        cache::load_file(path, cache.as_ref(), Some(bar)).map_err(failed)?
    };
    for n in &loaded.notes {
        eprintln!("commonstock: {n}");
    }
    Ok(loaded.chain)
}

pub(crate) fn passphrase(
    p: &PassArgs,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, String> {
    if let Some(f) = &p.passphrase_file {
        let text =
            Zeroizing::new(fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?);
        let line = text.lines().next().unwrap_or("");
        return Ok(Zeroizing::new(line.to_string()));
    }
    if let Some(var) = &p.passphrase_env {
        return std::env::var(var)
            .map(Zeroizing::new)
            .map_err(|_| format!("the environment variable {var} is not set"));
    }
    let no_tty = |e: io::Error| {
        format!("no terminal to ask on ({e}); use --passphrase-file or --passphrase-env")
    };
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_tty)?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("Again: ").map_err(no_tty)?);
        if *again != *first {
            return Err("the two passphrases differ; nothing was written".into());
        }
    }
    Ok(first)
}

pub(crate) fn load_key(k: &KeyArgs) -> Res<SecretKey> {
    keyfile::read_with(&k.key, || {
        passphrase(
            &k.pass,
            &format!("Passphrase for {}: ", k.key.display()),
            false,
        )
    })
    .map_err(key_error)
}

pub(crate) fn key_error(e: keyfile::Error) -> Failure {
    match e {
        keyfile::Error::Permissions(..)
        | keyfile::Error::Passphrase(_)
        | keyfile::Error::Format(_)
        | keyfile::Error::NotASecretKey(..) => refused(e.to_string()),
        _ => usage(e.to_string()),
    }
}

pub(crate) fn confirm(question: &str) -> Res<()> {
    if !io::stdin().is_terminal() {
        return Err(refused(
            "not signed: there is no terminal to confirm on; review the document with `commonstock show`, then pass --yes",
        ));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(refused("not signed: you did not confirm"))
    }
}

pub(crate) fn standing_text(s: &Result<Standing, review::Problem>) -> String {
    match s {
        Ok(Standing::Complete) => paint("complete", GREEN) + ": it can be appended",
        Ok(Standing::Incomplete(f)) => {
            paint("needs more signatures", YELLOW) + &format!(": {} {}", f.rule, f.detail)
        }
        Err(f) => paint("cannot be appended", RED) + &format!(": {f}"),
    }
}

pub(crate) fn standing_value(s: &Result<Standing, review::Problem>) -> Value {
    let mut o = Object::new();
    let (status, f) = match s {
        Ok(Standing::Complete) => ("complete", None),
        Ok(Standing::Incomplete(f)) => ("incomplete", Some(f)),
        Err(f) => ("refused", Some(f)),
    };
    o.insert("status", Value::from(status));
    o.insert(
        "rule",
        f.map_or(Value::Null, |f| Value::from(f.rule.code())),
    );
    o.insert(
        "field",
        f.map_or(Value::Null, |f| Value::from(f.field.clone())),
    );
    o.insert(
        "detail",
        f.map_or(Value::Null, |f| Value::from(f.detail.clone())),
    );
    Value::Object(o)
}

pub(crate) fn json_line(v: &Value) -> Vec<u8> {
    let mut b = canonical::encode(v);
    b.push(b'\n');
    b
}

pub(crate) fn print(bytes: &[u8]) -> Res<ExitCode> {
    match io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(usage(e.to_string())),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Where a passphrase comes from when a key is encrypted: a file, an
/// environment variable, or else the terminal.
#[derive(Args, Clone, Default)]
pub struct PassArgs {
    /// Read the passphrase from this file (its first line).
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// Read the passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub(crate) passphrase_env: Option<String>,
}

#[derive(Args, Clone)]
pub struct KeyArgs {
    /// Your secret key file.
    #[arg(long)]
    pub(crate) key: PathBuf,
    #[command(flatten)]
    pub(crate) pass: PassArgs,
}
