#!/usr/bin/env bash
# Runs ElasticDash locally with the embedded defaults: SQLite + SQLite + local folder, all under ./data.
#
#   scripts/run.sh [--release]                        install tools (once), build, serve on http://127.0.0.1:3000
#   scripts/run.sh [--release] create-admin --email you@example.com
#   scripts/run.sh [--release] migrate                (or any other elasticdash subcommand)
#
# Settings come from Leptos.toml and ELASTICDASH__SECTION__KEY environment overrides, e.g.
#   ELASTICDASH__SERVER__ADDR=0.0.0.0:8080 scripts/run.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"


main() {
  local release=0 profile=debug build_args=() install_args=(--for run)
  while (($#)); do
    case $1 in
      --release) release=1; shift ;;
      -h | --help) usage 0 ;;
      *) break ;;
    esac
  done
  if ((release)); then
    profile=release
    build_args+=(--release)
    install_args+=(--release)
  fi
  cd "$ROOT"
  local bin
  bin=$(server_bin "$profile")

  # Any subcommand other than serve only needs the server binary.
  if (($#)) && [[ "$1" != serve ]]; then
    bash "$ROOT/scripts/build.sh" --server-only "${build_args[@]}"
    mkdir -p "$ROOT/data"
    exec "$bin" "$@"
  fi
  [[ "${1:-}" == serve ]] && shift

  bash "$ROOT/scripts/install-tools.sh" "${install_args[@]}"
  bash "$ROOT/scripts/build.sh" "${build_args[@]}"
  mkdir -p "$ROOT/data"

  local addr="${ELASTICDASH__SERVER__ADDR:-127.0.0.1:3000}"
  local rel_bin="${bin/#"$HOME"/\~}"
  local stores="$ROOT/data (SQLite primary + analytics, local blob folder)"
  if [[ -n "${ELASTICDASH__STORES__PRIMARY_URL:-}${ELASTICDASH__STORES__ANALYTICS_URL:-}${ELASTICDASH__STORES__BLOB_URL:-}" ]]; then
    stores="as set by the ELASTICDASH__STORES__* variables (the server logs the backends)"
  fi
  cat >&2 <<EOF

  ElasticDash is starting on   http://$addr
  Data lives in                $stores
  Create the first admin with  scripts/run.sh create-admin --email you@example.com
                          (or  $rel_bin create-admin --email you@example.com)
  Health: /healthz  readiness: /readyz  metrics: /metrics     Stop with Ctrl-C.
  Ready to serve after $(elapsed_total) of install + build.

EOF
  exec "$bin" serve "$@"
}

main "$@"
