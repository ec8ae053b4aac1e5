# Inputs for the PostgreSQL operator/function reference (pg_ops.tsv): (op, session zone, a, b).
# SQL for each op is in gen_pg_ops.py; the Rust side is in tests/pg_ops.rs.
C = []
def add(op, zone, *pairs):
    for a, b in pairs: C.append((op, zone, a, b))
U = 'UTC'
add('ts_add', U, ('2024-01-31 10:00', '1 mon'), ('2024-02-29', '1 year'), ('2024-03-31', '-1 mon'), ('2024-01-01', '1.5 mons'),
    ('2024-01-01', '1 day 25:00'), ('2023-12-31 23:59:59.999999', '0.000001 sec'), ('infinity', '1 day'), ('294276-12-31', '1 day'),
    ('0001-01-01 BC', '-1 day'), ('2024-05-31', '1 mon -1 day'), ('2000-02-29', '100 years'))
add('ts_sub', U, ('2024-03-31', '1 mon'), ('2024-01-01', '1 year 2 mons 3 days 04:05:06'))
for z in ['America/New_York', 'Europe/Berlin', 'Australia/Sydney']:
    add('tstz_add', z, ('2024-03-09 12:00', '1 day'), ('2024-03-09 12:00', '24 hours'), ('2024-03-30 12:00', '1 day'),
        ('2024-10-05 12:00', '1 day'), ('2024-01-31 02:30', '1 mon 10 days'), ('2024-11-02 01:30', '1 day'))
