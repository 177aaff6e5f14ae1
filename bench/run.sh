#!/usr/bin/env bash
# The end-to-end relay benchmark (issue 4): ONE command, one run, every system side by side.
#
#   bench/run.sh                  full suite: 3 runs of 10 s per row, 5 for the latency and brokers
#                                 rows (about 25 minutes)
#   BENCH_QUICK=1 bench/run.sh    smoke run: fewer rows, 2 runs of 1 s (about 3 minutes)
#
# Environment: BENCH_BUILD_DIR (default build-bench, Release), BENCH_RUNS, BENCH_SECS (per run),
# BENCH_EXTRA_RUNS (rounds added for the latency and brokers rows: 2, or 0 in a quick run),
# BENCH_ONLY (an extended regex on row ids: run only those), BENCH_PORT (first of 4 ports,
# default 27100), BENCH_NO_BUILD=1 (use the binaries as they are).
#
# What runs: the synthetic endpoints of bench/relay/ (mqbench_source floods, mqbench_sink acks and
# measures loss and latency from the stamp in each payload), the raw byte forwarder (the limit),
# mosquitto's bridge and brokers (the peer), and mqrelay. Every figure is the median of the runs
# (taken round by round: run 1 of every row, then run 2, ...), with the min..max spread of
# msgs/s. Output in bench/results/: results.md (the table), throughput.png, latency_cdf.png,
# results.csv (a quick or BENCH_ONLY run writes them to
# bench/results/quick/ instead, so it never overwrites a full run); raw files in bench/results/work/.
# Everything listens on 127.0.0.1 only, every process runs under `timeout`, and the EXIT trap
# kills what this script started.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
OUT=$ROOT/bench/results
WORK=$OUT/work
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  RUNS=${BENCH_RUNS:-2}; SECS=${BENCH_SECS:-1}; STALL_SECS=3; IDLE_MS=2000; EXTRA=${BENCH_EXTRA_RUNS:-0}
else
  RUNS=${BENCH_RUNS:-3}; SECS=${BENCH_SECS:-10}; STALL_SECS=10; IDLE_MS=3000; EXTRA=${BENCH_EXTRA_RUNS:-2}
fi
# The rows whose targets compare two close figures (mqrelay against the bridge through real
# brokers, added p99 latency against publishing direct) move by 10-20 % from round to round on
# this 2-core guest, and one slow round of three moves a median of three. They get EXTRA rounds
# more (after the others' last round), so that their medians are of RUNS + EXTRA runs.
EXTRA_GROUPS='^(latency|brokers)$'
row_runs() { OF=$RUNS; [[ $1 =~ $EXTRA_GROUPS ]] && OF=$((RUNS + EXTRA)); }  # row_runs GROUP: into OF
ONLY=${BENCH_ONLY:-}
PORT=${BENCH_PORT:-27100}
P_SRC=$PORT P_SINK=$((PORT + 1)) P_LOCAL=$((PORT + 2)) P_CLOUD=$((PORT + 3))
SPOOL_BYTES=67108864
BIN=$BUILD/bench/relay
RELAY=$BUILD/engine/mqrelay
CERTS=$WORK/certs

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

# ------------------------------------------------------------------ processes and clean-up
# nap SECONDS: sleep without forking (read -t on a FIFO nobody writes to; see sample_proc for
# why a row must not fork). /bin/sleep until main has opened the FIFO.
NAP_FD=""
nap() { if [ -n "$NAP_FD" ]; then read -r -t "$1" -u "$NAP_FD" _; else sleep "$1"; fi; }

