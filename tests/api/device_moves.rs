//! Moving a device binding by request (#22 point 6): the physician asks, a hospital
//! administrator of their hospital (or a supervisor within reach) decides, the decision
//! is audited, and after approval the new phone raises nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::checkin::{Desk, accepted, local};
use crate::helpers::*;

const REQUESTS: &str = "/api/v1/me/device-move-requests";

async fn ask(desk: &Desk, device: &str) -> (StatusCode, Value) {
    desk.app
        .send(
            &desk.world.physician.client,
            Method::POST,
            REQUESTS,
            Some(json!({"device_id": device, "note": "旧手机摔坏了"})),
        )
        .await
}

async fn decide(
    desk: &Desk,
    client: &mobile_api::client::Client,
    id: &str,
    decision: &str,
) -> (StatusCode, Value) {
    desk.app
        .send(
            client,
            Method::POST,
            &format!("/api/v1/device-move-requests/{id}/decision"),
            Some(json!({"decision": decision, "note": "已核实"})),
        )
        .await
}

/// Scans on day 3 from `device`: the answer's reasons.
async fn scan_from(desk: &Desk, device: &str) -> Vec<String> {
    desk.app.clock.set(local(3, 9, 0));
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!(device);
    let answer = accepted(desk.check_in(&body).await);
    answer["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Day 2 from the old phone, so that a binding exists.
pub(crate) async fn honest_day_on_old_phone(desk: &Desk) {
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(2, 13, 0));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
}

/// Asks for a move to `device` and has the hospital administrator approve it.
pub(crate) async fn approved_move(desk: &Desk, device: &str) {
    let (status, request) = ask(desk, device).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().expect("id").to_owned();
    let admin = desk.world.hospital_admin.client.clone();
    let (status, decided) = decide(desk, &admin, &id, "approve").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
}

#[tokio::test]
async fn an_approved_move_binds_the_new_phone_which_then_raises_nothing() {
    let desk = Desk::open().await;
    honest_day_on_old_phone(&desk).await;
    let (status, request) = ask(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["status"], "pending");
    assert_eq!(request["current_device_id"], "phone-A");
    assert_eq!(request["note"], "旧手机摔坏了");
    // One request waits at a time.
    assert_problem(
        ask(&desk, "phone-newer").await,
        StatusCode::CONFLICT,
        "device_move_pending",
    );

    // The hospital's administrator sees it among the pending requests.
    let (status, pending) = desk
        .app
        .send(
            &desk.world.hospital_admin.client,
            Method::GET,
            "/api/v1/device-move-requests",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    let items = pending["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["physician_id"],
        json!(desk.world.physician.user.id)
    );

    let id = request["id"].as_str().expect("id").to_owned();
    // A physician cannot decide; a bad decision names the field.
    let physician = desk.world.physician.client.clone();
    assert_eq!(
        decide(&desk, &physician, &id, "approve").await.0,
        StatusCode::FORBIDDEN
    );
    let admin = desk.world.hospital_admin.client.clone();
    let problem = assert_problem(
        decide(&desk, &admin, &id, "maybe").await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("decision")
    );
    let (status, decided) = decide(&desk, &admin, &id, "approve").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["current_device_id"], "phone-new");
    assert_eq!(
        decided["decided_by"],
        json!(desk.world.hospital_admin.user.id)
    );
    assert_problem(
        decide(&desk, &admin, &id, "reject").await,
        StatusCode::CONFLICT,
        "device_move_decided",
    );

    // The new phone raises nothing; the old one is now the stranger.
    assert_eq!(scan_from(&desk, "phone-new").await, Vec::<String>::new());

    // The physician sees the decision; the audit log holds request and approval.
    let (_, mine) = desk.app.send(&physician, Method::GET, REQUESTS, None).await;
    assert_eq!(mine["items"][0]["status"], "approved");
    assert_eq!(mine["items"][0]["decision_note"], "已核实");
    let (status, log) = desk
        .app
        .send(
            &desk.app.admin,
            Method::GET,
            "/api/v1/audit?limit=500",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let text = log.to_string();
    assert!(
        text.contains("device_move.request") && text.contains("device_move.approve"),
        "{text}"
    );
}

#[tokio::test]
async fn a_rejected_move_leaves_the_binding_and_others_cannot_reach_the_request() {
    let desk = Desk::open().await;
    honest_day_on_old_phone(&desk).await;
    let (_, request) = ask(&desk, "phone-new").await;
    let id = request["id"].as_str().expect("id").to_owned();
    // A supervisor of another jurisdiction: not found.
    let other = desk.world.other_supervisor.client.clone();
    assert_eq!(
        decide(&desk, &other, &id, "approve").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, listed) = desk
        .app
        .send(&other, Method::GET, "/api/v1/device-move-requests", None)
        .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(0));
    // The supervisor within reach rejects it.
    let supervisor = desk.world.supervisor.client.clone();
    let (status, decided) = decide(&desk, &supervisor, &id, "reject").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "rejected");
    assert_eq!(decided["current_device_id"], "phone-A");
    assert_eq!(
        scan_from(&desk, "phone-new").await,
        vec!["new_device".to_owned()]
    );
    // Decided requests are listed on asking for them.
    let (_, all) = desk
        .app
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/device-move-requests?status=all",
            None,
        )
        .await;
    assert_eq!(all["items"][0]["status"], "rejected");
    let (status, _) = desk
        .app
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/device-move-requests?status=later",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A self-service move to `device`: the answer.
pub(crate) async fn self_move(desk: &Desk, device: &str) -> (StatusCode, Value) {
    desk.app
        .send(
            &desk.world.physician.client,
            Method::POST,
            REQUESTS,
            Some(json!({"device_id": device, "self_service": true})),
        )
        .await
}

