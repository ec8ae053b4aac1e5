//! A first HeliosDB Nano program: create a table, insert, query.
//!
//! Run with `cargo run -p heliosdb-nano --example quickstart`.

use heliosdb_nano::{Database, RowsExt, Value};

fn main() -> heliosdb_nano::Result<()> {
    let db = Database::open_in_memory()?;
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE books (id serial PRIMARY KEY, title text NOT NULL, year int);
         INSERT INTO books (title, year) VALUES ('Dune', 1965), ('Neuromancer', 1984);",
    );
    conn.execute(
        "INSERT INTO books (title, year) VALUES ($1, $2)",
        &[Value::Text("Hyperion".into()), Value::Int4(1989)],
    )?;
    let result = conn.query(
        "SELECT title, year FROM books WHERE year > ? ORDER BY year",
        &[Value::Int4(1970)],
    )?;
    for row in result.iter_rows() {
        let title: String = row.get("title")?;
        let year: i32 = row.get("year")?;
        println!("{title} ({year})");
    }
    Ok(())
}