PIDS=()
TAG=run
start() {  # start NAME CMD...: runs CMD in the background under timeout, logs to WORK/TAG.NAME.log
  # (--foreground: no process group of its own; the EXIT trap and stop_all end it)
  local name=$1; shift
  timeout --foreground -k 2 $((SECS * 4 + STALL_SECS + 60)) "$@" >"$WORK/$TAG.$name.out" 2>"$WORK/$TAG.$name.log" &
  PIDS+=($!)
  eval "PID_$name=$!"
}
# The pid of the program itself (the child of `timeout`), for /proc sampling.
child_pid() {  # into MPID, fork-free (see sample_proc)
  MPID=""; local c
  read -r c _ 2>/dev/null <"/proc/$1/task/$1/children"; MPID=${c:-}  # no newline: read says EOF
}
stop_all() {  # SIGTERM (timeout passes it on), then after 1.5 s SIGKILL to what is left
  local p i alive
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for ((i = 0; i < 30; i++)); do
    alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    nap 0.05
  done
  for p in "${PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then pkill -KILL -P "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; fi
  done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  PIDS=()
}
trap 'stop_all; printf "\n" >&2' EXIT
trap 'exit 130' INT TERM

wait_port() {  # wait_port PORT: until something listens (bounded: 5 s)
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    nap 0.05
  done
  return 1
}
wait_file() { local i; for ((i = 0; i < 100; i++)); do [ -s "$1" ] && return 0; nap 0.05; done; return 1; }

