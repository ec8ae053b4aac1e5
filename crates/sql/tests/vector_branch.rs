//! HNSW indexes and branches, through the storage API (branch SQL is built elsewhere):
//! a row written on a branch enters only that branch's graph and is found only there.

use std::sync::Arc;

use helios_common::BranchId;
use helios_sql::catalog::{Catalog, Relation, TableDef};
use helios_sql::exec::table_io;
use helios_sql::exec::vector_index::{self, Knn};
use helios_sql::{Engine, StatementResult};
use helios_storage::{Transaction, TxnOptions};
use helios_types::Value;

fn nearest_on_main(engine: &Arc<Engine>, q: &str) -> Vec<Value> {
    let mut s = engine.session();
    let sql = format!("SELECT id FROM items ORDER BY embedding <-> '{q}' LIMIT 1");
    match s.execute(&sql, &[]).expect("query") {
        StatementResult::Rows(r) => r.rows.into_iter().flatten().collect(),
        other => panic!("{other:?}"),
    }
}

fn items(catalog: &Catalog) -> Arc<TableDef> {
    match catalog.resolve(None, "items", &["public".to_string()]) {
        Some((_, Relation::Table(id))) => catalog.table(id).cloned().expect("table"),
        other => panic!("{other:?}"),
    }
}

/// Primary-key ids of the `k` nearest rows visible to `txn`, via the index.
fn search(engine: &Engine, txn: &Transaction, q: &[f32], k: usize) -> Vec<Value> {
    let catalog = engine.catalogs.get(txn).expect("catalog");
    let table = items(&catalog);
    let index = table.indexes.iter().find(|i| i.vector.is_some()).expect("hnsw index");
    let hits = vector_index::search(
        &engine.vectors,
        txn,
        &table,
        index,
        &Knn { query: q, k, ef_search: None, rerank: None },
        None,
    )
    .expect("search")
    .expect("the graph serves this snapshot");
    hits.into_iter().map(|(_, row)| row[0].clone()).collect()
}

#[test]
fn a_row_inserted_on_a_branch_is_not_found_on_main() {
    let engine = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    let (_, err) = s.execute_batch(
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
         INSERT INTO items VALUES (1, '[0,0,0]'), (2, '[1,1,1]'), (3, '[2,2,2]');
         CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops);",
    );
    assert!(err.is_none(), "{err:?}");
    let dev = engine.storage.create_branch("dev", BranchId::MAIN, None).expect("branch").id;

    // Write a row on the branch the way INSERT does: put_row, then the end-of-statement
    // hook that feeds the branch's graph and flushes it into the transaction.
    let mut txn =
        engine.storage.begin(TxnOptions { branch: dev, ..TxnOptions::default() }).expect("begin");
    let catalog = engine.catalogs.get(&txn).expect("catalog");
    let table = items(&catalog);
    let row = vec![Value::Int4(100), Value::Vector(Arc::from(vec![50.0f32, 50.0, 50.0]))];
    let pk = table_io::primary_key(&table, &row, None).expect("pk");
    table_io::put_row(&mut txn, &table, &pk, &row).expect("put");
    vector_index::apply_pending(&engine.vectors, &mut txn, &catalog).expect("index");
    txn.commit().expect("commit");

    let q = [50.0f32, 50.0, 50.0];
    let on_dev =
        engine.storage.begin(TxnOptions { branch: dev, ..TxnOptions::default() }).expect("begin");
    assert_eq!(search(&engine, &on_dev, &q, 1), vec![Value::Int4(100)]);
    assert_eq!(search(&engine, &on_dev, &q, 4).len(), 4, "the branch sees main's rows too");

    let on_main = engine.storage.begin(TxnOptions::default()).expect("begin");
    assert_eq!(search(&engine, &on_main, &q, 1), vec![Value::Int4(3)]);
    assert_eq!(nearest_on_main(&engine, "[50,50,50]"), vec![Value::Int4(3)]);

    // A row inserted on main after the fork is not found on the branch.
    let (_, err) = s.execute_batch("INSERT INTO items VALUES (200, '[49,49,49]')");
    assert!(err.is_none(), "{err:?}");
    assert_eq!(nearest_on_main(&engine, "[50,50,50]"), vec![Value::Int4(200)]);
    let on_dev =
        engine.storage.begin(TxnOptions { branch: dev, ..TxnOptions::default() }).expect("begin");
    assert_eq!(search(&engine, &on_dev, &q, 1), vec![Value::Int4(100)]);
    assert!(!search(&engine, &on_dev, &q, 10).contains(&Value::Int4(200)));
}
