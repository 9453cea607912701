#!/usr/bin/env bash
# Ledger import benchmark (issue 5): the same generated files through each system, one run.
#
#   bench/ledger_import.sh [--rows N] [--bytes B] [--files LIST] [--only LIST]
#
#   files (ledger_gen, cached in $CACHE/bench-data/ledger/, reused by later runs):
#     xlsx    N rows as .xlsx (default 1,000,000)          csv   N rows as .csv
#     bigcsv  a .csv of about B bytes (default 300000000; --bytes 0 skips it)
#   LIST of systems (default limit,pandas,embedded,clickhouse):
#     limit       the floor, crates/loadgen/src/bin/ledger_limit.rs: the ledger crate's import on one
#                 thread, a raw bulk insert on the other: SQLite (rusqlite, one prepared INSERT, a
#                 transaction per batch, the analytics migration's table and indexes) and ClickHouse
#                 (RowBinary over HTTP into the table ElasticDash migrates); also the bare reader and
#                 the parse alone
#     pandas      the seed design: pandas read_excel (openpyxl) / read_csv + COPY into PostgreSQL
#                 (bench/ledger/pandas_pg.py, venv in $CACHE/bench-venv, scripts/services.sh PostgreSQL)
#     embedded    ElasticDash release server, SQLite + SQLite + blob folder: the dataset upload API
#                 (chunks → complete → mapping), first chunk to status "completed", server peak RSS
#     clickhouse  the same with ClickHouse analytics
#
# Prints a table and the goal ratios (ElasticDash >= 10x faster than pandas, <= 1.5x the limit,
# peak RSS bounded); results in $CACHE/bench-results/ledger-import-<time>/.
# LEDGER_BENCH_SERVER_ENV="NAME=value ..." adds settings to the ElasticDash server's environment
# (e.g. a larger upload limit for the 300 MB file).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=1000000 BYTES=300000000 FILES=xlsx,csv,bigcsv ONLY=limit,pandas,embedded,clickhouse
while (($#)); do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --bytes) BYTES=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
wants_file() { [[ ",$FILES," == *",$1,"* ]]; }

LEDGER_GEN="$CARGO_TARGET_DIR/$BENCH_PROFILE/ledger_gen"
LEDGER_LIMIT="$CARGO_TARGET_DIR/$BENCH_PROFILE/ledger_limit"
DATA="$CACHE/bench-data/ledger"
# The seed design's stack, pinned (the venv is shared with bench/ingest.sh's Phoenix).
PANDAS_PKGS=(pandas==3.1.1 openpyxl==3.1.5 "psycopg[binary]==3.3.9")
ED_BENCH_CH_DB=elasticdash_ledger_bench

RUN="$BENCH_OUT/ledger-import-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN" "$DATA"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-ledger-bench.XXXXXX")
on_exit "rm -rf '$WORK'"

ensure_pandas() {
  local logfile="$LOGS/bench-venv-pandas.log"
  mkdir -p "$LOGS"
  if [[ -x "$BENCH_VENV/bin/python" ]] && "$BENCH_VENV/bin/python" -c 'import pandas, openpyxl, psycopg' 2>/dev/null; then return; fi
  [[ -x "$BENCH_VENV/bin/python" ]] || timed "python3 -m venv $BENCH_VENV" python3 -m venv "$BENCH_VENV" >>"$logfile" 2>&1 ||
    die "venv failed (log: $logfile)"
  timed "pip install ${PANDAS_PKGS[*]}" "$BENCH_VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
    "${PANDAS_PKGS[@]}" >>"$logfile" 2>&1 || die "pip install failed (log: $logfile)"
}

# ed_project DIR: first-run admin and project "bench" through the forms a browser posts; the
# session cookie stays in DIR/cookies.
ed_project() {
  local jar="$1/cookies"
  local -a curl_form=(curl -fsS -o /dev/null -b "$jar" -c "$jar" -H "Origin: $ED_BASE")
  "${curl_form[@]}" "$ED_BASE/auth/first-run" --data-urlencode "email=bench@example.com" --data-urlencode "name=Bench" \
    --data-urlencode "password=bench password 12345" --data-urlencode "password_repeat=bench password 12345" &&
    "${curl_form[@]}" "$ED_BASE/projects" --data-urlencode "name=Bench" --data-urlencode "slug=bench"
}

# elasticdash MODE TAG FILE ROWS: a fresh server (so its peak RSS is this file's), one upload.
elasticdash() {
  local mode=$1 tag=$2 file=$3 rows=$4 dir="$WORK/ed-$1-$2" rc=0
  mkdir -p "$dir"
  if [[ $mode == clickhouse ]]; then
    curl -fsS "$ED_TEST_CLICKHOUSE_URL/" --data-binary "DROP DATABASE IF EXISTS $ED_BENCH_CH_DB" >/dev/null
  fi
  # shellcheck disable=SC2086  # NAME=value words
  [[ -z "${LEDGER_BENCH_SERVER_ENV:-}" ]] || export ${LEDGER_BENCH_SERVER_ENV}
  ed_start "$mode" "$dir"
  ed_project "$dir" || { warn "elasticdash ($mode): cannot create the admin and project"; kill_pid "$ED_PID"; return 1; }
  python3 "$ROOT/bench/ledger/upload.py" "$file" --base "$ED_BASE" --slug bench --cookies "$dir/cookies" --pid "$ED_PID" \
    --rows "$rows" --label "elasticdash-$mode" --json-out "$RUN/$tag/elasticdash-$mode.json" >/dev/null || rc=$?
  kill_pid "$ED_PID" "elasticdash ($mode)"
  if ((rc != 0)); then
    warn "elasticdash ($mode) on $tag failed; server log: $RUN/$tag/elasticdash-$mode.log"
    cp "$dir/server.log" "$RUN/$tag/elasticdash-$mode.log" 2>/dev/null || true
  fi
  return "$rc"
}

machine_conditions | tee "$RUN/conditions-before.txt"
packages=(-p loadgen)
if wants embedded || wants clickhouse; then
  grep -rqs "datasets/uploads" "$ROOT/src" || warn "no dataset upload routes in src/ yet: the ElasticDash rows will fail"
  packages+=(-p elasticdash)
fi
build_release "${packages[@]}"

# ---------------------------------------------------------------- files
declare -a TAGS=()
declare -A FILE_OF=() ROWS_OF=()
gen() { # TAG ARGS...: generate (or reuse) one file
  local tag=$1 out
  shift
  out=$(timed "ledger_gen $tag" "$LEDGER_GEN" "$@") || die "ledger_gen failed"
  printf '%s\n' "$out" >"$RUN/$tag.file.json"
  TAGS+=("$tag")
  FILE_OF[$tag]=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["path"])' "$out")
  ROWS_OF[$tag]=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["rows"])' "$out")
  mkdir -p "$RUN/$tag"
}
wants_file xlsx && gen "xlsx-$ROWS" --rows "$ROWS" --out "$DATA/ledger-$ROWS.xlsx"
wants_file csv && gen "csv-$ROWS" --rows "$ROWS" --out "$DATA/ledger-$ROWS.csv"
if wants_file bigcsv && ((BYTES > 0)); then
  gen "csv-$((BYTES / 1000000))MB" --bytes "$BYTES" --out "$DATA/ledger-$((BYTES / 1000000))MB.csv"
