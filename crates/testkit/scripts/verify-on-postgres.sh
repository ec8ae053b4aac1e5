#!/usr/bin/env bash
# verify-on-postgres.sh — run our SQL corpus (tests/slt/**) against a real PostgreSQL, so
# every expected result in it is checked against the reference.
#
#   bash crates/testkit/scripts/verify-on-postgres.sh [URL] [PATH...]
#
# URL defaults to $HELIOS_PG_URL, else postgresql://bench:bench@127.0.0.1:5434/bench
# (PostgreSQL 15 started by:
#   PGPEER_FLAVOR=debian PGPEER_PORT=5434 bash ../shared/tools/start-postgres.sh ).
# The user must be allowed to create databases: each file runs in a fresh database that
# is dropped afterwards. Exits non-zero when any record disagrees with PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../../.."

URL=${1:-${HELIOS_PG_URL:-postgresql://bench:bench@127.0.0.1:5434/bench}}
shift || true
if [ $# -eq 0 ]; then set -- tests/slt; fi

cargo run -q -p helios-testkit --features postgres --bin helios-slt -- \
  --against-postgres "$URL" "$@"
