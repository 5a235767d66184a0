#!/usr/bin/env bash
# Resolve (and if needed start) a PostgreSQL server for Strata and print its URL.
#
# Usage: scripts/postgres-local.sh <ensure [--json]|stop|status|url>
#   ensure  resolve a server in this order and print its URL on stdout:
#             a) $DATABASE_URL when set (must answer and accept `select 1`, else exit 1)
#             b) 127.0.0.1:$PG_PORT (default 5432) when it answers: role/db strata/strata,
#                created via the local postgres superuser when missing (root only)
#             c) a project cluster in $STRATA_HOME/pg/data (apt-get installs PostgreSQL when
#                missing), started with pg_ctl on 127.0.0.1:$PG_PORT (5433 when 5432 is taken
#                by something that is not PostgreSQL), with role/db strata/strata
#           --json prints {"url":...,"started":true|false,"source":"env|local|project",...}
#   stop    stop the project cluster if it runs (never any other cluster)
#   status  describe what `ensure` would use; exit 0 if that server answers, 1 if not
#   url     print the URL of an answering server without starting anything; exit 1 if none
# Logs go to stderr; stdout carries only the URL (or JSON/status text).
# Exit codes: 0 ok, 1 failure (or "not running" for status/url), 2 usage.
# Docs: docs/infrastructure.md
set -euo pipefail
shopt -s inherit_errexit # let failures inside $(...) abort too

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRATA_HOME="${STRATA_HOME:-$ROOT_DIR/.strata}"
mkdir -p "$STRATA_HOME"
STRATA_HOME="$(cd "$STRATA_HOME" && pwd)"

PG_PORT_SET="${PG_PORT:+1}"
PG_PORT="${PG_PORT:-5432}"
PG_HOST=127.0.0.1
APP_USER=strata
APP_PASSWORD=strata
APP_DB=strata
STRATA_PG_FAST="${STRATA_PG_FAST:-0}"

P="$STRATA_HOME/pg"
DATA="$P/data"
RUN="$P/run"   # unix socket dir of the project cluster
PGLOG="$P/postgres.log"
mkdir -p "$P"

log() { printf '[postgres-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
mask() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }
is_root() { [[ "$(id -u)" == 0 ]]; }
url_for() { printf 'postgres://%s:%s@%s:%s/%s' "$APP_USER" "$APP_PASSWORD" "$PG_HOST" "$1" "$APP_DB"; }
# shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Serialise concurrent ensure/stop. fd 9 is closed for pg_ctl so the postmaster never holds it.
take_lock() {
  exec 9>"$STRATA_HOME/.pg.lock"
  flock -w 300 9 || die "could not lock $STRATA_HOME/.pg.lock within 300 s (another postgres-local.sh is busy)"
}

apt_install() {
  is_root || die "need to install $* but not root; install it yourself (apt-get install -y $*)"
  log "installing $* with apt-get (apt-get update first)"
  local t0; t0="$(now_ms)"
  # Plain apt-get is what the machine provides; keep it non-interactive and quiet.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
    >"$P/apt.log" 2>&1; then
    tail -n 20 "$P/apt.log" >&2
    die "apt-get install $* failed; see $P/apt.log"
  fi
  log "installed $* in $(secs_since "$t0") s"
}

need_client() {
  if ! command -v psql >/dev/null || ! command -v pg_isready >/dev/null; then apt_install postgresql-client; fi
}

# 0 when a PostgreSQL server accepts connections on host:port. pg_isready exit 1 means
# "rejecting" (starting up or shutting down): give it a few seconds.
pg_answers() {
  local i rc
  for i in $(seq 1 20); do
    rc=0; pg_isready -q -h "$1" -p "$2" -t 3 || rc=$?
    [[ $rc == 0 ]] && return 0
    [[ $rc == 1 ]] || return 1
    [[ $i == 1 ]] && log "$1:$2 is rejecting connections (starting up?); waiting up to 10 s"
    sleep 0.5
  done
  return 1
}

