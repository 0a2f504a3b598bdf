//! The reports as forms a bureau files as they are (issue 18 points 3 to 5): the
//! monthly 工作量月报表 with its header block, 小计 and 合计, compliance over a
//! quarter and a half year, and the coverage report with the clinics nobody
//! served, each read back as JSON, CSV and XLSX and the files checked against the
//! JSON.

use std::io::{Cursor, Read};

use mobile_api::client_reports::XLSX;
use mobile_api::*;
use reqwest::StatusCode;

use crate::reports::{
    Bureau, CSV, at, cell_number, cell_text, parse_form_csv, parse_xlsx, requirement, status_of,
};

/// The sheet's XML, to check what calamine does not read (column widths).
fn sheet_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("sheet1")
        .read_to_string(&mut xml)
        .expect("xml");
    xml
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is a number"))
}

/// The row of `sheet` whose column 0 holds `label` (and column `col` holds `name`).
fn sheet_row(sheet: &calamine::Range<calamine::Data>, label: &str, col: u32, name: &str) -> u32 {
    (0..sheet.height() as u32)
        .find(|&r| cell_text(sheet, r, 0) == label && cell_text(sheet, r, col) == name)
        .unwrap_or_else(|| panic!("a row {label} / {name}"))
}

#[tokio::test]
async fn the_monthly_form_has_its_header_block_subtotals_and_totals_in_json_csv_and_xlsx() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let lanyu = b
        .site(
            "双洋镇卫生院",
            OrganizationKind::TownshipHealthCenter,
            &w.county,
            (25.3300, 117.3000),
            None,
        )
        .await;
    let wang = b
        .physician(w.hospital.id, "王立新", "主治医师", "内科")
        .await;
    let other_hospital = b
        .app
        .organization(
            "龙岩市第一医院",
            OrganizationKind::Hospital,
            &w.county,
            None,
        )
        .await;
    let zhao = b
        .physician(other_hospital.id, "赵刚", "主治医师", "儿科")
        .await;
    let year = ("2026-01-01", "2026-12-31");
    b.assign(
        &wang,
        &b.township,
        w.program.id,
        AssignmentMode::Circuit,
        year,
    )
    .await;
    b.assign(&wang, &lanyu, w.program.id, AssignmentMode::Circuit, year)
        .await;
    b.assign(
        &zhao,
        &b.township,
        w.program.id,
        AssignmentMode::Dispatch,
        year,
    )
    .await;
    let full = b
        .visit(&wang, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    b.log(&wang, full, ActivityKind::Outpatient, 10).await;
    let half = b
        .visit(&wang, &lanyu, at(3, 3, 9, 0), at(3, 3, 12, 30))
        .await;
    b.log(&wang, half, ActivityKind::Outpatient, 4).await;
    let dispatch = b
        .visit(&zhao, &b.township, at(3, 4, 8, 30), at(3, 4, 15, 30))
        .await;
    b.log(&zhao, dispatch, ActivityKind::Outpatient, 6).await;
    b.log(&zhao, dispatch, ActivityKind::WardRound, 3).await;
    // Filed on 2 April (附件2 "每月2日前").
    b.app.clock.set(at(4, 2, 10, 0));

    let query = "month=2026-03&filled_by=陈燕平&contact_phone=0597-7531234";
    let report = w
        .supervisor
        .client
        .monthly_report(query)
        .await
        .expect("report");
    let h = &report.header;
    assert_eq!(
        (
            h.organization.as_str(),
            h.filled_by.as_str(),
            h.contact_phone.as_str()
        ),
        ("龙岩市", "陈燕平", "0597-7531234")
    );
    assert_eq!(h.filled_on, "2026-04-02".parse().expect("date"));
    assert_eq!(h.period_zh, "2026年3月");

    // 小计 per hospital: 漳平市医院 has 王立新 (two clinics) and the world's
    // physician (nothing credited); 龙岩市第一医院 赵刚.
    let by_hospital: Vec<(&str, u32, f64, u64)> = report
        .hospital_subtotals
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.figures.physicians,
                s.figures.credited_days,
                s.figures.activities.outpatient,
            )
        })
        .collect();
    assert_eq!(
        by_hospital,
        [("漳平市医院", 2, 1.5, 14), ("龙岩市第一医院", 1, 1.0, 6)]
    );
    let by_site: Vec<(&str, u32, f64)> = report
        .site_subtotals
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.figures.physicians,
                s.figures.credited_days,
            )
        })
        .collect();
    assert_eq!(
        by_site,
        [("双洋镇卫生院", 1, 0.5), ("溪南镇卫生院", 3, 2.0)]
    );
    let t = &report.totals;
    assert_eq!(
        (t.physicians, t.credited_days, t.credited_half_days),
        (3, 2.5, 5)
    );
    assert_eq!((t.activities.outpatient, t.activities.ward_round), (20, 3));
    assert_eq!(report.rows.len(), 4);

    // Without a contact the form names the caller.
    let mine = w
        .supervisor
        .client
        .monthly_report("month=2026-03")
        .await
        .expect("report");
    assert_eq!(mine.header.filled_by, w.supervisor.user.name);
    assert_eq!(mine.header.contact_phone, w.supervisor.user.phone);
    let too_long = format!("month=2026-03&filled_by={}", "陈".repeat(51));
    let err = w
        .supervisor
        .client
        .monthly_report(&too_long)
        .await
        .unwrap_err();
    assert_eq!(
        status_of(err),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );

    // CSV: title, header block, numbered rows grouped by hospital with their
    // 小计, the 合计, then the 小计 per clinic, each equal to the JSON.
    let path = format!("/api/v1/reports/monthly?{query}");
    let csv = parse_form_csv(&b.raw(&w.supervisor.client, &path, Some(CSV)).await);
    assert_eq!(csv.title.as_deref(), Some("对口支援工作量月报表"));
    assert_eq!(
        csv.preamble,
        [
            ("填报单位".to_owned(), "龙岩市".to_owned()),
            ("填报人".to_owned(), "陈燕平".to_owned()),
            ("联系电话".to_owned(), "0597-7531234".to_owned()),
            ("填报日期".to_owned(), "2026年04月02日".to_owned()),
            ("所属期".to_owned(), "2026年3月".to_owned()),
        ]
    );
    assert_eq!(csv.headers[0], "序号");
    let days_col = csv
        .headers
        .iter()
        .position(|h| h == "服务天数(天)")
        .expect("days");
    let outpatient_col = csv
        .headers
        .iter()
        .position(|h| h == "门诊(人次)")
        .expect("outpatient");
    let firsts: Vec<&str> = csv.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        firsts,
        [
            "1",
            "2",
            "3",
            "小计",
            "4",
            "小计",
            "合计",
            "按受援单位小计",
            "小计",
            "小计"
        ]
    );
    for (row, subtotal) in [
        (3, &report.hospital_subtotals[0]),
        (5, &report.hospital_subtotals[1]),
    ] {
        let cells = &csv.rows[row];
        assert_eq!(cells[4], subtotal.name);
        assert_eq!(cells[1], format!("共{}人", subtotal.figures.physicians));
        assert_eq!(number(&cells[days_col]), subtotal.figures.credited_days);
        assert_eq!(
            number(&cells[outpatient_col]),
            subtotal.figures.activities.outpatient as f64
        );
    }
    let total = &csv.rows[6];
    assert_eq!(number(&total[days_col]), t.credited_days);
    assert_eq!(
        number(&total[outpatient_col]),
        t.activities.outpatient as f64
    );
    for (row, subtotal) in [
        (8, &report.site_subtotals[0]),
        (9, &report.site_subtotals[1]),
    ] {
        assert_eq!(csv.rows[row][5], subtotal.name);
        assert_eq!(csv.rows[row][6], "漳平市");
        assert_eq!(
            number(&csv.rows[row][days_col]),
            subtotal.figures.credited_days
        );
    }

    // XLSX: the title merged over the table, the header block, the header, and
    // the same 小计 and 合计 as numbers; columns sized.
    let raw = b
        .raw(&w.supervisor.client, &format!("{path}&format=xlsx"), None)
        .await;
    assert_eq!(raw.content_type, XLSX);
    let (sheet, merged) = parse_xlsx(&raw);
    let last = csv.headers.len() as u32 - 1;
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援工作量月报表");
    assert!(
        merged
            .iter()
            .any(|m| m.start == (0, 0) && m.end == (0, last)),
        "{merged:?}"
    );
    let block: Vec<String> = (2..7).map(|r| cell_text(&sheet, r, 0)).collect();
    assert_eq!(
        block,
        [
            "填报单位：龙岩市",
            "填报人：陈燕平",
            "联系电话：0597-7531234",
            "填报日期：2026年04月02日",
            "所属期：2026年3月"
        ]
    );
    let headers: Vec<String> = (0..=last).map(|c| cell_text(&sheet, 7, c)).collect();
    assert_eq!(headers, csv.headers);
    assert_eq!(cell_number(&sheet, 8, 0), Some(1.0), "序号 is a number");
    let days = days_col as u32;
    for subtotal in &report.hospital_subtotals {
        let r = sheet_row(&sheet, "小计", 4, &subtotal.name);
        assert_eq!(
            cell_number(&sheet, r, days),
            Some(subtotal.figures.credited_days)
        );
    }
    for subtotal in &report.site_subtotals {
        let r = sheet_row(&sheet, "小计", 5, &subtotal.name);
        assert_eq!(
            cell_number(&sheet, r, days),
            Some(subtotal.figures.credited_days)
        );
    }
    let r = sheet_row(&sheet, "合计", 1, "");
    assert_eq!(cell_number(&sheet, r, days), Some(t.credited_days));
    assert_eq!(
        cell_number(&sheet, r, outpatient_col as u32),
        Some(t.activities.outpatient as f64)
    );
    let xml = sheet_xml(&raw.bytes);
    assert!(xml.contains("<cols>") && xml.contains("customWidth=\"1\""));
    // Printed A4 landscape, one page wide.
    assert!(xml.contains("orientation=\"landscape\"") && xml.contains("fitToPage=\"1\""));
}

