//! Each report's columns, described once: the Chinese headers of the printed forms
//! and how each cell comes from a JSON row. CSV and XLSX both render these tables.

use mobile_api::{
    ActivityTotals, AssignmentMode, ComplianceReport, ComplianceRow, CountyRow, CountyStatistics,
    MonthlyReport, MonthlyRow, Posting, Progress, ServiceRecord,
};

use chrono::{DateTime, Utc};
use mobile_api::{CoverageReport, CoverageRow, Visit, VisitCredit, VisitStatus};

use crate::domain::anomaly::AnomalyKind;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::reports::{activity_unit_zh, status_zh};
use crate::domain::requirements::{self, ActivityKind};
use crate::render::{Cell, Column, HeaderGroup, Table};

fn activity(t: &ActivityTotals, kind: ActivityKind) -> u64 {
    match kind {
        ActivityKind::Outpatient => t.outpatient,
        ActivityKind::Inpatient => t.inpatient,
        ActivityKind::WardRound => t.ward_round,
        ActivityKind::Teaching => t.teaching,
        ActivityKind::Lecture => t.lecture,
        ActivityKind::CaseDiscussion => t.case_discussion,
        ActivityKind::Training => t.training,
        ActivityKind::Surgery => t.surgery,
        ActivityKind::Teleconsultation => t.teleconsultation,
        ActivityKind::HealthEducation => t.health_education,
    }
}

fn mode_zh(mode: AssignmentMode) -> &'static str {
    match mode {
        AssignmentMode::Circuit => "巡诊",
        AssignmentMode::Dispatch => "派驻",
    }
}

fn progress_zh(status: Progress) -> &'static str {
    status_zh(match status {
        Progress::Met => requirements::Progress::Met,
        Progress::OnTrack => requirements::Progress::OnTrack,
        Progress::AtRisk => requirements::Progress::AtRisk,
        Progress::Missed => requirements::Progress::Missed,
    })
}

fn text(value: &Option<String>) -> Cell {
    Cell::from(value.clone())
}

/// 对口支援工作量月报表 (seed 000 附件2).
pub fn monthly(report: &MonthlyReport) -> Table {
    let mut columns: Vec<Column<MonthlyRow>> = vec![
        Column::new("姓名", |r: &MonthlyRow| {
            Cell::from(r.physician_name.clone())
        }),
        Column::new("职称", |r: &MonthlyRow| text(&r.title)),
        Column::new("专业", |r: &MonthlyRow| text(&r.specialty)),
        Column::new("派出单位", |r: &MonthlyRow| text(&r.hospital)),
        Column::new("受援单位", |r: &MonthlyRow| {
            Cell::from(r.site_name.clone())
        }),
        Column::new("县(市、区)", |r: &MonthlyRow| {
            Cell::from(r.county.clone())
        }),
        Column::new("服务天数(天)", |r: &MonthlyRow| {
            Cell::from(r.credited_days)
        }),
        Column::new("服务半天数(个)", |r: &MonthlyRow| {
            Cell::from(r.credited_half_days)
        }),
        Column::new("有效服务次数(次)", |r: &MonthlyRow| {
            Cell::from(r.qualifying_visits)
        }),
        Column::new("待审核次数(次)", |r: &MonthlyRow| {
            Cell::from(r.pending_visits)
        }),
    ];
    for kind in ActivityKind::ALL {
        columns.push(Column::new(
            format!("{}({})", kind.label_zh(), activity_unit_zh(kind)),
            move |r: &MonthlyRow| Cell::from(activity(&r.activities, kind)),
        ));
    }
    Table::from_columns(
        "对口支援工作量月报表",
        format!(
            "统计范围：{}　月份：{}",
            report.jurisdiction_name, report.month
        ),
        "工作量月报表",
        &columns,
        &report.rows,
    )
}

