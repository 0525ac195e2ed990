//! The audit at scale: `cargo bench --bench audit` prints one table.
//!
//! For simulated communes of about 10k, 100k and 1M entries it measures, on
//! exactly the chain's signatures and on all cores:
//!
//! - **audit**: the full audit (`audit::run`, every check of the spec):
//!   entries/s, signatures/s and peak resident memory;
//! - **ours**: `sig::verify_batch` in blocks of 512 (as the audit's workers
//!   call it), with no parsing or rules;
//! - **save**: the full audit with `--save` (the state file streamed from
//!   the live state): its peak resident memory and the state file's size;
//! - **zebra**: ed25519-zebra's batch verifier (ZIP-215, which merges the
//!   terms of one key as ours does) on the same blocks, without our strict
//!   per-item checks: the reference limit.
//!
//! and prints the ratios audit/zebra, ours/zebra and audit/ours of
//! signatures per second (wall clock, all cores), and audit/zebra and
//! ours/zebra of signatures per CPU-second (every thread's user + system
//! time: less sensitive to other load on the machine). Last, the
//! adversarial rows on the smallest chain: the batch without merging the
//! terms of one key, single verification, and batches that all fail.
//!
//! Every measurement runs in a child process (this binary re-executed), so
//! that each peak RSS (VmHWM) is its own; each is repeated (`BENCH_RUNS`,
//! default 3), the modes taking turns so that a change in the machine's
//! speed touches them alike, and the median is printed. Generated chains are
//! cached under `target/bench-chains/`, keyed by their parameters (the 1M
//! chain takes about a minute to generate once). `BENCH_SIZES=10k,100k`
//! limits the sizes.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use commonstock::audit::{self, Options, Run};
use commonstock::chain::{LineReader, parse_entry};
use commonstock::document::signing_message;
use commonstock::sig;
use commonstock::simulate::{self, Params};

const SIZES: [(&str, usize, i64); 3] =
    [("10k", 100, 100), ("100k", 1_000, 100), ("1M", 10_000, 100)];
const SEED: u64 = 1;
const ASSETS: usize = 3;

fn chain_path(members: usize, months: i64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-chains");
    std::fs::create_dir_all(&dir).expect("target/bench-chains");
    dir.join(format!(
        "commune-m{members}-mo{months}-a{ASSETS}-s{SEED}-v1.jsonl"
    ))
}

fn ensure_chain(members: usize, months: i64) -> PathBuf {
    let path = chain_path(members, months);
    if !path.exists() {
        eprintln!("generating {} (cached for later runs)", path.display());
        let tmp = path.with_extension("tmp");
        let f = BufWriter::with_capacity(1 << 16, File::create(&tmp).expect("create"));
        simulate::generate_to(&Params::scaled(members, months, ASSETS, SEED), f).expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

/// Peak resident set of this process, KiB (VmHWM).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of this process so far (every thread, user + system), seconds:
/// what a measurement costs whatever share of the machine it got.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The chain's signatures as (key, message, signature), parsed untimed.
fn signatures(path: &Path) -> Vec<Sig> {
    let mut out = Vec::new();
    let mut reader = LineReader::new(BufReader::new(File::open(path).expect("open")));
    while let Some(Ok((_, line))) = reader.next_line() {
        let e = parse_entry(line).expect("a clean chain");
        let msg = signing_message(&e.doc.commune, &e.doc_hash);
        for s in &e.doc.sigs {
            out.push((s.key, msg, s.sig));
        }
    }
    out
}

/// How the signatures of a block are verified.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `sig::verify_batch`.
    Ours,
    /// `sig::verify_batch_uncoalesced`: one A term per item.
    Uncoalesced,
    /// `sig::verify`, one by one.
    Single,
    /// `ed25519_zebra::batch::Verifier`.
    Zebra,
}

/// A cryptographic RNG for zebra's coefficients: BLAKE3's output stream
/// under a fixed key (as fast as any; zebra's own tests use `rand`).
struct Blake3Rng(blake3::OutputReader);

impl Blake3Rng {
    fn new() -> Self {
        Blake3Rng(blake3::Hasher::new_derive_key("commonstock bench zebra rng").finalize_xof())
    }
}

impl rand_core::TryRng for Blake3Rng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Blake3Rng {}

type Sig = ([u8; 32], [u8; 98], [u8; 64]);

/// The valid signatures of one block of 512 (never inlined: callgrind
/// counts from here, `--toggle-collect=*verify_block*`).
#[inline(never)]
fn verify_block(block: &[Sig], method: Method, rng: &mut Blake3Rng) -> usize {
    let items = || -> Vec<sig::Item<'_>> {
        block
            .iter()
            .map(|(key, msg, sig)| sig::Item { key, msg, sig })
            .collect()
    };
    match method {
        Method::Ours => sig::verify_batch(&items())
            .iter()
            .filter(|v| v.is_ok())
            .count(),
        Method::Uncoalesced => sig::verify_batch_uncoalesced(&items())
            .iter()
            .filter(|v| v.is_ok())
            .count(),
        Method::Single => block
            .iter()
            .filter(|(k, m, s)| sig::verify(k, m, s).is_ok())
            .count(),
        Method::Zebra => {
            let mut v = ed25519_zebra::batch::Verifier::new();
            for (key, msg, sig) in block {
                v.queue((
                    ed25519_zebra::VerificationKeyBytes::from(*key),
                    ed25519_zebra::Signature::from_bytes(sig),
                    &msg[..],
                ));
            }
            // all or nothing: the bench's chains are valid
            if v.verify(&mut *rng).is_ok() {
                block.len()
            } else {
                0
            }
        }
    }
}

