//! Randomised model test of HNSW k-NN through SQL on two branches: random inserts,
//! updates, deletes and rolled-back transactions on `main` and on a branch, checked
//! against a plain map of each branch's live rows. Every k-NN answer (through the index,
//! with `hnsw.ef_search` above the number of graph entries so the search is exhaustive)
//! must be exactly the model's nearest rows of that branch: never a deleted row, a row's
//! old vector, a rolled-back row or a row of the other branch.

use std::collections::BTreeMap;
use std::sync::Arc;

use helios_sql::{Engine, Session, StatementResult};
use helios_types::Value;

type Model = BTreeMap<i64, [f32; 3]>;

fn run(s: &mut Session, sql: &str) {
    let (_, err) = s.execute_batch(sql);
    assert!(err.is_none(), "{sql}: {err:?}");
}

fn ids(s: &mut Session, sql: &str) -> Vec<i64> {
    match s.execute(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}")) {
        StatementResult::Rows(r) => r
            .rows
            .iter()
            .map(|row| match row[0] {
                Value::Int4(n) => i64::from(n),
                ref other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{sql}: {other:?}"),
    }
}

fn literal(v: &[f32; 3]) -> String {
    format!("[{},{},{}]", v[0], v[1], v[2])
}

fn random_vector(rng: &mut fastrand::Rng) -> [f32; 3] {
    [rng.f32() * 10.0, rng.f32() * 10.0, rng.f32() * 10.0]
}

/// The model's `k` nearest ids, or `None` when the k-th and (k+1)-th distances are too
/// close to call (float rounding could order them either way).
fn nearest(model: &Model, q: &[f32; 3], k: usize) -> Option<Vec<i64>> {
    let d = |v: &[f32; 3]| -> f64 {
        v.iter().zip(q).map(|(a, b)| f64::from(a - b) * f64::from(a - b)).sum::<f64>()
    };
    let mut all: Vec<(f64, i64)> = model.iter().map(|(id, v)| (d(v), *id)).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if all.windows(2).take(k).any(|w| (w[1].0 - w[0].0).abs() < 1e-4) {
        return None;
    }
    Some(all.into_iter().take(k).map(|(_, id)| id).collect())
}

fn check(s: &mut Session, model: &Model, rng: &mut fastrand::Rng, label: &str) {
    for _ in 0..3 {
        let q = random_vector(rng);
        let sql = format!("SELECT id FROM items ORDER BY e <-> '{}' LIMIT 5", literal(&q));
        let got = ids(s, &sql);
        for id in &got {
            assert!(model.contains_key(id), "{label}: row {id} is not live on this branch");
        }
        if let Some(want) = nearest(model, &q, 5) {
            assert_eq!(got, want, "{label}: {sql}");
        }
    }
}

fn step(s: &mut Session, model: &mut Model, rng: &mut fastrand::Rng, next_id: &mut i64) {
    let existing: Vec<i64> = model.keys().copied().collect();
    let pick = |rng: &mut fastrand::Rng| existing[rng.usize(..existing.len())];
    match rng.u8(0..10) {
        0..=3 => {
            let v = random_vector(rng);
            let id = *next_id;
            *next_id += 1;
            run(s, &format!("INSERT INTO items VALUES ({id}, '{}')", literal(&v)));
            model.insert(id, v);
        }
        4..=5 if !existing.is_empty() => {
            let id = pick(rng);
            let v = random_vector(rng);
            run(s, &format!("UPDATE items SET e = '{}' WHERE id = {id}", literal(&v)));
            model.insert(id, v);
        }
        6..=7 if !existing.is_empty() => {
            let id = pick(rng);
            run(s, &format!("DELETE FROM items WHERE id = {id}"));
            model.remove(&id);
        }
        _ => {
            // A transaction that inserts, moves and deletes, then rolls back.
            let v = random_vector(rng);
            run(s, "BEGIN");
            run(
                s,
                &format!("INSERT INTO items VALUES ({}, '{}')", 1_000_000 + *next_id, literal(&v)),
            );
            if let Some(&id) = existing.first() {
                run(s, &format!("UPDATE items SET e = '{}' WHERE id = {id}", literal(&v)));
            }
            if let Some(&id) = existing.last() {
                run(s, &format!("DELETE FROM items WHERE id = {id}"));
            }
            run(s, "ROLLBACK");
        }
    }
}

fn scenario(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut main = engine.session();
    run(&mut main, "CREATE TABLE items (id int PRIMARY KEY, e vector(3))");
    let mut model_main = Model::new();
    let mut next_id = 1i64;
    for _ in 0..20 {
        let v = random_vector(&mut rng);
        run(&mut main, &format!("INSERT INTO items VALUES ({next_id}, '{}')", literal(&v)));
        model_main.insert(next_id, v);
        next_id += 1;
    }
    run(
        &mut main,
        "CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops) WITH (m = 4, ef_construction = 16)",
    );
    run(&mut main, "CREATE BRANCH side");
    let mut side = engine.session();
    run(&mut side, "USE BRANCH side");
    let mut model_side = model_main.clone();
    for s in [&mut main, &mut side] {
        run(s, "SET hnsw.ef_search = 1000");
    }
    for i in 0..120 {
        if rng.bool() {
            step(&mut main, &mut model_main, &mut rng, &mut next_id);
        } else {
            step(&mut side, &mut model_side, &mut rng, &mut next_id);
        }
        if i % 10 == 9 {
            check(&mut main, &model_main, &mut rng, &format!("seed {seed} op {i} main"));
            check(&mut side, &model_side, &mut rng, &format!("seed {seed} op {i} side"));
        }
    }
}

#[test]
fn knn_on_two_branches_matches_the_model() {
    for seed in [1, 2, 3, 4] {
        scenario(seed);
    }
}
