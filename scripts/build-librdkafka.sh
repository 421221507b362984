#!/usr/bin/env bash
# Builds librdkafka from Debian trixie's *source* package and installs it into PREFIX.
#   scripts/build-librdkafka.sh PREFIX [VERSION]
# Used by `make setup` (PREFIX=.local/rdkafka) and by deploy/Dockerfile (PREFIX=/usr/local).
# The deb-src entry reuses the Debian archive this machine already uses for bookworm, so
# it works behind whatever mirror is configured. Only source packages come from trixie.
set -euo pipefail
PREFIX=$1
VERSION=${2:-2.8.0}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

TRIXIE_SRC=/etc/apt/sources.list.d/frontdoor-trixie-src.sources
if [ ! -f "$TRIXIE_SRC" ]; then
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [ -n "$uri" ] || { echo "build-librdkafka: no Debian archive URI found in apt sources" >&2; exit 1; }
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  $SUDO tee "$TRIXIE_SRC" >/dev/null <<SRC
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: $keyring
SRC
  $SUDO apt-get update -qq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get source --download-only -qq "librdkafka=$VERSION-1" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  apt-get source --download-only -qq "librdkafka=$VERSION-1" >/dev/null
fi
dpkg-source --no-check -x librdkafka_"$VERSION"-*.dsc librdkafka >/dev/null
cd librdkafka
./configure --prefix="$PREFIX" --disable-gssapi >"$work/configure.out" 2>&1 || { cat "$work/configure.out" >&2; exit 1; }
make -j"$(nproc)" libs >"$work/build.out" 2>&1 || { tail -50 "$work/build.out" >&2; exit 1; }
$SUDO make -C src install >"$work/install.out" 2>&1 || { tail -50 "$work/install.out" >&2; exit 1; }
[ -f "$PREFIX/lib/pkgconfig/rdkafka.pc" ] || { echo "build-librdkafka: rdkafka.pc was not installed" >&2; exit 1; }
