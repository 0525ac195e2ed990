#!/bin/sh
# Builds the seed corpora into fuzz/corpus/<target>/ (gitignored): the JCS
# test-vector inputs and sound chains, checkpoints and fork proofs generated
# from fixed keys by examples/seeds.rs. Runs on stable; idempotent.
set -eu
cd "$(dirname "$0")"
cargo run --quiet --release --example seeds -- corpus
