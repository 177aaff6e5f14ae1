#!/usr/bin/env bash
# demo.sh — see mqrelay relay messages both ways on one machine (fresh Debian 12, root or sudo).
#
#   ./scripts/demo.sh                 runs until Ctrl-C
#   DEMO_SECONDS=20 ./scripts/demo.sh stops by itself after 20 s; exit 0 only if messages made the
#                                     round trip device -> cloud -> device (CI uses this)
#   DEMO_KEEP=1                       keep the work directory (configs, certificates, logs)
#   DEMO_BUILD_DIR=DIR                build directory (default build/)
#
# What it does: installs the Debian packages (scripts/setup.sh, idempotent), builds mqrelay
# (Release, build/), makes a throw-away PKI, starts a plain mosquitto (the "local" broker the
# devices use) and a mosquitto with mutual TLS standing in for AWS IoT Core, both on free ports of
# 127.0.0.1, writes a relay configuration with the three mappings of the Greengrass documentation,
# runs mqrelay, and then:
#   [device]   publishes clients/dev1/hello/world/event every second on the local broker
#   [cloud]    a cloud app on the TLS broker receives it and answers on .../event/response
#   [device]   a device-side subscriber on the local broker prints the answers
# Every process it starts is stopped on exit (trap).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

"$root/scripts/setup.sh"

build=${DEMO_BUILD_DIR:-build}
say "building mqrelay (Release, $build/)"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j2 --target mqrelay >/dev/null
relay_bin="$(cd "$build" && pwd)/engine/mqrelay"
[ -x "$relay_bin" ] || { echo "demo: $relay_bin was not built" >&2; exit 1; }

work=$(mktemp -d /tmp/mqrelay-demo-XXXXXX)
pids=()
kill_tree() {  # PID: the process and everything it started (parent first: no job notices)
  local child children
  children=$(pgrep -P "$1" 2>/dev/null || true)
  kill "$1" 2>/dev/null || true
  for child in $children; do kill_tree "$child"; done
}
relay_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid"
    local relay_rc=0
    wait "$relay_pid" 2>/dev/null || relay_rc=$?
    say "relay stopped on SIGTERM with exit status $relay_rc"
  fi
  exec 2>/dev/null  # no "Terminated" job notices for the helpers killed below
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill_tree "${pids[i]}"; done
  wait || true
  if [ -n "${DEMO_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # PORT PID NAME LOG
  for _ in $(seq 100); do
    port_in_use "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "demo: $3 exited:" >&2; cat "$4" >&2; return 1; }
    sleep 0.1
  done
  echo "demo: $3 does not listen on $1" >&2
  return 1
}

say "making certificates in $work/pki"
"$root/tests/support/make_certs.sh" "$work/pki"
pki=$work/pki

start_broker() {  # NAME tls|plain -> sets port_<NAME>
  local name=$1 kind=$2 port conf log
  for _ in $(seq 10); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    conf=$work/$name.conf
    log=$work/$name.log
    {
      # Started as root, mosquitto would switch to user "mosquitto" and could not read the 0600
      # keys in this private directory.
      [ "$(id -u)" -eq 0 ] && echo "user root"
      echo "listener $port 127.0.0.1"
      echo "allow_anonymous true"
      echo "persistence false"
      echo "log_dest file $log"
      if [ "$kind" = tls ]; then
        echo "cafile $pki/ca.pem"
        echo "certfile $pki/server.pem"
        echo "keyfile $pki/server.key"
        echo "require_certificate true"
      fi
    } >"$conf"
    /usr/sbin/mosquitto -c "$conf" >>"$log" 2>&1 &
    local pid=$!
    if wait_port "$port" "$pid" "mosquitto ($name)" "$log" 2>/dev/null; then
      pids+=("$pid")
      printf -v "port_$name" '%s' "$port"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
  done
  echo "demo: could not start mosquitto ($name); see $work/$name.log" >&2
  exit 1
}

start_broker local plain
start_broker cloud tls
say "local broker (devices):   mqtt://127.0.0.1:$port_local"
say "cloud broker (IoT Core):  ssl://localhost:$port_cloud  (mutual TLS)"

cat >"$work/config.json" <<EOF
{
  "mqttTopicMapping": {
    "HelloWorldIotCore": {"topic": "clients/+/hello/world", "source": "LocalMqtt", "target": "IotCore"},
    "HelloWorldEvent": {"topic": "clients/+/hello/world/event", "source": "LocalMqtt", "target": "IotCore"},
    "HelloWorldEventConfirmation": {"topic": "clients/+/hello/world/event/response", "source": "IotCore", "target": "LocalMqtt"}
  },
  "brokerUri": "mqtt://127.0.0.1:$port_local",
  "mqtt": {"version": "mqtt3"},
  "iotCore": {
    "iotDataEndpoint": "localhost",
    "port": $port_cloud,
    "thingName": "demo-gateway",
    "certificateFilePath": "$pki/client.pem",
    "privateKeyPath": "$pki/client.key",
    "rootCaPath": "$pki/ca.pem"
  },
  "log": {"level": "info"}
}
EOF
say "relay configuration: $work/config.json"
"$relay_bin" --config "$work/config.json" --check | sed 's/^/[demo]   route /'

"$relay_bin" --config "$work/config.json" >"$work/relay.log" 2>&1 &
relay_pid=$!
( tail -n +1 -F "$work/relay.log" 2>/dev/null | sed -u 's/^/[relay]  /' ) &
pids+=($!)

tls_args=(--cafile "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key")

# The cloud app: reads events at the TLS broker and answers each one.
(
  mosquitto_sub -h localhost -p "$port_cloud" "${tls_args[@]}" -q 1 -t 'clients/+/hello/world/event' -v |
    while read -r topic payload; do
      echo "[cloud]  received $topic: $payload"
      echo "$topic" >>"$work/cloud.seen"
      mosquitto_pub -h localhost -p "$port_cloud" "${tls_args[@]}" -q 1 -t "$topic/response" -m "ack for '$payload'"
    done
) &
pids+=($!)

# The device side: a subscriber printing responses.
(
  mosquitto_sub -h 127.0.0.1 -p "$port_local" -q 1 -t 'clients/dev1/hello/world/event/response' -v |
    while read -r topic payload; do
      echo "[device] response on $topic: $payload"
      echo "$topic" >>"$work/device.seen"
    done
) &
pids+=($!)
sleep 1

# The device: one event a second.
(
  n=0
  while true; do
    n=$((n + 1))
    msg="event $n at $(date +%T)"
    echo "[device] publish clients/dev1/hello/world/event: $msg"
    mosquitto_pub -h 127.0.0.1 -p "$port_local" -q 0 -t clients/dev1/hello/world/event -m "$msg" || true
    sleep 1
  done
) &
pids+=($!)

if [ -n "${DEMO_SECONDS:-}" ]; then
  say "running for $DEMO_SECONDS s"
  sleep "$DEMO_SECONDS"
  cloud=$(wc -l <"$work/cloud.seen" 2>/dev/null || echo 0)
  device=$(wc -l <"$work/device.seen" 2>/dev/null || echo 0)
  relay_state=$(kill -0 "$relay_pid" 2>/dev/null && echo running || echo "NOT running")
  say "summary: $cloud events reached the cloud, $device responses reached the device, relay $relay_state"
  if [ "$cloud" -gt 0 ] && [ "$device" -gt 0 ]; then exit 0; fi
  say "no round trip: last relay log lines:"
  tail -n 20 "$work/relay.log" >&2
  exit 1
fi
say "Ctrl-C to stop"
wait
