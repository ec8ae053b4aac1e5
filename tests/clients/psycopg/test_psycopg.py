"""psycopg 3 client test: run by run.sh with the server port as argument."""

import sys
import datetime
import decimal

import psycopg
from psycopg import errors

from check import Checks, eq

PORT = int(sys.argv[1])
DSN = f"host=127.0.0.1 port={PORT} user=psycopg dbname=psycopg connect_timeout=10"


def connect(**kw):
    return psycopg.connect(DSN, **kw)


def test_connect():
    with connect() as conn:
        row = conn.execute("SELECT 1 + 1").fetchone()
        eq(row, (2,), "SELECT 1 + 1")
        assert conn.info.server_version > 0, "server_version"


def test_crud():
    with connect(autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, "
            "price NUMERIC(10,2), qty BIGINT, ok BOOLEAN)"
        )
        conn.execute("INSERT INTO items VALUES (1, 'apple', 1.50, 10, true)")
        conn.execute("INSERT INTO items VALUES (2, 'pear', 2.25, 5, false)")
        cur = conn.execute("INSERT INTO items VALUES (3, 'plum', 0.75, 0, NULL)")
        eq(cur.rowcount, 1, "insert rowcount")
        rows = conn.execute("SELECT id, name, price, qty, ok FROM items ORDER BY id").fetchall()
        eq(
            rows,
            [
                (1, "apple", decimal.Decimal("1.50"), 10, True),
                (2, "pear", decimal.Decimal("2.25"), 5, False),
                (3, "plum", decimal.Decimal("0.75"), 0, None),
            ],
            "select all",
        )
        cur = conn.execute("UPDATE items SET qty = qty + 1 WHERE qty < 10")
        eq(cur.rowcount, 2, "update rowcount")
        cur = conn.execute("DELETE FROM items WHERE id = 3")
        eq(cur.rowcount, 1, "delete rowcount")
        eq(conn.execute("SELECT count(*), sum(qty) FROM items").fetchone(), (2, 16), "after update/delete")


def test_parameters():
    with connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE params (id INT PRIMARY KEY, t TEXT, f DOUBLE PRECISION, d DATE, b BYTEA)")
        day = datetime.date(2024, 2, 29)
        conn.execute(
            "INSERT INTO params VALUES (%s, %s, %s, %s, %s)",
            (1, "it's \"quoted\"", 3.25, day, b"\x00\x01\xff"),
        )
        conn.execute("INSERT INTO params (id, t) VALUES (%(id)s, %(t)s)", {"id": 2, "t": None})
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO params (id, t) VALUES (%s, %s)", [(3, "c"), (4, "d"), (5, "e")])
        row = conn.execute("SELECT t, f, d, b FROM params WHERE id = %s", (1,)).fetchone()
        eq(row, ("it's \"quoted\"", 3.25, day, b"\x00\x01\xff"), "typed round trip")
        eq(conn.execute("SELECT t FROM params WHERE id = %s", (2,)).fetchone(), (None,), "NULL param")
        eq(
            conn.execute("SELECT id FROM params WHERE id > %s AND t <> %s ORDER BY id", (2, "d")).fetchall(),
            [(3,), (5,)],
            "two params",
        )
        # Server-side prepared statement (prepare=True forces Parse/Bind reuse).
        for i in range(3):
            eq(conn.execute("SELECT %s::int * 2", (i,), prepare=True).fetchone(), (i * 2,), "prepared")
        # Binary-format parameters and results.
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT id, t FROM params WHERE id = %b", (4,))
            eq(cur.fetchone(), (4, "d"), "binary cursor")


def test_transactions():
    with connect() as conn:  # non-autocommit: psycopg issues BEGIN
        conn.execute("CREATE TABLE tx (id INT PRIMARY KEY, v TEXT)")
        conn.commit()
        conn.execute("INSERT INTO tx VALUES (1, 'kept')")
        conn.commit()
        conn.execute("INSERT INTO tx VALUES (2, 'dropped')")
        conn.rollback()
        eq(conn.execute("SELECT id FROM tx ORDER BY id").fetchall(), [(1,)], "rollback discards")
        conn.rollback()
        with conn.transaction():
            conn.execute("INSERT INTO tx VALUES (3, 'ctx')")
        try:
            with conn.transaction():
                conn.execute("INSERT INTO tx VALUES (4, 'boom')")
                raise RuntimeError("abort block")
        except RuntimeError:
            pass
        eq(conn.execute("SELECT id FROM tx ORDER BY id").fetchall(), [(1,), (3,)], "transaction() blocks")
        conn.commit()
    # Visibility to another connection only after commit.
    with connect() as a, connect(autocommit=True) as b:
        a.execute("INSERT INTO tx VALUES (5, 'late')")
        eq(b.execute("SELECT count(*) FROM tx WHERE id = 5").fetchone(), (0,), "uncommitted invisible")
        a.commit()
        eq(b.execute("SELECT count(*) FROM tx WHERE id = 5").fetchone(), (1,), "committed visible")


