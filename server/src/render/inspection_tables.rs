//! The inspection list as a form to file (督查记录登记表): one row per inspection,
//! with who was found and who was missing, the inspector's distance from the fence,
//! the photos and the follow-up, and a totals row.

use chrono::{DateTime, Utc};
use mobile_api::{FollowUpStatus, Inspection, InspectionKind};

use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::render::{Cell, Column, Table};

/// The column holding the inspector's distance from the fence (not added up).
const DISTANCE_COLUMN: usize = 9;

fn local_time(at: DateTime<Utc>) -> Cell {
    Cell::from(
        at.with_timezone(&DEFAULT_TIMEZONE)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )
}

fn kind_zh(kind: InspectionKind) -> &'static str {
    match kind {
        InspectionKind::Unannounced => "暗访",
        InspectionKind::Onsite => "现场核查",
    }
}

fn follow_up_zh(i: &Inspection) -> &'static str {
    match i.follow_up.as_ref().map(|f| f.status) {
        None => "未登记",
        Some(FollowUpStatus::Open) => "整改中",
        Some(FollowUpStatus::Closed) => "已办结",
    }
}

fn count(n: usize) -> Cell {
    Cell::from(n as u64)
}

/// `scope` says what the list covers, e.g. `漳平市　2026-03-01 至 2026-03-31`.
pub fn inspections(items: &[Inspection], scope: &str) -> Table {
    let columns: Vec<Column<Inspection>> = vec![
        Column::new("督查时间", |i: &Inspection| local_time(i.observed_at)),
        Column::new("行政区划代码", |i: &Inspection| {
            Cell::from(i.jurisdiction_code.clone())
        }),
        Column::new("受援单位", |i: &Inspection| {
            Cell::from(i.site_name.clone())
        }),
        Column::new("督查方式", |i: &Inspection| Cell::from(kind_zh(i.kind))),
        Column::new("督查人", |i: &Inspection| {
            Cell::from(i.inspector_name.clone())
        }),
        Column::new("在岗人数", |i: &Inspection| {
            count(i.present_physician_ids.len())
        }),
        Column::new("在岗人员", |i: &Inspection| {
            Cell::from(i.present_physician_names.join("、"))
        }),
        Column::new("缺岗人数", |i: &Inspection| {
            count(i.absent_physician_ids.len())
        }),
        Column::new("缺岗人员", |i: &Inspection| {
            Cell::from(i.absent_physician_names.join("、"))
        }),
        Column::new("督查人定位距围栏(米)", |i: &Inspection| {
            i.fix_distance_to_fence_m.map_or(Cell::Empty, Cell::from)
        }),
        Column::new("照片数", |i: &Inspection| Cell::from(i.photo_count)),
        Column::new("整改状态", |i: &Inspection| Cell::from(follow_up_zh(i))),
        Column::new("整改措施", |i: &Inspection| {
            Cell::from(
                i.follow_up
                    .as_ref()
                    .map(|f| f.action.clone())
                    .unwrap_or_default(),
            )
        }),
        Column::new("备注", |i: &Inspection| Cell::from(i.note.clone())),
    ];
    let mut table = Table::from_columns(
        "督查记录登记表",
        format!("统计范围：{scope}　共{}次督查", items.len()),
        "督查记录",
        &columns,
        items,
    )
    .with_totals("合计")
    .with_preamble(vec![
        ("统计范围".to_owned(), scope.to_owned()),
        ("督查次数".to_owned(), items.len().to_string()),
    ]);
    if let Some(totals) = table.totals.as_mut()
        && let Some(cell) = totals.get_mut(DISTANCE_COLUMN)
    {
        *cell = Cell::Empty;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn inspection(present: usize, absent: usize, photos: u32) -> Inspection {
        Inspection {
            id: Uuid::new_v4(),
            site_id: Uuid::new_v4(),
            kind: InspectionKind::Unannounced,
            observed_at: Utc::now(),
            inspector_id: Uuid::new_v4(),
            present_physician_ids: (0..present).map(|_| Uuid::new_v4()).collect(),
            absent_physician_ids: (0..absent).map(|_| Uuid::new_v4()).collect(),
            note: String::new(),
            created_at: Utc::now(),
            raised: Vec::new(),
            inspector_fix: None,
            fix_distance_to_fence_m: Some(12.5),
            follow_up: None,
            photos: Vec::new(),
            site_name: "溪南镇卫生院".into(),
            jurisdiction_code: "350881".into(),
            inspector_name: "督查员".into(),
            present_physician_names: vec!["甲".into(); present],
            absent_physician_names: vec!["乙".into(); absent],
            photo_count: photos,
        }
    }

    #[test]
    fn the_totals_add_people_and_photos_but_not_distances() {
        let table = inspections(&[inspection(2, 1, 3), inspection(1, 0, 0)], "漳平市");
        assert_eq!(table.headers[DISTANCE_COLUMN], "督查人定位距围栏(米)");
        let totals = table.totals.expect("totals");
        assert_eq!(totals[0], Cell::from("合计"));
        assert_eq!(totals[5], Cell::Number(3.0));
        assert_eq!(totals[7], Cell::Number(1.0));
        assert_eq!(totals[DISTANCE_COLUMN], Cell::Empty);
        assert_eq!(totals[10], Cell::Number(3.0));
        assert_eq!(table.rows[0][11], Cell::from("未登记"));
    }
}
