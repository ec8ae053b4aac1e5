# Value sets for the PostgreSQL ordering reference (pg_order.tsv): every pair of values
# of one type is compared by PostgreSQL.
SETS = {
    'boolean': ['f', 't'],
    'smallint': ['-32768', '-1', '0', '7', '32767'],
    'bigint': ['-9223372036854775808', '-1', '0', '9223372036854775807'],
    'real': ['-Infinity', '-1.5', '-0', '0', '1e-45', '0.1', 'Infinity', 'NaN'],
    'double precision': ['-Infinity', '-1e300', '-0', '0', '5e-324', '0.1', '1', 'Infinity', 'NaN'],
    'numeric': ['-Infinity', '-1000', '-1.5', '-1.25', '-0.001', '0', '0.000', '0.001', '0.1', '0.1001', '1', '1.0', '1.50', '1.5', '10', '99.99', '100', '1e30', 'Infinity', 'NaN'],
    'text': ['', 'A', 'B', 'a', 'a b', 'ab', 'abc', 'b', 'é', 'z'],
    'bytea': ['\\x', '\\x00', '\\x0000', '\\x0001', '\\x01', '\\xff', '\\xff00'],
    'character(3)': ['a', 'a  ', 'ab', 'b'],
    'date': ['-infinity', '4714-11-24 BC', '0001-01-01 BC', '1999-12-31', '2000-01-01', '2024-02-29', 'infinity'],
    'time without time zone': ['00:00', '00:00:00.000001', '12:00', '23:59:59.999999', '24:00'],
    'timestamp without time zone': ['-infinity', '0044-03-15 BC', '1999-12-31 23:59:59.999999', '2000-01-01', 'infinity'],
    'timestamp with time zone': ['2024-01-02 03:00+05', '2024-01-01 23:00+00', '2024-01-02 00:00+00'],
    'interval': ['-1 mon', '-30 days', '-1 day', '0', '1 us', '23:59:59', '1 day', '24 hours', '29 days', '30 days', '1 mon', '720 hours', '1 mon 1 us', '1 year', '360 days', '365 days'],
    'uuid': ['00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    'jsonb': ['null', '""', '"a"', '"b"', '-1', '1', '1.0', '1.5', 'false', 'true', '[]', '[9]', '[1,2]', '[[]]', '{}', '{"b":1}', '{"a":1,"b":1}', '{"aa":1,"b":1}', '{"a":2,"b":1}'],
    'integer[]': ['{}', '{NULL}', '{1}', '{1,NULL}', '{1,2}', '{1,2,0}', '{2}', '{NULL,1}'],
    'text[]': ['{}', '{""}', '{a}', '{a,b}', '{b}', '{NULL}'],
}