#[tokio::test]
async fn the_county_table_carries_its_contact_lines() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let query = "jurisdiction_code=350800&year=2026&filled_by=杨颖虹&contact_phone=0595-22501234";
    let stats = b.app.admin.county_statistics(query).await.expect("stats");
    assert_eq!(
        (
            stats.header.organization.as_str(),
            stats.header.filled_by.as_str(),
            stats.header.contact_phone.as_str()
        ),
        ("龙岩市", "杨颖虹", "0595-22501234")
    );
    let path = format!("/api/v1/reports/county-statistics?{query}");
    let csv = parse_form_csv(&b.raw(&b.app.admin, &path, Some(CSV)).await);
    assert_eq!(
        csv.title.as_deref(),
        Some("设区市县域巡回医疗和派驻服务工作量统计表")
    );
    assert_eq!(
        csv.preamble,
        [
            ("填报单位".to_owned(), "龙岩市".to_owned()),
            ("联系人".to_owned(), "杨颖虹".to_owned()),
            ("联系电话".to_owned(), "0595-22501234".to_owned()),
        ]
    );
    assert_eq!(csv.rows.last().map(|r| r[0].as_str()), Some("合计"));
}

#[tokio::test]
async fn a_quarter_is_judged_month_by_month_and_its_files_list_each_month() {
    let b = Bureau::open(at(1, 5, 8, 0)).await;
    let w = &b.world;
    let program = b
        .app
        .admin
        .create_program(&CreateProgram {
            name: "季度考核".into(),
            jurisdiction_code: w.county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![
                Requirement {
                    min_days: Some(1.0),
                    ..requirement(RequirementPeriod::Month)
                },
                Requirement {
                    min_days: Some(2.0),
                    ..requirement(RequirementPeriod::Quarter)
                },
            ],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let lin = b.physician(w.hospital.id, "林晓", "主治医师", "全科").await;
    let posting = b
        .assign(
            &lin,
            &b.township,
            program.id,
            AssignmentMode::Circuit,
            ("2026-01-01", "2026-12-31"),
        )
        .await;
    // January and March served, February not.
    b.visit(&lin, &b.township, at(1, 6, 8, 30), at(1, 6, 15, 0))
        .await;
    b.visit(&lin, &b.township, at(3, 3, 8, 30), at(3, 3, 15, 0))
        .await;
    b.app.clock.set(at(7, 2, 9, 0));

    let q1 = b
        .app
        .admin
        .compliance_report("jurisdiction_code=350881&period=2026-q1")
        .await
        .expect("q1");
    assert_eq!(q1.period, "2026-Q1");
    assert_eq!(q1.period_zh, "2026年第一季度");
    assert_eq!(
        (q1.period_start, q1.period_end),
        (
            Some("2026-01-01".parse().expect("date")),
            Some("2026-03-31".parse().expect("date"))
        )
    );
    let rows: Vec<&ComplianceRow> = q1
        .rows
        .iter()
        .filter(|r| r.assignment_id == posting.id)
        .collect();
    assert_eq!(rows.len(), 2);
    let monthly = rows[0];
    let months: Vec<(String, Progress)> = monthly
        .periods
        .iter()
        .map(|p| (p.start.to_string(), p.status))
        .collect();
    assert_eq!(
        months,
        [
            ("2026-01-01".to_owned(), Progress::Met),
            ("2026-02-01".to_owned(), Progress::Missed),
            ("2026-03-01".to_owned(), Progress::Met),
        ]
    );
    assert_eq!(
        (monthly.required, monthly.credited, monthly.status),
        (3.0, 2.0, Progress::Missed)
    );
    let quarterly = rows[1];
    assert_eq!(quarterly.periods.len(), 1);
    assert_eq!((quarterly.credited, quarterly.status), (2.0, Progress::Met));
    let expected_missed = q1
        .rows
        .iter()
        .filter(|r| r.status == Progress::Missed)
        .count() as u32;
    assert_eq!(q1.totals.requirements, q1.rows.len() as u32);
    assert_eq!(q1.totals.missed, expected_missed);
    assert_eq!(
        q1.totals.met + q1.totals.on_track + q1.totals.at_risk + q1.totals.missed,
        q1.totals.requirements
    );

    // The half year: each month, each quarter (the second one missed).
    let h1 = b
        .app
        .admin
        .compliance_report("jurisdiction_code=350881&period=2026-H1")
        .await
        .expect("h1");
    let row = |report: &ComplianceReport, period: RequirementPeriod| {
        report
            .rows
            .iter()
            .find(|r| r.assignment_id == posting.id && r.requirement.period == period)
            .cloned()
            .expect("row")
    };
    assert_eq!(row(&h1, RequirementPeriod::Month).periods.len(), 6);
    let quarters: Vec<Progress> = row(&h1, RequirementPeriod::Quarter)
        .periods
        .iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(quarters, [Progress::Met, Progress::Missed]);
    // The month form keeps working: February alone is missed.
    let feb = b
        .app
        .admin
        .compliance_report("jurisdiction_code=350881&period=2026-02")
        .await
        .expect("february");
    assert_eq!(row(&feb, RequirementPeriod::Month).status, Progress::Missed);
    for bad in ["2026-Q5", "2026-H3", "2026Q1"] {
        let err = b
            .app
            .admin
            .compliance_report(&format!("period={bad}"))
            .await
            .unwrap_err();
        assert_eq!(
            status_of(err),
            (StatusCode::BAD_REQUEST, "invalid_request".into()),
            "{bad}"
        );
    }

    // CSV and XLSX: each requirement, a line per month under the monthly one,
    // and the 合计 counting the statuses.
    let path = "/api/v1/reports/compliance?jurisdiction_code=350881&period=2026-Q1";
    let csv = parse_form_csv(&b.raw(&b.app.admin, path, Some(CSV)).await);
    let at_row = csv
        .rows
        .iter()
        .position(|r| r[1] == "林晓" && r[6] == monthly.requirement_zh)
        .expect("the monthly row");
    let details: Vec<(&str, &str)> = csv.rows[at_row + 1..at_row + 4]
        .iter()
        .map(|r| (r[6].as_str(), r[11].as_str()))
        .collect();
    assert_eq!(
        details,
        [
            ("　其中2026年1月", "已达标"),
            ("　其中2026年2月", "未达标"),
            ("　其中2026年3月", "已达标"),
        ]
    );
    assert_eq!(csv.rows[at_row][11], "未达标");
    let totals = csv.rows.last().expect("合计");
    assert_eq!(totals[0], "合计");
    assert_eq!(totals[6], format!("{}项", q1.totals.requirements));
    assert_eq!(
        totals[11],
        format!(
            "已达标{}项，进度正常{}项，有风险{}项，未达标{}项",
            q1.totals.met, q1.totals.on_track, q1.totals.at_risk, q1.totals.missed
        )
    );
    let (sheet, _) = parse_xlsx(&b.raw(&b.app.admin, path, Some(XLSX)).await);
    assert!(cell_text(&sheet, 1, 0).contains("2026年第一季度"));
    let r = sheet_row(&sheet, "", 6, "　其中2026年2月");
    assert_eq!(cell_number(&sheet, r, 9), Some(1.0));
    assert_eq!(cell_number(&sheet, r, 10), Some(0.0));
    let r = sheet_row(&sheet, "合计", 11, &totals[11]);
    assert_eq!(cell_text(&sheet, r, 6), totals[6]);
}

#[tokio::test]
async fn the_quarterly_assessment_form_adds_up_work_and_requirements_per_hospital_and_clinic() {
    let b = Bureau::open(at(1, 5, 8, 0)).await;
    let w = &b.world;
    let lin = b.physician(w.hospital.id, "林晓", "主治医师", "全科").await;
    b.assign(
        &lin,
        &b.township,
        w.program.id,
        AssignmentMode::Circuit,
        ("2026-01-01", "2026-12-31"),
    )
    .await;
    let visit = b
        .visit(&lin, &b.township, at(1, 6, 8, 30), at(1, 6, 15, 0))
        .await;
    b.log(&lin, visit, ActivityKind::Outpatient, 9).await;
    b.visit(&lin, &b.township, at(2, 3, 8, 30), at(2, 3, 15, 0))
        .await;
    b.visit(&lin, &b.township, at(3, 3, 8, 30), at(3, 3, 15, 0))
        .await;
    b.app.clock.set(at(4, 3, 9, 0));

    let query = "jurisdiction_code=350881&period=2026-Q1&filled_by=张主任";
    let report = b
        .app
        .admin
        .assessment_report(query)
        .await
        .expect("assessment");
    assert_eq!(report.period, "2026-Q1");
    assert_eq!(report.header.period_zh, "2026年第一季度");
    assert_eq!(report.header.filled_by, "张主任");
    assert_eq!(report.rows.len(), 1, "{:#?}", report.rows);
    let row = &report.rows[0];
    assert_eq!(
        (row.hospital.as_str(), row.site_name.as_str()),
        ("漳平市医院", "溪南镇卫生院")
    );
    // 林晓 met the monthly rule in each month; the world's physician never came.
    assert_eq!(row.figures.physicians, 2);
    assert_eq!(row.figures.credited_days, 3.0);
    assert_eq!(row.figures.activities.outpatient, 9);
    assert_eq!(
        (
            row.compliance.requirements,
            row.compliance.met,
            row.compliance.missed
        ),
        (2, 1, 1)
    );
    assert_eq!(row.met_share, 0.5);
    let compliance = b
        .app
        .admin
        .compliance_report("jurisdiction_code=350881&period=2026-Q1")
        .await
        .expect("compliance");
    assert_eq!(report.compliance_totals, compliance.totals);

    let path = format!("/api/v1/reports/assessment?{query}");
    let csv = parse_form_csv(&b.raw(&b.app.admin, &path, Some(CSV)).await);
    assert_eq!(csv.title.as_deref(), Some("对口支援工作考核统计表"));
    assert_eq!(
        csv.preamble.last(),
        Some(&("所属期".to_owned(), "2026年第一季度".to_owned()))
    );
    assert_eq!(csv.headers[1..3], ["支援医院", "受援单位"]);
    assert_eq!(csv.rows.len(), 2);
    assert_eq!(csv.rows[0][0], "1");
    assert_eq!(number(&csv.rows[0][5]), 3.0);
    assert_eq!(csv.rows[0][18], "50.0%");
    assert_eq!(csv.rows[1][0], "合计");
    assert_eq!(number(&csv.rows[1][4]), f64::from(report.totals.physicians));
    assert_eq!(number(&csv.rows[1][13]), 2.0);
    let (sheet, _) = parse_xlsx(&b.raw(&b.app.admin, &path, Some(XLSX)).await);
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援工作考核统计表");
    assert_eq!(cell_text(&sheet, 6, 0), "所属期：2026年第一季度");
    let r = sheet_row(&sheet, "合计", 18, "50.0%");
    assert_eq!(cell_number(&sheet, r, 5), Some(report.totals.credited_days));
    assert_eq!(
        b.app
            .admin
            .assessment_report("period=2026-Q0")
            .await
            .map_err(status_of)
            .unwrap_err(),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
}

#[tokio::test]
async fn coverage_over_a_quarter_keeps_the_clinic_nobody_served_in_json_csv_and_xlsx() {
    let b = Bureau::open(at(2, 2, 8, 0)).await;
    let w = &b.world;
    let village = b
        .site(
            "上坂村卫生室",
            OrganizationKind::VillageClinic,
            &w.county,
            (25.3000, 117.4200),
            None,
        )
        .await;
    b.visit(&w.physician, &b.township, at(2, 3, 8, 30), at(2, 3, 15, 0))
        .await;
    b.visit(&w.physician, &b.township, at(3, 3, 9, 0), at(3, 3, 12, 30))
        .await;
    b.app.clock.set(at(4, 2, 9, 0));

    let report = w
        .supervisor
        .client
        .coverage_report("jurisdiction_code=350881&period=2026-Q1")
        .await
        .expect("coverage");
    assert_eq!(report.month, "2026-Q1");
    assert_eq!((report.clinics, report.covered), (2, 1));
    assert_eq!(report.covered_share, 0.5);
    assert_eq!(
        (
            report.total_credited_days,
            report.total_visits,
            report.total_physicians
        ),
        (1.5, 2, 1)
    );
    let nobody = report
        .rows
        .iter()
        .find(|r| r.site_id == village.org.id)
        .expect("the village row");
    assert_eq!(
        (
            nobody.credited_days,
            nobody.visits,
            nobody.physicians,
            nobody.covered
        ),
        (0.0, 0, 0, false)
    );
    // `month=` still answers one month.
    let march = w
        .supervisor
        .client
        .coverage_report("jurisdiction_code=350881&month=2026-03")
        .await
        .expect("march");
    assert_eq!(march.total_credited_days, 0.5);
    let err = w
        .supervisor
        .client
        .coverage_report("jurisdiction_code=350881")
        .await
        .unwrap_err();
    assert_eq!(
        status_of(err),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );

    let path = "/api/v1/reports/coverage?jurisdiction_code=350881&period=2026-Q1";
    let csv = parse_form_csv(&b.raw(&w.supervisor.client, path, Some(CSV)).await);
    assert_eq!(
        csv.headers,
        [
            "县(市、区)",
            "受援单位",
            "类别",
            "服务天数(天)",
            "有效服务次数(次)",
            "医师人数(人)",
            "是否覆盖"
        ]
    );
    assert_eq!(
        csv.rows.len(),
        3,
        "two clinics and the 合计: {:?}",
        csv.rows
    );
    let zero = csv
        .rows
        .iter()
        .find(|r| r[1] == "上坂村卫生室")
        .expect("zero row");
    assert_eq!(zero[2..], ["村卫生室", "0", "0", "0", "否"]);
    let total = &csv.rows[2];
    assert_eq!(total[0], "合计");
    assert_eq!(number(&total[3]), report.total_credited_days);
    assert_eq!(number(&total[4]), f64::from(report.total_visits));
    assert_eq!(number(&total[5]), f64::from(report.total_physicians));
    assert_eq!(total[6], "已覆盖1/2（50.0%）");

    let (sheet, _) = parse_xlsx(&b.raw(&w.supervisor.client, path, Some(XLSX)).await);
    assert_eq!(cell_text(&sheet, 0, 0), "受援单位服务覆盖情况表");
    let r = (0..sheet.height() as u32)
        .find(|&r| cell_text(&sheet, r, 1) == "上坂村卫生室")
        .expect("zero row");
    for col in 3..6 {
        assert_eq!(cell_number(&sheet, r, col), Some(0.0), "column {col}");
    }
    assert_eq!(cell_text(&sheet, r, 6), "否");
    let r = sheet_row(&sheet, "合计", 6, "已覆盖1/2（50.0%）");
    assert_eq!(cell_number(&sheet, r, 3), Some(report.total_credited_days));
    assert_eq!(
        cell_number(&sheet, r, 5),
        Some(f64::from(report.total_physicians))
    );
}