# Runs `select 1` over TCP with the URL; prints psql's error on failure.
can_login() { [[ "$(PGCONNECT_TIMEOUT=5 psql "$1" -XtAq -c 'select 1' 2>/dev/null)" == 1 ]]; }
login_error() { PGCONNECT_TIMEOUT=5 psql "$1" -XtAq -c 'select 1' 2>&1 | head -n 3 >&2 || true; }

# Unix socket directory of the server on a port: ours, Debian's default, or /tmp.
socket_dir_for() {
  local d
  for d in "$RUN" /var/run/postgresql /tmp; do
    [[ -S "$d/.s.PGSQL.$1" ]] && { printf '%s\n' "$d"; return 0; }
  done
  return 1
}

# Run a command as the cluster's OS superuser: postgres when we are root (initdb refuses root;
# peer auth maps OS user -> role), else the current user (who then owns the project cluster).
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_os_user() { if is_root; then echo postgres; else id -un; fi; }

# Create/repair role strata (LOGIN CREATEDB, password strata) and database strata owned by it,
# as the superuser over the unix socket. CREATEDB: tests create throwaway databases.
provision() { # port
  local port="$1" sock
  sock="$(socket_dir_for "$port")" || die "no unix socket for port $port found in $RUN, /var/run/postgresql or /tmp; cannot create role $APP_USER"
  is_root || [[ "$sock" == "$RUN" ]] || die "cannot create role $APP_USER on the server at port $port: not root. Create it: CREATE ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASSWORD'; CREATE DATABASE $APP_DB OWNER $APP_USER; (or set DATABASE_URL)"
  log "ensuring role $APP_USER (LOGIN CREATEDB) and database $APP_DB on port $port (socket $sock)"
  # \gexec runs CREATE DATABASE only when missing (it cannot run inside a DO block).
  if ! as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U "$(pg_os_user)" -d postgres <<SQL >&2 9>&-; then
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER') THEN
    CREATE ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
  ELSE
    ALTER ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $APP_DB OWNER $APP_USER'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$APP_DB') \gexec
SQL
    die "creating role/database $APP_USER on port $port failed (psql output above)"
  fi
}

# Warn (and fix when we can) if the app role cannot create databases.
check_createdb() { # url port
  local cd
  cd="$(PGCONNECT_TIMEOUT=5 psql "$1" -XtAq -c 'select rolcreatedb from pg_roles where rolname = current_user' 2>/dev/null || true)"
  [[ "$cd" == t ]] && return 0
  if [[ -n "${2:-}" ]] && { is_root || [[ "$(socket_dir_for "$2" || true)" == "$RUN" ]]; }; then
    provision "$2"
  else
    log "WARNING: the role in $(mask "$1") lacks CREATEDB; tests that create throwaway databases will fail"
  fi
}

# --- project cluster ----------------------------------------------------------------------------

bin_dir() { # newest server, or the one matching an existing data dir
  local d
  if [[ -f "$DATA/PG_VERSION" ]]; then
    d="/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin"
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
    die "$DATA was created by PostgreSQL $(cat "$DATA/PG_VERSION") whose server is not installed; delete $DATA (local data) or install postgresql-$(cat "$DATA/PG_VERSION")"
  fi
  # shellcheck disable=SC2012 # fixed Debian paths, no odd names
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  echo "$d"
}

# Port of the running project cluster, if it runs (postmaster.pid line 4 is the port).
project_port() {
  [[ -f "$DATA/postmaster.pid" ]] || return 1
  local bin; bin="$(bin_dir)" || return 1
  as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1 9>&- || return 1
  sed -n 4p "$DATA/postmaster.pid"
}

