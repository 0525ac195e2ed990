//! The signing workflow on the command line: keys, draft, show, sign,
//! merge, append, checkpoints and log. Only wiring: every rule is the
//! library's (`draft`, `review`, `chainfile`, `checkpoint`, `keyfile`).

use std::fs;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use commonstock::audit::{self, Options};
use commonstock::canonical::{self, Object, Value};
use commonstock::chain::{self, LineReader};
use commonstock::chainfile;
use commonstock::checkpoint::{Checkpoint, ForkProof};
use commonstock::commune::State;
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::draft::{self, Body};
use commonstock::review::{self, Chain, Money, Standing};
use commonstock::sig::SecretKey;
use commonstock::{b64, keyfile};

pub const MAIN_HELP: &str = "Examples:
  commonstock key generate --out ana.key > ana.pub
  commonstock draft payment --chain chain.jsonl --date 2025-03-01 \\
      -s id=p1 -s purpose=income -s 'amount=EUR 50.00' -s ref.source=gift -o p1.doc.json
  commonstock show --chain chain.jsonl p1.doc.json
  commonstock sign --chain chain.jsonl --key ana.key p1.doc.json
  commonstock append chain.jsonl p1.doc.json
  commonstock log chain.jsonl --kind payment
  commonstock audit --report chain.jsonl

Exit status: 0 success (or valid), 1 refused (or invalid), 2 usage or I/O error.
README.md has a walkthrough from key generation to an audited chain.";

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

type Res<T> = Result<T, Failure>;

fn usage(m: impl Into<String>) -> Failure {
    Failure::Usage(m.into())
}

fn refused(m: impl Into<String>) -> Failure {
    Failure::Refused(m.into())
}

