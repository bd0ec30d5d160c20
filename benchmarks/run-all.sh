#!/usr/bin/env bash
# Reproduces every performance table of issue 9 in one command: starts Redis, NATS and PostgreSQL with eng/services.sh,
# builds Release, runs the end-to-end harness (latency, throughput, read-heavy; each case repeated, median and spread),
# the BenchmarkDotNet micro benchmarks, draws the plots, and writes everything with the machine's facts to one folder.
#
# Usage: benchmarks/run-all.sh [--smoke] [--repeat N] [--out DIR] [--only e2e|micro] [-- extra harness options]
#   --smoke    tiny parameters (about 2-4 minutes on an idle machine): checks that every piece works end to end; its
#              numbers mean nothing. Output defaults to ${TMPDIR:-/tmp}/hydratecache-bench-smoke (not the repository).
#   --repeat   runs per case of the harness (default 3)
#   --out      output folder (default benchmarks/results/<UTC date>)
#   --only     run only the harness (e2e) or only BenchmarkDotNet (micro)
# Run it on a quiet machine: every number is compared with a baseline measured in the same run, but a loaded machine
# widens every spread (the load average is logged with each run and in machine.md).
#
# Output (DIR): README.md (everything below in one page), machine.md, latency.md/-runs.csv/-cdf.csv/-cdf.png,
# throughput.md/-runs.csv, readheavy.md/-runs.csv/-cdf.csv/-cdf.png, micro.md + micro/ (BenchmarkDotNet artifacts),
# *.log (each step's full output, progress lines included).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

smoke=0
repeat=3
out=""
only=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --repeat) repeat=$2; shift ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$out" ]; then
  if [ $smoke = 1 ]; then out="${TMPDIR:-/tmp}/hydratecache-bench-smoke"; else out="$root/benchmarks/results/$(date -u +%Y-%m-%d)"; fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Servers: start those that are not running, and stop (only) those on exit.
services=(redis nats postgres)
started=()
before=$(eng/services.sh status)   # not piped into grep -q: with pipefail, its early exit would read as "not running"
for svc in "${services[@]}"; do
  if ! grep -q "^$svc .*running" <<<"$before"; then started+=("$svc"); fi
done
cleanup() { if [ ${#started[@]} -gt 0 ]; then eng/services.sh down "${started[@]}" >/dev/null || true; fi; }
trap cleanup EXIT
eng/services.sh up "${services[@]}"
eval "$(eng/services.sh env --shell)"

echo "==> Building (Release)"
for project in HydrateCache.Propagation HydrateCache.Plots HydrateCache.Benchmarks; do
  dotnet build -c Release --nologo -v q "benchmarks/$project" >"$out/build-$project.log" 2>&1 || { tail -30 "$out/build-$project.log"; exit 1; }
done
harness=(dotnet benchmarks/HydrateCache.Propagation/bin/Release/net10.0/HydrateCache.Propagation.dll)
plots=(dotnet benchmarks/HydrateCache.Plots/bin/Release/net10.0/HydrateCache.Plots.dll)

machine_facts() {
  echo "## Machine"
  echo
  echo "- when: $(date -u '+%Y-%m-%d %H:%M UTC'); load average (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src benchmarks samples ':(exclude)benchmarks/results' || echo ' (with uncommitted changes)')"
  echo "- CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo n/a)"
  echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo n/a); OS: $(uname -sr)"
  echo "- .NET SDK $(dotnet --version); runtime $(dotnet --list-runtimes | grep -m1 'Microsoft.NETCore.App' | cut -d' ' -f2)"
  echo "- servers (eng/services.sh, 127.0.0.1): $(redis-server --version | cut -d' ' -f1-3); nats-server $(nats-server --version 2>&1 | grep -o 'v[0-9][0-9.]*'); $(/usr/lib/postgresql/15/bin/postgres --version)"
  echo "- harness options: repeat $repeat${extra[*]:+, extra: ${extra[*]}}$([ $smoke = 1 ] && echo ', SMOKE parameters (numbers mean nothing)')"
}

if [ $smoke = 1 ]; then
  latency=(--messages 200)
  throughput=(--rates 500,0 --step-s 1 --max-messages 2000)
  readheavy=(--keys 500 --ops 500 --warmup-s 1 --measure-s 2)
  micro=(--job Dry --inProcess)
  [ "$repeat" = 3 ] && repeat=1
else
  latency=()
  throughput=()
  readheavy=()
  micro=()
fi
machine_facts >"$out/machine.md"

status=0
if [ "$only" != micro ]; then
  for mode in latency throughput readheavy; do
    echo "==> Harness: $mode (repeat $repeat) — progress in $out/$mode.log"
    declare -n mode_options=$mode
    "${harness[@]}" --mode "$mode" --repeat "$repeat" --out "$out" "${mode_options[@]}" "${extra[@]}" >"$out/$mode.log" 2>&1 || status=1
    [ -f "$out/$mode.md" ] && cat "$out/$mode.md"
  done
  echo "==> Plots"
  "${plots[@]}" "$out" latency readheavy || status=1
fi

if [ "$only" != e2e ]; then
  echo "==> BenchmarkDotNet (micro) — progress in $out/micro.log"
  dotnet benchmarks/HydrateCache.Benchmarks/bin/Release/net10.0/HydrateCache.Benchmarks.dll \
    --filter '*' --artifacts "$out/micro" "${micro[@]}" >"$out/micro.log" 2>&1 || status=1
  {
    echo "## Micro benchmarks (BenchmarkDotNet)"
    echo
    for report in "$out"/micro/results/*-report-github.md; do
      [ -f "$report" ] || continue
      echo "### $(basename "$report" -report-github.md | sed 's/^HydrateCache\.Benchmarks\.//')"
      echo
      sed -n '/^|/,$p' "$report"
      echo
    done
  } >"$out/micro.md"
fi

{
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)" >>"$out/machine.md"
  echo "# Performance results"
  echo
  echo "Reproduce: \`benchmarks/run-all.sh --repeat $repeat\` (benchmarks/README.md explains every table)."
  echo
  cat "$out/machine.md"
  for part in latency throughput readheavy micro; do
    [ -f "$out/$part.md" ] && { echo; cat "$out/$part.md"; }
    [ -f "$out/$part-cdf.png" ] && { echo; echo "![$part CDF]($part-cdf.png)"; }
  done
} >"$out/README.md"
echo "==> Wrote $out/README.md (status $status)"
exit $status
