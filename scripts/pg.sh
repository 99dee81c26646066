#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests and benchmarks.
#
#   scripts/pg.sh start DIR   -> initdb in DIR (as the `postgres` OS user when run as root), start on a
#                                free 127.0.0.1 port, create the `liora` database, the schema owner role
#                                `liora_owner` and the service login role `liora_app`; prints
#                                shell `export` lines (LIORA_PG_PORT, LIORA_TEST_POSTGRES_URL,
#                                LIORA_TEST_POSTGRES_ADMIN_URL) to eval. With openssl at hand the
#                                server also speaks TLS with a self-signed certificate for
#                                localhost and 127.0.0.1 (LIORA_TEST_POSTGRES_SSL_ROOT names it).
#   scripts/pg.sh stop DIR    -> fast shutdown; safe to call twice.
#
# PostgreSQL is installed from apt when its binaries are missing.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: scripts/pg.sh start|stop DIR" >&2; exit 2; }
dir=$(realpath -m "$dir")

find_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

# As root, PostgreSQL refuses to run: its commands run as the `postgres` user, from a folder that
# user can enter (initdb fails when its working directory, e.g. a checkout under /root, is not).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd "$dir" && runuser -u postgres -- "$@"); else "$@"; fi
}

ensure_installed() {
  local missing=()
  find_bin >/dev/null || missing+=(postgresql-15)
  command -v psql >/dev/null || missing+=(postgresql-client-15)
  command -v python3 >/dev/null || missing+=(python3-minimal)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "scripts/pg.sh: ${missing[*]} missing; install them (apt) or run as root" >&2
      exit 1
    fi
    echo "scripts/pg.sh: installing from apt: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case "$cmd" in
  start)
    ensure_installed
    bin=$(find_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    port=$(free_port)
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 1000
shared_buffers = 256MB
fsync = on
synchronous_commit = on
CONF
    ssl_root=
    if command -v openssl >/dev/null \
      && as_pg openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
           -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
           -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >"$dir/openssl.log" 2>&1; then
      as_pg chmod 600 "$dir/data/server.key"
      echo "ssl = on" >>"$dir/data/postgresql.conf"
      cp "$dir/data/server.crt" "$dir/root.crt" && chmod 644 "$dir/root.crt"
      ssl_root="$dir/root.crt"
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    psql_admin=(psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q)
    "${psql_admin[@]}" -d postgres <<SQL
CREATE ROLE liora_owner LOGIN PASSWORD 'owner';
CREATE ROLE liora_app LOGIN PASSWORD 'app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE liora OWNER liora_owner;
SQL
    "${psql_admin[@]}" -d liora -c "ALTER SCHEMA public OWNER TO liora_owner;"
    echo "export LIORA_PG_PORT=$port"
    echo "export LIORA_TEST_POSTGRES_ADMIN_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export LIORA_TEST_POSTGRES_OWNER_URL=postgres://liora_owner:owner@127.0.0.1:$port/liora"
    echo "export LIORA_TEST_POSTGRES_URL=postgres://liora_app:app@127.0.0.1:$port/liora"
    if [ -n "$ssl_root" ]; then echo "export LIORA_TEST_POSTGRES_SSL_ROOT=$ssl_root"; fi
    ;;
  stop)
    bin=$(find_bin) || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: scripts/pg.sh start|stop DIR" >&2; exit 2 ;;
esac
