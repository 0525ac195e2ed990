//! Writes the seed corpora into `fuzz/corpus/<target>/` (see `seed.sh`).
//!
//! Usage: `cargo run --release --example seeds -- <corpus dir>`

use std::fs;
use std::path::Path;

use commonstock::canonical;
use commonstock::chain;
use commonstock_fuzz::Fixtures;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join(name), bytes).unwrap();
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: seeds <corpus dir>");
    let dir = Path::new(&dir);
    let fx = Fixtures::build();

    // canonical: the JCS input files, whatever exists, and every line of
    // the fixture chains (canonical texts with unicode and nesting).
    let jcs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/external/jcs/input");
    if let Ok(rd) = fs::read_dir(&jcs) {
        for e in rd.flatten() {
            let name = format!("jcs-{}", e.file_name().to_string_lossy());
            write(dir, "canonical", &name, &fs::read(e.path()).unwrap());
        }
    }
    for (i, line) in fx.main.lines().iter().enumerate() {
        write(dir, "canonical", &format!("entry-{i}"), line);
    }

    // fast_path: every line of the fixture chains and of the example commune.
    for (i, line) in fx.main.lines().iter().chain(fx.foreign.lines()).enumerate() {
        write(dir, "fast_path", &format!("entry-{i}"), line);
    }
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/commune.jsonl");
    if let Ok(bytes) = fs::read(&example) {
        for (i, line) in bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .take(200)
            .enumerate()
        {
            write(dir, "fast_path", &format!("example-{i}"), line);
        }
    }

    // statefile: the saved state after the fixture chain.
    {
        use commonstock::audit::{self, Options, Run};
        let run = Run {
            save: true,
            ..Run::default()
        };
        let o = audit::run(&fx.main.to_bytes()[..], &Options::default(), run).unwrap();
        let saved = o.saved.expect("a sound chain gives a state");
        write(
            dir,
            "statefile",
            "main",
            &commonstock::statefile::encode(&saved),
        );
    }

    // document: the documents of the fixture chains, as canonical JSON.
    for (i, line) in fx.main.lines().iter().chain(fx.foreign.lines()).enumerate() {
        let e = chain::parse_entry(line).unwrap();
        write(
            dir,
            "document",
            &format!("doc-{i}"),
            &canonical::encode(&e.doc.to_value()),
        );
    }

    // chain: whole sound chains and a couple of prefixes.
    write(dir, "chain", "main", &fx.main.to_bytes());
    write(dir, "chain", "fork", &fx.fork.to_bytes());
    write(dir, "chain", "foreign", &fx.foreign.to_bytes());
    let first: Vec<u8> = [fx.main.lines()[0].as_slice(), b"\n"].concat();
    write(dir, "chain", "genesis-only", &first);

    // checkpoint: two checkpoints and both forms of fork proof.
    write(
        dir,
        "checkpoint",
        "checkpoint-main",
        &fx.checkpoint_main.to_bytes(),
    );
    write(
        dir,
        "checkpoint",
        "checkpoint-fork",
        &fx.checkpoint_fork.to_bytes(),
    );
    write(
        dir,
        "checkpoint",
        "proof-runs",
        &fx.proof_runs.to_bytes().unwrap(),
    );
    write(
        dir,
        "checkpoint",
        "proof-heads",
        &fx.proof_heads.to_bytes().unwrap(),
    );

    // Sanity: the seeds are what they claim to be, so a fuzzer starts from
    // inputs that reach the deepest checks.
    use commonstock::audit::{self, Options};
    for b in [&fx.main, &fx.fork, &fx.foreign] {
        assert!(
            audit::audit(&b.to_bytes()[..], &Options::default())
                .unwrap()
                .is_valid()
        );
    }
    fx.proof_runs.verify().expect("the runs proof holds");
    fx.proof_heads.verify().expect("the heads proof holds");
    eprintln!("seeds written to {}", dir.display());
}
