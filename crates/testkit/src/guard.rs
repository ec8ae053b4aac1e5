//! Runs an [`Engine`] on its own thread, so a hang or a panic in the engine is reported as
//! a failed statement instead of stopping the test run.
//!
//! Every statement is sent to the worker thread and awaited with a timeout. On timeout
//! the engine's canceller (if any) is called and the worker gets a grace period; if it
//! still does not answer, the engine is declared dead and the worker thread is abandoned
//! (it cannot be killed safely). A panic inside the engine is caught on the worker
//! (`catch_unwind`) and returned as [`EngineError::Panic`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::engine::{Canceller, Engine, EngineError, EngineOutput};
use crate::format::OutputFormat;

/// How long a cancelled statement may take to stop before the engine is declared dead.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

struct Job {
    sql: String,
    format: OutputFormat,
}

type Reply = Result<EngineOutput, EngineError>;

/// An engine running on a worker thread, with a per-statement timeout.
pub struct GuardedEngine {
    name: String,
    jobs: Option<mpsc::Sender<Job>>,
    replies: mpsc::Receiver<Reply>,
    canceller: Option<Canceller>,
    timeout: Duration,
    dead: Option<String>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GuardedEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedEngine")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field("dead", &self.dead)
            .finish()
    }
}

impl GuardedEngine {
    /// Moves `engine` onto a new worker thread; each statement may run for `timeout`.
    pub fn spawn(engine: Box<dyn Engine>, timeout: Duration) -> std::io::Result<GuardedEngine> {
        let name = engine.name();
        let canceller = engine.canceller();
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let (reply_tx, reply_rx) = mpsc::channel::<Reply>();
        let worker = std::thread::Builder::new()
            .name(format!("slt-{name}"))
            .stack_size(16 * 1024 * 1024)
            .spawn(move || {
                let mut engine = engine;
                for job in job_rx {
                    let reply =
                        catch_unwind(AssertUnwindSafe(|| engine.run(&job.sql, &job.format)))
                            .unwrap_or_else(|payload| {
                                Err(EngineError::Panic(panic_text(&*payload)))
                            });
                    if reply_tx.send(reply).is_err() {
                        break;
                    }
                }
            })?;
        Ok(GuardedEngine {
            name,
            jobs: Some(job_tx),
            replies: reply_rx,
            canceller,
            timeout,
            dead: None,
            worker: Some(worker),
        })
    }

    /// The wrapped engine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why the engine cannot run statements any more, if it cannot.
    pub fn dead(&self) -> Option<&str> {
        self.dead.as_deref()
    }

    /// Runs one SQL text on the worker, waiting at most the timeout.
    pub fn run(&mut self, sql: &str, format: &OutputFormat) -> Result<EngineOutput, EngineError> {
        if let Some(why) = &self.dead {
            return Err(EngineError::Dead(why.clone()));
        }
        let job = Job { sql: sql.to_string(), format: format.clone() };
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job).is_ok()).unwrap_or(false);
        if !sent {
            return Err(self.mark_dead("the engine thread has stopped".to_string()));
        }
        match self.replies.recv_timeout(self.timeout) {
            Ok(reply) => reply,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(self.mark_dead("the engine thread has stopped".to_string()))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(cancel) = &self.canceller {
                    cancel();
                }
                match self.replies.recv_timeout(CANCEL_GRACE) {
                    // Cancelled in time: the statement failed, the engine lives on.
                    Ok(_) => Err(EngineError::Timeout(self.timeout)),
                    Err(_) => {
                        self.mark_dead(format!(
                            "a statement ran longer than {:?} and did not stop when cancelled",
                            self.timeout
                        ));
                        Err(EngineError::Timeout(self.timeout))
                    }
                }
            }
        }
    }

    fn mark_dead(&mut self, why: String) -> EngineError {
        self.dead = Some(why.clone());
        EngineError::Dead(why)
    }
}

impl Drop for GuardedEngine {
    fn drop(&mut self) {
        // Closing the job channel ends the worker's loop.
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            if self.dead.is_none() {
                let _ = worker.join();
            }
            // A hung worker is left behind: there is no safe way to stop it.
        }
    }
}

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Keeps the panics that tests provoke on purpose (in fake engines' worker threads,
/// named `slt-fake` / `slt-toy`) out of the test output; every other panic still prints.
#[cfg(test)]
pub(crate) fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_string).unwrap_or_default();
            if name != "slt-fake" && name != "slt-toy" {
                default(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::OutputStyle;

    /// A fake engine: `panic` panics, `sleep` sleeps, anything else echoes.
    struct Fake;

    impl Engine for Fake {
        fn name(&self) -> String {
            "fake".into()
        }
        fn run(&mut self, sql: &str, _: &OutputFormat) -> Result<EngineOutput, EngineError> {
            match sql {
                "panic" => panic!("boom"),
                "sleep" => {
                    std::thread::sleep(Duration::from_millis(400));
                    Ok(EngineOutput::Complete(0))
                }
                _ => Ok(EngineOutput::Rows { types: vec![], rows: vec![vec![sql.to_string()]] }),
            }
        }
    }

    fn fmt() -> OutputFormat {
        OutputFormat::new(OutputStyle::PgText)
    }

    #[test]
    fn panics_are_reported_and_the_engine_keeps_serving() {
        quiet_expected_panics();
        let mut g = GuardedEngine::spawn(Box::new(Fake), Duration::from_secs(5)).expect("spawn");
        match g.run("panic", &fmt()) {
            Err(EngineError::Panic(msg)) => assert!(msg.contains("boom")),
            other => panic!("expected a panic report, got {other:?}"),
        }
        let out = g.run("x", &fmt()).expect("engine still serves");
        assert_eq!(out, EngineOutput::Rows { types: vec![], rows: vec![vec!["x".into()]] });
    }

    #[test]
    fn a_statement_past_the_timeout_fails() {
        let mut g = GuardedEngine::spawn(Box::new(Fake), Duration::from_millis(50)).expect("spawn");
        assert!(matches!(g.run("sleep", &fmt()), Err(EngineError::Timeout(_))));
        // Without a canceller the sleep still ends within the grace period.
        assert!(g.dead().is_none());
        assert!(g.run("y", &fmt()).is_ok());
    }
}
