//! The audit log: every administrative change appends a hash-chained entry; the
//! verifier finds an edited row.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use xiaxiang_server::service::audit::{ChainReport, verify_chain};
use xiaxiang_server::store::Store;

use crate::helpers::*;

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

    let url = app.db.url();
    let tamper = "UPDATE audit_log SET after = '{\"name\":\"forged\"}' WHERE seq = 3";
    if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        sqlx::query(tamper).execute(&pool).await.expect("tamper");
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        sqlx::query(tamper).execute(&pool).await.expect("tamper");
        pool.close().await;
    }
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
