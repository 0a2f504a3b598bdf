//! The assignment lifecycle (#18 point 6): listing, changing terms from a date, ending
//! early, transferring, the history, and past visits judged by the terms of their day.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use xiaxiang_server::service::audit::verify;
use xiaxiang_server::store::Store;

use crate::checkin::{Desk, accepted, local, refused};
use crate::helpers::*;

/// `server audit verify` on the app's database: the chain and every audited row.
async fn audit_intact(app: &TestApp) -> bool {
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    verify(&store).await.expect("reads").is_intact()
}

/// The actions of the audit entries naming `object_id`, oldest first.
async fn audit_actions(app: &TestApp, object_id: &str) -> Vec<String> {
    let (status, page) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=assignment&object_id={object_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn path(world: &World, tail: &str) -> String {
    format!("/api/v1/assignments/{}{tail}", world.assignment.id)
}

/// Checks in and out on 2026-03-`day` at the world's site.
async fn serve_a_morning(desk: &Desk, day: u32) {
    desk.app.clock.set(local(day, 9, 0));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(day, 12, 30));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
}

#[tokio::test]
async fn a_window_change_judges_later_days_and_leaves_earlier_visits_as_judged() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;

    let change = |from: &str| json!({"effective_from": from, "reason": "受援单位调整门诊时间", "window_start": "13:00", "window_end": "18:00"});
    // Taking effect on the day already served would judge that visit again.
    let body = assert_problem(
        app.send(
            &app.admin,
            Method::PATCH,
            &path(world, ""),
            Some(change("2026-03-02")),
        )
        .await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    assert!(
        body["detail"].as_str().unwrap_or("").contains("2026-03-03"),
        "{body}"
    );
    let (status, changed) = app
        .send(
            &app.admin,
            Method::PATCH,
            &path(world, ""),
            Some(change("2026-03-03")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["terms_version"], 2);
    assert_eq!(changed["terms_from"], "2026-03-03");
    assert_eq!(changed["window_start"], "13:00");

    // The next morning is outside the new window; the afternoon is inside.
    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "outside_window",
    );
    desk.app.clock.set(local(3, 13, 30));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);

    // The morning of the 2nd keeps its credit under the old window.
    let visits = desk.visits().await;
    let second = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-02")
        .expect("the visit of the 2nd");
    assert_eq!(second.assignment_id, world.assignment.id);

    let (status, history) = app
        .send(&app.admin, Method::GET, &path(world, "/history"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["action"], "create");
    assert_eq!(versions[0]["window_start"], "08:00");
    assert_eq!(versions[0]["effective_to"], "2026-03-02");
    assert_eq!(versions[1]["action"], "change");
    assert_eq!(versions[1]["effective_from"], "2026-03-03");
    assert_eq!(versions[1]["reason"], "受援单位调整门诊时间");
    assert_eq!(versions[1]["changed_by_name"], "Administrator");
    assert!(versions[1]["effective_to"].is_null());

    // The physician reads the history of their own assignment; another county's
    // supervisor does not learn it exists.
    let (status, _) = app
        .send(
            &world.physician.client,
            Method::GET,
            &path(world, "/history"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        app.send(
            &world.other_supervisor.client,
            Method::GET,
            &path(world, "/history"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn ending_early_refuses_later_check_ins_and_nonsense_dates() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;
    let end = |date: &str, reason: &str| json!({"end_date": date, "reason": reason});
    let end_path = path(world, "/end");
    let send = |body: Value| {
        app.send(
            &world.hospital_admin.client,
            Method::POST,
            &end_path,
            Some(body),
        )
    };

    let bad = assert_problem(
        send(end("2025-12-31", "病假")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        bad["detail"].as_str().unwrap_or("").starts_with("end_date"),
        "{bad}"
    );
    let bad = assert_problem(
        send(end("2026-03-02", " ")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        bad["detail"].as_str().unwrap_or("").starts_with("reason"),
        "{bad}"
    );
    assert_problem(
        send(end("2027-01-31", "病假")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_an_early_end",
    );
    assert_problem(
        send(end("2026-03-01", "病假")).await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    // Nothing of the refused requests was stored.
    let (_, still) = app
        .send(&app.admin, Method::GET, &path(world, ""), None)
        .await;
    assert_eq!(still["terms_version"], 1);
    assert_eq!(still["end_date"], "2026-12-31");

    let (status, ended) = send(end("2026-03-02", "病假，提前结束派驻")).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["end_date"], "2026-03-02");
    assert_eq!(ended["terms_from"], "2026-03-03");

    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "no_assignment",
    );

    // The end is in the audit log, and the chain still verifies every row.
    assert_eq!(
        audit_actions(app, &world.assignment.id.to_string()).await,
        vec!["assignment.create", "assignment.end"]
    );
    assert!(audit_intact(app).await);
}

#[tokio::test]
async fn a_transfer_moves_the_physician_to_another_receiving_clinic() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;
    let (lat, lon) = (SITE_LAT + 0.05, SITE_LON + 0.05);
    let new_site = app
        .organization(
            "桂林街道社区卫生服务中心",
            OrganizationKind::CommunityHealthCenter,
            &world.county,
            Some(circle(lat, lon, 150.0)),
        )
        .await;
    let transfer = |site: uuid::Uuid, from: &str| json!({"site_id": site, "effective_from": from, "reason": "工作需要，调往新址"});
    let transfer_path = path(world, "/transfer");
    let send = async |client: &mobile_api::client::Client, body: Value| {
        app.send(client, Method::POST, &transfer_path, Some(body))
            .await
    };
    assert_problem(
        send(&app.admin, transfer(world.hospital.id, "2026-03-03")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_receiving_site",
    );
    assert_problem(
        send(&app.admin, transfer(world.other_site.id, "2026-03-03")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "site_outside_program",
    );
    // Out of the supervisor's reach: as if it did not exist.
    assert_problem(
        send(
            &world.supervisor.client,
            transfer(world.other_site.id, "2026-03-03"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        send(
            &world.supervisor.client,
            transfer(new_site.id, "2026-03-02"),
        )
        .await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    let (status, moved) = send(
        &world.supervisor.client,
        transfer(new_site.id, "2026-03-03"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["ended"]["end_date"], "2026-03-02");
    assert_eq!(moved["assignment"]["site_id"], new_site.id.to_string());
    assert_eq!(moved["assignment"]["start_date"], "2026-03-03");
    assert_eq!(moved["assignment"]["end_date"], "2026-12-31");
    assert_eq!(
        moved["assignment"]["transfer_id"],
        world.assignment.id.to_string()
    );
    assert_eq!(moved["ended"]["transfer_id"], moved["assignment"]["id"]);

    // On the 3rd the old clinic's code no longer admits the physician.
    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "no_assignment",
    );
    let kiosk = app
        .admin
        .enroll_kiosk(new_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    let code = app
        .client(&kiosk.token)
        .kiosk_code()
        .await
        .expect("code")
        .payload;
    let mut at_new_site = desk.request(&code);
    at_new_site["location"]["lat"] = json!(jitter(lat));
    at_new_site["location"]["lon"] = json!(lon);
    let body = accepted(desk.check_in(&at_new_site).await);
    assert!(body["visit_id"].is_string());
    let visits = desk.visits().await;
    let third = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-03")
        .expect("a visit on the 3rd");
    assert_eq!(
        third.assignment_id.to_string(),
        moved["assignment"]["id"].as_str().unwrap_or("")
    );

    let (_, history) = app
        .send(&app.admin, Method::GET, &path(world, "/history"), None)
        .await;
    assert_eq!(history["versions"][1]["action"], "transfer");
    assert_eq!(history["versions"][1]["reason"], "工作需要，调往新址");
    assert_eq!(
        audit_actions(app, &world.assignment.id.to_string()).await,
        vec!["assignment.create", "assignment.transfer"]
    );
    assert!(audit_intact(app).await);
}

#[tokio::test]
async fn the_list_is_scoped_filtered_and_paged() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let second = app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: world.physician.user.id,
            site_id: world.site.id,
            program_id: world.program.id,
            mode: AssignmentMode::Dispatch,
            start_date: "2027-01-01".parse().expect("date"),
            end_date: "2027-06-30".parse().expect("date"),
            window_start: "08:00".into(),
            window_end: "12:00".into(),
        })
        .await
        .expect("a second assignment");
    let list = |client: &mobile_api::client::Client, query: &str| {
        let query = query.to_owned();
        let client = client.clone();
        let app = &app;
        async move {
            let (status, body) = app
                .send(
                    &client,
                    Method::GET,
                    &format!("/api/v1/assignments?{query}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body
        }
    };
    let ids = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["assignment"]["id"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let both = list(&world.supervisor.client, "").await;
    assert_eq!(ids(&both).len(), 2);
    assert_eq!(both["items"][0]["site_name"], "溪南镇卫生院");
    assert_eq!(both["items"][0]["hospital_name"], "漳平市医院");
    assert!(ids(&list(&world.other_supervisor.client, "").await).is_empty());
    assert_eq!(ids(&list(&world.hospital_admin.client, "").await).len(), 2);
    assert_eq!(ids(&list(&world.clinic_admin.client, "").await).len(), 2);
    assert_eq!(ids(&list(&world.physician.client, "").await).len(), 2);

    let on = list(&app.admin, "active_on=2027-03-01").await;
    assert_eq!(ids(&on), vec![second.id.to_string()]);
    // The clock stands in 2026: the second one has not begun.
    let upcoming = list(&app.admin, "status=upcoming").await;
    assert_eq!(ids(&upcoming), vec![second.id.to_string()]);
    assert_eq!(upcoming["items"][0]["status"], "upcoming");
    let county = list(
        &app.admin,
        &format!(
            "jurisdiction_code={}&hospital_id={}",
            world.county, world.hospital.id
        ),
    )
    .await;
    assert_eq!(ids(&county).len(), 2);
    assert!(ids(&list(&app.admin, &format!("site_id={}", world.other_site.id)).await).is_empty());

    let first_page = list(&app.admin, "limit=1").await;
    let cursor = first_page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let next = list(&app.admin, &format!("limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&first_page).len() + ids(&next).len(), 2);
    assert_ne!(ids(&first_page), ids(&next));
    assert!(next["next_cursor"].is_null());

    assert_problem(
        app.send(
            &app.admin,
            Method::GET,
            "/api/v1/assignments?status=soon",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        app.send(
            &app.admin,
            Method::GET,
            "/api/v1/assignments?active_on=2027-3-1",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        app.send(
            &world.other_supervisor.client,
            Method::GET,
            &format!("/api/v1/assignments?jurisdiction_code={}", world.county),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
