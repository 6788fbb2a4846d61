#!/usr/bin/env bash
# Developer services for `todomesh up --dapr`, on fixed loopback ports:
#   Kafka (KRaft, one node)  127.0.0.1:9092 (controller 9093; 9094 for containers,
#                            advertised as 10.0.2.2:9094, the host as a pod sees it)
#   PostgreSQL (own cluster) 127.0.0.1:5433, database/user `todomesh`, trust auth
# Usage: infra/services.sh start|stop|status
# State (data, logs, pid files) lives in $TODOMESH_CACHE/services. `stop` stops only
# what `start` started, found through its pid files. Run `task infra:build` first.
set -euo pipefail

INFRA_TAG="infra/services"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

KAFKA_PORT="${TODOMESH_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${TODOMESH_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_POD_PORT="${TODOMESH_KAFKA_POD_PORT:-9094}"
PG_PORT="${TODOMESH_PG_PORT:-5433}"
PG_DB=todomesh
PG_USER=todomesh
READY_TIMEOUT="${TODOMESH_READY_TIMEOUT:-90}"

STATE="$TODOMESH_CACHE/services"
KAFKA_STATE="$STATE/kafka"
KAFKA_PID="$KAFKA_STATE/kafka.pid"
PG_STATE="$STATE/postgres"
PG_PID="$PG_STATE/postgres.pid"

# ---------------------------------------------------------------- helpers

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_until DESCRIPTION CHECK...: poll CHECK every 0.2 s until it succeeds;
# fail after READY_TIMEOUT seconds.
wait_until() {
  local what="$1"
  shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@"; do
    [[ $SECONDS -lt $deadline ]] || die "$what: not ready after ${READY_TIMEOUT}s"
    sleep 0.2
  done
}

# stop_pid PIDFILE NAME: SIGTERM, wait for the exit with a deadline, then SIGKILL.
stop_pid() {
  local pidfile="$1" name="$2" pid
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- kafka

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml"
}

kafka_libs() {
  local libs
  libs="$TODOMESH_CACHE/kafka/$(kafka_version)/libs"
  [[ -f "$libs/../.complete" ]] || die "no Kafka jars in $libs; run: task infra:build"
  printf '%s' "$libs"
}

KAFKA_JVM=(-Xmx512m -Xms128m "-Dlog4j.configuration=file:$HERE/kafka/log4j.properties")

