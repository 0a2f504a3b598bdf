//! Two `server` processes on one database (and one Redis when the environment gives
//! one) behave as one: a code used at one is refused at the other, a retry sent to
//! either answers the one event, and their schedulers, both ticking every second, do
//! each piece of work once. The processes run on the real clock, so the test makes its
//! own site and an assignment open all day from yesterday (Asia/Shanghai).

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xiaxiang_server::store::Store;

use crate::checkin::{accepted, refused};
use crate::helpers::*;
use crate::process::{ServerProcess, env_of};
use crate::redis_outage::events_with;

/// Latitude and longitude of this test's own site.
const LAT: f64 = 25.3010;
const LON: f64 = 117.4220;

struct Pair {
    app: TestApp,
    world: World,
    site: Organization,
    kiosk_token: String,
    a: ServerProcess,
    b: ServerProcess,
}

impl Pair {
    async fn start() -> Pair {
        let app = TestApp::builder()
            .at(Utc::now())
            .config(|c| {
                c.qr_period_seconds = 5;
                // Only the processes run the scheduler.
                c.scheduler_interval = std::time::Duration::ZERO;
                c.access_token_ttl = std::time::Duration::from_secs(24 * 3600);
            })
            .spawn()
            .await;
        let world = app.world().await;
        let site = app
            .organization(
                "双进程镇卫生院",
                OrganizationKind::TownshipHealthCenter,
                &world.county,
                Some(circle(LAT, LON, 150.0)),
            )
            .await;
        let kiosk = app
            .admin
            .enroll_kiosk(site.id, &EnrollKiosk::default())
            .await
            .expect("kiosk");
        let mut env = env_of(&app);
        env.push((
            "CHECKIN_SCHEDULER_INTERVAL_SECONDS".to_owned(),
            "1".to_owned(),
        ));
        let tag = Uuid::new_v4().simple().to_string();
        let logs: Vec<_> = ["a", "b"]
            .iter()
            .map(|name| std::env::temp_dir().join(format!("xiaxiang-multi-{tag}-{name}.log")))
            .collect();
        let a = ServerProcess::start(&env, &logs[0]).await;
        let b = ServerProcess::start(&env, &logs[1]).await;
        Pair {
            app,
            world,
            site,
            kiosk_token: kiosk.token,
            a,
            b,
        }
    }

    /// A physician of the world's program assigned to this site from yesterday, all day.
    async fn physician(&self) -> Person {
        let person = self
            .app
            .person(Role::Physician, Some(self.world.hospital.id), None)
            .await;
        let today = today_in_shanghai();
        self.app
            .admin
            .create_assignment(&CreateAssignment {
                physician_id: person.user.id,
                site_id: self.site.id,
                program_id: self.world.program.id,
                mode: AssignmentMode::Dispatch,
                start_date: today - Duration::days(1),
                end_date: today + Duration::days(30),
                window_start: "00:00".to_owned(),
                window_end: "23:59".to_owned(),
                eligibility_override: None,
            })
            .await
            .expect("assignment");
        person
    }

    /// The site's current rotating code, from process A.
    async fn code(&self) -> KioskCode {
        self.a
            .client(&self.kiosk_token)
            .kiosk_code()
            .await
            .expect("kiosk code")
    }