#[tokio::test]
async fn a_self_service_move_is_granted_once_per_period_then_becomes_a_request() {
    let desk = Desk::open().await;
    honest_day_on_old_phone(&desk).await;
    let physician = desk.world.physician.client.clone();
    // The phone page asks which phone is bound: not this one, a move is granted now.
    let (status, mine) = desk
        .app
        .send(&physician, Method::GET, "/api/v1/me/device", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["device_id"], "phone-A");
    assert_eq!(mine["self_move_from"], Value::Null);

    // The same phone: nothing to move.
    assert_problem(
        self_move(&desk, "phone-A").await,
        StatusCode::CONFLICT,
        "device_already_bound",
    );
    let (status, moved) = self_move(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["status"], "approved");
    assert_eq!(moved["self_service"], true);
    assert_eq!(moved["current_device_id"], "phone-new");
    assert_eq!(moved["decided_by"], json!(desk.world.physician.user.id));
    // The next scan from the new phone raises nothing.
    assert_eq!(scan_from(&desk, "phone-new").await, Vec::<String>::new());

    // A second self-service move within the period waits for the hospital instead.
    let (_, mine) = desk
        .app
        .send(&physician, Method::GET, "/api/v1/me/device", None)
        .await;
    assert_eq!(mine["device_id"], "phone-new");
    assert!(mine["self_move_from"].is_string(), "{mine}");
    let (status, asked) = self_move(&desk, "phone-third").await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["status"], "pending");
    assert_eq!(asked["self_service"], false);
    assert_eq!(asked["current_device_id"], "phone-new");
    let (_, mine) = desk
        .app
        .send(&physician, Method::GET, "/api/v1/me/device", None)
        .await;
    assert_eq!(mine["pending_request"], asked["id"]);
    // The hospital's administrator sees it as an ordinary pending request.
    let (_, pending) = desk
        .app
        .send(
            &desk.world.hospital_admin.client,
            Method::GET,
            "/api/v1/device-move-requests",
            None,
        )
        .await;
    assert_eq!(pending["items"][0]["id"], asked["id"]);

    // A phone bound to a colleague cannot be taken over by a self-service move.
    let colleague = crate::detectors::colleague(&desk).await;
    let mut body = desk.request(&desk.code().await);
    body["device_id"] = json!("phone-of-colleague");
    let (status, _) = desk
        .app
        .send(
            &colleague.client,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_problem(
        self_move(&desk, "phone-of-colleague").await,
        StatusCode::CONFLICT,
        "device_bound_elsewhere",
    );

    // Audited as a self-service move and as a request.
    let (_, log) = desk
        .app
        .send(
            &desk.app.admin,
            Method::GET,
            "/api/v1/audit?limit=500",
            None,
        )
        .await;
    let text = log.to_string();
    assert!(
        text.contains("device_move.self") && text.contains("device_move.request"),
        "{text}"
    );
}