fi
((${#TAGS[@]})) || die "no files selected (--files xlsx,csv,bigcsv)"

# ---------------------------------------------------------------- systems
if wants limit || wants clickhouse; then clickhouse_start; fi
if wants pandas; then
  ensure_pandas
  postgres_start
fi

for tag in "${TAGS[@]}"; do
  file=${FILE_OF[$tag]} rows=${ROWS_OF[$tag]}
  log "---- $tag: $file ($rows rows, $(($(stat -c %s "$file") / 1048576)) MiB)"
  if wants limit; then
    timed "limit $tag" "$LEDGER_LIMIT" --file "$file" --sqlite "$WORK/limit.db" --clickhouse "$ED_TEST_CLICKHOUSE_URL" \
      --json-out "$RUN/$tag/limit.json" >/dev/null || warn "limit on $tag failed"
  fi
  if wants pandas; then
    timed "pandas + PostgreSQL $tag" "$BENCH_VENV/bin/python" "$ROOT/bench/ledger/pandas_pg.py" "$file" \
      --pg-url "$ED_TEST_POSTGRES_URL" --json-out "$RUN/$tag/pandas.json" >/dev/null || warn "pandas on $tag failed"
  fi
  if wants embedded; then
    timed "elasticdash embedded $tag" elasticdash embedded "$tag" "$file" "$rows" || true
  fi
  if wants clickhouse; then
    timed "elasticdash clickhouse $tag" elasticdash clickhouse "$tag" "$file" "$rows" || true
  fi
done

machine_conditions | tee "$RUN/conditions-after.txt"
python3 "$ROOT/bench/ledger/report.py" import "$RUN" "${TAGS[@]}" | tee "$RUN/table.txt"
log "results in $RUN"
