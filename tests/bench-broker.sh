#!/usr/bin/env bash
# Side-by-side benchmark: the embedded MqttPS broker as its own program (tests/MqttPS.BrokerHost, "ours") and as users
# run it, Start-MqttBroker inside PowerShell (the pinned pwsh 7.6, tests/bench/Start-PwshBenchBroker.ps1, "pwsh"),
# Eclipse Mosquitto and the MQTTnet 5.2
# server (tests/MqttPS.MqttnetHost) with its defaults and with persistent sessions on, all started here on free
# loopback ports, running the shared load generator matrix (<shared>/bench/run-bench.sh) against each in turn (the
# order rotates per section), then RSS with 1,000 idle connections (and four further thousands on top) and with
# 100,000 retained messages. Prints every figure for every broker and each one's ratio to mosquitto.
#
#   tests/bench-broker.sh                 # whole matrix
#   BENCH_SECTIONS="fanin latency" BENCH_REPEATS=1 BENCH_SCALE=0.25 tests/bench-broker.sh   # quick look
#   BENCH_BROKERS="ours pwsh mosquitto" tests/bench-broker.sh                                # a subset
#
# Environment: MQTTPS_SHARED (default: ../shared beside the repository root, else the first ancestor directory
# holding shared/bench), BENCH_SECTIONS, BENCH_REPEATS, BENCH_SCALE, BENCH_PROTO (passed to run-bench.sh),
# BENCH_BROKERS (any of: ours pwsh mosquitto mqttnet mqttnet_persist; default all five, mosquitto always included as
# the reference), BENCH_EXTRA ("idle retained" by default, "idle10k" for 10,000 idle connections; empty to skip),
# BENCH_OUT (directory for raw output; default a temp dir), MQTTPS_SOCKET_ENGINE (dotnet: our broker on .NET's sockets
# instead of its Linux epoll engine; applies to ours and pwsh alike).
# The cli section's mosquitto_pub/mosquitto_sub get explicit client ids (MQTTnet refuses the empty id they send over
# MQTT 3.1.1, which the specification allows it to), the same for every broker.
# Needs: dotnet, mosquitto, mosquitto-clients, python3, cc/make + libmosquitto-dev if mqttload is not built yet.
set -u
# The brokers inherit this limit: 10,000 idle connections need more than the usual 1,024 descriptors (the bench
# raises it for the processes it starts; the product never changes it).
ulimit -n 16384 2>/dev/null || ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null

die() { echo "bench-broker: $*" >&2; exit 2; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${MQTTPS_SHARED:-}"
if [ -z "$SHARED" ]; then
  if [ -d "$ROOT/../shared/bench" ]; then SHARED="$ROOT/../shared"
  else
    d="$ROOT"
    while [ "$d" != "/" ]; do d="$(dirname "$d")"; [ -d "$d/shared/bench" ] && { SHARED="$d/shared"; break; }; done
  fi
fi
[ -n "$SHARED" ] && [ -x "$SHARED/bench/run-bench.sh" ] || die "shared bench material not found; set MQTTPS_SHARED (looked at $ROOT/../shared and ancestors)"
SHARED="$(cd "$SHARED" && pwd)"
MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
[ -x "$MOSQUITTO" ] || die "mosquitto not found"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
. "$ROOT/tests/bench/bench-common.sh"
BENCH_EXTRA="${BENCH_EXTRA-idle retained}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/bench-broker.XXXXXX)}"
mkdir -p "$OUT"

# mqttload: use the built one, else build it (in a copy when the shared directory is read-only).
if [ -z "${MQTTLOAD:-}" ]; then
  if [ -x "$SHARED/bench/mqttload" ]; then MQTTLOAD="$SHARED/bench/mqttload"
  elif make -s -C "$SHARED/bench" mqttload >&2 2>/dev/null; then MQTTLOAD="$SHARED/bench/mqttload"
  else
    cp "$SHARED/bench/mqttload.c" "$SHARED/bench/Makefile" "$OUT/" && make -s -C "$OUT" mqttload >&2 || die "cannot build mqttload"
    MQTTLOAD="$OUT/mqttload"
  fi
fi
export MQTTLOAD

BROKERS="${BENCH_BROKERS:-ours pwsh mosquitto mqttnet mqttnet_persist}"
case " $BROKERS " in *" mosquitto "*) ;; *) BROKERS="$BROKERS mosquitto";; esac
for who in $BROKERS; do
  case "$who" in ours|pwsh|mosquitto|mqttnet|mqttnet_persist) ;; *) die "unknown broker '$who' in BENCH_BROKERS";; esac
done

