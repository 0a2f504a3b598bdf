//! The history detectors through the real server: each fires on its case and stays
//! silent on the honest twin.

use chrono::Duration;
use mobile_api::*;
use serde_json::{Value, json};

use crate::checkin::{Desk, accepted, local, refused};
use crate::helpers::*;
use xiaxiang_server::domain::clock::Clock;

fn reasons(answer: &Value) -> Vec<String> {
    answer["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A second site ~150 km away (the world's other site) where the physician is assigned too.
/// Its kiosk's client and the programme of the assignment there.
async fn far_site(desk: &Desk) -> (mobile_api::client::Client, uuid::Uuid) {
    let program = desk
        .app
        .admin
        .create_program(&CreateProgram {
            name: "福建省巡诊".into(),
            jurisdiction_code: "350000".into(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: desk.world.physician.user.id,
            site_id: desk.world.other_site.id,
            program_id: program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "07:00".into(),
            window_end: "20:00".into(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");
    let kiosk = desk
        .app
        .admin
        .enroll_kiosk(desk.world.other_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    (desk.app.client(&kiosk.token), program.id)
}

/// A longitude about 20 m east of the far site's centre (its fence is 150 m around
/// 24.90, 118.62): inside the fence, and never within the metre of the centre that
/// `fix_at_fence_centre` flags, whatever latitude `jitter` gives.
const FAR_LON: f64 = 118.6202;

async fn visit_then_far_check_in(gap: Duration) -> Vec<String> {
    let desk = Desk::open().await;
    let (far, _) = far_site(&desk).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(4));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(gap);
    let code = far.kiosk_code().await.expect("code").payload;
    let mut body = desk.request(&code);
    body["location"]["lat"] = json!(jitter(24.90));
    body["location"]["lon"] = json!(FAR_LON);
    reasons(&accepted(desk.check_in(&body).await))
}

#[tokio::test]
async fn arriving_150_km_away_ten_minutes_later_is_impossible_travel() {
    assert!(
        visit_then_far_check_in(Duration::minutes(10))
            .await
            .contains(&"impossible_travel".to_owned())
    );
}

#[tokio::test]
async fn arriving_150_km_away_two_hours_later_is_honest() {
    assert!(visit_then_far_check_in(Duration::hours(2)).await.is_empty());
}

/// A colleague of the desk's physician, assigned to the site for March.
pub(crate) async fn colleague(desk: &Desk) -> Person {
    let colleague = desk
        .app
        .person(Role::Physician, Some(desk.world.hospital.id), None)
        .await;
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: colleague.user.id,
            site_id: desk.world.site.id,
            program_id: desk.world.program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "08:00".into(),
            window_end: "17:30".into(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");
    colleague
}

async fn two_physicians_one_code(same_device: bool) -> Vec<String> {
    let desk = Desk::open().await;
    let colleague = colleague(&desk).await;
    let code = desk.code().await;
    let mine = desk.request(&code);
    accepted(desk.check_in(&mine).await);
    let mut theirs = desk.request(&code);
    if !same_device {
        // Their own phone, beside mine: a few metres off, its own accuracy.
        theirs["device_id"] = json!("phone-of-colleague");
        theirs["location"]["lat"] =
            json!(mine["location"]["lat"].as_f64().unwrap_or(SITE_LAT) + 0.00004);
        theirs["location"]["accuracy_m"] = json!(8.0);
    }
    reasons(&accepted(
        desk.post(&colleague.client, "check-in", &theirs).await,
    ))
}

#[tokio::test]
async fn one_phone_checking_in_two_physicians_is_code_shared() {
    // The phone is bound to the first physician: `device_shared` names them too.
    assert_eq!(
        two_physicians_one_code(true).await,
        vec!["code_shared".to_owned(), "device_shared".to_owned()]
    );
}

#[tokio::test]
async fn two_physicians_scanning_the_same_frame_on_their_own_phones_is_honest() {
    assert!(two_physicians_one_code(false).await.is_empty());
}

/// Checks in on day 2 at `first`, out, then in on day 3 at `then`; the day-3 reasons.
async fn fixes_on_two_days(first: Value, then: Value) -> Vec<String> {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"] = first.clone();
    accepted(desk.check_in(&body).await);
    desk.app.clock.advance(Duration::hours(4));
    // The phone has not moved: the same point at check-out, within the visit.
    let mut out = desk.request(&desk.code().await);
    out["location"] = first;
    accepted(desk.check_out(&out).await);
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["location"] = then;
    reasons(&accepted(desk.check_in(&body).await))
}

fn at(lat: f64, lon: f64, accuracy_m: f64) -> Value {
    json!({"lat": lat, "lon": lon, "accuracy_m": accuracy_m, "crs": "wgs84", "is_mock": false})
}

const HERE: (f64, f64) = (SITE_LAT + 0.0003, SITE_LON + 0.0002);

#[tokio::test]
async fn a_fix_replayed_the_next_day_exactly_or_half_a_metre_off_is_a_repeated_fix() {
    let exact = fixes_on_two_days(at(HERE.0, HERE.1, 9.0), at(HERE.0, HERE.1, 9.0)).await;
    assert_eq!(exact, vec!["repeated_fix".to_owned()]);
    let drifted = fixes_on_two_days(
        at(HERE.0, HERE.1, 9.0),
        at(HERE.0 + 0.000_004_5, HERE.1, 9.0),
    )
    .await;
    assert_eq!(drifted, vec!["repeated_fix".to_owned()]);
    // Five metres off: an honest fix at the same desk.
    let honest =
        fixes_on_two_days(at(HERE.0, HERE.1, 9.0), at(HERE.0 + 0.000_045, HERE.1, 9.0)).await;
    assert!(honest.is_empty(), "{honest:?}");
}

#[tokio::test]
async fn wifi_positioning_repeating_a_point_exactly_is_honest() {
    let wifi = fixes_on_two_days(at(HERE.0, HERE.1, 35.0), at(HERE.0, HERE.1, 35.0)).await;
    assert!(wifi.is_empty(), "{wifi:?}");
}

#[tokio::test]
async fn the_same_point_at_check_in_and_check_out_of_one_visit_is_honest() {
    let desk = Desk::open().await;
    let first = desk.request(&desk.code().await);
    accepted(desk.check_in(&first).await);
    desk.app.clock.advance(Duration::hours(4));
    let mut out = desk.request(&desk.code().await);
    out["location"] = first["location"].clone();
    let answer = accepted(desk.check_out(&out).await);
    assert!(reasons(&answer).is_empty(), "{answer}");
}

#[tokio::test]
async fn a_mock_fix_at_the_fence_centre_claiming_zero_metres_from_hours_ago_is_flagged_thrice() {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    let now = desk.app.clock.now();
    body["location"] = json!({"lat": SITE_LAT, "lon": SITE_LON, "accuracy_m": 0.0, "crs": "wgs84",
        "is_mock": false, "fix_time": now - Duration::hours(2)});
    let mut found = reasons(&accepted(desk.check_in(&body).await));
    found.sort();
    assert_eq!(
        found,
        vec!["fix_at_fence_centre", "implausible_accuracy", "stale_fix"]
    );
    // An indoor fix of 80 m taken 20 s before the scan: honest.
    desk.app.clock.set(local(3, 9, 0));
    let mut honest = desk.request(&desk.code().await);
    honest["location"]["accuracy_m"] = json!(80.0);
    honest["location"]["fix_time"] = json!(desk.app.clock.now() - Duration::seconds(20));
    let answer = accepted(desk.check_in(&honest).await);
    assert!(reasons(&answer).is_empty(), "{answer}");
}

#[tokio::test]
async fn a_far_fix_relabelled_gcj02_by_a_wgs84_phone_is_mislabelled() {
    use xiaxiang_server::domain::coords::{LatLon, wgs84_to_gcj02};
    // Where a GCJ-02 phone at the site would report; read as WGS-84, it is ~500 m away.
    let inside = LatLon::new(HERE.0, HERE.1);
    let shifted = wgs84_to_gcj02(inside);
    let wgs = at(HERE.0, HERE.1, 9.0);
    // The physician's phone sends WGS-84 on day 2; on day 3 it sends a real fix taken
    // where the GCJ-02 point lies, declared gcj02, so conversion carries it onto the site.
    let mut relabelled = at(shifted.lat, shifted.lon, 9.0);
    relabelled["crs"] = json!("gcj02");
    let mut found = fixes_on_two_days(wgs, relabelled.clone()).await;
    found.sort();
    assert_eq!(found, vec!["crs_changed", "crs_mislabelled"]);
    // A phone that has always sent GCJ-02: honest.
    let mut first = at(shifted.lat + 0.0002, shifted.lon, 9.0);
    first["crs"] = json!("gcj02");
    let honest = fixes_on_two_days(first, relabelled).await;
    assert!(honest.is_empty(), "{honest:?}");
}

#[tokio::test]
async fn a_phone_bound_to_a_colleague_is_device_shared_naming_them() {
    let desk = Desk::open().await;
    let colleague = colleague(&desk).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(1));
    // Later, with another code, the colleague's account on the physician's phone.
    let theirs = desk.request(&desk.next_code().await);
    let answer = accepted(desk.post(&colleague.client, "check-in", &theirs).await);
    assert_eq!(reasons(&answer), vec!["device_shared".to_owned()]);
    let anomalies = desk
        .app
        .admin
        .anomalies("kind=device_shared")
        .await
        .expect("anomalies");
    let shared = &anomalies.items[0];
    assert_eq!(shared.severity, "high");
    assert_eq!(shared.physician_id, Some(colleague.user.id));
    assert!(
        shared.summary_zh.contains("此手机已绑定"),
        "{}",
        shared.summary_zh
    );
}

#[tokio::test]
async fn accounts_scanning_as_one_phone_are_a_group_scan() {
    let desk = Desk::open().await;
    let colleague = colleague(&desk).await;
    let code = desk.code().await;
    let mine = desk.request(&code);
    accepted(desk.check_in(&mine).await);
    desk.app.clock.advance(Duration::seconds(4));
    // A cloned app (its own device id), the same spoofed fix but for a few centimetres.
    let mut theirs = desk.request(&code);
    theirs["device_id"] = json!("clone-2");
    theirs["location"] = mine["location"].clone();
    theirs["location"]["lat"] =
        json!(mine["location"]["lat"].as_f64().unwrap_or(SITE_LAT) + 0.000_002);
    let answer = accepted(desk.post(&colleague.client, "check-in", &theirs).await);
    assert_eq!(reasons(&answer), vec!["group_scan".to_owned()]);
}

/// The physician and a colleague scan at the site, then both at the far site four
/// hours later, the colleague `gap` after the physician each time; with
/// `CHECKIN_PAIRED_SITES` at 2, the colleague's second scan's reasons.
async fn two_accounts_at_two_sites(gap: Duration) -> Vec<String> {
    let desk = Desk::open_with(|c| c.detection.paired_sites = 2).await;
    let other = colleague(&desk).await;
    let (far, far_program) = far_site(&desk).await;
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: other.user.id,
            site_id: desk.world.other_site.id,
            program_id: far_program,
            mode: AssignmentMode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "07:00".into(),
            window_end: "20:00".into(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");
    let code = desk.code().await;
    accepted(desk.check_in(&desk.request(&code)).await);
    desk.app.clock.advance(gap);
    let mut theirs = desk.request(&desk.code().await);
    theirs["device_id"] = json!("phone-of-colleague");
    accepted(desk.post(&other.client, "check-in", &theirs).await);
    desk.app.clock.advance(Duration::hours(4));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    let mut theirs = desk.request(&desk.code().await);
    theirs["device_id"] = json!("phone-of-colleague");
    accepted(desk.post(&other.client, "check-out", &theirs).await);
    desk.app.clock.advance(Duration::hours(4));
    let far_code = far.kiosk_code().await.expect("code").payload;
    let mut mine = desk.request(&far_code);
    mine["location"]["lat"] = json!(jitter(24.90));
    mine["location"]["lon"] = json!(FAR_LON);
    accepted(desk.check_in(&mine).await);
    desk.app.clock.advance(gap);
    let far_code = far.kiosk_code().await.expect("code").payload;
    let mut theirs = desk.request(&far_code);
    theirs["device_id"] = json!("phone-of-colleague");
    theirs["location"]["lat"] = json!(jitter(24.90) + 0.0001);
    theirs["location"]["lon"] = json!(FAR_LON);
    theirs["location"]["accuracy_m"] = json!(17.0);
    reasons(&accepted(
        desk.post(&other.client, "check-in", &theirs).await,
    ))
}

#[tokio::test]
async fn two_accounts_scanning_seconds_apart_at_two_sites_are_paired_when_two_is_the_bar() {
    assert_eq!(
        two_accounts_at_two_sites(Duration::seconds(5)).await,
        vec!["paired_accounts".to_owned()]
    );
}

#[tokio::test]
async fn two_colleagues_minutes_apart_at_the_same_sites_are_not_paired() {
    let found = two_accounts_at_two_sites(Duration::minutes(3)).await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn arriving_ten_minutes_early_is_ordinary() {
    let desk = Desk::open().await;
    desk.app.clock.set(local(2, 7, 50));
    let answer = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    assert!(reasons(&answer).is_empty(), "{answer}");
}

#[tokio::test]
async fn a_village_scan_uploaded_an_hour_later_from_a_phone_offline_since_is_not_late() {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let payload = desk.code().await;
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(scanned_at);
    body["offline"] = json!(true);
    body["location"]["fix_time"] = json!(scanned_at - Duration::seconds(12));
    desk.app.clock.advance(Duration::hours(1));
    let answer = accepted(desk.check_in(&body).await);
    assert!(reasons(&answer).is_empty(), "{answer}");
    let visits = desk.visits().await;
    assert_eq!(visits[0].checked_in_at, scanned_at);
}

/// Point 2: an "offline" scan from a phone that was online since is judged as a live
/// scan, on arrival: its code has long expired (the phone page uploads its queue as
/// soon as it has a network, before any new scan, so an honest queue never meets this).
#[tokio::test]
async fn an_offline_upload_from_a_phone_that_made_a_live_request_since_is_judged_as_online() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(4));
    let scanned_at = desk.app.clock.now();
    let mut held = desk.request(&desk.code().await);
    held["scanned_at"] = json!(scanned_at);
    held["offline"] = json!(true);
    held["location"]["fix_time"] = json!(scanned_at - Duration::seconds(10));
    // Two minutes later the phone is online: a live (refused) second check-in.
    desk.app.clock.advance(Duration::minutes(2));
    let (status, _) = desk.check_in(&desk.request(&desk.code().await)).await;
    assert_eq!(status.as_u16(), 422);
    // Within the late-sync limit, and still refused: judged as online.
    desk.app.clock.advance(Duration::minutes(1));
    refused(desk.check_out(&held).await, "code_expired");
    // The same upload from a phone that was offline throughout is accepted.
    let mut fresh = held.clone();
    fresh["client_event_id"] = json!(uuid::Uuid::new_v4());
    fresh["scanned_at"] = json!(desk.app.clock.now());
    fresh["qr_payload"] = json!(desk.code().await);
    fresh["location"]["fix_time"] = json!(desk.app.clock.now() - Duration::seconds(10));
    desk.app.clock.advance(Duration::minutes(30));
    let answer = accepted(desk.check_out(&fresh).await);
    assert_eq!(reasons(&answer), Vec::<String>::new());
}

/// Moves the physician's binding to `device` through `PUT /api/v1/me/device`.
async fn move_device(
    desk: &Desk,
    client: &mobile_api::client::Client,
    device: &str,
) -> (reqwest::StatusCode, Value) {
    desk.app
        .send(
            client,
            reqwest::Method::PUT,
            "/api/v1/me/device",
            Some(json!({ "device_id": device })),
        )
        .await
}

#[tokio::test]
async fn a_physician_moves_the_binding_to_a_new_phone_once_per_period_and_it_then_raises_nothing() {
    let desk = Desk::open_with(|c| c.detection.device_self_move_days = 1).await;
    let me = desk.world.physician.client.clone();
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(4));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);

    // The first self-service move is granted at once, the second within the period not.
    let (status, binding) = move_device(&desk, &me, "phone-spare").await;
    assert_eq!(status.as_u16(), 200, "{binding}");
    let (status, problem) = move_device(&desk, &me, "phone-new").await;
    assert_eq!(status.as_u16(), 409, "{problem}");
    assert_eq!(problem["code"], "device_move_too_soon");

    desk.app.clock.set(local(4, 9, 0));
    let (status, binding) = move_device(&desk, &me, "phone-new").await;
    assert_eq!(status.as_u16(), 200, "{binding}");
    assert_eq!(binding["device_id"], "phone-new");
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!("phone-new");
    let answer = accepted(desk.check_in(&body).await);
    assert!(reasons(&answer).is_empty(), "{answer}");
    // The old phone is now the new one.
    desk.app.clock.advance(Duration::hours(4));
    let answer = accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    assert_eq!(reasons(&answer), vec!["new_device".to_owned()]);

    // A colleague cannot take over the physician's phone, and bad input is a 400.
    let other = colleague(&desk).await;
    let (status, problem) = move_device(&desk, &other.client, "phone-new").await;
    assert_eq!(status.as_u16(), 409, "{problem}");
    assert_eq!(problem["code"], "device_bound_elsewhere");
    let (status, problem) = move_device(&desk, &me, "  ").await;
    assert_eq!(status.as_u16(), 400, "{problem}");
    assert_eq!(problem["code"], "invalid_request");
    let (status, _) = move_device(&desk, &desk.app.admin, "phone-x").await;
    assert_eq!(status.as_u16(), 403);
}
