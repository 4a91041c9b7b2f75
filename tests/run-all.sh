#!/usr/bin/env bash
# The README's test command: every test of the project, on a machine with the .NET SDK (and, for the peers, root
# with apt-get): the xunit projects of MqttPS.sln, then the Pester suite (tests/*.Tests.ps1, incl. the examples) in
# the pinned PowerShell 7.6.10 (.config/dotnet-tools.json) with Pester 5.7.1 from NuGet. Prints one summary line
# over everything and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tests/install-dependencies.sh || exit 1
dotnet tool restore >/dev/null || { echo "dotnet tool restore failed"; exit 1; }
dotnet restore tests/PesterRestore >/dev/null || { echo "restoring Pester failed"; exit 1; }

mkdir -p out/TestResults
xunit_log=out/TestResults/xunit.log
echo "== dotnet test MqttPS.sln -c Release"
dotnet test MqttPS.sln -c Release 2>&1 | tee "$xunit_log"
xunit_status=${PIPESTATUS[0]}
# dotnet test prints one line per project: "Passed!  - Failed: 0, Passed: 1223, Skipped: 0, Total: ..."
read -r xp xf xs < <(awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ { f+=$2; p+=$4; s+=$6 } END { printf "%d %d %d\n", p, f, s }' "$xunit_log")
# A build error or a crashed test host prints no such line but fails the command: count it as a failure.
[ "$xunit_status" -ne 0 ] && [ "$xf" -eq 0 ] && xf=1

pester_log=out/TestResults/pester.log
echo "== Pester suite (tests/*.Tests.ps1) in PowerShell $(dotnet pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')"
dotnet pwsh -NoProfile -NonInteractive -File tests/Invoke-PesterSuite.ps1 2>&1 | tee "$pester_log"
pester_status=${PIPESTATUS[0]}
read -r pp pf ps < <(awk '/^pester: / { print $2, $4, $6 }' "$pester_log" | tail -1)
pp=${pp:-0}; pf=${pf:-0}; ps=${ps:-0}
[ "$pester_status" -ne 0 ] && [ "$pf" -eq 0 ] && pf=1

echo "tests: $((xp + pp)) passed, $((xf + pf)) failed, $((xs + ps)) skipped (xunit: $xp passed, $xf failed; pester: $pp passed, $pf failed)"
[ "$((xf + pf))" -eq 0 ]
