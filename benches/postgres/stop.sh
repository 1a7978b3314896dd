#!/usr/bin/env bash
# Stops a PostgreSQL that start.sh started in DIR and removes DIR (keeps it with a second
# argument `keep`, so start.sh can start the same cluster again).
set -euo pipefail
dir="$1"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
else
    "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
fi
if [[ "${2:-}" != "keep" ]]; then rm -rf "$dir"; fi
