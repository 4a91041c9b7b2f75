#!/usr/bin/env bash
# Installs what the tests need besides the .NET SDK: Debian's mosquitto (broker, clients, libmosquitto for the
# shared load generator), paho-mqtt for Python, openssl, and Mono's runtime (a .NET Framework 4.x runtime, on which
# tests/WindowsPowerShellParity.Tests.ps1 runs the engine as Windows PowerShell 5.1 would). PowerShell and Pester
# come through NuGet (run-all.sh). Needs root and apt-get; elsewhere it says what to install and fails.
set -uo pipefail
repository="$(cd "$(dirname "$0")/.." && pwd)"
packages=(mosquitto mosquitto-clients python3-paho-mqtt libmosquitto-dev openssl mono-runtime)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "The tests need these Debian packages: ${missing[*]} (run this script as root on Debian/Ubuntu)." >&2
    exit 1
  fi
  echo "== installing test dependencies: ${missing[*]}"
  apt-get update -qq || exit 1
  # Debian's package may start a system mosquitto on 1883; the tests use their own free ports, so it is left alone.
  # --no-install-recommends: Mono's runtime needs none of its recommendations (binfmt-support) here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
fi

# A netstandard2.0 assembly (MqttPS.Core.dll) needs the netstandard.dll facade, which mono-runtime lacks: Debian ships
# Mono's facades only in mono-devel (46 MB installed, with a C# compiler and ~30 libraries the tests do not use). Where
# mono-devel is not installed, the facades are taken from its package archive into out/mono-facades (23 MB download,
# a few seconds); the .NET SDK's own netstandard facade would not do: it forwards to assemblies Mono's runtime lacks.
facades="$repository/out/mono-facades"
if [ ! -f /usr/lib/mono/4.5/Facades/netstandard.dll ] && [ ! -f "$facades/netstandard.dll" ]; then
  echo "== taking Mono's netstandard facade from Debian's mono-devel package"
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  download() { (cd "$scratch" && apt-get download mono-devel >/dev/null 2>&1); }
  download || { apt-get update -qq && download; } || { echo "Could not download Debian's mono-devel package for Mono's netstandard facade." >&2; exit 1; }
  dpkg-deb --fsys-tarfile "$scratch"/mono-devel_*.deb | tar -x -C "$scratch" ./usr/lib/mono/4.5/Facades/ || exit 1
  mkdir -p "$facades" && cp "$scratch"/usr/lib/mono/4.5/Facades/*.dll "$facades"/ || exit 1
fi
