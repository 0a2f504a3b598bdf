//! `GET /api/v1/sites/nearby`: nearest sites first with distances, scoped to what each
//! role may see, and fresh after organization changes here or in another process.

use std::time::Duration;

use mobile_api::*;
use reqwest::{Method, StatusCode};

use crate::helpers::*;
use crate::process::{ServerProcess, env_of};

/// `metres` east of the world's site centre.
fn east_of_site(metres: f64) -> (f64, f64) {
    let lon = SITE_LON + metres / (111_195.0 * SITE_LAT.to_radians().cos());
    (SITE_LAT, lon)
}

fn names(found: &NearbySites) -> Vec<&str> {
    found.items.iter().map(|s| s.name.as_str()).collect()
}

#[tokio::test]
async fn a_physician_at_their_site_is_told_they_are_inside_and_sees_no_unassigned_site() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    // An unassigned clinic 600 m east of the assigned one.
    let (lat, lon) = east_of_site(600.0);
    app.organization(
        "邻村卫生室",
        OrganizationKind::VillageClinic,
        &world.county,
        Some(circle(lat, lon, 100.0)),
    )
    .await;

    let found = world
        .physician
        .client
        .nearby_sites(SITE_LAT, SITE_LON + 0.0003, "wgs84", Some(2_000.0))
        .await
        .expect("nearby");
    assert_eq!(names(&found), vec!["溪南镇卫生院"]);
    let here = &found.items[0];
    assert_eq!(here.site_id, world.site.id);
    assert!(here.inside);
    assert_eq!(here.distance_m, 0.0);
    assert_eq!(found.radius_m, 2_000.0);

    // Walking away: the assigned site is now some way off, still the only one shown.
    let (lat, lon) = east_of_site(450.0);
    let found = world
        .physician
        .client
        .nearby_sites(lat, lon, "wgs84", Some(2_000.0))
        .await
        .expect("nearby");
    assert_eq!(names(&found), vec!["溪南镇卫生院"]);
    let away = found.items[0].distance_m;
    assert!(!found.items[0].inside);
    assert!((280.0..320.0).contains(&away), "about 300 m, got {away}");
}

#[tokio::test]
async fn an_admin_sees_every_site_nearest_first_and_a_fence_change_at_once() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (lat, lon) = east_of_site(600.0);
    let neighbour = app
        .organization(
            "邻村卫生室",
            OrganizationKind::VillageClinic,
            &world.county,
            Some(circle(lat, lon, 100.0)),
        )
        .await;
    let (fix_lat, fix_lon) = east_of_site(400.0);
    let found = app
        .admin
        .nearby_sites(fix_lat, fix_lon, "wgs84", None)
        .await
        .expect("nearby");
    // 400 m from the site's centre is 250 m from its edge; the neighbour's edge is 100 m away.
    assert_eq!(names(&found), vec!["邻村卫生室", "溪南镇卫生院"]);
    assert!(found.items[0].distance_m < found.items[1].distance_m);

    // Moving the neighbour's fence far away takes effect on the very next lookup.
    app.admin
        .update_organization(
            neighbour.id,
            &UpdateOrganization {
                name: None,
                geofence: Some(circle(SITE_LAT + 0.5, SITE_LON, 100.0)),
                timezone: None,
                max_accuracy_m: None,
                daily_code_policy: None,
            },
        )
        .await
        .expect("fence moved");
    let found = app
        .admin
        .nearby_sites(fix_lat, fix_lon, "wgs84", None)
        .await
        .expect("nearby");
    assert_eq!(names(&found), vec!["溪南镇卫生院"]);
}

