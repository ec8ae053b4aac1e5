#!/usr/bin/env python3
"""Graded pg_regress runner for HeliosDB Nano.

Runs PostgreSQL's regression files (`../shared/conformance/pg_regress`) through
`psql -X -a -q` against a running server, in `parallel_schedule` order (test_setup
first), one file after another in the same database, as pg_regress does. The actual
and expected outputs are split into blocks, one per statement of the input file (the
echoed statement plus everything printed until the next statement), and compared
block by block; a file matches fully when its whole output equals `X.out` or one of
the alternatives `X_N.out`.

    pg_regress.py --port P --suite DIR [--baseline FILE] [--update] [--timeout S]

Prints one line per file and the totals; with --baseline, exits 1 when a file's
matching-block count is more than NOISE_BLOCKS below its baseline count, or the total
is below the baseline total (with --update, rewrites it).
A file that exceeds the timeout has its running statement cancelled and psql stopped;
the blocks printed until then count, the file cannot match fully. The server is
restarted (with test_setup re-run) when it stops answering, through --restart-cmd.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

# A file's count may sit this many blocks under its floor without failing the run: a few
# files (foreign_key, updatable_views) move by a block between identical runs, with
# what earlier files left behind. The TOTAL floor has no allowance.
NOISE_BLOCKS = 1


def schedule(suite):
    """Test names in parallel_schedule order; files not in the schedule are appended."""
    names = []
    with open(os.path.join(suite, "parallel_schedule"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("test:"):
                names.extend(line[len("test:"):].split())
    sql_dir = os.path.join(suite, "sql")
    present = {n[:-4] for n in os.listdir(sql_dir) if n.endswith(".sql")}
    ordered = [n for n in names if n in present]
    ordered += sorted(present - set(ordered))
    return ordered


class Splitter:
    """Assigns each line of a psql script to the statement it belongs to.

    A statement ends at a `;` outside quotes, comments and parentheses, or at a
    backslash meta-command. Comment and blank lines belong to the next statement.
    Lines of inline COPY data (after `COPY ... FROM stdin;` up to `\\.`) are not echoed
    by psql and are marked None.
    """

    def __init__(self, text):
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    def split(self):
        owner = []  # statement index per line, or None for COPY data
        stmt = 0
        state = None  # None, "'", '"', "E", "$tag$", "/*"
        depth = 0
        comment_depth = 0
        buf_empty = True
        copy_data = False
        echo = True
        echoed = []
        stmt_text = []
        for line in self.lines:
            if copy_data:
                owner.append(None)
                echoed.append(False)
                if line.strip() == "\\.":
                    copy_data = False
                continue
            owner.append(stmt)
            echoed.append(echo)
            if state is None and buf_empty and line.lstrip().startswith("\\"):
                meta = line.strip()
                if re.match(r"\\set\s+ECHO\s+none\b", meta):
                    echo = False
                elif re.match(r"\\set\s+ECHO\s+", meta):
                    echo = True
                if re.match(r"\\copy\b.*\bfrom\s+(stdin|stdout)\s*$", meta, re.I):
                    copy_data = True
                stmt += 1
                continue
            i = 0
            n = len(line)
            ended = False
            while i < n:
                c = line[i]
                if state is None:
                    if c == "-" and line.startswith("--", i):
                        break
                    if c == "/" and line.startswith("/*", i):
                        state, comment_depth = "/*", 1
                        i += 2
                        continue
                    if not c.isspace():
                        buf_empty = False
                    if c == "'":
                        prev = line[i - 1] if i > 0 else " "
                        state = "E" if prev in "eE" and (i < 2 or not line[i - 2].isalnum()) else "'"
                    elif c == '"':
                        state = '"'
                    elif c == "$":
                        m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", line[i:])
                        if m and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
                            state = m.group(0)
                            i += len(m.group(0))
                            continue
                    elif c == "(":
                        depth += 1
                    elif c == ")":
                        depth = max(0, depth - 1)
                    elif c == ";" and depth == 0:
                        ended = True
                        stmt_text.append(line[: i + 1])
                    elif c == "\\":
                        # \g, \gset, \gx ... end the current query.
                        ended = True
                        break
                elif state == "/*":
                    if line.startswith("*/", i):
                        comment_depth -= 1
                        i += 2
                        if comment_depth == 0:
                            state = None
                        continue
                    if line.startswith("/*", i):
                        comment_depth += 1
                        i += 2
                        continue
                elif state == "'":
                    if c == "'":
                        state = None
                elif state == "E":
                    if c == "\\":
                        i += 2
                        continue
                    if c == "'":
                        state = None
                elif state == '"':
                    if c == '"':
                        state = None
                else:  # dollar quote
                    if line.startswith(state, i):
                        i += len(state)
                        state = None
                        continue
                i += 1
            if not ended:
                stmt_text.append(line)
            if ended:
                text = " ".join(stmt_text)
                if re.search(r"\bcopy\b.*\bfrom\s+(stdin|stdout)\b", text, re.I | re.S) and not line.rstrip().endswith("\\."):
                    copy_data = True
                stmt_text = []
                stmt += 1
                depth = 0
                buf_empty = True
        self.echoed = echoed
        return owner


def blocks(script_lines, owner, echoed, output):
    """Splits psql -a output into per-statement blocks (blank lines ignored).

    Output lines equal to the next echoed script line advance the position; every
    other line is output of the statement echoed last.
    """
    echo = [(ln, o) for ln, o, e in zip(script_lines, owner, echoed) if e and ln.strip() != ""]
    result = {}
    pos = 0
    current = None
    for line in output.split("\n"):
        if line.strip() == "":
            continue
        if pos < len(echo) and line == echo[pos][0]:
            current = echo[pos][1]
            pos += 1
            result.setdefault(current, []).append(line)
            continue
        result.setdefault(current, []).append(line)
    return result


def normalize(text):
    return text.replace("\r\n", "\n")


def compare(sql_path, expected_paths, actual):
    with open(sql_path, encoding="utf-8", errors="replace") as f:
        script = normalize(f.read())
    sp = Splitter(script)
    owner = sp.split()
    act = blocks(sp.lines, owner, sp.echoed, actual)
    best = None
    full = False
    total = 0
    for p in expected_paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            expected = normalize(f.read())
        full = full or expected == actual
        exp = blocks(sp.lines, owner, sp.echoed, expected)
        statements = [k for k in exp if k is not None]
        matched = sum(1 for s in statements if act.get(s) == exp.get(s))
        if expected == actual:
            matched = len(statements)
        if best is None or matched > best or (matched == best and len(statements) < total):
            best, total = matched, len(statements)
    return best or 0, total, full


def server_alive(host, port, psql_env):
    try:
        r = subprocess.run(
            ["psql", "-X", "-At", "-h", host, "-p", str(port), "-c", "SELECT 1"],
            env=psql_env, capture_output=True, timeout=10,
        )
        return r.returncode == 0 and r.stdout.strip() == b"1"
    except subprocess.TimeoutExpired:
        return False


class Server:
    """A `heliosdb-nano start --memory` process on a free loopback port."""

    def __init__(self, binary, host, log, env):
        self.binary, self.host, self.log, self.env = binary, host, log, env
        self.proc = None
        self.port = None

    def start(self):
        s = socket.socket()
        s.bind((self.host, 0))
        self.port = s.getsockname()[1]
        s.close()
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([self.binary, "start", "--memory", "--port", str(self.port)],
                                     stdout=log, stderr=log)
        for _ in range(300):
            try:
                socket.create_connection((self.host, self.port), 1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise SystemExit(f"pg_regress: server did not start on port {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def setup(self, suite):
        """Re-runs test_setup.sql (after a restart), output discarded."""
        try:
            subprocess.run(
                ["psql", "-X", "-q", "-h", self.host, "-p", str(self.port), "-v", f"abs_srcdir={suite}",
                 "-f", os.path.join(suite, "sql", "test_setup.sql")],
                env=self.env, cwd=suite, capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--bin", required=True, help="heliosdb-nano binary (started with start --memory)")
    ap.add_argument("--suite", required=True)
    ap.add_argument("--baseline")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--budget", type=float, default=600.0, help="total seconds; later files count 0")
    ap.add_argument("--server-log", default=os.devnull)
    ap.add_argument("--only", nargs="*", help="run only these tests (no baseline check)")
    ap.add_argument("--results", help="folder to write actual outputs into")
    args = ap.parse_args()

    suite = os.path.abspath(args.suite)
    env = dict(os.environ)
    env.update({
        "PG_ABS_SRCDIR": suite,
        "PG_ABS_BUILDDIR": suite,
        "PG_LIBDIR": os.path.join(suite, "lib"),
        "PG_DLSUFFIX": ".so",
        "PGUSER": "regress",
        "PGDATABASE": "regression",
        "PGCONNECT_TIMEOUT": "10",
        # As PostgreSQL's pg_regress: its regression database is created with
        # `intervalstyle = postgres_verbose`, and the client sets TimeZone and DateStyle.
        "PGOPTIONS": "-c intervalstyle=postgres_verbose",
        "PGTZ": "America/Los_Angeles",
        "PGDATESTYLE": "Postgres, MDY",
        "LC_ALL": "C",
    })
    env.pop("PGSERVICE", None)

    server = Server(args.bin, args.host, args.server_log, env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run_all(args, suite, env, server)
    finally:
        server.stop()


def run_all(args, suite, env, server):
    """Runs the files, prints per-file lines and totals, checks the baseline."""
    server.start()
    args.port = server.port
    names = args.only or schedule(suite)
    if args.only and "test_setup" not in args.only:
        server.setup(suite)
    started = time.monotonic()
    per_file = {}
    for name in names:
        sql_path = os.path.join(suite, "sql", name + ".sql")
        exp_dir = os.path.join(suite, "expected")
        expected = sorted(
            os.path.join(exp_dir, f) for f in os.listdir(exp_dir)
            if f == name + ".out" or re.fullmatch(re.escape(name) + r"_\d+\.out", f)
        )
        if not expected:
            continue
        if time.monotonic() - started > args.budget:
            per_file[name] = (0, compare(sql_path, expected, "")[1], False, "budget")
            continue
        cmd = [
            "psql", "-X", "-a", "-q", "-h", args.host, "-p", str(args.port),
            "-v", f"abs_srcdir={suite}", "-v", f"abs_builddir={suite}",
            "-v", f"libdir={os.path.join(suite, 'lib')}", "-v", "dlsuffix=.so",
        ]
        note = ""
        # Script on stdin, as pg_regress does (errors then print without a file:line prefix).
        with open(sql_path, "rb") as script:
            proc = subprocess.Popen(cmd, env=env, cwd=suite, stdin=script,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                out, _ = proc.communicate(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                # SIGINT makes psql cancel the running statement on the server (a
                # CancelRequest), so the next file does not queue behind it; then stop.
                note = "timeout"
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
                proc.kill()
                out, _ = proc.communicate()
        actual = normalize(out.decode("utf-8", errors="replace"))
        if args.results:
            os.makedirs(args.results, exist_ok=True)
            with open(os.path.join(args.results, name + ".out"), "w", encoding="utf-8") as f:
                f.write(actual)
        matched, total, full = compare(sql_path, expected, actual)
        if note == "timeout":
            # The blocks printed before the time ran out count; the file cannot match fully.
            full = False
        if not server_alive(args.host, args.port, env):
            note = (note + " server-restarted").strip()
            matched, full = 0, False
            server.stop()
            server.start()
            args.port = server.port
            server.setup(suite)
        per_file[name] = (matched, total, full, note)
        print(f"{name:28} {matched:5}/{total:<5} {'full' if full else ''} {note}".rstrip(), flush=True)

    server.stop()
    m = sum(v[0] for v in per_file.values())
    t = sum(v[1] for v in per_file.values())
    fullc = sum(1 for v in per_file.values() if v[2])
    pct = 100.0 * m / t if t else 0.0
    print(f"pg_regress totals: {m}/{t} statement blocks match ({pct:.1f}%), "
          f"{fullc}/{len(per_file)} files match fully, {time.monotonic() - started:.0f}s")

    status = 0
    if args.baseline and not args.only:
        if args.update or not os.path.exists(args.baseline):
            with open(args.baseline, "w", encoding="utf-8") as f:
                f.write("# pg_regress baseline: <file> <matching statement blocks> <statements> <full 0/1>\n")
                f.write("# Rewritten by HELIOS_UPDATE_BASELINE=1 tests/pg_regress/run.sh\n")
                for name in sorted(per_file):
                    mm, tt, ff, _ = per_file[name]
                    f.write(f"{name} {mm} {tt} {int(ff)}\n")
                f.write(f"TOTAL {m} {t} {fullc}\n")
            print(f"pg_regress: baseline written to {args.baseline}")
        else:
            base = {}
            with open(args.baseline, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("#") or not line.strip():
                        continue
                    parts = line.split()
                    base[parts[0]] = (int(parts[1]), int(parts[3]))
            drops = []
            for name, (bm, bf) in base.items():
                if name == "TOTAL":
                    if m < bm:
                        drops.append(f"TOTAL blocks {m} < {bm}")
                    if fullc < bf:
                        drops.append(f"TOTAL full files {fullc} < {bf}")
                    continue
                cur = per_file.get(name)
                if cur is None:
                    continue
                if cur[0] < bm - NOISE_BLOCKS:
                    drops.append(f"{name}: {cur[0]} < {bm} matching blocks {cur[3]}".rstrip())
                elif cur[0] < bm:
                    print(f"pg_regress: {name}: {cur[0]} < {bm} (within the {NOISE_BLOCKS}-block "
                          "noise allowance)", file=sys.stderr)
                if bf and not cur[2]:
                    drops.append(f"{name}: no longer matches fully")
            if drops:
                print("pg_regress: counts dropped below baseline:", file=sys.stderr)
                for d in drops:
                    print("  " + d, file=sys.stderr)
                status = 1
    passed = 0 if status else 1
    print(f"pg_regress: {passed} passed, {1 - passed} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
