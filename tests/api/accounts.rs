//! Accounts over their life: deactivation and reactivation (`PATCH /users/{id}`),
//! sessions that end at once (deactivation, logout), and who may send whose
//! physicians where.

use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A fresh login of `phone`: the tokens and a client carrying the access token.
async fn log_in(app: &TestApp, phone: &str) -> (TokenResponse, Client) {
    let tokens = app
        .anonymous
        .login(&LoginRequest {
            phone: phone.to_owned(),
            password: PASSWORD.to_owned(),
            device_id: None,
        })
        .await
        .expect("login");
    let client = app.client(&tokens.access_token);
    (tokens, client)
}

async fn me(app: &TestApp, client: &Client) -> (StatusCode, Value) {
    app.send(client, Method::GET, "/api/v1/me/assignments", None)
        .await
}

async fn set_active(app: &TestApp, by: &Client, user: &User, active: bool) -> (StatusCode, Value) {
    let path = format!("/api/v1/users/{}", user.id);
    app.send(by, Method::PATCH, &path, Some(json!({ "active": active })))
        .await
}

#[tokio::test]
async fn deactivating_a_physician_ends_their_sessions_at_once_and_reactivating_lets_them_back() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let physician = &world.physician.user;
    let (tokens, client) = log_in(&app, &physician.phone).await;
    assert_eq!(me(&app, &client).await.0, StatusCode::OK);

    let (status, body) = set_active(&app, &world.supervisor.client, physician, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert!(body["deactivated_at"].is_string(), "{body}");

    // The access token of a live session is refused on its very next request ...
    assert_problem(
        me(&app, &client).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    assert_problem(
        me(&app, &world.physician.client).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    // ... the refresh token is revoked ...
    let refused = app
        .anonymous
        .refresh(&tokens.refresh_token)
        .await
        .expect_err("revoked");
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
    // ... and login answers exactly as for a wrong password.
    let (status, body) = app
        .send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"phone": physician.phone, "password": PASSWORD})),
        )
        .await;
    let (_, wrong) = app
        .send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"phone": unique_phone(), "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, wrong, "no hint that the account exists");

    // The account and its assignment are still there, marked inactive.
    let shown = app.admin.get_user(physician.id).await.expect("still there");
    assert!(!shown.active);
    let path = format!("/api/v1/assignments/{}", world.assignment.id);
    let (status, _) = app.send(&app.admin, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "the assignment is kept");

    let (status, body) = set_active(&app, &app.admin, physician, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    assert!(body.get("deactivated_at").is_none(), "{body}");
    let (_, client) = log_in(&app, &physician.phone).await;
    assert_eq!(me(&app, &client).await.0, StatusCode::OK);
    // Sessions ended by the deactivation stay ended.
    assert_problem(
        me(&app, &world.physician.client).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
}

#[tokio::test]
async fn deactivation_is_audited_with_before_and_after() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (status, _) = set_active(&app, &app.admin, &world.physician.user, false).await;
    assert_eq!(status, StatusCode::OK);
    let path = format!(
        "/api/v1/audit?object_type=user&object_id={}",
        world.physician.user.id
    );
    let (status, body) = app.send(&app.admin, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let update = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["action"] == "user.update"))
        .unwrap_or_else(|| panic!("no user.update entry: {body}"));
    assert_eq!(update["before"]["active"], true, "{update}");
    assert_eq!(update["after"]["active"], false, "{update}");
}

