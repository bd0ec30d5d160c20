#!/usr/bin/env bash
# Starts, stops and restarts the real servers that HydrateCache's integration tests use, without Docker.
#
# Usage:
#   eng/services.sh up [service...]        install (if missing) and start services; default: all four; idempotent
#   eng/services.sh down [service...]      stop what this script started (by PID file); default: all four
#   eng/services.sh status                 one line per service: running/stopped, port, pid
#   eng/services.sh restart <service...>   stop and start again on the SAME port (kafka: simulated broker restart)
#   eng/services.sh env [--shell]          print the env file (--shell: as quoted `export` lines for eval)
#
# Services: redis, nats, postgres, kafka. Everything listens on 127.0.0.1 only, on a port picked at first start
# (20000-60000, outside the kernel's ephemeral range when possible) and reused by every later start.
#
# State (repo-relative unless noted):
#   artifacts/services/services.env      HYDRATECACHE_{REDIS,NATS,POSTGRES,KAFKA}=... of the running services; read by
#                                        tests/HydrateCache.TestKit/TestServers.cs (override: HYDRATECACHE_SERVICES_ENV)
#   artifacts/services/<svc>.pid         PID of the server process this script started
#   artifacts/services/<svc>.port        port chosen at first start, reused on restart and on the next `up`
#   artifacts/services/<svc>.log         server log (appended; each start is marked with a "=== ... ===" line)
#   /var/tmp/hydratecache-<hash>/pg      PostgreSQL data dir (kept across down/up; delete it to start from scratch)
#   /var/tmp/hydratecache-<hash>/redis   Redis working dir (nothing is persisted: --save '' --appendonly no)
#
# Packages: redis-server redis-tools nats-server postgresql-15 are installed with apt-get only when a binary is
# missing (needs root). Kafka has no package: tools/HydrateCache.KafkaMockHost (librdkafka's mock cluster) is built
# once with `dotnet build` and run in the background.
#
# Exit code: 0 when every requested service ended up in the requested state.
set -euo pipefail

readonly ALL_SERVICES=(redis nats postgres kafka)
readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly READY_TIMEOUT=30    # seconds to wait for redis/nats/postgres to accept connections
readonly KAFKA_TIMEOUT=60    # seconds to wait for the Kafka mock host to write its bootstrap file
readonly STOP_TIMEOUT=30     # seconds to wait for a process to exit after SIGTERM before SIGKILL

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly root
readonly state_dir="$root/artifacts/services"
readonly env_file="${HYDRATECACHE_SERVICES_ENV:-$state_dir/services.env}"
# Machine-wide dirs must be unique per checkout: several clones on one machine get different hashes.
repo_hash=$(printf '%s' "$root" | sha256sum | cut -c1-12)
readonly data_root="/var/tmp/hydratecache-$repo_hash"
readonly pg_data="$data_root/pg"
readonly kafka_project="$root/tools/HydrateCache.KafkaMockHost"
readonly kafka_dll="$kafka_project/bin/Release/net10.0/HydrateCache.KafkaMockHost.dll"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ---------------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------------

die() { echo "error: $*" >&2; exit 1; }
warn() { echo "warning: $*" >&2; }

pid_file() { echo "$state_dir/$1.pid"; }
port_file() { echo "$state_dir/$1.port"; }
log_file() { echo "$state_dir/$1.log"; }

# Reads a one-line state file; prints nothing when it is missing or empty.
read_state() {
  local file=$1
  [ -s "$file" ] || return 0
  head -n 1 "$file" | tr -d '[:space:]'
}

# Prints the last lines of a service log, indented, on stderr (used when a start fails).
show_log_tail() {
  local log=$1
  [ -f "$log" ] || return 0
  local from
  # Only this run's lines: from the last "=== ... ===" marker that mark_log wrote, at most 40 lines.
  from=$(grep -n '^=== .* eng/services.sh: ' "$log" | tail -n 1 | cut -d: -f1)
  echo "---- last lines of $log ----" >&2
  tail -n +"${from:-1}" "$log" | tail -n 40 | sed 's/^/    /' >&2
  echo "----" >&2
}

# Marks the start of a new run in a service log (the logs are appended to, never truncated).
mark_log() {
  local log=$1
  shift
  echo "=== $(date -u '+%Y-%m-%dT%H:%M:%SZ') eng/services.sh: $* ===" >>"$log"
}

