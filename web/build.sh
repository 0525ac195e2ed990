#!/usr/bin/env bash
# Builds the web auditor: the library for wasm32-unknown-unknown (release),
# then the JavaScript glue with wasm-bindgen, into web/pkg/. Needs the
# wasm32-unknown-unknown target and wasm-bindgen-cli at the version
# web/Cargo.toml pins (web/ci.sh installs both).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --locked --release --target wasm32-unknown-unknown
wasm-bindgen --target web --no-typescript --out-dir pkg \
  target/wasm32-unknown-unknown/release/commonstock_web.wasm
ls -l pkg/commonstock_web_bg.wasm
