//! `heliosdb-nano dump` and `restore`: a database round-trips through a script (schema,
//! rows, sequences, indexes, keys, owners, grants, policies, enum types and domains,
//! functions, triggers); a dump taken through the
//! server while writers run is one consistent snapshot; a broken script restores nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_heliosdb-nano"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("helios-dump-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs SQL through the shell on a data directory; returns what it printed.
fn repl(dir: &Path, sql: &[&str]) -> String {
    let mut cmd = bin();
    cmd.args(["repl", "--data-dir"]).arg(dir);
    for s in sql {
        cmd.args(["-c", s]);
    }
    ok(cmd.output().expect("run heliosdb-nano"))
}

const SCHEMA: &[&str] = &[
    "CREATE ROLE dump_reader LOGIN",
    "CREATE ROLE dump_expiring LOGIN VALID UNTIL '2040-06-07 08:09:10+03'",
    "CREATE SCHEMA shop",
    "CREATE TABLE shop.items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, \
     price numeric(10,2) DEFAULT 0 CHECK (price >= 0), tags text[], doc jsonb, \
     made date, at timestamptz, raw bytea, emb vector(3))",
    "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
     item int REFERENCES shop.items(id) ON DELETE CASCADE, qty int NOT NULL, note text)",
    "CREATE INDEX orders_note ON orders (note)",
    "CREATE FUNCTION shop.price_with_tax(p numeric, rate numeric DEFAULT 0.2) RETURNS numeric \
     LANGUAGE sql IMMUTABLE AS $$ SELECT round(p * (1 + rate), 2) $$",
    "CREATE TABLE audit (n serial PRIMARY KEY, what text)",
    "CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN INSERT INTO audit (what) VALUES (TG_OP || ' ' || NEW.qty); RETURN NEW; END $$",
    "CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW WHEN (NEW.qty > 1990) \
     EXECUTE FUNCTION log_order()",
    "CREATE INDEX items_emb ON shop.items USING hnsw (emb vector_l2_ops) WITH (m = 8)",
    "INSERT INTO shop.items (name, price, tags, doc, made, at, raw, emb) VALUES \
     ('plain', 1.50, '{a,\"b c\"}', '{\"k\": [1, null]}', '2024-02-29', '2024-01-01 10:00:00+00', '\\x00ff', '[1,2,3]'), \
     (E'tab\\there\\nnewline \\\\ back', 2, NULL, NULL, NULL, NULL, NULL, NULL), \
     ('quote''s', 0, '{}', '[]', '0001-01-01', NULL, '\\x', '[0.5,0,-1]')",
    "INSERT INTO orders (item, qty, note) SELECT 1 + g % 3, g, 'n' || g FROM generate_series(1, 2000) g",
    "CREATE TABLE shop.lines (qty int, price numeric(10,2), \
     total numeric GENERATED ALWAYS AS (qty * price) STORED)",
    "INSERT INTO shop.lines (qty, price) VALUES (2, 1.25), (3, NULL)",
    "CREATE SEQUENCE tickets START 100",
    "SELECT nextval('tickets'), nextval('tickets')",
    "CREATE VIEW shop.cheap AS SELECT name FROM shop.items WHERE price < 2",
    "CREATE MATERIALIZED VIEW order_totals AS SELECT item, sum(qty) AS qty FROM orders GROUP BY item",
    "COMMENT ON TABLE orders IS 'customer orders'",
    "GRANT SELECT ON orders TO dump_reader",
    "ALTER TABLE orders ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY small ON orders TO dump_reader USING (qty < 10)",
    "CREATE TYPE shop.mood AS ENUM ('sad', 'happy')",
    "ALTER TYPE shop.mood ADD VALUE 'ok' BEFORE 'happy'",
    "CREATE DOMAIN shop.qty AS integer NOT NULL DEFAULT 1 CONSTRAINT qty_pos CHECK (VALUE > 0)",
    "CREATE TABLE feelings (who text PRIMARY KEY, m shop.mood, hist shop.mood[], n shop.qty)",
    "INSERT INTO feelings VALUES ('a', 'happy', '{sad,ok}', 3), ('b', 'sad', NULL, 2), ('c', 'ok', '{}', DEFAULT)",
    // NOT VALID constraints over rows that break them: added after the data on restore.
    "CREATE TABLE legacy (id int PRIMARY KEY, item int, qty int)",
    "INSERT INTO legacy VALUES (1, 99, -1), (2, 1, 3)",
    "ALTER TABLE legacy ADD CONSTRAINT legacy_item_fkey FOREIGN KEY (item) REFERENCES shop.items(id) NOT VALID",
    "ALTER TABLE legacy ADD CONSTRAINT legacy_qty_check CHECK (qty > 0) NOT VALID",
    "CREATE UNLOGGED TABLE scratch (k int)",
    "COMMENT ON INDEX orders_note IS 'by note'",
    "COMMENT ON SEQUENCE tickets IS 'ticket numbers'",
    "COMMENT ON SCHEMA shop IS 'the shop''s things'",
];

