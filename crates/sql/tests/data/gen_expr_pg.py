#!/usr/bin/env python3
"""Regenerates expr_pg.tsv from expr_cases.txt by running every expression on a real
PostgreSQL (connection from PG* environment variables, e.g. the one
/work/shared/tools/start-postgres.sh starts). Columns: expression, pg_typeof, output
(psql text, \\N for NULL) or ERROR <sqlstate>."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def psql(sql):
    env = dict(os.environ, PGOPTIONS="-c TimeZone=UTC -c extra_float_digits=1")
    p = subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-v", "VERBOSITY=verbose", "-P", "null=\\N", "-c", sql],
        capture_output=True, text=True, env=env)
    if p.returncode != 0 or "ERROR:" in p.stderr:
        line = next((l for l in p.stderr.splitlines() if l.startswith("ERROR:")), "ERROR:  XX000: ?")
        return None, line.split()[1].rstrip(":")
    return p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout, None


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


out = []
for line in open(os.path.join(HERE, "expr_cases.txt")):
    expr = line.rstrip("\n")
    if not expr or expr.startswith("#"):
        continue
    value, err = psql(f"SELECT {expr}")
    if err:
        out.append(f"{expr}\t\tERROR {err}")
        continue
    ty, _ = psql(f"SELECT pg_typeof({expr})")
    out.append(f"{expr}\t{ty}\t{esc(value) if value != chr(92) + 'N' else value}")
open(os.path.join(HERE, "expr_pg.tsv"), "w").write("\n".join(out) + "\n")
print(f"{len(out)} cases", file=sys.stderr)
