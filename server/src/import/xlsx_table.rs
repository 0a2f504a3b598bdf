//! XLSX: the first worksheet, cell by cell (streamed, so a stray cell far down and to
//! the right does not make a huge dense grid). The package is measured first
//! (`xlsx_package`); the sheet's declared size and its cells are bounded here.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Dimensions, Reader, Xlsx};

use super::{MAX_COLUMNS, MAX_SHEET_ROWS, TableError, WorkbookLimit, xlsx_package};
use crate::domain::personnel::SheetRow;

/// Rows a sheet may declare in its `<dimension>`: twice what is read, so blank rows
/// below a table do not refuse it, but not the million rows of a bomb.
pub const MAX_DECLARED_ROWS: u32 = 2 * MAX_SHEET_ROWS;
/// Columns a sheet may declare: a table has seven, Excel allows 16,384.
pub const MAX_DECLARED_COLUMNS: u32 = 1_024;
/// Cells (empty ones too) read from a sheet before giving up: a few hundred rows of
/// seven columns need a few thousand.
pub const MAX_CELLS: u32 = 200_000;

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, TableError> {
    xlsx_package::check(bytes)?;
    let bad = |e: calamine::XlsxError| TableError::Xlsx(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::NoSheet)?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(bad)?;
    check_dimension(cells.dimensions())?;
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut seen: u32 = 0;
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        seen += 1;
        if seen > MAX_CELLS {
            return Err(TableError::OverLimit(WorkbookLimit::Cells {
                max: MAX_CELLS,
            }));
        }
        let (row, column) = cell.get_position();
        let column = column as usize;
        let text = cell_text(cell.get_value());
        if column >= MAX_COLUMNS || text.trim().is_empty() {
            continue;
        }
        if row >= MAX_SHEET_ROWS {
            return Err(TableError::TooManyRows);
        }
        let cells = rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| SheetRow {
            number: row + 1,
            cells,
        })
        .collect())
}

/// Refuses a sheet whose declared extent (`<dimension ref="A1:XFD1048576">`) is beyond
/// any personnel table. A sheet without one declares `A1`.
fn check_dimension(declared: Dimensions) -> Result<(), TableError> {
    let span = |start: u32, end: u32| u64::from(end.saturating_sub(start)) + 1;
    let rows = span(declared.start.0, declared.end.0);
    let columns = span(declared.start.1, declared.end.1);
    if rows > u64::from(MAX_DECLARED_ROWS) || columns > u64::from(MAX_DECLARED_COLUMNS) {
        return Err(TableError::OverLimit(WorkbookLimit::Dimension {
            rows,
            columns,
            max_rows: MAX_DECLARED_ROWS,
            max_columns: MAX_DECLARED_COLUMNS,
        }));
    }
    Ok(())
}

/// A cell as the user reads it: a phone typed as a number shows without `.0`.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn something_that_is_not_a_workbook_is_refused() {
        assert!(matches!(read(b"not a zip"), Err(TableError::Xlsx(_))));
    }

    #[test]
    fn cells_keep_their_sheet_rows_and_numbers_read_as_typed() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "名单").expect("write");
        sheet.write_string(2, 0, "姓名").expect("write");
        sheet.write_string(2, 1, "电话").expect("write");
        sheet.write_string(3, 0, "林一").expect("write");
        sheet.write_number(3, 1, 13900000001.0).expect("write");
        sheet
            .merge_range(4, 0, 5, 0, "曾二", &rust_xlsxwriter::Format::new())
            .expect("merge");
        sheet.write_string(5, 1, "13900000002").expect("write");
        let bytes = workbook.save_to_buffer().expect("saves");
        let rows = read(&bytes).expect("reads");
        let got: Vec<(u32, Vec<&str>)> = rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, vec!["名单"]),
                (3, vec!["姓名", "电话"]),
                (4, vec!["林一", "13900000001"]),
                (5, vec!["曾二"]),
                (6, vec!["", "13900000002"]),
            ]
        );
    }

    #[test]
    fn a_sheet_declaring_more_than_a_table_is_refused_before_its_cells_are_read() {
        let everything = Dimensions {
            start: (0, 0),
            end: (1_048_575, 16_383),
        };
        assert_eq!(
            check_dimension(everything),
            Err(TableError::OverLimit(WorkbookLimit::Dimension {
                rows: 1_048_576,
                columns: 16_384,
                max_rows: 10_000,
                max_columns: 1_024,
            }))
        );
        let table_with_blank_rows_below = Dimensions {
            start: (0, 0),
            end: (9_999, 6),
        };
        assert_eq!(check_dimension(table_with_blank_rows_below), Ok(()));
    }

    #[test]
    fn whole_numbers_lose_their_decimal_point() {
        assert_eq!(cell_text(&DataRef::Float(13900000001.0)), "13900000001");
        assert_eq!(cell_text(&DataRef::Float(1.5)), "1.5");
        assert_eq!(cell_text(&DataRef::Int(7)), "7");
    }
}
