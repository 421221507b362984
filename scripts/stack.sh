#!/usr/bin/env bash
# make up / make down / make status: a throw-away PostgreSQL 15 cluster and a Tansu broker
# on loopback, data and logs under .local/state (git-ignored).
#   FRONTDOOR_PG_PORT    (default 55432)   FRONTDOOR_KAFKA_PORT (default 59092)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE="$ROOT/.local/state"
PG_PORT=${FRONTDOOR_PG_PORT:-55432}
KAFKA_PORT=${FRONTDOOR_KAFKA_PORT:-59092}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# From / : the postgres user may not be able to enter the current directory.
as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
# PostgreSQL runs as the `postgres` user, which must reach its data directory. In a checkout it
# cannot enter (root's home, /root, is mode 0700 on Debian) the clusters live outside it, in a
# directory named after the checkout's path, so two checkouts never share one.
# FRONTDOOR_PG_STATE overrides where.
if [ -n "${FRONTDOOR_PG_STATE:-}" ]; then
  PG_STATE=$FRONTDOOR_PG_STATE
elif [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
  PG_STATE="/var/tmp/frontdoor-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
else
  PG_STATE="$STATE/pg"
fi
# A private cluster's directory as the tests name it (under .local/state), moved with the rest.
pg_dir() { case "$1" in "$STATE"/*) [ "$PG_STATE" = "$STATE/pg" ] && echo "$1" || echo "$PG_STATE/${1#"$STATE"/}" ;; *) echo "$1" ;; esac; }
PGDATA="$PG_STATE/data"
PGSOCK="$PG_STATE/run"
TANSU="$ROOT/.local/tansu"
TANSU_PID="$STATE/tansu/tansu.pid"
DB_URL="postgres://frontdoor:frontdoor@127.0.0.1:$PG_PORT/frontdoor"
BROKER="127.0.0.1:$KAFKA_PORT"
# What reaches a terminal names no password (the URL without it); what a script captures with
# `eval "$(scripts/stack.sh env | sed 's/^/export /')"` or make's $(shell ...) is the whole URL.
DB_URL_SHOWN="postgres://frontdoor@127.0.0.1:$PG_PORT/frontdoor"
print_env() {
  if [ -t 1 ]; then
    echo "FRONTDOOR_DATABASE_URL=$DB_URL_SHOWN  # password omitted; eval \"\$(scripts/stack.sh env | sed 's/^/export /')\" sets it"
  else
    echo "FRONTDOOR_DATABASE_URL=$DB_URL"
  fi
  echo "FRONTDOOR_KAFKA_BROKERS=$BROKER"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_running() { [ -f "$PGDATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
tansu_running() { [ -f "$TANSU_PID" ] && kill -0 "$(cat "$TANSU_PID")" 2>/dev/null; }

up() {
  [ -x "$PG_BIN/initdb" ] || { echo "up: PostgreSQL binaries not found; run 'make setup'" >&2; exit 1; }
  [ -x "$TANSU" ] || { echo "up: Tansu broker not found; run 'make setup'" >&2; exit 1; }
  mkdir -p "$PG_STATE" "$STATE/tansu"
  # PostgreSQL -------------------------------------------------------------------------
  if ! pg_running; then
    if port_busy "$PG_PORT"; then
      echo "up: port $PG_PORT is taken by another process; set FRONTDOOR_PG_PORT to a free port" >&2; exit 1
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA" "$PGSOCK"
      [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_STATE"
      as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 || {
        echo "up: initdb failed, see $STATE/initdb.log. The postgres user must be able to enter $PG_STATE;" >&2
        echo "    set FRONTDOOR_PG_STATE to a directory it can reach (for example under /var/tmp)." >&2
        exit 1; }
    fi
    mkdir -p "$PGSOCK"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGSOCK" "$PG_STATE"
    # shared_buffers 1 GB (default 128 MB): a late-year morning reads pupils' marks, and with the default every
    # page came through the kernel (pread was an eighth of the backend's time); a real server gives it more.
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_STATE/postgres.log" -w -t 30 \
      -o "-p $PG_PORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=1GB" \
      start >/dev/null || { echo "up: PostgreSQL did not start, see $PG_STATE/postgres.log" >&2; exit 1; }
    as_pg "$PG_BIN/psql" -h "$PGSOCK" -p "$PG_PORT" -U postgres -qtAc \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='frontdoor') THEN CREATE ROLE frontdoor LOGIN SUPERUSER PASSWORD 'frontdoor'; END IF; END\$\$;" >/dev/null
    as_pg "$PG_BIN/psql" -h "$PGSOCK" -p "$PG_PORT" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='frontdoor'" | grep -q 1 \
      || as_pg "$PG_BIN/createdb" -h "$PGSOCK" -p "$PG_PORT" -U postgres -O frontdoor frontdoor
  fi
  # Tansu ------------------------------------------------------------------------------
  if ! tansu_running; then
    if port_busy "$KAFKA_PORT"; then
      echo "up: port $KAFKA_PORT is taken by another process; set FRONTDOOR_KAFKA_PORT to a free port" >&2; exit 1
    fi
    nohup "$TANSU" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" --storage-engine memory://tansu/ \
      >"$STATE/tansu/tansu.log" 2>&1 &
    echo $! >"$TANSU_PID"
    for _ in $(seq 1 100); do port_busy "$KAFKA_PORT" && break; sleep 0.1; done
    port_busy "$KAFKA_PORT" || { echo "up: Tansu did not start, see $STATE/tansu/tansu.log" >&2; exit 1; }
  fi
  # Only for people: no script reads this, so it never holds the password.
  echo "FRONTDOOR_DATABASE_URL=$DB_URL_SHOWN (password omitted: scripts/stack.sh env, captured, gives it)"
  echo "FRONTDOOR_KAFKA_BROKERS=$BROKER"
}

down() {
  if tansu_running; then
    kill "$(cat "$TANSU_PID")" 2>/dev/null || true
    for _ in $(seq 1 50); do tansu_running || break; sleep 0.1; done
    tansu_running && kill -9 "$(cat "$TANSU_PID")" 2>/dev/null || true
  fi
  rm -f "$TANSU_PID"
  if pg_running; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  reset) down; rm -rf "$STATE" "$PG_STATE" ;;   # forget all data
  env) print_env ;;
  pg-stop) as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null ;;   # used by outage tests
  pg-start) as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_STATE/postgres.log" -w -t 30 \
      -o "-p $PG_PORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=1GB" start >/dev/null ;;
  # A private cluster for tests that stop PostgreSQL (so other tests keep theirs):
  #   stack.sh pg-private-up DIR PORT [CERT KEY] | pg-private-stop DIR | pg-private-start DIR PORT | pg-private-down DIR
  # With CERT and KEY (PEM files) the cluster serves TLS (ssl=on) with that certificate; the
  # files are copied into its data directory, owned by the postgres user, and kept on restarts.
  pg-private-up)
    dir=$(pg_dir "$2"); port=$3; mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    fi
    if [ -n "${4:-}" ]; then
      [ -r "$4" ] && [ -r "${5:-}" ] || { echo "pg-private-up: certificate or key not readable" >&2; exit 1; }
      install -m 0644 "$4" "$dir/data/server.crt"; install -m 0600 "$5" "$dir/data/server.key"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/data/server.crt" "$dir/data/server.key"
      printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" >"$dir/data/frontdoor-tls.conf"
      grep -q "^include_if_exists = 'frontdoor-tls.conf'" "$dir/data/postgresql.conf" \
        || echo "include_if_exists = 'frontdoor-tls.conf'" >>"$dir/data/postgresql.conf"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null
    as_pg "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -qtAc \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='frontdoor') THEN CREATE ROLE frontdoor LOGIN SUPERUSER PASSWORD 'frontdoor'; END IF; END\$\$;" >/dev/null
    as_pg "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='frontdoor'" | grep -q 1 \
      || as_pg "$PG_BIN/createdb" -h "$dir" -p "$port" -U postgres -O frontdoor frontdoor
    echo "postgres://frontdoor:frontdoor@127.0.0.1:$port/frontdoor" ;;
  pg-private-stop) dir=$(pg_dir "$2"); as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null ;;
  pg-private-start) dir=$(pg_dir "$2"); as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
      -o "-p $3 -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null ;;
  pg-private-down) dir=$(pg_dir "$2"); as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$dir" ;;
  kafka-stop) down_k() { tansu_running && kill "$(cat "$TANSU_PID")"; rm -f "$TANSU_PID"; }; down_k || true ;;
  # A second Tansu that requires SASL authentication (SCRAM-SHA-256/512) before any request but
  # ApiVersions and the SASL handshake, for the secured-connection tests:
  #   stack.sh kafka-scram-up PORT | kafka-scram-down PORT
  # Tansu 0.6.0's memory:// and s3:// storage keeps no SCRAM users (`tansu user create` answers
  # success and stores nothing; a login is answered unknown-user without a look at the storage),
  # and this build has no postgres storage, the one that does: every client is refused, and the
  # tests check that frontdoor's clients attempt SCRAM and fail clearly.
  kafka-scram-up)
    port=${2:?port}; pidfile="$STATE/tansu-scram-$port.pid"; mkdir -p "$STATE/tansu"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "127.0.0.1:$port"; exit 0; fi
    port_busy "$port" && { echo "kafka-scram-up: port $port is taken" >&2; exit 1; }
    nohup "$TANSU" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine memory://tansu/ --authentication >"$STATE/tansu/tansu-scram-$port.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do port_busy "$port" && break; sleep 0.1; done
    port_busy "$port" || { echo "kafka-scram-up: Tansu did not start, see $STATE/tansu/tansu-scram-$port.log" >&2; exit 1; }
    echo "127.0.0.1:$port" ;;
  kafka-scram-down)
    pidfile="$STATE/tansu-scram-${2:?port}.pid"
    # SIGKILL after 5 s: a broker started from a test inherits its blocked signal mask and
    # ignores SIGTERM.
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"
    fi ;;
  *) echo "usage: $0 up|down|reset|env|pg-stop|pg-start|pg-private-up|pg-private-stop|pg-private-start|pg-private-down|kafka-stop|kafka-scram-up|kafka-scram-down" >&2; exit 2 ;;
esac
