# Sourced by tests/bench-broker.sh, tests/bench-pipeline.sh and tests/bench-profile.sh: what they share. The caller
# sets ROOT (the repository), PY (python3) and die().

# The pinned PowerShell (.config/dotnet-tools.json): sets PWSH_VERSION and PWSH_DLL, the pwsh.dll the benchmarks run
# with `dotnet exec` so that the process measured is pwsh itself (the dotnet-tool launcher would run it as a child).
pinned_pwsh() {
  PWSH_VERSION="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tools"]["powershell"]["version"])' "$ROOT/.config/dotnet-tools.json")"
  PWSH_DLL="${NUGET_PACKAGES:-$HOME/.nuget/packages}/powershell/$PWSH_VERSION/tools/net10.0/any/unix/pwsh.dll"
}

# Restores the pinned PowerShell when it is not there yet (pinned_pwsh first).
require_pinned_pwsh() {
  [ -f "$PWSH_DLL" ] || (cd "$ROOT" && dotnet tool restore >/dev/null) || die "cannot restore the pinned PowerShell"
  [ -f "$PWSH_DLL" ] || die "missing $PWSH_DLL (dotnet tool restore)"
}

# A loopback port nobody listens on now.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# write_sensor_lines FILE N: N lines of a sensor log, the same for every run (seeded).
write_sensor_lines() {
  "$PY" - "$1" "$2" <<'PY'
import sys, random
random.seed(13)
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write("%06d room%d temp=%.2f hum=%.1f\n" % (i, i % 16, 18 + random.random() * 10, 30 + random.random() * 40))
PY
}
