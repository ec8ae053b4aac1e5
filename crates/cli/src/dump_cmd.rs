//! The `dump` and `restore` commands: open what the arguments name and run
//! [`crate::dump`].

use std::io::{Read, Write};

use crate::args::{DumpSource, Encryption, ScriptArgs, Storage};
use crate::dump::{self, Embedded, Remote, Target};

/// The database the arguments name, opened for a dump or a restore.
fn open_target(source: &DumpSource, encryption: &Encryption) -> Result<Box<dyn Target>, String> {
    if let Some(url) = &source.url {
        let client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| format!("could not connect to {url}: {e}"))?;
        return Ok(Box::new(Remote(client)));
    }
    let storage = Storage { memory: false, data_dir: source.data_dir.clone() };
    let factory = crate::open::open(&storage, encryption)
        .map_err(|e| format!("could not open the database: {}", e.message()))?;
    let session = factory
        .open_session("heliosdb", "heliosdb")
        .map_err(|e| format!("could not open a session: {}", e.message()))?;
    Ok(Box::new(Embedded(session)))
}

/// `heliosdb-nano dump`: exit status 0 on success.
pub fn run_dump(a: &ScriptArgs) -> i32 {
    let mut target = match open_target(&a.source, &a.encryption) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("heliosdb-nano dump: {e}");
            return 1;
        }
    };
    let mut out: Box<dyn Write> = match &a.file {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("heliosdb-nano dump: {}: {e}", path.display());
                return 1;
            }
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let result = dump::dump(target.as_mut(), out.as_mut());
    let flushed = out.flush();
    match (result, flushed) {
        (Ok((tables, rows)), Ok(())) => {
            if a.file.is_some() {
                eprintln!("heliosdb-nano dump: {tables} tables, {rows} rows");
            }
            0
        }
        (Err(e), _) => {
            eprintln!("heliosdb-nano dump: {e}");
            1
        }
        (_, Err(e)) => {
            eprintln!("heliosdb-nano dump: {e}");
            1
        }
    }
}

/// `heliosdb-nano restore`: exit status 0 on success.
pub fn run_restore(a: &ScriptArgs) -> i32 {
    let mut script = String::new();
    let read = match &a.file {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut script)),
        None => std::io::stdin().read_to_string(&mut script),
    };
    if let Err(e) = read {
        eprintln!("heliosdb-nano restore: could not read the script: {e}");
        return 1;
    }
    let mut target = match open_target(&a.source, &a.encryption) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("heliosdb-nano restore: {e}");
            return 1;
        }
    };
    match dump::restore(target.as_mut(), &script) {
        Ok(rows) => {
            eprintln!("heliosdb-nano restore: {rows} rows");
            0
        }
        Err(e) => {
            eprintln!("heliosdb-nano restore: {e} (nothing was restored)");
            1
        }
    }
}
