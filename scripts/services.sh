# shellcheck shell=bash
# Throwaway test services on loopback, each in its own mktemp folder, stopped by PID on exit.
#
#   source scripts/services.sh
#   services_start            # all four; or postgres_start / clickhouse_start / s3_start / smtp_start
#
# Exports (ports fall back to free ones when the preferred port is taken):
#   ED_TEST_POSTGRES_URL   postgres://postgres@127.0.0.1:55433/postgres   (PostgreSQL 15, trust auth)
#   ED_TEST_CLICKHOUSE_URL http://127.0.0.1:18123                        (ClickHouse 18.16, user default)
#   ED_TEST_S3_ENDPOINT    http://127.0.0.1:19000                        (s3s-fs, path-style)
#   ED_TEST_S3_ACCESS_KEY, ED_TEST_S3_SECRET_KEY (random per run), ED_TEST_S3_REGION (us-east-1)
#   ED_TEST_SMTP_URL       smtp://127.0.0.1:<free port>                  (aiosmtpd sink, plain SMTP)
#   ED_TEST_MAIL_DIR       the sink's maildir: one file per received message under new/
#
# Not part of services_start (the e2e step starts it): fake_llm_start, the fake LLM vendor
# (crates/fake-llm: OpenAI chat completions and embeddings + Anthropic messages, deterministic replies):
#   ED_FAKE_LLM_URL        http://127.0.0.1:<free port>   (OpenAI-style base URL: $ED_FAKE_LLM_URL/v1)
# and fake_target_start, the fake team application (crates/fake-target):
#   ED_FAKE_TARGET_URL     http://127.0.0.1:<free port>   (POST /chat; POST /_answer configures it)
#
# Run directly (`bash scripts/services.sh`) to start all four and keep them up until Ctrl-C.

if [[ -z "${ROOT:-}" || -z "${CACHE:-}" ]]; then
  source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
fi

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
SERVICES_DIR=""

# Called in this shell (not in $(...)): it registers the folder's removal on exit.
_services_init() {
  if [[ -z "$SERVICES_DIR" ]]; then
    SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/elasticdash-services.XXXXXX")
    chmod 755 "$SERVICES_DIR" # the postgres user must reach its data folder
    on_exit "rm -rf '$SERVICES_DIR'"
  fi
}

# ---------------------------------------------------------------- PostgreSQL 15

