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
    // The phone page prints each requirement's `description_zh`: a consecutive span is
    // worded in months, as the compliance report words it, never as a count of visits.
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    let (status, program) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({
                "name": "福建省县域派驻服务（乡级派驻）",
                "jurisdiction_code": world.county,
                "requirements": [
                    {"period": "month", "min_days": 1},
                    {"period": "assignment", "min_consecutive_months": 6}
                ]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{program}");
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
                "start_date": "2026-03-02", "end_date": "2026-12-31",
                "window_start": "08:00", "window_end": "17:30"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let summary = physician
        .client
        .my_summary("2026-03")
        .await
        .expect("summary");
    let words: Vec<&str> = summary
        .assignments
        .iter()
        .flat_map(|a| a.requirements.iter().map(|r| r.description_zh.as_str()))
        .collect();
    assert!(words.contains(&"每月不少于1天"), "{words:?}");
    assert!(words.contains(&"连续服务不少于6个月"), "{words:?}");
    assert!(!words.iter().any(|w| w.contains('次')), "{words:?}");
}

/// Local time in Asia/Shanghai on 2026-05-`day`.
fn may(day: u32, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 5, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn working_days_follow_the_holiday_schedule_with_its_weekends_worked() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    // 2026 ships with the server; 2027 is loaded by the admin.
    let (status, years) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            "/api/v1/holiday-calendars",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{years}");
    assert_eq!(years[0]["year"], 2026);
    let may_day = years[0]["days"]
        .as_array()
        .map(|days| days.iter().filter(|d| d["name"] == "劳动节").count());
    assert_eq!(may_day, Some(5));
    let schedule = json!({"source": "测试用", "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-01-03", "kind": "workday", "name": "元旦调休上班"}
    ]});
    assert_problem(
        app.send(
            &world.supervisor.client,
            Method::PUT,
            "/api/v1/holiday-calendars/2027",
            Some(schedule.clone()),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let bad = assert_problem(
        app.send(
            &app.admin,
            Method::PUT,
            "/api/v1/holiday-calendars/2027",
            Some(json!({"days": [{"date": "2027-01-04", "kind": "workday", "name": "周一"}]})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        bad["detail"].as_str().unwrap_or("").contains("2027-01-04"),
        "{bad}"
    );
    let (status, loaded) = app
        .send(
            &app.admin,
            Method::PUT,
            "/api/v1/holiday-calendars/2027",
            Some(schedule),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    let (_, years) = app
        .send(&app.admin, Method::GET, "/api/v1/holiday-calendars", None)
        .await;
    assert_eq!(years.as_array().map(Vec::len), Some(2));
    let (_, audit) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?object_type=holiday_calendar&object_id=2027",
            None,
        )
        .await;
    assert_eq!(
        audit["items"][0]["action"], "holiday_calendar.set",
        "{audit}"
    );

    // 光山: 每月不少于2个工作日. Served Monday 4 and Tuesday 5 May (劳动节, days off) and
    // Saturday 9 May (调休, a working day): one working day, not the two Monday to Friday
    // would give.
    let (status, program) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(
                json!({"name": "光山县优质资源下沉", "jurisdiction_code": world.county,
                "requirements": [{"period": "month", "min_working_days": 2}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{program}");
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
                "start_date": "2026-05-01", "end_date": "2026-05-31",
                "window_start": "08:00", "window_end": "17:30"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Tokens last a month: sign in again in May.
    desk.app.clock.set(may(4, 8, 0));
    let physician = app.login(physician.user.phone.as_str(), PASSWORD).await;
    for day in [4, 5, 9] {
        for (action, (h, m)) in [("check-in", (8, 30)), ("check-out", (15, 0))] {
            desk.app.clock.set(may(day, h, m));
            let mut request = desk.request(&desk.code().await);
            request["device_id"] = json!("phone-C");
            accepted(desk.post(&physician, action, &request).await);
        }
    }
    let summary = physician.my_summary("2026-05").await.expect("summary");
    let progress = &summary.assignments[0].requirements[0];
    assert_eq!(progress.requirement.min_working_days, Some(2));
    assert_eq!(
        (progress.required, progress.credited),
        (2.0, 1.0),
        "{progress:?}"
    );
}
