//! Inspections cross-checked against attendance, presence spot-checks with their
//! deadline, and the scheduler: exactly once across ticks, processes and restarts.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xiaxiang_server::App;
use xiaxiang_server::domain::clock::Clock;
use xiaxiang_server::scheduler::run_once;
use xiaxiang_server::store::Store;
use xiaxiang_server::store::supervision::StoredAnomaly;

use crate::helpers::*;

/// Local time in Asia/Shanghai.
fn local(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, month, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A site with its kiosk, a physician assigned there and a colleague assigned there
/// too, with the scheduler off unless a test wants it on.
struct Scene {
    app: TestApp,
    world: World,
    kiosk: Client,
    colleague: Person,
}

impl Scene {
    async fn open() -> Scene {
        Scene::open_with(false).await
    }

    async fn open_with(background_scheduler: bool) -> Scene {
        let app = TestApp::builder()
            .at(local(3, 2, 9, 0))
            .config(move |c| {
                // Tokens outlive the months these tests move the clock by.
                c.access_token_ttl = std::time::Duration::from_secs(400 * 24 * 3600);
                if !background_scheduler {
                    c.scheduler_interval = std::time::Duration::ZERO;
                }
            })
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        let colleague = app
            .person(Role::Physician, Some(world.hospital.id), None)
            .await;
        app.admin
            .create_assignment(&CreateAssignment {
                physician_id: colleague.user.id,
                site_id: world.site.id,
                program_id: world.program.id,
                mode: AssignmentMode::Dispatch,
                start_date: "2026-03-01".parse().expect("date"),
                end_date: "2026-12-31".parse().expect("date"),
                window_start: "08:00".into(),
                window_end: "17:30".into(),
                eligibility_override: None,
            })
            .await
            .expect("assignment");
        Scene {
            app,
            world,
            kiosk,
            colleague,
        }
    }

    /// Restarts the server on the same database and clock; the clients follow it.
    async fn restart(&mut self) {
        self.app.restart().await;
        let rebind = |client: &Client| self.app.client(client.token().expect("token"));
        self.kiosk = rebind(&self.kiosk);
        self.world.physician.client = rebind(&self.world.physician.client);
        self.world.supervisor.client = rebind(&self.world.supervisor.client);
        self.colleague.client = rebind(&self.colleague.client);
    }

    fn physician(&self) -> Uuid {
        self.world.physician.user.id
    }

    /// The payload the site's screen shows now.
    async fn code(&self) -> String {
        self.kiosk.kiosk_code().await.expect("kiosk code").payload
    }

    /// The screen's next code (a rotating code is used once per physician).
    async fn next_code(&self) -> String {
        self.app.clock.advance(Duration::seconds(31));
        self.code().await
    }

    fn request(&self, payload: &str) -> Value {
        json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": "phone-A",
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
        })
    }

    async fn scan(&self, client: &Client, action: &str, body: &Value) -> (StatusCode, Value) {
        self.app
            .send(
                client,
                Method::POST,
                &format!("/api/v1/attendance/{action}"),
                Some(body.clone()),
            )
            .await
    }

    async fn check_in(&self) -> Value {
        let body = self.request(&self.code().await);
        accepted(
            self.scan(&self.world.physician.client, "check-in", &body)
                .await,
        )
    }

    async fn check_out(&self) -> Value {
        let body = self.request(&self.next_code().await);
        accepted(
            self.scan(&self.world.physician.client, "check-out", &body)
                .await,
        )
    }

    async fn presence(&self, body: &Value) -> (StatusCode, Value) {
        self.scan(&self.world.physician.client, "presence", body)
            .await
    }

    async fn inspect(
        &self,
        present: &[Uuid],
        absent: &[Uuid],
        observed_at: DateTime<Utc>,
    ) -> Inspection {
        self.world
            .supervisor
            .client
            .create_inspection(&CreateInspection {
                site_id: self.world.site.id,
                kind: InspectionKind::Unannounced,
                observed_at,
                present_physician_ids: present.to_vec(),
                absent_physician_ids: absent.to_vec(),
                note: "暗访".into(),
                inspector_fix: None,
            })
            .await
            .expect("inspection")
    }

    async fn presence_check(&self, minutes: u32) -> PresenceCheck {
        self.world
            .supervisor
            .client
            .create_presence_check(&CreatePresenceCheck {
                physician_id: self.physician(),
                respond_within_minutes: minutes,
                site_id: None,
            })
            .await
            .expect("presence check")
    }

    /// Another server process on the same database and clock (not serving).
    async fn peer(&self) -> App {
        App::build(self.app.config.clone(), self.app.clock.clone())
            .await
            .expect("second process builds")
    }

    async fn store(&self) -> Store {
        Store::connect(&self.app.db.url(), 1)
            .await
            .expect("store connects")
    }

    /// The anomalies of `kind` raised for a physician.
    async fn anomalies(&self, physician: Uuid, kind: &str) -> Vec<StoredAnomaly> {
        let store = self.store().await;
        let all = store
            .anomalies_raised_for(physician)
            .await
            .expect("anomalies");
        store.close().await;
        all.into_iter().filter(|a| a.kind == kind).collect()
    }

    /// Waits (a few seconds at most) for the background scheduler to raise `count`.
    async fn await_anomalies(
        &self,
        physician: Uuid,
        kind: &str,
        count: usize,
    ) -> Vec<StoredAnomaly> {
        for _ in 0..100 {
            let found = self.anomalies(physician, kind).await;
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.anomalies(physician, kind).await
    }

    async fn visits(&self) -> Vec<Visit> {
        self.world
            .physician
            .client
            .my_visits(Some("2026-03-01"), Some("2026-03-31"))
            .await
            .expect("visits")
            .items
    }
}

