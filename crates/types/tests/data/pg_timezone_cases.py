# Inputs for the PostgreSQL time zone reference (pg_timezones.tsv): (session TimeZone,
# timestamptz input). Each is printed by PostgreSQL in the session zone.
ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'America/Sao_Paulo',
         'Pacific/Chatham', 'Europe/Moscow', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/London',
         'UTC+3', '+3', 'GMT-5', 'europe/paris', 'Asia/Tokyo']
INPUTS = ['2024-01-02 03:04:05', '2024-07-01 12:00', '2024-03-10 02:30', '2024-11-03 01:30',
          '2024-03-31 02:30', '2024-10-27 02:30', '2024-04-07 02:30', '2024-10-06 02:30',
          '1850-01-01 00:00', '1900-01-01 12:00', '1947-08-15 00:00', '1970-01-01 00:00',
          '2100-07-01 12:00', '2100-01-01 12:00', '2250-06-15 08:00', '2038-01-19 03:14:08',
          '2024-01-02 03:04:05+00', '2024-07-02 03:04:05+00', '2024-03-31 01:30:00+00',
          '2024-01-02 03:04:05 Europe/Berlin', '2024-07-02 03:04:05 america/new_york',
          '2024-07-02 03:04:05 PST', '2024-07-02 03:04:05 CEST', '0044-03-15 12:00 BC',
          '2024-12-31 23:59:59.999999', 'epoch', 'infinity', '2024-01-02 03:04:05 Mars/Olympus']
C = [(z, i) for z in ZONES for i in INPUTS]
