#!/usr/bin/env bash
# Short fuzz run of the OTLP decoder + mapper (default 60 s): ./run.sh [seconds]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -euo pipefail
cd "$(dirname "$0")"
corpus="${TMPDIR:-/tmp}/otlp-fuzz-corpus"
mkdir -p "$corpus"
exec cargo +nightly fuzz run decode_and_map "$corpus" seeds -- -max_total_time="${1:-60}" -max_len=65536
