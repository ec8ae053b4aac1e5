"""asyncpg client test: run by run.sh with the server port as argument.

asyncpg always uses the extended protocol with binary formats and introspects types it
does not know through pg_catalog, so this also exercises Describe and binary codecs.
"""

import asyncio
import datetime
import decimal
import io
import sys

import asyncpg

from check import Checks, eq

PORT = int(sys.argv[1])


# Engine gaps (check label -> error the server gives today).
GAPS = {}


async def connect():
    return await asyncpg.connect(host="127.0.0.1", port=PORT, user="asyncpg", database="asyncpg", timeout=10)


async def test_connect():
    conn = await connect()
    try:
        eq(await conn.fetchval("SELECT 40 + 2"), 42, "fetchval")
        assert conn.get_server_version().major >= 9, "server version"
    finally:
        await conn.close()


async def test_crud():
    conn = await connect()
    try:
        await conn.execute(
            "CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10,2), qty BIGINT)"
        )
        status = await conn.execute("INSERT INTO items VALUES (1, 'apple', 1.50, 10), (2, 'pear', 2.25, 5)")
        eq(status, "INSERT 0 2", "insert status")
        rows = await conn.fetch("SELECT id, name, price, qty FROM items ORDER BY id")
        eq(
            [tuple(r) for r in rows],
            [(1, "apple", decimal.Decimal("1.50"), 10), (2, "pear", decimal.Decimal("2.25"), 5)],
            "select",
        )
        eq(rows[0]["name"], "apple", "record by name")
        eq(await conn.execute("UPDATE items SET qty = qty * 2 WHERE id = 2"), "UPDATE 1", "update status")
        eq(await conn.execute("DELETE FROM items WHERE id = 1"), "DELETE 1", "delete status")
        eq(await conn.fetchrow("SELECT count(*), sum(qty) FROM items"), (1, 10), "after update/delete")
    finally:
        await conn.close()


async def test_parameters():
    conn = await connect()
    try:
        await conn.execute(
            "CREATE TABLE params (id INT PRIMARY KEY, t TEXT, f DOUBLE PRECISION, d DATE, "
            "ts TIMESTAMP, b BYTEA, ok BOOLEAN)"
        )
        day = datetime.date(2024, 2, 29)
        ts = datetime.datetime(2024, 2, 29, 12, 34, 56, 789000)
        await conn.execute(
            "INSERT INTO params VALUES ($1, $2, $3, $4, $5, $6, $7)", 1, "x'y", 2.5, day, ts, b"\x00\xff", True
        )
        await conn.executemany("INSERT INTO params (id, t) VALUES ($1, $2)", [(2, "b"), (3, None), (4, "d")])
        row = await conn.fetchrow("SELECT t, f, d, ts, b, ok FROM params WHERE id = $1", 1)
        eq(tuple(row), ("x'y", 2.5, day, ts, b"\x00\xff", True), "typed round trip")
        eq(await conn.fetchval("SELECT t FROM params WHERE id = $1", 3), None, "NULL")
        eq(
            [r["id"] for r in await conn.fetch("SELECT id FROM params WHERE id >= $1 AND t IS NOT NULL ORDER BY id", 2)],
            [2, 4],
            "filter",
        )
        stmt = await conn.prepare("SELECT $1::int + $2::int")
        eq(await stmt.fetchval(3, 4), 7, "prepared statement")
        eq(await stmt.fetchval(10, -4), 6, "prepared statement reuse")
    finally:
        await conn.close()


