//! The activity kinds the circulars name (教学查房 apart from 查房, 家庭医生签约, 公共卫生服务,
//! 义诊, 双向转诊, 新技术新项目) in the monthly report's own columns, and workload targets
//! (光山 诊疗人次目标: a minimum count of one activity per period) judged in the
//! compliance report, the physician's `/me/summary` and the scheduler's
//! `requirement_missed`.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use xiaxiang_server::App;
use xiaxiang_server::scheduler::run_once;
use xiaxiang_server::store::Store;

use crate::helpers::*;
use crate::reports::{Bureau, CSV, at, cell_number, cell_text, parse_csv, parse_xlsx, requirement};

/// The column of `header` in a header row.
fn column(headers: &[String], header: &str) -> usize {
    headers
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("{header} in {headers:?}"))
}

#[tokio::test]
async fn a_teaching_round_is_reported_in_its_own_column_apart_from_ward_rounds() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let wang = b
        .physician(w.hospital.id, "王立新", "主治医师", "内科")
        .await;
    b.assign(
        &wang,
        &b.township,
        w.program.id,
        AssignmentMode::Circuit,
        ("2026-01-01", "2026-12-31"),
    )
    .await;
    let visit = b
        .visit(&wang, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    b.log(&wang, visit, ActivityKind::TeachingRound, 2).await;
    b.log(&wang, visit, ActivityKind::WardRound, 1).await;
    b.log(&wang, visit, ActivityKind::FamilyDoctorContract, 12)
        .await;
    b.log(&wang, visit, ActivityKind::TwoWayReferral, 3).await;
    let later = b
        .visit(&wang, &b.township, at(3, 3, 8, 30), at(3, 3, 12, 0))
        .await;
    b.log(&wang, later, ActivityKind::TeachingRound, 1).await;
    b.log(&wang, later, ActivityKind::NewTechnique, 1).await;

    // The visit's own list names the kind in its words.
    let logged = wang.client.visit_activities(visit).await.expect("list");
    assert!(
        logged
            .iter()
            .any(|a| a.kind == ActivityKind::TeachingRound && a.count == 2),
        "{logged:?}"
    );

    let report = b
        .app
        .admin
        .monthly_report("month=2026-03")
        .await
        .expect("report");
    let row = report
        .rows
        .iter()
        .find(|r| r.physician_id == wang.user.id)
        .expect("wang's row");
    let a = &row.activities;
    assert_eq!(
        (
            a.teaching_round,
            a.ward_round,
            a.family_doctor_contract,
            a.two_way_referral,
            a.new_technique,
            a.free_clinic
        ),
        (3, 1, 12, 3, 1, 0)
    );
    assert_eq!(report.totals.activities.teaching_round, 3);

    // CSV and XLSX: 教学查房 has its own column, next to 查房's.
    let path = "/api/v1/reports/monthly?month=2026-03";
    let csv = b.raw(&b.app.admin, path, Some(CSV)).await;
    let (headers, rows) = parse_csv(&csv);
    let rounds = column(&headers, "查房(次)");
    let teaching = column(&headers, "教学查房(次)");
    let signed = column(&headers, "家庭医生签约(人)");
    let techniques = column(&headers, "新技术新项目(项)");
    assert!(headers.contains(&"义诊(人次)".to_owned()));
    assert!(headers.contains(&"公共卫生服务(人次)".to_owned()));
    assert!(headers.contains(&"双向转诊(人次)".to_owned()));
    let line = rows
        .iter()
        .find(|r| r.get(1).map(String::as_str) == Some("王立新"))
        .expect("wang's line");
    assert_eq!(
        (
            line[rounds].as_str(),
            line[teaching].as_str(),
            line[signed].as_str(),
            line[techniques].as_str()
        ),
        ("1", "3", "12", "1")
    );
    // The 合计 adds the new column up too.
    let total = rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("合计"))
        .expect("合计");
    assert_eq!(total[teaching], "3");

    let xlsx = b
        .raw(&b.app.admin, &format!("{path}&format=xlsx"), None)
        .await;
    let (sheet, _) = parse_xlsx(&xlsx);
    let header_row = 7;
    let sheet_headers: Vec<String> = (0..40).map(|c| cell_text(&sheet, header_row, c)).collect();
    let col = u32::try_from(column(&sheet_headers, "教学查房(次)")).expect("column");
    let at_row = (header_row + 1..header_row + 10)
        .find(|&r| cell_text(&sheet, r, 1) == "王立新")
        .expect("wang's row in the sheet");
    assert_eq!(cell_number(&sheet, at_row, col), Some(3.0));
    let rounds_col = u32::try_from(column(&sheet_headers, "查房(次)")).expect("column");
    assert_eq!(cell_number(&sheet, at_row, rounds_col), Some(1.0));
}