    /// Waits for the screen's next code (periods are 5 s here).
    async fn next_code(&self, after: &KioskCode) -> KioskCode {
        for _ in 0..100 {
            let code = self.code().await;
            if code.step > after.step {
                return code;
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
        panic!("the kiosk code never changed");
    }

    async fn post(
        &self,
        process: &ServerProcess,
        person: &Person,
        action: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let token = person.client.token().expect("token").to_owned();
        self.app
            .send(
                &process.client(&token),
                Method::POST,
                &format!("/api/v1/attendance/{action}"),
                Some(body.clone()),
            )
            .await
    }

    async fn stop(mut self) {
        self.a.terminate().await;
        self.b.terminate().await;
        for log in [&self.a.log, &self.b.log] {
            let _ = std::fs::remove_file(log);
        }
    }
}

fn today_in_shanghai() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

fn request(payload: &str) -> Value {
    json!({
        "client_event_id": Uuid::new_v4(),
        "qr_payload": payload,
        "device_id": "phone-multi",
        "location": {"lat": LAT + 0.0002, "lon": LON, "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
    })
}

#[tokio::test]
async fn two_processes_refuse_a_replayed_code_and_answer_a_retry_with_one_event() {
    let pair = Pair::start().await;
    let physician = pair.physician().await;

    // A code used at A is refused at B.
    let first = pair.code().await;
    let check_in = request(&first.payload);
    let opened = accepted(pair.post(&pair.a, &physician, "check-in", &check_in).await);
    refused(
        pair.post(&pair.b, &physician, "check-out", &request(&first.payload))
            .await,
        "code_reused",
    );
    // The check-in's retry at B answers A's event.
    assert_eq!(
        accepted(pair.post(&pair.b, &physician, "check-in", &check_in).await),
        opened
    );

    // A retry sent to A, then to B: one event.
    let second = pair.next_code(&first).await;
    let check_out = request(&second.payload);
    let closed = accepted(
        pair.post(&pair.a, &physician, "check-out", &check_out)
            .await,
    );
    assert_eq!(
        accepted(
            pair.post(&pair.b, &physician, "check-out", &check_out)
                .await
        ),
        closed
    );
    assert_eq!(closed["visit_id"], opened["visit_id"]);

    // The same attempt sent to both at once: one event, whoever wins.
    let third = pair.next_code(&second).await;
    let again = request(&third.payload);
    let (at_a, at_b) = tokio::join!(
        pair.post(&pair.a, &physician, "check-in", &again),
        pair.post(&pair.b, &physician, "check-in", &again),
    );
    let at_a = accepted(at_a);
    assert_eq!(accepted(at_b), at_a);
    for body in [&check_in, &check_out, &again] {
        let id = body["client_event_id"].as_str().expect("id");
        assert_eq!(events_with(&pair.app, id).await, 1, "{id}");
    }
    // Two visits in all: the closed one and the one just opened.
    let visits = physician
        .client
        .my_visits(None, None)
        .await
        .expect("visits")
        .items;
    assert_eq!(visits.len(), 2, "{visits:?}");
    pair.stop().await;
}

#[tokio::test]
async fn both_schedulers_close_a_visit_left_open_yesterday_once() {
    let pair = Pair::start().await;
    let physician = pair.physician().await;
    // An offline scan of yesterday's printed code, at noon yesterday, opens a visit
    // that nobody checks out of.
    let yesterday = today_in_shanghai() - Duration::days(1);
    let sheet = pair
        .app
        .admin
        .daily_codes(pair.site.id, &yesterday.to_string(), 1)
        .await
        .expect("daily codes");
    let code = &sheet.codes[0];
    assert_eq!(code.date, yesterday);
    let noon = chrono_tz::Asia::Shanghai
        .from_local_datetime(&yesterday.and_hms_opt(12, 0, 0).expect("noon"))
        .single()
        .expect("one noon")
        .with_timezone(&Utc);
    let mut offline = request(&code.payload);
    offline["scanned_at"] = json!(noon);
    offline["offline"] = json!(true);
    // Sent to both at once, as a phone retrying over a flaky network might.
    let (at_a, at_b) = tokio::join!(
        pair.post(&pair.a, &physician, "check-in", &offline),
        pair.post(&pair.b, &physician, "check-in", &offline),
    );
    let opened = accepted(at_a);
    assert_eq!(accepted(at_b), opened);

    // Both schedulers tick every second; one of them closes the visit.
    let store = Store::connect(&pair.app.db.url(), 1)
        .await
        .expect("store connects");
    let missing = || async {
        store
            .anomalies_raised_for(physician.user.id)
            .await
            .expect("anomalies")
            .into_iter()
            .filter(|a| a.kind == "missing_checkout")
            .count()
    };
    for _ in 0..150 {
        if missing().await > 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    // Let both tick a few more times: still one.
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    assert_eq!(missing().await, 1);
    let visits = physician
        .client
        .my_visits(None, None)
        .await
        .expect("visits")
        .items;
    assert_eq!(visits.len(), 1, "{visits:?}");
    assert_eq!(visits[0].status, VisitStatus::AutoClosed);
    let on_visit = &visits[0].anomalies;
    assert_eq!(
        on_visit.iter().filter(|a| *a == "missing_checkout").count(),
        1,
        "{on_visit:?}"
    );
    store.close().await;
    pair.stop().await;
}
