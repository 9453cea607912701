#!/usr/bin/env bash
# Ingest benchmark: the same realistic GenAI OTLP protobuf load against each system, one run.
#
#   bench/ingest.sh [--duration SECS] [--batch SPANS] [--concurrency N] [--only LIST]
#
#   defaults: 20 s measured (after 3 s warm-up), 500 spans per request, 4 requests in flight,
#   LIST = embedded,clickhouse,raw,phoenix:
#     embedded    ElasticDash release server, SQLite + SQLite + blob folder in a temp dir
#     clickhouse  ElasticDash release server, SQLite primary + ClickHouse analytics (scripts/services.sh)
#     raw         the ceiling: the rows ElasticDash wrote in `clickhouse`, re-inserted as RowBinary
#                 over HTTP straight into the same table of a second database that `elasticdash
#                 migrate` created (same engine, keys, materialized view), same batch size and concurrency
#     phoenix     Arize Phoenix (pip arize-phoenix, venv in $CACHE/bench-venv), `phoenix serve` on
#                 loopback with its default SQLite; also how fast it really writes (it answers first)
#
# Prints a table and the ratios the issue sets as goals; results (JSON per run, the table, the
# machine's load) are kept in $CACHE/bench-results/ingest-<time>/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=20 BATCH=500 CONCURRENCY=4 ONLY=embedded,clickhouse,raw,phoenix
while (($#)); do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

RUN="$BENCH_OUT/ingest-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-bench.XXXXXX")
on_exit "rm -rf '$WORK'"
ED_BENCH_CH_DB=elasticdash_bench
ED_BENCH_CH_RAW_DB=elasticdash_bench_raw
# The span table of the ClickHouse adapter (crates/store-clickhouse, migrations/clickhouse).
ED_BENCH_CH_TABLE=${ED_BENCH_CH_TABLE:-spans}

# load LABEL URL [AUTH]: the load generator against URL; its JSON report goes to $RUN/LABEL.json.
load() {
  local -a auth=()
  [[ -n "${3:-}" ]] && auth=(-H "Authorization: $3")
  "$LOADGEN" --label "$1" --json-out "$RUN/$1.json" send --url "$2" "${auth[@]}" \
    --batch "$BATCH" --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 3
}

machine_conditions | tee "$RUN/conditions-before.txt"
build_release -p elasticdash -p loadgen

if wants embedded; then
  mkdir -p "$WORK/embedded"
  ed_start embedded "$WORK/embedded"
  key=$(ed_ingest_key "$WORK/embedded")
  load elasticdash-embedded "$ED_BASE/v1/traces" "Bearer $key"
  kill_pid "$ED_PID" "elasticdash (embedded)"
fi

if wants clickhouse || wants raw; then
  clickhouse_start
  for db in "$ED_BENCH_CH_DB" "$ED_BENCH_CH_RAW_DB"; do
    curl -fsS "$ED_TEST_CLICKHOUSE_URL/" --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null
  done
  mkdir -p "$WORK/clickhouse"
  ed_start clickhouse "$WORK/clickhouse"
  key=$(ed_ingest_key "$WORK/clickhouse")
  load elasticdash-clickhouse "$ED_BASE/v1/traces" "Bearer $key"
  kill_pid "$ED_PID" "elasticdash (clickhouse)"
  if wants raw; then
    (cd "$ROOT" && env ELASTICDASH__STORES__PRIMARY_URL="sqlite://$WORK/clickhouse/raw-primary.db" \
      ELASTICDASH__STORES__ANALYTICS_URL="$ED_TEST_CLICKHOUSE_URL/$ED_BENCH_CH_RAW_DB" \
      ELASTICDASH__STORES__BLOB_URL="file://$WORK/clickhouse/raw-blobs" "$(server_bin "$BENCH_PROFILE")" migrate) >/dev/null
    "$LOADGEN" --label raw-clickhouse-insert --json-out "$RUN/raw-clickhouse-insert.json" clickhouse-raw \
      --url "$ED_TEST_CLICKHOUSE_URL" --database "$ED_BENCH_CH_DB" --target-database "$ED_BENCH_CH_RAW_DB" --table "$ED_BENCH_CH_TABLE" \
      --batch "$BATCH" --concurrency "$CONCURRENCY"
  fi
fi

if wants phoenix; then
  ensure_phoenix
  mkdir -p "$WORK/phoenix"
  phoenix_start "$WORK/phoenix"
  t0=$(date +%s.%N)
  load phoenix "$PHX_BASE/v1/traces"
  acked=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["items_all"])' "$RUN/phoenix.json")
  log "phoenix acknowledged $acked spans; waiting for it to write them (it answers before writing)"
  read -r written secs < <(phoenix_drain "$WORK/phoenix" "$acked" "$t0")
  printf '{"label": "phoenix (written)", "acked_all": %s, "written": %s, "secs_to_last_write": %s}\n' "$acked" "$written" "$secs" \
    >"$RUN/phoenix-written.json"
  kill_pid "$PHX_PID" phoenix
fi

machine_conditions | tee "$RUN/conditions-after.txt"
python3 "$ROOT/bench/report.py" ingest "$RUN" | tee "$RUN/table.txt"
log "results in $RUN"
