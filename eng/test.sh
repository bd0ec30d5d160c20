#!/usr/bin/env bash
# Builds the solution and runs every test project, then prints one line: "N passed, N failed, N skipped".
# Usage: eng/test.sh [extra Microsoft.Testing.Platform options, e.g. --filter-trait "TestArea=Cache"]
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

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ]; then
  status=1
fi
exit $status
