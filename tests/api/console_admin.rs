//! What the console's administration pages need beyond the plain resources: a site's
//! fence versions, finding people, one-time passwords and changing one's own.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xiaxiang_server::domain::clock::Clock;

use mobile_api::{LoginRequest, Role};

use crate::checkin::{Desk, accepted, refused};
use crate::helpers::*;

/// A square about 200 m on a side around the site's centre, as GeoJSON.
fn square_around_site() -> Value {
    let (d_lat, d_lon) = (0.0009, 0.001);
    json!({"type": "Polygon", "crs": "wgs84", "coordinates": [[
        [SITE_LON - d_lon, SITE_LAT - d_lat], [SITE_LON + d_lon, SITE_LAT - d_lat],
        [SITE_LON + d_lon, SITE_LAT + d_lat], [SITE_LON - d_lon, SITE_LAT + d_lat],
        [SITE_LON - d_lon, SITE_LAT - d_lat],
    ]]})
}

#[tokio::test]
async fn fence_versions_list_the_attempts_and_visits_judged_against_each() {
    let desk = Desk::open().await;
    let site = desk.world.site.id;
    let checked_in = accepted(desk.check_in(&desk.request(&desk.code().await)).await);

    let (status, moved) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &format!("/api/v1/organizations/{site}"),
            Some(json!({"geofence": square_around_site()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["geofence_version"], 2);

    // The check-out is judged against the new square; a check-in 2 km away is refused.
    let code = desk.next_code().await;
    accepted(desk.check_out(&desk.request(&code)).await);
    desk.app.clock.advance(Duration::seconds(31));
    let mut far = desk.request(&desk.code().await);
    far["location"]["lat"] = json!(SITE_LAT + 0.02);
    refused(desk.check_in(&far).await, "outside_geofence");

    let path = format!("/api/v1/organizations/{site}/geofence-versions");
    let (status, history) = desk
        .app
        .send(&desk.world.supervisor.client, Method::GET, &path, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["site_id"], site.to_string());
    assert_eq!(history["current_version"], 2);
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{history}");

    let first = &items[0];
    assert_eq!(first["version"], 1);
    assert_eq!(first["geofence"]["type"], "circle");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["refused"], 0);
    assert_eq!(first["visits"], 1);
    assert_eq!(
        first["recent_visits"][0]["visit_id"],
        checked_in["visit_id"]
    );
    assert_eq!(
        first["recent_visits"][0]["physician_id"],
        desk.world.physician.user.id.to_string()
    );
    assert_eq!(first["recent_visits"][0]["local_date"], "2026-03-02");

    let second = &items[1];
    assert_eq!(second["version"], 2);
    assert_eq!(second["geofence"]["type"], "Polygon");
    assert_eq!(second["attempts"], 2);
    assert_eq!(second["refused"], 1);
    assert_eq!(second["visits"], 0);
    assert_eq!(second["recent_visits"], json!([]));
    assert!(second["first_judged_at"].is_string());
}

#[tokio::test]
async fn fence_versions_are_out_of_reach_of_another_jurisdiction_and_of_physicians() {
    let desk = Desk::open().await;
    let path = format!(
        "/api/v1/organizations/{}/geofence-versions",
        desk.world.site.id
    );
    let outsider = desk
        .app
        .send(
            &desk.world.other_supervisor.client,
            Method::GET,
            &path,
            None,
        )
        .await;
    assert_problem(outsider, StatusCode::NOT_FOUND, "not_found");
    let physician = desk
        .app
        .send(&desk.world.physician.client, Method::GET, &path, None)
        .await;
    assert_problem(physician, StatusCode::FORBIDDEN, "forbidden");
    // A site without a fence has an empty history.
    let (status, none) = desk
        .app
        .send(
            &desk.app.admin,
            Method::GET,
            &format!(
                "/api/v1/organizations/{}/geofence-versions",
                desk.world.hospital.id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["current_version"], Value::Null);
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn users_are_found_by_name_or_phone_within_the_callers_reach() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let outsider = app
        .person(Role::Physician, Some(world.other_site.id), None)
        .await;

    // The admin finds the world's physician by the end of their phone number.
    let phone = &world.physician.user.phone;
    let (status, found) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/users?q={}", &phone[2..]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let ids: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, vec![world.physician.user.id.to_string()]);

    // A supervisor of 龙岩市 lists physicians of their city, not 泉州's.
    let (status, mine) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            "/api/v1/users?role=physician&active=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let ids: Vec<String> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(ids.contains(&world.physician.user.id.to_string()), "{mine}");
    assert!(!ids.contains(&outsider.user.id.to_string()), "{mine}");
    assert!(
        mine["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["role"] == "physician")
    );

    // A hospital administrator sees their own hospital's people only.
    let (_, theirs) = app
        .send(
            &world.hospital_admin.client,
            Method::GET,
            "/api/v1/users",
            None,
        )
        .await;
    assert!(
        theirs["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["organization_id"] == world.hospital.id.to_string()),
        "{theirs}"
    );

    let bad = app
        .send(&app.admin, Method::GET, "/api/v1/users?role=kiosk", None)
        .await;
    let body = assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("role:"),
        "{body}"
    );
    let physician = app
        .send(&world.physician.client, Method::GET, "/api/v1/users", None)
        .await;
    assert_problem(physician, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_reset_password_works_once_must_be_changed_and_ends_the_old_sessions() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let physician = &world.physician;
    let path = format!("/api/v1/users/{}/password-reset", physician.user.id);

    // Another jurisdiction's supervisor does not reach them; nobody resets themselves.
    let outsider = app
        .send(&world.other_supervisor.client, Method::POST, &path, None)
        .await;
    assert_problem(outsider, StatusCode::NOT_FOUND, "not_found");
    let own = app
        .send(
            &world.supervisor.client,
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", world.supervisor.user.id),
            None,
        )
        .await;
    assert_problem(own, StatusCode::BAD_REQUEST, "invalid_request");

    let (status, reset) = app
        .send(&world.supervisor.client, Method::POST, &path, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    let one_time = reset["one_time_password"]
        .as_str()
        .expect("password")
        .to_owned();
    assert_eq!(one_time.len(), 12);

    // The session they had ends; the old password no longer works.
    let (status, _) = app
        .send(
            &physician.client,
            Method::GET,
            "/api/v1/me/assignments",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let old = app
        .anonymous
        .login(&LoginRequest {
            phone: physician.user.phone.clone(),
            password: PASSWORD.to_owned(),
            device_id: None,
        })
        .await;
    assert!(old.is_err(), "the old password is refused");

    // The one-time password logs in, flagged.
    let login = |password: String| LoginRequest {
        phone: physician.user.phone.clone(),
        password,
        device_id: None,
    };
    let tokens = app
        .anonymous
        .login(&login(one_time.clone()))
        .await
        .expect("one-time login");
    assert!(tokens.must_change_password);
    let client = app.client(&tokens.access_token);

    // Wrong current password, a weak or unchanged new one: refused naming the field.
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    for (body, field) in [
        (
            change("not-it-at-all", "my-own-secret-9"),
            "current_password:",
        ),
        (change(&one_time, "short"), "new_password:"),
        (change(&one_time, &one_time), "new_password:"),
    ] {
        let refused = app
            .send(&client, Method::POST, "/api/v1/auth/password", Some(body))
            .await;
        let problem = assert_problem(refused, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{problem}"
        );
    }
    let (status, body) = app
        .send(
            &client,
            Method::POST,
            "/api/v1/auth/password",
            Some(change(&one_time, "my-own-secret-9")),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // The one-time password is spent; the new one logs in unflagged.
    assert!(app.anonymous.login(&login(one_time)).await.is_err());
    let tokens = app
        .anonymous
        .login(&login("my-own-secret-9".to_owned()))
        .await
        .expect("own password");
    assert!(!tokens.must_change_password);

    // Both steps are in the audit log, without any password.
    let (_, audit) = app
        .send(&app.admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    let text = audit.to_string();
    for action in ["user.password_reset", "user.password_change"] {
        assert!(text.contains(action), "{action} audited");
    }
    assert!(!text.contains("my-own-secret-9"));
}

#[tokio::test]
async fn a_sites_kiosks_show_their_last_contact_written_at_most_once_a_minute_and_revocation() {
    let desk = Desk::open().await;
    let site = desk.world.site.id;
    let path = format!("/api/v1/organizations/{site}/kiosks");
    let (status, before) = desk
        .app
        .send(&desk.world.supervisor.client, Method::GET, &path, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        before["items"][0]["kiosk_id"],
        desk.world.kiosk.kiosk_id.to_string()
    );
    assert_eq!(
        before["items"][0]["last_seen_at"],
        Value::Null,
        "never opened"
    );

    let first_fetch = desk.app.clock.now();
    desk.code().await;
    desk.app.clock.advance(Duration::seconds(30));
    desk.code().await;
    let (_, seen) = desk
        .app
        .send(&desk.world.supervisor.client, Method::GET, &path, None)
        .await;
    let seen_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(seen["items"][0]["last_seen_at"].clone()).expect("a time");
    // The second fetch, within the minute, wrote nothing.
    assert_eq!(seen_at, first_fetch);

    let (status, _) = desk
        .app
        .send(
            &desk.app.admin,
            Method::DELETE,
            &format!("/api/v1/kiosks/{}", desk.world.kiosk.kiosk_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, after) = desk
        .app
        .send(&desk.world.supervisor.client, Method::GET, &path, None)
        .await;
    assert_eq!(after["items"][0]["revoked"], true);

    let outsider = desk
        .app
        .send(
            &desk.world.other_supervisor.client,
            Method::GET,
            &path,
            None,
        )
        .await;
    assert_problem(outsider, StatusCode::NOT_FOUND, "not_found");
    let physician = desk
        .app
        .send(&desk.world.physician.client, Method::GET, &path, None)
        .await;
    assert_problem(physician, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_kiosk_link_is_drawn_as_a_qr_code_and_anything_else_refused() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let link = format!("https://xiaxiang.example/kiosk#token={}", world.kiosk.token);
    let response = world
        .supervisor
        .client
        .request(Method::POST, "/api/v1/kiosks/link-qr")
        .json(&json!({ "link": link }))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let svg = response.text().await.expect("body");
    assert!(
        svg.starts_with("<svg") && svg.contains("<path"),
        "{}",
        &svg[..80.min(svg.len())]
    );

    let refused = app
        .send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/kiosks/link-qr",
            Some(json!({"link": "javascript:alert(1)"})),
        )
        .await;
    assert_problem(refused, StatusCode::BAD_REQUEST, "invalid_request");
    let physician = app
        .send(
            &world.physician.client,
            Method::POST,
            "/api/v1/kiosks/link-qr",
            Some(json!({ "link": link })),
        )
        .await;
    assert_problem(physician, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn programmes_are_listed_with_their_rules_in_words_and_their_minutes_edited() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let program = world.program.id;

    let (status, listed) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            "/api/v1/programs",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let mine = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["id"] == program.to_string())
        .cloned()
        .expect("the supervisor's programme");
    let words = mine["requirements_zh"][0].as_str().unwrap_or_default();
    assert!(words.contains('月') && words.contains('1'), "{words}");
    let (_, theirs) = app
        .send(
            &world.other_supervisor.client,
            Method::GET,
            "/api/v1/programs",
            None,
        )
        .await;
    assert_eq!(
        theirs["items"],
        json!([]),
        "another city's supervisor sees none"
    );

    let path = format!("/api/v1/programs/{program}");
    let bad = app
        .send(
            &world.supervisor.client,
            Method::PATCH,
            &path,
            Some(json!({"half_day_minutes": 400})),
        )
        .await;
    let problem = assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("half_day_minutes:"),
        "{problem}"
    );
    let (status, changed) = app
        .send(
            &world.supervisor.client,
            Method::PATCH,
            &path,
            Some(json!({"half_day_minutes": 120, "full_day_minutes": 240})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["half_day_minutes"], 120);
    assert_eq!(changed["full_day_minutes"], 240);
    let (_, read) = app.send(&app.admin, Method::GET, &path, None).await;
    assert_eq!(read["full_day_minutes"], 240);

    let outsider = app
        .send(
            &world.other_supervisor.client,
            Method::PATCH,
            &path,
            Some(json!({"full_day_minutes": 300})),
        )
        .await;
    assert_problem(outsider, StatusCode::NOT_FOUND, "not_found");

    let (_, audit) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?action=program.update&object_id={program}"),
            None,
        )
        .await;
    assert_eq!(audit["items"][0]["before"]["full_day_minutes"], 360);
    assert_eq!(audit["items"][0]["after"]["full_day_minutes"], 240);
}
