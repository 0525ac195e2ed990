//! The `commonstock` command line. It only wires the library: every rule
//! lives in the `commonstock` crate.
//!
//! Exit codes: 0 valid (or the command succeeded), 1 invalid, 2 usage or
//! I/O error.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commonstock::audit::{self, Options};
use commonstock::checkpoint::Checkpoint;
use commonstock::{b64, canonical, keyfile};

#[derive(Parser)]
#[command(
    name = "commonstock",
    version,
    about = "Audit and sign the hash-chained records of a venture commune",
    after_help = "Examples:\n  commonstock audit examples/commune.jsonl\n  commonstock audit --json - < chain.jsonl\n  commonstock keygen --out alice.key"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit a chain file: encoding, links and every signature.
    #[command(
        after_help = "Exit status: 0 valid, 1 invalid, 2 usage or I/O error.\n\nExamples:\n  commonstock audit examples/commune.jsonl\n  commonstock audit --json chain.jsonl\n  commonstock audit --checkpoint head.checkpoint chain.jsonl"
    )]
    Audit {
        /// The chain file, or `-` for standard input.
        chain: String,
        /// Print the report as JSON (schema commonstock-audit-v1).
        #[arg(long)]
        json: bool,
        /// A cosigned checkpoint the chain must agree with (repeatable).
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
    },
    /// Generate a secret key; print its public key.
    #[command(
        after_help = "The key file is created with mode 0600 and is never overwritten.\n\nExample:\n  commonstock keygen --out alice.key"
    )]
    Keygen {
        /// Where to write the secret key file.
        #[arg(long, short)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            let _ = writeln!(io::stderr(), "commonstock: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Keygen { out } => {
            let key = keyfile::generate(&out).map_err(|e| e.to_string())?;
            println!("{}", b64::encode(&key.public_key()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            chain,
            json,
            checkpoints,
        } => {
            let mut options = Options::default();
            for p in &checkpoints {
                let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                let cp = Checkpoint::parse(&bytes).map_err(|e| format!("{}: {e}", p.display()))?;
                options.checkpoints.push(cp);
            }
            let report = if chain == "-" {
                audit::audit(io::stdin().lock(), &options)
            } else {
                let f = File::open(&chain).map_err(|e| format!("{chain}: {e}"))?;
                audit::audit(BufReader::with_capacity(1 << 16, f), &options)
            }
            .map_err(|e| format!("{chain}: {e}"))?;
            let mut out = io::stdout().lock();
            let written = if json {
                let mut bytes = canonical::encode(&report.to_value());
                bytes.push(b'\n');
                out.write_all(&bytes)
            } else {
                write_summary(&mut out, &report)
            };
            match written {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.to_string()),
                _ => {}
            }
            Ok(if report.is_valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn write_summary(out: &mut impl Write, report: &audit::Report) -> io::Result<()> {
    if report.is_valid() {
        writeln!(
            out,
            "valid: {} entries, {} signatures",
            report.entries, report.signatures
        )?;
    } else {
        writeln!(out, "INVALID: {} finding(s)", report.findings.len())?;
        for f in &report.findings {
            writeln!(out, "  {f}")?;
        }
        writeln!(
            out,
            "checked before the first failure: {} entries, {} signatures",
            report.entries, report.signatures
        )?;
    }
    if let Some(c) = report.commune {
        writeln!(out, "commune: {c}")?;
    }
    if let Some(h) = report.head {
        writeln!(out, "head:    {h}")?;
    }
    Ok(())
}
