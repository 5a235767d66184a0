#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for Strata,
# run straight from Maven Central jars: no Docker, no tarball download.
#
# Usage: scripts/kafka-local.sh <fetch|format [--force]|start|stop|status|ensure [--json]|wait>
#   fetch   resolve the jars into $STRATA_HOME/kafka/lib-<version> (once per version)
#   format  format the data dir if it is not formatted yet (--force wipes it first)
#   start   start the broker in the background and wait until it is ready
#   stop    SIGTERM the broker we started, SIGKILL after 30 s; no-op when not running
#   status  print "running ..." (exit 0) or "not running" (exit 1)
#   ensure  fetch + reuse a broker answering on the port, or format-if-needed + start + wait.
#           Prints the bootstrap address (host:port) on stdout; with --json prints
#           {"brokers":"127.0.0.1:9092","started":true|false,"version":..,"pid":..,"log":..} instead.
#   wait    wait (up to KAFKA_START_TIMEOUT) until the broker answers (and, if it is ours,
#           logged "Kafka Server started")
# Exit codes: 0 ok, 1 failure (or "not running" for status), 2 usage.
# All logging goes to stderr; stdout carries only the result of `ensure`/`status`.
# Docs: docs/infrastructure.md
set -euo pipefail
shopt -s inherit_errexit # let failures inside $(...) abort too

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRATA_HOME="${STRATA_HOME:-$ROOT_DIR/.strata}"
mkdir -p "$STRATA_HOME"
STRATA_HOME="$(cd "$STRATA_HOME" && pwd)" # log.dirs must be absolute

KAFKA_VERSION_SET="${KAFKA_VERSION:+1}"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
# Tried in order when the default version cannot be resolved (not used when KAFKA_VERSION is set).
KAFKA_FALLBACK_VERSIONS="${KAFKA_FALLBACK_VERSIONS:-4.3.0 4.2.1}"
# Kafka 4.2.x/4.3.x ship log4j 2.25.4; we declare it directly so it wins Maven's nearest-wins.
LOG4J_VERSION="${LOG4J_VERSION:-2.25.4}"
KAFKA_HOST=127.0.0.1 # not "localhost": Node may resolve that to ::1 first
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-false}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MVN="${MVN:-mvn}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

K="$STRATA_HOME/kafka"
DATA="$K/data"
PROPS="$K/server.properties"
LOG="$K/broker.log"
PIDFILE="$K/broker.pid"
READY_LINE="Kafka Server started"
mkdir -p "$K"

