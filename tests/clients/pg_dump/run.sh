#!/usr/bin/env bash
# pg_dump round trip: loads schema.sql into one server, dumps it with PostgreSQL's
# pg_dump (plain format), restores the dump with psql into a second, empty server, and
# runs check.sql against both: the transcripts must be equal (rows, sequence positions,
# defaults, constraints and \d output survive the trip). The restored database dumps
# the same as the first (a serial restored as SET DEFAULT + OWNED BY keeps its order).
# The dump itself, without its comments and psql's \restrict key, is compared with
# expected.out.
#
#   tests/clients/pg_dump/run.sh
#   UPDATE_EXPECTED=1 tests/clients/pg_dump/run.sh   # after review
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init "pg_dump"
command -v pg_dump >/dev/null 2>&1 || helios_skip "pg_dump is not installed"
command -v psql >/dev/null 2>&1 || helios_skip "psql is not installed"

helios_start
source_port="$port"
helios_start
target_port="$port"
sql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres "$@"; }

sql -p "$source_port" -f "$here/schema.sql" >/dev/null
pg_dump -h 127.0.0.1 -p "$source_port" -U postgres postgres >"$work/dump.sql" \
    || { helios_server_log; exit 1; }
grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' "$work/dump.sql" | cat -s >"$work/dump.out"
sql -p "$target_port" -f "$work/dump.sql" >/dev/null || { helios_server_log; exit 1; }
pg_dump -h 127.0.0.1 -p "$target_port" -U postgres postgres >"$work/dump2.sql" \
    || { helios_server_log; exit 1; }
grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' "$work/dump2.sql" | cat -s >"$work/dump2.out"
if ! diff -u "$work/dump.out" "$work/dump2.out"; then
    echo "pg_dump: the restored database dumps differently (above)" >&2
    exit 1
fi

for p in "$source_port" "$target_port"; do
    psql -X -h 127.0.0.1 -p "$p" -U postgres -d postgres -f "$here/check.sql" \
        >"$work/check-$p.out" 2>&1 || true
done
if ! diff -u "$work/check-$source_port.out" "$work/check-$target_port.out"; then
    echo "pg_dump: the restored database answers differently (above)" >&2
    exit 1
fi
if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
    cp "$work/dump.out" "$here/expected.out"
    echo "pg_dump: expected.out rewritten"
    exit 0
fi
if ! diff -u "$here/expected.out" "$work/dump.out"; then
    echo "pg_dump: the dump differs from expected.out (above)" >&2
    exit 1
fi
echo "pg_dump: ok"
