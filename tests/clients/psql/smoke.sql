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
