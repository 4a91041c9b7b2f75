#!/usr/bin/env bash
# Where the CPU time goes, sampled with Linux perf (real CPU samples of every thread, .NET's compiled code named
# through its perf map), in two runs users make:
#
#   broker    Start-MqttBroker in the pinned pwsh (tests/bench/Start-PwshBenchBroker.ps1) under the bench's fan-in
#             QoS 1 64 B row (4 publishers x 50,000 messages, closed loop, -B 256, MQTT 3.1.1, from the shared
#             mqttload): one run to warm up, then 3 runs sampled. Prints messages/s, the broker's CPU per message
#             and how that CPU splits into kinds of work.
#   pipeline  `Get-Content sensors.log | Publish-MqttMessage -Topic t -QoS 1` (100,000 lines) in a fresh pwsh
#             against a mosquitto started here: the whole pwsh process sampled, start-up included.
#
#   tests/bench-profile.sh broker                                   # the module in out/MqttPS
#   tests/bench-profile.sh broker /elsewhere/out/MqttPS/MqttPS.psd1 # another build (e.g. an older commit's)
#   PROFILE_QOS=0 tests/bench-profile.sh pipeline
#
# The categories are by symbol: the scheduler's work (threads going to sleep, being woken, yielding), the kernel's
# TCP/IP and system calls, MqttPS's own compiled code, PowerShell's, .NET's compiler (on the threads that run the
# code, and the tier-1 background thread that recompiles hot methods), the runtime itself (libcoreclr: garbage
# collection, type loading, stubs). With DOTNET_PerfMapEnabled=1 and W^X off, as perf needs to name compiled code,
# the process runs a little differently from a user's; compare runs made the same way.
# Environment: PROFILE_QOS (pipeline: 0 or 1, default 1), PROFILE_LINES (pipeline, default 100000), BENCH_OUT (raw
# output, default a temp dir), MQTTPS_SHARED (as tests/bench-broker.sh). Needs: perf (Debian's linux-perf), dotnet
# (the pinned pwsh: dotnet tool restore), python3; mosquitto for the pipeline; the shared mqttload for the broker.
set -u
die() { echo "bench-profile: $*" >&2; exit 2; }

MODE="${1:-}"
case "$MODE" in broker|pipeline) ;; *) die "usage: tests/bench-profile.sh broker|pipeline [module.psd1]" ;; esac
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODULE="${2:-$ROOT/out/MqttPS/MqttPS.psd1}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/bench-profile.XXXXXX)}"
mkdir -p "$OUT"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
. "$ROOT/tests/bench/bench-common.sh"
command -v perf >/dev/null || die "perf not found (Debian: apt-get install linux-perf)"

if [ -z "${2:-}" ]; then
  echo "# building src/MqttPS (Release)" >&2
  dotnet build -c Release "$ROOT/src/MqttPS/MqttPS.csproj" -v q -nologo >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "build failed"; }
fi
[ -f "$MODULE" ] || die "missing $MODULE"
pinned_pwsh
require_pinned_pwsh
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$MODE" = broker ]; then
  SHARED="${MQTTPS_SHARED:-$ROOT/../shared}"
  MQTTLOAD="${MQTTLOAD:-$SHARED/bench/mqttload}"
  [ -x "$MQTTLOAD" ] || make -s -C "$SHARED/bench" mqttload >&2 || die "no mqttload (set MQTTPS_SHARED or MQTTLOAD)"
  PORT="$(free_port)"
  dotnet exec "$PWSH_DLL" -NoProfile -NonInteractive -File "$ROOT/tests/bench/Start-PwshBenchBroker.ps1" -Port "$PORT" -ModulePath "$MODULE" >"$OUT/broker.out" 2>"$OUT/broker.err" &
  BROKER=$!; PIDS="$BROKER"
  for _ in $(seq 1 300); do [ -s "$OUT/broker.out" ] && break; sleep 0.1; done
  [ -s "$OUT/broker.out" ] || die "the broker did not start: $(cat "$OUT/broker.err")"
  load() { "$MQTTLOAD" -m fanin -h 127.0.0.1 -p "$PORT" -P 4 -n 50000 -s 64 -q 1 -B 256 -V 311 -T 60; }
  load > "$OUT/warmup.txt"
  sleep 1
  c0="$(cpu_ticks "$BROKER")"
  perf record -F 2999 -g -p "$BROKER" -o "$OUT/perf.data" -- sleep 120 >"$OUT/perf.log" 2>&1 &
  RECORDER=$!
  sleep 0.5
  for _ in 1 2 3; do load; done > "$OUT/runs.txt"
  c1="$(cpu_ticks "$BROKER")"
  kill -INT "$RECORDER"; wait "$RECORDER" 2>/dev/null
  grep -q "complete=1" "$OUT/runs.txt" || die "the load runs did not complete: $(head -3 "$OUT/runs.txt")"
  MESSAGES=600000
  TITLE="Start-MqttBroker in pwsh $PWSH_VERSION, fan-in 4->1 QoS 1 64 B, 3 x 200,000 messages: $(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' "$OUT/runs.txt" | sort -g | sed -n 2p) msg/s (median)"
