//! The labelled scenario suite (issue 22, point 7): frauds as they are done in practice
//! and honest physicians as they really behave, each run against a real server. A
//! fraud counts as caught when its attempt is refused or raises any anomaly; an honest
//! visit counts as flagged when any of its attempts does. The frauds whose every datum
//! looks honest are played on through the evidence channels a real deployment
//! collects (the receiving clinic's daily confirmation, the required scan photo drawn
//! in the supervisor's sample, an unannounced inspection), and the honest set goes
//! through them too (the clinic confirms, the photo is ordinary). Two figures are
//! printed (`cargo test -p xiaxiang-tests --test api fraud_scenarios -- --nocapture`),
//! from phone and network data alone and with the evidence channels, and kept in
//! docs/anomalies-fraud.md; the test fails if they fall below the bar.

use chrono::Duration;
use mobile_api::client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xiaxiang_server::domain::clock::Clock;
use xiaxiang_server::domain::coords::{LatLon, gcj02_to_bd09, wgs84_to_gcj02};

use crate::checkin::{Desk, accepted, local};
use crate::detectors::colleague;
use crate::device_moves::approved_move;
use crate::helpers::*;
use crate::network::{
    BEIJING, CLINIC_WIFI, MOBILE_FUJIAN, anomalies_of_kind, clinic_code, kiosk_anomalies,
    kiosk_fetch, network_desk, post_from,
};

/// What one attempt came to: its anomaly kinds, or its refusal code.
async fn outcome(desk: &Desk, client: &Client, action: &str, body: &Value) -> Vec<String> {
    judged(desk, client, action, body, None).await.0
}

/// Posts `action` (from the address `ip`, behind the trusted proxy, when given): its
/// anomaly kinds or its refusal code, and the answer. Under [`Channels::Honest`] an
/// accepted scan also goes through the evidence channels as an honest day does: the
/// phone uploads its scan photo, a supervisor finds it ordinary, the clinic confirms
/// the visit; whatever then stands against the visit is added (`evidence:` kinds).
async fn judged(
    desk: &Desk,
    client: &Client,
    action: &str,
    body: &Value,
    ip: Option<&str>,
) -> (Vec<String>, Value) {
    let (status, answer) = match ip {
        Some(ip) => post_from(desk, client, action, body, ip).await,
        None => desk.post(client, action, body).await,
    };
    let mut found = match status {
        StatusCode::CREATED => answer["reasons"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        StatusCode::UNPROCESSABLE_ENTITY => vec![answer["code"].as_str().unwrap_or("?").to_owned()],
        other => panic!("{action}: {other} {answer}"),
    };
    if status == StatusCode::CREATED && CHANNELS.try_with(|c| *c) == Ok(Channels::Honest) {
        found.extend(honest_evidence(desk, client, &answer).await);
    }
    (found, answer)
}

// ---- the evidence channels (issue 22, point 5) ----------------------------------

/// Which evidence the scans of a scenario meet besides their own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channels {
    /// The honest set: every accepted scan's photo is uploaded and found ordinary,
    /// and the clinic confirms every visit.
    Honest,
}

tokio::task_local! {
    static CHANNELS: Channels;
}

