//! A few thousand random queries (see `helios_testkit::random_query`) through the
//! `heliosdb-nano` API must never panic or hang; SQL errors are fine.
//!
//! `HELIOS_RANDOM_QUERIES` sets the count (default 3000), `HELIOS_RANDOM_SEED` the seed
//! (default 20261125); reproduce a failure with `helios-slt --random N --seed S`.

use std::time::Duration;

use helios_testkit::nano;
use helios_testkit::random_query::run_random;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[test]
fn random_queries_never_panic() {
    let count = env_number("HELIOS_RANDOM_QUERIES", 3000) as usize;
    let seed = env_number("HELIOS_RANDOM_SEED", 20_261_125);
    let (factory, keep) = nano::fresh_database("memory").expect("in-memory database");
    let report = run_random(factory, count, seed, Duration::from_secs(20)).expect("random run");
    drop(keep);
    println!("random queries (seed {seed}): {}", report.summary());
    for (i, sql, what) in &report.failures {
        println!("#{i}: {what}\n    {sql}");
    }
    assert!(
        report.failures.is_empty(),
        "{} random queries panicked or hung (seed {seed}); first: {:?}",
        report.failures.len(),
        report.failures.first()
    );
    assert_eq!(report.ok + report.errors.values().sum::<usize>() + report.failures.len(), count);
}
