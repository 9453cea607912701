#!/usr/bin/env bash
# Everything CI checks, on one machine, nothing left running afterwards:
#
#   scripts/test.sh [--no-lint] [--no-e2e]
#
#   1. tools           scripts/install-tools.sh --for test (apt/cargo/npm only when missing)
#   2. fmt             cargo fmt --all --check
#   3. clippy          server workspace (--all-targets) and the wasm frontend, -D warnings
#   4. services        throwaway PostgreSQL 15, ClickHouse 18.16, s3s-fs, an aiosmtpd SMTP sink on loopback (scripts/services.sh)
#   5. cargo test      the workspace (minus the wasm frontend) against those services
#   5b. fuzz           fuzz/run.sh: cargo-fuzz on the OTLP decoder + mapper for ED_FUZZ_SECS (45 s), stable rustc
#   6. build           scripts/build.sh (debug server + site)
#   7. e2e             end2end/ specs in Chromium, against a server started twice:
#                      embedded (SQLite + SQLite + folder) and scale-out (PostgreSQL + ClickHouse + S3);
#                      the fake LLM vendor (crates/fake-llm) runs beside them, its URL in ED_FAKE_LLM_URL
#   8. summary         counts per backend and mode; last line "N passed, N failed"; exit 1 on any failure.
#
# Logs: target/test-logs/ (cargo-test.log, server-<mode>.log, e2e-<mode>.log, ...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ROOT/scripts/services.sh"


TEST_LOGS="$ROOT/target/test-logs"
BACKENDS=(sqlite postgres clickhouse local s3)
E2E_MODES=(embedded scale-out)

# Bookkeeping: step durations, check results, test counts.
STEP_NAMES=()
STEP_SECS=()
CHECK_NAMES=()
CHECK_OK=()
declare -A PASSED=() FAILED=()
FAILED_NAMES=()

# step NAME CMD...: runs CMD, records its duration, returns its status.
step() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  printf '\n\033[1;36m──── %s\033[0m\n' "$name" >&2
  "$@" || rc=$?
  STEP_NAMES+=("$name")
  STEP_SECS+=($(($(date +%s) - t0)))
  if ((rc == 0)); then
    log "$name: ok ($(fmt_secs "${STEP_SECS[-1]}"))"
  else
    warn "$name: FAILED, exit $rc ($(fmt_secs "${STEP_SECS[-1]}"))"
  fi
  return "$rc"
}

# check NAME CMD...: a step whose pass/fail counts once in the totals.
check() {
  local name=$1 rc=0
  step "$@" || rc=$?
  CHECK_NAMES+=("$name")
  CHECK_OK+=($((rc == 0)))
  ((rc == 0)) || FAILED_NAMES+=("check: $name")
  return "$rc"
}

count() { # count GROUP PASSED FAILED
  PASSED[$1]=$((${PASSED[$1]:-0} + $2))
  FAILED[$1]=$((${FAILED[$1]:-0} + $3))
}

# ---------------------------------------------------------------- lint

lint_fmt() { cargo fmt --all --check; }
lint_clippy_server() { cargo clippy --locked --workspace --exclude frontend --all-targets -- -D warnings; }
lint_clippy_wasm() { cargo clippy --locked -p frontend --target "$WASM_TARGET" -- -D warnings; }

# ---------------------------------------------------------------- cargo test

# The frontend is wasm-only; testing it with the workspace would unify `ssr` and `hydrate`.
# --locked: CI fails when Cargo.lock is not up to date with the manifests.
CARGO_TEST_ARGS=(--locked --workspace --exclude frontend)

cargo_tests_build() {
  local rc=0
  cargo test "${CARGO_TEST_ARGS[@]}" --no-run 2>&1 | tee "$TEST_LOGS/cargo-test-build.log" || rc=$?
  return "$rc"
}

cargo_tests() {
  local rc=0
  # The OpenTelemetry Python SDK venv (scripts/install-tools.sh ensure_otel_venv); the test fails without it.
  export ED_TEST_OTEL_PYTHON="${ED_TEST_OTEL_PYTHON:-$TOOLS/otel-venv/bin/python}"
  # Bounded: a hung test must not hang CI.
  timeout --kill-after=30s "${ED_CARGO_TEST_TIMEOUT:-20m}" cargo test "${CARGO_TEST_ARGS[@]}" --no-fail-fast 2>&1 |
    tee "$TEST_LOGS/cargo-test.log" || rc=$?
  ((rc != 124)) || warn "cargo test timed out after ${ED_CARGO_TEST_TIMEOUT:-20m}"
  return "$rc"
}

