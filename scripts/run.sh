#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/stack.sh env | sed 's/^/export /')"
.build/debug/frontdoor --help
