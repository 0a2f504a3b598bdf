//! Inspections that hold up: the inspector's own fix and its distance from the fence,
//! photos stored with their SHA-256 in the audit chain (images only, size-limited), the
//! follow-up, and the filtered list with its download.

use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::*;
use crate::reports::{cell_number, cell_text, parse_xlsx};

/// The test's photo limit (the setting `CHECKIN_INSPECTION_PHOTO_MAX_BYTES`).
const PHOTO_LIMIT: usize = 4096;

fn local(day: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, 0, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A PNG-looking body of `len` bytes: the signature, then filler.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len.saturating_sub(8)).map(|i| (i % 251) as u8));
    bytes
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn upload(
    client: &Client,
    inspection: Uuid,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = client
        .request(
            Method::POST,
            &format!("/api/v1/inspections/{inspection}/photos"),
        )
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("server answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn inspect(app: &TestApp, world: &World, body: Value) -> Value {
    let (status, created) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/inspections",
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn list(app: &TestApp, client: &Client, query: &str) -> (StatusCode, Value) {
    app.send(
        client,
        Method::GET,
        &format!("/api/v1/inspections?{query}"),
        None,
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_inspection_photo_is_kept_with_its_hash_in_the_audit_chain() {
    let app = TestApp::builder()
        .at(local(2, 11))
        .config(|c| c.inspection_photo_max_bytes = PHOTO_LIMIT)
        .spawn()
        .await;
    let world = app.world().await;
    // The inspector stood about 220 m north of the fence's centre (radius 150 m).
    let created = inspect(
        &app,
        &world,
        json!({
            "site_id": world.site.id, "kind": "unannounced", "observed_at": local(2, 10),
            "absent_physician_ids": [world.physician.user.id], "note": "暗访未见医师",
            "inspector_fix": {"lat": SITE_LAT + 0.002, "lon": SITE_LON, "accuracy_m": 15.0,
                              "fix_time": local(2, 10)},
        }),
    )
    .await;
    let id: Uuid = created["id"].as_str().expect("id").parse().expect("uuid");
    let distance = created["fix_distance_to_fence_m"]
        .as_f64()
        .expect("distance");
    assert!((60.0..85.0).contains(&distance), "{created}");
    assert_eq!(created["inspector_fix"]["accuracy_m"], 15.0);

    // A bad fix is refused, naming the field, and nothing is stored.
    let (status, bad) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/inspections",
            Some(json!({
                "site_id": world.site.id, "kind": "onsite", "observed_at": local(2, 10),
                "inspector_fix": {"lat": 91.0, "lon": SITE_LON},
            })),
        )
        .await;
    let bad = assert_problem((status, bad), StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        bad["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("inspector_fix.lat")
    );

    // A photo: stored with its hash, served back with it.
    let image = png(2000);
    let (status, photo) = upload(&world.supervisor.client, id, "image/png", image.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    assert_eq!(photo["sha256"], hex_sha256(&image));
    assert_eq!(photo["content_type"], "image/png");
    assert_eq!(photo["bytes"], 2000);
    let photo_id = photo["id"].as_str().expect("photo id").to_owned();
    let served = world
        .supervisor
        .client
        .request(
            Method::GET,
            &format!("/api/v1/inspections/{id}/photos/{photo_id}"),
        )
        .send()
        .await
        .expect("served");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[CONTENT_TYPE], "image/png");
    let header_hash = served.headers()["x-content-sha256"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body = served.bytes().await.expect("bytes").to_vec();
    assert_eq!(body, image);
    assert_eq!(header_hash, hex_sha256(&body));

    // The audit entry of the upload carries the hash, and the chain verifies.
    let (status, entries) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=inspection_photo&object_id={photo_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entry = &entries["items"][0];
    assert_eq!(entry["action"], "inspection.photo", "{entries}");
    assert_eq!(entry["after"]["sha256"], hex_sha256(&image), "{entry}");
    assert_eq!(entry["after"]["inspection_id"], id.to_string());
    let (status, verified) = app
        .send(&app.admin, Method::GET, "/api/v1/audit/verification", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["intact"], true, "{verified}");

    // Not images, whatever they claim to be, and photos over the limit: refused.
    let pdf = b"%PDF-1.7\n1 0 obj".to_vec();
    let refused = upload(&world.supervisor.client, id, "image/png", pdf).await;
    assert_problem(
        refused,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec();
    let refused = upload(&world.supervisor.client, id, "image/svg+xml", svg).await;
    assert_problem(
        refused,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let refused = upload(
        &world.supervisor.client,
        id,
        "image/png",
        png(PHOTO_LIMIT + 1),
    )
    .await;
    assert_problem(refused, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Someone else's jurisdiction: as if it did not exist.
    let hidden = upload(&world.other_supervisor.client, id, "image/png", png(100)).await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "not_found");
    let (status, detail) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            &format!("/api/v1/inspections/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        detail["photos"].as_array().map(Vec::len),
        Some(1),
        "{detail}"
    );
    assert_eq!(detail["photos"][0]["sha256"], hex_sha256(&image));
    assert_eq!(
        detail["absent_physician_names"][0],
        world.physician.user.name
    );

    // The follow-up: an action is required; each record is audited.
    let path = format!("/api/v1/inspections/{id}/follow-up");
    let (status, bad) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            &path,
            Some(json!({"action": " ", "status": "open"})),
        )
        .await;
    let bad = assert_problem((status, bad), StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        bad["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("action")
    );
    for (action, status) in [("约谈派出医院", "open"), ("已扣减当月考核分", "closed")]
    {
        let (code, after) = app
            .send(
                &world.supervisor.client,
                Method::POST,
                &path,
                Some(json!({"action": action, "status": status, "note": "见督查通报"})),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{after}");
        assert_eq!(after["follow_up"]["status"], status);
        assert_eq!(after["follow_up"]["action"], action);
    }
    let (_, entries) = app
        .send(
            &app.admin,
            Method::GET,
            &format!(
                "/api/v1/audit?object_type=inspection&object_id={id}&action=inspection.follow_up"
            ),
            None,
        )
        .await;
    let follow_ups = entries["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(follow_ups.len(), 2, "{entries}");
    assert_eq!(follow_ups[1]["before"]["status"], "open");
    assert_eq!(follow_ups[1]["after"]["status"], "closed");
    let (_, verified) = app
        .send(&app.admin, Method::GET, "/api/v1/audit/verification", None)
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
}

#[tokio::test]
async fn the_inspection_list_filters_and_downloads_as_a_form() {
    let app = TestApp::builder().at(local(20, 12)).spawn().await;
    let world = app.world().await;
    let colleague = app
        .person(Role::Physician, Some(world.hospital.id), None)
        .await;
    let missing = inspect(
        &app,
        &world,
        json!({"site_id": world.site.id, "kind": "unannounced", "observed_at": local(3, 10),
               "absent_physician_ids": [world.physician.user.id, colleague.user.id]}),
    )
    .await;
    let onsite = inspect(
        &app,
        &world,
        json!({"site_id": world.site.id, "kind": "onsite", "observed_at": local(10, 10),
               "present_physician_ids": [colleague.user.id],
               "absent_physician_ids": [world.physician.user.id]}),
    )
    .await;
    let clean = inspect(
        &app,
        &world,
        json!({"site_id": world.site.id, "kind": "unannounced", "observed_at": local(18, 9),
               "present_physician_ids": [world.physician.user.id]}),
    )
    .await;
    let admin_record = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/inspections",
            Some(json!({"site_id": world.other_site.id, "kind": "onsite",
                        "observed_at": local(18, 9)})),
        )
        .await;
    assert_eq!(admin_record.0, StatusCode::CREATED, "{}", admin_record.1);
    let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
    let supervisor = &world.supervisor.client;

    // Newest first, the supervisor's jurisdiction only, with the total.
    let (status, all) = list(&app, supervisor, "").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), vec![id(&clean), id(&onsite), id(&missing)]);
    assert_eq!(
        all["items"][2]["absent_physician_names"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(all["items"][0]["site_name"], world.site.name);

    let (_, found) = list(&app, supervisor, "kind=onsite").await;
    assert_eq!(ids(&found), vec![id(&onsite)]);
    let (_, found) = list(&app, supervisor, "with_missing=true").await;
    assert_eq!(ids(&found), vec![id(&onsite), id(&missing)]);
    let (_, found) = list(&app, supervisor, "with_missing=false").await;
    assert_eq!(ids(&found), vec![id(&clean)]);
    let (_, found) = list(&app, supervisor, "from=2026-03-04&to=2026-03-18").await;
    assert_eq!(ids(&found), vec![id(&clean), id(&onsite)]);
    let (_, found) = list(
        &app,
        supervisor,
        &format!("jurisdiction_code={}", world.county),
    )
    .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(3));
    let inspector = world.supervisor.user.id;
    let (_, found) = list(&app, &app.admin, &format!("inspector_id={inspector}")).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(3));
    let (_, found) = list(
        &app,
        &app.admin,
        &format!("site_id={}", world.other_site.id),
    )
    .await;
    assert_eq!(ids(&found), vec![id(&admin_record.1)]);

    // Paging follows the cursor to the end.
    let (_, first) = list(&app, supervisor, "limit=2").await;
    assert_eq!(ids(&first), vec![id(&clean), id(&onsite)]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = list(&app, supervisor, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), vec![id(&missing)]);
    assert!(second["next_cursor"].is_null());

    // Bad filters name themselves; another jurisdiction is unknown.
    for (query, field) in [
        ("kind=secret", "kind"),
        ("from=March", "from"),
        ("with_missing=maybe", "with_missing"),
    ] {
        let answer = list(&app, supervisor, query).await;
        let problem = assert_problem(answer, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{problem}"
        );
    }
    let answer = list(
        &app,
        supervisor,
        &format!("jurisdiction_code={}", world.other_county),
    )
    .await;
    assert_problem(answer, StatusCode::NOT_FOUND, "not_found");
    let (_, theirs) = list(&app, &world.other_supervisor.client, "").await;
    assert_eq!(ids(&theirs), vec![id(&admin_record.1)]);
    let hidden = app
        .send(
            &world.other_supervisor.client,
            Method::GET,
            &format!("/api/v1/inspections/{}", id(&missing)),
            None,
        )
        .await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "not_found");
    let physician = list(&app, &world.physician.client, "").await;
    assert_problem(physician, StatusCode::FORBIDDEN, "forbidden");

    // The XLSX: title, headers, one row per inspection, totals of people.
    let raw = supervisor
        .report_bytes("/api/v1/inspections?format=xlsx&with_missing=true", None)
        .await
        .expect("xlsx");
    assert!(
        raw.content_disposition
            .as_deref()
            .unwrap_or_default()
            .contains("inspections-"),
        "{:?}",
        raw.content_disposition
    );
    let (sheet, _) = parse_xlsx(&raw);
    assert_eq!(cell_text(&sheet, 0, 0), "督查记录登记表");
    let header_row = (0..12)
        .find(|r| cell_text(&sheet, *r, 0) == "督查时间")
        .expect("a header row");
    assert_eq!(cell_text(&sheet, header_row, 2), "受援单位");
    assert_eq!(cell_text(&sheet, header_row, 7), "缺岗人数");
    assert_eq!(cell_text(&sheet, header_row + 1, 3), "现场核查");
    assert_eq!(cell_text(&sheet, header_row + 2, 3), "暗访");
    let totals = header_row + 3;
    assert_eq!(cell_text(&sheet, totals, 0), "合计");
    assert_eq!(cell_number(&sheet, totals, 5), Some(1.0), "present");
    assert_eq!(cell_number(&sheet, totals, 7), Some(3.0), "absent");

    // The CSV carries the same form.
    let csv = supervisor
        .report_bytes("/api/v1/inspections?format=csv", None)
        .await
        .expect("csv");
    let text = String::from_utf8(csv.bytes).expect("utf-8");
    assert!(text.contains("督查记录登记表"), "{text}");
    assert!(text.contains(&world.physician.user.name), "{text}");
    assert!(text.contains("合计"), "{text}");
}
