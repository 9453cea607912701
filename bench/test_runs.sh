#!/usr/bin/env bash
# Test-run bench (issue 7): N approved cases × S steps in one suite, started through the CI
# endpoint, against the local fake LLM (model targets) and/or the fake AI application that
# continues the trace and exports OTLP to the server (HTTP targets).
#
#   bench/test_runs.sh [--cases 1000] [--steps 3] [--targets model,http]
#
# For each target kind: a fresh release server (embedded SQLite + SQLite + blob folder), the data
# written by crates/loadgen/src/bin/test_runs_bench.rs, then the suite run timed from the POST to
# the last run finished. Prints total time, runs/s, the server's peak RSS (VmHWM) and the checks:
# every run final exactly once, one result per step (none lost or duplicated), no job left.
# Goal: 1,000 × 3 in ≤ 30 s. Results in $CACHE/bench-results/test-runs-<time>/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES=1000 STEPS=3 TARGETS=model,http
while (($#)); do
  case $1 in
    --cases) CASES=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
((STEPS >= 1 && STEPS <= 3)) || die "--steps is 1 to 3 (the fake application makes at most 3 LLM calls)"

build_release -p elasticdash -p loadgen -p fake-llm -p fake-target
BIN="$CARGO_TARGET_DIR/$BENCH_PROFILE"
RUN="$BENCH_OUT/test-runs-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-test-runs-bench.XXXXXX")
on_exit "rm -rf '$WORK'"
# One master key for the server and the set-up client (it encrypts the provider key).
ELASTICDASH__LLM__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export ELASTICDASH__LLM__MASTER_KEY

"$BIN/fake-llm" --addr 127.0.0.1:0 --gap-ms 0 >"$WORK/fake-llm.log" 2>&1 &
LLM_PID=$!
on_exit "kill_pid $LLM_PID fake-llm"
wait_until 30 "fake LLM" "$LLM_PID" "$WORK/fake-llm.log" fake_llm_url_in "$WORK/fake-llm.log"
LLM_URL=$(sed -n 's/^FAKE_LLM_URL=//p' "$WORK/fake-llm.log" | head -n 1)

peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

for kind in ${TARGETS//,/ }; do
  dir="$WORK/$kind"
  mkdir -p "$dir"
  ed_start embedded "$dir"
  app_url=""
  if [[ $kind == http ]]; then
    app_port=$(pick_port 0)
    app_url="http://127.0.0.1:$app_port/chat"
  fi
  setup_out=$(timed "set-up: $CASES $kind cases" "$BIN/test_runs_bench" --primary-url "sqlite://$dir/elasticdash.db" \
    setup --cases "$CASES" --steps "$STEPS" --target "$kind" --llm-url "$LLM_URL/v1" --app-url "$app_url")
  key=$(sed -n 's/^KEY=//p' <<<"$setup_out")
  suite=$(sed -n 's/^SUITE=//p' <<<"$setup_out")
  if [[ $kind == http ]]; then
    FAKE_TARGET_INGEST_URL="$ED_BASE" FAKE_TARGET_PUBLIC_KEY="${key%%:*}" FAKE_TARGET_SECRET_KEY="${key#*:}" \
      "$BIN/fake-target" --listen "127.0.0.1:$app_port" --calls "$STEPS" --answer "Refunds take 5 business days." \
      >"$dir/fake-target.log" 2>&1 &
    APP_PID=$!
    on_exit "kill_pid $APP_PID fake-target"
    wait_until 30 "fake application" "$APP_PID" "$dir/fake-target.log" http_answers "http://127.0.0.1:$app_port/_stats"
  fi
  log "$kind: $CASES cases × $STEPS steps"
  rc=0
  "$BIN/test_runs_bench" --primary-url "sqlite://$dir/elasticdash.db" run --base "$ED_BASE" --key "$key" --suite "$suite" \
    --steps "$STEPS" | tee "$RUN/$kind.json" || rc=$?
  rss=$(peak_rss_mib "$ED_PID")
  echo "{\"target\": \"$kind\", \"server_peak_rss_mib\": $rss, \"checks_ok\": $([[ $rc == 0 ]] && echo true || echo false)}" |
    tee -a "$RUN/$kind.json"
  kill_pid "$ED_PID" elasticdash
  [[ $kind == http ]] && kill_pid "$APP_PID" fake-target
done
machine_conditions | tee "$RUN/machine.txt"
log "results in $RUN"
