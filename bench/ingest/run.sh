#!/usr/bin/env bash
# Webhook ingest benchmark: signed, unique ~1 KB Meta webhooks posted by wrk at a running
# `liora serve --demo` on 127.0.0.1; reports accepted webhooks/s, p50/p99 latency, peak RSS
# and stored rows vs. 200 responses, as Markdown rows to paste into docs/performance.md.
#
#   bench/ingest/run.sh [sqlite|postgres|both]        (default: both)
#
# Environment knobs (defaults are the documented benchmark):
#   BENCH_THREADS=2 BENCH_CONNECTIONS=32 BENCH_DURATION=15 BENCH_WARMUP=3   wrk settings (s)
#   BENCH_MAX_RATE=30000     requests generated per second of load (never reuse an id)
#   BENCH_BODY_BYTES=1024    webhook body size
#   BENCH_SCRATCH_PATH=.build   swift build --scratch-path (e.g. .build-bench)
#   BENCH_SKIP_BUILD=1       use the existing release binary
#   BENCH_LIORA_BIN=path     use this binary (implies no build)
#   BENCH_PHONE_NUMBER_ID=100000000000001   metadata.phone_number_id (the demo tenant's number)
#   BENCH_KEEP=1             keep the temporary directory (server logs, wrk output)
#   BENCH_STRICT=1           exit 1 when a target is missed (default: exit 1 only when a run fails)
#   BENCH_METRICS=1          save the server's /metrics after the run (with BENCH_KEEP=1)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
which_db=${1:-both}
case "$which_db" in
  sqlite) dbs=(sqlite) ;;
  postgres) dbs=(postgres) ;;
  both) dbs=(sqlite postgres) ;;
  *) echo "usage: bench/ingest/run.sh [sqlite|postgres|both]" >&2; exit 2 ;;
esac

threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-32}
duration=${BENCH_DURATION:-15}
warmup=${BENCH_WARMUP:-3}
max_rate=${BENCH_MAX_RATE:-30000}
body_bytes=${BENCH_BODY_BYTES:-1024}
pnid=${BENCH_PHONE_NUMBER_ID:-100000000000001}
scratch=${BENCH_SCRATCH_PATH:-.build}
secret="liora-bench-app-secret-$(date +%s)"
run_tag=$(printf '%x%04x' "$(date +%s)" "$RANDOM")

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- tools
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v curl >/dev/null || need_apt+=(curl)
command -v python3 >/dev/null || need_apt+=(python3)
if [[ " ${dbs[*]} " == *" sqlite "* ]] && ! command -v sqlite3 >/dev/null; then need_apt+=(sqlite3); fi
if [[ " ${dbs[*]} " == *" postgres "* ]] && ! command -v psql >/dev/null; then need_apt+=(postgresql-client); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing from apt: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_apt[@]}" >&2
fi

# ---------------------------------------------------------------- cleanup
tmp=$(mktemp -d "${TMPDIR:-/tmp}/liora-bench-ingest.XXXXXX")
chmod 711 "$tmp"   # scripts/pg.sh runs the cluster as the `postgres` user inside it
server_pid=""
pg_dir=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done   # 10 s
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [ -n "$pg_dir" ]; then "$root/scripts/pg.sh" stop "$pg_dir" >/dev/null 2>&1 || true; pg_dir=""; fi
}