# Counts `test <path> ... ok|FAILED` lines by backend: the first module segment naming a backend
# (sqlite::, postgres::, clickhouse::, local::, s3::) decides, everything else is unit/api.
count_cargo_tests() {
  local rc=$1 logfile="$TEST_LOGS/cargo-test.log" name result group line seg
  local -a segs
  while IFS= read -r line; do
    [[ "$line" =~ ^test\ (.+)\ \.\.\.\ (ok|FAILED)$ ]] || continue
    name=${BASH_REMATCH[1]}
    result=${BASH_REMATCH[2]}
    group=unit/api
    IFS=' ' read -r -a segs <<<"${name//::/ }"
    unset 'segs[-1]'
    for seg in "${segs[@]}"; do
      if [[ " ${BACKENDS[*]} " == *" $seg "* ]]; then
        group=$seg
        break
      fi
    done
    if [[ "$result" == ok ]]; then
      count "$group" 1 0
    else
      count "$group" 0 1
      FAILED_NAMES+=("cargo test: $name")
    fi
  done <"$logfile"
  local total_failed=0 g
  for g in "${BACKENDS[@]}" unit/api; do total_failed=$((total_failed + ${FAILED[$g]:-0})); done
  if ((rc != 0 && total_failed == 0)); then
    # Did not compile, or a test binary crashed: no per-test FAILED line to count.
    count unit/api 0 1
    FAILED_NAMES+=("cargo test: exited $rc without a failing test line (build error or crash; see $logfile)")
  fi
}

# ---------------------------------------------------------------- fuzz

# A short libFuzzer run of otlp::decode_and_map; its chatter goes to the log, a crash fails the check.
fuzz_otlp() {
  local rc=0 logfile="$TEST_LOGS/fuzz.log"
  timeout --kill-after=10s 15m bash "$ROOT/fuzz/run.sh" "${ED_FUZZ_SECS:-45}" >"$logfile" 2>&1 || rc=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units)' "$logfile" >&2 || true
  if ((rc != 0)); then
    tail -n 40 "$logfile" >&2
    FAILED_NAMES+=("fuzz: exit $rc, crash input in fuzz/artifacts/decode_and_map/ (see ${logfile#"$ROOT"/})")
  fi
  return "$rc"
}

# ---------------------------------------------------------------- e2e

# start_server MODE: starts the debug server for MODE on a free port; sets SERVER_PID, BASE_URL.
start_server() {
  local mode=$1 port data logfile="$TEST_LOGS/server-$1.log"
  port=$(pick_port 0)
  data=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-e2e-$mode.XXXXXX")
  on_exit "rm -rf '$data'"
  local -a env=(
    "ELASTICDASH__SERVER__ADDR=127.0.0.1:$port"
    "ELASTICDASH__SERVER__SITE_ROOT=$SITE_ROOT"
    "RUST_LOG=${RUST_LOG:-info}"
  )
  case $mode in
    embedded)
      EXPECT_BACKENDS=sqlite,sqlite,file
      env+=(
        "ELASTICDASH__STORES__PRIMARY_URL=sqlite://$data/elasticdash.db"
        "ELASTICDASH__STORES__ANALYTICS_URL=sqlite://$data/analytics.db"
        "ELASTICDASH__STORES__BLOB_URL=file://$data/blobs"
      )
      ;;
    scale-out)
      EXPECT_BACKENDS=postgres,clickhouse,s3
      psql_admin "DROP DATABASE IF EXISTS app WITH (FORCE)" "DROP ROLE IF EXISTS e2e_app" \
        "CREATE ROLE e2e_app LOGIN PASSWORD 'e2e_app'" "CREATE DATABASE app OWNER e2e_app" >/dev/null || return 1
      curl -fsS "$ED_TEST_CLICKHOUSE_URL/" --data-binary 'DROP DATABASE IF EXISTS elasticdash_e2e' >/dev/null || return 1
      env+=(
        "ELASTICDASH__STORES__PRIMARY_URL=postgres://e2e_app:e2e_app@127.0.0.1:$ED_PG_PORT/app"
        "ELASTICDASH__STORES__ANALYTICS_URL=$ED_TEST_CLICKHOUSE_URL/elasticdash_e2e"
        # A short bucket and no prefix: s3s-fs names a multipart upload's metadata file after
        # base64(bucket + key), and a dataset's original file (three UUIDs deep) must stay under
        # the file system's 255-byte names there. Real S3 allows 1,024-byte keys.
        "ELASTICDASH__STORES__BLOB_URL=s3://e2e"
        # Scale-out refuses to start without a master key for provider keys (embedded makes its own).
        "ELASTICDASH__LLM__MASTER_KEY=$(head -c32 /dev/urandom | base64)"
        "ELASTICDASH__STORES__S3__ENDPOINT=$ED_TEST_S3_ENDPOINT"
        "ELASTICDASH__STORES__S3__REGION=$ED_TEST_S3_REGION"
        "ELASTICDASH__STORES__S3__ACCESS_KEY_ID=$ED_TEST_S3_ACCESS_KEY"
        "ELASTICDASH__STORES__S3__SECRET_ACCESS_KEY=$ED_TEST_S3_SECRET_KEY"
      )
      ;;
  esac
  (cd "$ROOT" && exec env "${env[@]}" "$(server_bin debug)" serve) >"$logfile" 2>&1 &
  SERVER_PID=$!
  on_exit "kill_pid $SERVER_PID 'elasticdash server ($mode)'"
  BASE_URL="http://127.0.0.1:$port"
  wait_until 120 "elasticdash server ($mode) at $BASE_URL/healthz" "$SERVER_PID" "$logfile" http_ok "$BASE_URL/healthz" || return 1
  log "server ($mode) up at $BASE_URL (pid $SERVER_PID, log ${logfile#"$ROOT"/})"
}