/// Requirement compliance per assignment.
pub fn compliance(report: &ComplianceReport) -> Table {
    let columns: Vec<Column<ComplianceRow>> = vec![
        Column::new("姓名", |r: &ComplianceRow| {
            Cell::from(r.physician_name.clone())
        }),
        Column::new("受援单位", |r: &ComplianceRow| {
            Cell::from(r.site_name.clone())
        }),
        Column::new("县(市、区)", |r: &ComplianceRow| {
            Cell::from(r.county.clone())
        }),
        Column::new("方案", |r: &ComplianceRow| {
            Cell::from(r.program_name.clone())
        }),
        Column::new("服务方式", |r: &ComplianceRow| {
            Cell::from(mode_zh(r.mode))
        }),
        Column::new("考核要求", |r: &ComplianceRow| {
            Cell::from(r.requirement_zh.clone())
        }),
        Column::new("考核周期起", |r: &ComplianceRow| {
            Cell::from(r.period_start.to_string())
        }),
        Column::new("考核周期止", |r: &ComplianceRow| {
            Cell::from(r.period_end.to_string())
        }),
        Column::new("要求量", |r: &ComplianceRow| Cell::from(r.required)),
        Column::new("完成量", |r: &ComplianceRow| Cell::from(r.credited)),
        Column::new("完成情况", |r: &ComplianceRow| {
            Cell::from(progress_zh(r.status))
        }),
    ];
    Table::from_columns(
        "对口支援考核要求完成情况表",
        format!(
            "统计范围：{}　月份：{}",
            report.jurisdiction_name, report.period
        ),
        "考核完成情况",
        &columns,
        &report.rows,
    )
}

/// The leaf headers of the county table, as the form prints them (spacing of the
/// PDF normalised).
pub const COUNTY_HEADERS: [&str; 19] = [
    "按县(市、区)分列",
    "巡诊村数(个)",
    "派驻村数(个)",
    "参与巡诊、派驻医务人员数(人)",
    "巡诊、派驻诊疗服务量(人次)",
    "配备巡诊车辆(辆)",
    "搭建远程医疗协作网村数(个)",
    "派驻基层医疗卫生机构数(个)",
    "派驻医务人员数(人)",
    "派驻公共卫生人员数(人)",
    "帮扶达到基本标准机构数(个)",
    "帮扶建立县域次中心机构数(个)",
    "帮扶提升公卫服务机构数(个)",
    "参与县域巡回服务医务人员数(人)",
    "诊疗量(人次)",
    "开展病例讨论(次)",
    "开展教学查房(次)",
    "开展学术讲座(次)",
    "开展业务培训(人次)",
];

/// The three groups over the county table's columns 1-6, 7-12 and 13-18.
pub const COUNTY_GROUPS: [&str; 3] = [
    "村级巡诊、派驻服务开展情况",
    "乡级派驻服务开展情况",
    "县域巡回医疗服务开展情况",
];

/// 设区市县域巡回医疗和派驻服务工作量统计表 (seed 003 附件), with its 合计 row.
pub fn county(report: &CountyStatistics) -> Table {
    type Cells = fn(&CountyRow) -> Cell;
    let cells: [Cells; 19] = [
        |r| Cell::from(r.county_name.clone()),
        |r| Cell::from(r.village_circuit_villages),
        |r| Cell::from(r.village_dispatch_villages),
        |r| Cell::from(r.village_staff),
        |r| Cell::from(r.village_patient_visits),
        |r| Cell::from(r.circuit_vehicles),
        |r| Cell::from(r.telemedicine_villages),
        |r| Cell::from(r.township_dispatch_institutions),
        |r| Cell::from(r.township_dispatch_staff),
        |r| Cell::from(r.township_public_health_staff),
        |r| Cell::from(r.standard_reached_institutions),
        |r| Cell::from(r.subcenter_institutions),
        |r| Cell::from(r.public_health_improved_institutions),
        |r| Cell::from(r.county_circuit_staff),
        |r| Cell::from(r.county_circuit_patient_visits),
        |r| Cell::from(r.case_discussions),
        |r| Cell::from(r.teaching_rounds),
        |r| Cell::from(r.lectures),
        |r| Cell::from(r.training_attendances),
    ];
    let columns: Vec<Column<CountyRow>> = COUNTY_HEADERS
        .iter()
        .zip(cells)
        .map(|(header, cell)| Column::new(*header, cell))
        .collect();
    let groups = COUNTY_GROUPS
        .iter()
        .enumerate()
        .map(|(i, label)| HeaderGroup {
            label: (*label).to_owned(),
            first: 1 + 6 * i,
            last: 6 + 6 * i,
        })
        .collect();
    Table::from_columns(
        "设区市县域巡回医疗和派驻服务工作量统计表",
        format!(
            "填报单位：{}　年度：{}",
            report.jurisdiction_name, report.year
        ),
        "工作量统计表",
        &columns,
        &report.rows,
    )
    .with_groups(groups)
    .with_totals("合计")
}

