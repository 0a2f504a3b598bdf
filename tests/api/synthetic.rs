//! `server seed-synthetic`: a tiny synthetic province seeded into the test server's
//! database shows up through the API as visits, credited days and anomalies.

use std::time::Duration;

use chrono::NaiveDate;
use mobile_api::{AttendanceRequest, Crs, Location, Verdict};
use uuid::Uuid;
use xiaxiang_server::App;
use xiaxiang_server::demo::{self, DEMO_PASSWORD};
use xiaxiang_server::domain::user::Role;
use xiaxiang_server::synthetic::{FaultRates, Path, Plan, Spec, seed};

use crate::helpers::TestApp;

const PASSWORD: &str = "synthetic-pass-1";

fn tiny_province(end_date: NaiveDate) -> Spec {
    Spec {
        counties: 2,
        physicians: 6,
        days: 10,
        end_date,
        seed: 5,
        province_prefix: 39,
        province_name: "海岚省".into(),
        password: PASSWORD.into(),
        faults: FaultRates::default(),
    }
}

#[tokio::test]
async fn a_seeded_province_shows_visits_credited_days_and_anomalies_through_the_api() {
    // The test server's own scheduler stays off: its clock stands after the simulated
    // days and would close the simulation's open visits under its feet.
    let app = TestApp::builder()
        .config(|c| c.scheduler_interval = Duration::ZERO)
        .spawn()
        .await;
    // The server's clock reads 2026-03-02 09:00 in Shanghai; the ten days end the day before.
    let plan = Plan::generate(&tiny_province(
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
    ))
    .expect("plan");
    let summary = seed(&app.config, &plan, Path::Service, &mut |_| {})
        .await
        .expect("seeded");
    assert!(summary.tally.visits_opened > 10, "{summary}");

    let mut visits = 0;
    let mut credited_days = 0.0;
    for physician in &plan.physicians {
        let client = app.login(&physician.phone, PASSWORD).await;
        let mine = client
            .my_visits(Some("2026-02-01"), Some("2026-03-01"))
            .await
            .expect("my visits");
        assert!(mine.items.iter().all(|v| v.physician_id == physician.id));
        visits += mine.items.len() as u64;
        for month in ["2026-02", "2026-03"] {
            let month = client.my_summary(month).await.expect("summary");
            credited_days += month
                .assignments
                .iter()
                .map(|a| a.credited_days)
                .sum::<f64>();
        }
    }
    assert_eq!(visits, summary.tally.visits_opened);
    assert!(credited_days >= 5.0, "credited {credited_days} days");

    let everyone = app
        .admin
        .visits("from=2026-02-01&to=2026-03-01&limit=500")
        .await
        .expect("visits");
    assert_eq!(everyone.items.len() as u64, visits);

    // The province's supervisor sees every anomaly raised, some already reviewed.
    let supervisor = plan
        .staff
        .iter()
        .find(|s| s.role == Role::Supervisor && s.jurisdiction_code.as_deref() == Some("390000"))
        .expect("province supervisor");
    let client = app.login(&supervisor.phone, PASSWORD).await;
    let anomalies = client.anomalies("limit=500").await.expect("anomalies");
    assert!(!anomalies.items.is_empty());
    assert_eq!(anomalies.items.len() as u64, summary.tally.anomalies());
    let reviewed = anomalies
        .items
        .iter()
        .filter(|a| a.status != "open")
        .count() as u64;
    assert_eq!(reviewed, summary.tally.reviews);
    let physicians: Vec<_> = plan.physicians.iter().map(|p| p.id).collect();
    assert!(
        anomalies
            .items
            .iter()
            .all(|a| a.physician_id.is_some_and(|id| physicians.contains(&id)))
    );

    // A county supervisor sees only their county's share.
    let county = plan.supervisor_of(0).expect("county supervisor");
    let client = app.login(&county.phone, PASSWORD).await;
    let theirs = client.anomalies("limit=500").await.expect("anomalies");
    let sites: Vec<_> = plan
        .geography
        .sites
        .iter()
        .filter(|s| s.county == 0)
        .map(|s| s.id)
        .collect();
    assert!(theirs.items.len() <= anomalies.items.len());
    assert!(
        theirs
            .items
            .iter()
            .all(|a| a.site_id.is_some_and(|s| sites.contains(&s)))
    );
}

