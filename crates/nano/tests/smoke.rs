//! End-to-end: CREATE TABLE, INSERT, SELECT through the public API.

use heliosdb_nano::{Database, RowsExt, Value};

fn conn() -> heliosdb_nano::Connection {
    Database::open_in_memory().expect("open").connect()
}

#[test]
fn create_insert_select() {
    let mut c = conn();
    c.execute("CREATE TABLE t (a int PRIMARY KEY, b text)", &[]).unwrap();
    assert_eq!(c.execute("INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, NULL)", &[]).unwrap(), 3);
    let r = c.query("SELECT a, b FROM t WHERE a >= 2 ORDER BY a DESC", &[]).unwrap();
    assert_eq!(r.tag, "SELECT 2");
    assert_eq!(r.columns[0].name, "a");
    assert_eq!(
        r.rows,
        vec![vec![Value::Int4(3), Value::Null], vec![Value::Int4(2), Value::Text("y".into())]]
    );
    let first = r.row(0).unwrap();
    let b: Option<String> = first.get("b").unwrap();
    assert_eq!(b, None);
}
