-- Output that `heliosdb-nano repl` must print exactly as psql does.
CREATE TABLE f (id int, label text, amount numeric(8,2), note text);
INSERT INTO f VALUES (1, 'one', 1.50, NULL), (20, 'twenty', -3.00, E'multi\nline'), (300, NULL, NULL, 'x');
SELECT * FROM f ORDER BY id;
SELECT id AS "a long column heading", label FROM f ORDER BY id DESC;
SELECT label FROM f WHERE id < 0;
SELECT 1 AS only;
\x
SELECT * FROM f WHERE id = 1;
\x
UPDATE f SET note = 'y' WHERE id = 300;
