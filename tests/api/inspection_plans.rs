//! Inspection plans: sites drawn from a recorded seed (the same seed draws the same
//! sites), audited, and marked inspected once an inspection in the period finds them.

use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn local(month: u32, day: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, month, day, h, 0, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

fn drawn(plan: &Value) -> Vec<String> {
    plan["sites"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|x| x["site_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn plan(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    app.send(client, Method::POST, "/api/v1/inspection-plans", Some(body))
        .await
}

#[tokio::test]
async fn a_plan_redraws_from_its_seed_and_follows_the_inspections_of_its_period() {
    let app = TestApp::builder().at(local(3, 2, 11)).spawn().await;
    let world = app.world().await;
    for (i, name) in ["桂林街道社区卫生服务中心", "和平镇卫生院", "新桥镇卫生院"]
        .iter()
        .enumerate()
    {
        app.organization(
            name,
            OrganizationKind::TownshipHealthCenter,
            &world.county,
            Some(circle(SITE_LAT + 0.05 * (i as f64 + 1.0), SITE_LON, 150.0)),
        )
        .await;
    }
    let supervisor = &world.supervisor.client;

    let (status, first) = plan(
        &app,
        supervisor,
        json!({"jurisdiction_code": world.county, "period": "2026-Q1", "sites": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["candidates"], 4, "the county's four receiving sites");
    assert_eq!(first["period"], "2026-Q1");
    let seed = first["seed"].as_str().expect("a recorded seed").to_owned();
    assert_eq!(drawn(&first).len(), 2);
    assert!(
        first["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .all(|s| s["inspected"] == false)
    );

    // The same seed and the same sites: the same draw, in the same order.
    let (status, again) = plan(
        &app,
        supervisor,
        json!({"jurisdiction_code": world.county, "period": "2026-Q1", "sites": 2, "seed": seed}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["seed"], seed.as_str());
    assert_eq!(drawn(&again), drawn(&first));

    // The draw is in the audit chain with its seed and candidates.
    let id = first["id"].as_str().expect("id");
    let (_, entries) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=inspection_plan&object_id={id}"),
            None,
        )
        .await;
    let after = &entries["items"][0]["after"];
    assert_eq!(after["seed"], seed.as_str(), "{entries}");
    assert_eq!(after["candidates"].as_array().map(Vec::len), Some(4));
    assert_eq!(after["drawn"].as_array().map(Vec::len), Some(2));

    // Bad input names its field; another county is unknown to this supervisor.
    for (body, field) in [
        (
            json!({"jurisdiction_code": world.county, "period": "2026-Q5", "sites": 2}),
            "period",
        ),
        (
            json!({"jurisdiction_code": world.county, "period": "2026", "sites": 0}),
            "sites",
        ),
        (
            json!({"jurisdiction_code": world.county, "period": "2026", "sites": 1, "seed": "x"}),
            "seed",
        ),
    ] {
        let problem = assert_problem(
            plan(&app, supervisor, body).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{problem}"
        );
    }
    let hidden = plan(
        &app,
        supervisor,
        json!({"jurisdiction_code": world.other_county, "period": "2026", "sites": 1}),
    )
    .await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "not_found");

    // An inspection in the quarter at the first drawn site marks it inspected.
    let target = drawn(&first)[0].clone();
    let (status, inspected) = app
        .send(
            supervisor,
            Method::POST,
            "/api/v1/inspections",
            Some(json!({"site_id": target, "kind": "onsite", "observed_at": local(3, 2, 10), "note": "季度督查"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inspected}");
    let (status, list) = app
        .send(
            supervisor,
            Method::GET,
            &format!(
                "/api/v1/inspection-plans?jurisdiction_code={}&year=2026",
                world.county
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let plans = list["items"].as_array().expect("plans");
    assert_eq!(plans.len(), 2);
    for p in plans {
        assert_eq!(p["inspected"], 1, "{p}");
        let site = p["sites"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["site_id"] == target.as_str()))
            .expect("the drawn site");
        assert_eq!(site["inspected"], true);
        assert!(site["last_inspected_at"].is_string());
    }
    let periods = list["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 5, "four quarters and the year");
    assert_eq!(periods[0]["period"], "2026-Q1");
    assert_eq!(
        (
            periods[0]["plans"].clone(),
            periods[0]["sites"].clone(),
            periods[0]["inspected"].clone()
        ),
        (json!(2), json!(4), json!(2))
    );
    assert_eq!(periods[1]["plans"], 0, "no plan for Q2");
    assert_eq!(periods[4]["period"], "2026");
    let (_, verified) = app
        .send(&app.admin, Method::GET, "/api/v1/audit/verification", None)
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
}
