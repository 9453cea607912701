#!/usr/bin/env bash
# Query benchmark: trace list page and 5,000-span trace detail at scale, beside bare SQL.
#
#   bench/query.sh [--spans N] [--runs N] [--only sqlite,clickhouse]
#
#   defaults: 10,000,000 spans (whole traces, spread over 30 days, plus one 5,000-span trace),
#   20 timed runs per query after one untimed run, both backends.
#   sqlite      loaded through SqliteAnalyticsStore::insert_spans into
#               $CACHE/bench-data/query-sqlite-<N>.db, kept and reused by the next run with the
#               same N (rows are ~2.3 KB: 10M spans need ~23 GB of disk)
#   clickhouse  loaded through ClickHouseAnalyticsStore::insert_spans into a throwaway ClickHouse
#               (scripts/services.sh)
#
# Prints, per backend, load rate and per query p50/p95 with the bare SQL p50/p95 and the target
# (list p95 < 300 ms, detail < 500 ms); results in $CACHE/bench-results/query-<time>/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SPANS=10000000 RUNS=20 ONLY=sqlite,clickhouse
while (($#)); do
  case $1 in
    --spans) SPANS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

RUN="$BENCH_OUT/query-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN" "$CACHE/bench-data"
machine_conditions | tee "$RUN/conditions-before.txt"
build_release -p loadgen

args=(--spans "$SPANS" --runs "$RUNS" --json-out "$RUN/query.json")
if wants sqlite; then
  db="$CACHE/bench-data/query-sqlite-$SPANS.db"
  need_kb=$((SPANS * 24 / 10)) # ~2.4 KB per span
  free_kb=$(df -Pk "$CACHE/bench-data" | awk 'NR == 2 {print $4}')
  if [[ ! -f "$db" ]] && ((need_kb > free_kb)); then
    die "SQLite at $SPANS spans needs ~$((need_kb / 1048576)) GB, $((free_kb / 1048576)) GB free: use --spans 1000000 or --only clickhouse"
  fi
  args+=(--sqlite "$db")
fi
if wants clickhouse; then
  clickhouse_start
  args+=(--clickhouse "$ED_TEST_CLICKHOUSE_URL")
fi
timed "querybench ${args[*]}" "$QUERYBENCH" "${args[@]}" >/dev/null
machine_conditions | tee "$RUN/conditions-after.txt"
python3 "$ROOT/bench/report.py" query "$RUN" | tee "$RUN/table.txt"
log "results in $RUN"
