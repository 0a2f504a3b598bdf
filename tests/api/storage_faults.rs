//! Storage faults: a full disk makes writes fail fast with 503 `storage_unavailable`
//! (never a 201 that was not stored), `/readyz` says why, and every write path works
//! again within seconds of space returning, without a restart. And a database that
//! cannot be opened is named, with the reason, when the server starts.
//!
//! The full disk is a size-limited tmpfs, which needs root (as in CI). The server
//! always runs on SQLite there, also in the PostgreSQL pass of CI: the fault is the
//! SQLite file's disk, which a PostgreSQL server elsewhere does not share.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkin::Desk;
use crate::helpers::*;

/// The tmpfs holding the database: room for the schema, the test's world and a WAL.
const DISK_SIZE: &str = "24m";
/// A write refused for want of storage must answer at least this fast.
const FAIL_FAST: Duration = Duration::from_secs(3);
/// Every write path must work again this soon after space returns.
const RECOVERY: Duration = Duration::from_secs(10);

/// A size-limited tmpfs mounted on a new folder; unmounted and removed when dropped,
/// whatever the test did.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or answers `None` when this process may not mount (not root).
    /// Under CI (`CI=true`) a missing tmpfs is a failure, not a skip.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("xiaxiang-full-disk-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Tmpfs { dir }),
            other => {
                let _ = std::fs::remove_dir(&dir);
                let why = match other {
                    Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
                    Err(error) => error.to_string(),
                };
                assert!(
                    !std::env::var("CI").is_ok_and(|ci| ci == "true"),
                    "the full-disk test needs root to mount a tmpfs (CI runs as root): {why}"
                );
                eprintln!("SKIPPED: cannot mount a tmpfs (not root?): {why}");
                None
            }
        }
    }

    /// Fills the rest of the disk with one file and answers its path.
    fn fill(&self) -> PathBuf {
        let filler = self.dir.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler file");
        let chunk = vec![0xA5_u8; 64 * 1024];
        loop {
            if let Err(error) = file.write_all(&chunk) {
                assert_eq!(
                    error.raw_os_error(),
                    Some(28),
                    "filling stops at ENOSPC: {error}"
                );
                break;
            }
        }
        // Whatever fits of a smaller piece: not a page left.
        for size in [4096, 512, 1] {
            while file.write_all(&chunk[..size]).is_ok() {}
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the server's files may still be open while the test unwinds.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// What one write answered, and how long it took.
struct Answer {
    status: StatusCode,
    body: Value,
    took: Duration,
}

impl Answer {
    async fn of(send: impl Future<Output = (StatusCode, Value)>) -> Answer {
        let started = Instant::now();
        let (status, body) = send.await;
        Answer {
            status,
            body,
            took: started.elapsed(),
        }
    }

    fn is_storage_unavailable(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE && self.body["code"] == "storage_unavailable"
    }

    /// A write refused for want of storage: fast, with `Retry-After`-worthy code.
    fn assert_refused_fast(&self, what: &str) {
        assert!(
            self.is_storage_unavailable(),
            "{what} on a full disk: {} {}",
            self.status,
            self.body
        );
        assert!(
            self.took < FAIL_FAST,
            "{what} on a full disk took {:?}",
            self.took
        );
    }
}

/// The three write paths the test watches, on one clinic's desk.
struct Writes<'a> {
    desk: &'a Desk,
    physician_phone: String,
}

impl Writes<'_> {
    async fn check_in(&self, body: &Value) -> Answer {
        Answer::of(self.desk.check_in(body)).await
    }

    async fn login(&self) -> Answer {
        let body = json!({"phone": self.physician_phone, "password": PASSWORD});
        let app = &self.desk.app;
        Answer::of(app.send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(body),
        ))
        .await
    }

    async fn create_organization(&self) -> Answer {
        let body = json!({
            "name": format!("卫生院 {}", Uuid::new_v4().simple()),
            "kind": "village_clinic",
            "jurisdiction_code": self.desk.world.county,
        });
        let app = &self.desk.app;
        Answer::of(app.send(
            &app.admin,
            Method::POST,
            "/api/v1/organizations",
            Some(body),
        ))
        .await
    }

    async fn readiness(&self) -> Answer {
        let app = &self.desk.app;
        Answer::of(app.send(&app.anonymous, Method::GET, "/readyz", None)).await
    }
}