#[tokio::test]
async fn the_demo_is_created_once_and_its_logins_kiosk_and_assignment_work() {
    let app = TestApp::builder()
        .config(|c| c.scheduler_interval = Duration::ZERO)
        .spawn()
        .await;
    // `--demo` prepares the demo on the application it is about to serve; here a
    // second application on the same database, clock and signing key does it.
    let preparing = App::build(app.config.clone(), app.clock.clone())
        .await
        .expect("builds");
    let first = demo::prepare(preparing.state(), &app.config)
        .await
        .expect("demo");
    let again = demo::prepare(preparing.state(), &app.config)
        .await
        .expect("demo again");
    drop(preparing);
    assert!(first.created && !again.created);
    assert_eq!(first.logins, again.logins, "the same logins on every start");
    assert_eq!(first.logins.len(), 5);

    for login in &first.logins {
        app.login(&login.phone, DEMO_PASSWORD).await;
    }
    let physician = first
        .logins
        .iter()
        .find(|l| l.role == "physician")
        .expect("a demo physician");
    let physician = app.login(&physician.phone, DEMO_PASSWORD).await;
    let all_day: Vec<_> = physician
        .my_assignments()
        .await
        .expect("assignments")
        .into_iter()
        .filter(|a| a.window_start == "00:00" && a.window_end == "23:59")
        .collect();
    assert_eq!(all_day.len(), 1, "created once: {all_day:?}");
    assert_eq!(all_day[0].site_name, first.site_name);

    // A month of history, with anomalies, in the supervisor's city.
    let supervisor = app.login("10000000002", DEMO_PASSWORD).await;
    let visits = supervisor
        .visits("from=2026-01-31&to=2026-03-01&limit=500")
        .await
        .expect("visits");
    assert!(visits.items.len() > 50, "{} visits", visits.items.len());
    let anomalies = supervisor.anomalies("limit=500").await.expect("anomalies");
    assert!(!anomalies.items.is_empty());
    // What the README promises the history holds: mock locations and forgotten
    // check-outs, the latest still open for the visitor to review.
    let open = |kind: &str| {
        anomalies
            .items
            .iter()
            .filter(|a| a.kind == kind && a.status == "open")
            .count()
    };
    assert!(open("mock_location") >= 1, "open mock_location anomalies");
    assert!(
        open("missing_checkout") >= 1,
        "open missing_checkout anomalies"
    );
    let unclosed = visits
        .items
        .iter()
        .filter(|v| v.anomalies.iter().any(|k| k == "missing_checkout"))
        .count();
    assert!(
        unclosed >= 1,
        "visits closed at midnight without a check-out"
    );

    // The printed kiosk link's token shows the site's code, and a scan of it ten metres
    // from the printed fence centre checks the demo physician in (a fix on the centre
    // itself is `fix_at_fence_centre`).
    let kiosk = app.client(&again.kiosk_token);
    let code = kiosk.kiosk_code().await.expect("kiosk code");
    assert_eq!(code.site_name, first.site_name);
    let answer = physician
        .check_in(&AttendanceRequest {
            client_event_id: Uuid::new_v4(),
            qr_payload: code.payload,
            device_id: "demo-phone".into(),
            location: Location {
                lat: first.fence_lat + 0.000_09,
                lon: first.fence_lon,
                accuracy_m: 12.0,
                crs: Crs::Wgs84,
                is_mock: false,
                fix_time: None,
            },
            scanned_at: None,
            offline: false,
        })
        .await
        .expect("checked in");
    assert_eq!(answer.verdict, Verdict::Accepted, "{answer:?}");
}

/// The number in a CSV cell (empty: none).
fn csv_number(cell: &str) -> Option<f64> {
    cell.parse().ok()
}

