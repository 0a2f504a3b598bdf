//! The complaint register (投诉登记表) as a table to export, and the 考核登记表's
//! spreadsheets: the form itself and the public notice (晋升前信息公示).

use mobile_api::{Complaint, Substantiated};

use super::{Cell, Column, Table};

/// 投诉登记表: one line per complaint, with 件数 and 属实 summed in 合计.
pub fn complaints(rows: &[Complaint], scope: &str, range: &str) -> Table {
    let columns: Vec<Column<Complaint>> = vec![
        Column::new("受理日期", |c: &Complaint| {
            Cell::from(c.received_on.to_string())
        }),
        Column::new("医师", |c: &Complaint| {
            Cell::from(c.physician_name.clone())
        }),
        Column::new("派出单位", |c: &Complaint| {
            Cell::from(c.hospital_name.clone().unwrap_or_default())
        }),
        Column::new("受援单位", |c: &Complaint| {
            Cell::from(c.site_name.clone())
        }),
        Column::new("投诉渠道", |c: &Complaint| {
            Cell::from(c.channel_zh.clone())
        }),
        Column::new("投诉人", |c: &Complaint| {
            Cell::from(c.complainant.clone().unwrap_or_default())
        }),
        Column::new("投诉内容", |c: &Complaint| {
            Cell::from(c.content.clone())
        }),
        Column::new("办理状态", |c: &Complaint| {
            Cell::from(c.status_zh.clone())
        }),
        Column::new("是否属实", |c: &Complaint| {
            Cell::from(c.substantiated_zh.clone())
        }),
        Column::new("处理情况", |c: &Complaint| {
            Cell::from(c.handling_note.clone().unwrap_or_default())
        }),
        Column::new("件数", |_: &Complaint| Cell::from(1u32)),
        Column::new("属实(件)", |c: &Complaint| {
            Cell::from(u32::from(c.substantiated == Substantiated::Yes))
        }),
    ];
    Table::from_columns(
        "患者投诉登记表",
        format!("统计范围：{scope}　受理日期：{range}"),
        "投诉登记表",
        &columns,
        rows,
    )
    .with_totals("合计")
}
