//! Writes the example commune: `examples/commune.jsonl` and the bylaws text
//! its charter names, `examples/bylaws.txt`.
//!
//!     cargo run --example generate
//!
//! The output is a pure function of `Params::example()`: running it again
//! gives byte-identical files (a test checks this).

use commonstock::simulate::{self, Params};

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let commune = simulate::generate(&Params::example());
    let chain = commune.builder();
    std::fs::write(dir.join("commune.jsonl"), chain.to_bytes())?;
    std::fs::write(dir.join("bylaws.txt"), simulate::BYLAWS)?;
    println!("wrote {} entries to examples/commune.jsonl", chain.len());
    Ok(())
}
