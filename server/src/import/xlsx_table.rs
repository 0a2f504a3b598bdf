//! XLSX: the first worksheet, cell by cell (streamed, so a stray cell far down and to
//! the right does not make a huge dense grid).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::{MAX_COLUMNS, MAX_SHEET_ROWS, TableError};
use crate::domain::personnel::SheetRow;

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, TableError> {
    let bad = |e: calamine::XlsxError| TableError::Xlsx(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::NoSheet)?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(bad)?;
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(bad)? {
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
    fn whole_numbers_lose_their_decimal_point() {
        assert_eq!(cell_text(&DataRef::Float(13900000001.0)), "13900000001");
        assert_eq!(cell_text(&DataRef::Float(1.5)), "1.5");
        assert_eq!(cell_text(&DataRef::Int(7)), "7");
    }
}