fn accepted(result: (StatusCode, Value)) -> Value {
    let (status, body) = result;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn kinds(inspection: &Inspection) -> Vec<(Uuid, &str)> {
    inspection
        .raised
        .iter()
        .map(|r| (r.physician_id, r.kind.as_str()))
        .collect()
}

// ---- inspections ----

#[tokio::test]
async fn an_absent_physician_with_an_open_visit_raises_inspection_absent_and_credit_waits() {
    let s = Scene::open().await;
    let visit_id = s.check_in().await["visit_id"].clone();
    s.app.clock.advance(Duration::hours(2));
    let observed = s.app.clock.now() - Duration::minutes(30);
    let inspection = s
        .inspect(&[], &[s.physician(), s.colleague.user.id], observed)
        .await;
    // The colleague has no visit: absent and unrecorded agree, nothing to look at.
    assert_eq!(
        kinds(&inspection),
        vec![(s.physician(), "inspection_absent")]
    );
    assert_eq!(
        inspection.raised[0].visit_id.map(|v| json!(v)),
        Some(visit_id)
    );
    assert_eq!(inspection.kind, InspectionKind::Unannounced);
    assert_eq!(inspection.inspector_id, s.world.supervisor.user.id);

    s.app.clock.advance(Duration::hours(5));
    s.check_out().await;
    let visits = s.visits().await;
    assert_eq!(visits[0].anomalies, vec!["inspection_absent".to_owned()]);
    assert_eq!(visits[0].credit_state, CreditState::Pending);
    let stored = s.anomalies(s.physician(), "inspection_absent").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].detail["inspection_id"], json!(inspection.id));
}