else
  MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
  [ -x "$MOSQUITTO" ] || die "mosquitto not found"
  LINES="${PROFILE_LINES:-100000}"; QOS="${PROFILE_QOS:-1}"
  PORT="$(free_port)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$PORT" > "$OUT/mosquitto.conf"
  "$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
  PIDS="$!"
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  write_sensor_lines "$OUT/sensors.log" "$LINES"
  perf record -F 2999 -g -o "$OUT/perf.data" -- dotnet exec "$PWSH_DLL" -NoProfile -NonInteractive -Command "Import-Module '$MODULE'; \$c = Connect-Mqtt -Broker 127.0.0.1 -Port $PORT; \$w = [Diagnostics.Stopwatch]::StartNew(); Get-Content '$OUT/sensors.log' | Publish-MqttMessage -Topic sensors/raw -QoS $QOS -Connection \$c; 'pipeline_ms=' + \$w.ElapsedMilliseconds; Disconnect-Mqtt -Connection \$c" >"$OUT/pwsh.out" 2>"$OUT/perf.log" || die "the pipeline failed: $(tail -3 "$OUT/pwsh.out")"
  MESSAGES=""
  TITLE="fresh pwsh $PWSH_VERSION: Get-Content ($LINES lines) | Publish-MqttMessage -QoS $QOS, whole process: $(sed -n 's/^pipeline_ms=//p' "$OUT/pwsh.out") ms in the pipeline"
fi

perf report -i "$OUT/perf.data" --stdio -n --no-children --sort comm,dso,sym -g none >"$OUT/report.txt" 2>/dev/null || die "perf report failed"
echo "# $TITLE"
echo "# raw output in $OUT"
"$PY" - "$OUT/report.txt" "${MESSAGES:-0}" "${c0:-0}" "${c1:-0}" <<'PY'
import collections, re, sys, os
report, messages, c0, c1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
kinds, threads = collections.Counter(), collections.Counter()
# With -n each line carries its sample count: percentages are rounded to 0.00% for the many addresses in code
# without symbols (the compiler's), which together are a large share.
line_re = re.compile(r"\s+[0-9.]+%\s+(\d+)\s+(.{15})\s+(\S+(?: \S+)*?)\s+\[(.)\]\s+(.*)")
sched = re.compile(r"finish_task_switch|__schedule|\bschedule\b|sched_yield|futex|pick_next|switch_to|try_to_wake|ttwu|enqueue_task|dequeue_task|update_curr|update_load|native_write_msr|_raw_spin_unlock_irq")
for line in open(report):
    m = line_re.match(line)
    if not m: continue
    samples, comm, dso, sym = int(m.group(1)), m.group(2).strip(), m.group(3), m.group(5)
    threads[re.sub(r"\s+\d+$", "", comm)] += samples
    if comm.startswith(".NET Tiered"): k = ".NET compiler: tier-1 background recompilation"
    elif "libclrjit" in dso: k = ".NET compiler: first compilations, on the threads that run the code"
    elif sched.search(sym): k = "scheduler: threads sleeping, waking, yielding"
    elif "clock_gettime" in sym or "read_tsc" in sym: k = "clock reads"
    elif "[MqttPS" in sym: k = "MqttPS code"
    elif re.search(r"\[(System\.Management\.Automation|Microsoft\.PowerShell)", sym): k = "PowerShell code"
    elif dso.startswith("[kernel"): k = "kernel: TCP/IP, files, other system calls"
    elif re.search(r"System\.Threading|ThreadPool|LowLevel", sym): k = ".NET thread pool, tasks, locks"
    elif "libcoreclr" in dso: k = ".NET runtime (GC, type loading, stubs)"
    elif dso.startswith("[JIT]") or dso.endswith(".dll"): k = ".NET libraries"
    elif re.match(r"(libc|ld-linux)", os.path.basename(dso)): k = "libc"
    else: k = "other"
    kinds[k] += samples
total = sum(kinds.values()) or 1
per = (c1 - c0) * 1e6 / os.sysconf("SC_CLK_TCK") / messages if messages else None
if per: print("CPU per message: %.2f us (the broker process, all threads)" % per)
print("%-70s %7s%s" % ("kind of work", "share", "   us/msg" if per else ""))
for k, v in kinds.most_common():
    print("%-70s %6.1f%%%s" % (k, v * 100 / total, "   %6.2f" % (per * v / total) if per else ""))
print("threads: " + ", ".join("%s %.0f%%" % (t, v * 100 / total) for t, v in threads.most_common(6)))
PY