# as_postgres CMD...: initdb/pg_ctl refuse to run as root, so root runs them as the postgres user.
as_postgres() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_start() {
  local t0 dir port logfile
  _services_init
  t0=$(date +%s)
  [[ -x "$PG_BIN/initdb" ]] || { err "PostgreSQL 15 not found in $PG_BIN (scripts/install-tools.sh --for test)"; return 1; }
  port=$(pick_port "${ED_PG_PORT:-55433}")
  dir="$SERVICES_DIR/postgres"
  logfile="$SERVICES_DIR/postgres.log"
  mkdir -p "$dir" || return 1
  touch "$logfile"
  if ((EUID == 0)); then chown postgres:postgres "$dir" "$logfile"; fi
  chmod 700 "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$SERVICES_DIR/initdb.log" 2>&1 ||
    { cat "$SERVICES_DIR/initdb.log" >&2; err "initdb failed"; return 1; }
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$logfile" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { _wait_failed "PostgreSQL did not start" "$logfile"; return 1; }
  PG_PID=$(head -n 1 "$dir/postmaster.pid")
  PG_DIR=$dir
  on_exit "postgres_stop"
  wait_until 30 "PostgreSQL on port $port" "$PG_PID" "$logfile" \
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'select 1' || return 1
  export ED_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  ED_PG_PORT=$port
  log "PostgreSQL 15 up on 127.0.0.1:$port (pid $PG_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

postgres_stop() {
  [[ -n "${PG_PID:-}" ]] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR" -m immediate -t 10 stop >/dev/null 2>&1 || true
  kill_pid "$PG_PID" postgres
  PG_PID=""
}

# psql_admin SQL...: runs each statement on the throwaway cluster as the postgres superuser.
psql_admin() {
  local args=() sql
  for sql in "$@"; do args+=(-c "$sql"); done
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$ED_PG_PORT" -U postgres -d postgres "${args[@]}"
}

# ---------------------------------------------------------------- ClickHouse (Debian's 18.16)

clickhouse_start() {
  local t0 dir http_port tcp_port logfile
  _services_init
  t0=$(date +%s)
  command -v clickhouse-server >/dev/null || { err "clickhouse-server not found (scripts/install-tools.sh --for test)"; return 1; }
  http_port=$(pick_port "${ED_CH_HTTP_PORT:-18123}")
  tcp_port=$(pick_port "${ED_CH_TCP_PORT:-19001}")
  [[ "$tcp_port" != "$http_port" ]] || tcp_port=$(pick_port 0)
  dir="$SERVICES_DIR/clickhouse"
  logfile="$SERVICES_DIR/clickhouse.log"
  mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log}
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
</yandex>
XML
  cat >"$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
  (cd "$dir" && exec clickhouse-server --config-file="$dir/config.xml") >"$logfile" 2>&1 &
  CH_PID=$!
  on_exit "clickhouse_stop"
  wait_until 60 "ClickHouse on port $http_port" "$CH_PID" "$dir/log/clickhouse-server.err.log" \
    http_ok "http://127.0.0.1:$http_port/ping" || { tail -n 20 "$logfile" >&2; return 1; }
  export ED_TEST_CLICKHOUSE_URL="http://127.0.0.1:$http_port"
  ED_CH_HTTP_PORT=$http_port
  ED_CH_TCP_PORT=$tcp_port
  log "ClickHouse $(curl -fsS "$ED_TEST_CLICKHOUSE_URL/?query=SELECT%20version()") up on 127.0.0.1:$http_port (tcp $tcp_port, pid $CH_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

clickhouse_stop() {
  [[ -n "${CH_PID:-}" ]] || return 0
  kill_pid "$CH_PID" clickhouse-server
  CH_PID=""
}

# ---------------------------------------------------------------- S3 (s3s-fs)

s3_start() {
  local t0 dir port logfile
  _services_init
  t0=$(date +%s)
  command -v s3s-fs >/dev/null || { err "s3s-fs not found (scripts/install-tools.sh --for test)"; return 1; }
  port=$(pick_port "${ED_S3_PORT:-19000}")
  dir="$SERVICES_DIR/s3"
  logfile="$SERVICES_DIR/s3.log"
  mkdir -p "$dir"
  ED_TEST_S3_ACCESS_KEY="ED$(random_hex 9 | tr 'a-f' 'A-F')"
  ED_TEST_S3_SECRET_KEY="$(random_hex 20)"
  export ED_TEST_S3_ACCESS_KEY ED_TEST_S3_SECRET_KEY ED_TEST_S3_REGION="us-east-1"
  RUST_LOG="${S3_RUST_LOG:-warn}" s3s-fs --host 127.0.0.1 --port "$port" \
    --access-key "$ED_TEST_S3_ACCESS_KEY" --secret-key "$ED_TEST_S3_SECRET_KEY" "$dir" >"$logfile" 2>&1 &
  S3_PID=$!
  on_exit "s3_stop"
  # Unsigned requests get an S3 error document (403): any HTTP answer means it is serving.
  wait_until 30 "s3s-fs on port $port" "$S3_PID" "$logfile" http_answers "http://127.0.0.1:$port/" || return 1
  export ED_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  ED_S3_PORT=$port
  log "s3s-fs $S3S_FS_VERSION up on 127.0.0.1:$port (pid $S3_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

s3_stop() {
  [[ -n "${S3_PID:-}" ]] || return 0
  kill_pid "$S3_PID" s3s-fs
  S3_PID=""
}

# ---------------------------------------------------------------- SMTP sink (aiosmtpd)

# smtp_answers PORT: true when an SMTP server greets (220) on 127.0.0.1:PORT.
smtp_answers() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 3 <&3 | grep -q 220' _ "$1"
}

# Accepts every message and writes it, as received, into a maildir (new/ holds one file per message).
smtp_start() {
  local t0 port logfile
  _services_init
  t0=$(date +%s)
  [[ -x "$AIOSMTPD_DIR/bin/python" ]] || { err "aiosmtpd not found in $AIOSMTPD_DIR (scripts/install-tools.sh --for test)"; return 1; }
  port=$(pick_port "${ED_SMTP_PORT:-0}")
  logfile="$SERVICES_DIR/smtp.log"
  ED_TEST_MAIL_DIR="$SERVICES_DIR/mail"
  mkdir -p "$ED_TEST_MAIL_DIR"/{tmp,new,cur}
  "$AIOSMTPD_DIR/bin/python" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$ED_TEST_MAIL_DIR" >"$logfile" 2>&1 &
  SMTP_PID=$!
  on_exit "smtp_stop"
  wait_until 30 "SMTP sink on port $port" "$SMTP_PID" "$logfile" smtp_answers "$port" || return 1
  export ED_TEST_SMTP_URL="smtp://127.0.0.1:$port" ED_TEST_MAIL_DIR
  ED_SMTP_PORT=$port
  log "SMTP sink (aiosmtpd $AIOSMTPD_VERSION) up on 127.0.0.1:$port, maildir $ED_TEST_MAIL_DIR (pid $SMTP_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

smtp_stop() {
  [[ -n "${SMTP_PID:-}" ]] || return 0
  kill_pid "$SMTP_PID" aiosmtpd
  SMTP_PID=""
}

# ---------------------------------------------------------------- fake LLM vendor (crates/fake-llm)

# fake_llm_url_in LOGFILE: true once the fake vendor printed its URL and answers on it.
fake_llm_url_in() {
  local url
  url=$(sed -n 's/^FAKE_LLM_URL=//p' "$1" | head -n 1)
  [[ -n "$url" ]] && http_ok "$url/stats"
}

# Builds (when needed) and starts the fake vendor on a free loopback port; exports ED_FAKE_LLM_URL.
fake_llm_start() {
  local t0 logfile
  _services_init
  t0=$(date +%s)
  logfile="$SERVICES_DIR/fake-llm.log"
  cargo build --locked -q -p fake-llm --bin fake-llm >"$SERVICES_DIR/fake-llm-build.log" 2>&1 ||
    { err "cannot build fake-llm"; tail -n 40 "$SERVICES_DIR/fake-llm-build.log" >&2; return 1; }
  "$CARGO_TARGET_DIR/debug/fake-llm" --addr 127.0.0.1:0 >"$logfile" 2>&1 &
  FAKE_LLM_PID=$!
  on_exit "fake_llm_stop"
  wait_until 30 "fake LLM vendor" "$FAKE_LLM_PID" "$logfile" fake_llm_url_in "$logfile" || return 1
  ED_FAKE_LLM_URL=$(sed -n 's/^FAKE_LLM_URL=//p' "$logfile" | head -n 1)
  export ED_FAKE_LLM_URL
  log "fake LLM vendor up at $ED_FAKE_LLM_URL (pid $FAKE_LLM_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

fake_llm_stop() {
  [[ -n "${FAKE_LLM_PID:-}" ]] || return 0
  kill_pid "$FAKE_LLM_PID" fake-llm
  FAKE_LLM_PID=""
}

# ---------------------------------------------------------------- fake AI application (crates/fake-target)

# fake_target_url_in LOGFILE: true once the fake app printed its URL and answers on it.
fake_target_url_in() {
  local url
  url=$(sed -n 's/^fake-target listening on //p' "$1" | head -n 1)
  [[ -n "$url" ]] && http_ok "$url/_stats"
}

# Builds (when needed) and starts the fake team application (answers POST /chat, continues the
# caller's trace over OTLP) on a free loopback port; exports ED_FAKE_TARGET_URL.
fake_target_start() {
  local t0 logfile
  _services_init
  t0=$(date +%s)
  logfile="$SERVICES_DIR/fake-target.log"
  cargo build --locked -q -p fake-target --bin fake-target >"$SERVICES_DIR/fake-target-build.log" 2>&1 ||
    { err "cannot build fake-target"; tail -n 40 "$SERVICES_DIR/fake-target-build.log" >&2; return 1; }
  "$CARGO_TARGET_DIR/debug/fake-target" --listen 127.0.0.1:0 >"$logfile" 2>&1 &
  FAKE_TARGET_PID=$!
  on_exit "fake_target_stop"
  wait_until 30 "fake target app" "$FAKE_TARGET_PID" "$logfile" fake_target_url_in "$logfile" || return 1
  ED_FAKE_TARGET_URL=$(sed -n 's/^fake-target listening on //p' "$logfile" | head -n 1)
  export ED_FAKE_TARGET_URL
  log "fake target app up at $ED_FAKE_TARGET_URL (pid $FAKE_TARGET_PID, $(fmt_secs $(($(date +%s) - t0))))"
}

fake_target_stop() {
  [[ -n "${FAKE_TARGET_PID:-}" ]] || return 0
  kill_pid "$FAKE_TARGET_PID" fake-target
  FAKE_TARGET_PID=""
}

# ---------------------------------------------------------------- all

services_start() {
  postgres_start && clickhouse_start && s3_start && smtp_start
}

services_env() {
  local v
  for v in ED_TEST_POSTGRES_URL ED_TEST_CLICKHOUSE_URL ED_TEST_S3_ENDPOINT ED_TEST_S3_ACCESS_KEY ED_TEST_S3_SECRET_KEY ED_TEST_S3_REGION \
    ED_TEST_SMTP_URL ED_TEST_MAIL_DIR ED_FAKE_LLM_URL; do
    printf 'export %s=%q\n' "$v" "${!v:-}"
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  services_start
  echo
  echo "# Services are up. In another shell:"
  services_env
  echo "# Ctrl-C stops them."
  while true; do
    sleep 3600 &
    _sleep_pid=$!
    on_exit "kill $_sleep_pid 2>/dev/null"
    wait "$_sleep_pid" || true
  done
fi