# True when PID is a live process. A process that has exited but was not reaped yet (state Z; PID 1 here reaps late)
# counts as gone, so `kill -0` is not enough.
pid_alive() {
  local pid=$1 stat state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The state is the first field after the command name, which is in parentheses and may contain spaces.
  state=${stat##*) }
  state=${state%% *}
  [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# True when PID is alive and its command line contains PATTERN (guards against a recycled PID).
pid_matches() {
  local pid=$1 pattern=$2
  pid_alive "$pid" || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$pattern"
}

# A string the command line of the service's main process contains (redis rewrites its title to
# "redis-server 127.0.0.1:PORT"; the postmaster keeps "postgres -D <data dir> ...").
process_pattern() {
  case $1 in
    redis) echo "redis-server" ;;
    nats) echo "nats-server" ;;
    postgres) echo "$pg_data" ;;
    kafka) echo "$kafka_dll" ;;
  esac
}

# Prints the PID of a running service started by this script, or fails.
running_pid() {
  local svc=$1 pid
  pid=$(read_state "$(pid_file "$svc")")
  [ -n "$pid" ] && pid_matches "$pid" "$(process_pattern "$svc")" && echo "$pid"
}

# Waits until PID has exited (or is a zombie). Returns 1 on timeout.
wait_gone() {
  local pid=$1 timeout=$2 waited=0
  while pid_alive "$pid"; do
    if [ "$waited" -ge $((timeout * 10)) ]; then
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# True when something LISTENs on 127.0.0.1/0.0.0.0/:: PORT (reads /proc, so it needs neither ss nor netstat).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  # Fields: sl local_address rem_address st ...; st 0A = LISTEN.
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# True when any TCP socket (any state, e.g. TIME_WAIT) uses local PORT.
port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Picks a free port in 20000-60000, avoiding the kernel's ephemeral range (outgoing connections take ports from it)
# and every port already recorded for another service.
pick_port() {
  local lo=20000 hi=60000 eph_lo eph_hi port tries taken
  read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range || { eph_lo=32768; eph_hi=60999; }
  if [ "$eph_lo" -gt $((lo + 1000)) ]; then
    hi=$((eph_lo - 1))
  elif [ "$eph_hi" -lt $((hi - 1000)) ]; then
    lo=$((eph_hi + 1))
  fi
  taken=" $(cat "$state_dir"/*.port 2>/dev/null | tr '\n' ' ') "
  for ((tries = 0; tries < 200; tries++)); do
    port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    if [[ "$taken" != *" $port "* ]] && ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  die "could not find a free TCP port in $lo-$hi"
}

# Prints the port to start SVC on (KEY names the state file, e.g. "nats-http"): the recorded one if it is free,
# otherwise a new one, which is recorded.
port_for_up() {
  local key=$1 port
  port=$(read_state "$(port_file "$key")")
  if [ -n "$port" ] && port_listening "$port"; then
    warn "port $port recorded for $key is taken by another process; picking a new one"
    port=""
  fi
  if [ -z "$port" ]; then
    port=$(pick_port) || return 1
    echo "$port" >"$(port_file "$key")"
  fi
  echo "$port"
}

# Prints the recorded port of KEY for a restart; fails when none was recorded.
port_for_restart() {
  local key=$1 port
  port=$(read_state "$(port_file "$key")")
  [ -n "$port" ] || die "no port recorded for $key: run 'eng/services.sh up' first"
  echo "$port"
}

# Runs a command as the postgres user (initdb and pg_ctl refuse to run as root) from / (a cwd the postgres user may
# not be able to enter breaks initdb). Without root, runs it as the current user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# ---------------------------------------------------------------------------------------------------------------------
# Package installation
# ---------------------------------------------------------------------------------------------------------------------

# Installs the Debian packages the requested services need, only when one of their binaries is missing.
ensure_packages() {
  local svc missing=()
  for svc in "$@"; do
    case $svc in
      redis)
        if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
          missing+=(redis-server redis-tools)
        fi
        ;;
      nats)
        command -v nats-server >/dev/null || missing+=(nats-server)
        ;;
      postgres)
        if [ ! -x "$PG_BIN/postgres" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
          missing+=(postgresql-15)
        fi
        ;;
    esac
  done
  [ "${#missing[@]}" -gt 0 ] || return 0

  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}. Install them as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  echo "==> Installing ${missing[*]} (apt-get)"
  # apt-get install does not start system services here (policy-rc.d); the list must be updated once first.
  apt-get update -qq </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

# ---------------------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------------------

redis_ready() {
  [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]
}

