//! The survey report as a form to file (满意度测评结果统计表): one row per physician at
//! each site, each site's 小计, the 合计 and the rate's definition. Names of people
//! served never appear here, only counts.

use mobile_api::{SurveyReport, SurveyTallyRow};

use crate::render::{Cell, RowKind, Table};

fn rate(row: &SurveyTallyRow) -> Cell {
    row.rate_percent
        .map_or(Cell::from("—"), |r| Cell::from(format!("{r:.1}%")))
}

fn counts(row: &SurveyTallyRow) -> Vec<Cell> {
    vec![
        Cell::from(row.drawn),
        Cell::from(row.called),
        Cell::from(row.reached),
        Cell::from(row.satisfied),
        Cell::from(row.basic),
        Cell::from(row.unsatisfied),
        rate(row),
    ]
}

pub fn report(report: &SurveyReport) -> Table {
    let round = &report.round;
    let headers = [
        "受援单位",
        "派驻医师",
        "抽取人数",
        "已拨打",
        "接通人数",
        "满意",
        "基本满意",
        "不满意",
        "满意率",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rows = Vec::new();
    for site in &report.by_site {
        for p in report
            .by_physician
            .iter()
            .filter(|p| p.site_id == site.site_id)
        {
            let mut cells = vec![
                Cell::from(p.site_name.clone().unwrap_or_default()),
                Cell::from(p.physician_name.clone().unwrap_or_default()),
            ];
            cells.extend(counts(p));
            rows.push((RowKind::Data, cells));
        }
        let mut cells = vec![
            Cell::from(format!(
                "{} 小计",
                site.site_name.clone().unwrap_or_default()
            )),
            Cell::Empty,
        ];
        cells.extend(counts(site));
        rows.push((RowKind::Subtotal, cells));
    }
    let mut total = vec![Cell::from("合计"), Cell::Empty];
    total.extend(counts(&report.total));
    let program = round
        .program_name
        .as_ref()
        .map(|p| format!("　方案：{p}"))
        .unwrap_or_default();
    let mut table = Table::from_rows(
        format!("{}受援群众满意度测评结果统计表", round.jurisdiction_name),
        format!(
            "测评期间：{}（{} 至 {}）{program}　抽样种子：{}",
            round.period,
            round.from,
            round.to,
            round.seed.as_deref().unwrap_or("未抽样")
        ),
        "满意度测评",
        headers,
        rows,
    )
    .with_trailer(vec![(
        RowKind::Caption,
        vec![Cell::from(report.rate_definition.clone())],
    )]);
    table.totals = Some(total);
    table
}

/// The registration sheet to fill in (受益群众登记表): a title, a line of instructions
/// and the columns the upload reads, with no rows.
pub fn template(headers: Vec<String>) -> Table {
    Table::from_rows(
        "受益群众登记表（满意度测评）",
        "每行一人；联系电话填手机或带区号的座机；服务日期在测评期间内；派驻医师填姓名",
        "受益群众登记表",
        headers,
        Vec::new(),
    )
}