#[tokio::test]
async fn each_role_sees_only_the_sites_in_its_scope() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let at_site = |client: &mobile_api::client::Client| {
        let client = client.clone();
        async move {
            client
                .nearby_sites(SITE_LAT, SITE_LON, "wgs84", Some(100.0))
                .await
                .expect("nearby")
        }
    };
    assert_eq!(
        names(&at_site(&world.supervisor.client).await),
        vec!["溪南镇卫生院"]
    );
    assert_eq!(
        names(&at_site(&world.clinic_admin.client).await),
        vec!["溪南镇卫生院"]
    );
    assert!(
        at_site(&world.other_supervisor.client)
            .await
            .items
            .is_empty()
    );
    assert!(at_site(&world.hospital_admin.client).await.items.is_empty());

    let kiosk = app.client(&world.kiosk.token);
    let path = format!("/api/v1/sites/nearby?lat={SITE_LAT}&lon={SITE_LON}");
    assert_problem(
        app.send(&kiosk, Method::GET, &path, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        app.send(&app.anonymous, Method::GET, &path, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[tokio::test]
async fn bad_positions_radii_and_datums_are_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (query, names_param) in [
        ("lat=91&lon=117", "lat"),
        ("lat=NaN&lon=117", "lat"),
        ("lat=25&lon=inf", "lon"),
        ("lon=117", "lat"),
        ("lat=25&lon=117&radius_m=5001", "radius_m"),
        ("lat=25&lon=117&radius_m=-1", "radius_m"),
        ("lat=25&lon=117&limit=21", "limit"),
        ("lat=25&lon=117&limit=0", "limit"),
        ("lat=25&lon=117&crs=utm", "crs"),
    ] {
        let path = format!("/api/v1/sites/nearby?{query}");
        let body = assert_problem(
            app.send(&app.admin, Method::GET, &path, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(names_param), "{query}: {detail}");
    }
}

#[tokio::test]
async fn a_gcj02_fix_is_converted_before_measuring() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    // The GCJ-02 rendering of the site's centre lies hundreds of metres off in WGS-84
    // terms; converted back it is inside the 150 m fence.
    let gcj = xiaxiang_server::domain::coords::wgs84_to_gcj02(
        xiaxiang_server::domain::coords::LatLon::new(SITE_LAT, SITE_LON),
    );
    let found = world
        .physician
        .client
        .nearby_sites(gcj.lat, gcj.lon, "gcj02", Some(0.0))
        .await
        .expect("nearby");
    assert_eq!(names(&found), vec!["溪南镇卫生院"]);
    let raw = world
        .physician
        .client
        .nearby_sites(gcj.lat, gcj.lon, "wgs84", Some(0.0))
        .await
        .expect("nearby");
    assert!(
        raw.items.is_empty(),
        "read as WGS-84 the fix is off the fence"
    );
}

#[tokio::test]
async fn another_process_sees_a_new_site_within_a_few_seconds() {
    let app = TestApp::builder().at(chrono::Utc::now()).spawn().await;
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
    let log = std::env::temp_dir().join(format!("xiaxiang-sites-{}.log", uuid::Uuid::new_v4()));
    let mut process = ServerProcess::start(&env_of(&app), &log).await;
    let token = app.admin.token().expect("admin token").to_owned();
    let remote = process.client(&token);
    let before = remote
        .nearby_sites(SITE_LAT, SITE_LON, "wgs84", Some(100.0))
        .await
        .expect("nearby");
    assert!(
        before.items.is_empty(),
        "the process has built an empty index"
    );

    app.organization(
        "溪南镇卫生院",
        OrganizationKind::TownshipHealthCenter,
        "350881",
        Some(circle(SITE_LAT, SITE_LON, 150.0)),
    )
    .await;
    // The process re-reads the fingerprint every two seconds; allow a generous margin.
    let mut seen = false;
    for _ in 0..60 {
        let found = remote
            .nearby_sites(SITE_LAT, SITE_LON, "wgs84", Some(100.0))
            .await
            .expect("nearby");
        if names(&found) == vec!["溪南镇卫生院"] {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    process.terminate().await;
    let _ = std::fs::remove_file(&log);
    assert!(seen, "the other process never saw the new site");
}