start_redis() {
  local port=$1 log pid
  log=$(log_file redis)
  mkdir -p "$data_root/redis"
  mark_log "$log" "start redis on 127.0.0.1:$port"
  echo "==> Starting redis on 127.0.0.1:$port"
  # Fds: stdin/stdout/stderr go to /dev/null and the log (a piped caller must not wait for the server); 9 is the lock.
  # shellcheck disable=SC2094 # the server appends to its log; nothing reads it here
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
    --dir "$data_root/redis" --pidfile "$(pid_file redis)" --logfile "$log" \
    </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pid_file redis)"
  wait_ready redis "$pid" "$log" redis_ready "$port"
}

# ---------------------------------------------------------------------------------------------------------------------
# NATS
# ---------------------------------------------------------------------------------------------------------------------

# True when GET /healthz on the monitoring port answers 200 (curl if present, otherwise bash's /dev/tcp).
nats_ready() {
  local http_port=$1
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/healthz" 2>/dev/null
  else
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 2 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
      IFS= read -r status <&3 || exit 1
      [[ "$status" == "HTTP/1."[01]" 200"* ]]' _ "$http_port" 2>/dev/null
  fi
}

start_nats() {
  local port=$1 http_port=$2 log pid
  log=$(log_file nats)
  mark_log "$log" "start nats on 127.0.0.1:$port (monitoring $http_port)"
  echo "==> Starting nats on 127.0.0.1:$port (monitoring port $http_port)"
  # nats-server exits 1 on SIGTERM and leaves its pid file behind: both are normal.
  # shellcheck disable=SC2094 # the server appends to its log; nothing reads it here
  nats-server -a 127.0.0.1 -p "$port" -m "$http_port" -P "$(pid_file nats)" -l "$log" \
    </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pid_file nats)"
  wait_ready nats "$pid" "$log" nats_ready "$http_port"
}

# ---------------------------------------------------------------------------------------------------------------------
# PostgreSQL 15
# ---------------------------------------------------------------------------------------------------------------------

postgres_ready() {
  timeout 3 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres >/dev/null 2>&1
}

# Creates the data dir (owned by postgres, every parent enterable by postgres) and runs initdb once.
init_postgres() {
  local log=$1
  install -d -m 755 "$data_root"
  if [ "$(id -u)" -eq 0 ]; then
    install -d -o postgres -g postgres -m 700 "$pg_data"
  else
    install -d -m 700 "$pg_data"
  fi
  [ -f "$pg_data/PG_VERSION" ] && return 0
  # A half-initialised dir (initdb interrupted) makes initdb fail: start it again from empty.
  find "$pg_data" -mindepth 1 -delete
  echo "==> Initialising the PostgreSQL data dir $pg_data"
  mark_log "$log" "initdb $pg_data"
  if ! as_postgres "$PG_BIN/initdb" -D "$pg_data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
    </dev/null >>"$log" 2>&1 9>&-; then
    show_log_tail "$log"
    return 1
  fi
}

# Stops a postmaster that still runs on our data dir although no PID file points at it (e.g. artifacts/ was deleted),
# so that pg_ctl start does not fail with "another server might be running".
stop_orphan_postgres() {
  local pid
  pid=$(head -n 1 "$pg_data/postmaster.pid" 2>/dev/null | tr -d '[:space:]') || true
  if [ -n "$pid" ] && pid_matches "$pid" "$pg_data"; then
    warn "stopping an orphan postmaster (pid $pid) that runs on $pg_data"
    stop_pid "$pid" INT || true
  fi
}

start_postgres() {
  local port=$1 log pid
  log=$(log_file postgres)
  touch "$log"
  init_postgres "$log" || return 1
  stop_orphan_postgres
  mark_log "$log" "start postgres on 127.0.0.1:$port"
  echo "==> Starting postgres on 127.0.0.1:$port"
  # No -l: the postmaster inherits pg_ctl's stdout/stderr, which root opened on the log (the postgres user may not be
  # allowed to write under the repo). pg_ctl -w returns when the server accepts connections.
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$pg_data" -w -t "$READY_TIMEOUT" start \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=off -c max_connections=200" \
    </dev/null >>"$log" 2>&1 9>&-; then
    echo "error: postgres did not start on port $port" >&2
    show_log_tail "$log"
    return 1
  fi
  pid=$(head -n 1 "$pg_data/postmaster.pid" | tr -d '[:space:]')
  echo "$pid" >"$(pid_file postgres)"
  wait_ready postgres "$pid" "$log" postgres_ready "$port"
}

