//! Command-line arguments of `heliosdb-nano`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use helios_server::AuthMethod;

/// HeliosDB Nano: a PostgreSQL-compatible database, embedded or as a server.
#[derive(Debug, Parser)]
#[command(name = "heliosdb-nano", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the PostgreSQL wire protocol.
    Start(StartArgs),
    /// Interactive SQL shell on an embedded database (psql-like).
    Repl(ReplArgs),
    /// Write a database as a plain SQL script (schema, data, then indexes, constraints,
    /// owners, grants and policies) that `restore` and psql load.
    Dump(ScriptArgs),
    /// Load a script written by `dump` into a database, in one transaction.
    Restore(ScriptArgs),
}

/// The database a dump reads or a restore writes.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct DumpSource {
    /// Directory of a database no server has open.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A running server (`postgresql://user:password@host:port/db`): works while the
    /// database is in use.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

/// `heliosdb-nano dump` and `restore`.
#[derive(Debug, Args)]
pub struct ScriptArgs {
    #[command(flatten)]
    pub source: DumpSource,
    #[command(flatten)]
    pub encryption: Encryption,
    /// The script file (default: standard output for `dump`, standard input for
    /// `restore`).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Which database to open.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Storage {
    /// Keep the database in memory (lost on exit).
    #[arg(long)]
    pub memory: bool,
    /// Directory of the database (created if missing).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Encryption at rest (without a flag, the key in `HELIOSDB_ENCRYPTION_KEY`, 64
/// hexadecimal characters, if that is set).
#[derive(Debug, Args)]
pub struct Encryption {
    /// File holding the encryption key (32 bytes, or 64 hexadecimal characters).
    #[arg(long, value_name = "FILE", conflicts_with = "encryption_passphrase_env")]
    pub encryption_key_file: Option<PathBuf>,
    /// Environment variable holding an encryption passphrase (stretched with Argon2id).
    #[arg(long, value_name = "VAR")]
    pub encryption_passphrase_env: Option<String>,
}

/// `heliosdb-nano start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub storage: Storage,
    #[command(flatten)]
    pub encryption: Encryption,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// TCP port.
    #[arg(long, default_value_t = 5432)]
    pub port: u16,
    /// Authentication method: trust, password, md5 or scram-sha-256.
    #[arg(long, default_value = "trust")]
    pub auth: AuthMethod,
    /// The password clients must give.
    #[arg(long, conflicts_with = "password_file")]
    pub password: Option<String>,
    /// A file whose first line is the password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Connections served at once.
    #[arg(long, default_value_t = 100)]
    pub max_connections: usize,
    /// PEM certificate chain; enables TLS with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Directory for a Unix-domain socket `.s.PGSQL.<port>`.
    #[arg(long, value_name = "DIR")]
    pub pg_socket_dir: Option<PathBuf>,
}

/// `heliosdb-nano repl`.
#[derive(Debug, Args)]
pub struct ReplArgs {
    #[command(flatten)]
    pub storage: Storage,
    #[command(flatten)]
    pub encryption: Encryption,
    /// Run this command (SQL or one meta-command) and exit.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub command: Vec<String>,
    /// Run the commands in this file and exit.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn parses_start_and_repl() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "heliosdb-nano",
            "start",
            "--memory",
            "--port",
            "6543",
            "--auth",
            "scram-sha-256",
            "--password",
            "pw",
        ])
        .unwrap();
        let Command::Start(s) = cli.command else { panic!("start") };
        assert!(s.storage.memory);
        assert_eq!((s.port, s.auth), (6543, AuthMethod::ScramSha256));
        assert!(Cli::try_parse_from(["heliosdb-nano", "start"]).is_err(), "storage is required");
        assert!(
            Cli::try_parse_from(["heliosdb-nano", "start", "--memory", "--data-dir", "x"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["heliosdb-nano", "start", "--memory", "--tls-cert", "c"]).is_err()
        );
        let cli =
            Cli::try_parse_from(["heliosdb-nano", "repl", "--data-dir", "d", "-c", "select 1"])
                .unwrap();
        let Command::Repl(r) = cli.command else { panic!("repl") };
        assert_eq!(r.command, vec!["select 1".to_owned()]);
    }
}
