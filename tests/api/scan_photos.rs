//! Scan photos as evidence (issue 22 point 5): a programme that requires them raises
//! `photo_missing` when a check-in's photo never comes, and supervisors sample the
//! photos, marking each `ok` or `suspicious` (which raises `photo_suspicious`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xiaxiang_server::App;
use xiaxiang_server::scheduler::run_once;

use crate::helpers::*;

/// Local time in Asia/Shanghai on 2026-03-`day`.
fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// JPEG-looking bytes: the magic number, then `fill`.
fn jpeg(len: usize, fill: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, fill);
    bytes
}

/// The world with its kiosk, the scheduler off (the tests tick it), and the
/// programme requiring a scan photo.
struct Photos {
    app: TestApp,
    world: World,
    kiosk: Client,
}

impl Photos {
    async fn open() -> Photos {
        let app = TestApp::builder()
            .at(local(2, 8, 0))
            .config(|c| {
                c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600);
                c.scheduler_interval = std::time::Duration::ZERO;
            })
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        let photos = Photos { app, world, kiosk };
        let (status, program) = photos
            .app
            .send(
                &photos.app.admin,
                Method::PATCH,
                &format!("/api/v1/programs/{}", photos.world.program.id),
                Some(json!({"scan_photo": "required"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{program}");
        photos
    }

    /// `who` checks in at the site's kiosk now; the answer (event and visit ids).
    async fn check_in(&self, who: &Client, device: &str) -> Value {
        self.scan(who, device, "check-in").await
    }

    async fn scan(&self, who: &Client, device: &str, action: &str) -> Value {
        let payload = self.kiosk.kiosk_code().await.expect("kiosk code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": device,
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON),
                         "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
        });
        let (status, answer) = self
            .app
            .send(
                who,
                Method::POST,
                &format!("/api/v1/attendance/{action}"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer
    }

    async fn put_photo(&self, who: &Client, event: &str, bytes: Vec<u8>) {
        let response = who
            .request(
                Method::PUT,
                &format!("/api/v1/attendance/events/{event}/photo"),
            )
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    /// One scheduler tick in a second process on the same database and clock.
    async fn tick(&self) -> usize {
        let peer = App::build(self.app.config.clone(), self.app.clock.clone())
            .await
            .expect("second process builds");
        run_once(peer.state()).await.expect("tick").photos_missing
    }

    async fn anomalies(&self, kind: &str) -> Vec<Anomaly> {
        self.world
            .supervisor
            .client
            .anomalies(&format!("kind={kind}"))
            .await
            .expect("anomalies")
            .items
    }
}

fn id(answer: &Value, key: &str) -> String {
    answer[key].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_required_photo_that_never_comes_raises_photo_missing_once() {
    let p = Photos::open().await;
    let physician = &p.world.physician.client;

    // Day 2: a check-in without its photo.
    p.app.clock.set(local(2, 8, 30));
    let bare = p.check_in(physician, "phone-A").await;
    let bare_visit: Uuid = id(&bare, "visit_id").parse().expect("visit");

    // While the window is open nothing is raised, at its last second neither.
    p.app.clock.set(local(2, 8, 45));
    assert_eq!(p.tick().await, 0);
    p.app.clock.set(local(2, 9, 0));
    assert_eq!(p.tick().await, 0);
    assert!(p.anomalies("photo_missing").await.is_empty());

    // The window closed: one anomaly on the visit, medium, in words.
    p.app.clock.advance(Duration::seconds(1));
    assert_eq!(p.tick().await, 1);
    let raised = p.anomalies("photo_missing").await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0].visit_id, Some(bare_visit));
    assert_eq!(raised[0].severity, "medium");
    assert_eq!(raised[0].label_zh, "未按要求上传扫码照片");
    assert!(
        raised[0].summary_zh.contains("30分钟内未上传"),
        "{}",
        raised[0].summary_zh
    );
    // Once per event: more ticks, later, in other processes, raise nothing more.
    assert_eq!(p.tick().await, 0);
    p.app.clock.advance(Duration::hours(2));
    assert_eq!(p.tick().await, 0);
    assert_eq!(p.anomalies("photo_missing").await.len(), 1);

    p.app.clock.set(local(2, 16, 30));
    p.scan(physician, "phone-A", "check-out").await;
    // Like every open anomaly it holds the visit's credit.
    let detail = p
        .world
        .supervisor
        .client
        .visit(bare_visit)
        .await
        .expect("visit");
    assert_eq!(detail.visit.credit_state, CreditState::Pending);

    // Day 3: a check-in with its photo raises nothing once its window closed.
    p.app.clock.set(local(3, 8, 30));
    let with = p.check_in(physician, "phone-A").await;
    p.app.clock.set(local(3, 8, 40));
    p.put_photo(physician, &id(&with, "event_id"), jpeg(512, 7))
        .await;
    p.app.clock.set(local(3, 10, 0));
    assert_eq!(p.tick().await, 0);
    assert_eq!(p.anomalies("photo_missing").await.len(), 1);
    p.app.clock.set(local(3, 16, 30));
    p.scan(physician, "phone-A", "check-out").await;

    // A programme that only offers the photo raises nothing for a bare check-in.
    let (status, _) = p
        .app
        .send(
            &p.world.supervisor.client,
            Method::PATCH,
            &format!("/api/v1/programs/{}", p.world.program.id),
            Some(json!({"scan_photo": "optional"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    p.app.clock.set(local(4, 8, 30));
    p.check_in(physician, "phone-A").await;
    p.app.clock.set(local(4, 10, 0));
    assert_eq!(p.tick().await, 0);
    assert_eq!(p.anomalies("photo_missing").await.len(), 1);
}
