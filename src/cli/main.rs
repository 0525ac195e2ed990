//! The `commonstock` command line. It only wires the library: every rule
//! lives in the `commonstock` crate.
//!
//! Exit codes: 0 valid (or the command succeeded), 1 invalid (or a
//! document, key or checkpoint refused), 2 usage or I/O error.
//!
//! `audit` lives here; the signing workflow (keys, draft, show, sign,
//! merge, append, checkpoints, log) lives in `workflow.rs`.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use commonstock::audit::{self, Options};
use commonstock::checkpoint::Checkpoint;
use commonstock::report::checkpoints as said;
use commonstock::{canonical, dividend, statefile, statement};

mod batch;
mod checkpoints;
mod common;
mod documents;
mod due;
mod keys;
mod log;
mod progress;
mod verify;
mod workflow;

#[derive(Parser)]
#[command(
    name = "commonstock",
    version,
    about = "Audit and sign the hash-chained records of a venture commune",
    after_help = workflow::MAIN_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar (otherwise shown on a terminal for audits that take
    /// more than about a second).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Audit a chain: encoding, links, signatures, then the commune's rules.
    #[command(after_help = AUDIT_HELP)]
    Audit {
        /// The chain: a file, `-` for standard input, or an http(s) URL.
        chain: String,
        /// Print the report as JSON (schema commonstock-audit-v1).
        #[arg(long)]
        json: bool,
        /// Add the full statement: members, assets, bond series, rental
        /// agreements, arrears and cash.
        #[arg(long)]
        report: bool,
        /// A cosigned checkpoint the chain must agree with (repeatable).
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
        /// Resume from a state saved by `--save`: the chain must extend the
        /// prefix that state covers, and only the entries after it are
        /// audited in full. The output is that of a full audit.
        #[arg(long, value_name = "STATE")]
        resume: Option<PathBuf>,
        /// Save the audit's state to STATE after the last entry, if the
        /// chain passes every integrity check (replaced atomically), for a
        /// later `--resume STATE`.
        #[arg(long, value_name = "STATE")]
        save: Option<PathBuf>,
        /// Also write the report as one self-contained HTML page (verdict,
        /// findings with their rules' spec text, statement, dividends and
        /// charts) to FILE, replaced atomically.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Where the HTML report's links to the spec point: a URL or a path
        /// ending in `/`.
        #[arg(long, value_name = "URL", default_value = "spec/", requires = "html")]
        spec_base: String,
        /// Print progress (entries and bytes read) to standard error.
        #[arg(long)]
        progress: bool,
    },
    /// Run an implementation through the conformance vectors (spec/conformance.md).
    #[command(
        after_help = "The adapter is run as `sh -c 'CMD \"$@\"' conformance [--checkpoint FILE]... CHAIN` and must print an audit report (schema commonstock-audit-v1).\n\nExit status: 0 every case passed, 1 some case failed, 2 usage or I/O error.\n\nExample:\n  commonstock conformance --impl 'target/debug/commonstock audit --json'"
    )]
    Conformance {
        /// The adapter command (a shell command line; the case's arguments are appended).
        #[arg(long = "impl", value_name = "CMD")]
        adapter: String,
        /// The test-vectors directory.
        #[arg(long, value_name = "DIR", default_value = "test-vectors")]
        vectors: PathBuf,
        /// Print a canonical JSON report instead of one line per case.
        #[arg(long)]
        json: bool,
    },
    /// Recompute every period's dividends: the per-period table and
    /// per-member totals.
    #[command(after_help = DIVIDENDS_HELP)]
    Dividends {
        /// The chain: a file, `-` for standard input, or an http(s) URL.
        chain: String,
        /// Print the table as JSON (schema commonstock-dividends-v1).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print one CSV row per period and member: the currency, the
        /// period's figures, the member's dividend, paid and payable
        /// (amounts as decimals: 1100.00).
        #[arg(long)]
        csv: bool,
        /// With --csv: amounts in integer minor units (110000).
        #[arg(long, requires = "csv")]
        minor_units: bool,
    },
    /// Generate a synthetic commune's chain: deterministic from the seed,
    /// clean under the full audit, streamed (about members × months entries).
    #[command(after_help = SIMULATE_HELP)]
    Simulate {
        /// Founding members.
        #[arg(long, default_value_t = 1000)]
        members: usize,
        /// Months of history.
        #[arg(long, default_value_t = 24)]
        months: i64,
        /// Assets, each bought with a bond series and rented.
        #[arg(long, default_value_t = 3)]
        assets: usize,
        /// The seed: same parameters, same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the chain (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Same as `key generate` (kept for scripts written before it).
    #[command(hide = true)]
    Keygen {
        /// Where to write the secret key file.
        #[arg(long, short)]
        out: PathBuf,
    },
    #[command(flatten)]
    Workflow(workflow::Command),
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  commonstock completions bash > /etc/bash_completion.d/commonstock"
    )]
    Completions { shell: clap_complete::Shell },
    /// Write the manual: a page per command into DIR (commonstock.1,
    /// commonstock-audit.1, …), or the main page to standard output.
    #[command(
        after_help = "Examples:\n  commonstock man --out /usr/local/share/man/man1\n  commonstock man | man -l -"
    )]
    Man {
        /// The directory to write the pages into.
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

const AUDIT_HELP: &str = "Incremental audit: `--save STATE` keeps the audit's state after the chain; a later `--resume STATE` on the grown chain re-hashes the lines the state covers (they must be exactly the audited prefix, else the resume is refused: audit in full) and audits only the new entries. The output is that of a full audit. A state file is trusted input: resume only from states your own audits wrote.

Exit status: 0 valid, 1 invalid, 2 usage or I/O error (including a state file refused, or a chain that does not extend it).

Examples:
  commonstock audit examples/commune.jsonl
  commonstock audit --report examples/commune.jsonl
  commonstock audit --html report.html examples/commune.jsonl
  commonstock audit --json - < chain.jsonl
  commonstock audit https://commune.example/chain.jsonl
  commonstock audit --checkpoint head.checkpoint chain.jsonl
  commonstock audit --save audited.state chain.jsonl
  commonstock audit --resume audited.state --save audited.state chain.jsonl";

const DIVIDENDS_HELP: &str = "The figures are recomputed from the chain (spec chapter 11), for every period close that holds. Findings go to standard error; the exit status is that of `audit`.

Examples:
  commonstock dividends examples/commune.jsonl
  commonstock dividends --csv examples/commune.jsonl > dividends.csv
  commonstock dividends --csv --minor-units examples/commune.jsonl
  commonstock dividends --json examples/commune.jsonl";

const SIMULATE_HELP: &str = "Prints the entry count and the head to standard error.

Examples:
  commonstock simulate --members 10000 --months 100 -o commune-1m.jsonl
  commonstock simulate --members 100 --months 12 | commonstock audit -";

fn run_simulate(
    members: usize,
    months: i64,
    assets: usize,
    seed: u64,
    out: Option<PathBuf>,
) -> Result<ExitCode, String> {
    use commonstock::simulate::{self, Params};
    if !(1..=1200).contains(&months) || !(1..=4).contains(&assets) || members < 7 {
        return Err("simulate: needs --members >= 7, --months 1..=1200, --assets 1..=4".into());
    }
    let p = Params::scaled(members, months, assets, seed);
    let written = match &out {
        Some(path) => {
            let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            simulate::generate_to(&p, io::BufWriter::with_capacity(1 << 16, f))
        }
        None => simulate::generate_to(&p, io::BufWriter::with_capacity(1 << 16, io::stdout())),
    }
    .map_err(|e| format!("simulate: {e}"))?;
    eprintln!(
        "simulated: {} entries, commune {}, head {}",
        written.entries, written.commune, written.head
    );
    Ok(ExitCode::SUCCESS)
}

/// `commonstock man --out DIR`: a page per command, as git has
/// (`commonstock-audit.1`, `commonstock-key-generate.1`, …).
fn write_man_pages(dir: &std::path::Path) -> common::Res<ExitCode> {
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
        .map_err(|e| common::Failure::Usage(format!("{}: {e}", dir.display())))?;
    let n = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("commonstock"))
                .count()
        })
        .unwrap_or(0);
    eprintln!("wrote {n} manual pages to {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `commonstock help draft KIND`: the kind's fields (clap's `help` knows
/// only subcommands, and kinds are values).
fn help_draft_kind() -> Option<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [help, draft, kind] = args.as_slice() else {
        return None;
    };
    if help != "help" || draft != "draft" {
        return None;
    }
    Some(match commonstock::document::Kind::from_name(kind) {
        Some(k) => {
            let _ = io::stdout().write_all(commonstock::draft::fields_text(k).as_bytes());
            ExitCode::SUCCESS
        }
        None => {
            let all: Vec<&str> = commonstock::document::Kind::ALL
                .iter()
                .map(|k| k.name())
                .collect();
            eprintln!(
                "commonstock: unknown kind {kind:?}; one of: {}",
                all.join(", ")
            );
            ExitCode::from(2)
        }
    })
}

