#!/usr/bin/env bash
# make test: check the Prometheus rules (promtool), start the stack, run every test (unit and
# integration), then the short soak of scripts/faults.py, stop the stack, and exit non-zero when
# any failed (swift test's status first, else the soak's, else the rules'). Extra arguments go
# to swift test.
set -uo pipefail
cd "$(dirname "$0")/.."
# Seconds, and needs no stack: promtool check config/rules and promtool test rules.
scripts/check-prometheus.sh
rules=$?
scripts/stack.sh up || exit 1
eval "$(scripts/stack.sh env | sed 's/^/export /')"
export FRONTDOOR_STACK_SCRIPT="$(pwd)/scripts/stack.sh"
export FRONTDOOR_PYTHON="$(pwd)/.local/venv/bin/python"
trap 'scripts/stack.sh down' EXIT
swift build --build-tests "$@" || exit $?
swift test --skip-build "$@"
tests=$?
# The short soak: ~50,000 events through the worker processes under kills, a PostgreSQL restart
# and a scale step, checked against its own oracle (docs/operations.md, "make faults").
.local/venv/bin/python scripts/faults.py --profile short
soak=$?
echo "make test: swift test exit $tests, short soak exit $soak, prometheus rules exit $rules"
[ "$tests" -ne 0 ] && exit "$tests"
[ "$soak" -ne 0 ] && exit "$soak"
exit "$rules"