#[derive(Subcommand)]
pub enum Command {
    /// Generate and inspect secret keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Draft a document of any kind, checked against the spec before anyone signs.
    #[command(after_help = DRAFT_HELP)]
    Draft(DraftArgs),
    /// Show a document as a person reads it, and where it stands.
    #[command(after_help = SHOW_HELP)]
    Show {
        /// The document file (`-` for standard input).
        doc: String,
        /// The chain it will join: names members, checks where it stands.
        #[arg(long)]
        chain: Option<PathBuf>,
        /// A text file to compare with the document's text hash.
        #[arg(long)]
        text: Option<PathBuf>,
        /// One canonical JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add your signature to a document file.
    #[command(after_help = SIGN_HELP)]
    Sign {
        /// The document file (`-`: read standard input, write standard output).
        doc: String,
        #[command(flatten)]
        key: KeyArgs,
        /// The chain the document will join (required but for a charter).
        #[arg(long)]
        chain: Option<PathBuf>,
        /// Sign without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Write the signed document here instead of back to DOC.
        #[arg(long, short)]
        out: Option<String>,
    },
    /// Merge the signatures gathered in several copies of one document.
    #[command(after_help = MERGE_HELP)]
    Merge {
        /// Copies of one document, each with some of the signatures.
        #[arg(required = true, num_args = 2..)]
        docs: Vec<PathBuf>,
        /// Where to write the merged document (`-` for standard output).
        #[arg(long, short)]
        out: String,
    },
    /// Append a fully signed document to a chain, atomically.
    #[command(after_help = APPEND_HELP)]
    Append {
        /// The chain file.
        chain: PathBuf,
        /// The document file (`-` for standard input).
        doc: String,
        /// Start a new chain with this charter.
        #[arg(long)]
        new: bool,
    },
    /// Checkpoints: make, cosign, verify; fork proofs.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// Browse a chain like `git log`.
    #[command(after_help = LOG_HELP)]
    Log {
        /// The chain file (`-` for standard input).
        chain: String,
        /// The whole document of each entry, not one line.
        #[arg(long)]
        full: bool,
        /// Only documents of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only documents naming or signed by this member.
        #[arg(long)]
        member: Option<String>,
        /// Only documents about this asset (its series, its agreements).
        #[arg(long)]
        asset: Option<String>,
        /// One canonical JSON object per entry.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a secret key; print its public key.
    #[command(after_help = KEY_GENERATE_HELP)]
    Generate {
        /// Where to write the secret key file (never overwritten).
        #[arg(long, short)]
        out: PathBuf,
        /// Encrypt the key with a passphrase.
        #[arg(long)]
        encrypt: bool,
        #[command(flatten)]
        pass: PassArgs,
    },
    /// Show a key's public key and fingerprint (never the secret).
    #[command(after_help = KEY_SHOW_HELP)]
    Show {
        /// The secret key file.
        file: PathBuf,
        #[command(flatten)]
        pass: PassArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CheckpointCommand {
    /// Make a checkpoint of the chain's head.
    #[command(after_help = CP_MAKE_HELP)]
    Make {
        chain: PathBuf,
        /// Where to write the checkpoint.
        #[arg(long, short)]
        out: PathBuf,
        /// Sign it with this key (a current member's): a checkpoint holds
        /// at least one signature (CKP-2).
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        pass: PassArgs,
    },
    /// Cosign a checkpoint, after checking it against your copy of the chain.
    #[command(after_help = CP_COSIGN_HELP)]
    Cosign {
        /// The checkpoint file (signed in place).
        file: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// Your copy of the chain (strongly advised).
        #[arg(long)]
        chain: Option<PathBuf>,
    },
    /// Verify a chain against cosigned checkpoints.
    #[command(after_help = CP_VERIFY_HELP)]
    Verify {
        chain: PathBuf,
        #[arg(required = true)]
        checkpoints: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Make a fork proof from two conflicting checkpoints.
    #[command(name = "fork-proof", after_help = CP_FORK_HELP)]
    ForkProof {
        a: PathBuf,
        b: PathBuf,
        /// The chain checkpoint A describes.
        #[arg(long)]
        chain_a: Option<PathBuf>,
        /// The chain checkpoint B describes.
        #[arg(long)]
        chain_b: Option<PathBuf>,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Verify a fork proof.
    #[command(name = "verify-proof")]
    VerifyProof {
        proof: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// Where a passphrase comes from when a key is encrypted: a file, an
/// environment variable, or else the terminal.
#[derive(Args, Clone, Default)]
pub struct PassArgs {
    /// Read the passphrase from this file (its first line).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Read the passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
}

#[derive(Args, Clone)]
pub struct KeyArgs {
    /// Your secret key file.
    #[arg(long)]
    key: PathBuf,
    #[command(flatten)]
    pass: PassArgs,
}

#[derive(Args)]
pub struct DraftArgs {
    /// The kind: charter, admission, exit, key_rotation, key_recovery,
    /// asset_acquisition, bond_series, bond_sale, bond_transfer,
    /// rental_agreement, rental_end, expense_approval, payment, reversal, …
    kind: String,
    /// The document's date, YYYY-MM-DD.
    #[arg(long)]
    date: String,
    /// The chain it will join (every kind but a charter).
    #[arg(long)]
    chain: Option<PathBuf>,
    /// Start from this body (a JSON object; `-` for standard input).
    #[arg(long)]
    body: Option<String>,
    /// Set a body member: PATH=VALUE (repeatable; see below).
    #[arg(long = "set", short = 's', value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Where to write the document (`-` for standard output).
    #[arg(long, short, default_value = "-")]
    out: String,
}

const KEY_GENERATE_HELP: &str =
    "The key file is created with mode 0600 and never overwrites anything.
With --encrypt it is a standard PKCS#8 encrypted key (scrypt + AES-256-CBC);
the passphrase is asked on the terminal (twice) unless given by
--passphrase-file or --passphrase-env.

Examples:
  commonstock key generate --out ana.key > ana.pub
  commonstock key generate --encrypt --out ana.key > ana.pub
  commonstock key generate --encrypt --passphrase-env ANA_PASS --out ana.key";

const KEY_SHOW_HELP: &str = "Refuses a key file that group or others can read.

Examples:
  commonstock key show ana.key
  commonstock key show --json ana.key";

const DRAFT_HELP: &str = "Values of --set PATH=VALUE:
  @FILE                 the text hash of FILE (for text, bylaws)
  'EUR 1234.56'         an amount in the commune's currency (minor units)
  12, true, \"007\", [..] a JSON value
  k=v,k=v               after PATH[]=: an object appended to the list PATH
  anything else         a string
PATH is dotted (ref.agreement=lease-1); PATH[]=V appends to a list, kept
sorted as the spec requires. A bond series' schedule is computed from its
terms when not given. A charter's commune id is computed from its body.

Examples:
  commonstock draft charter --date 2025-01-01 -s name=Orchard -s bylaws=@bylaws.txt \\
      -s currency.code=EUR -s currency.exponent=2 -s bonds_transferable=true \\
      -s reserve_bps=1000 -s founders[]=member=ana,key=$(cat ana.pub) ... -o charter.doc.json
  commonstock draft payment --chain chain.jsonl --date 2025-03-01 -s id=p1 \\
      -s purpose=rent -s 'amount=EUR 500.00' -s ref.agreement=lease-1 \\
      -s ref.instalment=1 -o p1.doc.json
  commonstock draft admission --chain chain.jsonl --date 2025-02-01 --body admission.json";

const SHOW_HELP: &str = "Examples:
  commonstock show charter.doc.json
  commonstock show --chain chain.jsonl --text lease.txt lease.doc.json
  commonstock show --json --chain chain.jsonl p1.doc.json";

const SIGN_HELP: &str = "Shows the document and asks for confirmation on the terminal unless
--yes. Refuses a document of another commune, a second signature by one key,
and a document that could no longer be valid at the end of the chain (its
date is before the chain's last, it is already in the chain, an id it
creates is taken, a signature does not verify, …). A document still missing
other signatures is expected: that is what signing offline is.

Examples:
  commonstock sign --key ana.key charter.doc.json
  commonstock sign --chain chain.jsonl --key ana.key --yes p1.doc.json
  commonstock sign --chain chain.jsonl --key ben.key lease.doc.json -o lease.ben.doc.json";

const MERGE_HELP: &str = "Each copy must be the same document (same hash); every signature must
verify.

Example:
  commonstock merge lease.ana.doc.json lease.ben.doc.json -o lease.doc.json";

const APPEND_HELP: &str = "Checks the document against the chain's current state (every rule of
the spec: signatures, authority, references, amounts), then replaces the
chain atomically: the chain on disk is always either the old or the new
one. Concurrent appends to one chain wait for each other (a lock on
CHAIN.lock, released by the system if the holder dies).

Examples:
  commonstock append --new chain.jsonl charter.doc.json
  commonstock append chain.jsonl p1.doc.json";

const LOG_HELP: &str = "Examples:
  commonstock log chain.jsonl
  commonstock log chain.jsonl --kind payment --asset flat-1
  commonstock log chain.jsonl --member ana --full
  commonstock log --json chain.jsonl";

const CP_MAKE_HELP: &str = "Example:
  commonstock checkpoint make chain.jsonl --key ana.key -o head.checkpoint";

const CP_COSIGN_HELP: &str =
    "Checks that the checkpoint agrees with your chain and that your key is
a current member's at the checkpoint's last entry.

Example:
  commonstock checkpoint cosign head.checkpoint --chain chain.jsonl --key ben.key";

const CP_VERIFY_HELP: &str = "Audits the chain with the checkpoints (CKP-3) and checks that every
cosigner was a current member at the checkpoint's last entry.

Example:
  commonstock checkpoint verify chain.jsonl head.checkpoint";

const CP_FORK_HELP: &str = "Example:
  commonstock checkpoint fork-proof a.checkpoint b.checkpoint \\
      --chain-a ours.jsonl --chain-b theirs.jsonl -o fork.proof";

pub fn run(command: Command) -> Res<ExitCode> {
    match command {
        Command::Key(KeyCommand::Generate { out, encrypt, pass }) => {
            key_generate(&out, encrypt, &pass)
        }
        Command::Key(KeyCommand::Show { file, pass, json }) => key_show(&file, &pass, json),
        Command::Draft(a) => draft(a),
        Command::Show {
            doc,
            chain,
            text,
            json,
        } => show(&doc, chain.as_deref(), text.as_deref(), json),
        Command::Sign {
            doc,
            key,
            chain,
            yes,
            out,
        } => sign(&doc, &key, chain.as_deref(), yes, out.as_deref()),
        Command::Merge { docs, out } => merge(&docs, &out),
        Command::Append { chain, doc, new } => append(&chain, &doc, new),
        Command::Checkpoint(c) => checkpoint(c),
        Command::Log {
            chain,
            full,
            kind,
            member,
            asset,
            json,
        } => log(&chain, full, kind, member, asset, json),
    }
}

// ---------------------------------------------------------------------------
// Shared helpers

/// Colour for a word, only on a terminal and without NO_COLOR.
fn paint(word: &str, colour: u8) -> String {
    let on =
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if on {
        format!("\x1b[{colour}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}

const GREEN: u8 = 32;
const YELLOW: u8 = 33;
const RED: u8 = 31;

fn read_input(name: &str) -> Res<Vec<u8>> {
    if name == "-" {
        let mut b = Vec::new();
        io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| usage(format!("standard input: {e}")))?;
        Ok(b)
    } else {
        fs::read(name).map_err(|e| usage(format!("{name}: {e}")))
    }
}

fn write_output(name: &str, bytes: &[u8]) -> Res<()> {
    if name == "-" {
        let mut out = io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| usage(format!("standard output: {e}")))
    } else {
        chainfile::replace_file(Path::new(name), bytes).map_err(|e| usage(format!("{name}: {e}")))
    }
}

fn read_doc(name: &str) -> Res<Document> {
    let bytes = read_input(name)?;
    Document::parse_file(&bytes).map_err(|e| {
        refused(format!(
            "{name} is not a document file: {e} (a document file is one canonical JSON line, as `commonstock draft` writes it)"
        ))
    })
}

fn read_chain(path: &Path) -> Res<Chain> {
    let bytes = fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    Chain::read(&bytes).map_err(|e| usage(format!("{}: {e}", path.display())))
}

fn passphrase(p: &PassArgs, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, String> {
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

fn load_key(k: &KeyArgs) -> Res<SecretKey> {
    keyfile::read_with(&k.key, || {
        passphrase(
            &k.pass,
            &format!("Passphrase for {}: ", k.key.display()),
            false,
        )
    })
    .map_err(key_error)
}

fn key_error(e: keyfile::Error) -> Failure {
    match e {
        keyfile::Error::Permissions(..)
        | keyfile::Error::Passphrase(_)
        | keyfile::Error::Format(_) => refused(e.to_string()),
        _ => usage(e.to_string()),
    }
}

fn confirm(question: &str) -> Res<()> {
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

fn standing_text(s: &Result<Standing, review::Problem>) -> String {
    match s {
        Ok(Standing::Complete) => paint("complete", GREEN) + ": it can be appended",
        Ok(Standing::Incomplete(f)) => {
            paint("needs more signatures", YELLOW) + &format!(": {} {}", f.rule, f.detail)
        }
        Err(f) => paint("cannot be appended", RED) + &format!(": {f}"),
    }
}

fn standing_value(s: &Result<Standing, review::Problem>) -> Value {
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

fn json_line(v: &Value) -> Vec<u8> {
    let mut b = canonical::encode(v);
    b.push(b'\n');
    b
}

fn print(bytes: &[u8]) -> Res<ExitCode> {
    match io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(usage(e.to_string())),
        _ => Ok(ExitCode::SUCCESS),
    }
}

// ---------------------------------------------------------------------------
// Keys

fn key_generate(out: &Path, encrypt: bool, pass: &PassArgs) -> Res<ExitCode> {
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

fn key_show(file: &Path, pass: &PassArgs, json: bool) -> Res<ExitCode> {
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

// ---------------------------------------------------------------------------
// Draft, show, sign, merge, append

fn draft(a: DraftArgs) -> Res<ExitCode> {
    let kind = Kind::from_name(&a.kind).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        usage(format!(
            "unknown kind {:?}; one of: {}",
            a.kind,
            all.join(", ")
        ))
    })?;
    let date =
        Date::parse(&a.date).map_err(|e| usage(format!("--date {}: {}", a.date, e.detail)))?;
    let chain = match (&a.chain, kind) {
        (Some(_), Kind::Charter) => {
            return Err(usage("a charter starts a chain: draft it without --chain"));
        }
        (Some(p), _) => Some(read_chain(p)?),
        (None, Kind::Charter) => None,
        (None, _) => {
            return Err(usage(format!(
                "a {kind} needs the chain it will join: pass --chain CHAIN"
            )));
        }
    };
    let mut body = match &a.body {
        Some(f) => Body::from_json(&read_input(f)?).map_err(|e| usage(e.to_string()))?,
        None => Body::default(),
    };
    // The currency for `EUR 12.34` values: the chain's, or a charter's own
    // (set by an earlier --set or the body file).
    let mut money = chain.as_ref().and_then(|c| {
        (!c.state.currency.is_empty()).then(|| Money {
            code: c.state.currency.clone(),
            exponent: c.state.exponent,
        })
    });
    for s in &a.set {
        if money.is_none() {
            let probe = Document::new(Default::default(), kind, date, body.clone().finish());
            money = Money::of(&probe, None);
        }
        body.assign(s, money.as_ref())
            .map_err(|e| usage(format!("--set {s}: {e}")))?;
    }
    let mut body = body.finish();
    if let (Kind::PeriodClose, Some(c)) = (kind, &chain) {
        draft::fill_period_close(&mut body, &c.state, date);
    }
    let doc =
        draft::document(kind, date, body, chain.as_ref().and_then(|c| c.commune)).map_err(|e| {
            match e {
                draft::Error::Input(m) => usage(m),
                draft::Error::Rule(f) => {
                    refused(format!("the draft breaks {f}; fix it and draft again"))
                }
            }
        })?;
    if let Some(c) = &chain
        && let Err(f) = review::check(Some(c), &doc)
    {
        return Err(refused(format!(
            "this {kind} could not join the chain: {f}; fix it and draft again"
        )));
    }
    write_output(&a.out, &doc.to_file_bytes())?;
    if a.out != "-" {
        eprintln!(
            "drafted {} ({}): {}",
            a.out,
            doc.hash().short(),
            review::summary(&doc, chain.as_ref().map(|c| &c.state))
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(name: &str, chain: Option<&Path>, text: Option<&Path>, json: bool) -> Res<ExitCode> {
    let doc = read_doc(name)?;
    let chain = chain.map(read_chain).transpose()?;
    let text = text
        .map(|t| fs::read(t).map_err(|e| usage(format!("{}: {e}", t.display()))))
        .transpose()?;
    let state = chain.as_ref().map(|c| &c.state);
    let standing = if chain.is_some() || doc.kind == Kind::Charter {
        Some(review::check(chain.as_ref(), &doc))
    } else {
        None
    };
    let verdicts = doc.verify_signatures();
    let lines = review::describe(&doc, state, text.as_deref());
    let msg = doc.signing_message();
    if json {
        let mut o = Object::new();
        o.insert("document", doc.to_value());
        o.insert("hash", Value::from(doc.hash().to_b64()));
        o.insert("summary", Value::from(review::summary(&doc, state)));
        o.insert("signing_message", Value::from(b64::encode(&msg)));
        let sigs = doc
            .sigs
            .iter()
            .zip(&verdicts)
            .map(|(s, v)| {
                let mut o = Object::new();
                o.insert("key", Value::from(b64::encode(&s.key)));
                o.insert(
                    "member",
                    state
                        .and_then(|st| st.member_by_key(&s.key))
                        .map_or(Value::Null, Value::from),
                );
                o.insert("valid", Value::Bool(v.is_ok()));
                Value::Object(o)
            })
            .collect();
        o.insert("signatures", Value::Array(sigs));
        o.insert(
            "text_matches",
            match &text {
                None => Value::Null,
                Some(t) => {
                    let h = commonstock::hash::text(t).to_b64();
                    Value::Bool(
                        doc.body.iter().any(|(k, v)| {
                            review::is_text_hash(k) && v.as_str() == Some(h.as_str())
                        }),
                    )
                }
            },
        );
        o.insert(
            "standing",
            standing.as_ref().map_or(Value::Null, standing_value),
        );
        return print(&json_line(&Value::Object(o)));
    }
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(out, "{} dated {}", doc.kind, doc.date);
    let _ = writeln!(out, "  {}", review::summary(&doc, state));
    let _ = writeln!(out, "commune:       {}", doc.commune);
    let _ = writeln!(out, "document hash: {}", doc.hash());
    let _ = writeln!(out, "body:");
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in &lines {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
    let _ = writeln!(out, "signatures ({}):", doc.sigs.len());
    for (s, v) in doc.sigs.iter().zip(&verdicts) {
        let verdict = match v {
            Ok(()) => paint("valid", GREEN),
            Err(e) => paint("INVALID", RED) + &format!(" ({e})"),
        };
        let _ = writeln!(out, "  {}  {verdict}", review::key_name(&s.key, state));
    }
    if let Some(s) = &standing {
        let _ = writeln!(out, "standing: {}", standing_text(s));
    } else {
        let _ = writeln!(
            out,
            "standing: unknown (pass --chain to check it against the chain)"
        );
    }
    let _ = writeln!(
        out,
        "a signature commits to: \"commonstock v1 document signature\", 0x00, the commune id, and\n  the document hash, which covers v, commune, kind, date and the whole body above\n  (not the other signatures); the 98 bytes signed, base64url:\n  {}",
        b64::encode(&msg)
    );
    print(out.as_bytes())
}

fn sign(
    name: &str,
    k: &KeyArgs,
    chain: Option<&Path>,
    yes: bool,
    out: Option<&str>,
) -> Res<ExitCode> {
    let mut doc = read_doc(name)?;
    let chain = match (chain, doc.kind) {
        (Some(p), _) => Some(read_chain(p)?),
        (None, Kind::Charter) => None,
        (None, kind) => {
            return Err(usage(format!(
                "to sign a {kind} safely, pass the chain it will join (--chain CHAIN)"
            )));
        }
    };
    let key = load_key(k)?;
    let public = key.public_key();
    if doc.signed_by(&public) {
        return Err(refused(format!(
            "not signed: DOC-4: {} has already signed this document",
            review::key_name(&public, chain.as_ref().map(|c| &c.state))
        )));
    }
    let state = chain.as_ref().map(|c| &c.state);
    if let Err(f) = review::check(chain.as_ref(), &doc) {
        return Err(refused(format!(
            "not signed: this document can never be valid at the end of the chain: {f}"
        )));
    }
    if !yes {
        eprintln!(
            "{} dated {}: {}\ndocument hash {}; you sign as {}",
            doc.kind,
            doc.date,
            review::summary(&doc, state),
            doc.hash(),
            review::key_name(&public, state)
        );
        confirm("Sign it?")?;
    }
    doc.sign(&key).map_err(|e| refused(e.to_string()))?;
    let standing = review::check(chain.as_ref(), &doc);
    let dest = out.unwrap_or(name);
    write_output(dest, &doc.to_file_bytes())?;
    eprintln!(
        "signed as {}; {}",
        review::key_name(&public, state),
        standing_text(&standing)
    );
    Ok(ExitCode::SUCCESS)
}

fn merge(docs: &[PathBuf], out: &str) -> Res<ExitCode> {
    let mut merged: Option<Document> = None;
    for p in docs {
        let name = p.to_string_lossy();
        let d = read_doc(&name)?;
        for (i, v) in d.verify_signatures().into_iter().enumerate() {
            if let Err(e) = v {
                return Err(refused(format!("{name}: sigs[{i}] does not verify: {e}")));
            }
        }
        match &mut merged {
            None => merged = Some(d),
            Some(m) => {
                if m.hash() != d.hash() {
                    return Err(refused(format!(
                        "{name} is another document (hash {}, not {}): only copies of one document merge",
                        d.hash(),
                        m.hash()
                    )));
                }
                for s in d.sigs {
                    if !m.signed_by(&s.key) {
                        m.add_signature(s).map_err(|e| refused(e.to_string()))?;
                    }
                }
            }
        }
    }
    let m = merged.expect("at least two documents");
    write_output(out, &m.to_file_bytes())?;
    eprintln!("merged: {} signatures", m.sigs.len());
    Ok(ExitCode::SUCCESS)
}

fn append(path: &Path, name: &str, new: bool) -> Res<ExitCode> {
    let doc = read_doc(name)?;
    match chainfile::append(path, &doc, new) {
        Ok(a) => {
            println!(
                "appended entry {} ({}): {}\nhead: {}",
                a.seq,
                a.doc_hash.short(),
                a.summary,
                a.head
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (chainfile::Error::Refused(_) | chainfile::Error::Incomplete(_))) => {
            Err(refused(format!("not appended: {e}")))
        }
        Err(e) => Err(usage(format!("not appended: {e}"))),
    }
}

// ---------------------------------------------------------------------------
// Checkpoints

fn read_checkpoint(p: &Path) -> Res<Checkpoint> {
    let bytes = fs::read(p).map_err(|e| usage(format!("{}: {e}", p.display())))?;
    Checkpoint::parse(&bytes)
        .map_err(|e| refused(format!("{} is not a checkpoint: {e}", p.display())))
}

/// The first `size` entries of a chain file (for the state at a checkpoint).
fn prefix(bytes: &[u8], size: u64) -> &[u8] {
    let mut seen = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            seen += 1;
            if seen == size {
                return &bytes[..=i];
            }
        }
    }
    bytes
}

fn state_at(bytes: &[u8], size: u64) -> Res<State> {
    audit::audit_with_state(prefix(bytes, size), &Options::default())
        .map(|(_, s)| s)
        .map_err(|e| usage(e.to_string()))
}

fn checkpoint(c: CheckpointCommand) -> Res<ExitCode> {
    match c {
        CheckpointCommand::Make {
            chain,
            out,
            key,
            pass,
        } => {
            let ch = read_chain(&chain)?;
            if !ch.report.integrity {
                return Err(refused(format!(
                    "{} fails its audit; run `commonstock audit` on it",
                    chain.display()
                )));
            }
            let mut cp = Checkpoint::new(ch.commune.unwrap_or_default(), ch.len, ch.head);
            let key = load_key(&KeyArgs { key, pass })?;
            let public = key.public_key();
            if ch.state.member_by_key(&public).is_none() {
                return Err(refused(format!(
                    "key {} is not a current member's key in this chain; only members' cosignatures count",
                    keyfile::fingerprint(&public)
                )));
            }
            cp.sign(&key).map_err(|e| refused(e.to_string()))?;
            write_output(&out.to_string_lossy(), &cp.to_bytes())?;
            eprintln!(
                "checkpoint of {} entries, head {}, {} signature(s)",
                cp.size,
                cp.head,
                cp.sigs.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        CheckpointCommand::Cosign { file, key, chain } => {
            let mut cp = read_checkpoint(&file)?;
            cp.verify_signatures()
                .map_err(|e| refused(format!("not cosigned: a signature does not verify: {e}")))?;
            let sk = load_key(&key)?;
            let public = sk.public_key();
            if cp.sigs.iter().any(|s| s.key == public) {
                return Err(refused(format!(
                    "not cosigned: CKP-2: key {} has already cosigned",
                    keyfile::fingerprint(&public)
                )));
            }
            match &chain {
                Some(p) => {
                    let bytes = fs::read(p).map_err(|e| usage(format!("{}: {e}", p.display())))?;
                    let opts = Options {
                        checkpoints: vec![cp.clone()],
                    };
                    let report =
                        audit::audit(&bytes[..], &opts).map_err(|e| usage(e.to_string()))?;
                    if let Some(f) = report.findings.iter().find(|f| f.rule.code() == "CKP-3") {
                        return Err(refused(format!(
                            "not cosigned: the checkpoint disagrees with your chain: {f}"
                        )));
                    }
                    if !report.integrity {
                        return Err(refused("not cosigned: your chain fails its audit"));
                    }
                    if state_at(&bytes, cp.size)?.member_by_key(&public).is_none() {
                        return Err(refused(format!(
                            "not cosigned: key {} was not a current member's key at entry {}",
                            keyfile::fingerprint(&public),
                            cp.size - 1
                        )));
                    }
                }
                None => eprintln!(
                    "warning: not checked against a chain; pass --chain to be sure what you cosign"
                ),
            }
            cp.sign(&sk).map_err(|e| refused(e.to_string()))?;
            chainfile::replace_file(&file, &cp.to_bytes())
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            eprintln!(
                "cosigned: {} entries, head {}; {} signature(s)",
                cp.size,
                cp.head,
                cp.sigs.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        CheckpointCommand::Verify {
            chain,
            checkpoints,
            json,
        } => verify_checkpoints(&chain, &checkpoints, json),
        CheckpointCommand::ForkProof {
            a,
            b,
            chain_a,
            chain_b,
            out,
        } => fork_proof(&a, &b, chain_a.as_deref(), chain_b.as_deref(), &out),
        CheckpointCommand::VerifyProof { proof, json } => {
            let bytes = fs::read(&proof).map_err(|e| usage(format!("{}: {e}", proof.display())))?;
            let verdict = ForkProof::parse(&bytes).and_then(|p| p.verify().map(|()| p));
            if json {
                let mut o = Object::new();
                o.insert("valid", Value::Bool(verdict.is_ok()));
                match &verdict {
                    Ok(p) => {
                        o.insert("commune", Value::from(p.a.commune.to_b64()));
                        o.insert("position", Value::Int(p.position as i64));
                    }
                    Err(e) => {
                        o.insert("rule", Value::from(e.rule.code()));
                        o.insert("detail", Value::from(e.to_string()));
                    }
                }
                print(&json_line(&Value::Object(o)))?;
            } else {
                match &verdict {
                    Ok(p) => println!(
                        "{}: commune {} forked at entry {}: checkpoints of sizes {} and {} cannot both hold (signed by {} and {} keys)",
                        paint("valid fork proof", RED),
                        p.a.commune,
                        p.position,
                        p.a.size,
                        p.b.size,
                        p.a.sigs.len(),
                        p.b.sigs.len()
                    ),
                    Err(e) => println!("{}: {e}", paint("not a fork proof", YELLOW)),
                }
            }
            Ok(if verdict.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn verify_checkpoints(chain: &Path, files: &[PathBuf], json: bool) -> Res<ExitCode> {
    let bytes = fs::read(chain).map_err(|e| usage(format!("{}: {e}", chain.display())))?;
    let cps = files
        .iter()
        .map(|f| read_checkpoint(f))
        .collect::<Res<Vec<_>>>()?;
    let opts = Options {
        checkpoints: cps.clone(),
    };
    let report = audit::audit(&bytes[..], &opts).map_err(|e| usage(e.to_string()))?;
    let mut all_ok = report.is_valid();
    let mut results = Vec::new();
    let mut text = String::new();
    use std::fmt::Write as _;
    for (i, (f, cp)) in files.iter().zip(&cps).enumerate() {
        let finding = report.findings.iter().find(|x| {
            x.field
                .as_deref()
                .is_some_and(|p| p.starts_with(&format!("checkpoint[{i}]")))
        });
        let (mut members, strangers) = if finding.is_none() && report.integrity {
            let state = state_at(&bytes, cp.size)?;
            let mut m = Vec::new();
            let mut s = Vec::new();
            for sig in &cp.sigs {
                match state.member_by_key(&sig.key) {
                    Some(id) => m.push(id.to_string()),
                    None => s.push(b64::encode(&sig.key)),
                }
            }
            (m, s)
        } else {
            (Vec::new(), Vec::new())
        };
        members.sort();
        all_ok &= strangers.is_empty();
        let ok = finding.is_none() && strangers.is_empty() && report.integrity;
        let _ = write!(
            text,
            "{}: {} at size {}: ",
            f.display(),
            if ok {
                paint("agrees", GREEN)
            } else {
                paint("FAILS", RED)
            },
            cp.size
        );
        match finding {
            Some(x) => {
                let _ = writeln!(text, "{x}");
            }
            None => {
                let _ = write!(
                    text,
                    "cosigned by {}",
                    if members.is_empty() {
                        "no member".to_string()
                    } else {
                        members.join(", ")
                    }
                );
                if !strangers.is_empty() {
                    let _ = write!(
                        text,
                        "; NOT members at entry {}: {}",
                        cp.size - 1,
                        strangers
                            .iter()
                            .map(|k| k[..12].to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                let _ = writeln!(text);
            }
        }
        let mut o = Object::new();
        o.insert("file", Value::from(f.to_string_lossy().into_owned()));
        o.insert("size", Value::Int(cp.size as i64));
        o.insert("agrees", Value::Bool(finding.is_none() && report.integrity));
        o.insert(
            "members",
            Value::Array(members.into_iter().map(Value::from).collect()),
        );
        o.insert(
            "not_members",
            Value::Array(strangers.into_iter().map(Value::from).collect()),
        );
        results.push(Value::Object(o));
    }
    if json {
        let mut o = Object::new();
        o.insert("valid", Value::Bool(all_ok));
        o.insert("audit", report.to_value());
        o.insert("checkpoints", Value::Array(results));
        print(&json_line(&Value::Object(o)))?;
    } else {
        if !report.integrity {
            let _ = writeln!(
                text,
                "the chain fails its audit: run `commonstock audit` on it"
            );
        } else if let Some(f) = report.findings.iter().find(|f| f.entry.is_some()) {
            let _ = writeln!(text, "the chain has findings, first: {f}");
        }
        print(text.as_bytes())?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn chain_lines(p: &Path) -> Res<Vec<Vec<u8>>> {
    let bytes = fs::read(p).map_err(|e| usage(format!("{}: {e}", p.display())))?;
    let mut r = LineReader::new(&bytes[..]);
    let mut out = Vec::new();
    while let Some(l) = r.next_line() {
        match l {
            Ok((_, line)) => out.push(line.to_vec()),
            Err(_) => {
                return Err(refused(format!(
                    "{} is not a well-framed chain",
                    p.display()
                )));
            }
        }
    }
    Ok(out)
}

fn fork_proof(
    a: &Path,
    b: &Path,
    chain_a: Option<&Path>,
    chain_b: Option<&Path>,
    out: &Path,
) -> Res<ExitCode> {
    let (ca, cb) = (read_checkpoint(a)?, read_checkpoint(b)?);
    let proof = match (chain_a, chain_b) {
        (Some(pa), Some(pb)) => {
            let (la, lb) = (chain_lines(pa)?, chain_lines(pb)?);
            let (na, nb) = (ca.size as usize, cb.size as usize);
            if la.len() < na || lb.len() < nb {
                return Err(refused(
                    "a chain is shorter than its checkpoint: give the chain each checkpoint describes",
                ));
            }
            let position = (0..na.min(nb)).find(|&i| la[i] != lb[i]).ok_or_else(|| {
                refused("the chains agree up to the shorter checkpoint: one extends the other, there is no fork")
            })?;
            ForkProof {
                a: ca,
                b: cb,
                position: position as u64,
                entries_a: la[position..na].to_vec(),
                entries_b: lb[position..nb].to_vec(),
            }
        }
        (None, None) => ForkProof {
            a: ca,
            b: cb,
            position: 0,
            entries_a: Vec::new(),
            entries_b: Vec::new(),
        },
        _ => {
            return Err(usage(
                "give both --chain-a and --chain-b, or neither (for two checkpoints of one size)",
            ));
        }
    };
    proof
        .verify()
        .map_err(|e| refused(format!("no fork proof: {e}")))?;
    let bytes = proof.to_bytes().map_err(|e| refused(e.to_string()))?;
    write_output(&out.to_string_lossy(), &bytes)?;
    eprintln!(
        "fork proof written to {}: the chains part at entry {}",
        out.display(),
        proof.position
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------
// Log

fn log(
    chain: &str,
    full: bool,
    kind: Option<String>,
    member: Option<String>,
    asset: Option<String>,
    json: bool,
) -> Res<ExitCode> {
    let kind = kind
        .map(|k| Kind::from_name(&k).ok_or_else(|| usage(format!("unknown kind {k:?}"))))
        .transpose()?;
    let bytes = read_input(chain)?;
    let mut reader = LineReader::new(&bytes[..]);
    let mut state = State::new();
    let mut out = Vec::new();
    while let Some(next) = reader.next_line() {
        let (n, line) = next.map_err(|e| match e {
            chain::ReadError::Rule(r) => {
                refused(format!("{chain}: {r}; run `commonstock audit` on it"))
            }
            chain::ReadError::Io(e) => usage(e.to_string()),
        })?;
        let e = chain::parse_entry(line).map_err(|e| {
            refused(format!(
                "{chain}: line {n}: {e}; run `commonstock audit` on it"
            ))
        })?;
        let doc = &e.doc;
        let shown = kind.is_none_or(|k| k == doc.kind)
            && member
                .as_deref()
                .is_none_or(|m| review::involves_member(doc, &state, m))
            && asset
                .as_deref()
                .is_none_or(|a| review::involves_asset(doc, &state, a));
        if shown {
            let summary = review::summary(doc, Some(&state));
            if json {
                let mut o = Object::new();
                o.insert("date", Value::from(doc.date.to_string()));
                o.insert("doc_hash", Value::from(e.doc_hash.to_b64()));
                o.insert("entry_hash", Value::from(e.hash.to_b64()));
                o.insert("kind", Value::from(doc.kind.name()));
                o.insert("seq", Value::Int(e.seq as i64));
                o.insert("summary", Value::from(summary));
                if full {
                    o.insert("doc", doc.to_value());
                }
                out.extend_from_slice(&json_line(&Value::Object(o)));
            } else if full {
                let signers: Vec<String> = doc
                    .sigs
                    .iter()
                    .map(|s| review::key_name(&s.key, Some(&state)))
                    .collect();
                let mut t = format!(
                    "{} {}\nentry:    {}\ndocument: {}\ndate:     {}\nkind:     {}\nsigned:   {}\n\n    {summary}\n",
                    paint("entry", YELLOW),
                    e.seq,
                    e.hash,
                    e.doc_hash,
                    doc.date,
                    doc.kind,
                    signers.join(", ")
                );
                for (k, v) in review::describe(doc, Some(&state), None) {
                    t.push_str(&format!("    {k}: {v}\n"));
                }
                t.push('\n');
                out.extend_from_slice(t.as_bytes());
            } else {
                out.extend_from_slice(
                    format!(
                        "{:>5} {} {:<17} {} {summary}\n",
                        e.seq,
                        doc.date,
                        doc.kind.name(),
                        paint(&e.doc_hash.short(), YELLOW)
                    )
                    .as_bytes(),
                );
            }
        }
        // Void documents change nothing; the audit reports them.
        let _ = state.apply(doc);
    }
    print(&out)
}
