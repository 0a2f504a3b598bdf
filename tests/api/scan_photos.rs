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

impl Photos {
    /// Visits on March `days`, each with a photo at check-in and check-out; the
    /// photo ids (event ids).
    async fn visits_with_photos(&self, days: std::ops::RangeInclusive<u32>) -> Vec<String> {
        let physician = &self.world.physician.client;
        let mut ids = Vec::new();
        for day in days {
            for (action, hour) in [("check-in", 8), ("check-out", 16)] {
                self.app.clock.set(local(day, hour, 30));
                let answer = self.scan(physician, "phone-A", action).await;
                let event = id(&answer, "event_id");
                self.app.clock.set(local(day, hour, 35));
                self.put_photo(physician, &event, jpeg(300 + day as usize, day as u8))
                    .await;
                ids.push(event);
            }
        }
        ids
    }

    async fn draw(&self, who: &Client, body: Value) -> (StatusCode, Value) {
        self.app
            .send(who, Method::POST, "/api/v1/scan-photo-samples", Some(body))
            .await
    }

    async fn review(&self, who: &Client, photo: &str, body: Value) -> (StatusCode, Value) {
        self.app
            .send(
                who,
                Method::POST,
                &format!("/api/v1/scan-photos/{photo}/review"),
                Some(body),
            )
            .await
    }
}

