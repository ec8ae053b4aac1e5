#!/usr/bin/env bash
# pgbench smoke test: `pgbench -i` (CREATE TABLE, COPY FROM STDIN, ALTER TABLE ... PRIMARY
# KEY) then a short select-only run over the extended protocol, against
# `heliosdb-nano start --memory`. Passes when both finish without errors.
#
# Needs pgbench (apt-get install -y postgresql-contrib or postgresql-client, by
# distribution). Exits 0 with a message when it is missing, unless
# HELIOS_REQUIRE_CLIENTS=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

if ! command -v pgbench >/dev/null 2>&1; then
    if [ "${HELIOS_REQUIRE_CLIENTS:-0}" = 1 ]; then
        echo "pgbench smoke: pgbench is not installed" >&2
        exit 1
    fi
    echo "pgbench smoke: pgbench is not installed; skipped"
    exit 0
fi

if [ -n "${HELIOS_BIN:-}" ]; then
    bin="$HELIOS_BIN"
else
    cargo build -q -p helios-cli --manifest-path "$root/Cargo.toml"
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/heliosdb-nano"
fi
log="$(mktemp)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin" start --memory --port "$port" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    if psql -X -q -h 127.0.0.1 -p "$port" -U bench -d bench -c 'SELECT 1' >/dev/null 2>&1; then break; fi
    sleep 0.1
done

pgbench -i -s 1 -h 127.0.0.1 -p "$port" -U bench bench
out="$(pgbench -S -M extended -c 2 -T 2 -h 127.0.0.1 -p "$port" -U bench bench 2>&1)"
echo "$out"
if echo "$out" | grep -q "number of failed transactions: 0 "; then
    echo "pgbench-smoke: 1 passed, 0 failed"
else
    echo "pgbench smoke: select-only run had failures" >&2
    cat "$log" >&2
    exit 1
fi
