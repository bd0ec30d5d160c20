#!/usr/bin/env bash
# Builds the solution, starts the servers the integration tests need (eng/services.sh: installs the Debian packages
# if missing; no Docker), runs every test project, stops the servers it started, and prints one line:
# "N passed, N failed, N skipped".
# Usage: eng/test.sh [extra Microsoft.Testing.Platform options, e.g. --filter-class "*Cache*"]
#   HYDRATECACHE_KEEP_SERVICES=1   leave the servers running afterwards (faster reruns)
#   HYDRATECACHE_NO_SERVICES=1     do not start servers (use HYDRATECACHE_* endpoints you exported, e.g. docker compose)
#   HYDRATECACHE_NO_SMOKE=1        skip the package smoke test (eng/smoke-package.sh) that runs after the test projects
# Exit code: 0 when every test project ran and no test failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
config=${CONFIGURATION:-Release}
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "==> Building HydrateCache.Orleans.sln ($config)"
if ! dotnet build HydrateCache.Orleans.sln -c "$config" --nologo -v quiet -clp:ErrorsOnly; then
  echo "Build failed."
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 status=0
# The test projects are the solution's *.Tests projects.
projects=$(dotnet sln HydrateCache.Orleans.sln list | grep -E '^tests/.*\.Tests\.csproj$' | sort)
if [ -z "$projects" ]; then
  echo "No test projects found in HydrateCache.Orleans.sln."
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# The servers: one per transport test project in the solution; the Orleans tests run over all of them.
services=()
for candidate in redis:Redis nats:Nats postgres:Postgres kafka:Kafka; do
  if grep -q "HydrateCache.${candidate#*:}.Tests.csproj" <<<"$projects"; then
    services+=("${candidate%%:*}")
  fi
done

started=()
stop_services() {
  if [ "${#started[@]}" -gt 0 ] && [ "${HYDRATECACHE_KEEP_SERVICES:-0}" != "1" ]; then
    echo "==> Stopping servers: ${started[*]}"
    "$root/eng/services.sh" down "${started[@]}" >/dev/null || true
    started=()
  fi
}
trap stop_services EXIT

if [ "${#services[@]}" -gt 0 ] && [ "${HYDRATECACHE_NO_SERVICES:-0}" != "1" ]; then
  for service in "${services[@]}"; do
    if ! "$root/eng/services.sh" status 2>/dev/null | grep -qE "^$service +running"; then
      started+=("$service")
    fi
  done
  echo "==> Starting servers: ${services[*]}"
  if ! "$root/eng/services.sh" up "${services[@]}"; then
    echo "!! eng/services.sh could not start every server; integration tests will fail on CI and skip locally."
  fi
fi

for project in $projects; do
  name=$(basename "$project" .csproj)
  exe="tests/$name/bin/$config/net10.0/$name"
  echo "==> $name"
  log="$results/$name.log"
  # --ignore-exit-code 8: a filter that selects no test in one project is not a failure.
  "$exe" --results-directory "$results/$name" --ignore-exit-code 8 --progress off --no-ansi "$@" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  # Microsoft.Testing.Platform's summary: "  total: N", "  failed: N", "  succeeded: N", "  skipped: N".
  t_failed=$(awk '/^ *failed: [0-9]+/ {print $2}' "$log" | tail -n 1)
  t_passed=$(awk '/^ *succeeded: [0-9]+/ {print $2}' "$log" | tail -n 1)
  t_skipped=$(awk '/^ *skipped: [0-9]+/ {print $2}' "$log" | tail -n 1)
  if [ -z "$t_passed" ]; then
    echo "!! $name produced no test summary (exit code $code)"
    failed=$((failed + 1))
    status=1
    continue
  fi
  passed=$((passed + t_passed))
  failed=$((failed + ${t_failed:-0}))
  skipped=$((skipped + ${t_skipped:-0}))
  if [ "$code" -ne 0 ]; then
    status=1
  fi
done

# Package smoke test (eng/smoke-package.sh): packs the six packages and builds and runs a fresh app against them,
# outside the repository. Counts as one test; needs no server. HYDRATECACHE_NO_SMOKE=1 skips it.
if [ "${HYDRATECACHE_NO_SMOKE:-0}" = "1" ]; then
  echo "==> Package smoke test skipped (HYDRATECACHE_NO_SMOKE=1)"
  skipped=$((skipped + 1))
else
  echo "==> Package smoke test"
  if CONFIGURATION="$config" "$root/eng/smoke-package.sh" --no-build 2>&1 | tee "$results/smoke-package.log"; then
    passed=$((passed + 1))
  else
    echo "!! package smoke test failed (log: artifacts/test-results/smoke-package.log)"
    failed=$((failed + 1))
    status=1
  fi
fi

# A recap of every failed test (name, message and the top of its stack) right above the summary, so the tail of a long
# CI log names what failed. Microsoft.Testing.Platform prints a failure as "failed <name> (<duration>)" + details.
if [ "$failed" -ne 0 ]; then
  echo "==> Failed tests"
  for log in "$results"/*.log; do
    awk -v project="$(basename "$log" .log)" '
      /^failed / { shown = 0; print project ": " $0; inside = 1; next }
      inside && (/^(passed|skipped) / || /^Test run summary/) { inside = 0 }
      inside && shown < 30 { print "    " $0; shown++ }' "$log"
  done
fi

# Stop the servers before the summary, so the summary stays the last line.
stop_services
trap - EXIT
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ]; then
  status=1
fi
exit $status
