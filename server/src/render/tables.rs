//! Each report's columns, described once: the Chinese headers of the printed forms
//! and how each cell comes from a JSON row. CSV and XLSX both render these tables.

use mobile_api::{
    ActivityTotals, AssessmentReport, AssignmentMode, ComplianceReport, ComplianceTotals,
    CountyRow, CountyStatistics, MonthlyFigures, MonthlyReport, MonthlySubtotal, Posting, Progress,
    RequirementPeriod, ServiceRecord,
};

use chrono::{DateTime, Utc};
use mobile_api::{CoverageReport, CoverageRow, Visit, VisitCredit, VisitStatus};

use crate::domain::anomaly::AnomalyKind;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::reports::{activity_unit_zh, status_zh};
use crate::domain::requirements::{self, ActivityKind};
use crate::render::{Cell, Column, HeaderGroup, RowKind, Table};

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
        ActivityKind::TeachingRound => t.teaching_round,
        ActivityKind::FamilyDoctorContract => t.family_doctor_contract,
        ActivityKind::PublicHealthService => t.public_health_service,
        ActivityKind::FreeClinic => t.free_clinic,
        ActivityKind::TwoWayReferral => t.two_way_referral,
        ActivityKind::NewTechnique => t.new_technique,
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

fn preamble(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(label, value)| ((*label).to_owned(), value.clone()))
        .collect()
}

/// The figures' cells of the monthly form, from credited days to the last activity.
fn monthly_figures(
    days: f64,
    half_days: u32,
    qualifying: u32,
    pending: u32,
    activities: &ActivityTotals,
) -> Vec<Cell> {
    let mut cells = vec![
        Cell::from(days),
        Cell::from(half_days),
        Cell::from(qualifying),
        Cell::from(pending),
    ];
    cells.extend(
        ActivityKind::ALL
            .iter()
            .map(|&kind| Cell::from(activity(activities, kind))),
    );
    cells
}

/// A 小计 line: `小计`, the number of physicians, the group's name in its column.
fn monthly_subtotal(subtotal: &MonthlySubtotal, name_column: usize) -> Vec<Cell> {
    let f = &subtotal.figures;
    let mut cells = vec![
        Cell::from("小计"),
        Cell::from(format!("共{}人", f.physicians)),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ];
    cells[name_column] = Cell::from(subtotal.name.clone());
    cells.extend(monthly_figures(
        f.credited_days,
        f.credited_half_days,
        f.qualifying_visits,
        f.pending_visits,
        &f.activities,
    ));
    cells
}

/// The leading columns of the monthly form, before the figures.
pub const MONTHLY_LEADING: [&str; 7] = [
    "序号",
    "姓名",
    "职称",
    "专业",
    "派出单位",
    "受援单位",
    "县(市、区)",
];

/// 对口支援工作量月报表 (seed 000 附件2) as filed: the title, the header block
/// (填报单位, 填报人, 联系电话, 填报日期, 所属期), the rows numbered (序号) and
/// grouped by dispatching hospital, each group closed by its 小计, the 合计, then
/// under 按受援单位小计 one 小计 per receiving clinic.
pub fn monthly(report: &MonthlyReport) -> Table {
    let mut headers: Vec<String> = MONTHLY_LEADING.iter().map(|h| (*h).to_owned()).collect();
    headers.extend(
        [
            "服务天数(天)",
            "服务半天数(个)",
            "有效服务次数(次)",
            "待审核次数(次)",
        ]
        .map(str::to_owned),
    );
    for kind in ActivityKind::ALL {
        headers.push(format!("{}({})", kind.label_zh(), activity_unit_zh(kind)));
    }
    headers.push("备注".to_owned());
    let mut rows = Vec::with_capacity(report.rows.len() + report.hospital_subtotals.len());
    let mut number = 0_u32;
    for subtotal in &report.hospital_subtotals {
        for r in report.rows.iter().filter(|r| r.hospital_id == subtotal.id) {
            number += 1;
            let mut cells = vec![
                Cell::from(number),
                Cell::from(r.physician_name.clone()),
                text(&r.title),
                text(&r.specialty),
                text(&r.hospital),
                Cell::from(r.site_name.clone()),
                Cell::from(r.county.clone()),
            ];
            cells.extend(monthly_figures(
                r.credited_days,
                r.credited_half_days,
                r.qualifying_visits,
                r.pending_visits,
                &r.activities,
            ));
            cells.push(match &r.eligibility_override {
                Some(reason) => Cell::from(format!("破格派出：{reason}")),
                None => Cell::Empty,
            });
            rows.push((RowKind::Data, cells));
        }
        rows.push((RowKind::Subtotal, monthly_subtotal(subtotal, 4)));
    }
    let mut trailer = Vec::with_capacity(report.site_subtotals.len() + 1);
    if !report.site_subtotals.is_empty() {
        trailer.push((RowKind::Caption, vec![Cell::from("按受援单位小计")]));
        for subtotal in &report.site_subtotals {
            let mut cells = monthly_subtotal(subtotal, 5);
            if let Some(county) = report
                .rows
                .iter()
                .find(|r| Some(r.site_id) == subtotal.id)
                .map(|r| r.county.clone())
            {
                cells[6] = Cell::from(county);
            }
            trailer.push((RowKind::Subtotal, cells));
        }
    }
    let h = &report.header;
    Table::from_rows(
        "对口支援工作量月报表",
        format!(
            "统计范围：{}　月份：{}",
            report.jurisdiction_name, report.month
        ),
        "工作量月报表",
        headers,
        rows,
    )
    .with_preamble(preamble(&[
        ("填报单位", h.organization.clone()),
        ("填报人", h.filled_by.clone()),
        ("联系电话", h.contact_phone.clone()),
        ("填报日期", h.filled_on.format("%Y年%m月%d日").to_string()),
        ("所属期", h.period_zh.clone()),
    ]))
    .with_totals("合计")
    .with_trailer(trailer)
}

