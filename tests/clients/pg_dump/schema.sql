-- What tests/clients/pg_dump/run.sh dumps: serial, identity and plain sequences, a foreign key with
-- an action, a check, a unique constraint, an index, arrays and jsonb, comments, and a
-- view that must come after the table it reads.
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE,
    name varchar(50) DEFAULT 'anon', joined date DEFAULT '2024-01-01');
CREATE TABLE orders (id bigserial PRIMARY KEY,
    customer_id int REFERENCES customers(id) ON DELETE CASCADE,
    amount numeric(10,2) CHECK (amount >= 0), tags text[], meta jsonb);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
CREATE SEQUENCE ticket_seq START 100;
CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5)
    PRIMARY KEY, what text);
INSERT INTO events (what) VALUES ('start'), ('stop');
COMMENT ON TABLE customers IS 'people who buy';
INSERT INTO customers (email, name) VALUES ('a@x.org', 'Ann'), ('b@x.org', 'O''Brien');
INSERT INTO orders (customer_id, amount, tags, meta) VALUES
    (1, 150.50, '{x,"y z"}', '{"k": [1, 2]}'), (2, 20, NULL, NULL), (1, 300, '{}', 'null');
SELECT nextval('ticket_seq');