/// How many accepted honest scans went through the evidence channels (the suite checks
/// they were played, not skipped).
static HONEST_EVIDENCE_PLAYED: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Marks what the evidence channels (not the phone's data) hold against a visit.
const EVIDENCE: &str = "evidence:";

/// The anomaly kinds the evidence channels raise.
const EVIDENCE_KINDS: [&str; 4] = [
    "clinic_disputed",
    "photo_suspicious",
    "photo_missing",
    "inspection_absent",
];

/// JPEG-looking bytes (the magic number, then `fill`): a scan photo.
fn photo_bytes(fill: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(2048, fill);
    bytes
}

/// The programme asks for a photo at every scan (`scan_photo: required`).
async fn require_scan_photos(desk: &Desk) {
    let (status, program) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &format!("/api/v1/programs/{}", desk.world.program.id),
            Some(json!({"scan_photo": "required"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{program}");
}

/// The phone uploads the frame its camera took at the scan: 201, or 409
/// `photo_exists` for a retried scan's event.
async fn upload_scan_photo(client: &Client, event: &str, fill: u8) {
    let response = client
        .request(
            Method::PUT,
            &format!("/api/v1/attendance/events/{event}/photo"),
        )
        .header("content-type", "image/jpeg")
        .body(photo_bytes(fill))
        .send()
        .await
        .expect("server answers");
    let status = response.status();
    assert!(
        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
        "photo upload: {status}"
    );
}

/// A supervisor's verdict on a scan photo (201, or 409 once reviewed).
async fn review_scan_photo(desk: &Desk, photo: &str, body: Value) {
    let (status, answer) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::POST,
            &format!("/api/v1/scan-photos/{photo}/review"),
            Some(body),
        )
        .await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
        "photo review: {status} {answer}"
    );
}

/// The supervisor's monthly photo sample of the county, which must have drawn `photo`.
async fn sample_draws(desk: &Desk, photo: &str) {
    let (status, sample) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::POST,
            "/api/v1/scan-photo-samples",
            Some(json!({"jurisdiction_code": desk.world.county, "month": "2026-03", "n": 200})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sample}");
    let drawn: Vec<&str> = sample["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["photo_id"].as_str())
        .collect();
    assert!(drawn.contains(&photo), "{sample}");
}

/// The receiving clinic's daily word on a visit (201, or 409 once said).
async fn clinic_says(desk: &Desk, visit: &str, body: Value) {
    let (status, answer) = desk
        .app
        .send(
            &desk.world.clinic_admin.client,
            Method::POST,
            &format!("/api/v1/visits/{visit}/clinic-confirmation"),
            Some(body),
        )
        .await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
        "clinic confirmation: {status} {answer}"
    );
}

/// What the evidence channels hold against the visit now (`evidence:` and the open
/// anomaly's kind), and, when anything, the visit's credit (`credit:` and its state).
async fn evidence_against(desk: &Desk, visit: &str) -> Vec<String> {
    let (status, detail) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let mut found: Vec<String> = detail["anomalies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["status"] == "open")
        .filter_map(|a| a["kind"].as_str())
        .filter(|k| EVIDENCE_KINDS.contains(k))
        .map(|k| format!("{EVIDENCE}{k}"))
        .collect();
    if !found.is_empty() {
        found.push(format!(
            "credit:{}",
            detail["visit"]["credit_state"].as_str().unwrap_or("?")
        ));
    }
    found
}

/// An honest scan through the evidence channels: its photo shows the physician at
/// the clinic, the supervisor finds it ordinary, the clinic confirms the visit.
async fn honest_evidence(desk: &Desk, client: &Client, answer: &Value) -> Vec<String> {
    let event = answer["event_id"].as_str().expect("event id");
    let visit = answer["visit_id"].as_str().expect("visit id");
    upload_scan_photo(client, event, 0x42).await;
    review_scan_photo(desk, event, json!({"verdict": "ok"})).await;
    clinic_says(desk, visit, json!({"verdict": "confirmed"})).await;
    HONEST_EVIDENCE_PLAYED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    evidence_against(desk, visit).await
}

/// The clinic's honest daily confirmation: it did not see the physician.
async fn clinic_disputes(desk: &Desk, answer: &Value, reason: &str) -> Vec<String> {
    let visit = answer["visit_id"].as_str().expect("visit id");
    clinic_says(
        desk,
        visit,
        json!({"verdict": "disputed", "reason": reason}),
    )
    .await;
    evidence_against(desk, visit).await
}

/// The scan photo (required by the programme) drawn in the supervisor's monthly
/// sample and marked suspicious with what it shows.
async fn photo_found_suspicious(
    desk: &Desk,
    client: &Client,
    answer: &Value,
    shows: &str,
) -> Vec<String> {
    let event = answer["event_id"].as_str().expect("event id");
    let visit = answer["visit_id"].as_str().expect("visit id");
    upload_scan_photo(client, event, 0x17).await;
    sample_draws(desk, event).await;
    review_scan_photo(desk, event, json!({"verdict": "suspicious", "note": shows})).await;
    evidence_against(desk, visit).await
}

fn fix(lat: f64, lon: f64, accuracy_m: f64) -> Value {
    json!({"lat": lat, "lon": lon, "accuracy_m": accuracy_m, "crs": "wgs84", "is_mock": false})
}

/// A spot in the clinic, `n` metres north-east of the fence centre.
fn spot(n: f64) -> (f64, f64) {
    (SITE_LAT + n * 9e-6, SITE_LON + n * 1e-5)
}

fn physician(desk: &Desk) -> Client {
    desk.world.physician.client.clone()
}

/// An honest day: check in at 09:00 and out at 13:00 with these fixes (`None`: the
/// desk's ordinary jittered fix). Every reason of both attempts.
async fn honest_day(
    desk: &Desk,
    day: u32,
    check_in: Option<Value>,
    check_out: Option<Value>,
) -> Vec<String> {
    desk.app.clock.set(local(day, 9, 0));
    let me = physician(desk);
    let mut body = desk.request(&desk.code().await);
    if let Some(f) = check_in {
        body["location"] = f;
    }
    let mut found = outcome(desk, &me, "check-in", &body).await;
    desk.app.clock.set(local(day, 13, 0));
    let mut body = desk.request(&desk.code().await);
    if let Some(f) = check_out {
        body["location"] = f;
    }
    found.extend(outcome(desk, &me, "check-out", &body).await);
    found
}

// ---- fraud -------------------------------------------------------------------

/// A mock-location app with the mock flag hidden, reporting the 0-1 m accuracy such
/// apps default to, anywhere inside the fence.
async fn mock_hidden_precise() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(30.0);
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat, lon, 1.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A mock app fed the clinic's published coordinates (the fence centre), 5 m accuracy.
async fn mock_hidden_at_published_coordinates() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(SITE_LAT, SITE_LON, 5.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A mock app with the flag shown (older apps, unrooted phones).
async fn mock_flag_shown() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["is_mock"] = json!(true);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A fix recorded on an honest day, replayed the next day with sub-metre drift.
async fn replayed_fix_with_drift() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(25.0);
    honest_day(
        &desk,
        2,
        Some(fix(lat, lon, 11.0)),
        Some(fix(lat, lon, 11.0)),
    )
    .await;
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat + 3e-6, lon - 2e-6, 11.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// The same, replayed bit for bit.
async fn replayed_fix_exact() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(40.0);
    honest_day(&desk, 2, Some(fix(lat, lon, 8.0)), None).await;
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat, lon, 8.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A live code relayed to a chat group and scanned at home, without a fake fix.
async fn relayed_frame_real_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(SITE_LAT + 0.09, SITE_LON, 15.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A relayed frame plus a mock fix (flag hidden) with a realistic accuracy at a
/// random spot of the clinic: the phone's data alone looks honest (point 1, network
/// evidence, is what would catch it).
/// At the end of the day the receiving clinic, asked to confirm its visits, says it
/// did not see the physician.
async fn relayed_frame_mock_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(-20.0);
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat, lon, 13.0);
    let (mut found, answer) = judged(&desk, &physician(&desk), "check-in", &body, None).await;
    desk.app.clock.set(local(2, 17, 30));
    found.extend(clinic_disputes(&desk, &answer, "当日未在卫生院见到该医师").await);
    found
}

/// A screenshot of the rotating code sent to someone at home, uploaded as an
/// "offline" scan 40 minutes later with the phone's last cached position.
async fn screenshot_as_offline_scan_cached_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let shot_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::minutes(40));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(shot_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(shot_at - Duration::hours(15));
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// The same screenshot uploaded by a phone that made live requests meanwhile.
async fn screenshot_as_offline_scan_phone_online() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(4));
    let shot_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::minutes(10));
    // The phone is online: a live scan attempt (refused, already checked in).
    let _ = outcome(&desk, &me, "check-in", &desk.request(&desk.code().await)).await;
    desk.app.clock.advance(Duration::minutes(20));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(shot_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(shot_at - Duration::seconds(5));
    outcome(&desk, &me, "check-out", &body).await
}

/// A screenshot forwarded through a chat app and uploaded as "offline" with a mock fix
/// whose `fix_time` is forged to the scan: the server never saw the phone online, so
/// this passes as a consistent offline upload (point 2's marking of real offline scans
/// by the phone page, and network evidence, are what would catch it).
async fn screenshot_as_offline_scan_forged_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let shot_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::minutes(25));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(shot_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(shot_at - Duration::seconds(3));
    let (mut found, answer) = judged(&desk, &physician(&desk), "check-in", &body, None).await;
    // The clinic, confirming its day, did not see the physician.
    desk.app.clock.set(local(2, 17, 30));
    found.extend(clinic_disputes(&desk, &answer, "当日该医师未到岗").await);
    found
}

/// One phone running two physicians' accounts (the second logs in on it).
async fn one_phone_two_accounts() -> Vec<String> {
    let desk = Desk::open().await;
    let other = colleague(&desk).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::minutes(2));
    let body = desk.request(&desk.code().await);
    outcome(&desk, &other.client, "check-in", &body).await
}

/// A cloned app (its own device id) on the same phone, same spoofed fix, seconds later.
async fn cloned_app_same_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let other = colleague(&desk).await;
    let code = desk.code().await;
    let mine = desk.request(&code);
    accepted(desk.check_in(&mine).await);
    desk.app.clock.advance(Duration::seconds(6));
    let mut theirs = desk.request(&code);
    theirs["device_id"] = json!("clone-of-phone-A");
    theirs["location"] = mine["location"].clone();
    outcome(&desk, &other.client, "check-in", &theirs).await
}

/// A fix cached by the phone at the clinic the day before, sent with a live scan of a
/// relayed code.
async fn cached_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["fix_time"] = json!(desk.app.clock.now() - Duration::minutes(30));
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A real fix ~600 m away, declared `gcj02` by a phone that always sent `wgs84`, so
/// that the conversion carries it onto the site.
async fn mislabelled_crs() -> Vec<String> {
    let desk = Desk::open().await;
    honest_day(&desk, 2, None, None).await;
    let (lat, lon) = spot(15.0);
    let shifted = wgs84_to_gcj02(LatLon::new(lat, lon));
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(shifted.lat, shifted.lon, 10.0);
    body["location"]["crs"] = json!("gcj02");
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

// ---- fraud seen only through the network (point 1, 2) ---------------------------

/// Posts `action` from the address `ip`: the anomaly kinds or the refusal code.
async fn outcome_from(
    desk: &Desk,
    client: &Client,
    action: &str,
    body: &Value,
    ip: &str,
) -> Vec<String> {
    judged(desk, client, action, body, Some(ip)).await.0
}

/// A live frame relayed to a chat group and scanned in another province, with a mock
/// fix (flag hidden, realistic accuracy) inside the fence.
async fn relayed_frame_mock_fix_far_away() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let (lat, lon) = spot(-15.0);
    let mut body = desk.request(&clinic_code(&desk).await);
    body["location"] = fix(lat, lon, 12.0);
    outcome_from(&desk, &physician(&desk), "check-in", &body, BEIJING).await
}

