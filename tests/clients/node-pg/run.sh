#!/usr/bin/env bash
# node-postgres (pg) against `heliosdb-nano start --memory`: CRUD, parameters,
# transactions, errors with SQLSTATE. Prints `node-pg: N passed, M failed`.
# Installs pg from package-lock.json (npm ci) into node_modules/ when it is not there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init node-pg
command -v node >/dev/null 2>&1 || helios_skip "node is not installed"
if [ ! -f "$here/node_modules/pg/package.json" ]; then
    command -v npm >/dev/null 2>&1 || helios_skip "npm is not installed"
    (cd "$here" && npm ci --no-audit --no-fund --silent) >"$work/npm.log" 2>&1 \
        || helios_skip "npm ci failed ($(tail -n 1 "$work/npm.log"))"
fi
helios_binary
helios_start
if ! node "$here/test.js" "$port"; then
    helios_server_log
    exit 1
fi
