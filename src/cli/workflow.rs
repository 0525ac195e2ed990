//! The signing workflow's commands as clap defines them (keys, draft,
//! show, sign, merge, append, checkpoints, log) and their dispatch; each
//! group is wired in its own file. Only wiring: every rule is the
//! library's (`draft`, `review`, `chainfile`, `checkpoint`, `keyfile`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::common::*;

pub const MAIN_HELP: &str = "Examples:
  commonstock key generate --out ana.key > ana.pub
  commonstock draft payment --chain chain.jsonl --date 2025-03-01 \\
      -s id=p1 -s purpose=income -s 'amount=EUR 50.00' -s ref.source=gift -o p1.doc.json
  commonstock show --chain chain.jsonl p1.doc.json
  commonstock sign --chain chain.jsonl --key ana.key p1.doc.json
  commonstock append chain.jsonl p1.doc.json
  commonstock log chain.jsonl --kind payment
  commonstock audit --report chain.jsonl
  commonstock due chain.jsonl --as-of 2025-06-01
  commonstock draft bond-service --chain chain.jsonl --date 2025-06-02 --dir june
  commonstock sign --chain chain.jsonl --key ana.key june/*.doc.json
  commonstock append chain.jsonl june/*.doc.json

Exit status: 0 success (or valid), 1 refused (or invalid), 2 usage or I/O error.
README.md has a walkthrough from key generation to an audited chain, and a
treasurer's month.";

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
    /// Verify a document: exit 0 only when every signature verifies (and,
    /// with the chain, when it can be appended now).
    #[command(after_help = VERIFY_HELP)]
    Verify {
        /// The document file (`-` for standard input).
        doc: String,
        /// The chain it will join: a file, `-` or an http(s) URL.
        #[arg(long)]
        chain: Option<PathBuf>,
        /// One canonical JSON object instead of text (schema commonstock-verify-v1).
        #[arg(long)]
        json: bool,
    },
    /// Add your signature to document files: one passphrase, one confirmation.
    #[command(after_help = SIGN_HELP)]
    Sign {
        /// The document files, checked in this order (`-`: one document on
        /// standard input, written to standard output).
        #[arg(required = true)]
        docs: Vec<String>,
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
        /// Replace OUT even if that loses the signatures it holds.
        #[arg(long)]
        force: bool,
        /// Print what was signed as one JSON object.
        #[arg(long)]
        json: bool,
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
    /// Append fully signed documents to a chain, atomically: all or none.
    #[command(after_help = APPEND_HELP)]
    Append {
        /// The chain file.
        chain: PathBuf,
        /// The document files, appended in this order (`-` for one on
        /// standard input).
        #[arg(required = true)]
        docs: Vec<String>,
        /// Start a new chain with this charter (the first document).
        #[arg(long)]
        new: bool,
        /// Print the new entries as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// What the commune owes and is owed: rent to collect, bond service to
    /// pay, the next period to close, dividends payable.
    #[command(after_help = DUE_HELP)]
    Due {
        /// The chain file.
        chain: PathBuf,
        /// The date to look at (default: the chain's last entry's date; not
        /// before it).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// One JSON object (schema commonstock-due-v1, spec/13-outputs.md).
        #[arg(long)]
        json: bool,
    },
    /// Checkpoints: make, cosign, verify; fork proofs.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// Browse a chain like `git log`.
    #[command(after_help = LOG_HELP)]
    Log(LogArgs),
}

#[derive(Args)]
pub struct LogArgs {
    /// The chain: a file, `-` for standard input, or an http(s) URL.
    pub(crate) chain: String,
    /// The whole document of each entry, not one line.
    #[arg(long)]
    pub(crate) full: bool,
    /// Only documents of this kind.
    #[arg(long, value_parser = kind_names())]
    pub(crate) kind: Option<String>,
    /// Only documents naming or signed by this member, the payments on the
    /// agreements they rent, and their dividends.
    #[arg(long)]
    pub(crate) member: Option<String>,
    /// Only documents about this bondholder's bonds: sales to them,
    /// transfers from or to them, coupons and principal paid to them. KEY is
    /// the public key, or a public key file.
    #[arg(long, value_name = "KEY")]
    pub(crate) holder: Option<String>,
    /// Only documents about this asset (its series, its agreements).
    #[arg(long)]
    pub(crate) asset: Option<String>,
    /// Only documents dated on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,
    /// Only documents dated on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,
    /// Only the last N entries shown (the most recent).
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    pub(crate) max_count: Option<usize>,
    /// Newest first.
    #[arg(long)]
    pub(crate) reverse: bool,
    /// One canonical JSON object per entry (schema commonstock-log-v1).
    #[arg(long)]
    pub(crate) json: bool,
}

/// The batch "kinds" of `draft` (`cli/batch.rs`).
pub(crate) const BATCHES: [&str; 3] = ["dividends", "bond-service", "payments"];

/// What `draft` drafts: a kind, or a batch of payments.
pub(crate) fn draft_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        commonstock::document::Kind::ALL
            .iter()
            .map(|k| k.name())
            .chain(BATCHES),
    )
}

/// The kinds' names, for completion and checking of `--kind` and `draft
/// KIND`.
pub(crate) fn kind_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        commonstock::document::Kind::ALL.iter().map(|k| k.name()),
    )
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

#[derive(Args)]
pub struct DraftArgs {
    /// The kind of document (`commonstock help draft KIND` lists its
    /// fields), or a batch of payments: dividends, bond-service, payments.
    #[arg(value_parser = draft_names())]
    pub(crate) kind: String,
    /// Draft a version-2 document (spec/README.md, Versioning); the kinds
    /// of version 2 are always version 2.
    #[arg(long)]
    pub(crate) v2: bool,
    /// The document's date, YYYY-MM-DD (a batch's payments' date; not for
    /// `payments`, whose dates are the CSV's).
    #[arg(long, required_unless_present_any = ["fields", "csv"])]
    pub(crate) date: Option<String>,
    /// List the kind's fields with their types, and draft nothing.
    #[arg(long)]
    pub(crate) fields: bool,
    /// The chain it will join (every kind but a charter).
    #[arg(long)]
    pub(crate) chain: Option<PathBuf>,
    /// Start from this body (a JSON object; `-` for standard input).
    #[arg(long)]
    pub(crate) body: Option<String>,
    /// Set a body member: PATH=VALUE (repeatable; see below).
    #[arg(long = "set", short = 's', value_name = "PATH=VALUE")]
    pub(crate) set: Vec<String>,
    /// Where to write the document (`-` for standard output).
    #[arg(long, short, default_value = "-")]
    pub(crate) out: String,
    /// Replace OUT even if it holds signatures (a signed document, a chain).
    #[arg(long)]
    pub(crate) force: bool,
    /// `draft dividends`: the closed period whose dividends to pay, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub(crate) period: Option<String>,
    /// `draft bond-service`: pay the rows due on or before this date
    /// (default: --date).
    #[arg(long, value_name = "DATE")]
    pub(crate) due_by: Option<String>,
    /// `draft payments`: the bank-statement CSV (see below).
    #[arg(long, value_name = "FILE")]
    pub(crate) csv: Option<PathBuf>,
    /// `draft payments`: the CSV column holding FIELD (repeatable).
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    pub(crate) columns: Vec<String>,
    /// A batch: the directory to write each document in, as ID.doc.json.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// A batch: print what was drafted as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) const KEY_GENERATE_HELP: &str =
    "The key file is created with mode 0600 and never overwrites anything.
With --encrypt it is a standard PKCS#8 encrypted key (scrypt + AES-256-CBC);
the passphrase is asked on the terminal (twice) unless given by
--passphrase-file or --passphrase-env.

Examples:
  commonstock key generate --out ana.key > ana.pub
  commonstock key generate --encrypt --out ana.key > ana.pub
  commonstock key generate --encrypt --passphrase-env ANA_PASS --out ana.key";

pub(crate) const KEY_SHOW_HELP: &str = "Refuses a key file that group or others can read.

Examples:
  commonstock key show ana.key
  commonstock key show --json ana.key";

pub(crate) const DRAFT_HELP: &str =
    "`commonstock help draft KIND` (or `draft KIND --fields`) lists the
fields of a kind with their types.

Values of --set PATH=VALUE:
  @FILE                 a key member: the public key in FILE (ana.pub);
                        else the text hash of FILE (for text, bylaws)
  'EUR 1,234.56'        an amount in the commune's currency (minor units);
                        amounts are positive
  12, true, \"007\", [..] a JSON value
  k=v,k=v               after PATH[]=: an object appended to the list PATH
  anything else         a string
PATH is dotted (ref.agreement=lease-1); PATH[]=V appends to a list, kept
sorted as the spec requires. A bond series' schedule is computed from its
terms when not given. A charter's commune id is computed from its body.
From the chain, what the rules determine is filled in when not given: a
period close's figures (empty body), an asset sale's distribution, surplus
and written_down (give asset and price), a call's price (give series), an
auction result's rate_bps, allocations and schedule (give auction); a
payment's amount where the rules fix it (a coupon, a principal, a dividend),
and its id (made from what it pays: rent-lease-1-3,
coupon-workshop-1-3-9f3a2b1c, dividend-2025-05-ana, …, never one already
taken; spec/13-outputs.md).

Batches of payments, one file per payment in --dir (DIR/ID.doc.json), every
one checked in order as it will be appended:
  dividends --period YYYY-MM   every dividend of a closed period still payable
  bond-service [--due-by DATE] every coupon and principal due and unpaid, per
                               holder of record (amount = units × the row's)
  payments --csv FILE          one payment per row of a bank statement: a
                               header row, then date,purpose,amount,id and the
                               ref fields (agreement, instalment, series, row,
                               holder, member, period, asset, approval, source;
                               or ref=k=v;k=v); --column FIELD=HEADER maps a
                               column; other columns are ignored. A bad row
                               refuses the whole file, naming it.

Examples:
  commonstock draft charter --date 2025-01-01 -s name=Orchard -s bylaws=@bylaws.txt \\
      -s currency.code=EUR -s currency.exponent=2 -s bonds_transferable=true \\
      -s reserve_bps=1000 -s founders[]=member=ana,key=$(cat ana.pub) ... -o charter.doc.json
  commonstock draft payment --chain chain.jsonl --date 2025-03-01 -s id=p1 \\
      -s purpose=rent -s 'amount=EUR 500.00' -s ref.agreement=lease-1 \\
      -s ref.instalment=1 -o p1.doc.json
  commonstock draft admission --chain chain.jsonl --date 2025-02-01 --body admission.json
  commonstock draft admission --chain chain.jsonl --date 2025-02-01 -s member=dan -s key=@dan.pub
  commonstock help draft bond_series
  commonstock draft payment --chain chain.jsonl --date 2025-06-02 -s purpose=dividend \\
      -s ref.member=ana -s ref.period=2025-05 -o div-ana.doc.json
  commonstock draft dividends --chain chain.jsonl --period 2025-05 --date 2025-06-02 --dir may
  commonstock draft bond-service --chain chain.jsonl --date 2025-06-02 --dir june
  commonstock draft payments --chain chain.jsonl --csv bank.csv --column 'date=Value date'";

pub(crate) const SHOW_HELP: &str = "Examples:
  commonstock show charter.doc.json
  commonstock show --chain chain.jsonl --text lease.txt lease.doc.json
  commonstock show --json --chain chain.jsonl p1.doc.json";

pub(crate) const VERIFY_HELP: &str =
    "For scripts: `show` is for reading and exits 0 whatever it shows;
`verify` exits 0 only when the document carries at least one signature and
every one verifies, and, with --chain (or for a charter, which starts a
chain), when it is complete and can be appended now.

Exit status: 0 verified, 1 not (a signature fails, none, or it cannot be
appended yet), 2 usage or I/O error.

Examples:
  commonstock verify p1.doc.json
  commonstock verify --chain chain.jsonl p1.doc.json && commonstock append chain.jsonl p1.doc.json";

pub(crate) const SIGN_HELP: &str =
    "Shows the document and asks for confirmation on the terminal unless
--yes. Refuses a document of another commune, a second signature by one key,
and a document that could no longer be valid at the end of the chain (its
date is before the chain's last, it is already in the chain, an id it
creates is taken, a signature does not verify, …). A document still missing
other signatures is expected: that is what signing offline is.

With several documents: one passphrase, one confirmation listing them all;
each is checked after the ones before it (they are appended in that order),
and if one cannot be signed none is.

Examples:
  commonstock sign --key ana.key charter.doc.json
  commonstock sign --chain chain.jsonl --key ana.key --yes p1.doc.json
  commonstock sign --chain chain.jsonl --key ben.key lease.doc.json -o lease.ben.doc.json
  commonstock sign --chain chain.jsonl --key ana.key --yes june/*.doc.json";

pub(crate) const MERGE_HELP: &str =
    "Each copy must be the same document (same hash); every signature must
verify.

Example:
  commonstock merge lease.ana.doc.json lease.ben.doc.json -o lease.doc.json";

pub(crate) const APPEND_HELP: &str =
    "Checks the document against the chain's current state (every rule of
the spec: signatures, authority, references, amounts), then replaces the
chain atomically: the chain on disk is always either the old or the new
one. Concurrent appends to one chain wait for each other (a lock on
CHAIN.lock, released by the system if the holder dies).

Several documents are checked in order, each against the state the ones
before it leave, and written in one atomic step: all of them, or none (the
first that cannot be appended is named). The chain is read through the cache
of saved audit states ($XDG_CACHE_HOME/commonstock), so only what was added
since it was last read is audited.

Examples:
  commonstock append --new chain.jsonl charter.doc.json
  commonstock append chain.jsonl p1.doc.json
  commonstock append chain.jsonl june/*.doc.json";

pub(crate) const DUE_HELP: &str =
    "Rent instalments due and not fully paid (with the days since due), bond rows
due per holder of record with the coupon and principal not paid, the next
period to close and from when, and every dividend declared and not paid.
As of the chain's last entry, or of a later --as-of date (rows falling due
by then are owed to the holders now).

Examples:
  commonstock due chain.jsonl
  commonstock due chain.jsonl --as-of 2025-06-01
  commonstock due --json chain.jsonl";

pub(crate) const LOG_HELP: &str =
    "Entries are listed in chain order (oldest first; --reverse for newest
first). The filters combine; -n N then keeps the N most recent entries that
pass them.

Examples:
  commonstock log chain.jsonl
  commonstock log chain.jsonl -n 5 --reverse
  commonstock log chain.jsonl --kind payment --asset flat-1
  commonstock log chain.jsonl --member ana --full
  commonstock log chain.jsonl --since 2025-03-01 --until 2025-03-31
  commonstock log chain.jsonl --holder @eve.pub
  commonstock log --json https://commune.example/chain.jsonl";

pub(crate) const CP_MAKE_HELP: &str = "Example:
  commonstock checkpoint make chain.jsonl --key ana.key -o head.checkpoint";

pub(crate) const CP_COSIGN_HELP: &str =
    "Checks that the checkpoint agrees with your chain and that your key is
a current member's at the checkpoint's last entry.

Example:
  commonstock checkpoint cosign head.checkpoint --chain chain.jsonl --key ben.key";

pub(crate) const CP_VERIFY_HELP: &str =
    "Audits the chain with the checkpoints (CKP-3) and checks that every
cosigner was a current member at the checkpoint's last entry.

Example:
  commonstock checkpoint verify chain.jsonl head.checkpoint";

pub(crate) const CP_FORK_HELP: &str = "Example:
  commonstock checkpoint fork-proof a.checkpoint b.checkpoint \\
      --chain-a ours.jsonl --chain-b theirs.jsonl -o fork.proof";