/// A screenshot of the live code sent as an "offline" scan three minutes later (under
/// the late-sync limit) by a phone that made a live request meanwhile.
async fn screenshot_as_offline_scan_soon_phone_online() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let shot_at = desk.app.clock.now();
    let payload = clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(90));
    // The phone is online: it asks for its assignments' state by scanning (refused:
    // no assignment today is not the point; any live attempt shows a network).
    let mut probe = desk.request("not a code");
    probe["device_id"] = json!("phone-A");
    let _ = outcome_from(&desk, &me, "check-out", &probe, MOBILE_FUJIAN).await;
    desk.app.clock.advance(Duration::seconds(90));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(shot_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(shot_at - Duration::seconds(4));
    outcome_from(&desk, &me, "check-in", &body, MOBILE_FUJIAN).await
}

/// The kiosk link, leaked, polled from a flat in the county town while the clinic's
/// screen runs; the physician scans it there with a realistic mock fix. The scan
/// alone looks like mobile data in the province: the site's anomaly is what shows.
async fn kiosk_link_polled_from_a_second_network() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    desk.app.clock.advance(Duration::minutes(1));
    let (status, leaked) = kiosk_fetch(&desk, MOBILE_FUJIAN).await;
    assert_eq!(status, StatusCode::OK);
    desk.app.clock.advance(Duration::seconds(40));
    clinic_code(&desk).await;
    let (status, leaked_again) = kiosk_fetch(&desk, MOBILE_FUJIAN).await;
    assert_eq!(status, StatusCode::OK);
    let _ = leaked;
    let (lat, lon) = spot(17.0);
    let mut body = desk.request(leaked_again["payload"].as_str().expect("payload"));
    body["location"] = fix(lat, lon, 11.0);
    let mut found = outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await;
    found.extend(
        kiosk_anomalies(&desk)
            .await
            .iter()
            .filter_map(|a| a["kind"].as_str().map(str::to_owned)),
    );
    found
}

/// A photo of the printed daily sheet scanned from home while the clinic's screen
/// shows its rotating code.
async fn daily_code_at_a_site_with_a_live_kiosk() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let (lat, lon) = spot(9.0);
    let mut body = desk.request(&sheet.codes[0].payload);
    body["location"] = fix(lat, lon, 14.0);
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

/// A live frame relayed through a chat app and scanned `delay_s` seconds after the
/// screen first showed it, at a server rotating every `period_s` seconds.
async fn relayed_frame_after(period_s: u32, delay_s: i64) -> Vec<String> {
    let (desk, _db) = network_desk(move |c| c.qr_period_seconds = period_s).await;
    // The screen shows a new code at the start of a period.
    let now = desk.app.clock.now();
    let into = now.timestamp().rem_euclid(i64::from(period_s));
    desk.app
        .clock
        .advance(Duration::seconds(i64::from(period_s) - into));
    let payload = clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(delay_s));
    let (lat, lon) = spot(-11.0);
    let mut body = desk.request(&payload);
    body["location"] = fix(lat, lon, 12.0);
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

/// An honest scan of the code shown at the very end of its period, reaching the
/// server `delay_s` seconds later over a slow rural network, from a phone whose clock
/// is `skew_s` seconds off (its `scanned_at`).
async fn slow_network_skewed(period_s: u32, delay_s: i64, skew_s: i64) -> Vec<String> {
    let (desk, _db) = network_desk(move |c| c.qr_period_seconds = period_s).await;
    let now = desk.app.clock.now();
    let into = now.timestamp().rem_euclid(i64::from(period_s));
    desk.app
        .clock
        .advance(Duration::seconds(i64::from(period_s) - into - 1));
    let payload = clinic_code(&desk).await;
    let scanned_at = desk.app.clock.now() + Duration::seconds(skew_s);
    desk.app.clock.advance(Duration::seconds(delay_s));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(scanned_at);
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

// ---- honest on real networks ------------------------------------------------------

/// A broken phone: the physician asks to move the binding, the hospital approves, and
/// the next day's scans come from the new phone.
async fn new_phone_move_approved() -> Vec<String> {
    let desk = Desk::open().await;
    let mut found = honest_day(&desk, 2, None, None).await;
    approved_move(&desk, "phone-new").await;
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!("phone-new");
    found.extend(outcome(&desk, &physician(&desk), "check-in", &body).await);
    found
}

/// A physician on the clinic's Wi-Fi (the kiosk's network) all day.
async fn clinic_wifi_day() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let mut found = outcome_from(
        &desk,
        &me,
        "check-in",
        &desk.request(&clinic_code(&desk).await),
        CLINIC_WIFI,
    )
    .await;
    desk.app.clock.set(local(2, 13, 0));
    found.extend(
        outcome_from(
            &desk,
            &me,
            "check-out",
            &desk.request(&clinic_code(&desk).await),
            CLINIC_WIFI,
        )
        .await,
    );
    found
}

/// A physician on mobile data in the province, the screen running.
async fn mobile_data_day() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let mut found = outcome_from(
        &desk,
        &me,
        "check-in",
        &desk.request(&clinic_code(&desk).await),
        MOBILE_FUJIAN,
    )
    .await;
    desk.app.clock.set(local(2, 13, 0));
    found.extend(
        outcome_from(
            &desk,
            &me,
            "check-out",
            &desk.request(&clinic_code(&desk).await),
            MOBILE_FUJIAN,
        )
        .await,
    );
    found
}

/// A village clinic without signal: check-in and check-out kept offline, uploaded
/// together from the county town an hour after the check-out.
async fn village_offline_day_uploaded_later() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let scanned_in = desk.app.clock.now();
    let mut check_in = desk.request(&clinic_code(&desk).await);
    check_in["scanned_at"] = json!(scanned_in);
    check_in["offline"] = json!(true);
    check_in["location"]["fix_time"] = json!(scanned_in - Duration::seconds(6));
    desk.app.clock.set(local(2, 13, 0));
    let scanned_out = desk.app.clock.now();
    let (lat, lon) = spot(-21.0);
    let mut check_out = desk.request(&clinic_code(&desk).await);
    check_out["scanned_at"] = json!(scanned_out);
    check_out["offline"] = json!(true);
    check_out["location"] = fix(lat, lon, 18.0);
    check_out["location"]["fix_time"] = json!(scanned_out - Duration::seconds(9));
    desk.app.clock.set(local(2, 14, 0));
    let mut found = outcome_from(&desk, &me, "check-in", &check_in, MOBILE_FUJIAN).await;
    found.extend(outcome_from(&desk, &me, "check-out", &check_out, MOBILE_FUJIAN).await);
    found
}

// ---- honest ------------------------------------------------------------------

async fn ordinary_day() -> Vec<String> {
    let desk = Desk::open().await;
    honest_day(&desk, 2, None, None).await
}

/// Indoor fixes of 65 to 99 m on three days.
async fn indoor_fixes() -> Vec<String> {
    let desk = Desk::open().await;
    let mut found = Vec::new();
    for (day, accuracy) in [(2, 65.0), (3, 82.0), (4, 99.0)] {
        let (lat, lon) = spot(10.0 + f64::from(day) * 7.0);
        let (lat2, lon2) = spot(-5.0 - f64::from(day) * 6.0);
        found.extend(
            honest_day(
                &desk,
                day,
                Some(fix(lat, lon, accuracy)),
                Some(fix(lat2, lon2, accuracy)),
            )
            .await,
        );
    }
    found
}