cleanup() {
  local rc=$?
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
if [ -n "${BENCH_LIORA_BIN:-}" ]; then
  bin=$BENCH_LIORA_BIN
else
  cd "$root"
  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    log "swift build -c release --product liora --scratch-path $scratch"
    swift build -c release --product liora --scratch-path "$scratch" >&2
  fi
  bin="$(swift build -c release --product liora --scratch-path "$scratch" --show-bin-path)/liora"
fi
[ -x "$bin" ] || die "no liora binary at $bin"

# ---------------------------------------------------------------- requests
# One shard per wrk thread; warm-up and measured run use disjoint sequence numbers, so no
# message id repeats within a server's lifetime. Each database gets a fresh store, so both
# runs reuse the same files.
warm_count=$((max_rate * warmup))
main_count=$((max_rate * duration))
log "generating $warm_count warm-up + $main_count measured signed requests (run $run_tag)"
python3 "$here/gen.py" --count "$warm_count" --start 0 --secret "$secret" --run "$run_tag" \
  --size "$body_bytes" --phone-number-id "$pnid" --shards "$threads" --out "$tmp/warm"
python3 "$here/gen.py" --count "$main_count" --start "$warm_count" --secret "$secret" \
  --run "$run_tag" --size "$body_bytes" --phone-number-id "$pnid" --shards "$threads" --out "$tmp/main"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# field NAME FILE -> value of NAME=... in the BENCH_RESULT line
field() { grep -m1 '^BENCH_RESULT ' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

wrk_cmd="wrk -t$threads -c$conns -d${duration}s --latency -s bench/ingest/post.lua http://127.0.0.1:PORT -- REQUESTS"
rows=()
verdicts=()
status=0

# db_fail DB REASON: record a failed row, show the server log's tail, stop everything.
db_fail() {
  log "ERROR: [$1] $2"
  if [ -s "$tmp/$1-server.log" ]; then
    log "[$1] last lines of the server log:"; tail -n 20 "$tmp/$1-server.log" >&2
  fi
  rows+=("| $1 | failed: $2 | | | | |")
  verdicts+=("$1: FAIL: $2")
  status=1
  stop_server
  return 1
}

run_db() {
  local db=$1 port url count_cmd pg_env
  port=$(free_port)
  url="http://127.0.0.1:$port"
  local env_args=(LIORA_HOST=127.0.0.1 LIORA_PORT="$port" LIORA_META_APP_SECRET="$secret"
                  LIORA_LOG_LEVEL=warning
                  # Keep any outbound Graph API call of the server on this machine (nothing listens).
                  LIORA_GRAPH_BASE_URL="${BENCH_GRAPH_BASE_URL:-http://127.0.0.1:9}")
  case "$db" in
    sqlite)
      env_args+=(LIORA_DATABASE_URL="sqlite:$tmp/bench.sqlite")
      count_cmd=(sqlite3 "$tmp/bench.sqlite" "select count(*) from webhook_events")
      ;;
    postgres)
      pg_dir="$tmp/pg"
      log "starting a throwaway PostgreSQL cluster in $pg_dir"
      pg_env=$("$root/scripts/pg.sh" start "$pg_dir") || { db_fail "$db" "scripts/pg.sh start failed"; return 1; }
      eval "$pg_env"
      [ -n "${LIORA_PG_PORT:-}" ] || { db_fail "$db" "scripts/pg.sh printed no LIORA_PG_PORT"; return 1; }
      env_args+=(LIORA_DATABASE_URL="$LIORA_TEST_POSTGRES_URL"
                 LIORA_MIGRATION_DATABASE_URL="$LIORA_TEST_POSTGRES_OWNER_URL")
      # Count as the cluster superuser: it sees every tenant's rows even under row-level security.
      count_cmd=(psql "postgres://postgres@127.0.0.1:$LIORA_PG_PORT/liora" -Atc "select count(*) from webhook_events")
      ;;
  esac

  log "[$db] starting $bin serve --demo --no-bot on $url"
  # --no-bot: this measures ingest and processing; replies are measured by their own benchmark.
  env "${env_args[@]}" "$bin" serve --demo --no-bot >"$tmp/$db-server.log" 2>&1 &
  server_pid=$!

  local ready=0 i
  for i in $(seq 1 120); do   # 60 s
    if ! kill -0 "$server_pid" 2>/dev/null; then ready=exited; break; fi
    if curl -fsS -o /dev/null --max-time 2 "$url/ready" 2>/dev/null; then ready=1; break; fi
    sleep 0.5
  done
  case "$ready" in
    1) ;;
    exited) wait "$server_pid"; local rc=$?; server_pid=""
            db_fail "$db" "server exited with status $rc before GET /ready answered"; return 1 ;;
    *) db_fail "$db" "GET /ready did not answer 200 within 60 s"; return 1 ;;
  esac

  log "[$db] warm-up ${warmup}s"
  timeout $((warmup + 120)) wrk -t"$threads" -c"$conns" -d"${warmup}s" -s "$here/post.lua" "$url" \
    -- "$tmp/warm" >"$tmp/$db-warm.out" 2>&1 || { cat "$tmp/$db-warm.out" >&2; db_fail "$db" "warm-up wrk failed"; return 1; }
  grep -q '^BENCH_RESULT ' "$tmp/$db-warm.out" || { cat "$tmp/$db-warm.out" >&2; db_fail "$db" "no warm-up result"; return 1; }

  log "[$db] measured run: wrk -t$threads -c$conns -d${duration}s --latency"
  timeout $((duration + 120)) wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s "$here/post.lua" "$url" \
    -- "$tmp/main" >"$tmp/$db-main.out" 2>&1 || { cat "$tmp/$db-main.out" >&2; db_fail "$db" "wrk failed"; return 1; }
  cat "$tmp/$db-main.out" >&2
  grep -q '^BENCH_RESULT ' "$tmp/$db-main.out" || { db_fail "$db" "no wrk result"; return 1; }

  sleep 1   # let requests that were in flight when wrk stopped finish
  local hwm_kb rss_mb
  hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
  [ -n "$hwm_kb" ] || { db_fail "$db" "server exited during the run"; return 1; }
  rss_mb=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  if [ -n "${BENCH_METRICS:-}" ]; then curl -fsS --max-time 5 "$url/metrics" >"$tmp/$db-metrics.txt" 2>/dev/null || true; fi

  local stored ok_warm ok_main ok_total
  stored=$("${count_cmd[@]}" 2>"$tmp/$db-count.err" | tr -d '[:space:]') || stored=""
  [ -n "$stored" ] || { cat "$tmp/$db-count.err" >&2; stored="n/a"; }
  ok_warm=$(field status_200 "$tmp/$db-warm.out")
  ok_main=$(field status_200 "$tmp/$db-main.out")
  ok_total=$((ok_warm + ok_main))

  stop_server   # graceful, bounded; the next database gets a fresh server

  local rps p50 p99 non200 sockerr timeouts reused
  rps=$(field accepted_rps "$tmp/$db-main.out")
  p50=$(field p50_ms "$tmp/$db-main.out")
  p99=$(field p99_ms "$tmp/$db-main.out")
  non200=$(( $(field non200 "$tmp/$db-warm.out") + $(field non200 "$tmp/$db-main.out") ))
  sockerr=$(field socket_errors "$tmp/$db-main.out")
  timeouts=$(field timeouts "$tmp/$db-main.out")
  reused=$(( $(field reused "$tmp/$db-warm.out") + $(field reused "$tmp/$db-main.out") ))

  log "[$db] accepted/s=$rps p50=${p50}ms p99=${p99}ms peakRSS=${rss_mb}MB stored=$stored 200s=$ok_total (warm-up $ok_warm + measured $ok_main) non-200=$non200 socket_errors=$sockerr timeouts=$timeouts reused_ids=$reused"
  [ "$reused" = 0 ] || log "[$db] WARNING: $reused requests reused a message id; raise BENCH_MAX_RATE"

  local target
  if [ "$db" = sqlite ]; then target=15000; else target=8000; fi
  local verdict="PASS" why=()
  awk -v r="$rps" -v t="$target" 'BEGIN { exit !(r >= t) }' || why+=("accepted/s $rps < $target")
  awk -v p="$p99" 'BEGIN { exit !(p <= 10) }' || why+=("p99 ${p99} ms > 10 ms")
  awk -v r="$rss_mb" 'BEGIN { exit !(r <= 200) }' || why+=("peak RSS ${rss_mb} MB > 200 MB")
  if [ "$stored" = "n/a" ] || [ "$stored" -lt "$ok_total" ]; then why+=("stored rows $stored < 200 responses $ok_total"); fi
  [ "$non200" = 0 ] || why+=("$non200 non-200 responses")
  [ "$sockerr" = 0 ] && [ "$timeouts" = 0 ] || why+=("$sockerr socket errors, $timeouts timeouts")
  [ "$reused" = 0 ] || why+=("$reused requests reused a message id")
  if [ ${#why[@]} -gt 0 ]; then
    verdict="FAIL: $(printf '%s; ' "${why[@]}")"
    verdict=${verdict%; }
    [ "${BENCH_STRICT:-0}" != 1 ] || status=1
  fi

  rows+=("| $db | $(printf '%.0f' "$rps") | $p50 | $p99 | $rss_mb | $stored / $ok_total |")
  verdicts+=("$db: $verdict")
}

for db in "${dbs[@]}"; do run_db "$db" || true; done

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
swiftv=$(swift --version 2>/dev/null | head -n1 || true)
cat <<EOF

### Webhook ingest ($(date -u +%Y-%m-%d), $(nproc) cores, ${cpu:-unknown CPU}, liora $rev)

Command: \`bench/ingest/run.sh $which_db\` — $(( threads )) wrk threads beside the server on the same machine:
\`$wrk_cmd\` after a ${warmup} s warm-up; unique signed ${body_bytes}-byte webhooks; $swiftv, release build.

| database | accepted webhooks/s | p50 ms | p99 ms | peak RSS MB | stored rows / 200s |
| --- | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${rows[@]}"
echo
echo "Targets (SQLite >= 15000/s, PostgreSQL >= 8000/s, p99 <= 10 ms, peak RSS <= 200 MB, every 200 stored):"
printf -- '- %s\n' "${verdicts[@]}"
exit "$status"
