#!/usr/bin/env bash
# Installs what building, running and testing ElasticDash needs, once; later runs only check.
#
#   scripts/install-tools.sh [--for run|test] [--release]
#
#   run  (default): rustup target wasm32-unknown-unknown, wasm-bindgen-cli (= Cargo.lock's wasm-bindgen),
#                   and with --release npm binaryen (wasm-opt; Debian's binaryen 108 breaks the wasm).
#   test:           the above plus rustfmt + clippy, Debian packages postgresql, clickhouse-server,
#                   clickhouse-client, chromium, curl (apt only when a program is missing), s3s-fs,
#                   cargo-fuzz,
#                   a Python venv with aiosmtpd (pip; the SMTP sink of the mail tests),
#                   a Python venv with the OpenTelemetry SDK + OTLP/HTTP exporter (tests/otlp_python_sdk.rs),
#                   and end2end/node_modules (npm ci: playwright-core only, no browser download).
#
# Cargo/npm tools go to $HOME/.cache/elasticdash/tools/<name>-<version>/ (see scripts/env.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"


# ---------------------------------------------------------------- rust

ensure_wasm_target() {
  if rustup target list --installed | grep -qx "$WASM_TARGET"; then return; fi
  timed "rustup target add $WASM_TARGET" rustup target add "$WASM_TARGET"
}

