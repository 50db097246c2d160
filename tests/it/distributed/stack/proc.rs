//! One `ferry` child process of a stack, with its stdout and stderr in log files.

use crate::distributed::servers::tail;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// One `ferry` child process.
pub(crate) struct Proc {
    /// `api`, `orchestrator-0`, `worker-2`, …
    pub(crate) name: String,
    /// The id the role printed (`orchestrator <id> started`, `worker <id> started`).
    pub(crate) id: String,
    pub(super) child: Child,
    pub(super) out: PathBuf,
    pub(super) err: PathBuf,
    pub(crate) killed: bool,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to stderr (its log) so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read(&self.err).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    pub(super) fn kill_9(&mut self) {
        if self.killed {
            return;
        }
        let _ = Command::new("kill").arg("-9").arg(self.child.id().to_string()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.killed = true;
    }

    /// Sends SIGTERM, as an orchestrator of containers does, and waits up to `within`
    /// for the process to exit; its exit status, or `None` if it is still running.
    pub(crate) fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.killed = true;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub(super) fn tails(&self, n: usize) -> String {
        format!(
            "----- {} (pid {}, id {}{}) stdout -----\n{}\n----- {} stderr -----\n{}\n",
            self.name,
            self.child.id(),
            self.id,
            if self.killed { ", killed" } else { "" },
            tail(&self.out, n),
            self.name,
            tail(&self.err, n)
        )
    }
}
