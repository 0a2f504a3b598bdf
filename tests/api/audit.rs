//! The audit log: every administrative change appends a hash-chained entry in the
//! change's own transaction; the verifier finds an edited row, and a row changed
//! without its entry.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use xiaxiang_server::domain::audit::UnrecordedChange;
use xiaxiang_server::service::audit::{ChainReport, verify, verify_chain};
use xiaxiang_server::store::Store;

use crate::helpers::*;
use crate::process::{env_of, server_binary};

/// Runs `sql` on the app's database behind the server's back.
async fn tamper(app: &TestApp, sql: &str) {
    let url = app.db.url();
    if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("tamper");
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("tamper");
        pool.close().await;
    }
}

async fn audit_entries(app: &TestApp) -> Vec<serde_json::Value> {
    let (status, page) = app
        .send(&app.admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn administrative_changes_are_chained_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    app.admin
        .update_organization(
            world.site.id,
            &UpdateOrganization {
                name: Some("新名字".into()),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    let (status, page) = app
        .send(&app.admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().expect("items");
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    for expected in [
        "jurisdiction.create",
        "organization.create",
        "program.create",
        "user.create",
        "assignment.create",
        "kiosk.enroll",
        "organization.update",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    for pair in items.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
        assert_eq!(
            pair[1]["seq"].as_i64(),
            pair[0]["seq"].as_i64().map(|s| s + 1)
        );
    }
    let update = items
        .iter()
        .find(|e| e["action"] == "organization.update")
        .expect("update");
    assert_eq!(update["before"]["name"], "溪南镇卫生院");
    assert_eq!(update["after"]["name"], "新名字");
    assert_eq!(update["actor_role"], "admin");
    let user = items
        .iter()
        .find(|e| e["action"] == "user.create")
        .expect("user");
    assert!(
        user["after"].get("password").is_none(),
        "no secrets in the log"
    );

    let (status, _) = app
        .send(&world.supervisor.client, Method::GET, "/api/v1/audit", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, filtered) = app
        .send(
            &app.admin,
            Method::GET,
            &format!(
                "/api/v1/audit?object_type=organization&object_id={}",
                world.site.id
            ),
            None,
        )
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_verifier_reports_the_first_edited_row() {
    let app = TestApp::spawn().await;
    app.world().await;
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    let ChainReport::Intact { entries } = verify_chain(&store).await.expect("reads") else {
        panic!("a fresh chain must be intact");
    };
    assert!(entries >= 10, "{entries}");

    tamper(
        &app,
        "UPDATE audit_log SET after = '{\"name\":\"forged\"}' WHERE seq = 3",
    )
    .await;
    match verify_chain(&store).await.expect("reads") {
        ChainReport::Broken { checked, at } => {
            assert_eq!(checked, 2);
            assert!(at.to_string().contains("seq 3"), "{at}");
        }
        other => panic!("tampering went unnoticed: {other:?}"),
    }
    store.close().await;
}

#[tokio::test]
async fn supervisory_changes_are_audited_with_their_actor() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let body = serde_json::json!({
        "site_id": world.site.id, "kind": "unannounced", "observed_at": "2026-03-02T01:00:00Z",
        "present_physician_ids": [], "absent_physician_ids": [world.physician.user.id], "note": "暗访"
    });
    let (status, created) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/inspections",
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, page) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?object_type=inspection",
            None,
        )
        .await;
    let entry = &page["items"][0];
    assert_eq!(entry["action"], "inspection.create");
    assert_eq!(entry["actor_role"], "supervisor");
    assert_eq!(
        entry["actor_id"],
        serde_json::json!(world.supervisor.user.id)
    );
    assert_eq!(entry["after"]["id"], created["id"]);
}

#[tokio::test]
async fn a_row_changed_without_its_audit_entry_is_reported() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    let report = verify(&store).await.expect("reads");
    assert!(report.is_intact(), "a fresh database verifies: {report:?}");

    // A jurisdiction written behind the server's back has no audit_seq ...
    tamper(
        &app,
        "INSERT INTO jurisdictions (code, name, level, parent_code, path, created_at) \
         VALUES ('360000', '江西省', 'province', NULL, '360000', 0)",
    )
    .await;
    // ... and a site pointed at an entry that records another object.
    tamper(
        &app,
        &format!(
            "UPDATE organizations SET audit_seq = 1 WHERE id = '{}'",
            world.site.id
        ),
    )
    .await;

    let report = verify(&store).await.expect("reads");
    store.close().await;
    assert!(matches!(report.chain, ChainReport::Intact { .. }));
    assert!(!report.is_intact());
    assert!(
        report.unrecorded.contains(&UnrecordedChange::NoLink {
            table: "jurisdictions",
            key: "360000".into(),
        }),
        "{:?}",
        report.unrecorded
    );
    assert!(
        report.unrecorded.iter().any(|c| matches!(c,
            UnrecordedChange::OtherObject { table: "organizations", key, seq: 1, .. }
                if *key == world.site.id.to_string())),
        "{:?}",
        report.unrecorded
    );
    assert_eq!(report.unrecorded.len(), 2, "{:?}", report.unrecorded);

    // The command operators run says so and exits non-zero.
    let output = tokio::process::Command::new(server_binary())
        .args(["audit", "verify"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(env_of(&app))
        .output()
        .await
        .expect("server runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("audit chain intact"), "{stdout}");
    assert!(stdout.contains("jurisdictions 360000"), "{stdout}");
    assert!(
        stdout.contains(&format!("organizations {}", world.site.id)),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_removed_audit_entry_is_missed_by_the_row_it_recorded() {
    let app = TestApp::spawn().await;
    app.world().await;
    let last = audit_entries(&app).await.last().cloned().expect("entries");
    tamper(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", last["seq"]),
    )
    .await;
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    let report = verify(&store).await.expect("reads");
    store.close().await;
    assert!(
        report.unrecorded.iter().any(|c| matches!(c,
            UnrecordedChange::MissingEntry { key, seq, .. }
                if Some(*seq) == last["seq"].as_i64() && last["object_id"] == key.as_str())),
        "{last} {:?}",
        report.unrecorded
    );
}

#[tokio::test]
async fn a_change_whose_audit_entry_cannot_be_written_is_not_stored() {
    let app = TestApp::spawn().await;
    app.world().await;
    let before = audit_entries(&app).await.len();
    // The head falls back one place: the next entry collides with the last one, so
    // appending it fails after the change itself was written.
    tamper(&app, "UPDATE audit_head SET seq = seq - 1 WHERE id = 1").await;
    let province = json!({"code": "360000", "name": "江西省", "level": "province"});
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/jurisdictions",
            Some(province.clone()),
        )
        .await;
    assert!(status.is_server_error(), "{status} {body}");
    let (status, _) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/jurisdictions/360000",
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the change went with its entry"
    );
    assert_eq!(audit_entries(&app).await.len(), before);

    tamper(&app, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1").await;
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/jurisdictions",
            Some(province),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    let report = verify(&store).await.expect("reads");
    store.close().await;
    assert!(report.is_intact(), "{report:?}");
}

#[tokio::test]
async fn the_audit_log_filters_by_who_what_and_when_and_its_verification_is_served() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let site = world.site.id;
    let (status, _) = app
        .send(
            &world.supervisor.client,
            Method::PATCH,
            &format!("/api/v1/organizations/{site}"),
            Some(serde_json::json!({"name": "溪南镇中心卫生院"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // What and who: the supervisor's organization changes, newest first.
    let path = format!(
        "/api/v1/audit?action=organization.update&actor_id={}&order=desc",
        world.supervisor.user.id
    );
    let (status, page) = app.send(&app.admin, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["object_id"], site.to_string());
    assert_eq!(items[0]["before"]["name"], "溪南镇卫生院");
    assert_eq!(items[0]["after"]["name"], "溪南镇中心卫生院");

    // Newest first really is descending; when: nothing before the world existed.
    let (_, all) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?order=desc&limit=3",
            None,
        )
        .await;
    let seqs: Vec<i64> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    let (_, none) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?to=2000-01-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(none["items"], serde_json::json!([]));
    let bad = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?from=yesterday",
            None,
        )
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_request");

    let (status, verified) = app
        .send(&app.admin, Method::GET, "/api/v1/audit/verification", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["intact"], true, "{verified}");
    assert!(verified["entries_checked"].as_u64().unwrap_or(0) >= 10);
    let supervisor = app
        .send(
            &world.supervisor.client,
            Method::GET,
            "/api/v1/audit/verification",
            None,
        )
        .await;
    assert_problem(supervisor, StatusCode::FORBIDDEN, "forbidden");

    tamper(
        &app,
        "UPDATE audit_log SET after = '{\"name\":\"forged\"}' WHERE seq = 3",
    )
    .await;
    let (_, broken) = app
        .send(&app.admin, Method::GET, "/api/v1/audit/verification", None)
        .await;
    assert_eq!(broken["intact"], false, "{broken}");
    assert_eq!(broken["entries_checked"], 2);
    assert!(
        broken["broken_at"]
            .as_str()
            .unwrap_or_default()
            .contains("seq 3"),
        "{broken}"
    );
}
