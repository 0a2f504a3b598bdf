//! Activity logs on visits and the program templates, through the real server.

use chrono::Duration;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkin::{Desk, accepted, local};
use crate::helpers::*;

/// A desk with one closed visit on 2026-03-02 (09:00–15:00); answers its id.
async fn desk_with_visit() -> (Desk, Uuid) {
    let desk = Desk::open().await;
    let body = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let visit_id: Uuid = serde_json::from_value(body["visit_id"].clone()).expect("visit id");
    desk.app.clock.set(local(2, 15, 0));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    (desk, visit_id)
}

fn log(kind: &str, count: u32) -> Value {
    json!({"kind": kind, "count": count})
}

async fn post_activity(
    desk: &Desk,
    client: &mobile_api::client::Client,
    visit: Uuid,
    body: Value,
) -> (StatusCode, Value) {
    desk.app
        .send(
            client,
            Method::POST,
            &format!("/api/v1/visits/{visit}/activities"),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn a_physician_logs_work_and_an_amendment_supersedes_without_editing() {
    let (desk, visit) = desk_with_visit().await;
    let physician = &desk.world.physician.client;
    let first = physician
        .log_activity(
            visit,
            &LogActivity {
                kind: ActivityKind::Outpatient,
                count: 12,
                note: Some("上午门诊".into()),
            },
        )
        .await
        .expect("logged");
    assert_eq!(first.count, 12);
    assert_eq!(first.supersedes_id, None);
    physician
        .log_activity(
            visit,
            &LogActivity {
                kind: ActivityKind::WardRound,
                count: 1,
                note: None,
            },
        )
        .await
        .expect("logged");
    desk.app.clock.advance(Duration::minutes(5));
    let amended = physician
        .log_activity(
            visit,
            &LogActivity {
                kind: ActivityKind::Outpatient,
                count: 15,
                note: None,
            },
        )
        .await
        .expect("amended");
    assert_eq!(amended.supersedes_id, Some(first.id));

    let all = physician.visit_activities(visit).await.expect("list");
    assert_eq!(all.len(), 3, "the amended record is kept");
    let original = all
        .iter()
        .find(|a| a.id == first.id)
        .expect("original kept");
    assert_eq!(original.count, 12, "never edited in place");
    assert!(!original.current);
    let current: Vec<(ActivityKind, u32)> = all
        .iter()
        .filter(|a| a.current)
        .map(|a| (a.kind, a.count))
        .collect();
    assert_eq!(
        current,
        vec![(ActivityKind::WardRound, 1), (ActivityKind::Outpatient, 15)]
    );

    // The supervisor of the county sees them; the other city's does not.
    let seen = desk
        .world
        .supervisor
        .client
        .visit_activities(visit)
        .await
        .expect("supervisor");
    assert_eq!(seen.len(), 3);
    let hidden = desk
        .app
        .send(
            &desk.world.other_supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit}/activities"),
            None,
        )
        .await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn logging_closes_at_the_end_of_the_following_local_day() {
    let (desk, visit) = desk_with_visit().await;
    desk.app.clock.set(local(3, 23, 59));
    let (status, body) = post_activity(
        &desk,
        &desk.world.physician.client,
        visit,
        log("lecture", 1),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    desk.app.clock.set(local(4, 0, 0));
    let late = post_activity(
        &desk,
        &desk.world.physician.client,
        visit,
        log("lecture", 2),
    )
    .await;
    assert_problem(
        late,
        StatusCode::UNPROCESSABLE_ENTITY,
        "activity_deadline_passed",
    );
    let all = desk
        .world
        .physician
        .client
        .visit_activities(visit)
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "the refused amendment stored nothing");
    assert_eq!(all[0].count, 1);
}

#[tokio::test]
async fn only_the_visits_physician_logs_and_bad_input_is_refused() {
    let (desk, visit) = desk_with_visit().await;
    let other = desk
        .app
        .person(Role::Physician, Some(desk.world.hospital.id), None)
        .await;
    let foreign = post_activity(&desk, &other.client, visit, log("outpatient", 3)).await;
    assert_problem(foreign, StatusCode::NOT_FOUND, "not_found");
    let supervisor = post_activity(
        &desk,
        &desk.world.supervisor.client,
        visit,
        log("outpatient", 3),
    )
    .await;
    assert_problem(supervisor, StatusCode::FORBIDDEN, "forbidden");
    let unknown = post_activity(
        &desk,
        &desk.world.physician.client,
        Uuid::new_v4(),
        log("outpatient", 3),
    )
    .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found");

    let physician = &desk.world.physician.client;
    for (body, field) in [
        (log("dancing", 1), "kind"),
        (log("outpatient", 10_001), "count"),
        (json!({"kind": "outpatient", "count": -1}), "count"),
        (
            json!({"kind": "outpatient", "count": 1, "note": "长".repeat(501)}),
            "note",
        ),
    ] {
        let (status, problem) = post_activity(&desk, physician, visit, body).await;
        let problem = assert_problem(
            (status, problem),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(field)),
            "{field}: {problem}"
        );
    }
    assert!(
        physician
            .visit_activities(visit)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn the_five_circulars_are_offered_as_program_templates_that_create_programs() {
    let app = TestApp::builder().spawn().await;
    let world = app.world().await;
    let templates = world
        .supervisor
        .client
        .program_templates()
        .await
        .expect("templates");
    let seeds: std::collections::BTreeSet<&str> =
        templates.iter().map(|t| t.source_seed.as_str()).collect();
    assert_eq!(
        seeds.len(),
        5,
        "one or more templates per seed circular: {seeds:?}"
    );
    let resident = templates
        .iter()
        .find(|t| t.key == "zhongzhan-2021-resident")
        .expect("中站 resident template");
    assert_eq!(resident.requirements.len(), 3);
    assert_eq!(resident.requirements_zh.len(), 3);
    assert!(
        resident
            .requirements
            .iter()
            .any(|r| r.min_consecutive_months == Some(6))
    );
    assert!(
        resident
            .requirements
            .iter()
            .any(|r| r.activity == Some(ActivityKind::WardRound) && r.min_visits == Some(2))
    );

    // Every template is accepted by POST /programs as it stands.
    for template in &templates {
        let program = app
            .admin
            .create_program(&CreateProgram {
                name: template.name.clone(),
                jurisdiction_code: world.county.clone(),
                half_day_minutes: Some(template.half_day_minutes),
                full_day_minutes: Some(template.full_day_minutes),
                requirements: template.requirements.clone(),
                eligibility: Default::default(),
            })
            .await
            .expect("template creates a program");
        assert_eq!(program.requirements, template.requirements);
    }

    let denied = app
        .send(
            &world.physician.client,
            Method::GET,
            "/api/v1/program-templates",
            None,
        )
        .await;
    assert_problem(denied, StatusCode::FORBIDDEN, "forbidden");
}
