#!/usr/bin/env bash
# Django 5 (psycopg 3 backend) against `heliosdb-nano start --memory`: makemigrations and
# migrate (the contrib apps' migrations too), ORM CRUD, aggregates and annotations,
# JSONField lookups, transactions with savepoints, select_related, auth users, and
# migrating back to zero. Prints `django: N passed, M failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init django
helios_python_deps "import psycopg, django; assert int(django.__version__.split('.')[0]) >= 5" \
    "psycopg[binary]>=3.1" "django>=5,<6"
helios_binary
helios_start
if ! PYTHONPATH="$here/../lib:$here" python3 "$here/test_django.py" "$port" "$work"; then
    helios_server_log
    exit 1
fi
