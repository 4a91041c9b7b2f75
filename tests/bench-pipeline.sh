#!/usr/bin/env bash
# The cmdlets in a pipeline, side by side with mosquitto's command-line clients, against one mosquitto started here on
# a free loopback port (so the broker is the same for both and is not ours):
#
#   publish   `Get-Content sensors.log | Publish-MqttMessage -Topic sensors/raw -QoS q` in a fresh pwsh per run, vs
#             `mosquitto_pub -l -q q < sensors.log`: the time from starting the publisher until a mosquitto_sub
#             (subscribed beforehand) has received every line. Reported with PowerShell's start-up (e2e_secs: process
#             start, Import-Module, connect) and without it (pipeline_secs: from the moment before Get-Content starts).
#             `mosquitto_pub -l -q 1` disconnects at the end of its input without waiting for its in-flight messages to
#             be acknowledged (it loses most of them and still exits 0), so its standard input is held open until the
#             subscriber has everything; its connect is part of pipeline_secs too (it has no separate start-up).
#   subscribe `Register-MqttSubscription -Topic t -QoS q -Count N | Measure-Object` vs `mosquitto_sub -C N -q q >
#             /dev/null`: each subscriber is started, its SUBSCRIBE seen in the broker's log, then one mosquitto_pub -l
#             publishes N lines at that QoS (Register-MqttSubscription with -OverflowPolicy Backpressure, so that
#             QoS 0 messages wait at the broker rather than being dropped); msgs_per_s = N / (time from the publisher's start until the subscriber
#             exits with N messages).
#
#   tests/bench-pipeline.sh                       # 100,000 lines, QoS 0 and 1, 3 repeats, medians
#   PIPE_LINES=20000 PIPE_REPEATS=1 tests/bench-pipeline.sh     # a quick look
#
# Environment: PIPE_LINES (default 100000), PIPE_REPEATS (3), PIPE_QOS ("0 1"), PIPE_SECTIONS ("publish subscribe"),
# PIPE_TIMEOUT (seconds per run, default 120), BENCH_OUT (raw output; default a temp dir).
# Needs: dotnet (the pinned pwsh: dotnet tool restore), mosquitto, mosquitto-clients, python3; builds src/MqttPS.
set -u
die() { echo "bench-pipeline: $*" >&2; exit 2; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LINES="${PIPE_LINES:-100000}"
REPEATS="${PIPE_REPEATS:-3}"
QOS_LIST="${PIPE_QOS:-0 1}"
SECTIONS="${PIPE_SECTIONS:-publish subscribe}"
TIMEOUT="${PIPE_TIMEOUT:-120}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/bench-pipeline.XXXXXX)}"
mkdir -p "$OUT"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
. "$ROOT/tests/bench/bench-common.sh"
MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
[ -x "$MOSQUITTO" ] || die "mosquitto not found"
command -v mosquitto_pub >/dev/null && command -v mosquitto_sub >/dev/null || die "mosquitto-clients not found"

echo "# building src/MqttPS (Release)" >&2
dotnet build -c Release "$ROOT/src/MqttPS/MqttPS.csproj" -v q -nologo >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "build failed"; }
MODULE="$ROOT/out/MqttPS/MqttPS.psd1"
pinned_pwsh
require_pinned_pwsh
pwsh() { dotnet exec "$PWSH_DLL" -NoProfile -NonInteractive "$@"; }