#[tokio::test]
async fn a_province_wide_export_streams_every_row_and_the_totals_of_its_json() {
    use crate::reports::{cell_number, cell_text, parse_form_csv, parse_xlsx};

    let app = TestApp::builder()
        .config(|c| c.scheduler_interval = Duration::ZERO)
        .spawn()
        .await;
    // A province large enough that its compliance CSV goes out in many pieces.
    let plan = Plan::generate(&Spec {
        counties: 4,
        physicians: 160,
        days: 45,
        ..tiny_province(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"))
    })
    .expect("plan");
    let summary = seed(&app.config, &plan, Path::Bulk, &mut |_| {})
        .await
        .expect("seeded");
    assert!(summary.tally.visits_opened > 1_000, "{summary}");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);

    // The monthly report: every physician-site row, and the 合计 of their days.
    let query = "jurisdiction_code=390000&month=2026-02";
    let json = app.admin.monthly_report(query).await.expect("monthly");
    assert!(json.rows.len() > 100, "{} rows", json.rows.len());
    let days: f64 = json.rows.iter().map(|r| r.credited_days).sum();
    assert!(days > 100.0, "{days} days");
    let path = format!("/api/v1/reports/monthly?{query}");
    let csv = app
        .admin
        .report_bytes(&format!("{path}&format=csv"), None)
        .await
        .expect("csv");
    assert_eq!(
        csv.content_disposition.as_deref(),
        Some("attachment; filename=\"monthly-390000-2026-02.csv\"")
    );
    let form = parse_form_csv(&csv);
    assert_eq!(form.title.as_deref(), Some("对口支援工作量月报表"));
    assert_eq!(form.headers[7], "服务天数(天)");
    let numbered: Vec<&Vec<String>> = form
        .rows
        .iter()
        .filter(|r| r[0].parse::<u32>().is_ok())
        .collect();
    assert_eq!(numbered.len(), json.rows.len());
    let listed: f64 = numbered.iter().filter_map(|r| csv_number(&r[7])).sum();
    assert!(close(listed, days), "{listed} vs {days}");
    let totals = form.rows.iter().find(|r| r[0] == "合计").expect("合计");
    assert!(close(csv_number(&totals[7]).expect("days"), days));

    let xlsx = app
        .admin
        .report_bytes(&format!("{path}&format=xlsx"), None)
        .await
        .expect("xlsx");
    let (sheet, _) = parse_xlsx(&xlsx);
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援工作量月报表");
    // Title, scope, the five lines of the header block, the header.
    assert_eq!(cell_text(&sheet, 7, 7), "服务天数(天)");
    let height = sheet.height() as u32;
    let numbered: Vec<u32> = (8..height)
        .filter(|&r| cell_number(&sheet, r, 0).is_some())
        .collect();
    assert_eq!(numbered.len(), json.rows.len());
    let listed: f64 = numbered
        .iter()
        .filter_map(|&r| cell_number(&sheet, r, 7))
        .sum();
    assert!(close(listed, days), "{listed} vs {days}");
    let total_row = (8..height)
        .find(|&r| cell_text(&sheet, r, 0) == "合计")
        .expect("合计");
    assert!(close(
        cell_number(&sheet, total_row, 7).expect("days"),
        days
    ));

    // The compliance report: every requirement row with its detail lines, and the
    // 合计 counting them.
    let query = "jurisdiction_code=390000&period=2026-02";
    let json = app
        .admin
        .compliance_report(query)
        .await
        .expect("compliance");
    let details: usize = json
        .rows
        .iter()
        .map(|r| {
            if r.periods.len() > 1 {
                r.periods.len()
            } else {
                0
            }
        })
        .sum();
    assert!(
        json.rows.len() > 100 && details > 100,
        "{} rows",
        json.rows.len()
    );
    let path = format!("/api/v1/reports/compliance?{query}");
    let csv = app
        .admin
        .report_bytes(&format!("{path}&format=csv"), None)
        .await
        .expect("csv");
    // More than one 64 KiB piece.
    assert!(csv.bytes.len() > 64 * 1024, "{} bytes", csv.bytes.len());
    let form = parse_form_csv(&csv);
    assert_eq!(form.headers[0], "序号");
    assert_eq!(form.rows.len(), json.rows.len() + details + 1);
    let mut at = 0;
    for (index, row) in json.rows.iter().enumerate() {
        let line = &form.rows[at];
        assert_eq!(line[0], (index + 1).to_string());
        assert_eq!(line[1], row.physician_name);
        assert!(close(
            csv_number(&line[10]).expect("credited"),
            row.credited
        ));
        at += 1 + if row.periods.len() > 1 {
            row.periods.len()
        } else {
            0
        };
    }
    let totals = form.rows.last().expect("合计");
    assert_eq!(totals[0], "合计");
    assert_eq!(totals[6], format!("{}项", json.totals.requirements));

    let xlsx = app
        .admin
        .report_bytes(&format!("{path}&format=xlsx"), None)
        .await
        .expect("xlsx");
    let (sheet, _) = parse_xlsx(&xlsx);
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援考核要求完成情况表");
    assert_eq!(cell_text(&sheet, 2, 0), "序号");
    let height = sheet.height() as u32;
    assert_eq!(height, 3 + (json.rows.len() + details + 1) as u32);
    assert_eq!(cell_text(&sheet, height - 1, 0), "合计");
    assert_eq!(
        cell_text(&sheet, height - 1, 6),
        format!("{}项", json.totals.requirements)
    );
    let credited: f64 = (3..height - 1)
        .filter(|&r| cell_number(&sheet, r, 0).is_some())
        .filter_map(|r| cell_number(&sheet, r, 10))
        .sum();
    let expected: f64 = json.rows.iter().map(|r| r.credited).sum();
    assert!(close(credited, expected), "{credited} vs {expected}");
}