fn main() -> ExitCode {
    if let Some(code) = help_draft_kind() {
        return code;
    }
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Workflow(c) => run_workflow(c),
        Command::Keygen { out } => keys::key_generate(&out, false, &common::PassArgs::default()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "commonstock", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out: None } => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout())
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| common::Failure::Usage(e.to_string())),
        Command::Man { out: Some(dir) } => write_man_pages(&dir),
        command => run(command).map_err(common::Failure::Usage),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            let _ = writeln!(io::stderr(), "commonstock: {}", f.message());
            ExitCode::from(f.code())
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Workflow(_)
        | Command::Keygen { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => {
            unreachable!("dispatched in main")
        }
        Command::Simulate {
            members,
            months,
            assets,
            seed,
            out,
        } => run_simulate(members, months, assets, seed, out),
        Command::Dividends {
            chain,
            json,
            csv,
            minor_units,
        } => run_dividends(&chain, json, csv, minor_units),
        Command::Conformance {
            adapter,
            vectors,
            json,
        } => run_conformance(&adapter, &vectors, json),
        Command::Audit {
            chain,
            json,
            report: full,
            checkpoints,
            resume,
            save,
            html,
            spec_base,
            progress,
        } => {
            let mut options = Options::default();
            for p in &checkpoints {
                let bytes = common::read_source(&p.to_string_lossy())
                    .map_err(|f| f.message().to_string())?;
                let cp = Checkpoint::parse(&bytes).map_err(|e| format!("{}: {e}", p.display()))?;
                options.checkpoints.push(cp);
            }
            let saved = match &resume {
                Some(p) => Some(statefile::load(p).map_err(|e| format!("{}: {e}", p.display()))?),
                None => None,
            };
            // The state file is written from the live state, before the
            // audit finishes with it, streamed: no second copy in memory.
            let save_with = save
                .clone()
                .map(|p| -> audit::SaveWith { Box::new(move |saved| statefile::save(&p, saved)) });
            let run = audit::Run {
                resume: saved,
                save_with,
                progress: Some(if progress {
                    progress_printer(&chain)
                } else {
                    progress::Bar::boxed(chain_size(&chain))
                }),
                ..audit::Run::default()
            };
            let outcome =
                audit::run(open_chain(&chain)?, &options, run).map_err(|e| match &resume {
                    Some(p) => format!("{chain} (resuming from {}): {e}", p.display()),
                    None => format!("{chain}: {e}"),
                })?;
            match (&save, &outcome.saved_with) {
                (Some(_), Some(Ok(()))) => {}
                (Some(p), Some(Err(e))) => {
                    return Err(format!("{}: {e}; the state file is unchanged", p.display()));
                }
                (Some(p), None) => eprintln!(
                    "commonstock: {chain} fails its integrity checks; no state saved ({} not written)",
                    p.display()
                ),
                (None, _) => {}
            }
            if progress {
                eprintln!();
            }
            if let Some(p) = &html {
                let page = commonstock::report::html::Html {
                    report: &outcome.report,
                    state: &outcome.state,
                    cash: &outcome.cash,
                    source: &chain,
                    spec_base: &spec_base,
                }
                .page();
                commonstock::atomic::replace_file(p, page.as_bytes())
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
            let (report, state) = (outcome.report, outcome.state);
            // The statement means something only when the integrity holds.
            let show_state = full && report.integrity && state.as_of.is_some();
            let mut out = io::stdout().lock();
            let written = if json {
                let mut v = report.to_value();
                if let (true, canonical::Value::Object(o)) = (show_state, &mut v) {
                    o.insert("statement", statement::to_value(&state));
                }
                let mut bytes = canonical::encode(&v);
                bytes.push(b'\n');
                out.write_all(&bytes)
            } else {
                write_summary(&mut out, &report)
                    .and_then(|()| {
                        write_checkpoints(&mut out, &report, &state, &checkpoints, &options)
                    })
                    .and_then(|()| {
                        if show_state {
                            statement::write_text(&mut out, &state)
                        } else {
                            Ok(())
                        }
                    })
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

/// Prints the audit's progress to standard error on one line, with the
/// file's size when the chain is a file.
fn progress_printer(chain: &str) -> Box<dyn FnMut(audit::Progress)> {
    let total = std::fs::metadata(chain).ok().map(|m| m.len());
    Box::new(move |p: audit::Progress| {
        let mut err = io::stderr().lock();
        let _ = match total {
            Some(t) if t > 0 => write!(
                err,
                "\r{} entries, {} of {} bytes ({}%)",
                p.lines,
                p.bytes,
                t,
                p.bytes * 100 / t
            ),
            _ => write!(err, "\r{} entries, {} bytes", p.lines, p.bytes),
        };
    })
}

/// The size of a chain file, for the progress bar (`None` for standard
/// input and URLs).
fn chain_size(chain: &str) -> Option<u64> {
    if chain == "-" || common::is_url(chain) {
        return None;
    }
    std::fs::metadata(chain).ok().map(|m| m.len())
}

/// Opens a chain: a file, `-` for standard input, or an http(s) URL.
fn open_chain(chain: &str) -> Result<Box<dyn io::BufRead>, String> {
    common::open_source(chain).map_err(|f| f.message().to_string())
}

fn run_dividends(
    chain: &str,
    json: bool,
    csv: bool,
    minor_units: bool,
) -> Result<ExitCode, String> {
    let run = audit::Run {
        progress: Some(progress::Bar::boxed(chain_size(chain))),
        ..audit::Run::default()
    };
    let (report, state) = audit::run(open_chain(chain)?, &Options::default(), run)
        .map(|o| (o.report, o.state))
        .map_err(|e| format!("{chain}: {e}"))?;
    for f in &report.findings {
        eprintln!("commonstock: {chain}: {f}");
    }
    if !report.integrity {
        return Ok(ExitCode::from(1));
    }
    let mut out = io::stdout().lock();
    let written = if json {
        let mut bytes = canonical::encode(&dividend::table_value(&state));
        bytes.push(b'\n');
        out.write_all(&bytes)
    } else if csv {
        let amounts = if minor_units {
            dividend::CsvAmounts::MinorUnits
        } else {
            dividend::CsvAmounts::Decimal
        };
        dividend::write_csv(&mut out, &state, amounts)
    } else {
        dividend::write_text(&mut out, &state)
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

/// `commonstock conformance`: every case through the adapter, one line per
/// case as it finishes (or one JSON report), then the summary.
fn run_conformance(
    adapter: &str,
    vectors: &std::path::Path,
    json: bool,
) -> Result<ExitCode, String> {
    use commonstock::conformance;
    let report = conformance::run(adapter, vectors, |o| {
        if !json {
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "{}", o.line());
            let _ = out.flush();
        }
    })
    .map_err(|e| e.to_string())?;
    let mut out = io::stdout().lock();
    let written = if json {
        let mut bytes = canonical::encode(&report.to_value());
        bytes.push(b'\n');
        out.write_all(&bytes)
    } else {
        writeln!(
            out,
            "{} passed, {} failed",
            report.passed(),
            report.failed()
        )
    };
    written.map_err(|e| e.to_string())?;
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `audit --checkpoint` says of each checkpoint: whether the chain
/// agrees with it and who cosigned it (members by the chain's current
/// keys, others by fingerprint), or the finding against it.
fn write_checkpoints(
    out: &mut impl Write,
    report: &audit::Report,
    state: &commonstock::commune::State,
    files: &[PathBuf],
    options: &Options,
) -> io::Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    writeln!(out, "checkpoints:")?;
    let verdicts = said::verdicts(report, state, &options.checkpoints);
    for ((file, cp), v) in files.iter().zip(&options.checkpoints).zip(verdicts) {
        writeln!(out, "  {}", v.line(&file.display().to_string(), cp))?;
    }
    Ok(())
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

/// Runs a command of the signing workflow.
fn run_workflow(command: workflow::Command) -> Result<ExitCode, common::Failure> {
    use checkpoints::checkpoint;
    use documents::{draft, merge, show, sign};
    use keys::{key_generate, key_show};
    use log::log;
    use workflow::{Command, KeyCommand};
    match command {
        Command::Key(KeyCommand::Generate { out, encrypt, pass }) => {
            key_generate(&out, encrypt, &pass)
        }
        Command::Key(KeyCommand::Show { file, pass, json }) => key_show(&file, &pass, json),
        Command::Draft(a) if batch::is_batch(&a.kind) => batch::draft(a),
        Command::Draft(a) => {
            batch::single_draft_only(&a)?;
            draft(a)
        }
        Command::Show {
            doc,
            chain,
            text,
            json,
        } => show(&doc, chain.as_deref(), text.as_deref(), json),
        Command::Sign {
            docs,
            key,
            chain,
            yes,
            out,
            force,
            json,
        } => match &docs[..] {
            [doc] if !json => sign(doc, &key, chain.as_deref(), yes, out.as_deref(), force),
            _ => batch::sign(
                &docs,
                &key,
                chain.as_deref(),
                yes,
                out.as_deref(),
                force,
                json,
            ),
        },
        Command::Verify { doc, chain, json } => verify::verify(&doc, chain.as_deref(), json),
        Command::Merge { docs, out } => merge(&docs, &out),
        Command::Append {
            chain,
            docs,
            new,
            json,
        } => batch::append(&chain, &docs, new, json),
        Command::Due { chain, as_of, json } => due::due(&chain, as_of.as_deref(), json),
        Command::Checkpoint(c) => checkpoint(c),
        Command::Log(a) => log(a),
    }
}
