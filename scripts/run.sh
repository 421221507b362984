#!/usr/bin/env bash
# make run: the local stack, migrations, topics, the four workers as separate processes, the
# gateway (with a test credential for the first school of Config/schools.csv), a simulated stretch of the school term for Kent, and the notifications printed as they
# arrive, until Ctrl-C, which stops everything cleanly.
#   RUN_DAYS (default 15: the last three school weeks up to this one)  RUN_PUPILS (default 3000)
#   RUN_SCHOOLS (default 48)  RUN_SEED (default 2017)
#   RUN_HTTP_PORT_ATTENDANCE, _EXCLUSIONS, _REFERRALS, _RELAY (default 9464..9467): each worker's
#   /metrics, /health/live and /health/ready (FRONTDOOR_HTTP_PORT), on 127.0.0.1
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/.build/debug/frontdoor"
LOGS="$ROOT/.local/state/logs"
mkdir -p "$LOGS"
eval "$(scripts/stack.sh env | sed 's/^/export /')"
# A database of its own for each run, so every run shows the whole story from the start.
RUN_DB=frontdoor_run
psql "$FRONTDOOR_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $RUN_DB WITH (FORCE)" -c "CREATE DATABASE $RUN_DB" >/dev/null || exit 1
export FRONTDOOR_DATABASE_URL="${FRONTDOOR_DATABASE_URL%/*}/$RUN_DB"
export FRONTDOOR_GROUP_PREFIX="frontdoor-run-$(date +%s)"
export FRONTDOOR_SESSION_TIMEOUT_MS=${FRONTDOOR_SESSION_TIMEOUT_MS:-6000}
# A throw-away pseudonym key for this run only (a deployment sets its own secret).
export FRONTDOOR_PSEUDONYM_KEY=${FRONTDOOR_PSEUDONYM_KEY:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}

"$BIN" migrate || exit 1
"$BIN" topics create || exit 1

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping workers (each finishes its batch, commits and leaves its group)…"
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${watch_pid:-}" ] && kill -TERM "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null
  scripts/stack.sh down
  echo "stopped; logs in $LOGS"
}
trap cleanup INT TERM EXIT

declare -A http_port=(
  [attendance]=${RUN_HTTP_PORT_ATTENDANCE:-9464} [exclusions]=${RUN_HTTP_PORT_EXCLUSIONS:-9465}
  [referrals]=${RUN_HTTP_PORT_REFERRALS:-9466} [relay]=${RUN_HTTP_PORT_RELAY:-9467}
)
for w in attendance exclusions referrals relay; do
  FRONTDOOR_HTTP_PORT=${http_port[$w]} "$BIN" worker "$w" >"$LOGS/$w.log" 2>&1 &
  pids+=($!)
done
echo "workers started: attendance, exclusions, referrals, relay (logs in $LOGS)"
for w in attendance exclusions referrals relay; do
  echo "  $w: http://127.0.0.1:${http_port[$w]}/metrics  /health/live  /health/ready"
done

# The Digital Front Door, and a school's test credential made as an operator would make one.
export FRONTDOOR_GATEWAY_HOST=${FRONTDOOR_GATEWAY_HOST:-127.0.0.1} FRONTDOOR_GATEWAY_PORT=${FRONTDOOR_GATEWAY_PORT:-8080}
"$BIN" gateway >"$LOGS/gateway.log" 2>&1 &
pids+=($!)
RUN_LAESTAB=$(awk -F, 'NR==2 {print $1}' Config/schools.csv)
RUN_KEY=$("$BIN" clients add --kind school --laestab "$RUN_LAESTAB" --quiet) || echo "clients add failed"
GATEWAY_URL="http://$FRONTDOOR_GATEWAY_HOST:$FRONTDOOR_GATEWAY_PORT"
echo "gateway: $GATEWAY_URL (POST /events; the referral form at $GATEWAY_URL/refer; log $LOGS/gateway.log)"
echo "test credential of school $RUN_LAESTAB (client school-$RUN_LAESTAB): $RUN_KEY"
echo "  e.g. GATEWAY_URL=$GATEWAY_URL GATEWAY_KEY=$RUN_KEY, then the curl in README.md"
"$BIN" watch 2>"$LOGS/watch.log" &
watch_pid=$!
sleep 4
"$BIN" simulate --days "${RUN_DAYS:-15}" --pupils "${RUN_PUPILS:-3000}" --schools "${RUN_SCHOOLS:-48}" --seed "${RUN_SEED:-2017}" 2>>"$LOGS/simulate.log" \
  || echo "simulate failed, see $LOGS/simulate.log"
# Per-partition lag of the attendance worker, from its own /metrics (0 once it has caught up;
# approximate on Tansu, whose high watermark is the start of the partition's last record batch + 1).
sleep 2
echo "attendance worker's consumer lag (curl -s 127.0.0.1:${http_port[attendance]}/metrics | grep frontdoor_consumer_lag):"
curl -s "127.0.0.1:${http_port[attendance]}/metrics" | grep frontdoor_consumer_lag || echo "  (no lag figures yet; see $LOGS/attendance.log)"
echo "notifications follow as the workers apply the rules (unit, kind, priority, due date, pseudonymised pupil); Ctrl-C to stop"
wait "$watch_pid"