echo "# building tests/MqttPS.BrokerHost, tests/MqttPS.MqttnetHost and the module (Release)" >&2
HOST_DLL="$ROOT/tests/MqttPS.BrokerHost/bin/Release/net10.0/MqttPS.BrokerHost.dll"
MQTTNET_DLL="$ROOT/tests/MqttPS.MqttnetHost/bin/Release/net10.0/MqttPS.MqttnetHost.dll"
for project in tests/MqttPS.BrokerHost/MqttPS.BrokerHost tests/MqttPS.MqttnetHost/MqttPS.MqttnetHost src/MqttPS/MqttPS; do
  log="$OUT/build.$(basename "$project").log"
  dotnet build -c Release "$ROOT/$project.csproj" -v q -nologo >"$log" 2>&1 || { tail -20 "$log" >&2; die "build of $project failed"; }
done
[ -f "$HOST_DLL" ] || die "missing $HOST_DLL"
[ -f "$MQTTNET_DLL" ] || die "missing $MQTTNET_DLL"
pinned_pwsh
case " $BROKERS " in
  *" pwsh "*)
    require_pinned_pwsh
    [ -f "$ROOT/out/MqttPS/MqttPS.psd1" ] || die "missing out/MqttPS (dotnet build src/MqttPS -c Release)" ;;
esac

# mosquitto_pub/mosquitto_sub with explicit client ids, first on PATH for run-bench.sh's cli section.
mkdir -p "$OUT/bin"
for tool in mosquitto_pub mosquitto_sub; do
  real="$(command -v $tool || echo /usr/bin/$tool)"
  printf '#!/bin/sh\nexec %s -i "bench-%s-$$" "$@"\n' "$real" "$tool" > "$OUT/bin/$tool"
  chmod +x "$OUT/bin/$tool"
done
export PATH="$OUT/bin:$PATH"

declare -A PID PORT
cleanup() {
  for who in "${!PID[@]}"; do [ -n "${PID[$who]}" ] && kill "${PID[$who]}" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A helper that exits early must not kill this script through SIGPIPE.
trap '' PIPE

# start_dotnet WHO PORT_OPTION ARGS...: a .NET broker host that prints its port as the first line of standard output.
start_dotnet() {
  local who=$1 port_option=$2; shift 2
  PORT[$who]="$(free_port)"
  dotnet "$@" "$port_option" "${PORT[$who]}" >"$OUT/$who.stdout" 2>"$OUT/$who.stderr" &
  PID[$who]=$!
  for _ in $(seq 1 300); do [ -s "$OUT/$who.stdout" ] && break; sleep 0.1; done
  [ -s "$OUT/$who.stdout" ] || die "$who did not start: $(cat "$OUT/$who.stderr")"
}
start_broker() {
  case "$1" in
    ours) start_dotnet ours --port "$HOST_DLL" ;;
    pwsh) start_dotnet pwsh -Port exec "$PWSH_DLL" -NoProfile -NonInteractive -File "$ROOT/tests/bench/Start-PwshBenchBroker.ps1" ;;
    mqttnet) start_dotnet mqttnet --port "$MQTTNET_DLL" ;;
    mqttnet_persist) start_dotnet mqttnet_persist --port "$MQTTNET_DLL" --persistent-sessions ;;
    mosquitto)
      PORT[mosquitto]="$(free_port)"
      printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "${PORT[mosquitto]}" > "$OUT/mosquitto.conf"
      "$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
      PID[mosquitto]=$!
      for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/${PORT[mosquitto]}") 2>/dev/null && break; sleep 0.1; done
      ;;
  esac
}
restart_all() {
  cleanup; PID=(); PORT=()
  for who in $BROKERS; do start_broker "$who"; done
}

for who in $BROKERS; do start_broker "$who"; done
echo "# $(for who in $BROKERS; do printf '%s: pid %s port %s; ' "$who" "${PID[$who]}" "${PORT[$who]}"; done)mosquitto $("$MOSQUITTO" -h 2>&1 | head -1 | awk '{print $3}'), MQTTnet 5.2.0.1603, pwsh $PWSH_VERSION; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
echo "# raw output in $OUT"

SECTIONS="${BENCH_SECTIONS-fanin fanin_open fanout latency cli}"
read -r -a order <<< "$BROKERS"
for section in $SECTIONS; do
  # Rotate who goes first, so that no broker always runs on a machine warmed (or tired) by the others.
  order=("${order[@]:1}" "${order[0]}")
  for who in "${order[@]}"; do
    echo "# $section against $who" >&2
    MQTT_HOST=127.0.0.1 MQTT_PORT=${PORT[$who]} MQTT_BROKER_PID=${PID[$who]} BENCH_SECTIONS=$section \
      "$SHARED/bench/run-bench.sh" > "$OUT/$who.$section.out" 2>&1
    grep '^SUMMARY' "$OUT/$who.$section.out" | sed "s/^SUMMARY /$who /" >> "$OUT/summary.txt"
  done