def test_errors():
    with connect() as conn:
        conn.execute("CREATE TABLE errs (id INT PRIMARY KEY)")
        conn.execute("INSERT INTO errs VALUES (1)")
        conn.commit()
        try:
            conn.execute("INSERT INTO errs VALUES (1)")
            raise AssertionError("duplicate key accepted")
        except errors.UniqueViolation as e:
            eq(e.sqlstate, "23505", "unique violation sqlstate")
        # The transaction is now aborted: 25P02 until rollback.
        try:
            conn.execute("SELECT 1")
            raise AssertionError("statement ran in aborted transaction")
        except errors.InFailedSqlTransaction as e:
            eq(e.sqlstate, "25P02", "in failed transaction")
        conn.rollback()
        for sql, state in [
            ("SELECT * FROM no_such_table", "42P01"),
            ("SELECT no_such_column FROM errs", "42703"),
            ("SELEC 1", "42601"),
            ("SELECT 1 / 0", "22012"),
            ("SELECT 'abc'::int", "22P02"),
            ("INSERT INTO errs VALUES (NULL)", "23502"),
        ]:
            try:
                conn.execute(sql)
                raise AssertionError(f"{sql!r} succeeded")
            except psycopg.Error as e:
                eq(e.sqlstate, state, sql)
            conn.rollback()
        eq(conn.execute("SELECT count(*) FROM errs").fetchone(), (1,), "usable after errors")


def test_copy():
    with connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE cp (id INT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)")
        rows = [(i, f"name {i}" if i % 7 else None, i / 4) for i in range(1, 501)]
        with conn.cursor() as cur:
            with cur.copy("COPY cp (id, name, score) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            eq(cur.rowcount, 500, "COPY FROM rowcount")
        eq(
            conn.execute("SELECT count(*), count(name), sum(score) FROM cp").fetchone(),
            (500, 500 - 500 // 7, sum(r[2] for r in rows)),
            "copied data",
        )
        out = []
        with conn.cursor() as cur:
            with cur.copy("COPY (SELECT id, name FROM cp WHERE id <= 8 ORDER BY id) TO STDOUT") as copy:
                for row in copy.rows():
                    out.append(row)
        eq(out, [(str(i), f"name {i}" if i % 7 else None) for i in range(1, 9)], "COPY TO rows")
        # Raw text-format block with escapes.
        with conn.cursor() as cur:
            with cur.copy("COPY cp FROM STDIN") as copy:
                copy.write("1001\ttab\\there\t1.5\n1002\t\\N\t2\n")
        eq(
            conn.execute("SELECT name FROM cp WHERE id > 1000 ORDER BY id").fetchall(),
            [("tab\there",), (None,)],
            "COPY text escapes",
        )


def test_server_cursors():
    # Named (server-side) cursors: DECLARE, Describe of the cursor as a portal, FETCH
    # FORWARD in batches, scrolling, WITH HOLD and pg_cursors.
    with connect() as conn:
        conn.execute("CREATE TABLE sc (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO sc SELECT g, 'v' || g FROM generate_series(1, 1000) g")
        conn.commit()
        with conn.cursor(name="big") as cur:
            cur.itersize = 100
            cur.execute("SELECT id, v FROM sc WHERE id > %s ORDER BY id", (10,))
            rows = list(cur)
        eq(len(rows), 990, "named cursor row count")
        eq(rows[0], (11, "v11"), "named cursor first row")
        eq(rows[-1], (1000, "v1000"), "named cursor last row")
        with conn.cursor(name="scroll", scrollable=True) as cur:
            cur.execute("SELECT id FROM sc ORDER BY id")
            eq(cur.fetchmany(3), [(1,), (2,), (3,)], "scrollable fetchmany")
            cur.scroll(10, mode="absolute")
            eq(cur.fetchone(), (11,), "scroll absolute")
            eq(
                conn.execute("SELECT name, is_scrollable FROM pg_cursors").fetchall(),
                [("scroll", True)],
                "pg_cursors lists the open cursor",
            )
        conn.commit()
        with conn.cursor(name="held", withhold=True) as cur:
            cur.execute("SELECT count(*) FROM sc")
            conn.commit()
            eq(cur.fetchone(), (1000,), "WITH HOLD cursor after commit")


def test_listen_notify():
    got = []
    with connect(autocommit=True) as listener, connect(autocommit=True) as sender:
        listener.execute("LISTEN jobs")
        # An idle listener is sent notifications at once: notifies() waits for them.
        sender.execute("NOTIFY jobs, 'idle'")
        idle = [(n.channel, n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
        eq(idle, [("jobs", "idle")], "notification to an idle listener")
        listener.add_notify_handler(lambda n: got.append((n.channel, n.payload)))
        sender.execute("NOTIFY jobs, 'one'")
        with sender.transaction():
            sender.execute("SELECT pg_notify(%s, %s)", ("jobs", "two"))
            sender.execute("NOTIFY jobs, 'two'")
        try:
            with sender.transaction():
                sender.execute("NOTIFY jobs, 'rolled back'")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        # The server sends notifications when the listener's next command ends.
        listener.execute("SELECT 1")
        eq(got, [("jobs", "one"), ("jobs", "two")], "notifications at commit, folded")
        try:
            sender.execute("NOTIFY jobs, '" + "x" * 8000 + "'")
            raise AssertionError("an 8000-byte payload was accepted")
        except errors.InvalidParameterValue as e:
            eq(e.sqlstate, "22023", "payload limit sqlstate")


def main():
    c = Checks("psycopg")
    c.run("connect", test_connect)
    c.run("crud", test_crud)
    c.run("parameters", test_parameters)
    c.run("transactions", test_transactions)
    c.run("errors", test_errors)
    c.run("copy", test_copy)
    c.run("server cursors", test_server_cursors)
    c.run("listen notify", test_listen_notify)
    sys.exit(c.summary())


if __name__ == "__main__":
    main()