/// Verifies `items` on all cores, in blocks of 512 (as the audit does).
/// Returns (seconds, CPU seconds, valid count).
fn verify_all(items: &[Sig], method: Method) -> (f64, f64, usize) {
    let next = AtomicUsize::new(0);
    let valid = AtomicUsize::new(0);
    let cpu = cpu_secs();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                let mut rng = Blake3Rng::new();
                loop {
                    let i = next.fetch_add(512, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let block = &items[i..(i + 512).min(items.len())];
                    let ok = verify_block(block, method, &mut rng);
                    valid.fetch_add(ok, Ordering::Relaxed);
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    (secs, cpu_secs() - cpu, valid.into_inner())
}

/// Child: one measurement, printed as `key value` pairs on one line.
fn child(args: &[String]) {
    let path = Path::new(&args[1]);
    match args[0].as_str() {
        "audit" => {
            let t = Instant::now();
            let input = BufReader::with_capacity(1 << 16, File::open(path).expect("open"));
            let o = audit::run(input, &Options::default(), Run::default()).expect("read");
            let secs = t.elapsed().as_secs_f64();
            let cpu = cpu_secs();
            assert!(o.report.is_valid(), "{:?}", o.report.findings.first());
            println!(
                "secs {secs} cpu {cpu} entries {} sigs {} peak_kib {}",
                o.report.entries,
                o.report.signatures,
                peak_kib()
            );
        }
        "save" => {
            // the audit with --save: the state file streamed from the live state
            let state = path.with_extension("bench-state");
            let to = state.clone();
            let run = Run {
                save_with: Some(Box::new(move |s| commonstock::statefile::save(&to, s))),
                ..Run::default()
            };
            let t = Instant::now();
            let input = BufReader::with_capacity(1 << 16, File::open(path).expect("open"));
            let o = audit::run(input, &Options::default(), run).expect("read");
            let secs = t.elapsed().as_secs_f64();
            o.saved_with
                .expect("a valid chain is saved")
                .expect("state file");
            let bytes = std::fs::metadata(&state).expect("state file").len();
            std::fs::remove_file(&state).expect("state file");
            println!("secs {secs} state_bytes {bytes} peak_kib {}", peak_kib());
        }
        mode @ ("ours" | "uncoalesced" | "zebra" | "single" | "allbad") => {
            let mut items = signatures(path);
            if mode == "allbad" {
                // one bad signature in every block of 512: every batch
                // equation fails and falls back to single verification
                for chunk in items.chunks_mut(512) {
                    chunk[0].2[40] ^= 1;
                }
            }
            let method = match mode {
                "ours" | "allbad" => Method::Ours,
                "uncoalesced" => Method::Uncoalesced,
                "zebra" => Method::Zebra,
                _ => Method::Single,
            };
            let (secs, cpu, valid) = verify_all(&items, method);
            if mode != "allbad" {
                assert_eq!(valid, items.len(), "{mode}: a valid chain");
            }
            println!("secs {secs} cpu {cpu} sigs {} valid {valid}", items.len());
        }
        m => panic!("unknown child mode {m}"),
    }
}

/// Runs every mode `runs` times, taking turns; for each mode, every figure
/// of its median run by time.
fn measure(modes: &[&str], path: &Path, runs: usize) -> Vec<Vec<(String, f64)>> {
    let exe = std::env::current_exe().expect("exe");
    let mut all: Vec<Vec<Vec<(String, f64)>>> = vec![Vec::new(); modes.len()];
    for _ in 0..runs {
        for (m, mode) in modes.iter().enumerate() {
            let out = Command::new(&exe)
                .args(["--child", mode])
                .arg(path)
                .output()
                .expect("child");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("utf-8");
            let w: Vec<&str> = text.split_whitespace().collect();
            all[m].push(
                w.chunks(2)
                    .map(|kv| (kv[0].to_string(), kv[1].parse().expect("number")))
                    .collect(),
            );
        }
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    modes
        .iter()
        .zip(all)
        .map(|(mode, mut runs)| {
            runs.sort_by(|a, b| a[0].1.total_cmp(&b[0].1));
            let secs: Vec<String> = runs.iter().map(|r| format!("{:.3}", r[0].1)).collect();
            eprintln!("  {mode} {name}: runs {} s", secs.join(" "));
            runs.swap_remove(runs.len() / 2)
        })
        .collect()
}

fn get(r: &[(String, f64)], k: &str) -> f64 {
    r.iter().find(|(n, _)| n == k).map(|(_, v)| *v).expect(k)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let wanted = std::env::var("BENCH_SIZES").unwrap_or_else(|_| "10k,100k,1M".into());
    println!(
        "commonstock audit benchmark: {} threads, {runs} runs each (median)",
        threads()
    );
    println!(
        "{:>5} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}",
        "chain",
        "entries",
        "sigs",
        "entries/s",
        "audit/s",
        "ours/s",
        "zebra/s",
        "a/zebra",
        "o/zebra",
        "a/ours",
        "cpu a/z",
        "cpu o/z",
        "peak MiB",
        "save MiB",
        "state MB"
    );
    let mut smallest = None;
    for (name, members, months) in SIZES {
        if !wanted.split(',').any(|w| w == name) {
            continue;
        }
        let path = ensure_chain(members, months);
        smallest.get_or_insert(path.clone());
        let m = measure(&["audit", "ours", "zebra", "save"], &path, runs);
        let (a, o, z, sv) = (&m[0], &m[1], &m[2], &m[3]);
        let rate = |r: &[(String, f64)]| get(r, "sigs") / get(r, "secs");
        let per_cpu = |r: &[(String, f64)]| get(r, "sigs") / get(r, "cpu");
        let (audit, ours, zebra) = (rate(a), rate(o), rate(z));
        println!(
            "{:>5} {:>9} {:>9} {:>10.0} {:>9.0} {:>9.0} {:>9.0} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.1} {:>8.1} {:>8.1}",
            name,
            get(a, "entries"),
            get(a, "sigs"),
            get(a, "entries") / get(a, "secs"),
            audit,
            ours,
            zebra,
            audit / zebra,
            ours / zebra,
            audit / ours,
            per_cpu(a) / per_cpu(z),
            per_cpu(o) / per_cpu(z),
            get(a, "peak_kib") / 1024.0,
            get(sv, "peak_kib") / 1024.0,
            get(sv, "state_bytes") / 1e6
        );
        let _ = std::io::stdout().flush();
    }
    if let Some(path) = smallest {
        let m = measure(&["ours", "uncoalesced", "single", "allbad"], &path, runs);
        let rate = |r: &[(String, f64)]| get(r, "sigs") / get(r, "secs");
        let (b, u, s, f) = (rate(&m[0]), rate(&m[1]), rate(&m[2]), rate(&m[3]));
        println!(
            "adversarial ({}):",
            path.file_name().unwrap().to_string_lossy()
        );
        println!("  batch, all valid          {b:>10.0} sigs/s");
        println!(
            "  batch, one term per item  {u:>10.0} sigs/s ({:.2}x per key)",
            u / b
        );
        println!("  single verification       {s:>10.0} sigs/s");
        println!(
            "  batch, every batch fails  {f:>10.0} sigs/s ({:.2}x single)",
            f / s
        );
    }
}