# /proc figures of a process, sampled while a row runs: CPU clock ticks (utime + stime) and peak
# RSS in KiB (VmHWM), into S_TICKS and S_HWM. Bash builtins only, no fork: a command substitution
# or a /bin/sleep forks a process, and on this guest a fork five times a second is enough to stall
# the relayed stream for milliseconds now and then (the raw forwarder's p99 at 20k msgs/s went
# from ~150 us to ~2.5 ms with a `sleep 0.2` loop beside it).
sample_proc() {
  local pid=$1 s k v _
  S_TICKS=0 S_HWM=0
  read -r s 2>/dev/null <"/proc/$pid/stat" || return 1
  set -- ${s##*) }
  S_TICKS=$((${12} + ${13}))
  while read -r k v _; do [ "$k" = VmHWM: ] && { S_HWM=$v; break; }; done 2>/dev/null <"/proc/$pid/status"
  return 0
}
TCK=$(getconf CLK_TCK)

# json FILE KEY: a number from our one-line JSON outputs.
json() { sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" "$1" 2>/dev/null | head -n1; }

# ------------------------------------------------------------------ configuration files
write_local_conf() {  # plain local broker; $1 = bridge target "host:port" or "" (no bridge); $2 = 1: raise QoS
  {
    echo "per_listener_settings false"
    echo "allow_anonymous true"
    echo "listener $P_LOCAL 127.0.0.1"
    echo "persistence false"
    echo "max_queued_messages 1000000"
    echo "max_inflight_messages 1000"
    echo "log_dest stderr"
    echo "log_type error"
    echo "log_type warning"
    [ "$(id -u)" = 0 ] && echo "user $(id -un)"
    # Delivers at the subscription's QoS: the bridge then forwards QoS 0 publishes as QoS 1, as
    # mqrelay (and Greengrass) do; without it the bridge never raises QoS 0.
    [ "${2:-0}" = 1 ] && echo "upgrade_outgoing_qos true"
    if [ -n "$1" ]; then
      echo "connection cloud"
      echo "address $1"
      echo "topic # out 1"
      echo "bridge_cafile $CERTS/ca.pem"
      echo "bridge_certfile $CERTS/client.pem"
      echo "bridge_keyfile $CERTS/client.key"
      echo "bridge_insecure false"
      echo "bridge_protocol_version mqttv311"
      echo "cleansession true"
      echo "try_private false"
      echo "notifications false"
    fi
  } >"$WORK/local.conf"
}
write_cloud_conf() {  # the "cloud": mosquitto with TLS and required client certificates
  {
    echo "per_listener_settings false"
    echo "allow_anonymous true"
    echo "listener $P_CLOUD 127.0.0.1"
    echo "cafile $CERTS/ca.pem"
    echo "certfile $CERTS/server.pem"
    echo "keyfile $CERTS/server.key"
    echo "require_certificate true"
    echo "persistence false"
    echo "max_queued_messages 1000000"
    echo "max_inflight_messages 1000"
    echo "log_dest stderr"
    echo "log_type error"
    [ "$(id -u)" = 0 ] && echo "user $(id -un)"
  } >"$WORK/cloud.conf"
}
# mqrelay configuration (SPEC §3): LocalMqtt at $1 (port), IotCore at localhost:$2 (TLS),
# $3 mappings (1: "bench/#"; N > 1: N exact filters bench/t/0 .. bench/t/N-1), $4 connections.
write_relay_conf() {
  local f=$WORK/relay.json
  {
    printf '{\n  "brokerUri": "mqtt://127.0.0.1:%s",\n  "clientId": "mqbench-relay",\n' "$1"
    printf '  "mqttTopicMapping": {\n'
    if [ "$3" -le 1 ]; then
      printf '    "all": {"topic": "bench/#", "source": "LocalMqtt", "target": "IotCore"}\n'
    else
      awk -v n="$3" 'BEGIN { for (i = 0; i < n; i++)
        printf "    \"m%d\": {\"topic\": \"bench/t/%d\", \"source\": \"LocalMqtt\", \"target\": \"IotCore\"}%s\n",
               i, i, (i < n - 1 ? "," : "") }'
    fi
    printf '  },\n  "iotCore": {\n    "iotDataEndpoint": "localhost",\n    "port": %s,\n' "$2"
    printf '    "thingName": "mqbench-relay",\n'
    printf '    "certificateFilePath": "%s",\n    "privateKeyPath": "%s",\n    "rootCaPath": "%s",\n' \
      "$CERTS/client.pem" "$CERTS/client.key" "$CERTS/ca.pem"
    printf '    "maxInFlightPublishes": 65535,\n    "connections": %s\n  },\n' "$4"
    printf '  "spooler": {"maxSizeInBytes": %s},\n  "log": {"level": "warn"}\n}\n' "$SPOOL_BYTES"
  } >"$f"
}

# ------------------------------------------------------------------ one run of one row
# run_once SYSTEM PATH SINK PAYLOAD QOS TOPICS MAPPINGS CONNS RATE STALL RUN
#   SYSTEM  direct | fwd-rw | fwd-splice | fwd-uring | fwd-tls | mqrelay | bridge | bridge-up | local
#           (bridge-up: the bridge with upgrade_outgoing_qos, QoS 0 publishes forwarded as QoS 1)
#   PATH    synth (synthetic source -> system -> synthetic sink) | brokers (through mosquittos)
#           | local (source -> local mosquitto -> mqrelay -> synthetic TLS sink)
#   SINK    plain | tls
# Prints: rate mbps p50 p99 p999 rss_kib cpu_per_M lost
run_once() {
  local sys=$1 path=$2 sink=$3 payload=$4 qos=$5 topics=$6 mappings=$7 conns=$8 rate=$9 stall=${10} run=${11}
  local tag=$ROW.$run
  TAG=$tag
  rm -f "$WORK/$tag".*
  local tlsc=(--ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key")
  local tlss=(--tls --ca "$CERTS/ca.pem" --cert "$CERTS/server.pem" --key "$CERTS/server.key")
  local dur=$((SECS * 1000)) stall_args=() src_args=() measured=""
  [ "$stall" -gt 0 ] && stall_args=(--stall-at-ms 500 --stall-ms $((stall * 1000)))
  src_args=(--payload "$payload" --qos "$qos" --topics "$topics" --duration-ms "$dur" --drain-ms 20000
            --linger-ms 600000 --out "$WORK/$tag.src.json")
  [ "$rate" -gt 0 ] && src_args+=(--rate "$rate")
  # Through mosquitto the source outruns the broker, which queues: allow the drain (lost counts
  # what did not arrive in time).
  local max_s=$((SECS + stall + 20))
  local up=0; [ "$sys" = bridge-up ] && { sys=bridge; up=1; }
  { [ "$path" != synth ] || [ "$sys" = bridge ]; } && max_s=$((SECS * 4 + 20))
  local sink_common=(--idle-ms "$IDLE_MS" --max-ms $((max_s * 1000)) --out "$WORK/$tag.sink.json"
                     --source-result "$WORK/$tag.src.json"
                     --cdf "$WORK/$tag.cdf" "${stall_args[@]}")

  # 1. the receiving end
  if [ "$path" != brokers ]; then
    local sink_tls=(); [ "$sink" = tls ] && sink_tls=("${tlss[@]}")
    start sink "$BIN/mqbench_sink" --listen "$P_SINK" "${sink_tls[@]}" "${sink_common[@]}" --ready-file "$WORK/$tag.sink.ready"
    wait_file "$WORK/$tag.sink.ready" || return 1
  else
    write_cloud_conf
    if [ "$sys" = bridge ]; then write_local_conf "127.0.0.1:$P_CLOUD" "$up"; else write_local_conf ""; fi
    if [ "$sys" != local ]; then
      start cloud mosquitto -c "$WORK/cloud.conf"; wait_port "$P_CLOUD" || return 1
    fi
  fi
  # 2. the system under test and the source
  case $sys in
    direct)
      if [ "$path" = synth ]; then
        start src "$BIN/mqbench_source" --connect "127.0.0.1:$P_SINK" --tls "${tlsc[@]}" "${src_args[@]}"
      else
        start sink "$BIN/mqbench_sink" --connect "127.0.0.1:$P_CLOUD" --tls "${tlsc[@]}" --subscribe '#' "${sink_common[@]}"
        nap 0.3
        start src "$BIN/mqbench_source" --connect "127.0.0.1:$P_CLOUD" --tls "${tlsc[@]}" "${src_args[@]}"
      fi ;;
    fwd-*)
      start src "$BIN/mqbench_source" --listen "$P_SRC" --raw "${src_args[@]}" --ready-file "$WORK/$tag.src.ready"
      wait_file "$WORK/$tag.src.ready" || return 1
      local fargs=(--from "127.0.0.1:$P_SRC" --to "127.0.0.1:$P_SINK")
      if [ "$sys" = fwd-tls ]; then fargs+=(--tls "${tlsc[@]}"); else fargs+=(--mode "${sys#fwd-}"); fi
      start fwd "$BIN/mqbench_forward" "${fargs[@]}"
      measured=$PID_fwd ;;
    mqrelay)
      if [ "$path" = synth ]; then
        start src "$BIN/mqbench_source" --listen "$P_SRC" "${src_args[@]}" --ready-file "$WORK/$tag.src.ready"
        wait_file "$WORK/$tag.src.ready" || return 1
        write_relay_conf "$P_SRC" "$P_SINK" "$mappings" "$conns"
      elif [ "$path" = local ]; then  # local mosquitto -> mqrelay -> TLS sink
        write_local_conf ""
        start local mosquitto -c "$WORK/local.conf"; wait_port "$P_LOCAL" || return 1
        write_relay_conf "$P_LOCAL" "$P_SINK" "$mappings" "$conns"
      else
        start local mosquitto -c "$WORK/local.conf"; wait_port "$P_LOCAL" || return 1
        start sink "$BIN/mqbench_sink" --connect "127.0.0.1:$P_CLOUD" --tls "${tlsc[@]}" --subscribe '#' "${sink_common[@]}"
        write_relay_conf "$P_LOCAL" "$P_CLOUD" "$mappings" "$conns"
      fi
      start relay "$RELAY" --config "$WORK/relay.json"
      measured=$PID_relay
      if [ "$path" != synth ]; then
        nap 0.7  # let the relay subscribe before the publisher starts
        start src "$BIN/mqbench_source" --connect "127.0.0.1:$P_LOCAL" "${src_args[@]}"
      fi ;;
    bridge)
      if [ "$path" = synth ]; then write_local_conf "127.0.0.1:$P_SINK" "$up"; fi
      start local mosquitto -c "$WORK/local.conf"; wait_port "$P_LOCAL" || return 1
      measured=$PID_local
      [ "$path" = brokers ] && start sink "$BIN/mqbench_sink" --connect "127.0.0.1:$P_CLOUD" --tls "${tlsc[@]}" --subscribe '#' "${sink_common[@]}"
      nap 0.7  # the bridge connects
      start src "$BIN/mqbench_source" --connect "127.0.0.1:$P_LOCAL" "${src_args[@]}" ;;
    local)
      start local mosquitto -c "$WORK/local.conf"; wait_port "$P_LOCAL" || return 1
      measured=$PID_local
      start sink "$BIN/mqbench_sink" --connect "127.0.0.1:$P_LOCAL" --subscribe '#' "${sink_common[@]}"
      nap 0.3
      start src "$BIN/mqbench_source" --connect "127.0.0.1:$P_LOCAL" "${src_args[@]}" ;;
  esac
  local mpid=""
  if [ -n "$measured" ]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      child_pid "$measured"; mpid=$MPID; [ -n "$mpid" ] && break; nap 0.05
    done
  fi
  # 3. the sink ends by itself (idle after the last message, or its --max-ms). The measured
  # process is sampled while it runs (a forwarder exits as soon as the sink closes); its CPU is
  # its whole lifetime, start-up included.
  local cpu1=0 rss=0
  while kill -0 "$PID_sink" 2>/dev/null; do
    if [ -n "$mpid" ] && sample_proc "$mpid" && [ "$S_HWM" -gt 0 ]; then cpu1=$S_TICKS; rss=$S_HWM; fi
    nap 0.2
  done
  wait "$PID_sink" 2>/dev/null
  wait_file "$WORK/$tag.src.json"
  stop_all
  local sj=$WORK/$tag.sink.json srj=$WORK/$tag.src.json
  [ -s "$sj" ] || { log "bench: $tag: no sink result (see $WORK/$tag.*.log)"; return 1; }
  local uniq sent; uniq=$(json "$sj" unique); sent=$(json "$srj" sent)
  [ -z "$sent" ] && sent=$uniq
  awk -v r="$(json "$sj" rate)" -v mb="$(json "$sj" mbps)" -v p50="$(json "$sj" p50_us)" \
      -v p99="$(json "$sj" p99_us)" -v p999="$(json "$sj" p999_us)" -v rss="$rss" \
      -v c1="$cpu1" -v tck="$TCK" -v u="$uniq" -v s="$sent" -v m="$measured" 'BEGIN {
    cpm = (m != "" && u > 0) ? c1 / tck / (u / 1e6) : -1
    printf "%s %s %s %s %s %s %.2f %d\n", r, mb, p50, p99, p999, rss, cpm, (s > u ? s - u : 0) }'
}

