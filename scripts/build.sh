#!/usr/bin/env bash
# Builds the server binary and the site (island wasm + JS glue + CSS + public assets), without cargo-leptos.
#
#   scripts/build.sh [--release] [--server-only | --site-only]
#
#   server  cargo build -p elasticdash                      -> $CARGO_TARGET_DIR/{debug,release}/elasticdash
#   wasm    cargo build -p frontend --lib --target wasm32-unknown-unknown [--profile wasm-release]
#           (always its own cargo invocation: building it with the server would unify `ssr` and `hydrate`)
#   glue    wasm-bindgen --target web --out-name elasticdash -> target/site/pkg/elasticdash{.js,_bg.wasm}
#           (+ wasm-opt -Oz from npm binaryen with --release)
#   assets  style/main.css -> target/site/pkg/elasticdash.css; public/* -> target/site/
#
# Needs the tools from scripts/install-tools.sh (run.sh and test.sh call it first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"


build_server() {
  local args=(-p elasticdash)
  if ((RELEASE)); then args+=(--release); fi
  timed "cargo build ${args[*]}" cargo build "${args[@]}"
}

build_wasm() {
  local args=(-p frontend --lib --target "$WASM_TARGET")
  if ((RELEASE)); then args+=(--profile wasm-release); fi
  timed "cargo build ${args[*]}" cargo build "${args[@]}"
}

wasm_artifact() {
  local profile=debug
  if ((RELEASE)); then profile="wasm-release"; fi
  echo "$CARGO_TARGET_DIR/$WASM_TARGET/$profile/frontend.wasm"
}

bindgen() {
  local wasm pkg="$SITE_ROOT/pkg"
  wasm=$(wasm_artifact)
  [[ -f "$wasm" ]] || die "no wasm at $wasm"
  command -v wasm-bindgen >/dev/null || die "wasm-bindgen not on PATH: run scripts/install-tools.sh"
  local have
  have=$(wasm-bindgen --version | awk '{print $2}')
  [[ "$have" == "$WASM_BINDGEN_VERSION" ]] ||
    die "wasm-bindgen CLI is $have but Cargo.lock has $WASM_BINDGEN_VERSION: run scripts/install-tools.sh"
  rm -rf "$pkg"
  mkdir -p "$pkg"
  timed "wasm-bindgen $(basename "$wasm") -> ${pkg#"$ROOT"/}" \
    wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name elasticdash "$wasm"
  if ((RELEASE)); then
    command -v wasm-opt >/dev/null || die "wasm-opt not on PATH: run scripts/install-tools.sh --release"
    # The features rustc enables by default for wasm32 (bulk memory, sign-ext, ...) must stay enabled.
    timed "wasm-opt -Oz" wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o "$pkg/elasticdash_bg.wasm" "$pkg/elasticdash_bg.wasm"
  fi
}

copy_assets() {
  mkdir -p "$SITE_ROOT/pkg"
  if [[ -f "$ROOT/style/main.css" ]]; then
    cp "$ROOT/style/main.css" "$SITE_ROOT/pkg/elasticdash.css"
  else
    warn "style/main.css is missing"
  fi
  if [[ -d "$ROOT/public" ]]; then
    cp -a "$ROOT/public/." "$SITE_ROOT/"
  fi
}

report_sizes() {
  local f
  for f in "$SITE_ROOT"/pkg/*; do
    [[ -f "$f" ]] || continue
    printf '    %-28s %8s KB  (%s KB gzipped)\n' "pkg/$(basename "$f")" $(($(stat -c %s "$f") / 1024)) $(($(gzip -c "$f" | wc -c) / 1024)) >&2
  done
}

main() {
  RELEASE=0
  local what=all
  while (($#)); do
    case $1 in
      --release) RELEASE=1 ;;
      --server-only) what=server ;;
      --site-only) what=site ;;
      -h | --help) usage 0 ;;
      *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
    shift
  done
  local t0 mode=debug
  t0=$(date +%s)
  if ((RELEASE)); then mode=release; fi
  cd "$ROOT"
  log "building ($mode) into $CARGO_TARGET_DIR, site into ${SITE_ROOT#"$ROOT"/}"
  if [[ "$what" != site ]]; then build_server; fi
  if [[ "$what" != server ]]; then
    build_wasm
    bindgen
    copy_assets
    report_sizes
  fi
  log "build ($mode) finished in $(fmt_secs $(($(date +%s) - t0)))"
}

main "$@"