# ---------------------------------------------------------------- broker and data
PORT="$(free_port)"
# Its log (SUBSCRIBEs only) goes to standard output: mosquitto started as root writes files as its own user.
printf 'listener %s 127.0.0.1\nallow_anonymous true\nlog_dest stdout\nlog_type subscribe\nmax_queued_messages 0\n' "$PORT" > "$OUT/mosquitto.conf"
stdbuf -oL "$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &  # line-buffered, so a SUBSCRIBE is seen at once
BROKER=$!
cleanup() { kill "$BROKER" 2>/dev/null; [ -n "${HELD:-}" ] && kill "$HELD" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

DATA="$OUT/sensors.log"
write_sensor_lines "$DATA" "$LINES"
echo "# mosquitto $("$MOSQUITTO" -h 2>&1 | head -1 | awk '{print $3}') pid $BROKER port $PORT; pwsh $PWSH_VERSION; $LINES lines; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
echo "# raw output in $OUT"

now() { date +%s.%N; }
elapsed() { "$PY" -c "print('%.3f' % ($2 - $1))"; }
# wait_subscribed TOPIC: until mosquitto has logged a SUBSCRIBE to TOPIC (bounded)
wait_subscribed() {
  for _ in $(seq 1 300); do grep -qF " $1" "$OUT/mosquitto.log" 2>/dev/null && return 0; sleep 0.05; done
  echo "# no SUBSCRIBE to $1 seen" >&2; return 1
}
# wait_exit PID: bounded wait for a process of ours; 0 if it exited, 1 on timeout (then it is killed)
wait_exit() {
  local pid=$1 deadline=$(( $(date +%s) + TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -ge "$deadline" ] && { kill "$pid" 2>/dev/null; return 1; }
    sleep 0.01
  done
  return 0
}

# ---------------------------------------------------------------- publish
# publish_run WHO QOS RUN: prints "e2e pipeline received"
publish_run() {
  local who=$1 qos=$2 run=$3 topic="sensors/raw/$1/$2/$3" count="$OUT/pub.$1.$2.$3.count" mark="$OUT/pub.$1.$2.$3.mark"
  rm -f "$mark"
  timeout "$TIMEOUT" mosquitto_sub -p "$PORT" -i "pipe-count-$$-$who-$qos-$run" -t "$topic" -q "$qos" -C "$LINES" > "$count.raw" &
  local sub=$!
  wait_subscribed "$topic" || return
  local t0 t1 pub
  t0=$(now)
  if [ "$who" = pwsh ]; then
    pwsh -Command "Import-Module '$MODULE'; \$c = Connect-Mqtt -Broker 127.0.0.1 -Port $PORT; [IO.File]::WriteAllText('$mark', [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()); Get-Content '$DATA' | Publish-MqttMessage -Topic '$topic' -QoS $qos -Connection \$c; Disconnect-Mqtt -Connection \$c" > "$OUT/pub.$who.$qos.$run.log" 2>&1 &
    pub=$!
  else
    # Held open until the subscriber has everything (see the header); for QoS 0 too, so both run the same way.
    { cat "$DATA"; while kill -0 "$sub" 2>/dev/null; do sleep 0.01; done; } | mosquitto_pub -p "$PORT" -i "pipe-pub-$$-$who-$qos-$run" -t "$topic" -q "$qos" -l > "$OUT/pub.$who.$qos.$run.log" 2>&1 &
    pub=$!
    "$PY" -c 'import time; print(int(time.time()*1000))' > "$mark"
  fi
  wait_exit "$sub"
  t1=$(now)
  wait_exit "$pub"
  local got; got=$(wc -l < "$count.raw")
  local start_ms; start_ms=$(cat "$mark" 2>/dev/null || echo 0)
  echo "$(elapsed "$t0" "$t1") $("$PY" -c "print('%.3f' % ($t1 - $start_ms / 1000.0))") $got"
}

# ---------------------------------------------------------------- subscribe
# subscribe_run WHO QOS RUN: prints "secs received"
subscribe_run() {
  local who=$1 qos=$2 run=$3 topic="sensors/sub/$1/$2/$3" log="$OUT/sub.$1.$2.$3.log"
  if [ "$who" = pwsh ]; then
    # -OverflowPolicy Backpressure: at QoS 0 the default (DropOldest) drops what the pipeline falls behind on, and a
    # count of every message would never be reached; mosquitto_sub, reading at its own pace, loses nothing either.
    timeout "$TIMEOUT" dotnet exec "$PWSH_DLL" -NoProfile -NonInteractive -Command "Import-Module '$MODULE'; (Register-MqttSubscription -Broker 127.0.0.1 -Port $PORT -Topic '$topic' -QoS $qos -OverflowPolicy Backpressure -Count $LINES | Measure-Object).Count" > "$log" 2>&1 &
  else
    { timeout "$TIMEOUT" mosquitto_sub -p "$PORT" -i "pipe-sub-$$-$qos-$run" -t "$topic" -q "$qos" -C "$LINES" > /dev/null; echo "exit $?"; } > "$log" 2>&1 &
  fi
  local sub=$!
  wait_subscribed "$topic" || return
  local t0 t1
  t0=$(now)
  { cat "$DATA"; while kill -0 "$sub" 2>/dev/null; do sleep 0.01; done; } | mosquitto_pub -p "$PORT" -i "pipe-feed-$$-$who-$qos-$run" -t "$topic" -q "$qos" -l > /dev/null 2>&1 &
  local pub=$!
  wait_exit "$sub"
  t1=$(now)
  wait_exit "$pub"
  local got
  if [ "$who" = pwsh ]; then got=$(grep -E '^[0-9]+$' "$log" | tail -1); else got=$([ "$(cat "$log")" = "exit 0" ] && echo "$LINES" || echo 0); fi
  echo "$(elapsed "$t0" "$t1") ${got:-0}"
}

# ---------------------------------------------------------------- runs (alternating), medians
for section in $SECTIONS; do
  for qos in $QOS_LIST; do
    for run in $(seq 1 "$REPEATS"); do
      for who in pwsh mosquitto; do
        case "$section" in
          publish) echo "RUN publish who=$who qos=$qos run=$run $(publish_run "$who" "$qos" "$run" | awk '{print "e2e_secs="$1" pipeline_secs="$2" received="$3}')" ;;
          subscribe) echo "RUN subscribe who=$who qos=$qos run=$run $(subscribe_run "$who" "$qos" "$run" | awk '{print "secs="$1" received="$2}')" ;;
        esac
      done
    done
  done
