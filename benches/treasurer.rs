//! The treasurer's commands on a long chain: `cargo bench --bench treasurer`
//! prints how long `draft payment` takes with the cache of audit states
//! warm, on the 1M-entry synthetic commune (`commonstock simulate
//! --members 10000 --months 100`, the audit benchmark's chain, cached under
//! `target/bench-chains/`).
//!
//! It times what the command line does, through the same library calls:
//! [`cache::load_file`] (the chain streamed: the prefix's digest checked
//! while the cached state is decoded, then only what follows audited), then the
//! draft itself: the amount and id filled in ([`batch::fill_payment`]), the
//! body checked ([`draft::document`]) and the document checked as the
//! chain's next entry ([`review::check`]). First once cold (a full audit,
//! then the state saved), then warm `BENCH_RUNS` times (default 3, the
//! median printed); then the `commonstock draft payment` process itself,
//! warm, for the whole command (start, read, draft, write, exit).
//!
//! `TREASURER_BENCH_SIZE=10k` (or `100k`, `1M`, the default) picks the
//! chain.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use commonstock::canonical::{Object, Value};
use commonstock::date::Date;
use commonstock::document::Kind;
use commonstock::due::Due;
use commonstock::simulate::{self, Params};
use commonstock::tools::cache::{self, Cache};
use commonstock::{batch, draft, review};

const SIZES: [(&str, usize, i64); 3] =
    [("10k", 100, 100), ("100k", 1_000, 100), ("1M", 10_000, 100)];
const SEED: u64 = 1;
const ASSETS: usize = 3;

fn ensure_chain(members: usize, months: i64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-chains");
    std::fs::create_dir_all(&dir).expect("target/bench-chains");
    let path = dir.join(format!(
        "commune-m{members}-mo{months}-a{ASSETS}-s{SEED}-v1.jsonl"
    ));
    if !path.exists() {
        eprintln!("generating {} (cached for later runs)", path.display());
        let tmp = path.with_extension("tmp");
        let f = BufWriter::with_capacity(1 << 16, File::create(&tmp).expect("create"));
        simulate::generate_to(&Params::scaled(members, months, ASSETS, SEED), f).expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

/// The payment to draft: a coupon the rules fix, if one is due at the end
/// of the chain; else an income of one minor unit.
fn payment_body(due: &Due) -> Object {
    let mut r = Object::new();
    let mut b = Object::new();
    match due.bonds.iter().find(|x| x.coupon > 0) {
        Some(x) => {
            r.insert("holder", Value::from(commonstock::b64::encode(&x.holder)));
            r.insert("row", Value::Int(x.row as i64));
            r.insert("series", Value::from(x.series.as_str()));
            b.insert("purpose", Value::from("coupon"));
        }
        None => {
            r.insert("source", Value::from("benchmark"));
            b.insert("purpose", Value::from("income"));
            b.insert("amount", Value::Int(1));
        }
    }
    b.insert("ref", Value::Object(r));
    b
}

struct Timing {
    load: f64,
    draft: f64,
    phases: Vec<(&'static str, u128)>,
    resumed: u64,
}

/// One `draft payment`, as the command line does it.
fn once(path: &Path, c: &Cache, date: Option<Date>) -> (Timing, String) {
    let t = Instant::now();
    let loaded = cache::load_file(path, Some(c), None).expect("load");
    let load = t.elapsed().as_secs_f64();
    let chain = loaded.chain;
    let date = date.unwrap_or_else(|| chain.last_date.expect("entries"));
    let t = Instant::now();
    let mut body = payment_body(&Due::of(&chain, date));
    batch::fill_payment(&chain.state, &mut body, date).expect("fill");
    let doc = draft::document(
        Kind::Payment,
        date,
        body,
        chain.commune,
        Kind::Payment.since(),
    )
    .expect("a valid body");
    let standing = review::check(Some(&chain), &doc).expect("it can join the chain");
    let draft = t.elapsed().as_secs_f64();
    assert!(matches!(standing, review::Standing::Incomplete(_)));
    let summary = review::summary(&doc, Some(&chain.state));
    // Not timed: freeing the chain's state.
    drop(chain);
    (
        Timing {
            load,
            draft,
            phases: loaded.phases,
            resumed: loaded.resumed,
        },
        summary,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let want = std::env::var("TREASURER_BENCH_SIZE").unwrap_or_else(|_| "1M".into());
    let &(name, members, months) = SIZES
        .iter()
        .find(|s| s.0.eq_ignore_ascii_case(&want))
        .unwrap_or_else(|| panic!("TREASURER_BENCH_SIZE: one of 10k, 100k, 1M, not {want}"));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let path = ensure_chain(members, months);
    let cache_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-chains")
        .join(format!("cache-{name}"));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let c = Cache::at(&cache_dir);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "commonstock treasurer benchmark: {name} chain ({} MB), draft payment, {runs} warm runs (median)",
        size / 1_000_000
    );
    let (cold, summary) = once(&path, &c, None);
    println!("payment drafted: {summary}");
    println!(
        "cold (full audit, state saved): load {:.3} s, draft {:.3} s",
        cold.load, cold.draft
    );
    let mut warm: Vec<Timing> = (0..runs).map(|_| once(&path, &c, None).0).collect();
    for w in &warm {
        assert!(w.resumed > 0, "the warm runs resume from the cache");
        eprintln!(
            "warm run: load {:.3} s, draft {:.3} s, total {:.3} s",
            w.load,
            w.draft,
            w.load + w.draft
        );
    }
    warm.sort_by(|a, b| (a.load + a.draft).total_cmp(&(b.load + b.draft)));
    let m = &warm[warm.len() / 2];
    println!(
        "warm (cache at the head): load {:.3} s, draft {:.3} s, total {:.3} s",
        m.load,
        m.draft,
        m.load + m.draft
    );
    for (p, us) in &m.phases {
        println!("  load: {p}: {:.3} s", *us as f64 / 1e6);
    }
    // The command itself, warm.
    let bin = env!("CARGO_BIN_EXE_commonstock");
    let dir = std::env::temp_dir().join(format!("cs-treasurer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let o = Command::new(bin)
            .args([
                "draft",
                "payment",
                "--chain",
                &path.to_string_lossy(),
                "--date",
                "9999-01-01",
                "-s",
                "purpose=income",
                "-s",
                "ref.source=benchmark",
                "-s",
                "amount=1",
                "-o",
                &dir.join("p.doc.json").to_string_lossy(),
            ])
            .env("COMMONSTOCK_CACHE", &cache_dir)
            .output()
            .expect("run commonstock");
        times.push(t.elapsed().as_secs_f64());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "`commonstock draft payment` process, warm: {:.3} s (runs: {:?})",
        times[times.len() / 2],
        times
            .iter()
            .map(|t| (t * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
