#!/usr/bin/env bash
# Knowledge-base retrieval index benchmark (crates/kb-index), one process, no services.
#
#   bench/kb_search.sh [--entries N] [--passes N] [--misses]
#
#   defaults: the generated 10,000-entry KB (kb_index::testdata: operations over ~130 resources,
#   their tables, some Chinese/Japanese/Korean entries) and its 320 labelled queries, 5 timed
#   passes over the queries after one warm-up pass.
#
# Prints: lexical-only build time (goal <= 10 s), serialised size and load time, search
# p50/p95/max for lexical, vector (brute force, 256-dim test embedding) and hybrid (RRF) beside
# a naive in-process BM25 baseline on the same chunks (goal p95 <= 20 ms), and recall@5 / MRR@10
# per ranking. --misses lists the queries lexical search misses. Output kept in
# $CACHE/bench-results/kb-search-<time>.txt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

ENTRIES=10000 PASSES=5 MISSES=
while (($#)); do
  case $1 in
    --entries) ENTRIES=$2; shift 2 ;;
    --passes) PASSES=$2; shift 2 ;;
    --misses) MISSES=1; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

OUT="${BENCH_OUT:-$CACHE/bench-results}"
mkdir -p "$OUT"
RESULT="$OUT/kb-search-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  printf 'machine: %s CPU(s), load average %s; %s; commit %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(date -u +%FT%TZ)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  cd "$ROOT"
  env KB_BENCH_ENTRIES="$ENTRIES" KB_BENCH_PASSES="$PASSES" ${MISSES:+KB_BENCH_MISSES=1} \
    cargo bench --locked -p kb-index --bench search
} | tee "$RESULT"
echo "(kept in $RESULT)"
