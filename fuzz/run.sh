#!/usr/bin/env bash
# Short fuzz run of the OTLP decoder + mapper (otlp::decode_and_map):
#
#   fuzz/run.sh [SECONDS] [SANITIZER]      defaults: 60 s, none (or address)
#
# cargo-fuzz passes nightly-only rustc flags (-Cpasses=sancov-module, -Zsanitizer=...); the
# stable toolchain accepts them with RUSTC_BOOTSTRAP=1, so no nightly is needed. The build goes
# to $CACHE/fuzz-target (outside the clone); the corpus grows in $CACHE/fuzz-corpus, seeded from
# fuzz/seeds (the test fixtures, first byte = header selector, see fuzz_targets/). A crash
# leaves its input in fuzz/artifacts/decode_and_map/ and fails the run; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none decode_and_map fuzz/artifacts/decode_and_map/<file>
set -euo pipefail
# install-tools.sh (sourced, runs nothing) sets env.sh paths and CARGO_FUZZ_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/install-tools.sh"

secs=${1:-60}
sanitizer=${2:-none}
export PATH="$CARGO_FUZZ_DIR/bin:$PATH"
command -v cargo-fuzz >/dev/null || die "cargo-fuzz is missing: scripts/install-tools.sh --for test"
corpus="$CACHE/fuzz-corpus/decode_and_map"
mkdir -p "$corpus"
cd "$ROOT/fuzz"
# -rss_limit_mb: the decoder's own limits must keep memory bounded; -timeout: one input, seconds.
RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CACHE/fuzz-target" \
  cargo fuzz run --sanitizer "$sanitizer" decode_and_map "$corpus" seeds -- \
  -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