log() { printf '[kafka-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }

lib_dir() { printf '%s/lib-%s' "$K" "$1"; }
marker() { printf '%s/.strata-fetched' "$(lib_dir "$1")"; }

# --- process helpers -------------------------------------------------------------------------

# A pid counts as alive only if it is not a zombie (our own background child stays a zombie
# until reaped, and `kill -0` succeeds on zombies).
alive() {
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# The pid from the pid file, printed only if that process is our broker (guards against pid reuse).
our_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  [[ -n "$pid" ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "kafka.Kafka $PROPS" || return 1
  printf '%s\n' "$pid"
}

# shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# True if a Kafka broker answers on host:port: sends an ApiVersions v0 request (14-byte header,
# correlation id 42, client id "live") and checks the response echoes the correlation id.
kafka_answers() {
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x04live" >&3
    resp="$(head -c 8 <&3 | od -An -tx1 | tr -d " \n")"
    [[ "${resp:8:8}" == "0000002a" ]]' "$1" "$2" 2>/dev/null
}

log_tail() {
  if [[ -f "$LOG" ]]; then
    log "last 40 lines of $LOG:"
    tail -n 40 "$LOG" >&2
  else
    log "(no log file at $LOG)"
  fi
}

# Serialise ensure/start/stop/format between concurrent callers (e.g. two test runners).
# fd 9 must not leak into the broker JVM, or the lock would be held for the broker's lifetime.
take_lock() {
  exec 9>"$K/.lock"
  flock -w 300 9 || die "could not lock $K/.lock within 300 s (another kafka-local.sh is busy)"
}

# --- fetch -------------------------------------------------------------------------------------

write_pom() { # version dir
  cat >"$2/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka-local.sh: only used to resolve Kafka's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.strata</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$1</version></dependency>
    <!-- Logging backend: Kafka's tarball gets it from a releaseOnly Gradle configuration, so it
         is not in kafka_2.13's POM. SLF4J 1.x binding because Kafka uses slf4j-api 1.7.36. -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
}

write_log_configs() {
  # Broker: INFO to stdout (redirected to broker.log); we wait for the "Kafka Server started" line.
  cat >"$K/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  # Tools (StorageTool, --version): WARN to stderr so stdout stays clean.
  cat >"$K/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = STDERR
EOF
}

fetch_version() { # version -> 0 when lib-<version> is complete
  local v="$1" lib tmp t0
  lib="$(lib_dir "$v")"
  [[ -f "$(marker "$v")" ]] && return 0
  command -v "$MVN" >/dev/null || die "Maven ($MVN) not found; install it (apt-get install -y maven)"
  command -v "$JAVA" >/dev/null || die "java not found; Kafka 4.x needs Java 17+ (apt-get install -y openjdk-17-jre-headless)"
  t0="$(now_ms)"
  log "fetching Kafka $v jars from Maven Central into $lib (first time only)"
  # Resolve into a temp dir and rename at the end, so an interrupted fetch never looks complete.
  tmp="$K/.fetch-$v.$$"
  rm -rf "$tmp" && mkdir -p "$tmp/lib"
  write_pom "$v" "$tmp"
  # -U: retry artifacts Maven cached as missing (by default it waits a day before asking again).
  if ! "$MVN" -B -q -ntp -U -Dstyle.color=never -f "$tmp/pom.xml" "$DEP_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    log "Maven could not resolve Kafka $v; its errors:"
    sed -E 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" | grep -E 'Could not|Failed|not found' >&2 ||
      tail -n 15 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    return 1
  fi
  write_log_configs
  # Classpath sanity check: one JVM start, prints e.g. "4.3.1 (Commit:...)".
  local ver
  if ! ver="$("$JAVA" -Xmx256m -Dlog4j2.configurationFile="$K/tools-log4j2.properties" \
    -cp "$tmp/lib/*" kafka.Kafka --version 2>"$tmp/version.err")"; then
    cat "$tmp/version.err" >&2
    rm -rf "$tmp"
    die "kafka.Kafka --version failed with the jars resolved for $v"
  fi
  rm -rf "$lib"
  mv "$tmp/lib" "$lib"
  mkdir -p "$K/mvn" && mv "$tmp/pom.xml" "$K/mvn/pom-$v.xml"
  rm -rf "$tmp"
  printf 'version=%s\nreported=%s\njars=%s\nfetched_at=%s\n' "$v" "$ver" \
    "$(find "$lib" -name '*.jar' | wc -l)" "$(date -Is)" >"$(marker "$v")"
  log "fetched Kafka $v ($(find "$lib" -name '*.jar' | wc -l) jars, $(du -sh "$lib" | cut -f1)) in $(secs_since "$t0") s; reports: $ver"
}

# Sets KAFKA_VERSION to the version actually usable, fetching if needed.
fetch() {
  local v
  if [[ -n "$KAFKA_VERSION_SET" ]]; then
    fetch_version "$KAFKA_VERSION" || die "could not fetch Kafka $KAFKA_VERSION (KAFKA_VERSION is set, so no fallback)"
    [[ -f "$K/log4j2.properties" ]] || write_log_configs
    return 0
  fi
  for v in "$KAFKA_VERSION" $KAFKA_FALLBACK_VERSIONS; do
    if [[ -f "$(marker "$v")" ]] || fetch_version "$v"; then
      [[ "$v" == "$KAFKA_VERSION" ]] || log "WARNING: using fallback Kafka $v because $KAFKA_VERSION could not be fetched"
      KAFKA_VERSION="$v"
      [[ -f "$K/log4j2.properties" ]] || write_log_configs
      return 0
    fi
  done
  die "could not fetch Kafka $KAFKA_VERSION nor any fallback ($KAFKA_FALLBACK_VERSIONS); is Maven Central reachable?"
}

# --- format ------------------------------------------------------------------------------------

write_server_properties() {
  cat >"$PROPS" <<EOF
# Generated by scripts/kafka-local.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
# Dynamic KRaft quorum (format --standalone); the controller endpoint is baked into the
# formatted metadata, so changing KAFKA_CONTROLLER_PORT triggers a reformat.
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
# Strata creates its topics explicitly; a typo'd topic name should fail, not appear.
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# One broker: internal topics must be RF 1, and 1 partition keeps their creation fast.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
# Otherwise every first consumer-group join waits 3 s.
group.initial.rebalance.delay.ms=0
# Small (2-core) box.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

# What the data dir was formatted for; a mismatch means reformat (the data is local dev data).
format_stamp() { printf 'version=%s controller=%s:%s\n' "$KAFKA_VERSION" "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; }

format() { # [--force]
  local force="${1:-}" t0 cid
  if our_pid >/dev/null; then
    [[ "$force" == --force ]] && die "broker is running; stop it before format --force"
    return 0
  fi
  if [[ -f "$DATA/meta.properties" && "$force" != --force ]]; then
    if [[ ! -f "$DATA/.strata-format" || "$(cat "$DATA/.strata-format")" == "$(format_stamp)" ]]; then
      return 0
    fi
    log "data dir was formatted for [$(cat "$DATA/.strata-format")], now [$(format_stamp)]: reformatting (local data is discarded)"
  fi
  t0="$(now_ms)"
  rm -rf "$DATA" && mkdir -p "$DATA"
  write_server_properties
  # Cluster id: 16 random bytes as unpadded base64url (22 chars), the format of Kafka's Uuid;
  # saves a JVM start for `StorageTool random-uuid`.
  cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  if ! "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$K/tools-log4j2.properties" \
    -cp "$(lib_dir "$KAFKA_VERSION")/*" kafka.tools.StorageTool \
    format --standalone --cluster-id "$cid" --config "$PROPS" >"$K/format.log" 2>&1; then
    cat "$K/format.log" >&2
    rm -rf "$DATA"
    die "kafka.tools.StorageTool format failed (output above, also in $K/format.log)"
  fi
  format_stamp >"$DATA/.strata-format"
  log "formatted $DATA (cluster id $cid) in $(secs_since "$t0") s"
}

# --- start / wait / stop ----------------------------------------------------------------------

STARTED_PID=""
# If we are interrupted while a broker we just launched is still starting, do not leave it behind.
cleanup_on_signal() {
  if [[ -n "$STARTED_PID" ]] && alive "$STARTED_PID"; then
    log "interrupted: stopping the broker we were starting (pid $STARTED_PID)"
    kill -TERM "$STARTED_PID" 2>/dev/null || true
    sleep 2
    kill -KILL "$STARTED_PID" 2>/dev/null || true
    rm -f "$PIDFILE"
  fi
  exit 130
}

# Wait until the broker is ready: our pid alive + READY_LINE in this run's log + port answering.
wait_ready() { # pid-or-empty t0
  local pid="$1" t0="$2" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if [[ -n "$pid" ]]; then
      if ! alive "$pid"; then
        log_tail
        rm -f "$PIDFILE"
        die "the broker (pid $pid) exited during startup; see $LOG"
      fi
      if grep -q "$READY_LINE" "$LOG" 2>/dev/null && kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
        log "broker ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) after $(secs_since "$t0") s"
        return 0
      fi
    elif kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "a broker answers on $KAFKA_HOST:$KAFKA_PORT"
      return 0
    fi
    sleep 0.3
  done
  log_tail
  return 1
}

check_ports_free() {
  if kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    die "a Kafka broker not started by this script already answers on $KAFKA_HOST:$KAFKA_PORT; stop it or set KAFKA_PORT"
  elif port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    die "port $KAFKA_HOST:$KAFKA_PORT is in use by something that is not a Kafka broker; set KAFKA_PORT"
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_HOST:$KAFKA_CONTROLLER_PORT is already in use; set KAFKA_CONTROLLER_PORT"
  fi
}

start_broker() { # -> sets STARTED_PID
  local t0 pid
  t0="$(now_ms)"
  check_ports_free # again: the format step took a second or two
  write_server_properties
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1" # one log per run, so the ready line is this run's
  trap cleanup_on_signal INT TERM HUP
  # setsid: own session, so Ctrl-C in the caller's terminal does not reach the broker and it
  # outlives this script. stdin/stdout/stderr detached and fd 9 (the lock) closed, so a caller
  # reading our stdout through a pipe (Node's child_process) is not kept waiting by the JVM.
  # The subshell execs setsid, which (not being a group leader) execs java: $! is the JVM's pid.
  (
    cd "$K"
    # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
    exec setsid nohup "$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$K/log4j2.properties" \
      -cp "$(lib_dir "$KAFKA_VERSION")/*" kafka.Kafka "$PROPS"
  ) </dev/null >"$LOG" 2>&1 9>&- &
  pid=$!
  STARTED_PID="$pid"
  printf '%s\n' "$pid" >"$PIDFILE"
  log "started Kafka $KAFKA_VERSION (pid $pid), log: $LOG; waiting up to ${KAFKA_START_TIMEOUT} s"
  if ! wait_ready "$pid" "$t0"; then
    log "broker not ready after ${KAFKA_START_TIMEOUT} s; stopping it"
    stop_pid "$pid"
    die "Kafka did not become ready within ${KAFKA_START_TIMEOUT} s; see $LOG"
  fi
  trap - INT TERM HUP
  STARTED_PID=""
}

stop_pid() {
  local pid="$1" t0 deadline
  t0="$(now_ms)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if alive "$pid"; then
    log "broker (pid $pid) still alive after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  log "stopped broker (pid $pid) in $(secs_since "$t0") s"
}

# server.properties is rewritten only when a broker starts, so it holds the running broker's ports.
check_running_port() { # pid
  local running
  running="$(sed -n 's/^listeners=PLAINTEXT:\/\/[^:]*:\([0-9]*\),.*/\1/p' "$PROPS")"
  if [[ -n "$running" && "$running" != "$KAFKA_PORT" ]]; then
    die "our broker (pid $1) runs on port $running, not KAFKA_PORT=$KAFKA_PORT; stop it first ($0 stop) or use KAFKA_PORT=$running"
  fi
}

cmd_fetch() { fetch; }

cmd_format() { take_lock; fetch; format "${1:-}"; }

cmd_start() {
  take_lock
  if our_pid >/dev/null; then log "already running (pid $(our_pid))"; return 0; fi
  rm -f "$PIDFILE"
  fetch
  check_ports_free
  format
  start_broker
}

cmd_stop() {
  take_lock
  local pid
  if pid="$(our_pid)"; then
    stop_pid "$pid"
  else
    [[ -f "$PIDFILE" ]] && rm -f "$PIDFILE" # stale
    log "not running (nothing to stop)"
  fi
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
      echo "running (pid $pid, $KAFKA_HOST:$KAFKA_PORT)"
    else
      echo "running (pid $pid, starting: $KAFKA_HOST:$KAFKA_PORT not answering yet)"
    fi
    return 0
  fi
  if kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    echo "running ($KAFKA_HOST:$KAFKA_PORT answers, but not started by this script)"
    return 0
  fi
  echo "not running"
  return 1
}

cmd_wait() {
  local t0 pid=""
  t0="$(now_ms)"
  pid="$(our_pid)" || pid=""
  wait_ready "$pid" "$t0" || die "Kafka not ready on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT} s"
}

cmd_ensure() {
  local json="${1:-}" started=false pid t0
  t0="$(now_ms)"
  take_lock
  fetch
  if pid="$(our_pid)"; then
    check_running_port "$pid"
    # Ours and alive: it may still be starting (e.g. a previous ensure was interrupted).
    kafka_answers "$KAFKA_HOST" "$KAFKA_PORT" || wait_ready "$pid" "$t0" ||
      die "our broker (pid $pid) is running but not ready; see $LOG"
    log "reusing running broker (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
  elif kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "a Kafka broker not started by this script answers on $KAFKA_HOST:$KAFKA_PORT; reusing it"
  else
    rm -f "$PIDFILE"
    check_ports_free
    format
    start_broker
    started=true
  fi
  if [[ "$json" == --json ]]; then
    printf '{"brokers":"%s:%s","started":%s,"version":"%s","pid":%s,"log":"%s"}\n' \
      "$KAFKA_HOST" "$KAFKA_PORT" "$started" "$KAFKA_VERSION" "$(our_pid || echo null)" "$LOG"
  else
    printf '%s:%s\n' "$KAFKA_HOST" "$KAFKA_PORT"
  fi
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    fetch) cmd_fetch ;;
    format) cmd_format "$@" ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    ensure) cmd_ensure "$@" ;;
    wait) cmd_wait ;;
    *)
      echo "usage: $0 <fetch|format [--force]|start|stop|status|ensure [--json]|wait>" >&2
      exit 2
      ;;
  esac
}

main "$@"
