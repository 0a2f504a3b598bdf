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

/// How a worksheet keeps its cells until the workbook is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Memory {
    /// Every cell in memory.
    Standard,
    /// Each row goes to a temporary file once the next one is written; only the
    /// shared strings stay in memory. The file is the same.
    Low,
}

fn write(table: &Table, memory: Memory) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = match memory {
        Memory::Standard => workbook.add_worksheet(),
        Memory::Low => workbook.add_worksheet_with_low_memory()?,
    };
    sheet.set_name(&table.sheet_name)?;
    let last_column = column(table.headers.len().max(1) - 1)?;

    // Rows are written top to bottom, each once (in low-memory mode a row can no
    // longer be changed once a later one is written), so the column widths and the
    // header's height are worked out first.
    let mut widths: Vec<f64> = table
        .headers
        .iter()
        .map(|h| display_width(h).min(HEADER_WRAP_WIDTH))
        .collect();
    for (kind, row) in table.body_with_kinds() {
        // A caption may run over the columns to its right.
        if kind == RowKind::Caption {
            continue;
        }
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = width.max(cell_width(cell));
        }
    }
    for (index, width) in widths.iter().enumerate() {
        sheet.set_column_width(column(index)?, (width + 2.0).clamp(MIN_WIDTH, MAX_WIDTH))?;
    }

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

    // The header: one row, or a row of groups above the leaf headers. The top
    // row's cells (groups, and the ungrouped headers merged down both rows) first,
    // then the grouped leaf headers of the second row.
    let header_top: u32 = 2 + row_number(table.preamble.len())?;
    let header_bottom = if table.groups.is_empty() {
        header_top
    } else {
        header_top + 1
    };
    let grouped = |index: usize| {
        table
            .groups
            .iter()
            .any(|g| (g.first..=g.last).contains(&index))
    };
    let wraps = table
        .headers
        .iter()
        .any(|h| display_width(h) > HEADER_WRAP_WIDTH);
    if wraps {
        sheet.set_row_height(header_bottom, 48)?;
    }
    let mut top_row: Vec<(u16, u16, &str, bool)> = table
        .groups
        .iter()
        .map(|g| Ok((column(g.first)?, column(g.last)?, g.label.as_str(), false)))
        .collect::<Result<_, XlsxError>>()?;
    for (index, header) in table.headers.iter().enumerate() {
        if !grouped(index) {
            top_row.push((column(index)?, column(index)?, header.as_str(), true));
        }
    }
    top_row.sort_by_key(|(first, ..)| *first);
    for (first, last, text, down) in top_row {
        let bottom = if down { header_bottom } else { header_top };
        merged(
            sheet,
            (header_top, bottom),
            (first, last),
            text,
            &formats.header,
        )?;
    }
    for (index, header) in table.headers.iter().enumerate() {
        if grouped(index) {
            sheet.write_string_with_format(
                header_bottom,
                column(index)?,
                header,
                &formats.header,
            )?;
        }
    }

    let first_data = header_bottom + 1;
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
        }
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

