//! Administration: validation, geofences and their versions, scoping of lists.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn county(app: &TestApp) {
    app.jurisdiction("350000", "福建省", JurisdictionLevel::Province, None)
        .await;
    app.jurisdiction("350800", "龙岩市", JurisdictionLevel::City, Some("350000"))
        .await;
    app.jurisdiction(
        "350881",
        "漳平市",
        JurisdictionLevel::County,
        Some("350800"),
    )
    .await;
}

async fn create_site(app: &TestApp, geofence: Value) -> (StatusCode, Value) {
    let body = json!({"name": "卫生院", "kind": "township_health_center",
                      "jurisdiction_code": "350881", "geofence": geofence});
    app.send(
        &app.admin,
        Method::POST,
        "/api/v1/organizations",
        Some(body),
    )
    .await
}

fn square(lon: f64, lat: f64, half: f64) -> Vec<[f64; 2]> {
    vec![
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
}

#[tokio::test]
async fn malformed_geofences_are_refused_with_invalid_geofence() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let mut unclosed = square(117.41, 25.29, 0.001);
    unclosed.pop();
    let bowtie = vec![
        [117.40, 25.28],
        [117.42, 25.30],
        [117.42, 25.28],
        [117.40, 25.30],
        [117.40, 25.28],
    ];
    let cases = vec![
        (
            "unclosed ring",
            json!({"type": "Polygon", "coordinates": [unclosed]}),
        ),
        (
            "self-intersection",
            json!({"type": "Polygon", "coordinates": [bowtie]}),
        ),
        (
            "latitude out of range",
            json!({"type": "Polygon", "coordinates": [square(117.41, 90.5, 0.001)]}),
        ),
        ("longitude out of range", circle(25.0, 181.0, 100.0)),
        ("radius too small", circle(25.29, 117.41, 5.0)),
        ("radius too large", circle(25.29, 117.41, 5001.0)),
        (
            "unknown type",
            json!({"type": "Point", "coordinates": [117.41, 25.29]}),
        ),
        (
            "unknown crs",
            json!({"type": "circle", "center": {"lat": 25.29, "lon": 117.41}, "radius_m": 100, "crs": "epsg3857"}),
        ),
        (
            "too few positions",
            json!({"type": "Polygon", "coordinates": [[[117.4, 25.2], [117.5, 25.2], [117.4, 25.2]]]}),
        ),
    ];
    for (name, fence) in cases {
        let body = assert_problem(
            create_site(&app, fence).await,
            StatusCode::BAD_REQUEST,
            "invalid_geofence",
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: {body}"
        );
    }
    // Nothing was stored by the refusals.
    let list = app.admin.list_organizations().await.expect("lists");
    assert!(list.items.is_empty(), "{:?}", list.items);
}