fn drawn(sample: &Value) -> Vec<String> {
    sample["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| id(i, "photo_id"))
        .collect()
}

#[tokio::test]
async fn a_photo_sample_repeats_from_its_seed_and_reviews_are_audited() {
    let p = Photos::open().await;
    let photos = p.visits_with_photos(2..=7).await;
    assert_eq!(photos.len(), 12);
    let supervisor = &p.world.supervisor.client;
    let county = p.world.county.clone();

    // The same seed draws the same photos in the same order; another seed otherwise.
    let ask = |seed: Option<&str>| {
        let mut body = json!({"jurisdiction_code": county, "month": "2026-03", "n": 5});
        if let Some(seed) = seed {
            body["seed"] = json!(seed);
        }
        body
    };
    let (status, first) = p.draw(supervisor, ask(Some("42"))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["seed"], "42");
    assert_eq!(first["population"], 12);
    let first_ids = drawn(&first);
    assert_eq!(first_ids.len(), 5);
    assert!(first_ids.iter().all(|i| photos.contains(i)));
    let (_, again) = p.draw(supervisor, ask(Some("42"))).await;
    assert_eq!(drawn(&again), first_ids);
    let others: Vec<Vec<String>> = draws_with_seeds_1_to_10(&p, supervisor, &ask).await;
    assert!(others.iter().any(|o| *o != first_ids), "other seeds differ");
    // Without a seed one is generated and recorded.
    let (status, fresh) = p.draw(supervisor, ask(None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let seed = fresh["seed"].as_str().expect("seed").to_owned();
    let (_, redrawn) = p.draw(supervisor, ask(Some(&seed))).await;
    assert_eq!(drawn(&redrawn), drawn(&fresh));
    // Each item says who, where and when.
    let item = &first["items"][0];
    assert_eq!(item["physician_name"], p.world.physician.user.name.as_str());
    assert_eq!(item["site_name"], p.world.site.name.as_str());
    assert_eq!(item["order"], 1);
    assert!(
        item["weight"]
            .as_u64()
            .is_some_and(|w| (1..=4).contains(&w))
    );

    // Bad input names its field; other counties and physicians are kept out.
    for (body, field) in [
        (
            json!({"jurisdiction_code": county, "month": "2026-3", "n": 5}),
            "month",
        ),
        (
            json!({"jurisdiction_code": county, "month": "2026-03", "n": 0}),
            "n",
        ),
        (
            json!({"jurisdiction_code": county, "month": "2026-03", "n": 5, "seed": "x"}),
            "seed",
        ),
    ] {
        let (status, problem) = p.draw(supervisor, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(field)),
            "{problem}"
        );
    }
    assert_problem(
        p.draw(&p.world.other_supervisor.client, ask(None)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        p.draw(&p.world.physician.client, ask(None)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let sample_id = id(&first, "id");
    assert_problem(
        p.app
            .send(
                &p.world.other_supervisor.client,
                Method::GET,
                &format!("/api/v1/scan-photo-samples/{sample_id}"),
                None,
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The photo itself, with its hash.
    let target = first_ids[0].clone();
    let response = supervisor
        .request(Method::GET, &format!("/api/v1/scan-photos/{target}"))
        .send()
        .await
        .expect("photo");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let sha = response.headers()["x-content-sha256"]
        .to_str()
        .expect("hash")
        .to_owned();
    let bytes = response.bytes().await.expect("bytes");
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
    assert_eq!(item["sha256"], sha.as_str());
    let outside = p
        .world
        .other_supervisor
        .client
        .request(Method::GET, &format!("/api/v1/scan-photos/{target}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);

    // ok raises nothing; a second review is refused.
    let (status, ok) = p
        .review(supervisor, &target, json!({"verdict": "ok"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    assert!(ok["anomaly_id"].is_null());
    assert_problem(
        p.review(
            supervisor,
            &target,
            json!({"verdict": "suspicious", "note": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "photo_reviewed",
    );

    // suspicious needs a note, then raises photo_suspicious on the visit.
    let doubtful = first_ids[1].clone();
    let (status, problem) = p
        .review(supervisor, &doubtful, json!({"verdict": "suspicious"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("note"))
    );
    assert_problem(
        p.review(
            &p.world.other_supervisor.client,
            &doubtful,
            json!({"verdict": "ok"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, suspicious) = p
        .review(
            supervisor,
            &doubtful,
            json!({"verdict": "suspicious", "note": "照片为翻拍的手机屏幕"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{suspicious}");
    let raised = p.anomalies("photo_suspicious").await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0].severity, "high");
    assert_eq!(
        raised[0].id.to_string(),
        suspicious["anomaly_id"].as_str().expect("anomaly")
    );
    let sampled_visit = first["items"][1]["visit_id"].as_str().expect("visit");
    assert_eq!(
        raised[0].visit_id.map(|v| v.to_string()).as_deref(),
        Some(sampled_visit)
    );
    assert!(
        raised[0].summary_zh.contains("翻拍"),
        "{}",
        raised[0].summary_zh
    );

    // The visit detail lists its photos; the list marks how its scans came in.
    let (_, detail) = p
        .app
        .send(
            supervisor,
            Method::GET,
            &format!("/api/v1/visits/{sampled_visit}"),
            None,
        )
        .await;
    let shown = detail["photos"].as_array().expect("photos");
    assert_eq!(shown.len(), 2, "{detail}");
    assert!(shown.iter().any(|ph| ph["event_id"] == doubtful.as_str()));
    assert_eq!(detail["visit"]["scan_marks"]["offline"], false, "{detail}");
    let (_, list) = p
        .app
        .send(supervisor, Method::GET, "/api/v1/visits", None)
        .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 6, "{list}");
    // Every scan was live; the first, right after the kiosk fetched its code from
    // the same (loopback) network, counts as from the kiosk's network.
    assert!(
        items.iter().all(|v| v["scan_marks"]["offline"] == false),
        "{list}"
    );
    assert!(
        items
            .iter()
            .any(|v| v["scan_marks"]["kiosk_network"] == true),
        "{list}"
    );

    // The sample shows the reviews; the audit chain holds both, intact.
    let (_, reread) = p
        .app
        .send(
            supervisor,
            Method::GET,
            &format!("/api/v1/scan-photo-samples/{sample_id}"),
            None,
        )
        .await;
    assert_eq!(drawn(&reread), first_ids);
    assert_eq!(reread["items"][0]["review"]["verdict"], "ok");
    assert_eq!(reread["items"][1]["review"]["verdict"], "suspicious");
    for review in [&ok, &suspicious] {
        let (_, entries) = p
            .app
            .send(
                &p.app.admin,
                Method::GET,
                &format!(
                    "/api/v1/audit?object_type=scan_photo_review&object_id={}",
                    id(review, "id")
                ),
                None,
            )
            .await;
        assert_eq!(
            entries["items"][0]["action"], "scan_photo_review.create",
            "{entries}"
        );
    }
    let (_, entries) = p
        .app
        .send(
            &p.app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=scan_photo_sample&object_id={sample_id}"),
            None,
        )
        .await;
    assert_eq!(entries["items"][0]["after"]["seed"], "42", "{entries}");
    let (_, verified) = p
        .app
        .send(
            &p.app.admin,
            Method::GET,
            "/api/v1/audit/verification",
            None,
        )
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
}

/// Draws with seeds 1 to 10, one after another.
async fn draws_with_seeds_1_to_10(
    p: &Photos,
    who: &Client,
    ask: &dyn Fn(Option<&str>) -> Value,
) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for seed in 1..=10 {
        let (_, sample) = p.draw(who, ask(Some(&seed.to_string()))).await;
        all.push(drawn(&sample));
    }
    all
}