/// The detail line's name for the `index`th period of a requirement.
fn period_name(period: RequirementPeriod, index: usize, start: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    match period {
        RequirementPeriod::Week => format!("第{}周", index + 1),
        RequirementPeriod::Fortnight => format!("第{}个两周", index + 1),
        RequirementPeriod::Month => format!("{}年{}月", start.year(), start.month()),
        RequirementPeriod::Quarter => {
            format!("{}年第{}季度", start.year(), start.month0() / 3 + 1)
        }
        _ => format!("第{}期", index + 1),
    }
}

/// The compliance headers: 序号, then the row's columns.
pub const COMPLIANCE_HEADERS: [&str; 13] = [
    "序号",
    "姓名",
    "受援单位",
    "县(市、区)",
    "方案",
    "服务方式",
    "考核要求",
    "考核周期起",
    "考核周期止",
    "要求量",
    "完成量",
    "完成情况",
    "备注",
];

/// Requirement compliance per assignment (对口支援考核要求完成情况表): each
/// requirement numbered, followed by one detail line per period it was judged in
/// when there are several (each week, each month of a quarter), and a 合计 that
/// counts the requirements by status (their measures differ, so their amounts are
/// not added up).
pub fn compliance(report: &ComplianceReport) -> Table {
    let mut rows = Vec::with_capacity(report.rows.len() * 2);
    for (index, r) in report.rows.iter().enumerate() {
        rows.push((
            RowKind::Data,
            vec![
                Cell::from(count_cell(index + 1)),
                Cell::from(r.physician_name.clone()),
                Cell::from(r.site_name.clone()),
                Cell::from(r.county.clone()),
                Cell::from(r.program_name.clone()),
                Cell::from(mode_zh(r.mode)),
                Cell::from(r.requirement_zh.clone()),
                Cell::from(r.period_start.to_string()),
                Cell::from(r.period_end.to_string()),
                Cell::from(r.required),
                Cell::from(r.credited),
                Cell::from(progress_zh(r.status)),
                match &r.eligibility_override {
                    Some(reason) => Cell::from(format!("破格派出：{reason}")),
                    None => Cell::Empty,
                },
            ],
        ));
        if r.periods.len() > 1 {
            for (k, p) in r.periods.iter().enumerate() {
                let mut cells = vec![Cell::Empty; 6];
                cells.push(Cell::from(format!(
                    "　其中{}",
                    period_name(r.requirement.period, k, p.start)
                )));
                cells.extend([
                    Cell::from(p.start.to_string()),
                    Cell::from(p.end.to_string()),
                    Cell::from(p.required),
                    Cell::from(p.credited),
                    Cell::from(progress_zh(p.status)),
                    Cell::Empty,
                ]);
                rows.push((RowKind::Detail, cells));
            }
        }
    }
    let t = &report.totals;
    let mut totals = vec![Cell::Empty; COMPLIANCE_HEADERS.len()];
    totals[0] = Cell::from("合计");
    totals[1] = Cell::from(format!("{}人次", t.assignments));
    totals[6] = Cell::from(format!("{}项", t.requirements));
    totals[11] = Cell::from(format!(
        "已达标{}项，进度正常{}项，有风险{}项，未达标{}项",
        t.met, t.on_track, t.at_risk, t.missed
    ));
    let period = if report.period_zh.is_empty() {
        report.period.clone()
    } else {
        report.period_zh.clone()
    };
    let mut table = Table::from_rows(
        "对口支援考核要求完成情况表",
        format!("统计范围：{}　所属期：{}", report.jurisdiction_name, period),
        "考核完成情况",
        COMPLIANCE_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    );
    table.totals = Some(totals);
    table
}

