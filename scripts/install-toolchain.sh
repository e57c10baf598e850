#!/usr/bin/env bash
# Installs Debian's Rust toolchain with the wasm32 standard library (rustc 1.63 in bookworm).
# Called by `make setup` only when no usable toolchain was found.
set -euo pipefail
if ! command -v apt-get >/dev/null; then
    echo "No Rust toolchain for wasm32-unknown-unknown was found, and this system has no apt-get." >&2
    echo "Install one: rustup target add wasm32-unknown-unknown (or your system's packages for it)." >&2
    exit 1
fi
exec "$(dirname "$0")/install-system-packages.sh" rustc cargo libstd-rust-dev-wasm32 lld-14