done | tee "$OUT/runs.txt"

"$PY" - "$OUT/runs.txt" "$LINES" <<'PY'
import re, statistics, sys
lines = int(sys.argv[2])
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("RUN "): continue
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    runs.setdefault((line.split()[1], kv["qos"], kv["who"]), []).append(kv)
def med(xs):
    xs = [float(x) for x in xs if x not in ("", None)]
    return statistics.median(xs) if xs else float("nan")
print("%-10s %-4s %-10s %12s %14s %12s %10s" % ("section", "qos", "who", "e2e_secs", "pipeline_secs", "msgs_per_s", "complete"))
table = {}
for (section, qos, who), rs in sorted(runs.items()):
    complete = sum(1 for r in rs if r.get("received") == str(lines))
    if section == "publish":
        e2e, pipe = med(r.get("e2e_secs") for r in rs), med(r.get("pipeline_secs") for r in rs)
        table[(section, qos, who)] = (e2e, pipe)
        print("%-10s %-4s %-10s %12.3f %14.3f %12s %7d/%d" % (section, qos, who, e2e, pipe, "-", complete, len(rs)))
    else:
        secs = med(r.get("secs") for r in rs)
        table[(section, qos, who)] = (secs,)
        print("%-10s %-4s %-10s %12s %14s %12.0f %7d/%d" % (section, qos, who, "-", "-", lines / secs if secs else 0, complete, len(rs)))
for (section, qos, who), v in sorted(table.items()):
    if who != "pwsh": continue
    m = table.get((section, qos, "mosquitto"))
    if not m: continue
    if section == "publish":
        print("RATIO publish qos=%s pwsh/mosquitto_pub e2e=%.2f pipeline=%.2f" % (qos, v[0] / m[0], v[1] / m[1]))
    else:
        print("RATIO subscribe qos=%s pwsh/mosquitto_sub msgs_per_s=%.2f" % (qos, m[0] / v[0]))
PY