#[tokio::test]
async fn a_workload_target_is_met_or_missed_in_compliance_the_summary_and_the_scheduler() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;

    // A target needs the activity it counts: refused, naming the field, nothing stored.
    let (status, problem) = b
        .app
        .send(
            &b.app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({
                "name": "光山县优质资源下沉（工作量）",
                "jurisdiction_code": w.county,
                "requirements": [{"period": "month", "min_activity_count": 300}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "invalid_request");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("requirements[0].activity"), "{detail}");

    // 每月门诊诊疗不少于300人次.
    let program = b
        .app
        .admin
        .create_program(&CreateProgram {
            name: "光山县优质资源下沉（工作量）".into(),
            jurisdiction_code: w.county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![Requirement {
                activity: Some(ActivityKind::Outpatient),
                min_activity_count: Some(300),
                ..requirement(RequirementPeriod::Month)
            }],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    assert_eq!(program.requirements_zh, ["每月门诊诊疗不少于300人次"]);
    assert_eq!(program.requirements[0].min_activity_count, Some(300));

    let wang = b
        .physician(w.hospital.id, "王立新", "主治医师", "内科")
        .await;
    let li = b.physician(w.hospital.id, "李红", "主治医师", "外科").await;
    for who in [&wang, &li] {
        b.assign(
            who,
            &b.township,
            program.id,
            AssignmentMode::Dispatch,
            ("2026-03-01", "2026-06-30"),
        )
        .await;
    }
    // 王: 180 + 130 outpatients (the first amended from 150) and 40 inpatients, which
    // do not count; 李: 120 outpatients and 200 at 公共卫生服务, which do not either.
    let first = b
        .visit(&wang, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    b.log(&wang, first, ActivityKind::Outpatient, 150).await;
    b.log(&wang, first, ActivityKind::Outpatient, 180).await;
    b.log(&wang, first, ActivityKind::Inpatient, 40).await;
    let visit = b
        .visit(&li, &b.township, at(3, 3, 8, 30), at(3, 3, 15, 0))
        .await;
    b.log(&li, visit, ActivityKind::Outpatient, 120).await;
    b.log(&li, visit, ActivityKind::PublicHealthService, 200)
        .await;
    let second = b
        .visit(&wang, &b.township, at(3, 16, 8, 30), at(3, 16, 15, 0))
        .await;
    b.log(&wang, second, ActivityKind::Outpatient, 130).await;

    // Mid-month (the 20th): 王 is met, 李 behind the month's pace.
    b.app.clock.set(at(3, 20, 12, 0));
    let summary = |who: &Person| {
        let client = who.client.clone();
        async move {
            let s = client.my_summary("2026-03").await.expect("summary");
            assert_eq!(s.assignments.len(), 1);
            s.assignments[0].requirements[0].clone()
        }
    };
    let mine = summary(&wang).await;
    assert_eq!(mine.description_zh, "每月门诊诊疗不少于300人次");
    assert_eq!(
        (mine.required, mine.credited, mine.status),
        (300.0, 310.0, Progress::Met)
    );
    let theirs = summary(&li).await;
    assert_eq!((theirs.credited, theirs.status), (120.0, Progress::AtRisk));

    // After the month: 李 missed it, in the compliance report and the summary alike.
    b.app.clock.set(at(4, 2, 9, 0));
    let query = format!("jurisdiction_code={}&period=2026-03", w.county);
    let report = b.app.admin.compliance_report(&query).await.expect("report");
    let row = |who: &Person| {
        report
            .rows
            .iter()
            .find(|r| r.physician_id == who.user.id)
            .cloned()
            .expect("row")
    };
    let met = row(&wang);
    assert_eq!(met.requirement_zh, "每月门诊诊疗不少于300人次");
    assert_eq!(met.requirement.min_activity_count, Some(300));
    assert_eq!(
        (met.required, met.credited, met.status),
        (300.0, 310.0, Progress::Met)
    );
    let missed = row(&li);
    assert_eq!(
        (missed.required, missed.credited, missed.status),
        (300.0, 120.0, Progress::Missed)
    );
    let mine: Vec<Progress> = report
        .rows
        .iter()
        .filter(|r| r.program_id == program.id)
        .map(|r| r.status)
        .collect();
    // One row per assignment: the programme's one target, met once and missed once.
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&Progress::Met) && mine.contains(&Progress::Missed));
    assert_eq!(summary(&li).await.status, Progress::Missed);

    // The scheduler, once the month has settled, raises requirement_missed for 李 only.
    b.app.clock.set(at(4, 4, 0, 30));
    let peer = App::build(b.app.config.clone(), b.app.clock.clone())
        .await
        .expect("a second process builds");
    run_once(peer.state()).await.expect("tick");
    let store = Store::connect(&b.app.db.url(), 1)
        .await
        .expect("store connects");
    let raised = |found: Vec<xiaxiang_server::store::supervision::StoredAnomaly>| {
        found
            .into_iter()
            .filter(|a| a.kind == "requirement_missed")
            .collect::<Vec<_>>()
    };
    let li_missed = raised(store.anomalies_raised_for(li.user.id).await.expect("li"));
    assert_eq!(li_missed.len(), 1, "{li_missed:?}");
    assert_eq!(
        li_missed[0].detail["description"],
        "每月门诊诊疗不少于300人次"
    );
    assert_eq!(li_missed[0].detail["credited"], 120.0);
    assert_eq!(li_missed[0].detail["required"], 300.0);
    let wang_missed = raised(
        store
            .anomalies_raised_for(wang.user.id)
            .await
            .expect("wang"),
    );
    assert!(wang_missed.is_empty(), "{wang_missed:?}");
    store.close().await;
}

/// The scheduler judges from a watermark (the instant through which everything due was
/// judged). A site moved to a time zone ahead of its old one has a period that now fell
/// due before the watermark: it is still judged, once, on the next tick.
#[tokio::test]
async fn a_site_moved_to_an_earlier_time_zone_has_its_period_judged_although_the_watermark_passed_it()
 {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let program = b
        .app
        .admin
        .create_program(&CreateProgram {
            name: "光山县驻村服务（时区）".into(),
            jurisdiction_code: w.county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![Requirement {
                min_days: Some(4.0),
                ..requirement(RequirementPeriod::Month)
            }],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let zhao = b.physician(w.hospital.id, "赵明", "主治医师", "内科").await;
    b.assign(
        &zhao,
        &b.township,
        program.id,
        AssignmentMode::Dispatch,
        ("2026-03-01", "2026-03-31"),
    )
    .await;
    let tick = |when| {
        let (app, clock) = (&b.app, b.app.clock.clone());
        async move {
            clock.set(when);
            let peer = App::build(app.config.clone(), clock)
                .await
                .expect("a second process builds");
            run_once(peer.state()).await.expect("tick");
        }
    };

    // March ends at 24:00 Shanghai time (16:00 UTC); with the 72 h settle it falls due
    // at 04-04 00:00 Shanghai. A tick two hours before: nothing due, the watermark moves.
    let store = Store::connect(&b.app.db.url(), 1)
        .await
        .expect("store connects");
    // The requirement_missed anomalies raised for 赵 so far.
    let missed = || async {
        store
            .anomalies_raised_for(zhao.user.id)
            .await
            .expect("read")
            .into_iter()
            .filter(|a| a.kind == "requirement_missed")
            .count()
    };
    tick(at(4, 3, 22, 0)).await;
    assert_eq!(missed().await, 0);

    // The site moves to UTC+14: its March ended 6 hours earlier, due before the watermark.
    b.app
        .admin
        .update_organization(
            b.township.org.id,
            &UpdateOrganization {
                timezone: Some("Pacific/Kiritimati".into()),
                ..Default::default()
            },
        )
        .await
        .expect("time zone changed");
    tick(at(4, 3, 22, 30)).await;
    assert_eq!(
        missed().await,
        1,
        "the month is judged on the first tick after the change"
    );
    tick(at(4, 4, 1, 0)).await;
    assert_eq!(missed().await, 1, "and never twice");
    store.close().await;
}