/// Writes `table` as XLSX bytes, keeping one row of cells in memory at a time (the
/// rest in a temporary file); where no temporary file can be made, with every cell
/// in memory (the same file).
pub fn to_xlsx(table: &Table) -> Result<Vec<u8>, RenderError> {
    match write(table, Memory::Low) {
        Err(XlsxError::TempFileError(..)) => write(table, Memory::Standard),
        written => written,
    }
    .map_err(|e| RenderError::Xlsx(e.to_string()))
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

    /// The parts of an XLSX package, by name.
    fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut parts = Vec::new();
        for index in 0..archive.len() {
            let mut file = archive.by_index(index).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            let name = file.name().unwrap().into_owned();
            // docProps/core.xml carries the time the file was made.
            if name != "docProps/core.xml" {
                parts.push((name, content));
            }
        }
        parts
    }

    /// `xml` without the rows' optional `spans="first:last"` hints, which only the
    /// standard-memory writer adds.
    fn without_spans(xml: &[u8]) -> Vec<u8> {
        let text = String::from_utf8(xml.to_vec()).unwrap();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(" spans=\"") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + " spans=\"".len()..];
            rest = &tail[tail.find('"').unwrap() + 1..];
        }
        out.push_str(rest);
        out.into_bytes()
    }

    fn large(groups: Vec<HeaderGroup>) -> Table {
        let mut kinds = Vec::new();
        let rows = (0..3_000)
            .map(|i| {
                kinds.push(match i % 10 {
                    9 => RowKind::Subtotal,
                    8 => RowKind::Detail,
                    _ => RowKind::Data,
                });
                vec![
                    Cell::from(format!("乡镇卫生院{}", i % 97)),
                    Cell::Number(f64::from(i % 13)),
                    if i % 5 == 0 {
                        Cell::Empty
                    } else {
                        Cell::Number(0.5)
                    },
                ]
            })
            .collect();
        let mut table = Table {
            rows,
            kinds,
            preamble: vec![
                ("填报单位".into(), "海岚省".into()),
                ("填报人".into(), "王".into()),
            ],
            ..sample(groups)
        }
        .with_totals("合计");
        table.trailer = vec![
            (RowKind::Caption, vec![Cell::from("按受援单位小计")]),
            (
                RowKind::Detail,
                vec![Cell::from("其一"), Cell::Number(1.0), Cell::Empty],
            ),
        ];
        table
    }

    #[test]
    fn low_memory_writes_the_same_workbook_as_standard_memory() {
        // Every part byte for byte, but for the rows' optional `spans` hints.
        let grouped = vec![HeaderGroup {
            label: "村级巡诊、派驻服务开展情况".into(),
            first: 1,
            last: 2,
        }];
        for groups in [Vec::new(), grouped] {
            let table = large(groups);
            let standard = write(&table, Memory::Standard).unwrap();
            let low = write(&table, Memory::Low).unwrap();
            let (standard, low) = (parts(&standard), parts(&low));
            assert!(
                standard
                    .iter()
                    .any(|(name, _)| name == "xl/worksheets/sheet1.xml")
            );
            for ((a_name, a), (b_name, b)) in standard.iter().zip(&low) {
                assert_eq!(a_name, b_name);
                let (a, b) = (&without_spans(a), &without_spans(b));
                let at = a.iter().zip(b).position(|(x, y)| x != y);
                let around = |v: &[u8], at: usize| {
                    String::from_utf8_lossy(&v[at.saturating_sub(200)..(at + 200).min(v.len())])
                        .into_owned()
                };
                assert!(
                    a == b,
                    "{a_name} differs at {at:?} ({} vs {} bytes):\n{}\n--\n{}",
                    a.len(),
                    b.len(),
                    around(a, at.unwrap_or(a.len().min(b.len()))),
                    around(b, at.unwrap_or(a.len().min(b.len())))
                );
            }
            assert_eq!(standard.len(), low.len());
        }
    }

    #[test]
    fn a_large_workbook_reads_back_to_every_row_and_the_totals() {
        use calamine::{Data, DataType, Reader, Xlsx};
        let table = large(Vec::new());
        let bytes = to_xlsx(&table).unwrap();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("统计表").unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let text = |cell: &Data| cell.to_string();
        assert_eq!(
            text(&rows[0][0]),
            "设区市县域巡回医疗和派驻服务工作量统计表"
        );
        assert_eq!(text(&rows[2][0]), "填报单位：海岚省");
        assert_eq!(text(&rows[4][1]), "巡诊村数(个)");
        // Title, subtitle, two header-block lines, the header, then the body.
        let body = &rows[5..];
        assert_eq!(body.len(), 3_000 + 1 + 2);
        let mut sum = 0.0;
        for (i, row) in body[..3_000].iter().enumerate() {
            assert_eq!(text(&row[0]), format!("乡镇卫生院{}", i % 97));
            let value = row[1].get_float().unwrap();
            assert_eq!(value, f64::from((i % 13) as u32));
            if table.kind(i) == RowKind::Data {
                sum += value;
            }
        }
        let totals = body[3_000];
        assert_eq!(text(&totals[0]), "合计");
        assert_eq!(totals[1].get_float(), Some(sum));
        assert_eq!(text(&body[3_001][0]), "按受援单位小计");
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