# ------------------------------------------------------------------ the rows
# row ID GROUP "LABEL" SYSTEM PATH SINK PAYLOAD QOS TOPICS MAPPINGS CONNS RATE STALL
ROWS=()
row() { ROWS+=("$(printf "%q " "$@")"); }
full() { [ "$QUICK" = 1 ] && [ -z "$ONLY" ] && return 0; row "$@"; }  # not in quick mode, unless asked for by BENCH_ONLY
NEED_RELAY=0
define_rows() {
  #    id              group       label                                sys        path    sink  B    q t   maps  c rate  stall
  row  lim-rw          limit       "raw forwarder read/write"           fwd-rw     synth   plain 64   1 1   1     1 0     0
  row  lim-splice      limit       "raw forwarder splice"               fwd-splice synth   plain 64   1 1   1     1 0     0
  row  lim-uring       limit       "raw forwarder io_uring"             fwd-uring  synth   plain 64   1 1   1     1 0     0
  row  lim-tls         limit       "raw forwarder into TLS sink"        fwd-tls    synth   tls   64   1 1   1     1 0     0
  row  direct-tls      limit       "source direct to TLS sink"          direct     synth   tls   64   1 1   1     1 0     0
  row  relay-q0        tls-64      "mqrelay QoS0 in, QoS1 out"          mqrelay    synth   tls   64   0 1   1     1 0     0
  row  relay-q1        tls-64      "mqrelay QoS1 in, QoS1 out"          mqrelay    synth   tls   64   1 1   1     1 0     0
  row  bridge-q1       tls-64      "mosquitto bridge QoS1 in"           bridge     synth   tls   64   1 1   1     1 0     0
  row  lim-tls-1k      tls-1k      "raw forwarder into TLS sink, 1 KiB" fwd-tls    synth   tls   1024 1 1   1     1 0     0
  row  relay-q1-1k     tls-1k      "mqrelay QoS1 in, 1 KiB"             mqrelay    synth   tls   1024 1 1   1     1 0     0
  full bridge-q1-1k     tls-1k      "mosquitto bridge, 1 KiB"            bridge     synth   tls   1024 1 1   1     1 0     0
  row  relay-t100      shape       "mqrelay 100 topics"                 mqrelay    synth   tls   64   1 100 1     1 0     0
  full relay-m100k     shape       "mqrelay 100 topics, 100k mappings"  mqrelay    synth   tls   64   1 100 100000 1 0   0
  row  relay-c4        shape       "mqrelay 100 topics, 4 connections"  mqrelay    synth   tls   64   1 100 1     4 0     0
  row  relay-stall     shape       "mqrelay, sink stalled ${STALL_SECS} s"  mqrelay synth  tls   64   1 100 1     1 0     "$STALL_SECS"
  row  lat-direct      latency     "direct, 20k msgs/s"                 direct     synth   tls   64   1 1   1     1 20000 0
  row  lat-fwd         latency     "raw forwarder, 20k msgs/s"          fwd-tls    synth   tls   64   1 1   1     1 20000 0
  row  lat-relay       latency     "mqrelay, 20k msgs/s"                mqrelay    synth   tls   64   1 1   1     1 20000 0
  row  lat-bridge      latency     "mosquitto bridge, 20k msgs/s"       bridge     synth   tls   64   1 1   1     1 20000 0
  # Above mqrelay's wake-coalescing threshold (30,000 completions/s): what batching costs in latency.
  row  lat-direct-40k  latency     "direct, 40k msgs/s"                 direct     synth   tls   64   1 1   1     1 40000 0
  row  lat-relay-40k   latency     "mqrelay, 40k msgs/s"                mqrelay    synth   tls   64   1 1   1     1 40000 0
  row  br-local        brokers     "local mosquitto to 1 subscriber"    local      brokers plain 64   0 1   1     1 0     0
  row  br-bridge-sink  brokers     "local mosquitto, its bridge, TLS sink" bridge  synth   tls   64   0 1   1     1 0     0
  row  br-relay-sink   brokers     "local mosquitto, mqrelay, TLS sink" mqrelay    local   tls   64   0 1   1     1 0     0
  row  br-direct       brokers     "publish direct to cloud mosquitto"  direct     brokers tls   64   1 1   1     1 0     0
  row  br-bridge       brokers     "mosquitto bridge to cloud mosquitto" bridge    brokers tls   64   0 1   1     1 0     0
  # Like for like at QoS 0 in: the bridge raised to QoS 1 towards the cloud, as mqrelay publishes.
  row  br-bridge-up    brokers     "bridge, QoS 0 raised to 1, to cloud" bridge-up brokers tls   64   0 1   1     1 0     0
  row  br-relay        brokers     "mqrelay to cloud mosquitto"         mqrelay    brokers tls   64   0 1   1     1 0     0
  # Like for like: devices publish QoS 1, so the bridge forwards QoS 1 too (it never raises QoS 0).
  row  br-bridge-q1    brokers     "QoS 1: mosquitto bridge to cloud"   bridge     brokers tls   64   1 1   1     1 0     0
  row  br-relay-q1     brokers     "QoS 1: mqrelay to cloud"            mqrelay    brokers tls   64   1 1   1     1 0     0
}

