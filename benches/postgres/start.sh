#!/usr/bin/env bash
# Starts a throwaway PostgreSQL with PostGIS for the SQL baseline of `pomost-bench baseline`:
# installs Debian's packages when missing (apt-get update first; needs root), creates a
# cluster in DIR (default: a new temporary directory), starts it on PORT (default 55432)
# on loopback, creates the database `pomost_baseline` with PostGIS, and prints its URL as
# the last line. Stop it (and remove DIR) with benches/postgres/stop.sh DIR.
# The tests of the PostgreSQL store use it too (pomost_store::throwaway), with
# PG_SHARED_BUFFERS=128MB.
set -euo pipefail

dir="${1:-$(mktemp -d /tmp/pomost-pg.XXXXXX)}"
port="${2:-55432}"

pg_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    echo "$found"
}

if [[ -z "$(pg_bin)" ]] || ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
    echo "installing PostgreSQL and PostGIS from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    apt-get install -y -qq "postgresql-${version}-postgis-3" >&2
fi
bin="$(pg_bin)"

# initdb refuses to run as root: the cluster belongs to the `postgres` user when we are root.
run_as() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

mkdir -p "$dir"
if [[ "$(id -u)" == "0" ]]; then chown postgres "$dir"; fi
if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    run_as "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >&2
fi
# Settings an office's database administrator would give a 24 GiB, 2-core machine: the data
# set fits in shared buffers, both cores may work on one query; JIT off, because compiling
# the shortlist query cost more (about 0.4 s) than it saved.
# TLS when PG_SSL_DIR holds server.crt and server.key (the tests of TLS to the database).
ssl=""
if [[ -n "${PG_SSL_DIR:-}" ]]; then
    install -m 600 "$PG_SSL_DIR/server.crt" "$dir/data/server.crt"
    install -m 600 "$PG_SSL_DIR/server.key" "$dir/data/server.key"
    if [[ "$(id -u)" == "0" ]]; then chown postgres "$dir/data/server.crt" "$dir/data/server.key"; fi
    ssl="-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
fi
run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $ssl \
    -c shared_buffers=${PG_SHARED_BUFFERS:-4GB} -c effective_cache_size=12GB -c work_mem=256MB -c maintenance_work_mem=2GB \
    -c max_parallel_workers_per_gather=2 -c max_worker_processes=4 -c max_parallel_workers=2 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off" start >&2
run_as "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -tA -c "select 1 from pg_database where datname = 'pomost_baseline'" \
    | grep -q 1 || run_as "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "create database pomost_baseline" >&2
run_as "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d pomost_baseline -q -c "create extension if not exists postgis" >&2
echo "postgres://postgres@127.0.0.1:${port}/pomost_baseline"
