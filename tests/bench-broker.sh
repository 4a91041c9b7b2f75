#!/usr/bin/env bash
# Side-by-side benchmark: the embedded MqttPS broker (tests/MqttPS.BrokerHost) against Eclipse Mosquitto, both
# started here on free loopback ports, running the shared load generator matrix (<shared>/bench/run-bench.sh)
# against each in turn (alternating which goes first per section), then RSS with 1,000 idle connections and with
# 100,000 retained messages. Prints every figure for both brokers and the ratio ours/mosquitto.
#
#   tests/bench-broker.sh                 # whole matrix
#   BENCH_SECTIONS="fanin latency" BENCH_REPEATS=1 BENCH_SCALE=0.25 tests/bench-broker.sh   # quick look
#
# Environment: MQTTPS_SHARED (default: ../shared beside the repository root, else the first ancestor directory
# holding shared/bench), BENCH_SECTIONS, BENCH_REPEATS, BENCH_SCALE, BENCH_PROTO (passed to run-bench.sh),
# BENCH_EXTRA ("idle retained" by default; empty to skip), BENCH_OUT (directory for raw output; default a temp dir),
# MQTTPS_SOCKET_ENGINE (dotnet: our broker on .NET's sockets instead of its Linux epoll engine, for comparison).
# Needs: dotnet, mosquitto, mosquitto-clients, python3, cc/make + libmosquitto-dev if mqttload is not built yet.
set -u
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null

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

echo "# building tests/MqttPS.BrokerHost (Release)" >&2
dotnet build -c Release "$ROOT/tests/MqttPS.BrokerHost/MqttPS.BrokerHost.csproj" -v q -nologo >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "build failed"; }
HOST_DLL="$ROOT/tests/MqttPS.BrokerHost/bin/Release/net10.0/MqttPS.BrokerHost.dll"
[ -f "$HOST_DLL" ] || die "missing $HOST_DLL"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