/// Repeats `write` until it is stored, within [`RECOVERY`]; meanwhile it may only
/// be refused for want of storage. Answers the success and when it came.
async fn until_it_works<F, Fut>(what: &str, since: Instant, mut write: F) -> Answer
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Answer>,
{
    loop {
        let answer = write().await;
        // A check-in refused on its merits (422) is judged and stored as well.
        if answer.status.is_success() || answer.status == StatusCode::UNPROCESSABLE_ENTITY {
            return answer;
        }
        assert!(
            answer.is_storage_unavailable(),
            "{what} after space returned: {} {}",
            answer.status,
            answer.body
        );
        assert!(
            since.elapsed() < RECOVERY,
            "{what} still fails {:?} after space returned: {}",
            since.elapsed(),
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ids of the attendance attempts stored in the SQLite file at `url`.
async fn stored_event_ids(url: &str) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(url).await.expect("open the file");
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM attendance_events")
        .fetch_all(&pool)
        .await
        .expect("read events");
    pool.close().await;
    rows.into_iter().map(|(id,)| id).collect()
}

#[tokio::test]
async fn a_full_disk_fails_writes_fast_and_they_work_again_once_space_returns() {
    let Some(disk) = Tmpfs::mount(DISK_SIZE) else {
        return;
    };
    let url = format!("sqlite://{}", disk.dir.join("xiaxiang.db").display());
    let desk = Desk::open_with({
        let url = url.clone();
        move |config| {
            config.database_url = url;
            // Enough attempts of one physician to outlast the WAL's reusable space.
            config.rate_checkin_per_account = 1_000;
            config.rate_checkin_per_ip = 1_000;
        }
    })
    .await;
    let writes = Writes {
        desk: &desk,
        physician_phone: desk.world.physician.user.phone.clone(),
    };
    let code = desk.code().await;
    let mut created: Vec<String> = Vec::new();

    let filler = disk.fill();

    // Check-ins: some may still fit where the WAL reuses its space (how many depends on
    // when the last checkpoint ran: under load, hundreds of small attempts can fit);
    // each stored one may answer, but the disk's end must show, fast, and nothing
    // refused is kept.
    let mut refused: Vec<Value> = Vec::new();
    for _ in 0..500 {
        let body = desk.request(&code);
        let answer = writes.check_in(&body).await;
        if answer.status == StatusCode::CREATED {
            created.push(answer.body["event_id"].as_str().expect("id").to_owned());
            continue;
        }
        if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
            continue;
        }
        answer.assert_refused_fast("a check-in");
        refused.push(body);
        if refused.len() == 3 {
            break;
        }
    }
    assert_eq!(refused.len(), 3, "check-ins never met the full disk");
    writes.login().await.assert_refused_fast("a login");
    writes
        .create_organization()
        .await
        .assert_refused_fast("creating an organization");

    let ready = writes.readiness().await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    assert_eq!(ready.body["storage_ok"], false, "{}", ready.body);
    assert!(
        ready.body["storage_error"]
            .as_str()
            .is_some_and(|reason| reason.contains("full")),
        "{}",
        ready.body
    );

    std::fs::remove_file(&filler).expect("space returns");
    let freed = Instant::now();

    // The refused check-ins, retried as a phone would, are stored now: the first to
    // use the code opens the visit (201), the others are refused on their merits (422).
    for body in &refused {
        let answer = until_it_works("a retried check-in", freed, || writes.check_in(body)).await;
        if answer.status == StatusCode::CREATED {
            created.push(answer.body["event_id"].as_str().expect("id").to_owned());
        }
    }
    until_it_works("a login", freed, || writes.login()).await;
    let organization = until_it_works("creating an organization", freed, || {
        writes.create_organization()
    })
    .await;
    assert_eq!(organization.status, StatusCode::CREATED);
    let ready = until_it_works("/readyz", freed, || writes.readiness()).await;
    assert_eq!(ready.body["storage_ok"], true, "{}", ready.body);

    // A 503 stored nothing and a 201 stored its attempt: the retries succeeded once
    // each, and every answered event id is in the file.
    let stored = stored_event_ids(&url).await;
    for id in &created {
        assert!(
            stored.contains(id),
            "201 for event {id}, which is not stored"
        );
    }
    assert!(!created.is_empty(), "no check-in was stored");
    drop(desk);
    drop(disk);
}

/// Runs `server` with `DATABASE_URL` and answers its exit status and standard error.
async fn start_with_database(url: &str) -> (std::process::ExitStatus, String) {
    let run = tokio::process::Command::new(crate::process::server_binary())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CHECKIN_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the server gives up within a minute")
        .expect("the server runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_named_with_the_reason_at_start() {
    let dir = std::env::temp_dir().join(format!("xiaxiang-unopenable-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plain_file = dir.join("not-a-folder");
    std::fs::write(&plain_file, b"x").expect("file");

    // The data folder is a file: the folder cannot be created.
    let under_a_file = plain_file.join("xiaxiang.db");
    let (status, stderr) =
        start_with_database(&format!("sqlite://{}", under_a_file.display())).await;
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(&under_a_file.display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{} is not a directory", plain_file.display())),
        "{stderr}"
    );

    // The database file is a folder: SQLite's "unable to open database file" alone
    // named neither.
    let folder = dir.join("a-folder.db");
    std::fs::create_dir_all(&folder).expect("folder");
    let (status, stderr) = start_with_database(&format!("sqlite://{}", folder.display())).await;
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains(&folder.display().to_string()), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");

    let _ = std::fs::remove_dir_all(&dir);
}
