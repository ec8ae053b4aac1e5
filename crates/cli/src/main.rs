//! `heliosdb-nano`: run HeliosDB Nano as a PostgreSQL-compatible server (`start`), open
//! an interactive SQL shell on an embedded database (`repl`), or write a database as a
//! SQL script and load one (`dump`, `restore`).

mod args;
mod dump;
mod dump_cmd;
mod format;
mod open;
mod repl;
mod start;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let code = match cli.command {
        args::Command::Start(a) => start::run(a),
        args::Command::Dump(a) => dump_cmd::run_dump(&a),
        args::Command::Restore(a) => dump_cmd::run_restore(&a),
        args::Command::Repl(a) => {
            let sessions = open::open(&a.storage, &a.encryption).and_then(|f| {
                Ok((
                    f.open_session("heliosdb", "heliosdb")?,
                    f.open_session("heliosdb", "heliosdb")?,
                ))
            });
            match sessions {
                Ok((session, watcher)) => {
                    let shell = repl::Shell::new(session, Box::new(std::io::stdout()))
                        .with_progress(watcher);
                    repl::run(shell, &a.command, &a.file)
                }
                Err(e) => {
                    eprintln!("heliosdb-nano: could not open the database: {}", e.message());
                    1
                }
            }
        }
    };
    std::process::exit(code);
}