# e2e MODE: server up, node --test end2end/tests, server down; counts from the TAP report.
e2e() {
  local mode=$1 rc=0
  local tap="$TEST_LOGS/e2e-$mode.tap" logfile="$TEST_LOGS/e2e-$mode.log"
  rm -f "$tap"
  if ! start_server "$mode"; then
    count "e2e $mode" 0 1
    FAILED_NAMES+=("e2e $mode: the server did not start (see target/test-logs/server-$mode.log)")
    kill_pid "${SERVER_PID:-}" server
    return 1
  fi
  ED_E2E_BASE_URL="$BASE_URL" ED_E2E_MODE="$mode" ED_E2E_EXPECT_BACKENDS="$EXPECT_BACKENDS" \
    ED_FAKE_LLM_URL="${ED_FAKE_LLM_URL:-}" timeout --kill-after=10s "${ED_E2E_TIMEOUT:-25m}" \
    node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$ROOT/end2end/tests" 2>&1 | tee "$logfile" || rc=$?
  kill_pid "$SERVER_PID" "elasticdash server ($mode)"
  # TAP: top-level "ok N - name" / "not ok N - name"; counted from those lines so that a run cut
  # short (timeout, crash) still reports what finished.
  local pass fail t
  pass=$(grep -c '^ok ' "$tap" 2>/dev/null) || true
  fail=$(grep -c '^not ok ' "$tap" 2>/dev/null) || true
  pass=${pass:-0} fail=${fail:-0}
  while IFS= read -r t; do FAILED_NAMES+=("e2e $mode: $t"); done < <(sed -n 's/^not ok [0-9]* - //p' "$tap" 2>/dev/null)
  if ((rc != 0 && fail == 0)); then
    fail=1
    if ((rc == 124)); then
      FAILED_NAMES+=("e2e $mode: timed out after ${ED_E2E_TIMEOUT:-25m} (see ${logfile#"$ROOT"/})")
    else
      FAILED_NAMES+=("e2e $mode: node --test exited $rc (see ${logfile#"$ROOT"/})")
    fi
  fi
  count "e2e $mode" "$pass" "$fail"
  return "$rc"
}

# ---------------------------------------------------------------- summary

