-- psql smoke test for heliosdb-nano: what psql users see.
SELECT 1 AS one, 'two' AS two, NULL AS nothing;
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[]);
INSERT INTO items VALUES (1, 'apple', 1.50, '{fruit,red}'), (2, 'bread', 3.25, NULL);
SELECT * FROM items ORDER BY id;
UPDATE items SET price = price * 2 WHERE id = 2;
SELECT name, price FROM items WHERE price > 2;
-- errors with SQLSTATE-specific messages
SELECT * FROM no_such_table;
INSERT INTO items VALUES (1, 'dup', 0, NULL);
-- transactions
BEGIN;
INSERT INTO items VALUES (3, 'cheese', 7.00, NULL);
SELECT count(*) FROM items;
ROLLBACK;
SELECT count(*) FROM items;
-- COPY through psql's \copy (COPY FROM STDIN / TO STDOUT on the wire)
\copy items (id, name, price) FROM stdin (FORMAT csv)
4,"milk, whole",0.99
5,eggs,
\.
\copy (SELECT id, name, price FROM items ORDER BY id) TO stdout (FORMAT csv, HEADER)
\x
SELECT * FROM items WHERE id = 1;
\x
-- psql's \d family: the output matches PostgreSQL 15's for the same schema
CREATE TABLE orders (oid serial PRIMARY KEY, item_id int REFERENCES items(id), qty int CHECK (qty > 0));
CREATE INDEX orders_item ON orders (item_id);
\d items
\d orders
\dt
\di
\dn
\d orders_item
-- regclass casts and catalog functions
SELECT 'orders'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'orders') AS same_oid,
       (SELECT oid FROM pg_class WHERE relname = 'orders')::regclass AS by_name,
       pg_get_serial_sequence('orders', 'oid') AS seq;
SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY conname;
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'orders'::regclass ORDER BY 1;
SELECT 'no_such'::regclass;
-- the login role is the session's user
SELECT current_user, session_user, (SELECT rolname FROM pg_roles WHERE rolname = current_user) AS role;
-- maintenance
VACUUM;
VACUUM (FULL, ANALYZE) items;
ANALYZE orders;
BEGIN;
VACUUM items;
ROLLBACK;