/// The 考核统计表's headers.
pub const ASSESSMENT_HEADERS: [&str; 19] = [
    "序号",
    "支援医院",
    "受援单位",
    "县(市、区)",
    "支援医师(人)",
    "服务天数(天)",
    "有效服务次数(次)",
    "门诊(人次)",
    "查房(次)",
    "带教(人次)",
    "讲座(次)",
    "培训(人次)",
    "手术(台)",
    "考核要求(项)",
    "已达标(项)",
    "进度正常(项)",
    "有风险(项)",
    "未达标(项)",
    "达标率",
];

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn assessment_figures(f: &MonthlyFigures, c: &ComplianceTotals, share: f64) -> Vec<Cell> {
    let a = &f.activities;
    vec![
        Cell::from(f.physicians),
        Cell::from(f.credited_days),
        Cell::from(f.qualifying_visits),
        Cell::from(a.outpatient),
        Cell::from(a.ward_round),
        Cell::from(a.teaching),
        Cell::from(a.lecture),
        Cell::from(a.training),
        Cell::from(a.surgery),
        Cell::from(c.requirements),
        Cell::from(c.met),
        Cell::from(c.on_track),
        Cell::from(c.at_risk),
        Cell::from(c.missed),
        Cell::from(percent(share)),
    ]
}

/// 对口支援工作考核统计表 (中站, quarterly and half-yearly): one numbered row per
/// supporting hospital and receiving clinic, the header block, and the 合计.
pub fn assessment(report: &AssessmentReport) -> Table {
    let rows = report
        .rows
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let mut cells = vec![
                Cell::from(count_cell(index + 1)),
                Cell::from(r.hospital.clone()),
                Cell::from(r.site_name.clone()),
                Cell::from(r.county.clone()),
            ];
            cells.extend(assessment_figures(&r.figures, &r.compliance, r.met_share));
            (RowKind::Data, cells)
        })
        .collect();
    let mut totals = vec![Cell::from("合计"), Cell::Empty, Cell::Empty, Cell::Empty];
    totals.extend(assessment_figures(
        &report.totals,
        &report.compliance_totals,
        report.met_share,
    ));
    let h = &report.header;
    let mut table = Table::from_rows(
        "对口支援工作考核统计表",
        format!(
            "统计范围：{}　所属期：{}（{}至{}）",
            report.jurisdiction_name, h.period_zh, report.period_start, report.period_end
        ),
        "考核统计表",
        ASSESSMENT_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    )
    .with_preamble(preamble(&[
        ("填报单位", h.organization.clone()),
        ("填报人", h.filled_by.clone()),
        ("联系电话", h.contact_phone.clone()),
        ("填报日期", h.filled_on.format("%Y年%m月%d日").to_string()),
        ("所属期", h.period_zh.clone()),
    ]));
    table.totals = Some(totals);
    table
}

