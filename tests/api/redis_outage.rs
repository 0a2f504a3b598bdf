//! Redis is never the source of truth: with the server's Redis killed mid-run, valid
//! check-ins are still accepted, retries still answer once, replayed codes are still
//! refused and `/readyz` says degraded; when Redis returns the server is ready again
//! by itself. Runs in the PostgreSQL + Redis pass (`XIAXIANG_TEST_REDIS_URL` set), with
//! its own `redis-server` child that it stops and starts.

use std::process::Stdio;
use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::process::{Child, Command};

use mobile_api::{CreatePresenceCheck, PresenceCheckStatus};
use uuid::Uuid;
use xiaxiang_server::domain::clock::Clock;
use xiaxiang_server::store::Store;
use xiaxiang_server::store::audit::Provenance;
use xiaxiang_server::store::supervision::PresenceCheckRecord;

use crate::checkin::{Desk, accepted, local, refused};
use crate::helpers::*;

/// A `redis-server` child on a fixed port, without persistence; killed on drop.
pub(crate) struct RedisChild {
    child: Child,
    pub(crate) port: u16,
}

impl RedisChild {
    /// Whether `redis-server` can run here; with `XIAXIANG_REQUIRE_SERVICES=1` its
    /// absence fails the test.
    pub(crate) async fn available() -> bool {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|status| status.success());
        if !found && std::env::var("XIAXIANG_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
            panic!("XIAXIANG_REQUIRE_SERVICES=1 but no redis-server binary on PATH");
        }
        found
    }

    /// Starts Redis on `port` (a free one when None) and waits until it answers.
    pub(crate) async fn start(port: Option<u16>) -> RedisChild {
        let port = match port {
            Some(port) => port,
            None => std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port(),
        };
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let redis = RedisChild { child, port };
        for _ in 0..200 {
            if redis.answers().await {
                return redis;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} never answered PING");
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn answers(&self) -> bool {
        command(self.port, &["PING"]).await.as_deref() == Some("+PONG")
    }

    /// SIGKILL, and waits until it is gone.
    pub(crate) async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Sends one command to the Redis on `port` and answers the first line of the reply.
async fn command(port: u16, args: &[&str]) -> Option<String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.ok()?;
    Some(line.trim_end().to_owned())
}

/// Whether the Redis on `port` holds `key`.
async fn holds(port: u16, key: &str) -> bool {
    command(port, &["EXISTS", key]).await.as_deref() == Some(":1")
}

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    app.send(&app.anonymous, Method::GET, "/readyz", None).await
}

/// Attendance rows stored for one `client_event_id`, read straight from the database.
pub(crate) async fn events_with(app: &TestApp, client_event_id: &str) -> i64 {
    let url = app.db.url();
    let sql = "SELECT COUNT(*) FROM attendance_events WHERE client_event_id = $1";
    if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(client_event_id)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(client_event_id)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}

