#!/usr/bin/env bash
# make test: start the stack, run every test (unit and integration), stop the stack, and
# exit with swift test's status. Extra arguments go to swift test.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/stack.sh up || exit 1
eval "$(scripts/stack.sh env | sed 's/^/export /')"
export FRONTDOOR_STACK_SCRIPT="$(pwd)/scripts/stack.sh"
export FRONTDOOR_PYTHON="$(pwd)/.local/venv/bin/python"
trap 'scripts/stack.sh down' EXIT
swift build --build-tests "$@" || exit $?
swift test --skip-build "$@"
