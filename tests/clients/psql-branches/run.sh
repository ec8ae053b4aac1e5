#!/usr/bin/env bash
# Two psql sessions on different branches of one server, working at the same time.
#
# Session A starts on branch `dev` through the startup option
# (`PGOPTIONS='-c helios.branch=dev'`), session B stays on `main`. Their statements are
# interleaved one step at a time (each step waits for the other session's previous step
# to finish), including open transactions on both branches at once and a burst of
# inserts from both sessions with no ordering at all. Each session must see only its own
# branch's rows. The transcript is compared with expected.out.
#
#   tests/clients/psql-branches/run.sh
#   UPDATE_EXPECTED=1 tests/clients/psql-branches/run.sh   # after review
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init "psql-branches"
command -v psql >/dev/null 2>&1 || helios_skip "psql is not installed"
helios_start

psql_cmd=(psql -X -q -A -t -h 127.0.0.1 -p "$port" -U branches -d app -v ON_ERROR_STOP=0)
# psql's stdout is a file here: line buffering makes each step's output appear at once.
if command -v stdbuf >/dev/null 2>&1; then psql_cmd=(stdbuf -oL -eL "${psql_cmd[@]}"); fi

"${psql_cmd[@]}" -c "CREATE TABLE notes (id int PRIMARY KEY, who text)" \
    -c "INSERT INTO notes VALUES (1, 'base')" -c "CREATE BRANCH dev" >"$work/setup.out" 2>&1

mkfifo "$work/a.in" "$work/b.in"
PGOPTIONS='-c helios.branch=dev' "${psql_cmd[@]}" <"$work/a.in" >"$work/a.out" 2>&1 &
helios_pids+=($!)
"${psql_cmd[@]}" <"$work/b.in" >"$work/b.out" 2>&1 &
helios_pids+=($!)
exec 3>"$work/a.in" 4>"$work/b.in"

step=0
# send SESSION SQL...: sends the statements to session a or b without waiting.
send() {
    local who="$1"; shift
    local fd=3; [ "$who" = b ] && fd=4
    local s
    for s in "$@"; do printf '%s\n' "$s" >&"$fd"; done
}
# wait_for SESSION: marks the session's output and waits until it has run everything sent.
wait_for() {
    local who="$1"
    step=$((step + 1))
    send "$who" "\\echo -- step $step done"
    local i
    for i in $(seq 1 600); do
        if grep -q -- "^-- step $step done$" "$work/$who.out" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "psql-branches: session $who did not finish step $step" >&2
    cat "$work/$who.out" >&2
    helios_server_log
    exit 1
}
# run SESSION SQL...: one step, run to completion before the next.
run() {
    local who="$1"; shift
    send "$who" "\\echo -- $who: $*" "$@"
    wait_for "$who"
}

run a "SHOW helios.branch;" "SELECT current_branch();"
run b "SHOW helios.branch;"
# Both sessions hold open transactions on their own branch at the same time, writing the
# same primary key: no conflict, the branches are separate.
run a "BEGIN;" "INSERT INTO notes VALUES (2, 'dev');"
run b "BEGIN;" "INSERT INTO notes VALUES (2, 'main');"
run a "SELECT id, who FROM notes ORDER BY id;"
run b "SELECT id, who FROM notes ORDER BY id;"
run a "COMMIT;"
run b "SELECT id, who FROM notes ORDER BY id;" "COMMIT;"
run a "UPDATE notes SET who = 'dev edit' WHERE id = 1;"
run b "DELETE FROM notes WHERE id = 1;"
run a "SELECT id, who FROM notes ORDER BY id;"
run b "SELECT id, who FROM notes ORDER BY id;"

# A burst from both sessions with no ordering between them: 200 single-row inserts each.
for i in $(seq 100 299); do
    send a "INSERT INTO notes VALUES ($i, 'dev burst');"
    send b "INSERT INTO notes VALUES ($i, 'main burst');"
done
wait_for a
wait_for b
run a "SELECT who, count(*) FROM notes GROUP BY who ORDER BY who;"
run b "SELECT who, count(*) FROM notes GROUP BY who ORDER BY who;"

# The branch a session uses is its own: B switching does not move A; a branch in use
# cannot be dropped.
run b "USE BRANCH dev;" "SELECT count(*) FROM notes WHERE who LIKE 'dev%';"
run b "USE BRANCH main;" "DROP BRANCH dev;"
run a "SHOW helios.branch;" "SELECT count(*) FROM notes WHERE who LIKE 'main%';"

exec 3>&- 4>&-
wait "${helios_pids[1]}" "${helios_pids[2]}" || true

{
    echo "-- setup"
    cat "$work/setup.out"
    echo "-- session A (started on dev)"
    cat "$work/a.out"
    echo "-- session B (main)"
    cat "$work/b.out"
} | grep -v -- '^-- step [0-9]* done$' >"$work/actual.out"

if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
    cp "$work/actual.out" "$here/expected.out"
    echo "psql-branches: expected.out updated"
    exit 0
fi
if diff -u "$here/expected.out" "$work/actual.out"; then
    echo "psql-branches: 1 passed, 0 failed"
else
    echo "psql-branches: output differs from expected.out" >&2
    helios_server_log
    exit 1
fi
