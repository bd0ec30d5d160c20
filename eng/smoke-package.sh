#!/usr/bin/env bash
# Package smoke test: what a user gets from `dotnet add package`.
#  1. Packs the solution's src/ projects into a local folder feed, artifacts/smoke/feed, with a version of this run's
#     own (0.1.0-smoke.<utc time>.<pid>), so no copy left in a NuGet cache by an earlier run can stand in for them,
#     and checks that each of the six packages has its README, XML docs, license, repository and a .snupkg with the PDB.
#  2. Copies the consumer app eng/smoke/ to a temporary directory outside the repository (none of the repository's
#     props apply), gives it a nuget.config that takes HydrateCache* only from that feed (packageSourceMapping) and
#     everything else from this machine's NuGet sources, builds it (warnings are errors) and runs it: a silo with
#     AddHydrateCacheStreams, a grain publishes through IHydratePublisher<T>, the value is read back through
#     ILocalHydratedCache<T>. The app references HydrateCache.Redis too (restored and compiled, no server needed).
#  3. Removes the temporary app and this run's packages from the NuGet global packages folder.
# Usage: eng/smoke-package.sh [--no-build]
#   --no-build   the solution is already built in $CONFIGURATION (as eng/test.sh does before calling this)
#   CONFIGURATION  Release (default) or Debug
# Exit code: 0 when every check passed; otherwise non-zero, and the last line is "SMOKE FAIL: <reason>".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
config=${CONFIGURATION:-Release}
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: eng/smoke-package.sh [--no-build]" >&2; exit 2 ;;
  esac
done