#[tokio::test]
async fn check_ins_go_on_while_redis_is_down_and_readiness_recovers_with_it() {
    if redis_url().is_none() || !RedisChild::available().await {
        return; // the plain pass: no Redis to stop
    }
    let mut redis = RedisChild::start(None).await;
    let url = redis.url();
    let app = TestApp::builder()
        .at(local(2, 9, 0))
        .config(move |c| {
            c.redis_url = Some(url);
            c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600);
        })
        .spawn()
        .await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);
    let desk = Desk { app, world, kiosk };

    let (status, body) = readyz(&desk.app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cache"], "redis");
    assert_eq!(body["cache_ok"], true);

    // Before the outage: a check-in, and its retry answered from the cache.
    let first_code = desk.code().await;
    let check_in = desk.request(&first_code);
    let first = accepted(desk.check_in(&check_in).await);
    assert_eq!(accepted(desk.check_in(&check_in).await), first);
    // The fast path is real: the answer, the code use and the kiosk's code are in Redis.
    let prefix = &desk.app.config.redis_prefix;
    let physician = desk.world.physician.user.id;
    let site = desk.world.site.id;
    let client_event_id = check_in["client_event_id"].as_str().expect("id");
    assert!(
        holds(
            redis.port,
            &format!("{prefix}answer:{physician}:{client_event_id}")
        )
        .await
    );
    let step: i64 = first_code_step(&desk).await;
    assert!(
        holds(
            redis.port,
            &format!("{prefix}code-use:{physician}:{site}:rotating:{step}:any")
        )
        .await
    );
    let period = desk.app.config.qr_period_seconds;
    assert!(
        holds(
            redis.port,
            &format!("{prefix}kiosk-code:{site}:{period}:{step}")
        )
        .await
    );

    redis.kill().await;
    let (status, body) = readyz(&desk.app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["cache_ok"], false);
    assert_eq!(body["database_ok"], true);

    // The retry still answers the first event, from the database; one row.
    assert_eq!(accepted(desk.check_in(&check_in).await), first);
    assert_eq!(events_with(&desk.app, client_event_id).await, 1);
    // The code used for the check-in is still refused.
    refused(
        desk.check_out(&desk.request(&first_code)).await,
        "code_reused",
    );
    // Valid scans are still accepted: the kiosk's code comes from the database.
    desk.app.clock.advance(Duration::hours(4));
    let out_code = desk.code().await;
    let check_out = desk.request(&out_code);
    let out = accepted(desk.check_out(&check_out).await);
    assert_eq!(accepted(desk.check_out(&check_out).await), out);
    desk.app.clock.advance(Duration::minutes(5));
    let second_code = desk.code().await;
    let again = accepted(desk.check_in(&desk.request(&second_code)).await);
    assert_ne!(again["visit_id"], first["visit_id"]);

    // Redis returns on the same port: ready again without a restart.
    let _redis = RedisChild::start(Some(redis.port)).await;
    let mut ready = readyz(&desk.app).await;
    for _ in 0..100 {
        if ready.0 == StatusCode::OK {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        ready = readyz(&desk.app).await;
    }
    assert_eq!(ready.0, StatusCode::OK, "{}", ready.1);
    assert_eq!(ready.1["status"], "ok");
    assert_eq!(ready.1["cache_ok"], true);

    // And everything still holds, now through the fresh, empty Redis.
    refused(
        desk.check_out(&desk.request(&second_code)).await,
        "code_reused",
    );
    assert_eq!(accepted(desk.check_out(&check_out).await), out);
    desk.app.clock.advance(Duration::hours(3));
    let last_code = desk.code().await;
    accepted(desk.check_out(&desk.request(&last_code)).await);
    refused(
        desk.check_in(&desk.request(&last_code)).await,
        "code_reused",
    );
    let fresh = desk.request(&desk.next_code().await);
    let fresh_event = accepted(desk.check_in(&fresh).await);
    assert_eq!(accepted(desk.check_in(&fresh).await), fresh_event);
    let id = fresh["client_event_id"].as_str().expect("id");
    assert_eq!(events_with(&desk.app, id).await, 1);
}

/// The step of the code the kiosk shows now (the clock has not moved since the scan).
async fn first_code_step(desk: &Desk) -> i64 {
    desk.kiosk.kiosk_code().await.expect("kiosk code").step
}

#[tokio::test]
async fn presence_deadlines_come_from_the_shared_schedule_with_a_database_sweep_behind() {
    if redis_url().is_none() {
        return; // the schedule is only consulted when the cache is shared
    }
    let app = TestApp::builder()
        .at(local(2, 9, 0))
        .config(|c| {
            c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600);
            c.scheduler_interval = std::time::Duration::from_secs(1);
        })
        .spawn()
        .await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);
    let desk = Desk { app, world, kiosk };
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let physician = desk.world.physician.user.id;
    // One check requested over HTTP (its deadline goes to the schedule), one written
    // straight to the database (the schedule never hears of it).
    let scheduled = desk
        .world
        .supervisor
        .client
        .create_presence_check(&CreatePresenceCheck {
            physician_id: physician,
            respond_within_minutes: 5,
            site_id: None,
        })
        .await
        .expect("presence check");
    let store = Store::connect(&desk.app.db.url(), 1)
        .await
        .expect("store connects");
    let now = desk.app.clock.now();
    let unscheduled = PresenceCheckRecord {
        id: Uuid::new_v4(),
        physician_id: physician,
        site_id: Some(desk.world.site.id),
        visit_id: None,
        requested_by: desk.world.supervisor.user.id,
        requested_at: now,
        deadline_at: now + Duration::minutes(5),
        status: PresenceCheckStatus::Pending,
        answered_event_id: None,
        resolved_at: None,
    };
    store
        .insert_presence_check(&unscheduled, Provenance::Seed)
        .await
        .expect("insert");
    let status = |id: Uuid| {
        let store = &store;
        async move {
            store
                .presence_check(id)
                .await
                .expect("read")
                .expect("check")
                .status
        }
    };
    let wait_missed = |id: Uuid| {
        let status = &status;
        async move {
            for _ in 0..100 {
                if status(id).await == PresenceCheckStatus::Missed {
                    return true;
                }
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            false
        }
    };

    // Past both deadlines, within the full-sweep interval: the scheduled one is missed
    // from the schedule; the other waits for the database sweep.
    desk.app.clock.advance(Duration::minutes(6));
    assert!(
        wait_missed(scheduled.id).await,
        "the scheduled check expires"
    );
    assert_eq!(status(unscheduled.id).await, PresenceCheckStatus::Pending);
    desk.app
        .clock
        .advance(xiaxiang_server::scheduler::PRESENCE_FULL_SWEEP_EVERY);
    assert!(
        wait_missed(unscheduled.id).await,
        "the full sweep finds the check the schedule lacked"
    );
    store.close().await;
}
