//! `heliosdb-nano start`: serve the wire protocol until SIGINT or SIGTERM.

use std::sync::Arc;

use helios_server::{Server, ServerConfig};

use crate::args::StartArgs;
use crate::open;

/// Stack size of the threads that run statements.
const STATEMENT_STACK_BYTES: usize = 32 * 1024 * 1024;

fn password(args: &StartArgs) -> Result<Option<String>, String> {
    if let Some(p) = &args.password {
        return Ok(Some(p.clone()));
    }
    match &args.password_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("could not read password file \"{}\": {e}", f.display()))?;
            Ok(Some(text.lines().next().unwrap_or("").to_owned()))
        }
        None => Ok(None),
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the server; returns the exit status.
pub fn run(args: StartArgs) -> i32 {
    let password = match password(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("heliosdb-nano: {e}");
            return 1;
        }
    };
    let config = ServerConfig {
        listen: args.listen,
        port: args.port,
        auth: args.auth,
        password,
        max_connections: args.max_connections,
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        socket_dir: args.pg_socket_dir.clone(),
        connection_stack_bytes: STATEMENT_STACK_BYTES,
    };
    if let Err(e) = config.validate() {
        eprintln!("heliosdb-nano: {e}");
        return 2;
    }
    let factory = match open::open(&args.storage, &args.encryption) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("heliosdb-nano: could not open the database: {}", e.message());
            return 1;
        }
    };
    // Statements run on their connection's thread (`connection_stack_bytes`); the
    // runtime's own threads get the same headroom for the work they may still run.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(STATEMENT_STACK_BYTES)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("heliosdb-nano: could not start the runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(async move {
        let server = match Server::bind(config, Arc::clone(&factory)).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("heliosdb-nano: {e}");
                return 1;
            }
        };
        eprintln!("heliosdb-nano: listening on {}", server.local_addr());
        match server.serve(shutdown_signal()).await {
            Ok(()) => {
                eprintln!("heliosdb-nano: shut down");
                0
            }
            Err(e) => {
                eprintln!("heliosdb-nano: {e}");
                1
            }
        }
    })
}