# ---------------------------------------------------------------------------------------------------------------------
# Kafka (librdkafka mock cluster hosted by tools/HydrateCache.KafkaMockHost)
# ---------------------------------------------------------------------------------------------------------------------

readonly kafka_bootstrap_file="$state_dir/kafka.bootstrap"
readonly kafka_bootstrap_pattern='^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+)*$'

# Builds the mock host when its dll is missing or older than its sources (or the repo-wide build props).
build_kafka_host() {
  local log=$1 newer
  [ -f "$kafka_project/HydrateCache.KafkaMockHost.csproj" ] ||
    { echo "error: kafka: $kafka_project/HydrateCache.KafkaMockHost.csproj does not exist (the Kafka mock host is not in this tree yet)" >&2; return 1; }
  command -v dotnet >/dev/null || { echo "error: kafka: dotnet is not on PATH (needed to build and run the mock host)" >&2; return 1; }
  if [ -f "$kafka_dll" ]; then
    newer=$(find "$kafka_project" "$root/Directory.Build.props" "$root/Directory.Packages.props" "$root/global.json" \
      \( -path "$kafka_project/bin" -o -path "$kafka_project/obj" \) -prune -o \
      -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
      -newer "$kafka_dll" -print 2>/dev/null | head -n 1)
    [ -n "$newer" ] || return 0
    echo "==> Rebuilding the Kafka mock host ($newer changed)"
  else
    echo "==> Building the Kafka mock host (tools/HydrateCache.KafkaMockHost)"
  fi
  mark_log "$log" "dotnet build $kafka_project"
  # Output to the log, not the caller: MSBuild/compiler server processes may outlive the build and keep its fds.
  # A second attempt covers a transient "file is being used by another process" from a concurrent build.
  if ! (cd "$root" && dotnet build "$kafka_project" -c Release --nologo -v q </dev/null >>"$log" 2>&1 9>&-) &&
    ! (cd "$root" && sleep 2 && dotnet build "$kafka_project" -c Release --nologo -v q </dev/null >>"$log" 2>&1 9>&-); then
    echo "error: kafka: building the mock host failed (dotnet build $kafka_project -c Release)" >&2
    show_log_tail "$log"
    return 1
  fi
  [ -f "$kafka_dll" ] || { echo "error: kafka: the build did not produce $kafka_dll" >&2; return 1; }
  # An incremental build may leave the dll untouched; mark it as up to date so the next `up` does not build again.
  touch "$kafka_dll"
}

# Starts the mock host on PORT. The mock cluster itself always listens on kernel-chosen ports; with --port the host
# proxies 127.0.0.1:PORT to its broker and advertises PORT, so the address is stable across host restarts and, like the
# other services, outside the kernel's ephemeral range.
start_kafka() {
  local port=$1 log pid bootstrap="" waited=0 args=()
  log=$(log_file kafka)
  touch "$log"
  build_kafka_host "$log" || return 1
  rm -f "$kafka_bootstrap_file"
  args=(--bootstrap-file "$kafka_bootstrap_file" --port "$port")
  mark_log "$log" "start kafka mock host ${args[*]}"
  echo "==> Starting the Kafka mock cluster on 127.0.0.1:$port"
  dotnet "$kafka_dll" "${args[@]}" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pid_file kafka)"
  # Ready when the host has written a well-formed bootstrap address and its first port listens.
  while :; do
    if ! pid_alive "$pid"; then
      echo "error: kafka: the mock host exited during start-up" >&2
      show_log_tail "$log"
      rm -f "$(pid_file kafka)"
      return 1
    fi
    bootstrap=$({ tr -d '[:space:]' <"$kafka_bootstrap_file"; } 2>/dev/null || true)
    if [[ "$bootstrap" =~ $kafka_bootstrap_pattern ]] && port_listening "$port"; then
      break
    fi
    if [ "$waited" -ge $((KAFKA_TIMEOUT * 10)) ]; then
      echo "error: kafka: no bootstrap address in $kafka_bootstrap_file after ${KAFKA_TIMEOUT}s" >&2
      show_log_tail "$log"
      stop_pid "$pid" TERM || true
      rm -f "$(pid_file kafka)"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "$bootstrap" >"$state_dir/kafka.address"
  echo "    kafka ready at $bootstrap (pid $pid)"
}

