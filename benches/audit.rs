//! The audit at scale: `cargo bench --bench audit` prints one table.
//!
//! For simulated communes of about 10k, 100k and 1M entries it measures the
//! full audit (`audit::run`, every check of the spec, all cores): entries/s,
//! signatures/s and peak resident memory; then the raw throughput of batch
//! Ed25519 verification (`sig::verify_batch` in blocks of 512 on all cores)
//! of exactly the chain's signatures, with no parsing or rules: the limit.
//! The ratio is audit signatures/s ÷ raw signatures/s. Last, the
//! adversarial rows: single verification, and batches that all fail.
//!
//! Every measurement runs in a child process (this binary re-executed), so
//! that each peak RSS (VmHWM) is its own; each is repeated (`BENCH_RUNS`,
//! default 3) and the median is printed. Generated chains are cached under
//! `target/bench-chains/`, keyed by their parameters (the 1M chain takes
//! about a minute to generate once). `BENCH_SIZES=10k,100k` limits the sizes.

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

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The chain's signatures as (key, message, signature), parsed untimed.
fn signatures(path: &Path) -> Vec<([u8; 32], [u8; 98], [u8; 64])> {
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

/// Verifies `items` on all cores, in blocks of 512 (as the audit does);
/// `batch` false verifies one by one. Returns (seconds, valid count).
fn verify_all(items: &[([u8; 32], [u8; 98], [u8; 64])], batch: bool) -> (f64, usize) {
    let next = AtomicUsize::new(0);
    let valid = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(512, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let block = &items[i..(i + 512).min(items.len())];
                    let ok = if batch {
                        let it: Vec<sig::Item<'_>> = block
                            .iter()
                            .map(|(key, msg, sig)| sig::Item { key, msg, sig })
                            .collect();
                        sig::verify_batch(&it).iter().filter(|v| v.is_ok()).count()
                    } else {
                        block
                            .iter()
                            .filter(|(k, m, s)| sig::verify(k, m, s).is_ok())
                            .count()
                    };
                    valid.fetch_add(ok, Ordering::Relaxed);
                }
            });
        }
    });
    (t.elapsed().as_secs_f64(), valid.into_inner())
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
            assert!(o.report.is_valid(), "{:?}", o.report.findings.first());
            println!(
                "secs {secs} entries {} sigs {} peak_kib {}",
                o.report.entries,
                o.report.signatures,
                peak_kib()
            );
        }
        mode @ ("raw" | "single" | "allbad") => {
            let mut items = signatures(path);
            if mode == "allbad" {
                // one bad signature in every block of 512: every batch
                // equation fails and falls back to single verification
                for chunk in items.chunks_mut(512) {
                    chunk[0].2[40] ^= 1;
                }
            }
            let (secs, valid) = verify_all(&items, mode != "single");
            println!("secs {secs} sigs {} valid {valid}", items.len());
        }
        m => panic!("unknown child mode {m}"),
    }
}

fn measure(mode: &str, path: &Path, runs: usize) -> Vec<(String, f64)> {
    let exe = std::env::current_exe().expect("exe");
    let mut all: Vec<Vec<(String, f64)>> = Vec::new();
    for _ in 0..runs {
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
        all.push(
            w.chunks(2)
                .map(|kv| (kv[0].to_string(), kv[1].parse().expect("number")))
                .collect(),
        );
    }
    // the median run by time; every figure of that run
    all.sort_by(|a, b| a[0].1.total_cmp(&b[0].1));
    let secs: Vec<String> = all.iter().map(|r| format!("{:.3}", r[0].1)).collect();
    eprintln!("  {mode} {}: runs {}", path.display(), secs.join(" "));
    all.swap_remove(all.len() / 2)
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
        "{:>5} {:>9} {:>9} {:>10} {:>10} {:>12} {:>6} {:>9}",
        "chain", "entries", "sigs", "entries/s", "sigs/s", "raw sigs/s", "ratio", "peak MiB"
    );
    let mut smallest = None;
    for (name, members, months) in SIZES {
        if !wanted.split(',').any(|w| w == name) {
            continue;
        }
        let path = ensure_chain(members, months);
        smallest.get_or_insert(path.clone());
        let a = measure("audit", &path, runs);
        let r = measure("raw", &path, runs);
        let secs = get(&a, "secs");
        let sigs = get(&a, "sigs");
        let audit_rate = sigs / secs;
        let raw_rate = get(&r, "sigs") / get(&r, "secs");
        println!(
            "{:>5} {:>9} {:>9} {:>10.0} {:>10.0} {:>12.0} {:>6.2} {:>9.1}",
            name,
            get(&a, "entries"),
            sigs,
            get(&a, "entries") / secs,
            audit_rate,
            raw_rate,
            audit_rate / raw_rate,
            get(&a, "peak_kib") / 1024.0
        );
        let _ = std::io::stdout().flush();
    }
    if let Some(path) = smallest {
        let b = measure("raw", &path, runs);
        let s = measure("single", &path, runs);
        let f = measure("allbad", &path, runs);
        let rate = |r: &[(String, f64)]| get(r, "sigs") / get(r, "secs");
        println!(
            "adversarial ({}):",
            path.file_name().unwrap().to_string_lossy()
        );
        println!("  batch, all valid          {:>10.0} sigs/s", rate(&b));
        println!("  single verification       {:>10.0} sigs/s", rate(&s));
        println!(
            "  batch, every batch fails  {:>10.0} sigs/s ({:.2}x single)",
            rate(&f),
            rate(&f) / rate(&s)
        );
    }
}