# ------------------------------------------------------------------ main
mkdir -p "$WORK"
find "$WORK" -maxdepth 1 \( -type f -o -type p \) -delete  # the previous run's raw files (certs/ stays)
mkfifo "$WORK/nap.fifo" && exec {NAP_FD}<>"$WORK/nap.fifo" || die "cannot make $WORK/nap.fifo"
PATH=$PATH:/usr/sbin  # mosquitto lives in /usr/sbin
command -v mosquitto >/dev/null || { [ -x "$ROOT/scripts/setup.sh" ] && "$ROOT/scripts/setup.sh"; }
command -v mosquitto >/dev/null || die "mosquitto not found (run scripts/setup.sh)"
command -v gnuplot >/dev/null || log "bench: gnuplot not found: no PNGs (run scripts/setup.sh)"

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  log "bench: building (Release) in $BUILD"
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ||
    die "cmake configure failed"
  cmake --build "$BUILD" --target mqbench_source mqbench_sink mqbench_forward -j2 >"$WORK/build.log" 2>&1 ||
    die "building the bench tools failed (see $WORK/build.log)"
  cmake --build "$BUILD" --target mqrelay -j2 >>"$WORK/build.log" 2>&1 ||
    log "bench: mqrelay did not build: its rows will say so (see $WORK/build.log)"