# kafka_java MAIN_CLASS ARGS...: run a Kafka main class on the cached jars.
kafka_java() {
  java "${KAFKA_JVM[@]}" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_config() {
  mkdir -p "$KAFKA_STATE/data"
  sed -e "s|@PORT@|$KAFKA_PORT|g" \
    -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@POD_PORT@|$KAFKA_POD_PORT|g" \
    -e "s|@LOG_DIRS@|$KAFKA_STATE/data|g" \
    "$HERE/kafka/server.properties.template" >"$KAFKA_STATE/server.properties"
}

kafka_format() {
  [[ -f "$KAFKA_STATE/data/meta.properties" ]] && return 0
  local cluster_id
  cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$KAFKA_STATE/server.properties" >"$KAFKA_STATE/format.log"
}

kafka_ready() {
  pid_alive "$KAFKA_PID" || die "kafka exited; see $KAFKA_STATE/kafka.log"
  grep -q 'Kafka Server started' "$KAFKA_STATE/kafka.log" && port_open "$KAFKA_PORT"
}

kafka_start() {
  if pid_alive "$KAFKA_PID"; then
    log "kafka already running (pid $(cat "$KAFKA_PID")) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  if port_open "$KAFKA_PORT"; then
    die "port $KAFKA_PORT is in use by a process this script did not start"
  fi
  KAFKA_LIBS="$(kafka_libs)"
  kafka_write_config
  kafka_format
  : >"$KAFKA_STATE/kafka.log"
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach it.
  setsid java "${KAFKA_JVM[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties" \
    >>"$KAFKA_STATE/kafka.log" 2>&1 </dev/null &
  echo $! >"$KAFKA_PID"
  wait_until "kafka on 127.0.0.1:$KAFKA_PORT" kafka_ready
}

kafka_stop() {
  if pid_alive "$KAFKA_PID"; then
    stop_pid "$KAFKA_PID" kafka
    log "kafka stopped"
  else
    rm -f "$KAFKA_PID"
    log "kafka: not running (no pid file of ours)"
  fi
}

# ---------------------------------------------------------------- postgres

pg_bin() {
  local initdb
  initdb="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)"
  [[ -n "$initdb" ]] || die "no PostgreSQL server binaries; run: task infra:build"
  dirname "$initdb"
}

# PostgreSQL refuses to run as root, so as root we run it as the `postgres` OS
# user. That user cannot enter /root, so its data then lives in
# /var/tmp/todomesh-postgres, with a symlink from the cache dir.
pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_home() {
  if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$TODOMESH_CACHE"; then
    printf '%s' "${TODOMESH_PG_HOME:-/var/tmp/todomesh-postgres}"
  else
    printf '%s' "$PG_STATE"
  fi
}

pg_prepare_home() {
  local home
  home="$(pg_home)"
  mkdir -p "$PG_STATE" "$home"
  if [[ $EUID -eq 0 ]]; then
    chown postgres: "$home"
    chmod 700 "$home"
  fi
  if [[ "$home" != "$PG_STATE" ]]; then
    ln -sfn "$home/data" "$PG_STATE/data"
  fi
}

pg_initdb() {
  local home
  home="$(pg_home)"
  [[ -f "$home/data/PG_VERSION" ]] && return 0
  pg_as_owner "$(pg_bin)/initdb" -D "$home/data" -U "$PG_USER" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$PG_STATE/initdb.log"
}

pg_ready() {
  pid_alive "$PG_PID" || die "postgres exited; see $(pg_home)/postgres.log"
  "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -U "$PG_USER"
}

pg_create_db() {
  local psql=("$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAq)
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_database where datname = '$PG_DB'")" ]]; then
    "${psql[@]}" -c "create database $PG_DB owner $PG_USER"
  fi
}

pg_start() {
  if pid_alive "$PG_PID"; then
    log "postgres already running (pid $(cat "$PG_PID")) on 127.0.0.1:$PG_PORT"
    return 0
  fi
  if port_open "$PG_PORT"; then
    die "port $PG_PORT is in use by a process this script did not start"
  fi
  pg_prepare_home
  pg_initdb
  local home
  home="$(pg_home)"
  # -W: do not wait here; readiness is polled below with pg_isready.
  pg_as_owner "$(pg_bin)/pg_ctl" -D "$home/data" -l "$home/postgres.log" -W \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $home" start >/dev/null
  wait_until "postgres data dir" test -f "$home/data/postmaster.pid"
  head -n 1 "$home/data/postmaster.pid" >"$PG_PID"
  wait_until "postgres on 127.0.0.1:$PG_PORT" pg_ready
  pg_create_db
}

pg_stop() {
  if pid_alive "$PG_PID"; then
    pg_as_owner "$(pg_bin)/pg_ctl" -D "$(pg_home)/data" -m fast -w stop >/dev/null
    rm -f "$PG_PID"
    log "postgres stopped"
  else
    rm -f "$PG_PID"
    log "postgres: not running (no pid file of ours)"
  fi
}

# ---------------------------------------------------------------- verbs

status_line() {
  local name="$1" pidfile="$2" endpoint="$3"
  if pid_alive "$pidfile"; then
    printf '%-9s running  pid %-7s %s\n' "$name" "$(cat "$pidfile")" "$endpoint"
  else
    printf '%-9s stopped\n' "$name"
  fi
}

cmd_start() {
  local start=$SECONDS
  mkdir -p "$KAFKA_STATE" "$PG_STATE"
  step "start kafka" kafka_start
  step "start postgres" pg_start
  log "ready in $((SECONDS - start))s"
  cmd_status
}

cmd_stop() {
  step "stop kafka" kafka_stop
  step "stop postgres" pg_stop
}

cmd_status() {
  status_line kafka "$KAFKA_PID" "127.0.0.1:$KAFKA_PORT"
  status_line postgres "$PG_PID" "postgresql+pg8000://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