/// 对口支援工作医师考核登记表: the postings, with the physician and the
/// cumulative figures in the subtitle and a 合计 row.
pub fn service_record(record: &ServiceRecord) -> Table {
    let columns: Vec<Column<Posting>> = vec![
        Column::new("受援单位", |p: &Posting| {
            Cell::from(p.site_name.clone())
        }),
        Column::new("县(市、区)", |p: &Posting| Cell::from(p.county.clone())),
        Column::new("方案", |p: &Posting| Cell::from(p.program_name.clone())),
        Column::new("服务方式", |p: &Posting| Cell::from(mode_zh(p.mode))),
        Column::new("开始日期", |p: &Posting| {
            Cell::from(p.start_date.to_string())
        }),
        Column::new("结束日期", |p: &Posting| {
            Cell::from(p.end_date.to_string())
        }),
        Column::new("服务天数(天)", |p: &Posting| {
            Cell::from(p.credited_days)
        }),
        Column::new("有效服务次数(次)", |p: &Posting| {
            Cell::from(p.qualifying_visits)
        }),
        Column::new("首次服务日期", |p: &Posting| {
            Cell::from(p.first_credited.map(|d| d.to_string()))
        }),
        Column::new("末次服务日期", |p: &Posting| {
            Cell::from(p.last_credited.map(|d| d.to_string()))
        }),
    ];
    let p = &record.physician;
    let none = String::from("—");
    let span = record.longest_span.as_ref().map_or_else(
        || "无".to_owned(),
        |s| {
            format!(
                "{}个月（{}，{}至{}，共{}天）",
                s.months, s.site_name, s.first_day, s.last_day, s.calendar_days
            )
        },
    );
    let subtitle = format!(
        "姓名：{}　职称：{}　专业：{}　派出单位：{}　累计服务：{}天　最长连续服务：{}",
        p.name,
        p.title.as_ref().unwrap_or(&none),
        p.specialty.as_ref().unwrap_or(&none),
        p.hospital.as_ref().unwrap_or(&none),
        record.cumulative_credited_days,
        span
    );
    Table::from_columns(
        "对口支援工作医师考核登记表",
        subtitle,
        "考核登记表",
        &columns,
        &record.postings,
    )
    .with_totals("合计")
}

/// Coverage of the receiving clinics (全覆盖情况表).
pub fn coverage(report: &CoverageReport) -> Table {
    let columns: Vec<Column<CoverageRow>> = vec![
        Column::new("县(市、区)", |r: &CoverageRow| {
            Cell::from(r.jurisdiction_name.clone())
        }),
        Column::new("受援单位", |r: &CoverageRow| {
            Cell::from(r.site_name.clone())
        }),
        Column::new("类别", |r: &CoverageRow| Cell::from(r.kind_zh.clone())),
        Column::new("服务天数(天)", |r: &CoverageRow| {
            Cell::from(r.credited_days)
        }),
        Column::new("有效服务次数(次)", |r: &CoverageRow| {
            Cell::from(r.visits)
        }),
        Column::new("医师人数(人)", |r: &CoverageRow| {
            Cell::from(r.physicians)
        }),
        Column::new("是否覆盖", |r: &CoverageRow| {
            Cell::from(if r.covered { "是" } else { "否" })
        }),
    ];
    Table::from_columns(
        "受援单位服务覆盖情况表",
        format!(
            "统计范围：{}　月份：{}　受援单位{}个，已覆盖{}个",
            report.jurisdiction_name, report.month, report.clinics, report.covered
        ),
        "覆盖情况",
        &columns,
        &report.rows,
    )
    .with_totals("合计")
}

fn visit_status_zh(status: VisitStatus) -> &'static str {
    match status {
        VisitStatus::Open => "服务中",
        VisitStatus::Closed => "已签退",
        VisitStatus::AutoClosed => "未签退",
    }
}

fn visit_credit_zh(credit: Option<VisitCredit>) -> &'static str {
    match credit {
        Some(VisitCredit::Full) => "计1天",
        Some(VisitCredit::Half) => "计半天",
        Some(VisitCredit::None) => "不计入",
        Some(VisitCredit::Pending) | None => "待定",
    }
}

