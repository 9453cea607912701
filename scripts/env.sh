# shellcheck shell=bash disable=SC2034  # variables here are used by the scripts that source this file
# Sourced by every script in scripts/: paths, tool versions, logging, timing and cleanup helpers.
#
#   CACHE               $HOME/.cache/elasticdash (override with ELASTICDASH_CACHE): everything that
#                       outlives a clone — cargo target dir, cargo-installed tools, npm tools, logs.
#   CARGO_TARGET_DIR    defaults to $CACHE/target so fresh clones (CI) reuse compiled dependencies.
#   Tool folders carry their version in the name: bumping a version installs next to the old one.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ELASTICDASH_CACHE:-$HOME/.cache/elasticdash}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TOOLS="$CACHE/tools"
LOGS="$CACHE/logs"
SITE_ROOT="$ROOT/target/site"

# Pinned tool versions. wasm-bindgen must equal the library version in Cargo.lock.
S3S_FS_VERSION="0.14.1"
BINARYEN_VERSION="132.0.0"
AIOSMTPD_VERSION="1.4.6"
WASM_TARGET="wasm32-unknown-unknown"

wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/^version = "|"$/, ""); print; exit }' "$ROOT/Cargo.lock"
}
WASM_BINDGEN_VERSION="$(wasm_bindgen_version)"
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
  echo "error: no wasm-bindgen package in $ROOT/Cargo.lock" >&2
  exit 1
fi

WASM_BINDGEN_DIR="$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION"
S3S_FS_DIR="$TOOLS/s3s-fs-$S3S_FS_VERSION"
BINARYEN_DIR="$TOOLS/binaryen-$BINARYEN_VERSION"
# A Python venv with aiosmtpd: the SMTP sink the mail tests send to.
AIOSMTPD_DIR="$TOOLS/aiosmtpd-$AIOSMTPD_VERSION"

export PATH="$WASM_BINDGEN_DIR/bin:$S3S_FS_DIR/bin:$BINARYEN_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The server binary that `cargo build -p elasticdash` produces.
server_bin() {
  local profile="${1:-debug}"
  echo "$CARGO_TARGET_DIR/$profile/elasticdash"
}

# ---------------------------------------------------------------- logging and timing

# usage [STATUS]: prints the calling script's header comment (its help) and exits.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit "${1:-0}"
}

_ED_T0=$(date +%s)

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
err() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; }
die() {
  err "$@"
  exit 1
}

# Seconds as "1m05s" / "42s".
fmt_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

elapsed_total() { fmt_secs $(($(date +%s) - _ED_T0)); }

# timed LABEL CMD...: runs CMD, prints its duration, returns its status.
timed() {
  local label=$1 t0 rc=0
  shift
  t0=$(date +%s)
  log "$label"
  "$@" || rc=$?
  local took
  took=$(fmt_secs $(($(date +%s) - t0)))
  if ((rc == 0)); then log "$label: done in $took"; else warn "$label: FAILED (exit $rc) after $took"; fi
  return "$rc"
}

# as_root CMD...: runs CMD as root (directly, or through sudo).
as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------- cleanup on exit

# on_exit CMD: CMD (a string, eval'd) runs when the script exits, last registered first.
_ED_CLEANUPS=()
on_exit() {
  _ED_CLEANUPS+=("$1")
  if ((${#_ED_CLEANUPS[@]} == 1)); then
    trap _ed_run_cleanups EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
  fi
}
_ed_run_cleanups() {
  local rc=$? i
  trap - EXIT
  for ((i = ${#_ED_CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${_ED_CLEANUPS[i]}" || true
  done
  _ED_CLEANUPS=()
  return "$rc"
}

# kill_pid PID [NAME]: TERM, wait up to 10 s, then KILL. Only the given process (and its own group when it leads one).
kill_pid() {
  local pid=$1 name=${2:-process} i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop within 10 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- ports and waiting

# port_free PORT: true when nothing can be listening on 127.0.0.1:PORT (we can bind it).
port_free() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# pick_port PREFERRED: prints PREFERRED when free, otherwise a free port the kernel hands out.
pick_port() {
  local preferred=${1:-0}
  if ((preferred > 0)) && port_free "$preferred"; then
    echo "$preferred"
    return
  fi
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# wait_until SECONDS DESCRIPTION PID LOGFILE CMD...: polls CMD every 0.2 s until it succeeds.
# Fails (with the tail of LOGFILE) when PID dies or SECONDS pass. PID/LOGFILE may be "-".
wait_until() {
  local secs=$1 what=$2 pid=$3 logfile=$4 deadline
  shift 4
  deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ "$pid" != "-" ]] && ! kill -0 "$pid" 2>/dev/null; then
      _wait_failed "$what exited before it answered" "$logfile"
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      _wait_failed "$what did not answer within ${secs}s" "$logfile"
      return 1
    fi
    sleep 0.2
  done
}
_wait_failed() {
  printf '\033[1;31merror:\033[0m %s\n' "$1" >&2
  if [[ "$2" != "-" && -f "$2" ]]; then
    echo "---- last 40 lines of $2 ----" >&2
    tail -n 40 "$2" >&2
    echo "----" >&2
  fi
}

# http_ok URL: true on a 2xx answer.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
# http_answers URL: true on any HTTP answer at all (403 from a signed-only S3 endpoint counts).
http_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") || true
  [[ "$code" != "000" && -n "$code" ]]
}

random_hex() { head -c "${1:-16}" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