# Simulated broker restart: SIGHUP makes the host take its brokers down for ~2 s and bring them back. The process (and
# its address) stays, so the host is not killed.
restart_kafka() {
  local pid log port
  log=$(log_file kafka)
  if ! pid=$(running_pid kafka); then
    echo "==> kafka is not running; starting it on its recorded port"
    port=$(port_for_restart kafka) || return 1
    start_kafka "$port"
    return
  fi
  mark_log "$log" "SIGHUP (simulated broker restart)"
  echo "==> Restarting the Kafka brokers (SIGHUP to pid $pid, ~3 s)"
  kill -HUP "$pid"
  sleep 3
  if ! pid_alive "$pid"; then
    echo "error: kafka: the mock host exited after SIGHUP" >&2
    show_log_tail "$log"
    return 1
  fi
  echo "    kafka back at $(read_state "$state_dir/kafka.address")"
}

# ---------------------------------------------------------------------------------------------------------------------
# Generic start/stop
# ---------------------------------------------------------------------------------------------------------------------

# Polls CHECK ARG until it succeeds, failing early when the process PID dies.
wait_ready() {
  local svc=$1 pid=$2 log=$3 check=$4 arg=$5 waited=0
  until "$check" "$arg"; do
    if ! pid_alive "$pid"; then
      echo "error: $svc exited during start-up" >&2
      show_log_tail "$log"
      rm -f "$(pid_file "$svc")"
      return 1
    fi
    if [ "$waited" -ge $((READY_TIMEOUT * 20)) ]; then
      echo "error: $svc is not ready after ${READY_TIMEOUT}s" >&2
      show_log_tail "$log"
      return 1
    fi
    sleep 0.05
    waited=$((waited + 1))
  done
  echo "    $svc ready (pid $pid)"
}

# Sends SIGNAL to PID and waits until it is really gone; SIGKILL after STOP_TIMEOUT seconds.
stop_pid() {
  local pid=$1 signal=$2
  kill -"$signal" "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    warn "pid $pid did not exit within ${STOP_TIMEOUT}s after SIG$signal; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || { echo "error: pid $pid survived SIGKILL" >&2; return 1; }
  fi
}

# Stops a service started by this script (by its PID file only) and removes the PID file.
stop_service() {
  local svc=$1 pid signal=TERM
  if ! pid=$(running_pid "$svc"); then
    rm -f "$(pid_file "$svc")"
    return 0
  fi
  # PostgreSQL: SIGTERM is a "smart" shutdown that waits for every client to disconnect; SIGINT ("fast") drops them.
  [ "$svc" != postgres ] || signal=INT
  echo "==> Stopping $svc (pid $pid)"
  mark_log "$(log_file "$svc")" "stop (SIG$signal to pid $pid)"
  stop_pid "$pid" "$signal"
  rm -f "$(pid_file "$svc")"
  [ "$svc" != kafka ] || rm -f "$kafka_bootstrap_file" "$state_dir/kafka.address"
}

# Starts SVC unless it already runs. MODE is "up" (recorded port if free, else a new one) or "restart" (recorded port).
start_service() {
  local svc=$1 mode=$2 port http_port pid
  if pid=$(running_pid "$svc"); then
    echo "==> $svc already running (pid $pid, port $(read_state "$(port_file "$svc")"))"
    return 0
  fi
  rm -f "$(pid_file "$svc")"
  case $svc in
    redis | postgres | kafka)
      # (Functions that run left of `||` ignore set -e: every failure is checked explicitly.)
      if [ "$mode" = restart ]; then
        port=$(port_for_restart "$svc") || return 1
      else
        port=$(port_for_up "$svc") || return 1
      fi
      "start_$svc" "$port"
      ;;
    nats)
      if [ "$mode" = restart ]; then
        port=$(port_for_restart nats) || return 1
        http_port=$(port_for_restart nats-http) || return 1
      else
        port=$(port_for_up nats) || return 1
        http_port=$(port_for_up nats-http) || return 1
      fi
      start_nats "$port" "$http_port"
      ;;
  esac
}