summary() {
  local total_pass=0 total_fail=0 i g p f
  {
    printf '\n\033[1m════════════════════════════ summary ════════════════════════════\033[0m\n'
    printf 'steps:\n'
    for i in "${!STEP_NAMES[@]}"; do printf '  %-24s %8s\n' "${STEP_NAMES[i]}" "$(fmt_secs "${STEP_SECS[i]}")"; done
    printf 'checks:\n'
    for i in "${!CHECK_NAMES[@]}"; do
      if ((CHECK_OK[i])); then
        printf '  %-24s ok\n' "${CHECK_NAMES[i]}"
        total_pass=$((total_pass + 1))
      else
        printf '  %-24s FAILED\n' "${CHECK_NAMES[i]}"
        total_fail=$((total_fail + 1))
      fi
    done
    printf 'cargo test (by backend):\n'
    for g in "${BACKENDS[@]}" unit/api; do
      p=${PASSED[$g]:-0} f=${FAILED[$g]:-0}
      printf '  %-24s %4d passed, %d failed\n' "$g" "$p" "$f"
      total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    done
    printf 'end-to-end (Chromium):\n'
    for g in "${E2E_MODES[@]}"; do
      p=${PASSED["e2e $g"]:-0} f=${FAILED["e2e $g"]:-0}
      printf '  %-24s %4d passed, %d failed\n' "$g" "$p" "$f"
      total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    done
    if ((${#FAILED_NAMES[@]})); then
      printf 'failures:\n'
      printf '  %s\n' "${FAILED_NAMES[@]}"
    fi
    printf 'logs: %s\n' "${TEST_LOGS#"$ROOT"/}"
    printf 'total duration: %s\n' "$(elapsed_total)"
    printf '%d passed, %d failed\n' "$total_pass" "$total_fail"
  }
  SUMMARY_FAILED=$total_fail
}

# abort STEP: a step everything after depends on failed: count it, print the summary, exit 1.
abort() {
  CHECK_NAMES+=("$1")
  CHECK_OK+=(0)
  FAILED_NAMES+=("$1 failed: nothing after it ran")
  summary
  exit 1
}

# ---------------------------------------------------------------- main

# Cargo's incremental caches grow run after run (23 GB was seen) until the disk is full and builds die
# mid-way; past INCREMENTAL_MAX_MB they are dropped (the compiled dependencies are kept).
INCREMENTAL_MAX_MB=${ED_INCREMENTAL_MAX_MB:-6144}
prune_incremental() {
  local dir size
  for dir in "$CARGO_TARGET_DIR"/debug/incremental "$CARGO_TARGET_DIR"/*/debug/incremental; do
    [[ -d $dir ]] || continue
    size=$(du -sm "$dir" | cut -f1)
    if ((size > INCREMENTAL_MAX_MB)); then
      log "dropping $dir ($size MB > $INCREMENTAL_MAX_MB MB)"
      rm -rf "$dir"
    fi
  done
}

main() {
  local lint=1 run_e2e=1
  while (($#)); do
    case $1 in
      --no-lint) lint=0 ;;
      --no-e2e) run_e2e=0 ;;
      -h | --help) usage 0 ;;
      *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
    shift
  done
  cd "$ROOT"
  rm -rf "$TEST_LOGS"
  mkdir -p "$TEST_LOGS"
  log "ElasticDash test run: target dir $CARGO_TARGET_DIR, logs ${TEST_LOGS#"$ROOT"/}"
  prune_incremental

  step "install tools" bash "$ROOT/scripts/install-tools.sh" --for test || abort "install tools"

  if ((lint)); then
    check "cargo fmt" lint_fmt || true
    check "clippy (server)" lint_clippy_server || true
    check "clippy (wasm)" lint_clippy_wasm || true
  fi

  step "start services" services_start || abort "start services"

  local rc=0
  if step "cargo test (compile)" cargo_tests_build; then
    step "cargo test (run)" cargo_tests || rc=$?
    count_cargo_tests "$rc"
  else
    count unit/api 0 1
    FAILED_NAMES+=("cargo test: the tests did not compile (see ${TEST_LOGS#"$ROOT"/}/cargo-test-build.log)")
  fi

  check "fuzz (otlp decoder)" fuzz_otlp || true

  if ((run_e2e)); then
    if check "build (debug site)" bash "$ROOT/scripts/build.sh"; then
      # The playground spec chats with it; a spec that needs it fails clearly when it is missing.
      step "start fake LLM vendor" fake_llm_start || true
      # The test cases spec runs cases against it.
      step "start fake target app" fake_target_start || true
      local mode
      for mode in "${E2E_MODES[@]}"; do step "e2e $mode" e2e "$mode" || true; done
    else
      for mode in "${E2E_MODES[@]}"; do
        count "e2e $mode" 0 1
        FAILED_NAMES+=("e2e $mode: not run, the build failed")
      done
    fi
  fi

  summary
  ((SUMMARY_FAILED == 0))
}

# Sourcing (for a look at the helpers) does not run anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
