#!/usr/bin/env bash
# psql smoke test: starts `heliosdb-nano start --memory` on a free loopback port, runs
# smoke.sql through psql (plain, then over TLS with scram-sha-256 when openssl is there)
# and compares the output with expected.out.
#
#   tests/clients/psql/run.sh            # compare
#   UPDATE_EXPECTED=1 tests/clients/psql/run.sh   # regenerate expected.out after review
#
# Needs psql (apt-get install -y postgresql-client). Exits 0 with a message when psql
# is missing, unless HELIOS_REQUIRE_CLIENTS=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

if ! command -v psql >/dev/null 2>&1; then
    if [ "${HELIOS_REQUIRE_CLIENTS:-0}" = 1 ]; then
        echo "psql smoke: psql is not installed" >&2
        exit 1
    fi
    echo "psql smoke: psql is not installed; skipped"
    exit 0
fi

if [ -n "${HELIOS_BIN:-}" ]; then
    bin="$HELIOS_BIN"
else
    cargo build -q -p helios-cli --manifest-path "$root/Cargo.toml"
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/heliosdb-nano"
fi
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # port, extra psql args...
    local port="$1"; shift
    for _ in $(seq 1 100); do
        if psql -X -q -h 127.0.0.1 -p "$port" -U smoke -d smoke "$@" -c 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "psql smoke: server on port $port did not come up" >&2
    return 1
}

# 1. Plain TCP, trust authentication.
port="$(free_port)"
"$bin" start --memory --port "$port" 2>"$work/server.log" &
pids+=($!)
wait_ready "$port"
PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p "$port" -U smoke -d smoke \
    -v ON_ERROR_STOP=0 -f - <"$here/smoke.sql" >"$work/actual.out" 2>&1 || true

# The shell prints what psql prints (same statements, fresh databases).
psql -X -h 127.0.0.1 -p "$port" -U smoke -d fmt -f - <"$here/format.sql" >"$work/psql-format.out" 2>&1 || true
"$bin" repl --memory -f "$here/format.sql" >"$work/repl-format.out" 2>&1 || true
if diff -u "$work/psql-format.out" "$work/repl-format.out" >"$work/format.diff"; then
    echo "-- repl output matches psql" >>"$work/actual.out"
else
    echo "-- repl output differs from psql:" >>"$work/actual.out"
    cat "$work/format.diff" >>"$work/actual.out"
fi

# Clean shutdown on SIGTERM: exit status 0.
kill -TERM "${pids[0]}"
if wait "${pids[0]}"; then
    echo "-- server stopped cleanly on SIGTERM" >>"$work/actual.out"
else
    echo "-- server exited with status $? on SIGTERM" >>"$work/actual.out"
fi

# 2. TLS + SCRAM: only the connection is checked (the data is the same as above).
if command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
        -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
    tls_port="$(free_port)"
    "$bin" start --memory --port "$tls_port" --auth scram-sha-256 --password 'sm0ke' \
        --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" 2>>"$work/server.log" &
    pids+=($!)
    export PGPASSWORD='sm0ke'
    wait_ready "$tls_port" "sslmode=require"
    {
        echo "-- TLS + SCRAM"
        psql -X -At "host=127.0.0.1 port=$tls_port user=smoke dbname=smoke sslmode=require" \
            -c "SELECT 'tls ok'" 2>&1
        psql -X -At "host=127.0.0.1 port=$tls_port user=smoke dbname=smoke sslmode=require password=wrong" \
            -c "SELECT 1" 2>&1 | sed -e 's/^psql: error: .*FATAL: */FATAL:  /' || true
    } >>"$work/actual.out"
    unset PGPASSWORD
fi

if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
    cp "$work/actual.out" "$here/expected.out"
    echo "psql smoke: expected.out updated"
    exit 0
fi
if diff -u "$here/expected.out" "$work/actual.out"; then
    echo "psql-smoke: 1 passed, 0 failed"
else
    echo "psql smoke: output differs from expected.out (server log follows)" >&2
    cat "$work/server.log" >&2
    exit 1
fi