/// A phone whose location service reports GCJ-02 (AMap SDK), on two days.
async fn gcj02_phone() -> Vec<String> {
    let desk = Desk::open().await;
    let mut found = Vec::new();
    for (day, n) in [(2, 12.0), (3, -18.0)] {
        let (lat, lon) = spot(n);
        let gcj = wgs84_to_gcj02(LatLon::new(lat, lon));
        let mut f = fix(gcj.lat, gcj.lon, 14.0);
        f["crs"] = json!("gcj02");
        let mut out = f.clone();
        out["lat"] = json!(gcj.lat + 2e-5);
        found.extend(honest_day(&desk, day, Some(f), Some(out)).await);
    }
    found
}

/// A phone on Baidu's BD-09, on two days.
async fn bd09_phone() -> Vec<String> {
    let desk = Desk::open().await;
    let mut found = Vec::new();
    for (day, n) in [(2, 22.0), (3, -9.0)] {
        let (lat, lon) = spot(n);
        let bd = gcj02_to_bd09(wgs84_to_gcj02(LatLon::new(lat, lon)));
        let mut f = fix(bd.lat, bd.lon, 16.0);
        f["crs"] = json!("bd09");
        let mut out = f.clone();
        out["lon"] = json!(bd.lon - 3e-5);
        found.extend(honest_day(&desk, day, Some(f), Some(out)).await);
    }
    found
}

/// A village without signal: the check-in kept offline and uploaded an hour later.
async fn village_offline_an_hour() -> Vec<String> {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let mut body = desk.request(&desk.code().await);
    body["scanned_at"] = json!(scanned_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(scanned_at - Duration::seconds(8));
    desk.app.clock.advance(Duration::hours(1));
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// Arriving ten minutes before the window opens and leaving on time.
async fn arriving_early() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    desk.app.clock.set(local(2, 7, 50));
    let mut found = outcome(&desk, &me, "check-in", &desk.request(&desk.code().await)).await;
    desk.app.clock.set(local(2, 12, 0));
    found.extend(outcome(&desk, &me, "check-out", &desk.request(&desk.code().await)).await);
    found
}

/// A physician whose phone broke: the next day the phone page sees it is not the bound
/// phone and offers the move; the physician moves the binding themselves (self-service,
/// default period), then scans.
async fn new_phone() -> Vec<String> {
    let desk = Desk::open().await;
    honest_day(&desk, 2, None, None).await;
    desk.app.clock.set(local(3, 9, 0));
    let (status, moved) = crate::device_moves::self_move(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!("phone-new");
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// The same, having moved the binding to the new phone first (`PUT /api/v1/me/device`,
/// the older self-service path).
async fn new_phone_binding_moved() -> Vec<String> {
    let desk = Desk::open().await;
    honest_day(&desk, 2, None, None).await;
    desk.app.clock.set(local(3, 9, 0));
    let (status, _) = desk
        .app
        .send(
            &physician(&desk),
            reqwest::Method::PUT,
            "/api/v1/me/device",
            Some(json!({"device_id": "phone-new"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!("phone-new");
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// Wi-Fi positioning: the same coarse point on three days.
async fn wifi_positioning() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(8.0);
    let mut found = Vec::new();
    for day in [2, 3, 4] {
        found.extend(
            honest_day(
                &desk,
                day,
                Some(fix(lat, lon, 40.0)),
                Some(fix(lat, lon, 40.0)),
            )
            .await,
        );
    }
    found
}

/// Two colleagues scanning one frame, each on their own phone, side by side.
async fn colleagues_same_frame() -> Vec<String> {
    let desk = Desk::open().await;
    let other = colleague(&desk).await;
    let code = desk.code().await;
    let (lat, lon) = spot(12.0);
    let mut mine = desk.request(&code);
    mine["location"] = fix(lat, lon, 9.0);
    let mut found = outcome(&desk, &physician(&desk), "check-in", &mine).await;
    desk.app.clock.advance(Duration::seconds(3));
    let mut theirs = desk.request(&code);
    theirs["device_id"] = json!("phone-of-colleague");
    theirs["location"] = fix(lat + 2.5e-5, lon - 1e-5, 13.0);
    found.extend(outcome(&desk, &other.client, "check-in", &theirs).await);
    found
}

/// A phone lying on the desk: the same point at check-in and check-out.
async fn phone_on_the_desk() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(18.0);
    honest_day(&desk, 2, Some(fix(lat, lon, 6.0)), Some(fix(lat, lon, 6.0))).await
}

// ---- more fraud, as done in practice (issue 22, point 7) ---------------------------

/// A mock app with the flag hidden reporting `accuracy_m` at a spot of the clinic.
async fn mock_hidden_with_accuracy(accuracy_m: f64) -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(-33.0);
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat, lon, accuracy_m);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A mock app fed the published coordinates, with the half-metre jitter some apps add.
async fn mock_near_published_coordinates() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(SITE_LAT + 3e-6, SITE_LON - 3e-6, 8.0);
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// An honest check-in, then the check-out from home through a mock app whose flag
/// the phone still shows.
async fn mock_flag_shown_at_check_out() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(2, 13, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"]["is_mock"] = json!(true);
    outcome(&desk, &me, "check-out", &body).await
}

/// A live frame relayed to a chat group and scanned `delay_s` after it appeared, in
/// the province, with a realistic mock fix, at the default rotation period.
async fn relayed_in_province_after(delay_s: i64) -> Vec<String> {
    relayed_frame_after(xiaxiang_server::config::DEFAULT_QR_PERIOD_SECONDS, delay_s).await
}

/// A live frame relayed to someone in another province and scanned `delay_s` later
/// with a mock fix inside the fence.
async fn relayed_from_beijing_after(delay_s: i64) -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let payload = clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(delay_s));
    let (lat, lon) = spot(14.0);
    let mut body = desk.request(&payload);
    body["location"] = fix(lat, lon, 16.0);
    outcome_from(&desk, &physician(&desk), "check-in", &body, BEIJING).await
}

/// One phone, three accounts: the third account's scan.
async fn one_phone_three_accounts() -> Vec<String> {
    let desk = Desk::open().await;
    let second = colleague(&desk).await;
    let third = colleague(&desk).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::minutes(1));
    let _ = outcome(
        &desk,
        &second.client,
        "check-in",
        &desk.request(&desk.code().await),
    )
    .await;
    desk.app.clock.advance(Duration::minutes(1));
    outcome(
        &desk,
        &third.client,
        "check-in",
        &desk.request(&desk.code().await),
    )
    .await
}

/// A spoofing script working two accounts on two app clones: fixes half a metre
/// apart, the same accuracy, seconds apart, each clone its own device id.
async fn two_clones_sub_metre_apart() -> Vec<String> {
    let desk = Desk::open().await;
    let other = colleague(&desk).await;
    let code = desk.code().await;
    let (lat, lon) = spot(26.0);
    let mut mine = desk.request(&code);
    mine["location"] = fix(lat, lon, 10.0);
    accepted(desk.check_in(&mine).await);
    desk.app.clock.advance(Duration::seconds(4));
    let mut theirs = desk.request(&code);
    theirs["device_id"] = json!("clone-B");
    theirs["location"] = fix(lat + 4e-6, lon, 10.0);
    outcome(&desk, &other.client, "check-in", &theirs).await
}

/// Checked in, went home, and checked out from there with a relayed code and the
/// phone's real position.
async fn check_out_from_home_real_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(2, 16, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(SITE_LAT + 0.05, SITE_LON - 0.03, 12.0);
    outcome(&desk, &me, "check-out", &body).await
}

/// The check-out of day 3 sent with the check-in fix of day 2, drifted 0.4 m.
async fn check_out_with_yesterdays_fix() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    let (lat, lon) = spot(31.0);
    honest_day(&desk, 2, Some(fix(lat, lon, 9.0)), None).await;
    desk.app.clock.set(local(3, 9, 0));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(3, 13, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat + 2e-6, lon + 2e-6, 9.0);
    outcome(&desk, &me, "check-out", &body).await
}

/// A mock app whose fix time stays at the moment it was started, three hours ago.
async fn mock_with_frozen_fix_time() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(-28.0);
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(lat, lon, 12.0);
    body["location"]["fix_time"] = json!(desk.app.clock.now() - Duration::hours(3));
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// A photo of the printed daily sheet, sent to a colleague's chat and uploaded as an
/// "offline" scan 20 minutes later while the clinic's screen was running.
async fn daily_code_photo_as_offline_while_the_screen_ran() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let shot_at = desk.app.clock.now();
    desk.app.clock.advance(Duration::minutes(20));
    let (lat, lon) = spot(19.0);
    let mut body = desk.request(&sheet.codes[0].payload);
    body["location"] = fix(lat, lon, 13.0);
    body["scanned_at"] = json!(shot_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(shot_at - Duration::seconds(4));
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

/// The photo of the printed sheet scanned live from another province.
async fn daily_code_photo_from_another_province() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let (lat, lon) = spot(6.0);
    let mut body = desk.request(&sheet.codes[0].payload);
    body["location"] = fix(lat, lon, 15.0);
    outcome_from(&desk, &physician(&desk), "check-in", &body, BEIJING).await
}

/// The kiosk link opened in Beijing while the clinic's screen runs, and scanned there.
async fn kiosk_link_opened_in_another_province() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(20));
    let (status, leaked) = kiosk_fetch(&desk, BEIJING).await;
    assert_eq!(status, StatusCode::OK);
    let (lat, lon) = spot(-7.0);
    let mut body = desk.request(leaked["payload"].as_str().expect("payload"));
    body["location"] = fix(lat, lon, 11.0);
    let mut found = outcome_from(&desk, &physician(&desk), "check-in", &body, BEIJING).await;
    for kind in ["kiosk_second_network", "kiosk_network_far_away"] {
        found.extend(
            anomalies_of_kind(&desk, kind)
                .await
                .iter()
                .filter_map(|a| a["kind"].as_str().map(str::to_owned)),
        );
    }
    found
}

