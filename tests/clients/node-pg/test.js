// node-postgres client test: run by run.sh with the server port as argument.
'use strict';
const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');

const port = Number(process.argv[2]);
const config = { host: '127.0.0.1', port, user: 'node', database: 'node', connectionTimeoutMillis: 10000 };
let passed = 0;
let failed = 0;

async function check(label, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${label}`);
  } catch (e) {
    failed += 1;
    console.error(`FAIL ${label}: ${e && e.stack ? e.stack : e}`);
  }
}

async function withClient(fn) {
  const c = new Client(config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function main() {
  await check('connect', () => withClient(async (c) => {
    const r = await c.query('SELECT 1 + 1 AS two');
    assert.deepEqual(r.rows, [{ two: 2 }]);
  }));

  await check('crud', () => withClient(async (c) => {
    await c.query('CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT, price DOUBLE PRECISION)');
    let r = await c.query("INSERT INTO items VALUES (1, 'apple', 10, 1.5), (2, 'pear', 5, 2.25), (3, 'plum', 0, 0.5)");
    assert.equal(r.command, 'INSERT');
    assert.equal(r.rowCount, 3);
    r = await c.query('SELECT id, name, qty, price FROM items ORDER BY id');
    assert.deepEqual(r.rows, [
      { id: 1, name: 'apple', qty: 10, price: 1.5 },
      { id: 2, name: 'pear', qty: 5, price: 2.25 },
      { id: 3, name: 'plum', qty: 0, price: 0.5 },
    ]);
    assert.deepEqual(r.fields.map((f) => f.name), ['id', 'name', 'qty', 'price']);
    r = await c.query('UPDATE items SET qty = qty + 1 WHERE qty < 10');
    assert.equal(r.rowCount, 2);
    r = await c.query('DELETE FROM items WHERE id = 3');
    assert.equal(r.rowCount, 1);
    r = await c.query('SELECT count(*)::int AS n, sum(qty)::int AS s FROM items');
    assert.deepEqual(r.rows, [{ n: 2, s: 16 }]);
  }));

  await check('parameters', () => withClient(async (c) => {
    await c.query('CREATE TABLE params (id INT PRIMARY KEY, t TEXT, n BIGINT, b BOOLEAN, d DATE)');
    await c.query('INSERT INTO params VALUES ($1, $2, $3, $4, $5)', [1, "it's", '9007199254740993', true, '2024-02-29']);
    await c.query('INSERT INTO params (id, t) VALUES ($1, $2)', [2, null]);
    let r = await c.query('SELECT t, n, b, to_char(d, \'YYYY-MM-DD\') AS d FROM params WHERE id = $1', [1]);
    assert.deepEqual(r.rows, [{ t: "it's", n: '9007199254740993', b: true, d: '2024-02-29' }]);
    r = await c.query('SELECT t FROM params WHERE id = $1', [2]);
    assert.deepEqual(r.rows, [{ t: null }]);
    // Named prepared statement reused with different values.
    for (const i of [1, 2]) {
      r = await c.query({ name: 'by-id', text: 'SELECT id FROM params WHERE id = $1', values: [i] });
      assert.deepEqual(r.rows, [{ id: i }]);
    }
    r = await c.query({ text: 'SELECT id, t FROM params ORDER BY id', rowMode: 'array' });
    assert.deepEqual(r.rows, [[1, "it's"], [2, null]]);
  }));

  await check('transactions', () => withClient(async (c) => {
    await c.query('CREATE TABLE tx (id INT PRIMARY KEY)');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx VALUES (1)');
    await c.query('COMMIT');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx VALUES (2)');
    await c.query('ROLLBACK');
    const r = await c.query('SELECT id FROM tx ORDER BY id');
    assert.deepEqual(r.rows, [{ id: 1 }]);
  }));

  await check('errors', () => withClient(async (c) => {
    await c.query('CREATE TABLE errs (id INT PRIMARY KEY)');
    await c.query('INSERT INTO errs VALUES (1)');
    await assert.rejects(c.query('INSERT INTO errs VALUES (1)'), (e) => e.code === '23505');
    await assert.rejects(c.query('SELECT * FROM no_such_table'), (e) => e.code === '42P01');
    await assert.rejects(c.query('SELECT $1::int', ['x']), (e) => e.code === '22P02');
    await c.query('BEGIN');
    await assert.rejects(c.query('SELECT 1/0'), (e) => e.code === '22012');
    await assert.rejects(c.query('SELECT 1'), (e) => e.code === '25P02');
    await c.query('ROLLBACK');
    const r = await c.query('SELECT count(*)::int AS n FROM errs');
    assert.deepEqual(r.rows, [{ n: 1 }]);
  }));

  await check('pool', async () => {
    const pool = new Pool({ ...config, max: 4 });
    try {
      const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => pool.query('SELECT $1::int * 10 AS v', [i])));
      assert.deepEqual(results.map((r) => r.rows[0].v), [10, 20, 30, 40, 50, 60, 70, 80]);
    } finally {
      await pool.end();
    }
  });

  await check('listen notify', async () => {
    const listener = new Client(config);
    const sender = new Client(config);
    await listener.connect();
    await sender.connect();
    try {
      const got = [];
      listener.on('notification', (m) => got.push([m.channel, m.payload]));
      await listener.query('LISTEN jobs');
      await sender.query("NOTIFY jobs, 'one'");
      await sender.query('BEGIN');
      await sender.query('SELECT pg_notify($1, $2)', ['jobs', 'two']);
      await sender.query('COMMIT');
      await sender.query('BEGIN');
      await sender.query("NOTIFY jobs, 'rolled back'");
      await sender.query('ROLLBACK');
      // Delivered when the listener's next command ends.
      await listener.query('SELECT 1');
      assert.deepEqual(got, [['jobs', 'one'], ['jobs', 'two']]);
      await assert.rejects(sender.query(`NOTIFY jobs, '${'x'.repeat(8000)}'`), (e) => e.code === '22023');
    } finally {
      await listener.end();
      await sender.end();
    }
  });

  console.log(`node-pg: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  console.log(`node-pg: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
