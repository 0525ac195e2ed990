//! Writes the generated conformance vectors into `test-vectors/`:
//! `chains/*.case`, `tables/*.json` and `manifest.json`.
//!
//! ```text
//! cargo run --example gen_vectors            # into ./test-vectors
//! cargo run --example gen_vectors -- DIR     # elsewhere
//! ```
//!
//! Generated files that the generator no longer produces are removed from
//! `chains/` and `tables/`; nothing else under the directory is touched.
//! The output is deterministic: `tests/conformance.rs` checks that the
//! committed files are byte-identical to a fresh generation.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors"));
    let files = commonstock::conformance::generate();
    for sub in ["chains", "tables"] {
        let dir = root.join(sub);
        std::fs::create_dir_all(&dir)?;
        for e in std::fs::read_dir(&dir)? {
            let p = e?.path();
            let rel = format!(
                "{sub}/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            );
            if !files.iter().any(|(f, _)| *f == rel) {
                std::fs::remove_file(&p)?;
            }
        }
    }
    let mut total = 0;
    for (rel, bytes) in &files {
        let p = root.join(rel);
        std::fs::write(&p, bytes)?;
        total += bytes.len();
    }
    println!(
        "wrote {} files, {} bytes, under {}",
        files.len(),
        total,
        root.display()
    );
    Ok(())
}