/// A real fix 400 m away declared `bd09` by a phone that always sent `wgs84`.
async fn far_fix_labelled_bd09() -> Vec<String> {
    let desk = Desk::open().await;
    honest_day(&desk, 2, None, None).await;
    let (lat, lon) = spot(11.0);
    let shifted = gcj02_to_bd09(wgs84_to_gcj02(LatLon::new(lat, lon)));
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = fix(shifted.lat, shifted.lon, 10.0);
    body["location"]["crs"] = json!("bd09");
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

// ---- fraud that phone and network data cannot show (other evidence covers it) ------

/// The physician's own phone, logged in, carried to the clinic by a colleague who
/// scans for them: every datum is genuine.
/// The programme requires a scan photo: the camera frame shows the colleague, and the
/// supervisor's monthly sample draws it.
async fn own_phone_carried_by_a_colleague() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    honest_day(&desk, 2, None, None).await;
    require_scan_photos(&desk).await;
    desk.app.clock.set(local(3, 9, 0));
    let me = physician(&desk);
    let body = desk.request(&clinic_code(&desk).await);
    let (mut found, answer) = judged(&desk, &me, "check-in", &body, Some(MOBILE_FUJIAN)).await;
    found.extend(photo_found_suspicious(&desk, &me, &answer, "照片中扫码者不是该医师本人").await);
    found
}

/// Checked in honestly, left after forty minutes, and checked out in the afternoon
/// through a frame relayed at once to home in the county, with a mock fix.
/// An unannounced inspection at 14:00 (drawn by the county's inspection plan) finds
/// the physician gone.
async fn check_out_relayed_to_the_county_with_a_mock_fix() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let _ = outcome_from(
        &desk,
        &me,
        "check-in",
        &desk.request(&clinic_code(&desk).await),
        CLINIC_WIFI,
    )
    .await;
    desk.app.clock.set(local(2, 14, 0));
    let (status, inspection) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::POST,
            "/api/v1/inspections",
            Some(json!({"site_id": desk.world.site.id, "kind": "unannounced",
                "observed_at": desk.app.clock.now(), "present_physician_ids": [],
                "absent_physician_ids": [desk.world.physician.user.id],
                "note": "暗访：医师不在岗"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inspection}");
    desk.app.clock.set(local(2, 15, 30));
    let (lat, lon) = spot(-16.0);
    let mut body = desk.request(&clinic_code(&desk).await);
    body["location"] = fix(lat, lon, 14.0);
    let (mut found, answer) = judged(&desk, &me, "check-out", &body, Some(MOBILE_FUJIAN)).await;
    let visit = answer["visit_id"].as_str().expect("visit id");
    found.extend(evidence_against(&desk, visit).await);
    found
}

/// A live frame relayed within the province and scanned `delay_s` later with a mock
/// fix, at a programme requiring scan photos: the relay phone's camera frame shows a
/// phone screen in a flat, and the supervisor's monthly sample draws it.
async fn relayed_in_province_with_scan_photo(delay_s: i64) -> Vec<String> {
    let period_s = xiaxiang_server::config::DEFAULT_QR_PERIOD_SECONDS;
    let (desk, _db) = network_desk(move |c| c.qr_period_seconds = period_s).await;
    require_scan_photos(&desk).await;
    let now = desk.app.clock.now();
    let into = now.timestamp().rem_euclid(i64::from(period_s));
    desk.app
        .clock
        .advance(Duration::seconds(i64::from(period_s) - into));
    let payload = clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(delay_s));
    let (lat, lon) = spot(-11.0);
    let mut body = desk.request(&payload);
    body["location"] = fix(lat, lon, 12.0);
    let me = physician(&desk);
    let (mut found, answer) = judged(&desk, &me, "check-in", &body, Some(MOBILE_FUJIAN)).await;
    found.extend(
        photo_found_suspicious(&desk, &me, &answer, "照片为翻拍的手机屏幕，背景是住宅").await,
    );
    found
}

// ---- more honest behaviour ----------------------------------------------------------

/// An ordinary day with fixes of `accuracy_m` at two spots `n` metres from the centre.
async fn ordinary_day_with(accuracy_m: f64, n: f64) -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(n);
    let (lat2, lon2) = spot(-n * 0.7 - 3.0);
    honest_day(
        &desk,
        2,
        Some(fix(lat, lon, accuracy_m)),
        Some(fix(lat2, lon2, (accuracy_m * 1.3).min(99.0))),
    )
    .await
}

/// Arriving 14 minutes before the window and leaving 12 minutes after it.
async fn early_and_late_within_the_quiet_edge() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    desk.app.clock.set(local(2, 7, 46));
    let mut found = outcome(&desk, &me, "check-in", &desk.request(&desk.code().await)).await;
    desk.app.clock.set(local(2, 17, 42));
    found.extend(outcome(&desk, &me, "check-out", &desk.request(&desk.code().await)).await);
    found
}