fn count_cell(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
    .with_preamble(preamble(&[
        ("填报单位", report.header.organization.clone()),
        ("联系人", report.header.filled_by.clone()),
        ("联系电话", report.header.contact_phone.clone()),
    ]))
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

/// Coverage of the receiving clinics (全覆盖情况表), every clinic of the scope with
/// a 合计 that gives the share of clinics covered.
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
    let mut table = Table::from_columns(
        "受援单位服务覆盖情况表",
        format!(
            "统计范围：{}　所属期：{}　受援单位{}个，已覆盖{}个",
            report.jurisdiction_name, report.month, report.clinics, report.covered
        ),
        "覆盖情况",
        &columns,
        &report.rows,
    )
    .with_totals("合计");
    // Physicians counted once over all clinics, and the share covered.
    if let Some(totals) = table.totals.as_mut() {
        totals[5] = Cell::from(report.total_physicians);
        totals[6] = Cell::from(format!(
            "已覆盖{}/{}（{:.1}%）",
            report.covered,
            report.clinics,
            report.covered_share * 100.0
        ));
    }
    table
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
            header: Default::default(),
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
            header: Default::default(),
            hospital_subtotals: Vec::new(),
            site_subtotals: Vec::new(),
            totals: Default::default(),
        };
        let table = monthly(&report);
        // The leading 7, 4 figures, one per activity kind, and 备注 (破格派出).
        assert_eq!(table.headers.len(), 11 + ActivityKind::ALL.len() + 1);
        assert_eq!(table.headers[0], "序号");
        assert_eq!(table.headers.last().map(String::as_str), Some("备注"));
        assert!(table.headers.contains(&"门诊(人次)".to_owned()));
        assert!(table.headers.contains(&"手术(台)".to_owned()));
        assert!(table.subtitle.contains("2026-03"));
        let labels: Vec<&str> = table.preamble.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            ["填报单位", "填报人", "联系电话", "填报日期", "所属期"]
        );
    }

    fn compliance_row(status: Progress, weeks: usize) -> mobile_api::ComplianceRow {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        mobile_api::ComplianceRow {
            assignment_id: uuid::Uuid::new_v4(),
            physician_id: uuid::Uuid::new_v4(),
            physician_name: "王".into(),
            site_id: uuid::Uuid::new_v4(),
            site_name: "溪南镇卫生院".into(),
            county_code: "350881".into(),
            county: "漳平市".into(),
            program_id: uuid::Uuid::new_v4(),
            program_name: "方案".into(),
            mode: AssignmentMode::Circuit,
            requirement: mobile_api::Requirement {
                period: RequirementPeriod::Week,
                min_days: None,
                min_half_days: Some(2),
                min_visits: None,
                activity: None,
                min_consecutive_months: None,
                min_days_served: None,
                min_working_days: None,
                min_activity_count: None,
            },
            requirement_zh: "每周不少于2个半天".into(),
            period_start: day(2),
            period_end: day(15),
            required: 4.0,
            credited: 3.0,
            status,
            periods: (0..weeks)
                .map(|w| mobile_api::PeriodProgress {
                    start: day(2 + 7 * w as u32),
                    end: day(8 + 7 * w as u32),
                    required: 2.0,
                    credited: if w == 0 { 2.0 } else { 1.0 },
                    status: if w == 0 {
                        Progress::Met
                    } else {
                        Progress::Missed
                    },
                })
                .collect(),
            eligibility_override: None,
        }
    }

    #[test]
    fn the_compliance_table_lists_each_week_under_its_requirement_and_counts_the_statuses() {
        let report = ComplianceReport {
            jurisdiction_code: Some("350881".into()),
            jurisdiction_name: "漳平市".into(),
            period: "2026-03".into(),
            generated_at: chrono::Utc::now(),
            rows: vec![
                compliance_row(Progress::Missed, 2),
                compliance_row(Progress::Met, 1),
            ],
            period_start: None,
            period_end: None,
            period_zh: "2026年3月".into(),
            totals: ComplianceTotals {
                requirements: 2,
                assignments: 2,
                met: 1,
                on_track: 0,
                at_risk: 0,
                missed: 1,
            },
        };
        let table = compliance(&report);
        let firsts: Vec<Cell> = table.rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            firsts,
            [
                Cell::Number(1.0),
                Cell::Empty,
                Cell::Empty,
                Cell::Number(2.0)
            ],
            "a single period gets no detail line"
        );
        assert_eq!(table.rows[1][6], Cell::from("　其中第1周"));
        assert_eq!(table.rows[2][11], Cell::from("未达标"));
        assert_eq!(
            (table.kind(0), table.kind(1), table.kind(3)),
            (RowKind::Data, RowKind::Detail, RowKind::Data)
        );
        let totals = table.totals.unwrap();
        assert_eq!(totals[0], Cell::from("合计"));
        assert_eq!(totals[9], Cell::Empty, "measures differ: not added up");
        assert_eq!(
            totals[11],
            Cell::from("已达标1项，进度正常0项，有风险0项，未达标1项")
        );
    }
}
