#!/usr/bin/env bash
# psycopg 3 against `heliosdb-nano start --memory`: CRUD, parameters, transactions,
# errors with SQLSTATE, COPY, server-side cursors. Prints `psycopg: N passed, M failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init psycopg
helios_python_deps "import psycopg" "psycopg[binary]>=3.1"
helios_binary
helios_start
if ! PYTHONPATH="$here/../lib" python3 "$here/test_psycopg.py" "$port"; then
    helios_server_log
    exit 1
fi
