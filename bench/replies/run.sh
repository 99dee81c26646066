#!/usr/bin/env bash
# End-to-end replies benchmark: signed webhooks carrying user messages go into a running
# `liora serve --demo`, which stores them, runs the bot and sends the answers to a fake Graph API
# (`liora fake-graph`, a separate process on 127.0.0.1) that counts them. Reports answers
# delivered per second, Graph API requests per second, webhook-accepted -> first-answer latency
# (p50/p99) and the server's peak RSS and CPU, as Markdown rows for docs/performance.md.
#
#   bench/replies/run.sh [sqlite|postgres|both]        (default: sqlite)
#
# Environment knobs (defaults are the documented benchmark):
#   BENCH_DURATION=15 BENCH_WARMUP=5     seconds of load (measured, warm-up)
#   BENCH_CONNECTIONS=8                  keep-alive connections posting webhooks
#   BENCH_PER_WEBHOOK=5                  messages per webhook (distinct users; Meta batches them)
#   BENCH_USERS=20000                    distinct senders
#   BENCH_RATE=0                         messages/s offered (0: as fast as the server accepts them)
#   BENCH_GRAPH_LATENCY_MS=0             the fake Graph API waits this long before answering
#   BENCH_DRAIN_TIMEOUT=180              most seconds to wait for the last answers after the load
#   BENCH_SCRATCH_PATH=.build            swift build --scratch-path
#   BENCH_SKIP_BUILD=1                   use the existing release binary
#   BENCH_LIORA_BIN=path                 use this binary (implies no build)
#   BENCH_KEEP=1                         keep the temporary directory (logs, accepted/arrival files)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
which_db=${1:-sqlite}
case "$which_db" in
  sqlite) dbs=(sqlite) ;;
  postgres) dbs=(postgres) ;;
  both) dbs=(sqlite postgres) ;;
  *) echo "usage: bench/replies/run.sh [sqlite|postgres|both]" >&2; exit 2 ;;
esac

duration=${BENCH_DURATION:-15}
warmup=${BENCH_WARMUP:-5}
conns=${BENCH_CONNECTIONS:-8}
per_webhook=${BENCH_PER_WEBHOOK:-5}
users=${BENCH_USERS:-20000}
rate=${BENCH_RATE:-0}
graph_latency=${BENCH_GRAPH_LATENCY_MS:-0}
drain_timeout=${BENCH_DRAIN_TIMEOUT:-180}
scratch=${BENCH_SCRATCH_PATH:-.build}
secret="liora-bench-app-secret-$(date +%s)"
run_tag=$(printf '%x%04x' "$(date +%s)" "$RANDOM")

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_apt=()
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/liora-bench-replies.XXXXXX")
chmod 711 "$tmp"   # scripts/pg.sh runs the cluster as the `postgres` user inside it
server_pid=""
graph_pid=""
pg_dir=""

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done   # 10 s
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  stop_pid "$server_pid"; server_pid=""
  stop_pid "$graph_pid"; graph_pid=""
  if [ -n "$pg_dir" ]; then "$root/scripts/pg.sh" stop "$pg_dir" >/dev/null 2>&1 || true; pg_dir=""; fi
}

