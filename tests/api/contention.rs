//! Concurrent writers of one row: each write transaction takes the write lock before it
//! reads, so racing requests queue instead of answering 500 "database is locked", and
//! the row-level races they used to lose are decided in one order.

use mobile_api::*;
use reqwest::{Method, StatusCode};

use crate::helpers::*;

const RACERS: usize = 8;

/// Runs the futures at once and answers their results in the order they were given.
async fn all_at_once<T: Send + 'static>(
    futures: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("the request task completes"));
    }
    out
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_rotate_once_and_revoke_the_family() {
    let app = TestApp::spawn().await;
    let person = app.person(Role::Admin, None, None).await;
    let tokens = app
        .anonymous
        .login(&LoginRequest {
            phone: person.user.phone.clone(),
            password: PASSWORD.into(),
            device_id: None,
        })
        .await
        .expect("login");

    let answers = all_at_once((0..RACERS).map(|_| {
        let (client, token) = (app.anonymous.clone(), tokens.refresh_token.clone());
        async move { client.refresh(&token).await }
    }))
    .await;

    let rotated: Vec<&TokenResponse> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(rotated.len(), 1, "exactly one refresh wins: {answers:?}");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(
            refused.status(),
            Some(StatusCode::UNAUTHORIZED),
            "the others are refused, not failed: {refused:?}"
        );
    }
    // The losers presented a spent token: a replay, which revokes the whole family,
    // including the token the winner was handed.
    let after = app
        .anonymous
        .refresh(&rotated[0].refresh_token)
        .await
        .unwrap_err();
    assert_eq!(after.code(), Some("invalid_token"));
}

#[tokio::test]
async fn concurrent_geofence_changes_all_succeed_with_consecutive_versions() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let first = world.site.geofence_version.unwrap_or(0);

    let patches = (0..RACERS).map(|i| {
        let body = UpdateOrganization {
            geofence: Some(circle(SITE_LAT, SITE_LON, 200.0 + 10.0 * i as f64)),
            ..Default::default()
        };
        let admin = app.admin.clone();
        let site = world.site.id;
        async move { admin.update_organization(site, &body).await }
    });
    let answers = all_at_once(patches).await;

    let mut versions: Vec<i64> = answers
        .iter()
        .map(|a| {
            a.as_ref()
                .unwrap_or_else(|e| panic!("every change succeeds: {e:?}"))
                .geofence_version
                .expect("a fence")
        })
        .collect();
    versions.sort_unstable();
    let expected: Vec<i64> = (first + 1..=first + RACERS as i64).collect();
    assert_eq!(versions, expected);

    // Each change's audit entry saw the fence the previous one left.
    let (status, page) = app
        .send(
            &app.admin,
            Method::GET,
            &format!(
                "/api/v1/audit?object_type=organization&object_id={}&limit=100",
                world.site.id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let updates: Vec<&serde_json::Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "organization.update")
        .collect();
    assert_eq!(updates.len(), RACERS);
    for (n, entry) in updates.iter().enumerate() {
        let before = first + n as i64;
        assert_eq!(entry["before"]["geofence_version"], before, "{entry}");
        assert_eq!(entry["after"]["geofence_version"], before + 1, "{entry}");
    }
}
