//! Crash safety: a `server` process killed with SIGKILL in the middle of a burst of
//! check-ins loses none it answered 201, and retries of the rest succeed once.

use std::sync::{Arc, Mutex};

use chrono::{Days, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::helpers::*;
use crate::process::{ServerProcess, env_of};

/// Physicians scanning at once at the clinic; each sends one check-in, then one check-out.
const PHYSICIANS: usize = 60;
/// Requests in flight at once.
const IN_FLIGHT: usize = 12;
/// 201s to wait for before the kill.
const CREATED_BEFORE_KILL: usize = 30;

/// One request the burst meant to send, and what came of it.
#[derive(Debug, Clone)]
struct Sent {
    physician: usize,
    action: &'static str,
    body: AttendanceRequest,
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Never sent: its check-in had no answer yet when the process died.
    NotSent,
    Created(Uuid),
    Refused(StatusCode, String),
    /// No answer: the process died with the request in flight (or before it arrived).
    Lost,
}

/// Posts `body` to `/api/v1/attendance/{action}` and tells what came back.
async fn post(client: &Client, action: &str, body: &AttendanceRequest) -> Outcome {
    let sent = client
        .request(Method::POST, &format!("/api/v1/attendance/{action}"))
        .json(body)
        .send()
        .await;
    let Ok(response) = sent else {
        return Outcome::Lost;
    };
    let status = response.status();
    let Ok(answer) = response.json::<Value>().await else {
        return Outcome::Lost;
    };
    if status == StatusCode::CREATED {
        let event_id = answer["event_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a 201 carries its event_id");
        Outcome::Created(event_id)
    } else {
        let code = answer["code"].as_str().unwrap_or_default().to_owned();
        Outcome::Refused(status, code)
    }
}

/// A direct look at the database a process serves.
enum Events {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Events {
    async fn open(db: &TestDb) -> Events {
        if db.is_postgres() {
            Events::Postgres(sqlx::PgPool::connect(&db.url()).await.expect("connect"))
        } else {
            Events::Sqlite(sqlx::SqlitePool::connect(&db.url()).await.expect("connect"))
        }
    }

    /// The ids of the stored attempts carrying `client_event_id`.
    async fn ids(&self, client_event_id: Uuid) -> Vec<String> {
        const SQL: &str = "SELECT id FROM attendance_events WHERE client_event_id = $1";
        let key = client_event_id.to_string();
        let rows: Vec<(String,)> = match self {
            Events::Sqlite(pool) => sqlx::query_as(SQL).bind(&key).fetch_all(pool).await,
            Events::Postgres(pool) => sqlx::query_as(SQL).bind(&key).fetch_all(pool).await,
        }
        .expect("query events");
        rows.into_iter().map(|(id,)| id).collect()
    }
}

/// A clinic, its physicians (logged in, assigned all day from yesterday) and today's
/// printed code, which serves one check-in and one check-out per physician.
async fn clinic(app: &TestApp) -> (Vec<String>, String) {
    let (province, city, county) = ("350000", "350800", "350881");
    app.jurisdiction(province, "福建省", JurisdictionLevel::Province, None)
        .await;
    app.jurisdiction(city, "龙岩市", JurisdictionLevel::City, Some(province))
        .await;
    app.jurisdiction(county, "漳平市", JurisdictionLevel::County, Some(city))
        .await;
    let hospital = app
        .organization("漳平市医院", OrganizationKind::Hospital, county, None)
        .await;
    let site = app
        .organization(
            "溪南镇卫生院",
            OrganizationKind::TownshipHealthCenter,
            county,
            Some(circle(SITE_LAT, SITE_LON, 150.0)),
        )
        .await;
    let program = app
        .admin
        .create_program(&CreateProgram {
            name: "漳平市医师下基层".to_owned(),
            jurisdiction_code: county.to_owned(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let mut tokens = Vec::new();
    for _ in 0..PHYSICIANS {
        let physician = app.person(Role::Physician, Some(hospital.id), None).await;
        app.admin
            .create_assignment(&CreateAssignment {
                physician_id: physician.user.id,
                site_id: site.id,
                program_id: program.id,
                mode: AssignmentMode::Circuit,
                start_date: today - Days::new(1),
                end_date: today + Days::new(30),
                window_start: "00:00".to_owned(),
                window_end: "23:59".to_owned(),
                eligibility_override: None,
            })
            .await
            .expect("assignment");
        tokens.push(physician.client.token().expect("token").to_owned());
    }
    app.admin
        .enroll_kiosk(site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    let sheet = app
        .admin
        .daily_codes(site.id, &today.to_string(), 1)
        .await
        .expect("daily codes");
    (tokens, sheet.codes[0].payload.clone())
}

fn attempt(physician: usize, payload: &str) -> AttendanceRequest {
    AttendanceRequest {
        client_event_id: Uuid::new_v4(),
        qr_payload: payload.to_owned(),
        device_id: format!("phone-{physician}"),
        location: Location {
            lat: jitter(SITE_LAT + 0.0002),
            lon: jitter_lon(SITE_LON),
            accuracy_m: 12.0,
            crs: Crs::Wgs84,
            is_mock: false,
            fix_time: None,
        },
        scanned_at: None,
        offline: false,
    }
}

/// The environment of a process serving `app`'s database, with the per-address
/// check-in limit raised: every request of this test comes from one address.
fn process_env(app: &TestApp) -> Vec<(String, String)> {
    let mut env = env_of(app);
    env.push((
        "CHECKIN_RATE_CHECKIN_PER_IP".to_owned(),
        "100000".to_owned(),
    ));
    env
}

#[tokio::test]
async fn a_sigkill_during_check_ins_loses_no_201_and_retries_succeed_once() {
    // Every login and scan of this test comes from one address.
    let app = TestApp::builder()
        .at(Utc::now())
        .config(|c| {
            c.rate_login_per_ip = 100_000;
            c.rate_checkin_per_ip = 100_000;
        })
        .spawn()
        .await;
    let (tokens, payload) = clinic(&app).await;
    let log = std::env::temp_dir().join(format!("xiaxiang-crash-{}.log", Uuid::new_v4()));
    let mut process = ServerProcess::start(&process_env(&app), &log).await;

    // Every request the burst means to send, with its client_event_id fixed up front.
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(
        (0..PHYSICIANS)
            .flat_map(|p| {
                [("check-in", p), ("check-out", p)].map(|(action, physician)| Sent {
                    physician,
                    action,
                    body: attempt(physician, &payload),
                    outcome: Outcome::NotSent,
                })
            })
            .collect(),
    ));
    let created = Arc::new(Mutex::new(0usize));
    let enough = Arc::new(Notify::new());
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut burst = JoinSet::new();
    for (physician, token) in tokens.iter().enumerate() {
        let client = process.client(token);
        let (sent, created, enough, permits) = (
            sent.clone(),
            created.clone(),
            enough.clone(),
            permits.clone(),
        );
        burst.spawn(async move {
            for slot in [2 * physician, 2 * physician + 1] {
                let _permit = permits.acquire().await.expect("semaphore open");
                let (action, body) = {
                    let sent = sent.lock().expect("lock");
                    (sent[slot].action, sent[slot].body.clone())
                };
                let outcome = post(&client, action, &body).await;
                let answered = matches!(outcome, Outcome::Created(_));
                sent.lock().expect("lock")[slot].outcome = outcome;
                if !answered {
                    return;
                }
                let mut count = created.lock().expect("lock");
                *count += 1;
                if *count >= CREATED_BEFORE_KILL {
                    enough.notify_one();
                }
            }
        });
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), enough.notified())
        .await
        .expect("enough check-ins answered 201 before the kill; see the process log");
    process.kill().await;
    while burst.join_next().await.is_some() {}

    let before: Vec<Sent> = sent.lock().expect("lock").clone();
    let count = |wanted: fn(&Outcome) -> bool| before.iter().filter(|s| wanted(&s.outcome)).count();
    let (answered_201, lost, not_sent) = (
        count(|o| matches!(o, Outcome::Created(_))),
        count(|o| matches!(o, Outcome::Lost)),
        count(|o| matches!(o, Outcome::NotSent)),
    );
    println!(
        "before the kill: {answered_201} answered 201, {lost} without an answer, {not_sent} not sent"
    );
    assert!(answered_201 >= CREATED_BEFORE_KILL, "{before:#?}");
    assert!(
        lost + not_sent > 0,
        "the kill came after every request: nothing was in flight"
    );
    let refused: Vec<&Sent> = before
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Refused(..)))
        .collect();
    assert!(refused.is_empty(), "refusals before the kill: {refused:#?}");

    let events = Events::open(&app.db).await;
    // Every 201 is stored exactly once, under its client_event_id and the event id sent.
    for s in &before {
        if let Outcome::Created(event_id) = s.outcome {
            let stored = events.ids(s.body.client_event_id).await;
            assert_eq!(stored, vec![event_id.to_string()], "{s:?}");
        }
    }

    // A new process on the same database: every request, retried as the phone would
    // (same client_event_id, same code), succeeds, once.
    let mut process = ServerProcess::start(&process_env(&app), &log).await;
    for s in &before {
        let client = process.client(&tokens[s.physician]);
        let first = post(&client, s.action, &s.body).await;
        let Outcome::Created(event_id) = first else {
            panic!("retry of {s:?} answered {first:?}");
        };
        if let Outcome::Created(original) = s.outcome {
            assert_eq!(
                event_id, original,
                "a 201 answered again with its own event"
            );
        }
        let again = post(&client, s.action, &s.body).await;
        assert_eq!(again, Outcome::Created(event_id), "a second retry of {s:?}");
        let stored = events.ids(s.body.client_event_id).await;
        assert_eq!(stored, vec![event_id.to_string()], "{s:?}");
    }

    let status = process.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let _ = std::fs::remove_file(&log);
}
