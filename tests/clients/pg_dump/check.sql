-- Read from the dumped database and from its restored copy; the outputs must be equal.
SELECT * FROM customers ORDER BY id;
SELECT * FROM orders ORDER BY id;
SELECT * FROM big_orders ORDER BY id;
SELECT nextval('ticket_seq');
INSERT INTO customers (email) VALUES ('c@x.org') RETURNING id, name;
INSERT INTO orders (customer_id, amount) VALUES (3, 1) RETURNING id;
DELETE FROM customers WHERE id = 1;
SELECT count(*) FROM orders;
INSERT INTO orders (customer_id, amount) VALUES (9, 1);
INSERT INTO orders (customer_id, amount) VALUES (2, -1);
INSERT INTO events (what) VALUES ('again') RETURNING id;
INSERT INTO events VALUES (1, 'refused');
SELECT * FROM events ORDER BY id;
\d orders
\d events
