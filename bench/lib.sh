# shellcheck shell=bash
# Sourced by bench/*.sh: release builds, starting ElasticDash / Phoenix on loopback, an ingest
# API key through the real forms, and the result table. Everything started is stopped on exit.

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source "$ROOT/scripts/services.sh"

BENCH_OUT="${BENCH_OUT:-$CACHE/bench-results}"
BENCH_VENV="$CACHE/bench-venv"
PHOENIX_VERSION="${PHOENIX_VERSION:-20.26.1}"
# BENCH_PROFILE=debug runs the debug builds (a quick check of the scripts; figures meaningless).
BENCH_PROFILE="${BENCH_PROFILE:-release}"
LOADGEN="$CARGO_TARGET_DIR/$BENCH_PROFILE/loadgen"
QUERYBENCH="$CARGO_TARGET_DIR/$BENCH_PROFILE/querybench"

# machine_conditions: what else was running, for the record next to the figures.
machine_conditions() {
  printf 'machine: %s CPU(s), %s GiB RAM, load average %s; %s\n' "$(nproc)" \
    "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%FT%TZ)"
}

# BENCH_NO_BUILD=1 uses the binaries already built (say which commit they came from).
build_release() {
  if [[ "${BENCH_NO_BUILD:-0}" == 1 ]]; then
    log "BENCH_NO_BUILD=1: using the existing $BENCH_PROFILE binaries"
    return
  fi
  if [[ "$BENCH_PROFILE" == debug ]]; then
    timed "cargo build $*" cargo build --locked "$@"
  else
    timed "cargo build --release $*" cargo build --release --locked "$@"
  fi
}

# ---------------------------------------------------------------- ElasticDash

# ed_start MODE DIR: the release server on a free port with embedded stores in DIR (MODE
# embedded), or a SQLite primary and ClickHouse analytics (MODE clickhouse: $ED_TEST_CLICKHOUSE_URL,
# database $ED_BENCH_CH_DB). Sets ED_PID, ED_BASE.
ed_start() {
  local mode=$1 dir=$2 port logfile="$2/server.log"
  port=$(pick_port 0)
  local -a env=(
    "ELASTICDASH__SERVER__ADDR=127.0.0.1:$port"
    "ELASTICDASH__SERVER__SITE_ROOT=$SITE_ROOT"
    "ELASTICDASH__STORES__PRIMARY_URL=sqlite://$dir/elasticdash.db"
    "ELASTICDASH__STORES__BLOB_URL=file://$dir/blobs"
    "ELASTICDASH__RATE_LIMITS__AUTH_PER_15_MINUTES=1000"
  )
  case $mode in
    embedded) env+=("ELASTICDASH__STORES__ANALYTICS_URL=sqlite://$dir/analytics.db") ;;
    clickhouse) env+=("ELASTICDASH__STORES__ANALYTICS_URL=$ED_TEST_CLICKHOUSE_URL/$ED_BENCH_CH_DB") ;;
    *) die "ed_start: unknown mode $mode" ;;
  esac
  (cd "$ROOT" && exec env "${env[@]}" "$(server_bin "$BENCH_PROFILE")" serve) >"$logfile" 2>&1 &
  ED_PID=$!
  on_exit "kill_pid $ED_PID 'elasticdash ($mode)'"
  ED_BASE="http://127.0.0.1:$port"
  wait_until 120 "elasticdash ($mode) at $ED_BASE/healthz" "$ED_PID" "$logfile" http_ok "$ED_BASE/healthz"
}