# postgres must be able to traverse every parent of its data dir.
fix_parents() {
  is_root || return 0
  local d="$P"
  while [[ "$d" != / ]]; do
    d="$(dirname "$d")"
    if [[ "$(stat -c %A "$d" | cut -c10)" != x && "$(stat -c %A "$d" | cut -c10)" != t ]]; then
      log "chmod o+x $d (postgres must reach $DATA)"
      chmod o+x "$d"
    fi
  done
}

choose_port() {
  local port="$PG_PORT"
  if port_open "$PG_HOST" "$port"; then
    if [[ -z "$PG_PORT_SET" && "$port" == 5432 ]] && ! port_open "$PG_HOST" 5433; then
      log "127.0.0.1:5432 is taken by something that does not answer as PostgreSQL; using port 5433"
      port=5433
    else
      die "127.0.0.1:$port is taken by something that does not answer as PostgreSQL; set PG_PORT to a free port"
    fi
  fi
  echo "$port"
}

start_project_cluster() { # -> prints port
  local bin port t0 sockdir
  t0="$(now_ms)"
  if ! bin="$(bin_dir)"; then
    apt_install postgresql
    # Debian's package may have created and started its own cluster on 5432; prefer it then.
    if [[ -z "$PG_PORT_SET" ]] && pg_answers "$PG_HOST" 5432; then
      echo "use-local"
      return 0
    fi
    bin="$(bin_dir)" || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb found"
  fi
  port="$(choose_port)"
  mkdir -p "$RUN"
  sockdir="$RUN"
  # A unix socket path must fit in 107 bytes; fall back to a per-project dir in /tmp.
  if (( ${#RUN} + 16 > 107 )); then
    sockdir="/tmp/strata-pg-$(printf '%s' "$P" | cksum | cut -d' ' -f1)"
    mkdir -p "$sockdir"
    log "socket dir $RUN is too long for a unix socket path; using $sockdir"
  fi
  if is_root; then
    chown postgres: "$P" "$RUN" "$sockdir"
    fix_parents
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    rm -rf "$DATA"
    log "initdb $DATA ($bin)"
    # peer for the unix socket (superuser via runuser), scram for TCP (the app role).
    if ! as_pg "$bin/initdb" -D "$DATA" -U "$(pg_os_user)" --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 --no-sync >"$P/initdb.log" 2>&1 9>&-; then
      tail -n 20 "$P/initdb.log" >&2
      die "initdb failed; see $P/initdb.log"
    fi
    echo "include_if_exists = 'strata.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
  fi
  # Regenerated on every start so port and STRATA_PG_FAST follow the current environment;
  # also used by a manual `pg_ctl -D $DATA start`.
  {
    echo "# Generated by scripts/postgres-local.sh on every start."
    echo "listen_addresses = '$PG_HOST'"
    echo "port = $port"
    echo "unix_socket_directories = '$sockdir'"
    if [[ "$STRATA_PG_FAST" == 1 ]]; then
      echo "# STRATA_PG_FAST=1: not crash-safe, fine for throwaway test data"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | as_pg tee "$DATA/strata.conf" >/dev/null
  [[ -f "$PGLOG" ]] && mv -f "$PGLOG" "$PGLOG.1"
  if is_root; then touch "$PGLOG" && chown postgres: "$PGLOG"; fi
  log "starting project cluster on $PG_HOST:$port (fast=$STRATA_PG_FAST), log: $PGLOG"
  # pg_ctl -w waits for readiness; it detaches the postmaster (setsid, output to the log file).
  if ! as_pg "$bin/pg_ctl" -D "$DATA" -l "$PGLOG" -w -t 60 start >/dev/null 2>&1 9>&-; then
    tail -n 30 "$PGLOG" >&2 || true
    die "pg_ctl start failed for $DATA; see $PGLOG"
  fi
  log "project cluster ready on port $port after $(secs_since "$t0") s"
  echo "$port"
}

# --- commands -------------------------------------------------------------------------------------

RESULT_URL="" RESULT_STARTED=false RESULT_SOURCE=""

resolve_local() { # port -> sets RESULT_*; provisions the role if needed
  local port="$1" url
  url="$(url_for "$port")"
  if ! can_login "$url"; then
    log "$PG_HOST:$port answers but $APP_USER/$APP_PASSWORD cannot log in to $APP_DB; creating them"
    provision "$port"
    can_login "$url" || { login_error "$url"; die "still cannot log in as $APP_USER on $PG_HOST:$port after creating the role"; }
  fi
  check_createdb "$url" "$port"
  RESULT_URL="$url"
}

cmd_ensure() {
  local json="${1:-}" port
  need_client
  take_lock
  if [[ -n "${DATABASE_URL:-}" ]]; then
    if ! can_login "$DATABASE_URL"; then
      login_error "$DATABASE_URL"
      die "DATABASE_URL=$(mask "$DATABASE_URL") does not answer or rejects login (psql output above)"
    fi
    check_createdb "$DATABASE_URL"
    RESULT_URL="$DATABASE_URL" RESULT_SOURCE=env
    log "using DATABASE_URL=$(mask "$DATABASE_URL")"
  elif port="$(project_port)"; then
    log "project cluster already running on port $port"
    resolve_local "$port"
    RESULT_SOURCE=project
  elif pg_answers "$PG_HOST" "$PG_PORT"; then
    log "a PostgreSQL server answers on $PG_HOST:$PG_PORT; using it"
    resolve_local "$PG_PORT"
    RESULT_SOURCE=local
  else
    port="$(start_project_cluster)"
    if [[ "$port" == use-local ]]; then
      resolve_local 5432
      RESULT_SOURCE=local
    else
      provision "$port" # fresh cluster: create the role before the first login attempt
      resolve_local "$port"
      RESULT_SOURCE=project RESULT_STARTED=true
    fi
  fi
  log "ready: $(mask "$RESULT_URL")"
  if [[ "$json" == --json ]]; then
    printf '{"url":"%s","started":%s,"source":"%s","log":"%s"}\n' \
      "$RESULT_URL" "$RESULT_STARTED" "$RESULT_SOURCE" "$PGLOG"
  else
    printf '%s\n' "$RESULT_URL"
  fi
}

cmd_stop() {
  take_lock
  local bin
  if project_port >/dev/null; then
    bin="$(bin_dir)"
    local t0; t0="$(now_ms)"
    as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 9>&- || die "pg_ctl stop failed for $DATA; see $PGLOG"
    log "stopped project cluster $DATA in $(secs_since "$t0") s"
  else
    log "project cluster not running (nothing to stop; other clusters are never touched)"
  fi
}

# Resolve without starting or creating anything.
peek_url() {
  local port
  if [[ -n "${DATABASE_URL:-}" ]]; then
    can_login "$DATABASE_URL" && { echo "$DATABASE_URL"; return 0; }
    return 1
  fi
  if port="$(project_port)"; then url_for "$port"; echo; return 0; fi
  if pg_answers "$PG_HOST" "$PG_PORT"; then url_for "$PG_PORT"; echo; return 0; fi
  return 1
}

cmd_status() {
  need_client
  local port url
  if port="$(project_port)"; then
    echo "project cluster: running (port $port, data $DATA)"
  elif [[ -f "$DATA/PG_VERSION" ]]; then
    echo "project cluster: not running (data $DATA)"
  else
    echo "project cluster: none"
  fi
  if url="$(peek_url)"; then
    echo "resolved: $(mask "$url")"
    return 0
  fi
  echo "resolved: not running (no answering server${DATABASE_URL:+; DATABASE_URL does not answer})"
  return 1
}

cmd_url() {
  need_client
  peek_url || die "no answering PostgreSQL server${DATABASE_URL:+ at DATABASE_URL}; run: $0 ensure"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    ensure) cmd_ensure "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    *)
      echo "usage: $0 <ensure [--json]|stop|status|url>" >&2
      exit 2
      ;;
  esac
}

main "$@"