#[tokio::test]
async fn a_polygon_of_more_than_ten_thousand_vertices_is_refused() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let ring = |n: usize| {
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                [117.41 + 0.01 * a.cos(), 25.29 + 0.01 * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        ring
    };
    let (status, body) = create_site(
        &app,
        json!({"type": "Polygon", "coordinates": [ring(10_000)]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_problem(
        create_site(
            &app,
            json!({"type": "Polygon", "coordinates": [ring(10_001)]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_geofence",
    );
}

/// Mainland China's rough outline ([lon, lat]): a fence a supervisor once set on a
/// clinic, after which a check-in from Beijing was accepted.
fn china() -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [73.5, 39.5], [80.0, 30.0], [97.5, 28.0], [108.0, 21.5], [121.5, 25.0],
        [122.0, 31.0], [125.0, 40.0], [131.0, 43.0], [134.7, 48.3], [123.0, 53.5],
        [116.0, 49.0], [97.0, 42.0], [87.0, 49.0], [73.5, 39.5]
    ]]})
}

fn detail(body: &Value) -> &str {
    body["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_fence_larger_than_a_clinic_is_refused_on_create_and_change_naming_the_limit() {
    let app = TestApp::spawn().await;
    county(&app).await;

    let body = assert_problem(
        create_site(&app, china()).await,
        StatusCode::BAD_REQUEST,
        "invalid_geofence",
    );
    assert!(detail(&body).contains("at most 80 km²"), "{body}");
    // Two yards 12 km apart: each small, together no single clinic.
    let far_apart = json!({"type": "MultiPolygon", "coordinates": [
        [square(117.41, 25.29, 0.001)],
        [square(117.53, 25.29, 0.001)],
    ]});
    let body = assert_problem(
        create_site(&app, far_apart).await,
        StatusCode::BAD_REQUEST,
        "invalid_geofence",
    );
    assert!(detail(&body).contains("at most 10000 m"), "{body}");
    assert!(
        app.admin
            .list_organizations()
            .await
            .expect("lists")
            .items
            .is_empty(),
        "refusals store nothing"
    );

    // A township-sized polygon (about 4.5 km across) is a fence like any other.
    let (status, site) = create_site(
        &app,
        json!({"type": "Polygon", "coordinates": [square(117.41, 25.29, 0.015)]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let id = site["id"].as_str().expect("id");
    for fence in [
        china(),
        json!({"type": "MultiPolygon", "coordinates": [china()["coordinates"].clone()]}),
    ] {
        let body = assert_problem(
            app.send(
                &app.admin,
                Method::PATCH,
                &format!("/api/v1/organizations/{id}"),
                Some(json!({ "geofence": fence })),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_geofence",
        );
        assert!(detail(&body).contains("km²"), "{body}");
    }
    let after = app
        .admin
        .get_organization(id.parse().expect("uuid"))
        .await
        .expect("reads");
    assert_eq!(after.geofence_version, Some(1), "the fence is unchanged");
}

#[tokio::test]
async fn the_fence_limits_follow_the_configuration() {
    let app = TestApp::builder()
        .config(|c| {
            c.fence_limits.max_area_km2 = 1.0;
            c.fence_limits.max_extent_m = 1_500.0;
        })
        .spawn()
        .await;
    county(&app).await;
    let body = assert_problem(
        create_site(&app, circle(25.29, 117.41, 1_000.0)).await,
        StatusCode::BAD_REQUEST,
        "invalid_geofence",
    );
    assert!(detail(&body).contains("at most 1 km²"), "{body}");
    let body = assert_problem(
        create_site(
            &app,
            json!({"type": "Polygon", "coordinates": [[
                [117.40, 25.290], [117.42, 25.290], [117.42, 25.291], [117.40, 25.291], [117.40, 25.290]
            ]]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_geofence",
    );
    assert!(detail(&body).contains("at most 1500 m"), "{body}");
    let (status, body) = create_site(&app, circle(25.29, 117.41, 500.0)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_gcj02_fence_is_stored_in_wgs84() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let gcj = json!({"type": "circle", "center": {"lat": 25.2910, "lon": 117.4120}, "radius_m": 200, "crs": "gcj02"});
    let (status, body) = create_site(&app, gcj).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let fence = &body["geofence"];
    assert_eq!(fence["crs"], "wgs84");
    let (lat, lon) = (
        fence["center"]["lat"].as_f64().expect("lat"),
        fence["center"]["lon"].as_f64().expect("lon"),
    );
    // GCJ-02 is shifted by hundreds of metres in Fujian; the stored centre moved back.
    let dlat_m = (lat - 25.2910) * 111_000.0;
    let dlon_m = (lon - 117.4120) * 111_000.0 * 25.29f64.to_radians().cos();
    let shift = (dlat_m * dlat_m + dlon_m * dlon_m).sqrt();
    assert!((100.0..800.0).contains(&shift), "shift {shift} m");
}

#[tokio::test]
async fn changing_a_geofence_makes_a_new_version() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let (status, site) = create_site(&app, circle(25.29, 117.41, 100.0)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(site["geofence_version"], 1);
    let id: uuid::Uuid = serde_json::from_value(site["id"].clone()).expect("id");
    let renamed = app
        .admin
        .update_organization(
            id,
            &UpdateOrganization {
                name: Some("新名字".into()),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    assert_eq!(
        renamed.geofence_version,
        Some(1),
        "a rename is not a fence change"
    );
    let moved = app
        .admin
        .update_organization(
            id,
            &UpdateOrganization {
                geofence: Some(circle(25.30, 117.42, 300.0)),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    assert_eq!(moved.geofence_version, Some(2));
    assert_eq!(moved.name, "新名字");
    assert_eq!(moved.geofence.expect("fence")["radius_m"], 300.0);
    let bad = app
        .send(
            &app.admin,
            Method::PATCH,
            &format!("/api/v1/organizations/{id}"),
            Some(json!({"geofence": circle(25.3, 117.4, 1.0)})),
        )
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_geofence");
    let after = app.admin.get_organization(id).await.expect("reads");
    assert_eq!(
        after.geofence_version,
        Some(2),
        "a refused change stores nothing"
    );
}

#[tokio::test]
async fn jurisdictions_nest_by_level_and_codes_are_unique() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let post = |body: Value| {
        app.send(
            &app.admin,
            Method::POST,
            "/api/v1/jurisdictions",
            Some(body),
        )
    };
    assert_problem(
        post(json!({"code": "350882", "name": "x", "level": "city", "parent_code": "350881"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        post(json!({"code": "35088", "name": "x", "level": "county", "parent_code": "350800"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        post(
            json!({"code": "350881", "name": "again", "level": "county", "parent_code": "350800"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_exists",
    );
    assert_problem(
        post(json!({"code": "350899", "name": "x", "level": "county", "parent_code": "999999"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let body = assert_problem(
        post(json!({"code": "350899", "name": "x", "level": "district"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["detail"].as_str().unwrap_or("").contains("level"),
        "{body}"
    );
}

#[tokio::test]
async fn user_fields_are_validated_and_phones_unique() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let hospital = app
        .organization("医院", OrganizationKind::Hospital, "350881", None)
        .await;
    let user = |phone: &str, password: &str, role: &str| json!({"role": role, "name": "李医生", "phone": phone, "password": password, "organization_id": hospital.id});
    let post = |body: Value| app.send(&app.admin, Method::POST, "/api/v1/users", Some(body));
    let phone = unique_phone();
    let (status, _) = post(user(&phone, PASSWORD, "physician")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_problem(
        post(user(&phone, PASSWORD, "physician")).await,
        StatusCode::CONFLICT,
        "already_exists",
    );
    let body = assert_problem(
        post(user("12345", PASSWORD, "physician")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(body["detail"].as_str().unwrap_or("").contains("phone"));
    let body = assert_problem(
        post(user(&unique_phone(), "short", "physician")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(body["detail"].as_str().unwrap_or("").contains("password"));
    assert_problem(
        post(user(&unique_phone(), PASSWORD, "kiosk")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let body = assert_problem(
        post(json!({"role": "supervisor", "name": "王", "phone": unique_phone(), "password": PASSWORD})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("jurisdiction_code")
    );
}

#[tokio::test]
async fn program_requirements_are_validated() {
    let app = TestApp::spawn().await;
    county(&app).await;
    let post = |requirements: Value| {
        app.send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({"name": "方案", "jurisdiction_code": "350881", "requirements": requirements})),
        )
    };
    let (status, body) = post(json!([{"period": "week", "min_half_days": 3},
                                      {"period": "week", "min_half_days": 2, "activity": "outpatient"},
                                      {"period": "assignment", "min_consecutive_months": 6}]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["requirements"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["half_day_minutes"], 180);
    let body = assert_problem(
        post(json!([{"period": "month"}])).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("requirements[0]"),
        "{body}"
    );
    assert_problem(
        post(json!([{"period": "month", "min_days": 1, "min_visits": 2}])).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        post(json!([{"period": "decade", "min_days": 1}])).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let thresholds = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(
                json!({"name": "方案", "jurisdiction_code": "350881", "half_day_minutes": 400,
                        "full_day_minutes": 360, "requirements": []}),
            ),
        )
        .await;
    assert_problem(thresholds, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn assignments_check_dates_windows_and_roles() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let body = |physician: uuid::Uuid, start: &str, end: &str, ws: &str, we: &str| {
        json!({"physician_id": physician, "site_id": world.site.id, "program_id": world.program.id,
               "mode": "dispatch", "start_date": start, "end_date": end, "window_start": ws, "window_end": we})
    };
    let post = |b: Value| app.send(&app.admin, Method::POST, "/api/v1/assignments", Some(b));
    let id = world.physician.user.id;
    let (status, created) = post(body(id, "2026-03-01", "2026-08-31", "08:00", "12:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["mode"], "dispatch");
    assert_problem(
        post(body(id, "2026-03-01", "2026-02-01", "08:00", "12:00")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let w = assert_problem(
        post(body(id, "2026-03-01", "2026-04-01", "12:00", "08:00")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(w["detail"].as_str().unwrap_or("").contains("window"), "{w}");
    assert_problem(
        post(body(id, "2026-03-01", "2026-04-01", "25:00", "26:00")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let not_physician = world.supervisor.user.id;
    assert_problem(
        post(body(
            not_physician,
            "2026-03-01",
            "2026-04-01",
            "08:00",
            "12:00",
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn lists_show_only_what_the_caller_reaches() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let inside = world
        .supervisor
        .client
        .list_organizations()
        .await
        .expect("lists");
    let ids: Vec<_> = inside.items.iter().map(|o| o.id).collect();
    assert!(ids.contains(&world.site.id) && ids.contains(&world.hospital.id));
    assert!(!ids.contains(&world.other_site.id));
    let own = world
        .clinic_admin
        .client
        .list_organizations()
        .await
        .expect("lists");
    assert_eq!(
        own.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![world.site.id]
    );
    let codes: Vec<String> = world
        .other_supervisor
        .client
        .list_jurisdictions()
        .await
        .expect("lists")
        .items
        .into_iter()
        .map(|j| j.code)
        .collect();
    assert_eq!(
        codes,
        vec![world.other_city.clone(), world.other_county.clone()]
    );
    let all = app.admin.list_organizations().await.expect("lists");
    assert_eq!(all.items.len(), 3);
}

#[tokio::test]
async fn list_pagination_walks_every_item_once() {
    let app = TestApp::spawn().await;
    app.jurisdiction("350000", "福建省", JurisdictionLevel::Province, None)
        .await;
    for i in 0..5 {
        app.organization(
            &format!("卫生院{i}"),
            OrganizationKind::VillageClinic,
            "350000",
            None,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/organizations?limit=2".to_owned();
    loop {
        let (status, page) = app.send(&app.admin, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|o| o["id"].as_str().unwrap_or("").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/organizations?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 5);
    assert_eq!(unique.len(), 5);
    assert_problem(
        app.send(
            &app.admin,
            Method::GET,
            "/api/v1/organizations?limit=501",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_revoked_kiosk_token_stops_working() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);
    let (status, _) = app
        .send(&kiosk, Method::GET, "/api/v1/kiosk/code", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    app.admin
        .revoke_kiosk(world.kiosk.kiosk_id)
        .await
        .expect("revoked");
    let (status, body) = app
        .send(&kiosk, Method::GET, "/api/v1/kiosk/code", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