cleanup() {
  local rc=$?
  stop_all
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# json_field NAME JSON -> the integer value of "NAME" in a flat JSON object
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[2])[sys.argv[1]])' "$1" "$2"; }
# field NAME FILE PREFIX -> value of NAME=... in the PREFIX line
field() { grep -m1 "^$3 " "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
now_ns() { date +%s%N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# wait_drained URL: waits until nothing is pending in the inbox or the outbox (pending_cmd) and
# the fake Graph API's request count stopped growing for 1 s, or the count stopped for 15 s.
wait_drained() {
  local graph=$1 last=-1 same=0 cur pending waited=0
  while [ "$waited" -lt $((drain_timeout * 2)) ]; do
    cur=$(json_field requests "$(curl -fsS --max-time 5 "$graph/stats")")
    if [ "$cur" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$cur
    if [ "$same" -ge 2 ]; then
      pending=$("${pending_cmd[@]}" 2>/dev/null | tr -d '[:space:]')
      [ "$pending" = 0 ] && return 0
      [ "$same" -ge 30 ] && { log "WARNING: $pending items still pending, but nothing was sent for 15 s"; return 0; }
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "WARNING: answers still arriving after ${drain_timeout}s"
}

rows=()
status=0

run_db() {
  local db=$1 port gport url graph pg_env
  count_cmd=(); pending_cmd=(); plan_cmd=()
  port=$(free_port); gport=$(free_port)
  url="http://127.0.0.1:$port"; graph="http://127.0.0.1:$gport"

  log "[$db] starting $bin fake-graph on $graph (latency ${graph_latency} ms)"
  "$bin" fake-graph --port "$gport" --latency-ms "$graph_latency" >"$tmp/$db-graph.log" 2>&1 &
  graph_pid=$!

  # The demo plan allows 10,000 conversations a month, fewer than a run's distinct users: the
  # bench tenant is put on the enterprise plan, or users past the quota would go unanswered.
  local plan_sql="update clientes set plan = 'enterprise' where slug = 'demo'"
  local pending_sql="select (select count(*) from outbox where state = 'pending') + (select count(*) from webhook_events where state = 'pending')"
  local env_args=(LIORA_HOST=127.0.0.1 LIORA_PORT="$port" LIORA_META_APP_SECRET="$secret"
                  LIORA_LOG_LEVEL=warning LIORA_GRAPH_BASE_URL="$graph")
  case "$db" in
    sqlite)
      env_args+=(LIORA_DATABASE_URL="sqlite:$tmp/bench.sqlite")
      count_cmd=(sqlite3 "$tmp/bench.sqlite" "select state || '=' || count(*) from outbox group by state")
      pending_cmd=(sqlite3 "$tmp/bench.sqlite" "$pending_sql")
      plan_cmd=(sqlite3 -cmd ".timeout 10000" "$tmp/bench.sqlite" "$plan_sql")
      ;;
    postgres)
      pg_dir="$tmp/pg"
      log "starting a throwaway PostgreSQL cluster in $pg_dir"
      pg_env=$("$root/scripts/pg.sh" start "$pg_dir") || { log "scripts/pg.sh start failed"; return 1; }
      eval "$pg_env"
      env_args+=(LIORA_DATABASE_URL="$LIORA_TEST_POSTGRES_URL" LIORA_MIGRATION_DATABASE_URL="$LIORA_TEST_POSTGRES_OWNER_URL")
      # As the cluster superuser: it sees every tenant's rows even under row-level security.
      count_cmd=(psql "postgres://postgres@127.0.0.1:$LIORA_PG_PORT/liora" -Atc
                 "select state || '=' || count(*) from outbox group by state")
      pending_cmd=(psql "postgres://postgres@127.0.0.1:$LIORA_PG_PORT/liora" -Atc "$pending_sql")
      plan_cmd=(psql "postgres://postgres@127.0.0.1:$LIORA_PG_PORT/liora" -Atc "$plan_sql")
      ;;
  esac

  log "[$db] starting $bin serve --demo on $url"
  env "${env_args[@]}" "$bin" serve --demo >"$tmp/$db-server.log" 2>&1 &
  server_pid=$!
  local ready=0
  for _ in $(seq 1 120); do
    kill -0 "$server_pid" 2>/dev/null || break
    if curl -fsS -o /dev/null --max-time 2 "$url/ready" 2>/dev/null && curl -fsS -o /dev/null --max-time 2 "$graph/stats" 2>/dev/null; then
      ready=1; break
    fi
    sleep 0.5
  done
  if [ "$ready" != 1 ]; then
    tail -n 20 "$tmp/$db-server.log" "$tmp/$db-graph.log" >&2 || true
    rows+=("| $db | failed: server or fake Graph API did not start | | | | | | |"); status=1; stop_all; return 1
  fi
  "${plan_cmd[@]}" >/dev/null || { log "could not move the demo tenant to the enterprise plan"; status=1; stop_all; return 1; }

  local load_args=(--url "$url" --secret "$secret" --connections "$conns" --per-webhook "$per_webhook" --users "$users"
                   --rate "$rate")
  log "[$db] warm-up ${warmup}s"
  python3 "$here/load.py" load "${load_args[@]}" --duration "$warmup" --run "${run_tag}w" --accepted "$tmp/$db-warm.tsv" \
    >"$tmp/$db-warm.out" || { cat "$tmp/$db-warm.out" >&2; status=1; stop_all; return 1; }
  wait_drained "$graph"

  local s0 t0 c0 s1 t1 c1 s2
  s0=$(curl -fsS "$graph/stats"); t0=$(now_ns); c0=$(cpu_ticks "$server_pid")
  log "[$db] measured run ${duration}s: $conns connections, $per_webhook messages per webhook, $users users"
  python3 "$here/load.py" load "${load_args[@]}" --duration "$duration" --run "${run_tag}m" --accepted "$tmp/$db-main.tsv" \
    >"$tmp/$db-main.out" || { cat "$tmp/$db-main.out" >&2; status=1; stop_all; return 1; }
  s1=$(curl -fsS "$graph/stats"); t1=$(now_ns); c1=$(cpu_ticks "$server_pid")
  cat "$tmp/$db-main.out" >&2
  log "[$db] waiting for the last answers"
  wait_drained "$graph"
  s2=$(curl -fsS "$graph/stats")
  curl -fsS "$graph/arrivals" >"$tmp/$db-arrivals.tsv"
  local hwm_kb rss_mb outbox
  hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
  rss_mb=$(awk -v k="${hwm_kb:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
  outbox=$("${count_cmd[@]}" 2>/dev/null | tr '\n' ' ' || true)
  stop_all

  python3 "$here/load.py" analyze --accepted "$tmp/$db-main.tsv" --arrivals "$tmp/$db-arrivals.tsv" >"$tmp/$db-latency.out"
  cat "$tmp/$db-latency.out" >&2

  local hz msgs_ps a0 a1 a2 r0 r1 r2 last_ns answers_ps requests_ps sustained_ps cpu_pct p50 p99 unanswered
  hz=$(getconf CLK_TCK)
  msgs_ps=$(field messages_per_s "$tmp/$db-main.out" LOAD_RESULT)
  a0=$(json_field answers "$s0"); a1=$(json_field answers "$s1"); a2=$(json_field answers "$s2")
  r0=$(json_field requests "$s0"); r1=$(json_field requests "$s1"); r2=$(json_field requests "$s2")
  last_ns=$(json_field last_answer_ns "$s2")
  answers_ps=$(awk -v a="$a0" -v b="$a1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (b - a) / ((t1 - t0) / 1e9) }')
  requests_ps=$(awk -v a="$r0" -v b="$r1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (b - a) / ((t1 - t0) / 1e9) }')
  sustained_ps=$(awk -v a="$a0" -v b="$a2" -v t0="$t0" -v t1="$last_ns" 'BEGIN { printf "%.0f", (b - a) / ((t1 - t0) / 1e9) }')
  cpu_pct=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / ((t1 - t0) / 1e9) }')
  p50=$(field p50_ms "$tmp/$db-latency.out" LATENCY_RESULT)
  p99=$(field p99_ms "$tmp/$db-latency.out" LATENCY_RESULT)
  unanswered=$(field unanswered "$tmp/$db-latency.out" LATENCY_RESULT)
  log "[$db] messages accepted/s=$msgs_ps answers/s (during load)=$answers_ps graph requests/s=$requests_ps answers/s (until the last)=$sustained_ps p50=${p50}ms p99=${p99}ms server CPU=${cpu_pct}% peak RSS=${rss_mb}MB outbox: $outbox"
  rows+=("| $db | $(printf '%.0f' "$msgs_ps") | $answers_ps | $requests_ps | $sustained_ps | $p50 | $p99 | $rss_mb | $cpu_pct | $unanswered |")
}

for db in "${dbs[@]}"; do run_db "$db" || true; done

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
cat <<EOF

### Replies end to end ($(date -u +%Y-%m-%d), $(nproc) cores, ${cpu:-unknown CPU}, liora $rev)

Command: \`bench/replies/run.sh $which_db\` — ${duration} s of load after a ${warmup} s warm-up: $conns connections posting
signed webhooks of $per_webhook text messages each (distinct users out of $users) at \`liora serve --demo\`; answers go to
\`liora fake-graph\` on 127.0.0.1 (answering after ${graph_latency} ms); load generator, server and fake Graph API share the machine.

| database | messages accepted/s | answers/s during load | Graph requests/s during load | answers/s until the last | p50 ms | p99 ms | peak RSS MB | server CPU % | unanswered |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${rows[@]}"
echo
echo "Latency: from the webhook's 200 at the load generator to the first answer to that message at the fake Graph API."
echo "Target: >= 5000 answers/s."
exit "$status"