OURS_PID=""; MOSQ_PID=""
cleanup() {
  [ -n "$OURS_PID" ] && kill "$OURS_PID" 2>/dev/null
  [ -n "$MOSQ_PID" ] && kill "$MOSQ_PID" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A helper that exits early must not kill this script through SIGPIPE.
trap '' PIPE

start_ours() {
  OURS_PORT="$(free_port)"
  dotnet "$HOST_DLL" --port "$OURS_PORT" >"$OUT/ours.stdout" 2>"$OUT/ours.stderr" &
  OURS_PID=$!
  for _ in $(seq 1 100); do [ -s "$OUT/ours.stdout" ] && break; sleep 0.1; done
  [ -s "$OUT/ours.stdout" ] || die "our broker did not start: $(cat "$OUT/ours.stderr")"
}
start_mosquitto() {
  MOSQ_PORT="$(free_port)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MOSQ_PORT" > "$OUT/mosquitto.conf"
  "$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
  MOSQ_PID=$!
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$MOSQ_PORT") 2>/dev/null && break; sleep 0.1; done
}
restart_both() {
  cleanup; OURS_PID=""; MOSQ_PID=""
  start_ours; start_mosquitto
}

start_ours
start_mosquitto
echo "# ours: pid $OURS_PID port $OURS_PORT; mosquitto $("$MOSQUITTO" -h 2>&1 | head -1 | awk '{print $3}'): pid $MOSQ_PID port $MOSQ_PORT; $(nproc) cpus; $(date -u +%FT%TZ)"
echo "# raw output in $OUT"

SECTIONS="${BENCH_SECTIONS-fanin fanin_open fanout latency cli}"
n=0
for section in $SECTIONS; do
  n=$((n + 1))
  if [ $((n % 2)) = 1 ]; then order="ours mosquitto"; else order="mosquitto ours"; fi
  for who in $order; do
    if [ "$who" = ours ]; then port=$OURS_PORT; pid=$OURS_PID; else port=$MOSQ_PORT; pid=$MOSQ_PID; fi
    echo "# $section against $who" >&2
    MQTT_HOST=127.0.0.1 MQTT_PORT=$port MQTT_BROKER_PID=$pid BENCH_SECTIONS=$section \
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
    socks = [connect("%s-%d" % (prefix, i)) for i in range(count)]
    print("ready", flush=True)
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
  ( ulimit -n 4096; "$PY" "$OUT/memload.py" "$mode" "$port" "$count" "$prefix" < "$fifo" > "$log" 2>&1 ) &
  local helper=$!
  HOLD_PIDS="$HOLD_PIDS $helper"
  eval "exec $fd>\"\$fifo\""
  for _ in $(seq 1 600); do grep -q ready "$log" 2>/dev/null && break; kill -0 $helper 2>/dev/null || break; sleep 0.1; done
  grep -q ready "$log" || echo "# $mode: helper failed against $who: $(tail -2 "$log")" >&2
}
memory_row() { # memory_row LABEL MODE COUNT
  local label=$1 mode=$2 count=$3 who port pid before after next extra
  for who in ours mosquitto; do
    if [ "$who" = ours ]; then port=$OURS_PORT; pid=$OURS_PID; else port=$MOSQ_PORT; pid=$MOSQ_PID; fi
    HOLD_PIDS=""
    sleep 1; before="$(rss_kb "$pid")"
    hold_start 4 "$who" "$mode" "$port" "$count" first
    sleep 2; after="$(rss_kb "$pid")"
    extra=""
    if [ "$mode" = idle ]; then
      # A second thousand on top: what each further connection costs once the connection path has run (the first
      # thousand also pays one-time costs, such as .NET compiling that path, which are not per connection).
      hold_start 5 "$who" "$mode" "$port" "$count" next
      sleep 2; next="$(rss_kb "$pid")"
      { echo >&5; } 2>/dev/null; exec 5>&-
      extra=" rss_next_kb=$next next_per_item_bytes=$(( (next - after) * 1024 / count ))"
    fi
    # (the retained helper has already exited: nobody reads the release line)
    { echo >&4; } 2>/dev/null; exec 4>&-; wait $HOLD_PIDS 2>/dev/null
    echo "$who memory label=$label rss_before_kb=$before rss_after_kb=$after delta_kb=$((after - before)) per_item_bytes=$(( (after - before) * 1024 / count ))$extra" >> "$OUT/summary.txt"
  done
}
for extra in $BENCH_EXTRA; do
  restart_both   # fresh processes: the matrix above must not inflate the memory figures
  case "$extra" in
    idle) memory_row idle_1000 idle 1000 ;;
    retained) memory_row retained_100000 retained 100000 ;;
  esac
done

# ---------------------------------------------------------------- table
"$PY" - "$OUT/summary.txt" <<'PY'
import re, sys
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
print("%-44s %-22s %12s %12s %7s" % ("configuration", "figure", "ours", "mosquitto", "ratio"))
for key in order:
    r = rows[key]; o = r.get("ours", {}); m = r.get("mosquitto", {})
    figs = []
    if key.startswith("latency"):
        figs = ["p50_us_median", "p99_us_median", "broker_rss_max_kb", "broker_cpu_pct"]
    elif key.startswith("cli"):
        figs = ["pub_secs_median", "e2e_secs_median", "broker_rss_max_kb", "broker_cpu_pct"]
    elif key.startswith("memory"):
        figs = ["rss_before_kb", "rss_after_kb", "delta_kb", "per_item_bytes"] + (["next_per_item_bytes"] if "next_per_item_bytes" in o or "next_per_item_bytes" in m else [])
    else:
        figs = ["msgs_per_s_median", "lost_median", "broker_rss_max_kb", "broker_cpu_pct", "cpu_s_per_M"]
        for d in (o, m):
            c, t = num(d.get("broker_cpu_pct")), num(d.get("msgs_per_s_median"))
            d["cpu_s_per_M"] = (c / 100.0 * 1e6 / t) if c is not None and t else None
    for f in figs:
        a, b = o.get(f), m.get(f)
        a = a if isinstance(a, float) or a is None else num(a)
        b = b if isinstance(b, float) or b is None else num(b)
        print("%-44s %-22s %12s %12s %7s" % (key, f, fmt(a), fmt(b), ratio(a, b)))
    comp = [d.get("complete", "-") for d in (o, m)]
    if comp != ["-", "-"]: print("%-44s %-22s %12s %12s" % (key, "complete", comp[0], comp[1]))
PY
