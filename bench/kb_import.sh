#!/usr/bin/env bash
# Knowledge-base import bench (issue 13): OpenAPI import time and peak RSS next to a baseline
# measured in the same run on the same bytes (plain serde_json / serde_norway parse to a Value).
#
#   bench/kb_import.sh [--operations N]     (default 10000)
#
# Files: a generated N-operation document (kb_formats::testdata, JSON and YAML), plus GitHub's
# REST API description from the npm package @octokit/openapi (about 13 MB of JSON), fetched once
# with `npm pack` into $HOME/.cache/elasticdash/kb-bench/ and reused; skipped with a message
# when npm or the registry is unavailable. Nothing large is committed.
# Each measurement runs in its own process (crates/kb-formats/benches/import.rs) so peak RSS
# belongs to it. Rows: baseline, kb-import (all entries kept, what parse_openapi returns),
# kb-streamed (parse_openapi_each, entries dropped as they come). Goal: <= 10 s, <= 300 MB for
# 10k operations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPS=10000
while (($#)); do
  case $1 in
    --operations) OPS=$2; shift 2 ;;
    *) echo "usage: $0 [--operations N]" >&2; exit 2 ;;
  esac
done
CACHE_DIR="$HOME/.cache/elasticdash/kb-bench"
OCTOKIT_VERSION="${OCTOKIT_VERSION:-23.0.2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/elasticdash/target}"
mkdir -p "$CACHE_DIR"

files=()
github="$CACHE_DIR/package/generated/api.github.com.json"
if [[ ! -f $github ]]; then
  if command -v npm >/dev/null 2>&1 &&
    (cd "$CACHE_DIR" && timeout 300 npm pack --silent "@octokit/openapi@$OCTOKIT_VERSION" >/dev/null 2>&1); then
    tar -xzf "$CACHE_DIR/octokit-openapi-$OCTOKIT_VERSION.tgz" -C "$CACHE_DIR" package/generated/api.github.com.json ||
      echo "kb_import: @octokit/openapi has no package/generated/api.github.com.json; skipping GitHub's description" >&2
  else
    echo "kb_import: npm or the npm registry is unavailable; skipping GitHub's REST description" >&2
  fi
fi
[[ -f $github ]] && files+=("$github")

printf 'machine: %s CPU(s), load average %s; %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%FT%TZ)"
cd "$ROOT"
KB_BENCH_OPERATIONS=$OPS KB_BENCH_FILES="$(IFS=:; echo "${files[*]:-}")" \
  cargo bench --locked -p kb-formats --bench import
