//! The `phonecheck` binary as a child process: started with its logs captured, its address
//! read from its start-up line, stopped with a real signal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The binary with a clean environment (no token, no listen address), piped stderr, and a
/// job data directory of its own under the system's temporary directory (removed when the
/// process is), so a test never writes into the repository.
pub fn phonecheck() -> Command {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let data_dir = std::env::temp_dir().join(format!(
        "phonecheck-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phonecheck"));
    cmd.env("PHONECHECK_DATA_DIR", data_dir)
        .env_remove("ALAPI_TOKEN")
        .env_remove("ALAPI_TOKEN_FILE")
        .env_remove("PHONECHECK_LISTEN")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A child process that is killed and reaped if a test fails before stopping it; its own
/// data directory goes with it.
pub struct Running(Option<Child>, Option<PathBuf>);

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        let data_dir = cmd
            .get_envs()
            .find(|(k, _)| *k == "PHONECHECK_DATA_DIR")
            .and_then(|(_, v)| v.map(PathBuf::from));
        Running(Some(cmd.spawn().expect("spawn phonecheck")), data_dir)
    }
}

impl Running {
    /// The process id, for signals a test sends itself (SIGSTOP, SIGCONT).
    pub fn pid(&self) -> u32 {
        self.0.as_ref().expect("still running").id()
    }

    /// Sends `signal` (a name such as `STOP`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.1.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts `cmd` and waits for a stderr line containing `marker`; returns the text after
/// `key=` on that line, and the running child.
pub fn start_and_read(mut cmd: Command, marker: &str, key: &str) -> (String, Running) {
    let mut running = Running::spawn(&mut cmd);
    let stderr = running.0.as_mut().and_then(|c| c.stderr.take()).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the process logs its address");
        if line.contains(marker) {
            let value = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .unwrap_or_else(|| panic!("{key} in {line:?}"))
                .to_owned();
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return (value, running);
        }
    }
}

/// Sends SIGTERM and waits for the exit without blocking the test's runtime, whose tasks
/// (the client's connection) must keep running while the server shuts down.
pub async fn terminate(mut running: Running) -> std::process::ExitStatus {
    let mut child = running.0.take().expect("still running");
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("join")
}

/// Starts `cmd`, keeps every stderr line, and waits for a line containing `marker`; returns the
/// text after `key=` on that line.
pub fn start_logged(
    mut cmd: Command,
    marker: &str,
    key: &str,
) -> (
    String,
    Running,
    std::sync::Arc<parking_lot::Mutex<Vec<String>>>,
) {
    let mut running = Running::spawn(&mut cmd);
    let stderr = running.0.as_mut().and_then(|c| c.stderr.take()).unwrap();
    let lines = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().push(line.clone());
                let _ = tx.send(line);
            }
        });
    }
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the marker line");
        if line.contains(marker) {
            let value = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .unwrap_or_else(|| panic!("{key} in {line:?}"))
                .to_owned();
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return (value, running, lines);
        }
    }
}