expected=(HydrateCache HydrateCache.Orleans HydrateCache.Redis HydrateCache.Nats HydrateCache.Postgres HydrateCache.Kafka)
suffix="smoke.$(date -u +%Y%m%d%H%M%S).$$"
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)-$suffix"
orleans_version=$(sed -n 's:.*<OrleansVersion>\(.*\)</OrleansVersion>.*:\1:p' Directory.Packages.props)
hosting_version=$(sed -n 's:.*<PackageVersion Include="Microsoft.Extensions.Hosting" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)
work="$root/artifacts/smoke"
feed="$work/feed"
app=""
global_packages=""
started=$SECONDS

fail() {
  trap - ERR
  if [ -n "$app" ] && [ -d "$app" ]; then
    echo "(consumer app kept for inspection: $app)"
  fi
  echo "SMOKE FAIL: $*"
  exit 1
}

cleanup() {
  if [ "$?" -eq 0 ] && [ -n "$app" ]; then
    rm -rf "$app"
  fi
  # This run's unique versions are never needed again.
  if [ -n "$global_packages" ]; then
    for id in "${expected[@]}"; do
      rm -rf "${global_packages:?}/${id,,}/$version"
      rmdir --ignore-fail-on-non-empty "$global_packages/${id,,}" 2>/dev/null || true
    done
  fi
}
trap cleanup EXIT
trap 'fail "unexpected error (line $LINENO)"' ERR

[ -n "$orleans_version" ] && [ -n "$hosting_version" ] ||
  fail "could not read OrleansVersion / Microsoft.Extensions.Hosting from Directory.Packages.props"

echo "--> Packing the src/ projects as $version into ${feed#"$root"/}"
rm -rf "$work"
mkdir -p "$feed"
mapfile -t projects < <(dotnet sln HydrateCache.Orleans.sln list | grep -E '^src/.*\.csproj$' | sort)
[ "${#projects[@]}" -gt 0 ] || fail "no src/ projects in HydrateCache.Orleans.sln"
# A solution filter with just the packable projects: one pack call, and tests/samples are not rebuilt.
{
  printf '{ "solution": { "path": "%s", "projects": [' "$root/HydrateCache.Orleans.sln"
  sep=""
  for project in "${projects[@]}"; do printf '%s "%s"' "$sep" "$project"; sep=","; done
  printf ' ] } }\n'
} >"$work/packages.slnf"
if [ "$build" -eq 1 ]; then
  dotnet build "$work/packages.slnf" -c "$config" --nologo -v quiet -clp:'ErrorsOnly;NoSummary' || fail "build of the src/ projects failed"
fi
# --no-build: the packages hold exactly the assemblies that were built and tested; only the package version differs.
dotnet pack "$work/packages.slnf" -c "$config" --no-build --nologo -v quiet -clp:'ErrorsOnly;NoSummary' -o "$feed" \
  -p:VersionSuffix="$suffix" || fail "dotnet pack failed"

for id in "${expected[@]}"; do
  nupkg="$feed/$id.$version.nupkg"
  snupkg="$feed/$id.$version.snupkg"
  [ -f "$nupkg" ] || fail "$id: $(basename "$nupkg") was not produced"
  [ -f "$snupkg" ] || fail "$id: $(basename "$snupkg") was not produced"
  files=$(unzip -Z1 "$nupkg")
  for entry in README.md "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -qxF "$entry" <<<"$files" || fail "$id: $entry is missing from the .nupkg"
  done
  grep -qxF "lib/net10.0/$id.pdb" <<<"$(unzip -Z1 "$snupkg")" || fail "$id: lib/net10.0/$id.pdb is missing from the .snupkg"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  for needle in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<repository type="git" url="https://' '<tags>'; do
    grep -qF "$needle" <<<"$nuspec" || fail "$id: the nuspec lacks $needle"
  done
done
count=$(find "$feed" -name '*.nupkg' | wc -l)
[ "$count" -eq "${#expected[@]}" ] || fail "expected ${#expected[@]} packages, the feed has $count: $(ls "$feed")"
echo "    ${#expected[@]} .nupkg + ${#expected[@]} .snupkg, each with README, XML docs, PDB, license and repository"

app=$(mktemp -d "${TMPDIR:-/tmp}/hydratecache-smoke.XXXXXX")
case "$app/" in "$root"/*) fail "the temporary directory $app is inside the repository" ;; esac
echo "--> Consumer app in $app"
cp "$root/eng/smoke/HydrateCache.Smoke.csproj" "$root/eng/smoke/Program.cs" "$app/"
cd "$app"

# This machine's enabled NuGet sources (user and machine config only: the app has no nuget.config yet), by name.
mapfile -t sources < <(dotnet nuget list source | awk '
  /^ *[0-9]+\. .* \[Enabled\]$/ { name = $2; for (i = 3; i < NF; i++) name = name " " $i; getline; gsub(/^ +| +$/, ""); print name "\t" $0 }')
[ "${#sources[@]}" -gt 0 ] || fail "no enabled NuGet source is configured on this machine (dotnet nuget list source)"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo '    <clear />'
  echo "    <add key=\"hydratecache-local\" value=\"$feed\" />"
  for source in "${sources[@]}"; do echo "    <add key=\"${source%%$'\t'*}\" value=\"${source#*$'\t'}\" />"; done
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="hydratecache-local">'
  echo '      <package pattern="HydrateCache" />'
  echo '      <package pattern="HydrateCache.*" />'
  echo '    </packageSource>'
  for source in "${sources[@]}"; do
    echo "    <packageSource key=\"${source%%$'\t'*}\"><package pattern=\"*\" /></packageSource>"
  done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} >nuget.config
global_packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
global_packages=${global_packages%/}

echo "--> Building it against HydrateCache $version, Orleans $orleans_version"
dotnet build -c Release --nologo -v quiet -clp:'ErrorsOnly;NoSummary' \
  -p:HydrateCacheVersion="$version" -p:OrleansVersion="$orleans_version" -p:HostingVersion="$hosting_version" ||
  fail "the consumer app did not restore or build against the packages"
for id in HydrateCache HydrateCache.Orleans HydrateCache.Redis; do
  metadata="$global_packages/${id,,}/$version/.nupkg.metadata"
  [ -f "$metadata" ] && grep -qF "$feed" "$metadata" || fail "$id $version was not restored from the local feed"
done

echo "--> Running it"
timeout 120 ./bin/Release/net10.0/HydrateCache.Smoke || fail "the consumer app failed (exit code $?)"
echo "SMOKE PASS: 6 packages packed, consumer app built and ran in $((SECONDS - started)) s"