# Rewrites the env file with one line per running service (atomically); removes it when nothing runs.
write_env() {
  local svc port tmp lines=()
  for svc in "${ALL_SERVICES[@]}"; do
    running_pid "$svc" >/dev/null || continue
    port=$(read_state "$(port_file "$svc")")
    case $svc in
      redis) lines+=("HYDRATECACHE_REDIS=127.0.0.1:$port") ;;
      nats) lines+=("HYDRATECACHE_NATS=nats://127.0.0.1:$port") ;;
      postgres) lines+=("HYDRATECACHE_POSTGRES=Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres") ;;
      kafka) lines+=("HYDRATECACHE_KAFKA=$(read_state "$state_dir/kafka.address")") ;;
    esac
  done
  if [ "${#lines[@]}" -eq 0 ]; then
    rm -f "$env_file"
    return 0
  fi
  mkdir -p "$(dirname "$env_file")"
  tmp="$env_file.tmp.$$"
  {
    echo "# Written by eng/services.sh; endpoints of the services it started. Not shell syntax: see 'eng/services.sh env --shell'."
    printf '%s\n' "${lines[@]}"
  } >"$tmp"
  mv -f "$tmp" "$env_file"
}

# Validates service names into the global array `services` (default: all four).
parse_services() {
  local svc
  services=()
  if [ "$#" -eq 0 ]; then
    services=("${ALL_SERVICES[@]}")
    return 0
  fi
  for svc in "$@"; do
    case $svc in
      redis | nats | postgres | kafka) services+=("$svc") ;;
      *) die "unknown service '$svc' (expected: ${ALL_SERVICES[*]})" ;;
    esac
  done
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------------------

cmd_up() {
  local services svc failed=()
  parse_services "$@"
  ensure_packages "${services[@]}"
  for svc in "${services[@]}"; do
    start_service "$svc" up || failed+=("$svc")
  done
  write_env
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> FAILED to start: ${failed[*]}" >&2
    return 1
  fi
  echo "==> Services up; endpoints in ${env_file#"$root"/}"
}

cmd_down() {
  local services svc failed=()
  parse_services "$@"
  for svc in "${services[@]}"; do
    stop_service "$svc" || failed+=("$svc")
  done
  write_env
  [ "${#failed[@]}" -eq 0 ] || { echo "==> FAILED to stop: ${failed[*]}" >&2; return 1; }
  echo "==> Stopped: ${services[*]}"
}

cmd_restart() {
  local services svc failed=()
  [ "$#" -gt 0 ] || die "usage: eng/services.sh restart <service...> (${ALL_SERVICES[*]})"
  parse_services "$@"
  for svc in "${services[@]}"; do
    if [ "$svc" = kafka ]; then
      restart_kafka || failed+=("$svc")
      continue
    fi
    ensure_packages "$svc"
    if ! running_pid "$svc" >/dev/null; then
      echo "==> $svc is not running; starting it on its recorded port"
    fi
    { stop_service "$svc" && start_service "$svc" restart; } || failed+=("$svc")
  done
  write_env
  [ "${#failed[@]}" -eq 0 ] || { echo "==> FAILED to restart: ${failed[*]}" >&2; return 1; }
}

cmd_status() {
  local svc pid port extra
  for svc in "${ALL_SERVICES[@]}"; do
    port=$(read_state "$(port_file "$svc")")
    extra=""
    [ "$svc" != nats ] || extra=" (monitoring $(read_state "$(port_file nats-http)"))"
    if pid=$(running_pid "$svc"); then
      [ "$svc" != kafka ] || extra=" (bootstrap $(read_state "$state_dir/kafka.address"))"
      printf '%-9s running  port %-6s pid %s%s\n' "$svc" "$port" "$pid" "$extra"
    else
      printf '%-9s stopped  port %s\n' "$svc" "${port:--}"
    fi
  done
}

cmd_env() {
  [ -f "$env_file" ] || die "no env file ($env_file): run 'eng/services.sh up' first"
  if [ "${1:-}" = "--shell" ]; then
    local line
    while IFS= read -r line; do
      [[ -z "$line" || "$line" == \#* ]] && continue
      printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
    done <"$env_file"
  else
    cat "$env_file"
  fi
}

main() {
  local command=${1:-}
  [ "$#" -eq 0 ] || shift
  case $command in
    up | down | restart | status | env) ;;
    -h | --help | help) usage; return 0 ;;
    *) usage >&2; return 2 ;;
  esac
  mkdir -p "$state_dir"
  if [[ "$command" == up || "$command" == down || "$command" == restart ]]; then
    # One changing invocation at a time per checkout (e.g. a test calling `restart` while someone runs `up`). Every
    # server is started with 9>&- so it does not inherit (and hold) the lock.
    exec 9>"$state_dir/.lock"
    flock -w 300 9 || die "another eng/services.sh is still running (lock $state_dir/.lock)"
  fi
  "cmd_$command" "$@"
}

main "$@"
