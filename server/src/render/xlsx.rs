//! A table as an XLSX workbook: one sheet with the form's title and scope, then its
//! header block (填报单位：…, one line each) above a bold, bordered header (the
//! county table's groups merged over their columns and the ungrouped headers merged
//! down both header rows), frozen below the header, with column widths fitted to
//! the content, shaded bold subtotals (小计), grey detail lines and a bold totals row,
//! set up to print on A4 landscape one page wide with the header repeated.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{Cell, RenderError, RowKind, Table};

/// Column widths, in characters, that fitting stays within.
const MIN_WIDTH: f64 = 6.0;
const MAX_WIDTH: f64 = 40.0;
/// Headers wrap onto several lines past this width instead of widening the column.
const HEADER_WRAP_WIDTH: f64 = 14.0;

/// The display width of text: CJK and other wide characters take two cells.
fn display_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if (c as u32) < 0x1100 { 1.0 } else { 2.0 })
        .sum()
}

fn cell_width(cell: &Cell) -> f64 {
    match cell {
        Cell::Text(s) => display_width(s),
        Cell::Number(n) => display_width(&super::number_text(*n)),
        Cell::Empty => 0.0,
    }
}

pub(crate) struct Formats {
    pub(crate) title: Format,
    pub(crate) subtitle: Format,
    pub(crate) header: Format,
    pub(crate) cell: Format,
    pub(crate) total: Format,
    subtotal: Format,
    detail: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        let bordered = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new().set_align(FormatAlign::Left),
            header: bordered
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDDEBF7)),
            cell: bordered.clone(),
            subtotal: bordered
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xF2F2F2)),
            detail: bordered.clone().set_font_color(Color::RGB(0x595959)),
            total: bordered.set_bold(),
        }
    }
}

/// Writes `text` over columns `first..=last` of `row`, merged when it spans several.
pub(crate) fn merged(
    sheet: &mut Worksheet,
    (first_row, last_row): (u32, u32),
    (first, last): (u16, u16),
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if first_row == last_row && first == last {
        sheet.write_string_with_format(first_row, first, text, format)?;
    } else {
        sheet.merge_range(first_row, first, last_row, last, text, format)?;
    }
    Ok(())
}

fn column(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn row_number(index: usize) -> Result<u32, XlsxError> {
    u32::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write(table: &Table) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(&table.sheet_name)?;
    let last_column = column(table.headers.len().max(1) - 1)?;

    merged(
        sheet,
        (0, 0),
        (0, last_column),
        &table.title,
        &formats.title,
    )?;
    sheet.set_row_height(0, 28)?;
    merged(
        sheet,
        (1, 1),
        (0, last_column),
        &table.subtitle,
        &formats.subtitle,
    )?;

    // The header block, one `label：value` line each.
    for (index, (label, value)) in table.preamble.iter().enumerate() {
        let at = 2 + row_number(index)?;
        merged(
            sheet,
            (at, at),
            (0, last_column),
            &format!("{label}：{value}"),
            &formats.subtitle,
        )?;
    }

    // The header: one row, or a row of groups above the leaf headers.
    let header_top: u32 = 2 + row_number(table.preamble.len())?;
    let header_bottom = if table.groups.is_empty() {
        header_top
    } else {
        header_top + 1
    };
    for group in &table.groups {
        let span = (column(group.first)?, column(group.last)?);
        merged(
            sheet,
            (header_top, header_top),
            span,
            &group.label,
            &formats.header,
        )?;
    }
    for (index, header) in table.headers.iter().enumerate() {
        let col = column(index)?;
        let grouped = table
            .groups
            .iter()
            .any(|g| (g.first..=g.last).contains(&index));
        let top = if grouped { header_bottom } else { header_top };
        merged(
            sheet,
            (top, header_bottom),
            (col, col),
            header,
            &formats.header,
        )?;
    }

    let first_data = header_bottom + 1;
    let mut widths: Vec<f64> = table
        .headers
        .iter()
        .map(|h| display_width(h).min(HEADER_WRAP_WIDTH))
        .collect();
    for (offset, (kind, row)) in table.body_with_kinds().enumerate() {
        let at = first_data + row_number(offset)?;
        let format = match kind {
            RowKind::Data => &formats.cell,
            RowKind::Detail => &formats.detail,
            RowKind::Subtotal => &formats.subtotal,
            RowKind::Total | RowKind::Caption => &formats.total,
        };
        for (index, cell) in row.iter().enumerate() {
            let col = column(index)?;
            match cell {
                Cell::Text(s) => sheet.write_string_with_format(at, col, s, format)?,
                Cell::Number(n) => sheet.write_number_with_format(at, col, *n, format)?,
                Cell::Empty => sheet.write_blank(at, col, format)?,
            };
            // A caption may run over the columns to its right.
            if let (Some(width), false) = (widths.get_mut(index), kind == RowKind::Caption) {
                *width = width.max(cell_width(cell));
            }
        }
    }
    for (index, width) in widths.iter().enumerate() {
        sheet.set_column_width(column(index)?, (width + 2.0).clamp(MIN_WIDTH, MAX_WIDTH))?;
    }
    let wraps = table
        .headers
        .iter()
        .any(|h| display_width(h) > HEADER_WRAP_WIDTH);
    if wraps {
        sheet.set_row_height(header_bottom, 48)?;
    }
    // Keep the header and the first (name) column in view while scrolling.
    sheet.set_freeze_panes(first_data, 1)?;
    // Printed as filed: A4 landscape, one page wide, the header on every page.
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_repeat_rows(header_top, header_bottom)?;
    workbook.save_to_buffer()
}

/// Writes `table` as XLSX bytes.
pub fn to_xlsx(table: &Table) -> Result<Vec<u8>, RenderError> {
    write(table).map_err(|e| RenderError::Xlsx(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::HeaderGroup;

    fn sample(groups: Vec<HeaderGroup>) -> Table {
        Table {
            title: "设区市县域巡回医疗和派驻服务工作量统计表".into(),
            subtitle: "填报单位：龙岩市".into(),
            sheet_name: "统计表".into(),
            groups,
            headers: vec![
                "按县(市、区)分列".into(),
                "巡诊村数(个)".into(),
                "配备巡诊车辆(辆)".into(),
            ],
            rows: vec![vec![Cell::from("漳平市"), Cell::Number(3.0), Cell::Empty]],
            totals: None,
            preamble: Vec::new(),
            kinds: Vec::new(),
            trailer: Vec::new(),
        }
        .with_totals("合计")
    }

    #[test]
    fn a_workbook_is_a_zip_with_the_sheet_and_its_strings() {
        let bytes = to_xlsx(&sample(Vec::new())).unwrap();
        assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
        assert!(bytes.len() > 1000);
    }

    #[test]
    fn grouped_headers_merge_without_overlap() {
        let groups = vec![HeaderGroup {
            label: "村级巡诊、派驻服务开展情况".into(),
            first: 1,
            last: 2,
        }];
        assert!(to_xlsx(&sample(groups)).is_ok());
        // A group of one column is written, not merged.
        let single = vec![HeaderGroup {
            label: "组".into(),
            first: 1,
            last: 1,
        }];
        assert!(to_xlsx(&sample(single)).is_ok());
    }

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(display_width("ab"), 2.0);
        assert_eq!(display_width("漳平"), 4.0);
    }

    #[test]
    fn an_invalid_sheet_name_is_a_render_error() {
        let table = Table {
            sheet_name: "bad/name".into(),
            ..sample(Vec::new())
        };
        assert!(matches!(to_xlsx(&table), Err(RenderError::Xlsx(_))));
    }
}