#[tokio::test]
async fn a_self_service_move_is_granted_again_after_the_period() {
    let desk = Desk::open_with(|c| c.detection.device_self_move_days = 1).await;
    honest_day_on_old_phone(&desk).await;
    let (status, first) = self_move(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "approved");
    desk.app.clock.advance(chrono::Duration::days(2));
    let (status, second) = self_move(&desk, "phone-third").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["status"], "approved");
}

/// The older self-service path, `PUT /api/v1/me/device`: the answer.
async fn put_device(desk: &Desk, device: &str) -> (StatusCode, Value) {
    desk.app
        .send(
            &desk.world.physician.client,
            Method::PUT,
            "/api/v1/me/device",
            Some(json!({"device_id": device})),
        )
        .await
}

/// Both self-service paths are one rule: a move through either spends the period for
/// the other, each is audited `device_move.self`, and `GET /me/device` counts both.
#[tokio::test]
async fn a_self_service_move_through_either_path_counts_against_the_other() {
    let desk = Desk::open_with(|c| c.detection.device_self_move_days = 10).await;
    honest_day_on_old_phone(&desk).await;
    let physician = desk.world.physician.client.clone();

    // Moved through the old path: the new one then files a request instead.
    let (status, binding) = put_device(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::OK, "{binding}");
    assert_eq!(binding["device_id"], "phone-new");
    let now = xiaxiang_server::domain::clock::Clock::now(&*desk.app.clock);
    assert_eq!(
        binding["next_move_from"],
        json!(now + chrono::Duration::days(10))
    );
    let (_, mine) = desk
        .app
        .send(&physician, Method::GET, "/api/v1/me/device", None)
        .await;
    assert_eq!(mine["device_id"], "phone-new");
    assert_eq!(mine["self_move_from"], binding["next_move_from"], "{mine}");
    // The same phone again: its binding, nothing spent or refused.
    let (status, again) = put_device(&desk, "phone-new").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["next_move_from"], binding["next_move_from"]);
    let (status, asked) = self_move(&desk, "phone-third").await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["status"], "pending", "{asked}");
    // While that request waits the old path moves nothing either.
    assert_problem(
        put_device(&desk, "phone-fourth").await,
        StatusCode::CONFLICT,
        "device_move_pending",
    );
    let (status, rejected) = decide(
        &desk,
        &desk.world.hospital_admin.client,
        asked["id"].as_str().expect("id"),
        "reject",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_problem(
        put_device(&desk, "phone-fourth").await,
        StatusCode::CONFLICT,
        "device_move_too_soon",
    );

    // After the period, a move through the new path spends it for the old one.
    desk.app.clock.advance(chrono::Duration::days(11));
    let (status, moved) = self_move(&desk, "phone-fifth").await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["status"], "approved", "{moved}");
    assert_problem(
        put_device(&desk, "phone-sixth").await,
        StatusCode::CONFLICT,
        "device_move_too_soon",
    );

    // Both moves are in the audit chain as self-service moves of the same table.
    let (_, log) = desk
        .app
        .send(
            &desk.app.admin,
            Method::GET,
            "/api/v1/audit?limit=500",
            None,
        )
        .await;
    let moves = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "device_move.self")
        .count();
    assert_eq!(moves, 2, "{log}");
}
