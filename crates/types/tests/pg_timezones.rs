//! Differential test of `timestamptz` text I/O in named and POSIX-style time zones
//! against PostgreSQL 18.
//!
//! `data/pg_timezones.tsv` holds (session TimeZone, input, PostgreSQL's output); regenerate
//! it with `data/gen_pg_timezones.py`. Named zones come from the system tz database; when
//! it is missing (no `/usr/share/zoneinfo` and no `$TZDIR`) the test is skipped with a
//! message.

mod common;

use common::{parse_type, unescape};
use helios_types::{TimeZone, Value};

fn tz_database_present() -> bool {
    let dir = std::env::var_os("TZDIR").unwrap_or_else(|| "/usr/share/zoneinfo".into());
    std::path::Path::new(&dir).join("America/New_York").is_file()
}

#[test]
fn timezones_match_postgres() {
    if !tz_database_present() {
        eprintln!("skipping: no tz database (install tzdata or set TZDIR)");
        return;
    }
    let data = include_str!("data/pg_timezones.tsv");
    let (timestamptz, _) = parse_type("timestamp with time zone");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<String> = line.splitn(3, '\t').map(unescape).collect();
        count += 1;
        // The session's TimeZone, read as `SET TIME ZONE` reads it (`+3` is hours east).
        let got = match TimeZone::setting_text(&f[0]).and_then(|z| TimeZone::parse(&z)) {
            Err(e) => format!("ERROR {} {}", e.sqlstate(), e.message()),
            Ok(zone) => match Value::parse_pg_text_tz(&f[1], &timestamptz, &zone) {
                Ok(v) => format!("OK {}", v.to_pg_text_tz(&zone)),
                Err(e) => format!("ERROR {} {}", e.sqlstate(), e.message()),
            },
        };
        if got != f[2] {
            failures.push(format!("{} {:?}\n   want: {}\n    got: {got}", f[0], f[1], f[2]));
        }
    }
    assert!(count > 300, "fixture has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