#[tokio::test]
async fn only_administrators_within_reach_may_deactivate() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let physician = &world.physician.user;
    let stranger_hospital = app
        .organization(
            "漳平市中医院",
            OrganizationKind::Hospital,
            &world.county,
            None,
        )
        .await;
    let stranger_admin = app
        .person(Role::HospitalAdmin, Some(stranger_hospital.id), None)
        .await;

    // Outside the caller's jurisdiction or hospital: as if the user did not exist.
    for outsider in [&world.other_supervisor.client, &stranger_admin.client] {
        assert_problem(
            set_active(&app, outsider, physician, false).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // Roles that administer no one.
    for role in [&world.clinic_admin.client, &world.physician.client] {
        assert_problem(
            set_active(&app, role, physician, false).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // A hospital administrator manages physicians only, a supervisor no admin.
    let colleague = app
        .person(Role::HospitalAdmin, Some(world.hospital.id), None)
        .await;
    assert_problem(
        set_active(&app, &world.hospital_admin.client, &colleague.user, false).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let other_admin = app.person(Role::Admin, None, None).await;
    assert_problem(
        set_active(&app, &world.supervisor.client, &other_admin.user, false).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Nobody switches themselves off.
    assert_problem(
        set_active(&app, &other_admin.client, &other_admin.user, false).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // Nothing above changed the physician.
    assert_eq!(me(&app, &world.physician.client).await.0, StatusCode::OK);

    // The physician's own hospital administrator may.
    let (status, body) = set_active(&app, &world.hospital_admin.client, physician, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
}

#[tokio::test]
async fn an_administrator_edits_a_persons_details() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let other_hospital = app
        .organization(
            "漳平市中医院",
            OrganizationKind::Hospital,
            &world.county,
            None,
        )
        .await;
    let edited = app
        .admin
        .update_user(
            world.physician.user.id,
            &UpdateUser {
                name: Some("林医生".into()),
                title: Some("副主任医师".into()),
                specialty: Some("全科".into()),
                gender: Some(Gender::Female),
                organization_id: Some(other_hospital.id),
                active: None,
                discipline: None,
                practice_since_year: None,
            },
        )
        .await
        .expect("edited");
    assert_eq!(edited.name, "林医生");
    assert_eq!(edited.title.as_deref(), Some("副主任医师"));
    assert_eq!(edited.organization_id, Some(other_hospital.id));
    assert!(edited.active);
    assert_eq!(
        app.admin.get_user(edited.id).await.expect("read back"),
        edited
    );
    // A blank name is refused and nothing changes.
    let path = format!("/api/v1/users/{}", edited.id);
    assert_problem(
        app.send(
            &app.admin,
            Method::PATCH,
            &path,
            Some(json!({"name": "  "})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_eq!(app.admin.get_user(edited.id).await.expect("read"), edited);
    // Editing details does not end anyone's session.
    assert_eq!(me(&app, &world.physician.client).await.0, StatusCode::OK);
}

#[tokio::test]
async fn logout_makes_the_access_token_presented_useless() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let phone = &world.physician.user.phone;
    let (tokens, client) = log_in(&app, phone).await;
    assert_eq!(me(&app, &client).await.0, StatusCode::OK);
    client.logout(&tokens.refresh_token).await.expect("logout");
    assert_problem(
        me(&app, &client).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    let refused = app
        .anonymous
        .refresh(&tokens.refresh_token)
        .await
        .expect_err("revoked");
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn logout_with_the_refresh_token_alone_ends_the_access_tokens_too() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let phone = &world.physician.user.phone;
    let (phone_tokens, on_phone) = log_in(&app, phone).await;
    let (tablet_tokens, on_tablet) = log_in(&app, phone).await;
    app.anonymous
        .logout(&phone_tokens.refresh_token)
        .await
        .expect("logout");
    for client in [&on_phone, &on_tablet] {
        assert_problem(
            me(&app, client).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        );
    }
    // The other login keeps its refresh token and gets a working access token from it.
    let renewed = app
        .anonymous
        .refresh(&tablet_tokens.refresh_token)
        .await
        .expect("other login refreshes");
    assert_eq!(
        me(&app, &app.client(&renewed.access_token)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_supervisor_assigns_only_physicians_of_hospitals_in_their_jurisdiction() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let fengze = app
        .admin
        .create_program(&CreateProgram {
            name: "丰泽区千名医师下基层".into(),
            jurisdiction_code: world.other_county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let fengze_hospital = app
        .organization(
            "丰泽区医院",
            OrganizationKind::Hospital,
            &world.other_county,
            None,
        )
        .await;
    let fengze_physician = app
        .person(Role::Physician, Some(fengze_hospital.id), None)
        .await;
    let assignment = |physician: &User, site: &Organization, program: &Program| {
        json!({
            "physician_id": physician.id, "site_id": site.id, "program_id": program.id,
            "mode": "circuit", "start_date": "2026-04-01", "end_date": "2026-06-30",
            "window_start": "08:00", "window_end": "17:30",
        })
    };
    let create = |by: &Client, body: Value| {
        let by = by.clone();
        let app = &app;
        async move {
            app.send(&by, Method::POST, "/api/v1/assignments", Some(body))
                .await
        }
    };

    // 泉州's bureau may not pull 漳平's physician to a 丰泽 site, nor 龙岩's the other way.
    assert_problem(
        create(
            &world.other_supervisor.client,
            assignment(&world.physician.user, &world.other_site, &fengze),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        create(
            &world.supervisor.client,
            assignment(&fengze_physician.user, &world.site, &world.program),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let err = world
        .other_supervisor
        .client
        .service_record(world.physician.user.id)
        .await
        .expect_err("not theirs");
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));

    // Each bureau sends its own physicians; an admin may send anyone anywhere.
    for (by, body) in [
        (
            &world.other_supervisor.client,
            assignment(&fengze_physician.user, &world.other_site, &fengze),
        ),
        (
            &world.supervisor.client,
            assignment(&world.physician.user, &world.site, &world.program),
        ),
        (
            &app.admin,
            assignment(&world.physician.user, &world.other_site, &fengze),
        ),
    ] {
        let (status, body) = create(by, body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

#[tokio::test]
async fn a_deactivated_physician_cannot_be_assigned() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (status, _) = set_active(&app, &app.admin, &world.physician.user, false).await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({
        "physician_id": world.physician.user.id, "site_id": world.site.id,
        "program_id": world.program.id, "mode": "circuit",
        "start_date": "2026-04-01", "end_date": "2026-06-30",
        "window_start": "08:00", "window_end": "17:30",
    });
    assert_problem(
        app.send(&app.admin, Method::POST, "/api/v1/assignments", Some(body))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

/// A physician created by the admin with a typed password, signed in with it (the flag
/// still set): the tokens and a client.
async fn created_with_a_typed_password(
    app: &TestApp,
    world: &World,
) -> (String, TokenResponse, Client) {
    let phone = unique_phone();
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/users",
            Some(
                json!({"role": "physician", "name": "新医师", "phone": phone,
                        "password": PASSWORD, "organization_id": world.hospital.id}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (tokens, client) = log_in(app, &phone).await;
    (phone, tokens, client)
}

#[tokio::test]
async fn a_user_given_a_typed_password_is_refused_everything_but_setting_their_own() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (phone, tokens, client) = created_with_a_typed_password(&app, &world).await;
    assert!(
        tokens.must_change_password,
        "the administrator knows the password"
    );

    // Every other authenticated call: 403 with the stable code.
    for path in [
        "/api/v1/me/assignments",
        "/api/v1/me/visits",
        "/api/v1/sites/nearby?lat=25.29&lon=117.41",
    ] {
        let (status, body) = app.send(&client, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["code"], "password_change_required", "{path}");
    }
    // Refreshing still works, and so does the refreshed token for setting the password.
    let refreshed = app
        .anonymous
        .refresh(&tokens.refresh_token)
        .await
        .expect("refresh while the flag is set");
    assert!(refreshed.must_change_password);
    let client = app.client(&refreshed.access_token);
    let (status, body) = app
        .send(
            &client,
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({"current_password": PASSWORD, "new_password": "my own secret 42"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Once changed, the same token works at once (the cached state was cleared).
    let (status, body) = me(&app, &client).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = app
        .anonymous
        .login(&LoginRequest {
            phone,
            password: "my own secret 42".to_owned(),
            device_id: None,
        })
        .await
        .expect("login with their own password");
    assert!(!again.must_change_password);
}

#[tokio::test]
async fn a_password_reset_refuses_the_user_until_they_set_their_own_and_logout_still_works() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let physician = &world.physician;
    let (status, _) = me(&app, &physician.client).await;
    assert_eq!(status, StatusCode::OK);

    let path = format!("/api/v1/users/{}/password-reset", physician.user.id);
    let (status, reset) = app.send(&app.admin, Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    let one_time = reset["one_time_password"]
        .as_str()
        .expect("one-time password");
    let tokens = app
        .anonymous
        .login(&LoginRequest {
            phone: physician.user.phone.clone(),
            password: one_time.to_owned(),
            device_id: None,
        })
        .await
        .expect("login with the one-time password");
    assert!(tokens.must_change_password);
    let client = app.client(&tokens.access_token);
    let (status, body) = me(&app, &client).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "password_change_required");

    // Logging out is allowed while the flag is set.
    let (status, body) = app
        .send(
            &client,
            Method::POST,
            "/api/v1/auth/logout",
            Some(json!({"refresh_token": tokens.refresh_token})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}