ensure_rust_components() {
  local missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  ((${#missing[@]} == 0)) && return
  timed "rustup component add ${missing[*]}" rustup component add "${missing[@]}"
}

# run_logged LOG CMD...: CMD with its output appended to LOG.
run_logged() {
  local logfile=$1
  shift
  "$@" >>"$logfile" 2>&1
}

# cargo_install DIR BIN LOG ARGS...: `cargo install ARGS --root DIR` unless DIR/bin/BIN exists.
# Builds in a throwaway target dir (not the project's), from $CACHE so no project config applies.
cargo_install() {
  local dir=$1 bin=$2 logfile=$3
  shift 3
  if [[ -x "$dir/bin/$bin" ]]; then return; fi
  mkdir -p "$LOGS" "$TOOLS"
  : >"$logfile"
  rm -rf "$dir.partial"
  log "installing $bin into $dir (a few minutes, once; log: $logfile)"
  # shellcheck disable=SC2016 # $1/$@ are expanded by the inner bash
  if ! timed "cargo install $*" run_logged "$logfile" \
    bash -c 'cd "$1" && shift && env -u CARGO_TARGET_DIR cargo install "$@"' _ "$CACHE" "$@" --root "$dir.partial"; then
    tail -n 30 "$logfile" >&2
    die "cargo install $bin failed (full log: $logfile)"
  fi
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
}

ensure_wasm_bindgen() {
  # No --locked: wasm-bindgen-cli's own lockfile pins crates that need a newer rustc.
  cargo_install "$WASM_BINDGEN_DIR" wasm-bindgen "$LOGS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION.log" \
    wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  local have
  have=$("$WASM_BINDGEN_DIR/bin/wasm-bindgen" --version | awk '{print $2}')
  [[ "$have" == "$WASM_BINDGEN_VERSION" ]] ||
    die "$WASM_BINDGEN_DIR/bin/wasm-bindgen is $have, Cargo.lock wants $WASM_BINDGEN_VERSION (delete the folder)"
}

# cargo-fuzz (fuzz/run.sh): works on stable with RUSTC_BOOTSTRAP=1, no nightly toolchain needed.
CARGO_FUZZ_VERSION="0.13.2"
CARGO_FUZZ_DIR="$TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION"
ensure_cargo_fuzz() {
  cargo_install "$CARGO_FUZZ_DIR" cargo-fuzz "$LOGS/cargo-fuzz-$CARGO_FUZZ_VERSION.log" \
    "cargo-fuzz@$CARGO_FUZZ_VERSION" --locked
}

ensure_s3s_fs() {
  cargo_install "$S3S_FS_DIR" s3s-fs "$LOGS/s3s-fs-$S3S_FS_VERSION.log" \
    "s3s-fs@$S3S_FS_VERSION" --locked --features binary
}

# ---------------------------------------------------------------- npm

ensure_binaryen() {
  if [[ -x "$BINARYEN_DIR/node_modules/.bin/wasm-opt" ]]; then return; fi
  command -v npm >/dev/null || die "npm is required for binaryen (wasm-opt)"
  mkdir -p "$BINARYEN_DIR.partial"
  timed "npm install binaryen@$BINARYEN_VERSION" \
    npm install --prefix "$BINARYEN_DIR.partial" --no-audit --no-fund --no-save "binaryen@$BINARYEN_VERSION"
  rm -rf "$BINARYEN_DIR"
  mv "$BINARYEN_DIR.partial" "$BINARYEN_DIR"
}

# npm ci in end2end/ when node_modules does not match package-lock.json (stamped by its hash).
ensure_e2e_modules() {
  local dir="$ROOT/end2end" stamp want
  stamp="$dir/node_modules/.elasticdash-lock.sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  command -v npm >/dev/null || die "npm is required for the end-to-end tests"
  # playwright-core never downloads browsers; the system chromium is used.
  timed "npm ci (end2end)" env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$dir" --no-audit --no-fund
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------- PyPI

# A venv with aiosmtpd (the SMTP sink of the mail tests); done when `import aiosmtpd` works.
ensure_aiosmtpd() {
  if [[ -x "$AIOSMTPD_DIR/bin/python" ]] && "$AIOSMTPD_DIR/bin/python" -c 'import aiosmtpd' 2>/dev/null; then return; fi
  command -v python3 >/dev/null || die "python3 is required for the SMTP sink (aiosmtpd)"
  python3 -m venv --help >/dev/null 2>&1 || die "python3 venv is missing (apt-get install python3-venv)"
  mkdir -p "$LOGS"
  local logfile="$LOGS/aiosmtpd-$AIOSMTPD_VERSION.log"
  : >"$logfile"
  # A venv's scripts name its folder, so it is built in place (a half-made one is rebuilt).
  rm -rf "$AIOSMTPD_DIR"
  timed "python3 -m venv $AIOSMTPD_DIR" run_logged "$logfile" python3 -m venv "$AIOSMTPD_DIR" ||
    { tail -n 20 "$logfile" >&2; die "python3 -m venv failed (log: $logfile)"; }
  timed "pip install aiosmtpd==$AIOSMTPD_VERSION" run_logged "$logfile" \
    "$AIOSMTPD_DIR/bin/python" -m pip install --disable-pip-version-check --no-input "aiosmtpd==$AIOSMTPD_VERSION" ||
    { tail -n 20 "$logfile" >&2; rm -rf "$AIOSMTPD_DIR"; die "pip install aiosmtpd failed (log: $logfile)"; }
}

# The stock OpenTelemetry Python SDK and OTLP/HTTP exporter (tests/otlp_python_sdk.rs) and the official MCP
# client SDK (tests/api_kb.rs), pinned
# (scripts/test.sh exports ED_TEST_OTEL_PYTHON=$OTEL_VENV_DIR/bin/python). Rebuilt when the pins change.
OTEL_PY_PACKAGES=(opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2 mcp==2.3.0)
OTEL_VENV_DIR="$TOOLS/otel-venv"
ensure_otel_venv() {
  local stamp="$OTEL_VENV_DIR/.elasticdash-pins" want="${OTEL_PY_PACKAGES[*]}"
  if [[ -x "$OTEL_VENV_DIR/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
    "$OTEL_VENV_DIR/bin/python" -c 'import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, mcp' 2>/dev/null; then return; fi
  command -v python3 >/dev/null || die "python3 is required for the OpenTelemetry SDK test"
  mkdir -p "$LOGS"
  local logfile="$LOGS/otel-venv.log"
  : >"$logfile"
  rm -rf "$OTEL_VENV_DIR"
  timed "python3 -m venv $OTEL_VENV_DIR" run_logged "$logfile" python3 -m venv "$OTEL_VENV_DIR" ||
    { tail -n 20 "$logfile" >&2; die "python3 -m venv failed (log: $logfile)"; }
  timed "pip install ${OTEL_PY_PACKAGES[*]}" run_logged "$logfile" \
    "$OTEL_VENV_DIR/bin/python" -m pip install --disable-pip-version-check --no-input "${OTEL_PY_PACKAGES[@]}" ||
    { tail -n 20 "$logfile" >&2; rm -rf "$OTEL_VENV_DIR"; die "pip install of the OpenTelemetry SDK failed (log: $logfile)"; }
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------- apt

ensure_apt_packages() {
  local pkgs=()
  [[ -x /usr/lib/postgresql/15/bin/initdb ]] || pkgs+=(postgresql)
  command -v clickhouse-server >/dev/null || pkgs+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || pkgs+=(clickhouse-client)
  [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
  command -v curl >/dev/null || pkgs+=(curl)
  ((${#pkgs[@]} == 0)) && return
  mkdir -p "$LOGS"
  local logfile="$LOGS/apt.log"
  log "installing Debian packages: ${pkgs[*]} (log: $logfile)"
  if ((EUID != 0)) && ! command -v sudo >/dev/null; then die "need root or sudo to apt-get install ${pkgs[*]}"; fi
  # The postgresql package starts a system cluster on 5432 only where systemd/invoke-rc.d run; tests
  # never use it (they start a throwaway cluster).
  timed "apt-get update" run_logged "$logfile" as_root apt-get update ||
    { tail -n 20 "$logfile" >&2; die "apt-get update failed (log: $logfile)"; }
  timed "apt-get install ${pkgs[*]}" run_logged "$logfile" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" ||
    { tail -n 30 "$logfile" >&2; die "apt-get install failed (log: $logfile)"; }
}

# ---------------------------------------------------------------- main

main() {
  local purpose=run release=0
  while (($#)); do
    case $1 in
      --for) purpose=${2:-}; shift 2 ;;
      --for=*) purpose=${1#--for=}; shift ;;
      --release) release=1; shift ;;
      -h | --help) usage 0 ;;
      *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
  done
  [[ "$purpose" == run || "$purpose" == test ]] || usage 2

  local t0
  t0=$(date +%s)
  mkdir -p "$TOOLS" "$LOGS"
  # One installer at a time (two clones or a run and a test started together).
  exec 9>"$CACHE/install.lock"
  flock 9

  command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup) first"
  ensure_wasm_target
  ensure_wasm_bindgen
  if ((release)); then ensure_binaryen; fi
  if [[ "$purpose" == test ]]; then
    ensure_rust_components
    ensure_apt_packages
    ensure_s3s_fs
    ensure_cargo_fuzz
    ensure_aiosmtpd
    ensure_otel_venv
    ensure_e2e_modules
  fi
  log "tools for '$purpose' ready ($(fmt_secs $(($(date +%s) - t0))))"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
