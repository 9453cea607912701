#!/usr/bin/env bash
# Ledger dashboard benchmark (issue 5): the filtered dashboard at scale beside bare ClickHouse.
#
#   bench/ledger_dashboard.sh [--rows N] [--runs N]
#
#   defaults: 10,000,000 generated ledger rows (ledger's deterministic generator, imports of 1M
#   rows over two datasets, each committed) loaded through ClickHouseAnalyticsStore's
#   insert_ledger_rows into a throwaway ClickHouse (scripts/services.sh), merged, then 20 timed
#   runs per filter after one untimed run, dashboard and bare queries interleaved.
#   dashboard  services::ledger_dashboard::open_dashboard (crates/loadgen/src/bin/ledger_dashbench.rs)
#   bare       the same aggregates as hand-written SQL sent straight over HTTP
#
# Prints p50/p95 per filter and the ratio (goal <= 1.3x); results in
# $CACHE/bench-results/ledger-dashboard-<time>/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=10000000 RUNS=20
while (($#)); do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

DASHBENCH="$CARGO_TARGET_DIR/$BENCH_PROFILE/ledger_dashbench"
RUN="$BENCH_OUT/ledger-dashboard-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-ledger-dash.XXXXXX")
on_exit "rm -rf '$WORK'"

machine_conditions | tee "$RUN/conditions-before.txt"
build_release -p loadgen --bin ledger_dashbench
clickhouse_start
timed "ledger_dashbench --rows $ROWS --runs $RUNS" "$DASHBENCH" --rows "$ROWS" --runs "$RUNS" \
  --clickhouse "$ED_TEST_CLICKHOUSE_URL" --work-dir "$WORK" --json-out "$RUN/dashboard.json" >/dev/null
machine_conditions | tee "$RUN/conditions-after.txt"
python3 "$ROOT/bench/ledger/report.py" dashboard "$RUN" | tee "$RUN/table.txt"
log "results in $RUN"
