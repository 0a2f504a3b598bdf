//! What the console's administration pages read beyond the plain resources: a site's
//! fence versions with the attempts and visits judged against each.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