fi
[ -d "$CERTS" ] && [ -s "$CERTS/client.key" ] || bash "$ROOT/tests/support/make_certs.sh" "$CERTS" >/dev/null 2>&1 ||
  die "making test certificates failed"

define_rows
SELECTED=()
for r in "${ROWS[@]}"; do
  read -r id _ <<<"$r"
  if [ -z "$ONLY" ] || [[ $id =~ $ONLY ]]; then SELECTED+=("$r"); fi
done
TOTAL=0
for r in "${SELECTED[@]}"; do
  eval "set -- $r"
  row_runs "$2"; TOTAL=$((TOTAL + OF))
done
RAW=$WORK/raw.tsv
: >"$RAW"
n=0
T0=$(date +%s)
# Run-major order: run 1 of every row, then run 2 of every row, ... The machine drifts by 10-20 %
# over minutes (more in the brokers rows); this way every row's median is taken over the same
# stretch of time, and rows that are compared (mqrelay and the bridge) run next to each other
# in every round instead of one's three runs before the other's.
for ((run = 1; run <= RUNS + EXTRA; run++)); do
  for r in "${SELECTED[@]}"; do
    eval "set -- $r"
    ROW=$1; label=$3; sys=$4
    row_runs "$2"; [ "$run" -gt "$OF" ] && continue
    n=$((n + 1))
    if [ "$sys" = mqrelay ] && [ ! -x "$RELAY" ]; then
      printf '%s\tfail\tmqrelay binary missing\n' "$ROW" >>"$RAW"; continue
    fi
    printf '\r\033[K[%d/%d %ds] %-40s run %d/%d' "$n" "$TOTAL" $(( $(date +%s) - T0 )) "$label" "$run" "$OF" >&2
    # not in $(...): a subshell would hide its processes from the EXIT trap
    if run_once "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" "${12}" "${13}" "$run" >"$WORK/res"; then
      res=$(cat "$WORK/res")
      printf '%s\t%s\t%s\n' "$ROW" "$run" "$res" >>"$RAW"
    else
      printf '%s\tfail\t%s\n' "$ROW" "run $run failed" >>"$RAW"
      stop_all
    fi
  done
done
printf '\r\033[K' >&2

# ------------------------------------------------------------------ the table and the plots
# A quick or partial run must not overwrite the committed results of a full run.
REPORT=$OUT
{ [ "$QUICK" = 1 ] || [ -n "$ONLY" ]; } && REPORT=$OUT/quick
mkdir -p "$REPORT"
EXTRA_RUNS=$EXTRA bash "$ROOT/bench/relay/report.sh" "$WORK" "$REPORT" "$RUNS" "$SECS" "$QUICK" "${SELECTED[@]}" ||
  die "writing the report failed"
log "bench: done in $(( $(date +%s) - T0 )) s: $REPORT/results.md"