add('ts_diff', U, ('2024-01-02 12:00', '2023-12-30 13:30'), ('2024-01-01', '2024-01-02 00:00:01'), ('2024-03-01', '2023-03-01'), ('2000-01-01', '2000-01-01'))
add('iv_mul', U, ('1 mon', '1.5'), ('1 day', '0.3333333'), ('1 year 1 day 01:00', '-2.5'), ('01:00:00', '1e-7'), ('1 mon', '1e10'), ('1 mon 1 day', '0.1'))
add('iv_div', U, ('1 day', '3'), ('1 mon', '7'), ('1 year', '0.5'), ('1 day', '0'), ('-1 mon -1 day', '3'))
add('justify_hours', U, ('50 hours', ''), ('-50 hours', ''), ('1 day -1 hour', ''), ('-1 day 1 hour', ''))
add('justify_days', U, ('35 days', ''), ('-35 days', ''), ('1 mon -1 day', ''))
add('justify_interval', U, ('1 mon -1 hour', ''), ('-1 mon 1 hour', ''), ('1 day -25 hours', ''), ('400 days 100 hours', ''))
for u in ['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'dow', 'foo', 'MONTH', 'mon']:
    add('trunc_ts', U, (u, '2024-05-15 13:14:15.161718'))
add('trunc_ts', U, ('week', '2024-01-01'), ('week', '2023-12-31 23:00'), ('century', '0044-03-15 BC'), ('millennium', '2000-12-31'), ('decade', '0009-01-01 BC'), ('year', 'infinity'))
for z in ['America/New_York', 'Asia/Kolkata']:
    for u in ['hour', 'day', 'week', 'month', 'year']:
        add('trunc_tstz', z, (u, '2024-03-10 12:34:56+00'), (u, '2024-11-03 06:30+00'))
for u in ['second', 'minute', 'hour', 'day', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'week']:
    add('trunc_iv', U, (u, '1234 years 5 mons 6 days 07:08:09.123456'))
add('trunc_iv', U, ('hour', '-1 year -2 mons -3 days -04:05:06'))
for f in ['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'dow', 'isodow', 'doy', 'epoch', 'isoyear', 'julian', 'timezone']:
    add('extract_ts', U, (f, '2024-05-15 13:14:15.161718'))
add('extract_ts', U, ('week', '2021-01-03'), ('week', '2020-12-31'), ('isoyear', '2021-01-03'), ('year', '0001-01-01 BC'), ('millennium', '0001-01-01 BC'),
    ('epoch', '1960-01-01'), ('julian', '2024-01-02 00:00'), ('year', 'infinity'), ('day', '-infinity'), ('doy', '2024-12-31'))
for z in ['America/New_York', 'Asia/Kathmandu']:
    for f in ['hour', 'day', 'epoch', 'timezone', 'timezone_hour', 'timezone_minute', 'julian']:
        add('extract_tstz', z, (f, '2024-07-01 02:00+00'))
for f in ['day', 'dow', 'week', 'epoch', 'julian', 'year', 'hour', 'doy', 'century']:
    add('extract_date', U, (f, '2024-02-29'))
add('extract_date', U, ('year', 'infinity'), ('day', 'infinity'), ('epoch', '-infinity'))
for f in ['hour', 'minute', 'second', 'milliseconds', 'microseconds', 'epoch', 'day']:
    add('extract_time', U, (f, '13:14:15.5'))
for f in ['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'epoch', 'dow']:
    add('extract_iv', U, (f, '1234 years 5 mons 6 days 07:08:09.123456'), (f, '-14 mons -3 days -27:00:00'))
add('date_add', U, ('2024-02-28', '2'), ('2024-01-01', '-366'), ('infinity', '5'))
add('date_diff', U, ('2024-03-01', '2024-02-01'), ('2000-01-01', '2024-01-01'))
for a, b in [('1', '3'), ('2', '3'), ('10', '4'), ('-7', '2'), ('1.50', '2.0'), ('1e20', '3'), ('1', '1e20'), ('0', '7.5'), ('123.456', '0.001'),
             ('99999999999999999999', '0.00000000000000000001'), ('1', '0'), ('NaN', '0'), ('Infinity', '0'), ('Infinity', '-Infinity'), ('5', 'Infinity'),
             ('-0.5', '3'), ('7.5', '-2'), ('1.000001', '1.000002'), ('3.14159', '2.71828')]:
    for op in ['num_add', 'num_sub', 'num_mul', 'num_div', 'num_mod']:
        add(op, U, (a, b))
for a, s in [('2.5', '0'), ('-2.5', '0'), ('1.2345', '2'), ('1234.5', '-2'), ('1.5', '5'), ('-1.99', '1'), ('0.5', '-1'), ('9.995', '2'), ('NaN', '1'), ('-Infinity', '0'), ('123', '-5')]:
    add('num_round', U, (a, s))
    add('num_trunc', U, (a, s))
for a in ['-1.5', '1.5', '1.000', '-0.1', '0', '12345678901234567890.5', 'Infinity', 'NaN']:
    for op in ['num_ceil', 'num_floor', 'num_abs', 'num_sign']:
        add(op, U, (a, ''))
for a in ['2', '100', '0.0001', '1e20', '2.00000000000000000000000000', '0', '0.5', '123456789.123', '-1', 'Infinity', '1e-30', '99']:
    add('num_sqrt', U, (a, ''))
for a, b in [('1e308', '10'), ('1e-308', '1e-10'), ('1e-308', '1e-308'), ('1', '0'), ('Infinity', 'Infinity'), ('0', 'Infinity'), ('1.5', '2.25'), ('-1e300', '1e300'), ('0.1', '0.2')]:
    for op in ['f8_add', 'f8_sub', 'f8_mul', 'f8_div']:
        add(op, U, (a, b))
for a, b in [('2147483647', '1'), ('-2147483648', '-1'), ('-7', '2'), ('7', '0'), ('46341', '46341'), ('-2147483648', '1')]:
    for op in ['i4_add', 'i4_sub', 'i4_mul', 'i4_div', 'i4_mod']:
        add(op, U, (a, b))
for a, b in [('32767', '1'), ('200', '200'), ('-32768', '-1')]:
    for op in ['i2_add', 'i2_mul', 'i2_div']:
        add(op, U, (a, b))
docs = ['{"a": {"b": [1, "x", null]}, "c": 1.50, "d": "s", "e": null}', '[1, "a", [2, 3], {"k": "v"}, null, "a"]', '"a"', '1', 'null', '[]', '{}']
for d in docs:
    for k in ['a', 'c', 'd', 'e', 'k', 'zz']:
        add('jb_field', U, (d, k))
        add('jb_field_text', U, (d, k))
        add('jb_exists', U, (d, k))
        add('jb_del_key', U, (d, k))
    for i in ['0', '1', '-1', '-7', '9']:
        add('jb_index', U, (d, i))
        add('jb_index_text', U, (d, i))
        add('jb_del_index', U, (d, i))
    for p in ['{}', '{a}', '{a,b}', '{a,b,1}', '{a,b,-1}', '{a,b,x}', '{2,0}', '{3,k}', '{0}', '{a,NULL}']:
        add('jb_path', U, (d, p))
        add('jb_path_text', U, (d, p))
        add('jb_del_path', U, (d, p))
    add('jb_typeof', U, (d, ''))
    add('jb_array_length', U, (d, ''))
    for other in docs + ['{"a": {}}', '{"a": {"b": [1]}}', '[[2]]', '[2]', '["a", "a"]', '{"c": 1.5}', '{"a": {"b": 1}}', '1.0', '[1]']:
        add('jb_contains', U, (d, other))
        add('jb_concat', U, (d, other))
