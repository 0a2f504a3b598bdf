//! Real `server` processes for the tests that need one: killed with SIGKILL, stopped
//! with SIGTERM, or run side by side on one database.
//!
//! The binary is built once per test run with the cargo that runs the tests (or taken
//! from `XIAXIANG_SERVER_BIN`). Each process listens on a port the OS picks and
//! prints it; its logs go to a file the caller names.
//!
//! Processes run on the real clock, so a [`TestApp`] whose database they serve should
//! be spawned `.at(Utc::now())`: its tokens and assignments then hold for them too.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use mobile_api::client::Client;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::TestApp;

/// The `server` binary of the profile these tests were built with.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("XIAXIANG_SERVER_BIN") {
            return PathBuf::from(path);
        }
        // target/<profile>/deps/api-<hash> -> target/<profile>/server
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary under target/<profile>/deps")
            .to_path_buf();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "-p", "server", "--bin", "server"]);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build -p server failed");
        profile_dir.join("server")
    })
}

/// The environment that makes a `server` process serve `app`'s database with its
/// signing key, cache prefix and cheap password hashing.
pub fn env_of(app: &TestApp) -> Vec<(String, String)> {
    let config = &app.config;
    let mut env = vec![
        ("DATABASE_URL".to_owned(), config.database_url.clone()),
        ("CHECKIN_JWT_SECRET".to_owned(), app.jwt_secret.clone()),
        (
            "CHECKIN_REDIS_PREFIX".to_owned(),
            config.redis_prefix.clone(),
        ),
        (
            "CHECKIN_QR_PERIOD_SECONDS".to_owned(),
            config.qr_period_seconds.to_string(),
        ),
        (
            "CHECKIN_ARGON2_MEMORY_KIB".to_owned(),
            config.password_cost.memory_kib.to_string(),
        ),
        (
            "CHECKIN_ARGON2_ITERATIONS".to_owned(),
            config.password_cost.iterations.to_string(),
        ),
    ];
    if let Some(redis) = &config.redis_url {
        env.push(("REDIS_URL".to_owned(), redis.clone()));
    }
    env
}

/// A running `server` process.
pub struct ServerProcess {
    child: Child,
    pub address: String,
    pub anonymous: Client,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts `server` with `env` (plus `CHECKIN_LISTEN=127.0.0.1:0`), waits until it
    /// prints its address and answers `/healthz`. Logs go to `log`.
    pub async fn start(env: &[(String, String)], log: &Path) -> ServerProcess {
        ServerProcess::launch(Command::new(server_binary()), env, log).await
    }

    /// The same, in an address space capped at `kib` KiB (`ulimit -v`), as on a small
    /// host: an allocation beyond it fails and the process aborts.
    pub async fn start_with_address_space(
        env: &[(String, String)],
        log: &Path,
        kib: u64,
    ) -> ServerProcess {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
            .arg(server_binary());
        ServerProcess::launch(command, env, log).await
    }

    async fn launch(mut command: Command, env: &[(String, String)], log: &Path) -> ServerProcess {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CHECKIN_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true);
        let mut child = command.spawn().expect("server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(address) = line.strip_prefix("Xiaxiang listening on ") {
                    return address.trim().to_owned();
                }
            }
            panic!("server exited before listening; see {}", log.display());
        })
        .await
        .expect("server listens within 2 minutes");
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let process = ServerProcess {
            child,
            anonymous: Client::new(address.clone()),
            address,
            log: log.to_path_buf(),
        };
        process.wait_healthy().await;
        process
    }

    /// Waits until `/healthz` answers 200.
    pub async fn wait_healthy(&self) {
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = http.get(format!("{}/healthz", self.address)).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "server at {} never became healthy; see {}",
            self.address,
            self.log.display()
        );
    }

    /// Whether the process is still alive (it has not exited or been killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("process still running")
    }

    /// A client of this process carrying `token`.
    pub fn client(&self, token: &str) -> Client {
        self.anonymous.with_token(token)
    }

    /// SIGKILL: no shutdown, no flush; waits until the process is gone.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then waits for the process to exit by itself.
    pub async fn terminate(&mut self) -> ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("server exits within a minute of SIGTERM")
            .expect("wait for server")
    }
}

#[tokio::test]
async fn a_server_process_serves_a_test_apps_database_and_exits_cleanly_on_sigterm() {
    // Processes run on the real clock: tokens signed on the app's manual clock must
    // not have expired there.
    let app = TestApp::builder().at(chrono::Utc::now()).spawn().await;
    let log = std::env::temp_dir().join(format!("xiaxiang-process-{}.log", uuid::Uuid::new_v4()));
    let mut process = ServerProcess::start(&env_of(&app), &log).await;
    // The admin's token, signed by the in-process server, works on the process: one key.
    let token = app.admin.token().expect("admin token").to_owned();
    let jurisdictions = process
        .client(&token)
        .list_jurisdictions()
        .await
        .expect("the process accepts the admin's token");
    assert!(jurisdictions.items.is_empty(), "a fresh database");
    let status = process.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let _ = std::fs::remove_file(&log);
}
