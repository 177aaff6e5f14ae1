#!/usr/bin/env bash
# Installs every Debian 12 package mqrelay needs to build, test, fuzz and benchmark.
# Idempotent: does nothing (no apt-get update) when everything is already there.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git
  liburing-dev libwolfssl-dev libsimdjson-dev libconcurrentqueue-dev libmicrohttpd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  mosquitto mosquitto-clients libmosquitto-dev openssl gnuplot-nox
  procps psmisc
)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian mosquitto package starts a system broker on :1883; our tests and the demo
# start their own brokers on free ports, so stop it where a service manager runs it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  $SUDO systemctl stop mosquitto || true
  $SUDO systemctl disable mosquitto >/dev/null 2>&1 || true
fi
