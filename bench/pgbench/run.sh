#!/usr/bin/env bash
# pgbench against HeliosDB Nano (the `heliosdb-nano start` server, release build) and
# against PostgreSQL on the same machine, in one run; prints TPS and the HeliosDB/PostgreSQL
# ratio as a markdown table.
#
#   bash bench/pgbench/run.sh
#
# Knobs (environment), with defaults
#   PGBENCH_T=20            seconds per run (pgbench -T)
#   PGBENCH_SCALE=1         pgbench -i -s
#   PGBENCH_CLIENTS="1 4 16" client counts for TPC-B; select-only (-S) runs with 4
#   HELIOS_STORAGE=memory   `memory` (--memory) or `disk` (--data-dir in a temp dir)
#   HELIOS_PORT=6544        port of the HeliosDB server this script starts
#   HELIOS_BIN              path of heliosdb-nano (default: target/release/heliosdb-nano,
#                           built with `cargo build --release -p helios-cli` if missing)
#   PG_SKIP=0               1: do not run against PostgreSQL
#   PGBENCH                 pgbench binary (default: pgbench on PATH, else PostgreSQL 15's)
#
# Both sides run with `-n` (pgbench's own VACUUM before each run skipped) after an
# explicit VACUUM ANALYZE, so they do the same work between runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${PGBENCH_T:-20}
SCALE=${PGBENCH_SCALE:-1}
CLIENTS=${PGBENCH_CLIENTS:-"1 4 16"}
STORAGE=${HELIOS_STORAGE:-memory}
HPORT=${HELIOS_PORT:-6544}
PGBENCH=${PGBENCH:-$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)}
BIN=${HELIOS_BIN:-$ROOT/target/release/heliosdb-nano}

if [[ ! -x $BIN ]]; then
  (cd "$ROOT" && cargo build --release -p helios-cli)
fi

WORK=$(mktemp -d)
HPID=
cleanup() {
  if [[ -n $HPID ]]; then kill "$HPID" 2>/dev/null || true; wait "$HPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Runs pgbench and prints "TPS FAILED" (TPS excluding connection time when pgbench reports
# it; FAILED: transactions that ended in an error such as 40001 or 40P01, not retried).
tps() {
  local out
  out=$("$PGBENCH" "$@" 2>&1) || { echo "pgbench failed: $out" >&2; echo "error -"; return; }
  echo "$out" | awk '/^tps = / { v = $3 } /^number of failed transactions: / { f = $5 }
    END { if (v == "") v = "error"; if (f == "") f = 0; print v, f }'
}

declare -A H P
runs=()
for c in $CLIENTS; do runs+=("tpcb-$c"); done
runs+=("select-4")

args_for() { # run name -> pgbench arguments
  local name=$1
  case $name in
    tpcb-*) echo "-c ${name#tpcb-} -j $(( ${name#tpcb-} < 2 ? 1 : 2 )) -T $T" ;;
    select-4) echo "-S -c 4 -j 2 -T $T" ;;
  esac
}

# --- HeliosDB -------------------------------------------------------------------------
if [[ $STORAGE == disk ]]; then
  store=(--data-dir "$WORK/helios")
else
  store=(--memory)
fi
"$BIN" start "${store[@]}" --listen 127.0.0.1 --port "$HPORT" --auth trust \
  >"$WORK/helios.log" 2>&1 &
HPID=$!
# Wait for *our* server to listen (a server of someone else's on the port would answer
# psql too): it says so in its log, or it exits.
for _ in $(seq 1 100); do
  if grep -q "listening on" "$WORK/helios.log" 2>/dev/null || ! kill -0 "$HPID" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ! kill -0 "$HPID" 2>/dev/null || ! grep -q "listening on" "$WORK/helios.log"; then
  echo "HeliosDB did not start (port $HPORT in use? set HELIOS_PORT):" >&2
  cat "$WORK/helios.log" >&2
  exit 1
fi
export PGHOST=127.0.0.1 PGPORT=$HPORT PGUSER=bench PGDATABASE=bench
echo "HeliosDB: pgbench -i -s $SCALE" >&2
if ! "$PGBENCH" -i -n -s "$SCALE" >"$WORK/init-h.log" 2>&1; then
  echo "pgbench -i against HeliosDB failed:" >&2
  cat "$WORK/init-h.log" >&2
fi
for r in "${runs[@]}"; do
  echo "HeliosDB: $r" >&2
  psql -qAtc 'VACUUM ANALYZE' >/dev/null
  # shellcheck disable=SC2046
  H[$r]=$(tps -n $(args_for "$r"))
done
kill "$HPID"; wait "$HPID" 2>/dev/null || true; HPID=

# --- PostgreSQL -----------------------------------------------------------------------
if [[ ${PG_SKIP:-0} != 1 ]]; then
  bash /work/shared/tools/start-postgres.sh >/dev/null
  export PGHOST=127.0.0.1 PGPORT=5433 PGUSER=bench PGPASSWORD=bench PGDATABASE=bench
  echo "PostgreSQL: pgbench -i -s $SCALE" >&2
  "$PGBENCH" -i -s "$SCALE" >"$WORK/init-p.log" 2>&1
  for r in "${runs[@]}"; do
    echo "PostgreSQL: $r" >&2
    psql -qAtc 'VACUUM ANALYZE' >/dev/null
    # shellcheck disable=SC2046
    P[$r]=$(tps -n $(args_for "$r"))
  done
fi

# --- Report ---------------------------------------------------------------------------
echo
echo "pgbench scale $SCALE, -T $T s per run, HeliosDB storage: $STORAGE; $(nproc) cores"
echo
echo "| run | HeliosDB TPS | failed | PostgreSQL TPS | failed | ratio |"
echo "|---|---|---|---|---|---|"
for r in "${runs[@]}"; do
  read -r h hf <<<"${H[$r]:-error -}"; read -r p pf <<<"${P[$r]:-skipped -}"
  ratio=$(awk -v h="$h" -v p="$p" 'BEGIN { if (h+0 > 0 && p+0 > 0) printf "%.2fx", h/p; else print "-" }')
  case $r in
    tpcb-*) label="TPC-B, ${r#tpcb-} client(s)" ;;
    select-4) label="select-only (-S), 4 clients" ;;
  esac
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$h" "$hf" "$p" "$pf" "$ratio"
done