/// A village clinic whose screen is dark (no network there): the printed sheet's code
/// scanned offline at check-in and check-out, uploaded that evening from home.
async fn village_dark_screen_printed_code_offline() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let payload = sheet.codes[0].payload.clone();
    let scanned_in = local(2, 9, 0);
    let scanned_out = local(2, 14, 0);
    let mut check_in = desk.request(&payload);
    check_in["scanned_at"] = json!(scanned_in);
    check_in["offline"] = json!(true);
    check_in["location"]["fix_time"] = json!(scanned_in - Duration::seconds(5));
    let (lat, lon) = spot(-12.0);
    let mut check_out = desk.request(&payload);
    check_out["scanned_at"] = json!(scanned_out);
    check_out["offline"] = json!(true);
    check_out["location"] = fix(lat, lon, 21.0);
    check_out["location"]["fix_time"] = json!(scanned_out - Duration::seconds(7));
    desk.app.clock.set(local(2, 19, 0));
    let mut found = outcome_from(&desk, &me, "check-in", &check_in, MOBILE_FUJIAN).await;
    found.extend(outcome_from(&desk, &me, "check-out", &check_out, MOBILE_FUJIAN).await);
    found
}

/// A clinic with no screen: the printed sheet scanned live on mobile data.
async fn printed_code_live_at_a_site_without_a_screen() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let body = desk.request(&sheet.codes[0].payload);
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

/// Three colleagues arriving together on the clinic's Wi-Fi, scanning one frame within
/// ten seconds on their own phones (fixes metres apart, accuracies their own).
async fn three_colleagues_arrive_together() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let second = colleague(&desk).await;
    let third = colleague(&desk).await;
    let payload = clinic_code(&desk).await;
    let mut found = Vec::new();
    for (i, (client, device, n, accuracy)) in [
        (physician(&desk), "phone-A", 10.0, 8.0),
        (second.client.clone(), "phone-second", 14.0, 12.0),
        (third.client.clone(), "phone-third", 7.0, 18.0),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            desk.app.clock.advance(Duration::seconds(4));
        }
        let (lat, lon) = spot(n);
        let mut body = desk.request(&payload);
        body["device_id"] = json!(device);
        body["location"] = fix(lat, lon, accuracy);
        found.extend(outcome_from(&desk, &client, "check-in", &body, CLINIC_WIFI).await);
    }
    found
}

/// Two colleagues with the same phone model on the clinic's Wi-Fi: one frame two
/// seconds apart, the same accuracy, fixes three metres apart.
async fn two_colleagues_same_phone_model() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let other = colleague(&desk).await;
    let payload = clinic_code(&desk).await;
    let (lat, lon) = spot(20.0);
    let mut mine = desk.request(&payload);
    mine["location"] = fix(lat, lon, 10.0);
    let mut found = outcome_from(&desk, &physician(&desk), "check-in", &mine, CLINIC_WIFI).await;
    desk.app.clock.advance(Duration::seconds(2));
    let mut theirs = desk.request(&payload);
    theirs["device_id"] = json!("phone-of-colleague");
    theirs["location"] = fix(lat + 2.7e-5, lon, 10.0);
    found.extend(outcome_from(&desk, &other.client, "check-in", &theirs, CLINIC_WIFI).await);
    found
}

/// Check-in on the clinic's Wi-Fi, check-out on mobile data (the Wi-Fi dropped).
async fn wifi_in_mobile_data_out() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let me = physician(&desk);
    let mut found = outcome_from(
        &desk,
        &me,
        "check-in",
        &desk.request(&clinic_code(&desk).await),
        CLINIC_WIFI,
    )
    .await;
    desk.app.clock.set(local(2, 12, 30));
    found.extend(
        outcome_from(
            &desk,
            &me,
            "check-out",
            &desk.request(&clinic_code(&desk).await),
            MOBILE_FUJIAN,
        )
        .await,
    );
    found
}

/// A GCJ-02 phone on mobile data in the province, the screen running.
async fn gcj02_phone_on_mobile_data() -> Vec<String> {
    let (desk, _db) = network_desk(|_| {}).await;
    let (lat, lon) = spot(-24.0);
    let gcj = wgs84_to_gcj02(LatLon::new(lat, lon));
    let mut body = desk.request(&clinic_code(&desk).await);
    body["location"] = fix(gcj.lat, gcj.lon, 15.0);
    body["location"]["crs"] = json!("gcj02");
    outcome_from(&desk, &physician(&desk), "check-in", &body, MOBILE_FUJIAN).await
}

/// Wi-Fi positioning (accuracy 25 m): the same point at check-in, check-out and the
/// next day.
async fn wifi_positioning_two_days() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(-14.0);
    let mut found = Vec::new();
    for day in [2, 3] {
        found.extend(
            honest_day(
                &desk,
                day,
                Some(fix(lat, lon, 25.0)),
                Some(fix(lat, lon, 25.0)),
            )
            .await,
        );
    }
    found
}

/// A phone whose clock runs two minutes fast, scanning live.
async fn phone_clock_two_minutes_fast() -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["scanned_at"] = json!(desk.app.clock.now() + Duration::minutes(2));
    outcome(&desk, &physician(&desk), "check-in", &body).await
}

/// Indoors at check-in (95 m), by the window at check-out (GPS, 7 m).
async fn indoor_then_gps() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(5.0);
    let (lat2, lon2) = spot(-38.0);
    honest_day(
        &desk,
        2,
        Some(fix(lat, lon, 95.0)),
        Some(fix(lat2, lon2, 7.0)),
    )
    .await
}

/// A BD-09 phone indoors (70 m).
async fn bd09_phone_indoors() -> Vec<String> {
    let desk = Desk::open().await;
    let (lat, lon) = spot(3.0);
    let bd = gcj02_to_bd09(wgs84_to_gcj02(LatLon::new(lat, lon)));
    let mut f = fix(bd.lat, bd.lon, 70.0);
    f["crs"] = json!("bd09");
    let mut out = f.clone();
    out["lat"] = json!(bd.lat - 4e-5);
    honest_day(&desk, 2, Some(f), Some(out)).await
}

/// A check-in whose answer was lost on a bad network, retried with the same event id.
async fn retried_after_a_lost_answer() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    let body = desk.request(&desk.code().await);
    let mut found = outcome(&desk, &me, "check-in", &body).await;
    desk.app.clock.advance(Duration::seconds(20));
    found.extend(outcome(&desk, &me, "check-in", &body).await);
    found
}

/// Three days running at the same clinic, ordinary fixes.
async fn three_days_running() -> Vec<String> {
    let desk = Desk::open().await;
    let mut found = Vec::new();
    for day in [2, 3, 4] {
        found.extend(honest_day(&desk, day, None, None).await);
    }
    found
}

/// A long day: 08:05 to 17:20.
async fn a_long_day() -> Vec<String> {
    let desk = Desk::open().await;
    let me = physician(&desk);
    desk.app.clock.set(local(2, 8, 5));
    let mut found = outcome(&desk, &me, "check-in", &desk.request(&desk.code().await)).await;
    desk.app.clock.set(local(2, 17, 20));
    found.extend(outcome(&desk, &me, "check-out", &desk.request(&desk.code().await)).await);
    found
}