/// An instant as Asia/Shanghai wall-clock time, `2026-03-02 09:00`.
fn local_time(at: Option<DateTime<Utc>>) -> Cell {
    at.map_or(Cell::Empty, |at| {
        Cell::from(
            at.with_timezone(&DEFAULT_TIMEZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        )
    })
}

/// The supervisors' visit list (下基层服务记录) as filtered.
pub fn visits(items: &[Visit]) -> Table {
    let columns: Vec<Column<Visit>> = vec![
        Column::new("日期", |v: &Visit| Cell::from(v.local_date.to_string())),
        Column::new("医师", |v: &Visit| text(&v.physician_name)),
        Column::new("派出单位", |v: &Visit| text(&v.hospital_name)),
        Column::new("服务单位", |v: &Visit| text(&v.site_name)),
        Column::new("签到时间", |v: &Visit| {
            local_time(Some(v.checked_in_at))
        }),
        Column::new("签退时间", |v: &Visit| local_time(v.checked_out_at)),
        Column::new("在岗时长(分钟)", |v: &Visit| Cell::from(v.minutes)),
        Column::new("状态", |v: &Visit| Cell::from(visit_status_zh(v.status))),
        Column::new("计入", |v: &Visit| Cell::from(visit_credit_zh(v.credit))),
        Column::new("异常", |v: &Visit| {
            let kinds: Vec<&str> = v
                .anomalies
                .iter()
                .map(|k| AnomalyKind::parse(k).map_or("其他异常", AnomalyKind::label_zh))
                .collect();
            Cell::from(kinds.join("、"))
        }),
    ];
    Table::from_columns(
        "下基层服务记录",
        format!("共{}条", items.len()),
        "服务记录",
        &columns,
        items,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county_row(code: &str, vehicles: Option<u32>) -> CountyRow {
        CountyRow {
            county_code: code.into(),
            county_name: format!("县{code}"),
            village_circuit_villages: 2,
            village_dispatch_villages: 1,
            village_staff: 3,
            village_patient_visits: 40,
            circuit_vehicles: vehicles,
            telemedicine_villages: None,
            township_dispatch_institutions: 1,
            township_dispatch_staff: 1,
            township_public_health_staff: 0,
            standard_reached_institutions: None,
            subcenter_institutions: None,
            public_health_improved_institutions: None,
            county_circuit_staff: 4,
            county_circuit_patient_visits: 100,
            case_discussions: 1,
            teaching_rounds: 2,
            lectures: 3,
            training_attendances: 30,
        }
    }

    #[test]
    fn the_county_table_has_the_forms_columns_groups_and_totals() {
        let report = CountyStatistics {
            jurisdiction_code: Some("350800".into()),
            jurisdiction_name: "龙岩市".into(),
            year: 2026,
            generated_at: chrono::Utc::now(),
            rows: vec![county_row("350881", Some(2)), county_row("350802", None)],
        };
        let table = county(&report);
        assert_eq!(table.headers.len(), 19);
        assert_eq!(table.headers[1], "巡诊村数(个)");
        assert_eq!(table.groups.len(), 3);
        assert_eq!((table.groups[2].first, table.groups[2].last), (13, 18));
        assert_eq!(table.rows[0][5], Cell::Number(2.0));
        assert_eq!(table.rows[1][5], Cell::Empty, "an unrecorded fact is empty");
        let totals = table.totals.unwrap();
        assert_eq!(totals[0], Cell::from("合计"));
        assert_eq!(totals[4], Cell::Number(80.0));
        assert_eq!(totals[5], Cell::Number(2.0));
        assert_eq!(totals[6], Cell::Empty);
    }

    #[test]
    fn the_monthly_table_has_a_column_per_activity_kind() {
        let report = MonthlyReport {
            jurisdiction_code: None,
            jurisdiction_name: "全部辖区".into(),
            month: "2026-03".into(),
            generated_at: chrono::Utc::now(),
            rows: Vec::new(),
        };
        let table = monthly(&report);
        assert_eq!(table.headers.len(), 10 + ActivityKind::ALL.len());
        assert!(table.headers.contains(&"门诊(人次)".to_owned()));
        assert!(table.headers.contains(&"手术(台)".to_owned()));
        assert!(table.subtitle.contains("2026-03"));
    }
}