/// The compliance reports of `periods` from the ledger and from the raw events, as
/// JSON, on `state`; panics on the first that differs.
async fn compliance_agrees(state: &xiaxiang_server::state::AppState, periods: &[&str], at: &str) {
    use xiaxiang_server::service::reports::{DaySource, ReportScope, compliance_report_from};
    for period in periods {
        let scope = ReportScope::everything();
        let ledger = compliance_report_from(state, &scope, period, DaySource::Ledger)
            .await
            .expect("from the ledger");
        let events = compliance_report_from(state, &scope, period, DaySource::Events)
            .await
            .expect("from the events");
        assert!(!events.rows.is_empty(), "{at}, {period}: no rows");
        let json = |r| serde_json::to_value(r).expect("json");
        assert!(
            json(&ledger) == json(&events),
            "{at}, {period}: the reports differ"
        );
    }
}

#[tokio::test]
async fn the_credit_ledger_of_a_seeded_province_agrees_with_its_events() {
    use mobile_api::{ReviewDecision, ReviewRequest};
    use xiaxiang_server::domain::access::{Actor, Scope};
    use xiaxiang_server::service::ledger;
    use xiaxiang_server::store::anomalies::AnomalyFilter;
    use xiaxiang_server::synthetic::{Options, manual_clock, offline_state, seed_with};

    let app = TestApp::builder()
        .config(|c| c.scheduler_interval = Duration::ZERO)
        .spawn()
        .await;
    let plan = Plan::generate(&Spec {
        physicians: 12,
        days: 40,
        ..tiny_province(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"))
    })
    .expect("plan");
    let options = Options {
        unreviewed_days: 4,
        ..Options::new(Path::Bulk)
    };
    seed_with(&app.config, &plan, options, &mut |_| {})
        .await
        .expect("seeded");
    let (_clock, shared) = manual_clock(
        chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00")
            .expect("instant")
            .to_utc(),
    );
    let state = offline_state(&app.config, shared).await.expect("state");
    let periods = ["2026-01", "2026-02", "2026-Q1"];

    // Every assignment stale (nothing refreshed yet), then all refreshed.
    compliance_agrees(&state, &periods, "all stale").await;
    assert!(ledger::refresh_all(&state).await.expect("refresh") > 0);
    assert_eq!(state.store.ledger_stale_count().await.expect("marks"), 0);
    compliance_agrees(&state, &periods, "refreshed").await;

    // Reviews mark the days of their visits; the reports read those from the events.
    let reviewer = plan.supervisor_of(0).expect("a supervisor").id;
    let admin = Actor {
        user_id: reviewer,
        role: Role::Admin,
        scope: Scope::Everything,
    };
    let open = state
        .store
        .list_anomalies(
            &AnomalyFilter {
                status: Some("open"),
                ..AnomalyFilter::default()
            },
            500,
        )
        .await
        .expect("open anomalies");
    let mut reviewed = 0;
    for (i, anomaly) in open.iter().filter(|a| a.visit_id.is_some()).enumerate() {
        let request = ReviewRequest {
            decision: if i % 3 == 0 {
                ReviewDecision::Confirm
            } else {
                ReviewDecision::Dismiss
            },
            note: "账本核对".to_owned(),
        };
        xiaxiang_server::service::anomalies::review(&state, &admin, anomaly.id, &request)
            .await
            .expect("review");
        reviewed += 1;
    }
    assert!(reviewed > 0, "nothing to review");
    assert!(state.store.ledger_stale_count().await.expect("marks") > 0);
    compliance_agrees(&state, &periods, "after the reviews").await;

    // The marked days refreshed give what recomputing every assignment gives.
    ledger::refresh_all(&state).await.expect("refresh");
    compliance_agrees(&state, &periods, "refreshed again").await;
    let kept = state.store.ledger_all().await.expect("ledger");
    state.store.ledger_mark_all_stale().await.expect("mark");
    ledger::refresh_all(&state).await.expect("recompute");
    let recomputed = state.store.ledger_all().await.expect("ledger");
    assert!(!recomputed.is_empty());
    assert!(
        kept == recomputed,
        "the refreshed ledger differs from a recomputation"
    );
    assert_eq!(
        state.store.ledger_month_sums_all().await.expect("months"),
        xiaxiang_server::domain::credit_ledger::month_sums_of(&recomputed),
        "the month sums differ from the day rows"
    );
    state.store.close().await;
}
