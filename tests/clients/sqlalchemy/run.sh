#!/usr/bin/env bash
# SQLAlchemy 2 (psycopg 3 dialect) against `heliosdb-nano start --memory`: declarative
# models, create_all, ORM CRUD, inspect() reflection. Prints `sqlalchemy: N passed, M failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init sqlalchemy
helios_python_deps "import psycopg, sqlalchemy; assert int(sqlalchemy.__version__.split('.')[0]) >= 2" \
    "psycopg[binary]>=3.1" "sqlalchemy>=2,<3"
helios_binary
helios_start
if ! PYTHONPATH="$here/../lib" python3 "$here/test_sqlalchemy.py" "$port"; then
    helios_server_log
    exit 1
fi