#[tokio::test]
async fn the_labelled_scenarios_catch_the_frauds_and_spare_the_honest() {
    // Fraud that phone and network data can show.
    let fraud = vec![
        (
            "mock location, flag hidden, 1 m accuracy",
            Box::pin(mock_hidden_precise()).await,
        ),
        (
            "mock location, flag hidden, 0 m accuracy",
            Box::pin(mock_hidden_with_accuracy(0.0)).await,
        ),
        (
            "mock location, flag hidden, 2 m accuracy",
            Box::pin(mock_hidden_with_accuracy(2.0)).await,
        ),
        (
            "mock location at the published coordinates",
            Box::pin(mock_hidden_at_published_coordinates()).await,
        ),
        (
            "mock location half a metre from the published coordinates",
            Box::pin(mock_near_published_coordinates()).await,
        ),
        (
            "mock location, flag shown",
            Box::pin(mock_flag_shown()).await,
        ),
        (
            "mock location, flag shown, at check-out from home",
            Box::pin(mock_flag_shown_at_check_out()).await,
        ),
        (
            "mock app with its fix time frozen 3 h before",
            Box::pin(mock_with_frozen_fix_time()).await,
        ),
        (
            "fix replayed next day with drift",
            Box::pin(replayed_fix_with_drift()).await,
        ),
        (
            "fix replayed next day bit for bit",
            Box::pin(replayed_fix_exact()).await,
        ),
        (
            "check-out sent with yesterday's check-in fix, 0.4 m drift",
            Box::pin(check_out_with_yesterdays_fix()).await,
        ),
        (
            "relayed QR frame, real fix at home",
            Box::pin(relayed_frame_real_fix()).await,
        ),
        (
            "check-out from home with a relayed code, real fix",
            Box::pin(check_out_from_home_real_fix()).await,
        ),
        (
            "screenshot as offline scan, cached fix",
            Box::pin(screenshot_as_offline_scan_cached_fix()).await,
        ),
        (
            "screenshot as offline scan, phone online since",
            Box::pin(screenshot_as_offline_scan_phone_online()).await,
        ),
        (
            "one phone, two accounts",
            Box::pin(one_phone_two_accounts()).await,
        ),
        (
            "one phone, three accounts",
            Box::pin(one_phone_three_accounts()).await,
        ),
        (
            "cloned app, same spoofed fix",
            Box::pin(cloned_app_same_fix()).await,
        ),
        (
            "two app clones, fixes half a metre apart, same accuracy",
            Box::pin(two_clones_sub_metre_apart()).await,
        ),
        (
            "cached fix from half an hour before",
            Box::pin(cached_fix()).await,
        ),
        (
            "real fix 600 m away labelled gcj02",
            Box::pin(mislabelled_crs()).await,
        ),
        (
            "real fix 400 m away labelled bd09",
            Box::pin(far_fix_labelled_bd09()).await,
        ),
        (
            "relayed QR frame + mock fix, from another province",
            Box::pin(relayed_frame_mock_fix_far_away()).await,
        ),
        (
            "relayed QR frame + mock fix, another province, 20 s",
            Box::pin(relayed_from_beijing_after(20)).await,
        ),
        (
            "relayed QR frame + mock fix, another province, 60 s",
            Box::pin(relayed_from_beijing_after(60)).await,
        ),
        (
            "screenshot as offline scan 3 min later, phone online since",
            Box::pin(screenshot_as_offline_scan_soon_phone_online()).await,
        ),
        (
            "kiosk link polled from a second network",
            Box::pin(kiosk_link_polled_from_a_second_network()).await,
        ),
        (
            "kiosk link opened in another province",
            Box::pin(kiosk_link_opened_in_another_province()).await,
        ),
        (
            "daily code photo while the kiosk runs",
            Box::pin(daily_code_at_a_site_with_a_live_kiosk()).await,
        ),
        (
            "daily code photo uploaded as offline while the screen ran",
            Box::pin(daily_code_photo_as_offline_while_the_screen_ran()).await,
        ),
        (
            "daily code photo scanned in another province",
            Box::pin(daily_code_photo_from_another_province()).await,
        ),
        (
            "relayed QR frame scanned 75 s after it appeared (30 s period)",
            Box::pin(relayed_frame_after(30, 75)).await,
        ),
        (
            "relayed QR frame + mock fix, in the province, 45 s",
            Box::pin(relayed_in_province_after(45)).await,
        ),
        (
            "relayed QR frame + mock fix, in the province, 60 s",
            Box::pin(relayed_in_province_after(60)).await,
        ),
        (
            "relayed QR frame + mock fix, in the province, 90 s",
            Box::pin(relayed_in_province_after(90)).await,
        ),
    ];
    // Fraud every datum of which looks honest: labelled, counted apart, covered by the
    // clinic's confirmation, the scan photo and inspections (docs/anomalies-fraud.md).
    let needs_other_evidence = vec![
        (
            "relayed QR frame + mock fix, realistic accuracy, at once",
            Box::pin(relayed_frame_mock_fix()).await,
        ),
        (
            "relayed QR frame + mock fix, in the province, 25 s",
            Box::pin(relayed_in_province_with_scan_photo(25)).await,
        ),
        (
            "screenshot as offline scan, forged fix time, phone never online",
            Box::pin(screenshot_as_offline_scan_forged_fix()).await,
        ),
        (
            "own phone carried to the clinic by a colleague",
            Box::pin(own_phone_carried_by_a_colleague()).await,
        ),
        (
            "left early; check-out relayed to the county with a mock fix",
            Box::pin(check_out_relayed_to_the_county_with_a_mock_fix()).await,
        ),
    ];
    // The honest set goes through the evidence channels too: every accepted scan's
    // photo is uploaded and found ordinary, the clinic confirms every visit.
    let honest = CHANNELS
        .scope(Channels::Honest, async {
            let mut honest = vec![
                ("ordinary day", Box::pin(ordinary_day()).await),
                (
                    "indoor fixes 65-99 m, three days",
                    Box::pin(indoor_fixes()).await,
                ),
                ("GCJ-02 phone, two days", Box::pin(gcj02_phone()).await),
                ("BD-09 phone, two days", Box::pin(bd09_phone()).await),
                (
                    "village offline an hour",
                    Box::pin(village_offline_an_hour()).await,
                ),
                (
                    "arriving ten minutes early",
                    Box::pin(arriving_early()).await,
                ),
                (
                    "new phone, moved by self-service first",
                    Box::pin(new_phone()).await,
                ),
                (
                    "new phone, binding moved first (PUT /me/device)",
                    Box::pin(new_phone_binding_moved()).await,
                ),
                (
                    "Wi-Fi positioning, same point three days",
                    Box::pin(wifi_positioning()).await,
                ),
                (
                    "two colleagues, one frame, own phones",
                    Box::pin(colleagues_same_frame()).await,
                ),
                (
                    "phone on the desk all visit",
                    Box::pin(phone_on_the_desk()).await,
                ),
                (
                    "new phone, move approved by the hospital",
                    Box::pin(new_phone_move_approved()).await,
                ),
                (
                    "clinic Wi-Fi (the kiosk's network)",
                    Box::pin(clinic_wifi_day()).await,
                ),
                (
                    "mobile data in the province",
                    Box::pin(mobile_data_day()).await,
                ),
                (
                    "village offline all day, uploaded an hour later",
                    Box::pin(village_offline_day_uploaded_later()).await,
                ),
                (
                    "arriving 14 min early, leaving 12 min late",
                    Box::pin(early_and_late_within_the_quiet_edge()).await,
                ),
                (
                    "village, dark screen, printed code offline, uploaded at night",
                    Box::pin(village_dark_screen_printed_code_offline()).await,
                ),
                (
                    "printed code live at a clinic without a screen",
                    Box::pin(printed_code_live_at_a_site_without_a_screen()).await,
                ),
                (
                    "three colleagues arrive together on the clinic Wi-Fi",
                    Box::pin(three_colleagues_arrive_together()).await,
                ),
                (
                    "two colleagues, same phone model, 3 m apart",
                    Box::pin(two_colleagues_same_phone_model()).await,
                ),
                (
                    "Wi-Fi in, mobile data out",
                    Box::pin(wifi_in_mobile_data_out()).await,
                ),
                (
                    "GCJ-02 phone on mobile data",
                    Box::pin(gcj02_phone_on_mobile_data()).await,
                ),
                (
                    "Wi-Fi positioning 25 m, same point two days",
                    Box::pin(wifi_positioning_two_days()).await,
                ),
                (
                    "phone clock two minutes fast",
                    Box::pin(phone_clock_two_minutes_fast()).await,
                ),
                (
                    "indoors in (95 m), GPS out (7 m)",
                    Box::pin(indoor_then_gps()).await,
                ),
                (
                    "BD-09 phone indoors (70 m)",
                    Box::pin(bd09_phone_indoors()).await,
                ),
                (
                    "check-in retried after a lost answer",
                    Box::pin(retried_after_a_lost_answer()).await,
                ),
                ("three days running", Box::pin(three_days_running()).await),
                ("a long day, 08:05 to 17:20", Box::pin(a_long_day()).await),
            ];
            // Ordinary days at every accuracy a phone reports outdoors and indoors.
            for (accuracy, n) in [
                (3.5, 8.0),
                (4.8, 30.0),
                (6.0, -12.0),
                (7.5, 44.0),
                (9.0, 18.0),
                (11.0, -36.0),
                (13.0, 25.0),
                (16.0, -9.0),
                (40.0, -27.0),
                (20.0, 40.0),
                (24.0, -22.0),
                (32.0, 12.0),
                (45.0, -40.0),
                (58.0, 33.0),
                (72.0, -15.0),
                (88.0, 21.0),
            ] {
                let name: &str = format!("ordinary day, {accuracy} m accuracy").leak();
                honest.push((name, Box::pin(ordinary_day_with(accuracy, n)).await));
            }
            // Slow rural networks at the default period: the code shown at the very end of its
            // period, arriving 3-12 s later, from phones whose clocks are right or 30 s off.
            let period = xiaxiang_server::config::DEFAULT_QR_PERIOD_SECONDS;
            for (delay, skew) in [(3, 0), (8, 0), (12, 0), (12, 30), (12, -30)] {
                let name: &str =
                    format!("slow network: {delay} s to arrive, clock {skew:+} s").leak();
                honest.push((
                    name,
                    Box::pin(slow_network_skewed(period, delay, skew)).await,
                ));
            }
            honest
        })
        .await;
    println!("fraud scenarios (caught = refused or any anomaly):");
    for (name, found) in &fraud {
        println!(
            "  {:<6} {name}: {found:?}",
            if found.is_empty() { "MISSED" } else { "caught" }
        );
    }
    println!(
        "fraud phone data cannot show, through the evidence channels (clinic confirmation, \
         scan photo, inspection):"
    );
    for (name, found) in &needs_other_evidence {
        let label = match (phone_sees(found), evidence_sees(found)) {
            (true, _) => "caught",
            (false, true) => "evidence",
            (false, false) => "MISSED",
        };
        println!("  {label:<8} {name}: {found:?}");
    }
    println!(
        "honest scenarios (flagged = refused or any anomaly, from the scans or the evidence \
         channels):"
    );
    for (name, found) in &honest {
        println!(
            "  {:<7} {name}: {found:?}",
            if found.is_empty() { "clean" } else { "FLAGGED" }
        );
    }
    // The rotation period, measured: a frame relayed through a chat app and scanned
    // 20-90 s after it appeared, against honest scans of a code at the very end of its
    // period reaching the server 3-12 s later, from phones whose clocks are right or
    // 30 s off either way.
    println!("rotation period (relayed frame caught? / honest slow scans clean?):");
    for period in [30, 20, 15, 10] {
        let mut relays = Vec::new();
        for delay in [20, 30, 45, 60, 90] {
            relays.push(format!(
                "{delay}s:{}",
                if Box::pin(relayed_frame_after(period, delay))
                    .await
                    .is_empty()
                {
                    "missed"
                } else {
                    "caught"
                }
            ));
        }
        let mut honest_slow = Vec::new();
        for (delay, skew) in [(3, 0), (8, 0), (12, 0), (12, 30), (12, -30)] {
            let found = Box::pin(slow_network_skewed(period, delay, skew)).await;
            honest_slow.push(format!(
                "{delay}s{skew:+}:{}",
                if found.is_empty() {
                    "clean".to_owned()
                } else {
                    format!("{found:?}")
                }
            ));
        }
        println!(
            "  period {period:>2} s: relays {}; honest {}",
            relays.join(" "),
            honest_slow.join(" ")
        );
    }
    let caught = fraud.iter().filter(|(_, f)| phone_sees(f)).count();
    let seen = needs_other_evidence
        .iter()
        .filter(|(_, f)| phone_sees(f))
        .count();
    let covered = needs_other_evidence
        .iter()
        .filter(|(_, f)| phone_sees(f) || evidence_sees(f))
        .count();
    let flagged_by_scans = honest.iter().filter(|(_, f)| phone_sees(f)).count();
    let flagged = honest.iter().filter(|(_, f)| !f.is_empty()).count();
    let all = fraud.len() + needs_other_evidence.len();
    println!(
        "fraud caught from phone and network data alone: {}/{all} ({:.0} %); \
         {caught}/{} ({:.0} %) of the fraud that data can show",
        caught + seen,
        100.0 * (caught + seen) as f64 / all as f64,
        fraud.len(),
        100.0 * caught as f64 / fraud.len() as f64,
    );
    println!(
        "fraud caught with the evidence channels: {}/{all} ({:.0} %)",
        caught + covered,
        100.0 * (caught + covered) as f64 / all as f64,
    );
    println!(
        "honest flagged: {flagged}/{} ({:.1} %) with the evidence channels, \
         {flagged_by_scans} by the scans alone",
        honest.len(),
        100.0 * flagged as f64 / honest.len() as f64
    );
    // Every honest scenario's scans went through the evidence channels (at least one
    // accepted scan each).
    let played = HONEST_EVIDENCE_PLAYED.load(std::sync::atomic::Ordering::Relaxed);
    println!("honest scans through the evidence channels: {played}");
    assert!(
        played >= honest.len(),
        "only {played} honest scans met the evidence channels"
    );
    // A fraud the evidence channels catch leaves its visit uncredited (held or denied).
    for (name, found) in &needs_other_evidence {
        if evidence_sees(found) {
            assert!(
                found.iter().any(|f| f.starts_with("credit:"))
                    && !found.iter().any(|f| f == "credit:creditable"),
                "{name}: {found:?}"
            );
        }
    }
    // The goal of issue 22: at least 95 % of fraud caught, at most 2 % of honest
    // visits flagged; held for the fraud phone and network data can show, and for all
    // fraud once the evidence channels (clinic confirmation, scan photo, inspection)
    // play their part.
    assert!(
        caught * 100 >= fraud.len() * 95,
        "fraud caught {caught}/{}",
        fraud.len()
    );
    assert!(
        (caught + covered) * 100 >= all * 95,
        "fraud caught with the evidence channels {}/{all}",
        caught + covered
    );
    assert!(
        flagged * 100 <= honest.len() * 2,
        "honest flagged {flagged}/{}",
        honest.len()
    );
}

/// Whether the scans themselves were refused or raised anything.
fn phone_sees(found: &[String]) -> bool {
    found
        .iter()
        .any(|f| !f.starts_with(EVIDENCE) && !f.starts_with("credit:"))
}

/// Whether the evidence channels hold anything against the visit.
fn evidence_sees(found: &[String]) -> bool {
    found.iter().any(|f| f.starts_with(EVIDENCE))
}
