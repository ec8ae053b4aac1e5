#!/usr/bin/env bash
# asyncpg against `heliosdb-nano start --memory`: CRUD, parameters, transactions, errors
# with SQLSTATE, COPY. Prints `asyncpg: N passed, M failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init asyncpg
helios_python_deps "import asyncpg" "asyncpg>=0.27"
helios_binary
helios_start
if ! PYTHONPATH="$here/../lib" python3 "$here/test_asyncpg.py" "$port"; then
    helios_server_log
    exit 1
fi