# ed_ingest_key DIR: first-run admin, project "bench", an ingest key, all through the forms a
# browser posts; prints "public_id:secret" (the Bearer credential).
ed_ingest_key() {
  local dir=$1 jar="$1/cookies" page
  local -a curl_form=(curl -fsS -o /dev/null -b "$jar" -c "$jar" -H "Origin: $ED_BASE")
  "${curl_form[@]}" "$ED_BASE/auth/first-run" --data-urlencode "email=bench@example.com" --data-urlencode "name=Bench" \
    --data-urlencode "password=bench password 12345" --data-urlencode "password_repeat=bench password 12345" || return 1
  "${curl_form[@]}" "$ED_BASE/projects" --data-urlencode "name=Bench" --data-urlencode "slug=bench" || return 1
  "${curl_form[@]}" "$ED_BASE/projects/bench/keys" --data-urlencode "name=loadgen" --data-urlencode "ingest=on" || return 1
  page=$(curl -fsS -b "$jar" -c "$jar" "$ED_BASE/projects/bench/settings") || return 1
  python3 -c 'import re, sys
m = re.search(r"data-testid=\"new-secret\"[^>]*><code>([^<]+)</code>", sys.stdin.read())
sys.exit("no new key secret on the settings page") if not m else print(m.group(1))' <<<"$page"
}

# ---------------------------------------------------------------- Phoenix

ensure_phoenix() {
  if [[ -x "$BENCH_VENV/bin/python" ]] && "$BENCH_VENV/bin/python" -c 'import phoenix' 2>/dev/null; then return; fi
  mkdir -p "$LOGS"
  local logfile="$LOGS/arize-phoenix-$PHOENIX_VERSION.log"
  rm -rf "$BENCH_VENV"
  timed "python3 -m venv $BENCH_VENV" python3 -m venv "$BENCH_VENV" >>"$logfile" 2>&1 || die "venv failed (log: $logfile)"
  timed "pip install arize-phoenix==$PHOENIX_VERSION" "$BENCH_VENV/bin/python" -m pip install --disable-pip-version-check \
    --no-input "arize-phoenix==$PHOENIX_VERSION" >>"$logfile" 2>&1 || { rm -rf "$BENCH_VENV"; die "pip install failed (log: $logfile)"; }
}

# phoenix_start DIR: `phoenix serve` on loopback with its default SQLite in DIR. Sets PHX_PID, PHX_BASE.
phoenix_start() {
  local dir=$1 port grpc logfile="$1/phoenix.log"
  port=$(pick_port 0)
  grpc=$(pick_port 0)
  (cd "$dir" && exec env PHOENIX_WORKING_DIR="$dir" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$port" PHOENIX_GRPC_PORT="$grpc" \
    PHOENIX_TELEMETRY_ENABLED=false PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
    "$BENCH_VENV/bin/python" -m phoenix.server.main serve) >"$logfile" 2>&1 &
  PHX_PID=$!
  on_exit "kill_pid $PHX_PID phoenix"
  PHX_BASE="http://127.0.0.1:$port"
  wait_until 180 "phoenix at $PHX_BASE/healthz" "$PHX_PID" "$logfile" http_ok "$PHX_BASE/healthz"
}

# phoenix_spans DIR: spans Phoenix has written to its SQLite database so far.
phoenix_spans() {
  python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1], timeout=30).execute("select count(*) from spans").fetchone()[0])' "$1/phoenix.db"
}

# phoenix_drain DIR ACKED T0: waits (at most $PHX_DRAIN_SECS, 120) until Phoenix has written ACKED
# spans or stopped progressing for 30 s; prints "spans seconds" where seconds run from T0 (epoch,
# the load's start) to the last progress seen. Phoenix answers 200 before writing.
phoenix_drain() {
  local dir=$1 acked=$2 t0=$3 last=-1 n at now deadline
  deadline=$(($(date +%s) + ${PHX_DRAIN_SECS:-120}))
  at=$(date +%s.%N)
  while :; do
    n=$(phoenix_spans "$dir")
    now=$(date +%s.%N)
    if ((n != last)); then last=$n at=$now; fi
    if ((n >= acked)) || (($(date +%s) >= deadline)) || python3 -c "import sys; sys.exit(0 if $now - $at > 30 else 1)"; then break; fi
    sleep 2
  done
  python3 -c "print($last, round($at - $t0, 1))"
}