done

# ---------------------------------------------------------------- memory helpers (python, raw MQTT 3.1.1)
cat > "$OUT/memload.py" <<'PY'
import socket, struct, sys, time
mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else "idle"
def connect(cid):
    s = socket.create_connection(("127.0.0.1", port))
    cid = cid.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(cid)) + cid
    s.sendall(b"\x10" + bytes([len(body)]) + body)
    ack = s.recv(4)
    assert ack[:2] == b"\x20\x02" and ack[3] == 0, ack
    return s
def vbi(n):
    out = b""
    while True:
        b = n % 128; n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
if mode == "idle":
    started = time.monotonic()
    socks = [connect("%s-%d" % (prefix, i)) for i in range(count)]
    print("ready connect_secs=%.3f" % (time.monotonic() - started), flush=True)
    sys.stdin.readline()          # hold them until told to stop
elif mode == "retained":
    s = connect("retainer")
    buf = b""
    for i in range(count):
        t = ("retained/%d/%d" % (i // 1000, i)).encode()
        body = struct.pack(">H", len(t)) + t + b"payload-%08d" % i
        buf += b"\x31" + vbi(len(body)) + body
        if len(buf) > 65536: s.sendall(buf); buf = b""
    s.sendall(buf + b"\xc0\x00")  # PINGREQ: its PINGRESP means everything before it was processed
    got = b""
    while not got.endswith(b"\xd0\x00"): got += s.recv(2)
    print("ready", flush=True)
PY

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# hold_start FD WHO MODE PORT COUNT PREFIX: starts a helper that connects and then holds until FD is written to.
hold_start() {
  local fd=$1 who=$2 mode=$3 port=$4 count=$5 prefix=$6 fifo="$OUT/hold.$2.$6" log="$OUT/memload.$2.$3.$6"
  rm -f "$fifo"; mkfifo "$fifo"
  ( ulimit -n 16384 2>/dev/null || ulimit -n 4096; "$PY" "$OUT/memload.py" "$mode" "$port" "$count" "$prefix" < "$fifo" > "$log" 2>&1 ) &
  local helper=$!
  HOLD_PIDS="$HOLD_PIDS $helper"
  eval "exec $fd>\"\$fifo\""
  for _ in $(seq 1 1200); do grep -q ready "$log" 2>/dev/null && break; kill -0 $helper 2>/dev/null || break; sleep 0.1; done
  grep -q ready "$log" || echo "# $mode: helper failed against $who: $(tail -2 "$log")" >&2
}
memory_row() { # memory_row LABEL MODE COUNT [once]: with "once", idle connections are not followed by a second batch
  local label=$1 mode=$2 count=$3 once=${4:-} who port pid before after next extra connect_secs
  for who in $BROKERS; do
    port=${PORT[$who]}; pid=${PID[$who]}
    HOLD_PIDS=""
    sleep 1; before="$(rss_kb "$pid")"
    hold_start 4 "$who" "$mode" "$port" "$count" first
    sleep 2; after="$(rss_kb "$pid")"
    extra=""
    connect_secs="$(sed -n 's/^ready connect_secs=//p' "$OUT/memload.$who.$mode.first")"
    [ -n "$connect_secs" ] && extra=" connect_secs=$connect_secs"
    if [ "$mode" = idle ] && [ -z "$once" ]; then
      # Four more thousands on top: what each further connection costs once the connection path has run (the first
      # thousand also pays one-time costs, such as .NET compiling that path, which are not per connection). The
      # second thousand is reported alone as before, but a .NET broker's one-time step of a few MB (the hot path
      # recompiled optimised, the garbage collector growing its heap) lands in it in some runs and in a later
      # thousand in others: the median of the second to fifth thousands is the steady cost of a connection.
      local fd last="$after" rss deltas=""
      for fd in 5 6 7 8; do
        hold_start "$fd" "$who" "$mode" "$port" "$count" "next$fd"
        sleep 2; rss="$(rss_kb "$pid")"
        deltas="$deltas $(( (rss - last) * 1024 / count ))"
        [ "$fd" = 5 ] && next="$rss"
        last="$rss"
      done
      for fd in 5 6 7 8; do { echo >&$fd; } 2>/dev/null; eval "exec $fd>&-"; done
      extra="$extra rss_next_kb=$next next_per_item_bytes=$(( (next - after) * 1024 / count )) further_per_item_bytes=$(echo $deltas | tr ' ' ',') steady_per_item_bytes=$(printf '%s\n' $deltas | sort -n | awk '{v[NR]=$1} END {print int((v[2]+v[3])/2)}')"
    fi
    # (the retained helper has already exited: nobody reads the release line)
    { echo >&4; } 2>/dev/null; exec 4>&-; wait $HOLD_PIDS 2>/dev/null
    echo "$who memory label=$label rss_before_kb=$before rss_after_kb=$after delta_kb=$((after - before)) per_item_bytes=$(( (after - before) * 1024 / count ))$extra" >> "$OUT/summary.txt"
  done
}
for extra in $BENCH_EXTRA; do
  restart_all   # fresh processes: the matrix above must not inflate the memory figures
  case "$extra" in
    idle) memory_row idle_1000 idle 1000 ;;
    idle10k) memory_row idle_10000 idle 10000 once ;;
    retained) memory_row retained_100000 retained 100000 ;;
  esac