async def test_transactions():
    conn = await connect()
    other = await connect()
    try:
        await conn.execute("CREATE TABLE tx (id INT PRIMARY KEY)")
        async with conn.transaction():
            await conn.execute("INSERT INTO tx VALUES (1)")
            eq(await other.fetchval("SELECT count(*) FROM tx"), 0, "uncommitted invisible")
        eq(await other.fetchval("SELECT count(*) FROM tx"), 1, "committed visible")
        try:
            async with conn.transaction():
                await conn.execute("INSERT INTO tx VALUES (2)")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        eq([r[0] for r in await conn.fetch("SELECT id FROM tx ORDER BY id")], [1], "rolled back")
        tr = conn.transaction()
        await tr.start()
        await conn.execute("INSERT INTO tx VALUES (3)")
        await tr.rollback()
        eq(await conn.fetchval("SELECT count(*) FROM tx"), 1, "explicit rollback")
    finally:
        await conn.close()
        await other.close()


async def test_errors():
    conn = await connect()
    try:
        await conn.execute("CREATE TABLE errs (id INT PRIMARY KEY)")
        await conn.execute("INSERT INTO errs VALUES (1)")
        try:
            await conn.execute("INSERT INTO errs VALUES (1)")
            raise AssertionError("duplicate accepted")
        except asyncpg.UniqueViolationError as e:
            eq(e.sqlstate, "23505", "unique violation")
        for sql, state in [
            ("SELECT * FROM no_such_table", "42P01"),
            ("SELECT 1 / 0", "22012"),
            ("SELEC 1", "42601"),
        ]:
            try:
                await conn.fetch(sql)
                raise AssertionError(f"{sql!r} succeeded")
            except asyncpg.PostgresError as e:
                eq(e.sqlstate, state, sql)
        try:
            async with conn.transaction():
                await conn.execute("INSERT INTO errs VALUES (2)")
                await conn.execute("INSERT INTO errs VALUES (1)")
        except asyncpg.UniqueViolationError:
            pass
        eq(await conn.fetchval("SELECT count(*) FROM errs"), 1, "failed transaction rolled back")
    finally:
        await conn.close()


RECORDS = [(i, None if i % 5 == 0 else f"n{i}", i * 0.5) for i in range(1, 301)]


async def test_copy_records_to_table():
    conn = await connect()
    try:
        await conn.execute("CREATE TABLE cp_in (id INT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)")
        # asyncpg sends COPY ... FROM STDIN (FORMAT binary).
        status = await conn.copy_records_to_table("cp_in", records=RECORDS, columns=["id", "name", "score"])
        eq(status, "COPY 300", "copy_records_to_table status")
        eq(
            tuple(await conn.fetchrow("SELECT count(*), count(name), sum(score) FROM cp_in")),
            (300, 240, sum(r[2] for r in RECORDS)),
            "copied data",
        )
    finally:
        await conn.close()


async def test_copy_out():
    conn = await connect()
    try:
        await conn.execute("CREATE TABLE cp (id INT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)")
        await conn.executemany("INSERT INTO cp VALUES ($1, $2, $3)", RECORDS)
        buf = io.BytesIO()
        status = await conn.copy_from_query("SELECT id, name FROM cp WHERE id <= 5 ORDER BY id", output=buf)
        eq(status, "COPY 5", "copy_from_query status")
        eq(buf.getvalue().decode(), "1\tn1\n2\tn2\n3\tn3\n4\tn4\n5\t\\N\n", "copy_from_query text")
        buf = io.BytesIO()
        await conn.copy_from_table("cp", columns=["id"], output=buf, format="csv")
        eq(len(buf.getvalue().decode().splitlines()), 300, "copy_from_table csv lines")
    finally:
        await conn.close()


async def main():
    c = Checks("asyncpg", GAPS)
    for label, fn in [
        ("connect", test_connect),
        ("crud", test_crud),
        ("parameters", test_parameters),
        ("transactions", test_transactions),
        ("errors", test_errors),
        ("copy_records_to_table", test_copy_records_to_table),
        ("copy_from_query", test_copy_out),
    ]:
        try:
            await asyncio.wait_for(c.run_async(label, fn), 60)
        except asyncio.TimeoutError:
            c.failed += 1
            print(f"FAIL {label}: timed out", file=sys.stderr)
    return c.summary()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
