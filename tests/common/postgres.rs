//! A throwaway PostgreSQL server for a test: a cluster of its own in a temporary directory
//! (copied from one `initdb` made once per machine under Cargo's target temp dir), started on
//! a free loopback port, as the `postgres` user when the tests run as root, stopped and
//! removed when dropped.
//!
//! Where no PostgreSQL server binaries are installed, [`TestPostgres::start`] returns `None`
//! and says the test is skipped, unless `PHONECHECK_REQUIRE_POSTGRES=1` (CI sets it): then a
//! missing server fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::time::Instant;

/// A running PostgreSQL server with one database, `phonecheck`, owned by the user `phonecheck`.
pub struct TestPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    port: u16,
    child: Option<Child>,
}

/// Where the server binaries are: `pg_config --bindir`, Debian's versioned directories, or
/// the PATH.
fn bin_dir() -> Option<PathBuf> {
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has(d))
        .collect();
    versions.sort();
    if let Some(dir) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|d| has(d)))
}

/// The `postgres` user's ids when running as root (the server refuses to run as root).
fn owner() -> Option<(u32, u32)> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn chown(path: &Path, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        let status = Command::new("chown")
            .args(["-R", &format!("{uid}:{gid}")])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

/// A cluster made once (per machine and server version), copied for each test.
fn template(bin: &Path, owner: Option<(u32, u32)>) -> PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let version = bin
                .parent()
                .and_then(|p| p.file_name())
                .map_or("pg".into(), |v| v.to_string_lossy().into_owned());
            let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let dir = root.join(format!("postgres-template-{version}"));
            if dir.join("PG_VERSION").is_file() {
                return dir;
            }
            let making = root.join(format!(
                "postgres-template-{version}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&making);
            std::fs::create_dir_all(&making).unwrap();
            chown(&making, owner);
            let out = as_owner(&mut Command::new(bin.join("initdb")), owner)
                .arg("-D")
                .arg(&making)
                .args([
                    "-U",
                    "phonecheck",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ])
                .args(["--locale=C"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "initdb: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Another test process may have made it meanwhile; either copy is good.
            if std::fs::rename(&making, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&making);
            }
            dir
        })
        .clone()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestPostgres {
    /// Starts a server, or says why the test is skipped and returns `None`.
    pub async fn start(test: &str) -> Option<TestPostgres> {
        let Some(bin) = bin_dir() else {
            if std::env::var("PHONECHECK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "{test}: PHONECHECK_REQUIRE_POSTGRES=1 but no PostgreSQL server (initdb) is installed"
                );
            }
            eprintln!(
                "SKIPPED {test}: no PostgreSQL server binaries (initdb, postgres) on this machine; install Debian's postgresql to run it"
            );
            return None;
        };
        let owner = owner();
        let template = tokio::task::spawn_blocking({
            let bin = bin.clone();
            move || template(&bin, owner)
        })
        .await
        .unwrap();
        let dir = tempfile::Builder::new()
            .prefix("phonecheck-pg-")
            .tempdir()
            .unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(template.join("."))
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "copy the template cluster");
        chown(dir.path(), owner);
        let mut pg = TestPostgres {
            dir,
            bin,
            owner,
            port: free_port(),
            child: None,
        };
        pg.run().await;
        Some(pg)
    }

    /// The URL of the `phonecheck` database.
    pub fn url(&self) -> String {
        format!("postgres://phonecheck@127.0.0.1:{}/phonecheck", self.port)
    }

    /// A connection for the test's own setup, through the server's Unix socket (so it works
    /// whatever TCP requires, TLS included).
    async fn admin(&self, database: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user("phonecheck")
            .dbname(database)
            .connect(tokio_postgres::NoTls)
            .await?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Starts a server that accepts TCP connections only over TLS, with this certificate and
    /// key (PEM), or says why the test is skipped.
    pub async fn start_tls(test: &str, cert: &str, key: &str) -> Option<TestPostgres> {
        let mut pg = TestPostgres::start(test).await?;
        pg.stop().await;
        let dir = pg.dir.path();
        std::fs::write(dir.join("server.crt"), cert).unwrap();
        std::fs::write(dir.join("server.key"), key).unwrap();
        let status = Command::new("chmod")
            .arg("600")
            .arg(dir.join("server.key"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::write(
            dir.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        chown(dir, pg.owner);
        pg.run().await;
        Some(pg)
    }

    /// The URL of a new, empty database of this server named `name`.
    pub async fn database(&self, name: &str) -> String {
        let client = self.admin("postgres").await.unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        format!("postgres://phonecheck@127.0.0.1:{}/{name}", self.port)
    }

    /// Starts the server (again, after [`TestPostgres::stop`]) and waits until it answers.
    pub async fn run(&mut self) {
        let log = self.dir.path().join("server.log");
        let log = std::fs::File::create(log).unwrap();
        let tls = self.dir.path().join("server.crt").is_file();
        let child = as_owner(&mut Command::new(self.bin.join("postgres")), self.owner)
            .arg("-D")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=300"])
            .args(if tls {
                &[
                    "-c",
                    "ssl=on",
                    "-c",
                    "ssl_cert_file=server.crt",
                    "-c",
                    "ssl_key_file=server.key",
                ][..]
            } else {
                &[]
            })
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = loop {
            if let Ok(client) = self.admin("postgres").await {
                break client;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("server.log"));
                panic!("PostgreSQL did not start within 60 s: {log:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // The `phonecheck` database, made once.
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = 'phonecheck'",
                &[],
            )
            .await
            .unwrap()
            .is_some();
        if !exists {
            client
                .batch_execute("CREATE DATABASE phonecheck")
                .await
                .unwrap();
        }
    }

    /// Kills the postmaster with SIGKILL, as a crash would: no shutdown, no checkpoint. Its
    /// backends exit as they notice; the next `run` recovers from the write-ahead log.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            tokio::task::spawn_blocking(move || {
                let _ = child.kill();
                let _ = child.wait();
            })
            .await
            .unwrap();
        }
    }

    /// Stops the server (a fast shutdown: open connections are cut) and waits for it to exit.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            tokio::task::spawn_blocking(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    if let Ok(Some(_)) = child.try_wait() {
                        return;
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
            .await
            .unwrap();
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