done

# ---------------------------------------------------------------- table
"$PY" - "$OUT/summary.txt" $BROKERS <<'PY'
import re, sys
brokers = [b for b in ["ours", "pwsh", "mqttnet", "mqttnet_persist", "mosquitto"] if b in sys.argv[2:]]
rows = {}
order = []
for line in open(sys.argv[1]):
    who, rest = line.split(" ", 1)
    kv = dict(re.findall(r"(\w+)=(\S+)", rest))
    label = rest.split()[0]
    key = " ".join([label] + ["%s=%s" % (k, kv[k]) for k in ("qos", "size", "pubs", "subs", "label") if k in kv])
    if key not in rows: rows[key] = {}; order.append(key)
    rows[key][who] = kv
def num(v):
    try: return float(v)
    except (TypeError, ValueError): return None
def fmt(v):
    if v is None: return "-"
    return "%.0f" % v if abs(v) >= 100 else "%.2f" % v
def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b not in (None, 0) else "-"
others = [b for b in brokers if b != "mosquitto"]
names = {"ours": "ours", "pwsh": "pwsh", "mosquitto": "mosquitto", "mqttnet": "mqttnet", "mqttnet_persist": "mqttnet+ps"}
short = {"ours": "ours", "pwsh": "pwsh", "mqttnet": "mnet", "mqttnet_persist": "mnet+ps"}
# The broker as users run it next to the same engine in its own host: pwsh/ours.
host_pair = "pwsh" in brokers and "ours" in brokers
print("%-44s %-22s" % ("configuration", "figure") + "".join("%12s" % names[b] for b in brokers)
      + "".join("%13s" % (short[b] + "/mosq") for b in others) + ("%13s" % "pwsh/ours" if host_pair else ""))
for key in order:
    r = rows[key]
    d = {b: r.get(b, {}) for b in brokers}
    if key.startswith("latency"):
        figs = ["p50_us_median", "p99_us_median", "broker_rss_max_kb", "broker_cpu_pct"]
    elif key.startswith("cli"):
        figs = ["pub_secs_median", "e2e_secs_median", "broker_rss_max_kb", "broker_cpu_pct"]
    elif key.startswith("memory"):
        figs = ["rss_before_kb", "rss_after_kb", "delta_kb", "per_item_bytes"] + [f for f in ("next_per_item_bytes", "steady_per_item_bytes", "connect_secs") if any(f in x for x in d.values())]
    else:
        figs = ["msgs_per_s_median", "lost_median", "broker_rss_max_kb", "broker_cpu_pct", "cpu_s_per_M"]
        for x in d.values():
            c, t = num(x.get("broker_cpu_pct")), num(x.get("msgs_per_s_median"))
            x["cpu_s_per_M"] = (c / 100.0 * 1e6 / t) if c is not None and t else None
    for f in figs:
        v = {b: (d[b].get(f) if isinstance(d[b].get(f), float) or d[b].get(f) is None else num(d[b].get(f))) for b in brokers}
        print("%-44s %-22s" % (key, f) + "".join("%12s" % fmt(v[b]) for b in brokers)
              + "".join("%13s" % ratio(v[b], v.get("mosquitto")) for b in others)
              + ("%13s" % ratio(v["pwsh"], v["ours"]) if host_pair else ""))
    comp = [x.get("complete", "-") for x in d.values()]
    if any(c != "-" for c in comp): print("%-44s %-22s" % (key, "complete") + "".join("%12s" % c for c in comp))
PY
