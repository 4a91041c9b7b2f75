#!/usr/bin/env bash
# Installs what the tests need besides the .NET SDK: Debian's mosquitto (broker, clients, libmosquitto for the
# shared load generator), paho-mqtt for Python, openssl. PowerShell and Pester come through NuGet (run-all.sh).
# Needs root and apt-get; elsewhere it says what to install and fails.
set -uo pipefail
packages=(mosquitto mosquitto-clients python3-paho-mqtt libmosquitto-dev openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "The tests need these Debian packages: ${missing[*]} (run this script as root on Debian/Ubuntu)." >&2
  exit 1
fi
echo "== installing test dependencies: ${missing[*]}"
apt-get update -qq || exit 1
# Debian's package may start a system mosquitto on 1883; the tests use their own free ports, so it is left alone.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || exit 1
