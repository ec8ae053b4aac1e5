#!/usr/bin/env bash
# pgbench acceptance run: `pgbench -i -s 1`, then the default TPC-B-like script with
# `-c 4 -T $PGBENCH_SECONDS` (default 30), then the TPC-B invariant checked with psql:
# sum(abalance) = sum(tbalance) = sum(bbalance), and pgbench_history holds one row per
# transaction with the same sum of deltas. Prints `pgbench-tpcb: N passed, M failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init pgbench-tpcb
command -v pgbench >/dev/null 2>&1 || helios_skip "pgbench is not installed"
command -v psql >/dev/null 2>&1 || helios_skip "psql is not installed"
seconds="${PGBENCH_SECONDS:-30}"
helios_binary
helios_start
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=bench PGDATABASE=bench PGCONNECT_TIMEOUT=10
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1" >&2; }
q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

gaps=0
# Without -n: pgbench -i ends with `vacuum analyze pgbench_*`, and the run below starts
# with `vacuum pgbench_branches` / `vacuum pgbench_tellers` / `truncate pgbench_history`.
if pgbench -i -s 1 >"$work/init.log" 2>&1; then
    ok "pgbench -i -s 1"
else
    bad "pgbench -i -s 1: $(tail -n 3 "$work/init.log")"
fi
eq_check() { # label, actual, expected
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$3', got '$2'"; fi
}
eq_check "accounts loaded" "$(q 'SELECT count(*) FROM pgbench_accounts')" 100000
eq_check "branches loaded" "$(q 'SELECT count(*) FROM pgbench_branches')" 1
eq_check "tellers loaded" "$(q 'SELECT count(*) FROM pgbench_tellers')" 10

# No retries: as on PostgreSQL under READ COMMITTED, concurrent updates of the one branch
# row wait for each other instead of failing, so every transaction must succeed.
out="$(pgbench -c 4 -j 2 -T "$seconds" --failures-detailed 2>&1)" || true
echo "$out" | grep -E '^(number of|latency|tps|pgbench \()' || echo "$out"
xacts="$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')"
fails="$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')"
if [ -n "$xacts" ] && [ "$xacts" -gt 0 ]; then ok "tpc-b run processed $xacts transactions"; else bad "tpc-b run processed no transactions"; fi
eq_check "tpc-b run failed transactions" "${fails:-missing}" 0

sums="$(q 'SELECT (SELECT sum(abalance) FROM pgbench_accounts) || $$ $$ || (SELECT sum(tbalance) FROM pgbench_tellers) || $$ $$ || (SELECT sum(bbalance) FROM pgbench_branches)')"
read -r asum tsum bsum <<<"$sums"
echo "sum(abalance)=$asum sum(tbalance)=$tsum sum(bbalance)=$bsum"
if [ -n "$asum" ] && [ "$asum" = "$tsum" ] && [ "$tsum" = "$bsum" ]; then
    ok "invariant sum(abalance) = sum(tbalance) = sum(bbalance)"
else
    bad "invariant broken: sum(abalance)=$asum sum(tbalance)=$tsum sum(bbalance)=$bsum"
fi
hist="$(q 'SELECT count(*) || $$ $$ || coalesce(sum(delta), 0) FROM pgbench_history')"
read -r hcount hsum <<<"$hist"
eq_check "history sum(delta) = sum(abalance)" "$hsum" "${asum:-none}"
if [ -n "$xacts" ]; then eq_check "history rows = transactions" "$hcount" "$xacts"; fi

echo "pgbench-tpcb: $passed passed, $failed failed$([ "$gaps" -gt 0 ] && echo " ($gaps known engine gaps)")"
if [ "$failed" -ne 0 ]; then helios_server_log; exit 1; fi