/// What must come back the same: rows, sequence positions, catalog facts.
const CHECKS: &[&str] = &[
    "SELECT * FROM shop.items ORDER BY id",
    "SELECT count(*), sum(qty), min(note), max(id) FROM orders",
    "SELECT * FROM order_totals ORDER BY item",
    "SELECT * FROM shop.cheap ORDER BY name",
    "SELECT * FROM shop.lines ORDER BY qty",
    "SELECT attname, attgenerated FROM pg_attribute WHERE attrelid = 'shop.lines'::regclass ORDER BY attnum",
    "SELECT last_value, is_called FROM tickets",
    "SELECT last_value FROM shop.items_id_seq",
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'shop') ORDER BY 1",
    "SELECT conname, contype FROM pg_constraint ORDER BY 1",
    "SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'legacy'::regclass ORDER BY 1",
    "SELECT * FROM legacy ORDER BY id",
    "SELECT relname, relpersistence FROM pg_class WHERE relname IN ('scratch', 'legacy') ORDER BY 1",
    "SELECT policyname, cmd, roles::text FROM pg_policies",
    "SELECT relname, relacl::text, relrowsecurity FROM pg_class WHERE relname IN ('orders', 'items') ORDER BY 1",
    "SELECT obj_description('orders'::regclass)",
    "SELECT obj_description('orders_note'::regclass), obj_description('tickets'::regclass)",
    "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'shop'",
    "SELECT who, m, hist, n FROM feelings ORDER BY m, who",
    "SELECT enum_range(NULL::shop.mood)::text",
    "SELECT typname, typtype, typnotnull, typdefault FROM pg_type WHERE typtype IN ('e', 'd') ORDER BY 1",
    "SELECT shop.price_with_tax(10), shop.price_with_tax(10, 0.5)",
    "SELECT n, what FROM audit ORDER BY n",
    "SELECT proname, prokind, provolatile, pronargs FROM pg_proc ORDER BY 1",
    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger ORDER BY 1",
    "SET ROLE dump_reader; SELECT count(*) FROM orders",
    "SET TimeZone = 'UTC'; SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname LIKE 'dump_%' ORDER BY 1",
];