#[tokio::test]
async fn a_present_physician_without_a_visit_raises_inspection_unrecorded() {
    let s = Scene::open().await;
    s.check_in().await;
    s.app.clock.advance(Duration::hours(1));
    let inspection = s
        .inspect(
            &[s.physician(), s.colleague.user.id],
            &[],
            s.app.clock.now(),
        )
        .await;
    // The physician was seen and has a visit: nothing; the colleague was seen without one.
    assert_eq!(
        kinds(&inspection),
        vec![(s.colleague.user.id, "inspection_unrecorded")]
    );
    assert_eq!(inspection.raised[0].visit_id, None);
    assert_eq!(
        s.anomalies(s.colleague.user.id, "inspection_unrecorded")
            .await
            .len(),
        1
    );
    assert!(
        s.anomalies(s.physician(), "inspection_unrecorded")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_inspection_is_judged_at_observed_at_not_when_it_is_recorded() {
    let s = Scene::open().await;
    let arrived = s.app.clock.now();
    s.check_in().await;
    s.app
        .clock
        .advance(Duration::hours(6) + Duration::minutes(5));
    s.check_out().await;
    s.app.clock.advance(Duration::hours(1));
    // Recorded now, after the check-out: at 10:00 the visit was open.
    let during = s
        .inspect(&[s.physician()], &[], arrived + Duration::hours(1))
        .await;
    assert!(during.raised.is_empty(), "{:?}", during.raised);
    let after = s.inspect(&[], &[s.physician()], s.app.clock.now()).await;
    assert!(after.raised.is_empty(), "{:?}", after.raised);
    let absent_during = s
        .inspect(&[], &[s.physician()], arrived + Duration::hours(1))
        .await;
    assert_eq!(
        kinds(&absent_during),
        vec![(s.physician(), "inspection_absent")]
    );
    let before = s
        .inspect(&[s.physician()], &[], arrived - Duration::minutes(30))
        .await;
    assert_eq!(
        kinds(&before),
        vec![(s.physician(), "inspection_unrecorded")]
    );
}

#[tokio::test]
async fn inspections_are_for_supervisors_in_scope_with_a_valid_body() {
    let s = Scene::open().await;
    let body = |site: Uuid, present: Vec<Uuid>, absent: Vec<Uuid>, at: DateTime<Utc>| {
        json!({"site_id": site, "kind": "onsite", "observed_at": at,
               "present_physician_ids": present, "absent_physician_ids": absent, "note": ""})
    };
    let now = s.app.clock.now();
    let post = |client: &Client, value: Value| {
        let app = &s.app;
        let client = client.clone();
        async move {
            app.send(&client, Method::POST, "/api/v1/inspections", Some(value))
                .await
        }
    };
    let ok = body(s.world.site.id, vec![], vec![s.physician()], now);
    let (status, created) = post(&s.app.admin, ok.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "onsite");
    assert_problem(
        post(&s.world.other_supervisor.client, ok.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        post(&s.world.physician.client, ok.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let sup = &s.world.supervisor.client;
    let both = body(
        s.world.site.id,
        vec![s.physician()],
        vec![s.physician()],
        now,
    );
    let problem = assert_problem(
        post(sup, both).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .starts_with("absent_physician_ids")
    );
    let not_physician = body(
        s.world.site.id,
        vec![s.world.clinic_admin.user.id],
        vec![],
        now,
    );
    let problem = assert_problem(
        post(sup, not_physician).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .starts_with("present_physician_ids")
    );
    let future = body(s.world.site.id, vec![], vec![], now + Duration::hours(1));
    assert_problem(
        post(sup, future).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let mut bad_kind = body(s.world.site.id, vec![], vec![], now);
    bad_kind["kind"] = json!("surprise");
    assert_problem(
        post(sup, bad_kind).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let unknown_site = body(Uuid::new_v4(), vec![], vec![], now);
    assert_problem(
        post(sup, unknown_site).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

// ---- presence checks ----

#[tokio::test]
async fn a_presence_check_answered_in_time_raises_nothing() {
    let s = Scene::open().await;
    let visit_id = s.check_in().await["visit_id"].clone();
    s.app.clock.advance(Duration::hours(1));
    let check = s.presence_check(10).await;
    assert_eq!(check.status, PresenceCheckStatus::Pending);
    assert_eq!(check.site_id, Some(s.world.site.id));
    assert_eq!(check.visit_id.map(|v| json!(v)), Some(visit_id.clone()));
    assert_eq!(
        check.deadline_at,
        check.requested_at + Duration::minutes(10)
    );

    s.app.clock.advance(Duration::minutes(4));
    let body = s.request(&s.next_code().await);
    let answer = accepted(s.presence(&body).await);
    assert_eq!(answer["visit_id"], visit_id);
    assert_eq!(answer["verdict"], "accepted");
    // A retry answers the same, and stores nothing new.
    assert_eq!(accepted(s.presence(&body).await), answer);

    s.app.clock.advance(Duration::hours(1));
    let peer = s.peer().await;
    run_once(peer.state()).await.expect("tick");
    assert!(
        s.anomalies(s.physician(), "presence_check_missed")
            .await
            .is_empty()
    );
    let store = s.store().await;
    let stored = store
        .presence_check(check.id)
        .await
        .expect("reads")
        .expect("exists");
    store.close().await;
    assert_eq!(stored.status, PresenceCheckStatus::Answered);
    assert_eq!(
        stored.answered_event_id.map(|e| json!(e)),
        Some(answer["event_id"].clone())
    );
    // The visit stays open and checks out as usual.
    let visits = s.visits().await;
    assert_eq!(visits[0].status, VisitStatus::Open);
    s.check_out().await;
}

#[tokio::test]
async fn presence_scans_are_refused_without_a_check_a_visit_or_the_screen_code() {
    let s = Scene::open().await;
    // No open visit: the check is still made for the site of today's assignment.
    let check = s.presence_check(30).await;
    assert_eq!(check.site_id, Some(s.world.site.id));
    assert_eq!(check.visit_id, None);
    assert_problem(
        s.presence(&s.request(&s.code().await)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_open_visit",
    );
    // Checking in, then answering, works.
    s.check_in().await;
    let sheet = s
        .world
        .clinic_admin
        .client
        .daily_codes(s.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    assert_problem(
        s.presence(&s.request(&sheet.codes[0].payload)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rotating_code_required",
    );
    accepted(s.presence(&s.request(&s.next_code().await)).await);
    // The check is answered: another scan has nothing to answer.
    assert_problem(
        s.presence(&s.request(&s.next_code().await)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_presence_check",
    );
    // Only physicians answer; only supervisors and admins ask.
    let (status, _) = s
        .scan(
            &s.world.supervisor.client,
            "presence",
            &s.request(&s.code().await),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let asks = |client: &Client, body: Value| {
        let app = &s.app;
        let client = client.clone();
        async move {
            app.send(&client, Method::POST, "/api/v1/presence-checks", Some(body))
                .await
        }
    };
    let body = json!({"physician_id": s.physician(), "respond_within_minutes": 10});
    assert_problem(
        asks(&s.world.physician.client, body.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        asks(&s.world.other_supervisor.client, body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let unknown = json!({"physician_id": Uuid::new_v4(), "respond_within_minutes": 10});
    assert_problem(
        asks(&s.world.supervisor.client, unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for minutes in [0, 241] {
        let bad = json!({"physician_id": s.physician(), "respond_within_minutes": minutes});
        let problem = assert_problem(
            asks(&s.world.supervisor.client, bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("respond_within_minutes")
        );
    }
    // A site the physician is not assigned to is not one to be checked at.
    let elsewhere = json!({"physician_id": s.physician(), "respond_within_minutes": 10,
                           "site_id": s.world.other_site.id});
    assert_problem(
        asks(&s.app.admin, elsewhere).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, made) = asks(&s.app.admin, body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(made["site_id"], json!(s.world.site.id));
    assert_eq!(made["status"], "pending");
}

#[tokio::test]
async fn a_missed_deadline_raises_presence_check_missed_once_across_ticks_and_processes() {
    let s = Scene::open().await;
    let visit_id = s.check_in().await["visit_id"].clone();
    let check = s.presence_check(15).await;
    let (a, b) = (s.peer().await, s.peer().await);
    s.app.clock.advance(Duration::minutes(15));
    // At the deadline itself the check is still pending.
    run_once(a.state()).await.expect("tick");
    assert!(
        s.anomalies(s.physician(), "presence_check_missed")
            .await
            .is_empty()
    );
    s.app.clock.advance(Duration::seconds(1));
    let (ra, rb) = tokio::join!(run_once(a.state()), run_once(b.state()));
    let expired =
        ra.expect("tick a").expired_presence_checks + rb.expect("tick b").expired_presence_checks;
    assert_eq!(expired, 1, "exactly one process expired it");
    run_once(a.state()).await.expect("tick again");
    run_once(b.state()).await.expect("tick again");

    let missed = s.anomalies(s.physician(), "presence_check_missed").await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].visit_id.map(|v| json!(v)), Some(visit_id));
    assert_eq!(missed[0].detail["presence_check_id"], json!(check.id));
    // A late scan answers nothing.
    assert_problem(
        s.presence(&s.request(&s.next_code().await)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_presence_check",
    );
    let visits = s.visits().await;
    assert_eq!(
        visits[0].anomalies,
        vec!["presence_check_missed".to_owned()]
    );
}

#[tokio::test]
async fn a_deadline_that_passed_while_the_server_was_down_is_missed_on_start() {
    let mut s = Scene::open_with(true).await;
    s.check_in().await;
    s.presence_check(5).await;
    s.app.clock.advance(Duration::minutes(20));
    s.restart().await;
    // The restarted server's first tick catches up.
    let missed = s
        .await_anomalies(s.physician(), "presence_check_missed", 1)
        .await;
    assert_eq!(missed.len(), 1);
    // Ticking again, from here or another process, raises nothing more.
    let peer = s.peer().await;
    run_once(peer.state()).await.expect("tick");
    assert_eq!(
        s.anomalies(s.physician(), "presence_check_missed")
            .await
            .len(),
        1
    );
}

// ---- requirements ----

#[tokio::test]
async fn requirement_missed_is_raised_once_at_month_end_for_an_assignment_without_visits() {
    let s = Scene::open().await;
    // The physician serves a full day in March; the colleague never comes.
    s.check_in().await;
    s.app
        .clock
        .advance(Duration::hours(6) + Duration::minutes(5));
    s.check_out().await;

    let peer = s.peer().await;
    // March has ended, but an offline scan may still be uploaded for 72 hours.
    s.app.clock.set(local(4, 3, 12, 0));
    run_once(peer.state()).await.expect("tick");
    assert!(
        s.anomalies(s.colleague.user.id, "requirement_missed")
            .await
            .is_empty()
    );

    s.app.clock.set(local(4, 4, 0, 30));
    let other = s.peer().await;
    let (ra, rb) = tokio::join!(run_once(peer.state()), run_once(other.state()));
    let raised = ra.expect("tick").requirements_missed + rb.expect("tick").requirements_missed;
    assert_eq!(raised, 1);
    run_once(peer.state()).await.expect("tick again");

    let missed = s.anomalies(s.colleague.user.id, "requirement_missed").await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].site_id, Some(s.world.site.id));
    assert_eq!(missed[0].detail["period_start"], "2026-03-01");
    assert_eq!(missed[0].detail["period_end"], "2026-03-31");
    assert_eq!(missed[0].detail["required"], 1.0);
    assert_eq!(missed[0].detail["credited"], 0.0);
    // January and February ended before the physician's assignment was recorded;
    // March was met.
    assert!(
        s.anomalies(s.physician(), "requirement_missed")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_scheduler_catches_up_after_a_restart_over_days_that_passed() {
    let mut s = Scene::open_with(true).await;
    // A visit left open on March 2 and a presence check nobody answers.
    s.check_in().await;
    s.presence_check(10).await;
    s.app.clock.set(local(6, 10, 8, 0));
    s.restart().await;
    let colleague = s.colleague.user.id;
    // March, April and May each ended with no visit for the colleague.
    let missed = s.await_anomalies(colleague, "requirement_missed", 3).await;
    let mut periods: Vec<String> = missed
        .iter()
        .map(|a| a.detail["period_start"].as_str().unwrap_or("").to_owned())
        .collect();
    periods.sort();
    assert_eq!(periods, ["2026-03-01", "2026-04-01", "2026-05-01"]);
    // The physician: the open visit closed at the end of its day without credit, so
    // March, April and May were missed too; the check was missed.
    s.await_anomalies(s.physician(), "requirement_missed", 3)
        .await;
    assert_eq!(
        s.await_anomalies(s.physician(), "presence_check_missed", 1)
            .await
            .len(),
        1
    );
    let visits = s.visits().await;
    assert_eq!(visits[0].status, VisitStatus::AutoClosed);
    assert!(visits[0].anomalies.contains(&"missing_checkout".to_owned()));

    // Another process ticking now, or the same one later the same day, adds nothing.
    let peer = s.peer().await;
    let report = run_once(peer.state()).await.expect("tick");
    assert_eq!(report.requirements_missed, 0);
    assert_eq!(s.anomalies(colleague, "requirement_missed").await.len(), 3);
    assert_eq!(
        s.anomalies(s.physician(), "requirement_missed").await.len(),
        3
    );
}
