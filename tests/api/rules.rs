//! Rule gaps of #18 point 7 judged through the server: distinct days served, a
//! fortnight period, and the phone page's words for a consecutive span.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::checkin::{Desk, accepted, local};
use crate::helpers::*;

#[tokio::test]
async fn two_visits_on_one_day_are_one_day_served() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    let (status, program) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({
                "name": "福建省县域派驻服务（村级派驻）",
                "jurisdiction_code": world.county,
                "requirements": [
                    {"period": "week", "min_days_served": 2},
                    {"period": "fortnight", "min_days": 1}
                ]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{program}");
    assert_eq!(program["requirements"][0]["min_days_served"], 2);
    assert_eq!(program["requirements"][1]["period"], "fortnight");
    let physician = app
        .person(Role::Physician, Some(world.hospital.id), None)
        .await;
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(json!({
                "physician_id": physician.user.id, "site_id": world.site.id,
                "program_id": program["id"], "mode": "dispatch",
                "start_date": "2026-03-02", "end_date": "2026-03-31",
                "window_start": "08:00", "window_end": "17:30"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Monday 2026-03-02: a morning and an afternoon, each over the half-day threshold.
    for (from, to) in [((8, 30), (11, 45)), ((13, 0), (16, 30))] {
        for (action, (h, m)) in [("check-in", from), ("check-out", to)] {
            desk.app.clock.set(local(2, h, m));
            let mut request = desk.request(&desk.code().await);
            request["device_id"] = json!("phone-B");
            accepted(desk.post(&physician.client, action, &request).await);
        }
    }
    let summary = physician
        .client
        .my_summary("2026-03")
        .await
        .expect("summary");
    let mine = &summary.assignments[0];
    let week = mine
        .requirements
        .iter()
        .find(|r| r.requirement.min_days_served.is_some())
        .expect("the weekly requirement");
    assert_eq!(
        (week.period_start.to_string(), week.period_end.to_string()),
        ("2026-03-02".into(), "2026-03-08".into())
    );
    assert_eq!((week.required, week.credited), (2.0, 1.0), "{week:?}");
    let fortnight = mine
        .requirements
        .iter()
        .find(|r| r.requirement.period == RequirementPeriod::Fortnight)
        .expect("the fortnightly requirement");
    assert_eq!(
        (
            fortnight.period_start.to_string(),
            fortnight.period_end.to_string()
        ),
        ("2026-03-02".into(), "2026-03-15".into())
    );
    assert_eq!(fortnight.status, Progress::Met, "{fortnight:?}");
}

#[tokio::test]
async fn the_phone_page_words_a_consecutive_span_in_months() {
    let app = TestApp::spawn().await;
    let page = app
        .anonymous
        .request(Method::GET, "/m/")
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(page.contains("连续服务至少 {n} 个月"), "the span's words");
    assert!(page.contains("r.min_consecutive_months != null"));
}