#[test]
fn a_database_round_trips_through_dump_and_restore() {
    let work = scratch("roundtrip");
    let (src, dst) = (work.join("src"), work.join("dst"));
    repl(&src, SCHEMA);
    let script = work.join("dump.sql");
    ok(bin().args(["dump", "--data-dir"]).arg(&src).arg("-f").arg(&script).output().unwrap());
    let restored = bin().args(["restore", "--data-dir"]).arg(&dst).arg("-f").arg(&script).output();
    let restored = restored.unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(String::from_utf8_lossy(&restored.stderr).contains("2020 rows"));
    assert_eq!(repl(&dst, CHECKS), repl(&src, CHECKS));
    // Dumping the restored database gives the same script again.
    let again = ok(bin().args(["dump", "--data-dir"]).arg(&dst).output().unwrap());
    assert_eq!(again, std::fs::read_to_string(&script).unwrap());
    // The restored database works on: identity and serial values continue.
    let next = repl(&dst, &["INSERT INTO orders (item, qty) VALUES (1, 1) RETURNING id"]);
    assert!(next.contains("2001"), "{next}");
    // Generated columns are written as such and computed on load and after it.
    assert!(again.contains("GENERATED ALWAYS AS (qty * price) STORED"), "{again}");
    let line = repl(&dst, &["INSERT INTO shop.lines (qty, price) VALUES (4, 2) RETURNING total"]);
    assert!(line.contains('8'), "{line}");
    // ... and its trigger fires.
    let fired = repl(
        &dst,
        &[
            "INSERT INTO orders (item, qty) VALUES (1, 5000)",
            "SELECT what FROM audit ORDER BY n DESC LIMIT 1",
        ],
    );
    assert!(fired.contains("INSERT 5000"), "{fired}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_broken_script_restores_nothing() {
    let work = scratch("broken");
    let dst = work.join("dst");
    let script = work.join("broken.sql");
    std::fs::write(
        &script,
        "CREATE TABLE kept (a int);\nCOPY kept (a) FROM stdin;\n1\n2\n\\.\nCOPY kept (a) FROM stdin;\nnot a number\n\\.\n",
    )
    .unwrap();
    let out = bin().args(["restore", "--data-dir"]).arg(&dst).arg("-f").arg(&script).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("22P02") && err.contains("line 6"), "{err}");
    let left = repl(&dst, &["SELECT count(*) FROM pg_class WHERE relname = 'kept'"]);
    assert!(left.contains(" 0\n"), "{left}");
    std::fs::write(&script, "COPY kept (a) FROM stdin;\n1\n").unwrap();
    let out = bin().args(["restore", "--data-dir"]).arg(&dst).arg("-f").arg(&script).output();
    assert_eq!(out.unwrap().status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&work);
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Moves 5 from account `a` to `b` and logs it, locking the two rows in id order so
/// writers do not deadlock.
fn transfer(c: &mut postgres::Client, a: i32, b: i32) -> Result<(), postgres::Error> {
    let mut t = c.transaction()?;
    let (first, second) = if a < b { ((a, -5), (b, 5)) } else { ((b, 5), (a, -5)) };
    for (id, delta) in [first, second] {
        t.execute("UPDATE accounts SET balance = balance + $2 WHERE id = $1", &[&id, &delta])?;
    }
    t.execute("INSERT INTO moves (src, dst) VALUES ($1, $2)", &[&a, &b])?;
    t.commit()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

fn connect(url: &str) -> postgres::Client {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match postgres::Client::connect(url, postgres::NoTls) {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => panic!("server did not come up: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
fn a_dump_through_the_server_is_one_snapshot_while_writers_run() {
    let work = scratch("live");
    let port = free_port();
    let _server = Server(
        bin()
            .args(["start", "--data-dir"])
            .arg(work.join("live"))
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("postgresql://app@127.0.0.1:{port}/app");
    let mut setup = connect(&url);
    setup
        .batch_execute(
            "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
             INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 50) g;
             CREATE TABLE moves (id serial PRIMARY KEY, src int, dst int);",
        )
        .unwrap();
    // Writers move money between accounts and log each move: every committed state has
    // the same total, and one move row per transfer.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (stop, url) = (stop.clone(), url.clone());
            std::thread::spawn(move || {
                let mut c = connect(&url);
                let (mut n, mut done) = (0u32, 0u32);
                while !stop.load(Ordering::Relaxed) {
                    let (a, b) = (1 + (n * 7 + w) % 50, 1 + (n * 13 + 3) % 50);
                    n += 1;
                    if a == b {
                        continue;
                    }
                    match transfer(&mut c, a as i32, b as i32) {
                        Ok(()) => done += 1,
                        // Two writers may still collide; the transfer is rolled back.
                        Err(e) if matches!(e.code().map(|c| c.code()), Some("40001" | "40P01")) => {
                        }
                        Err(e) => panic!("transfer: {e}"),
                    }
                }
                done
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let script = work.join("live.sql");
    let dumped = bin().args(["dump", "--url", &url]).arg("-f").arg(&script).output().unwrap();
    stop.store(true, Ordering::Relaxed);
    let moves: u32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    ok(dumped);
    assert!(moves > 0);
    let restored = work.join("restored");
    ok(bin()
        .args(["restore", "--data-dir"])
        .arg(&restored)
        .arg("-f")
        .arg(&script)
        .output()
        .unwrap());
    // Every balance is what the logged moves made of it: rows of both tables come from
    // the same instant.
    let facts = repl(
        &restored,
        &[
            "SELECT (SELECT count(*) FROM accounts x WHERE balance <> 1000 \
           - 5 * (SELECT count(*) FROM moves WHERE src = x.id) \
           + 5 * (SELECT count(*) FROM moves WHERE dst = x.id)) AS off, \
           (SELECT count(*) > 0 FROM moves) AS moved, (SELECT sum(balance) FROM accounts) AS total",
        ],
    );
    assert!(facts.contains("   0 | t     | 50000"), "{facts}");
    // The serial sequence came with the snapshot: new moves do not collide.
    repl(&restored, &["INSERT INTO moves (src, dst) VALUES (1, 2)"]);
    let _ = std::fs::remove_dir_all(&work);
}
