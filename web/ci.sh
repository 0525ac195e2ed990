#!/usr/bin/env bash
# CI for the web auditor (issue 13), called from .ci/run after the tests:
# installs what the browser test needs when it is missing (the wasm32
# target, wasm-bindgen-cli at the version web/Cargo.toml pins, Debian's
# chromium, playwright-core from web/package-lock.json), builds the wasm
# package and the release binary, then runs web/test.mjs: headless Chromium
# audits the example and every conformance case in the page and compares
# with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

echo "== web: tools"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' web/Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  # (--locked is refused for this crate on this registry; its own lock is
  # not needed to build it)
  cargo install wasm-bindgen-cli --version "$version"
fi
wasm-bindgen --version
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
chromium --version 2>/dev/null || true
(cd web && npm ci --no-audit --no-fund)

echo "== web: build"
cargo build --locked --release
web/build.sh

echo "== web: browser test"
COMMONSTOCK=target/release/commonstock node web/test.mjs
echo "== web: done in $((SECONDS - started)) s"
