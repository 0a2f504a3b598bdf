//! CSV (or tab-separated text, as pasted from a form) in UTF-8, UTF-16 with BOM, or
//! GB18030 (what Excel on a Chinese Windows saves).

use std::borrow::Cow;

use super::{MAX_COLUMNS, MAX_SHEET_ROWS, TableError};
use crate::domain::personnel::SheetRow;

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, TableError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // A spreadsheet shows a blank line (which the csv reader skips) as an empty row,
    // and a quoted field with line breaks in one row: count the line breaks before
    // each record, less those inside earlier records.
    let bytes = text.as_bytes();
    let (mut scanned, mut breaks, mut embedded) = (0usize, 0u64, 0u64);
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        let mut start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(scanned)
            .max(scanned);
        while let Some(b'\r' | b'\n') = bytes.get(start) {
            start += 1;
        }
        breaks += line_breaks(bytes.get(scanned..start).unwrap_or_default());
        scanned = start;
        let number = u32::try_from(1 + breaks - embedded.min(breaks))
            .ok()
            .filter(|n| *n <= MAX_SHEET_ROWS)
            .ok_or(TableError::TooManyRows)?;
        embedded += record
            .iter()
            .map(|f| line_breaks(f.as_bytes()))
            .sum::<u64>();
        rows.push(SheetRow {
            number,
            cells: record.iter().take(MAX_COLUMNS).map(str::to_owned).collect(),
        });
    }
    Ok(rows)
}

fn line_breaks(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// A byte-order mark decides; without one, UTF-8 if it is valid, else GB18030.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, TableError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling_and_without_replacement(&bytes[bom..])
            .ok_or(TableError::Encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(TableError::Encoding)
}

/// Tab when the first line has more tabs than commas (text copied out of a form).
fn delimiter(text: &str) -> u8 {
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    if tabs > commas { b'\t' } else { b',' }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers_and_cells(rows: &[SheetRow]) -> Vec<(u32, Vec<&str>)> {
        rows.iter()
            .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn a_bom_is_dropped_and_rows_keep_their_sheet_numbers() {
        let text =
            "\u{feff}姓名,电话\n林一,13900000001\n\n\"曾\n二\",13900000002\n祝三,13900000003\n";
        let rows = read(text.as_bytes()).expect("reads");
        assert_eq!(
            numbers_and_cells(&rows),
            vec![
                (1, vec!["姓名", "电话"]),
                (2, vec!["林一", "13900000001"]),
                (4, vec!["曾\n二", "13900000002"]),
                (5, vec!["祝三", "13900000003"]),
            ]
        );
    }

    #[test]
    fn gb18030_and_utf16_text_is_decoded() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名,电话\n林一,13900000001\n");
        let rows = read(&gbk).expect("reads GB18030");
        assert_eq!(rows[1].cells, vec!["林一", "13900000001"]);

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "姓名\t电话\r\n林一\t13900000001\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let rows = read(&utf16).expect("reads UTF-16");
        assert_eq!(rows[1].cells, vec!["林一", "13900000001"]);
    }

    #[test]
    fn tab_separated_text_is_read_as_such() {
        let rows = read("牵头医院名称\t姓名\t电话\n光山县中医院\t林一\t13900000001\n".as_bytes())
            .expect("reads");
        assert_eq!(rows[1].cells, vec!["光山县中医院", "林一", "13900000001"]);
    }

    #[test]
    fn undecodable_bytes_are_refused() {
        assert_eq!(read(&[0xFF, 0xFF, 0x81]), Err(TableError::Encoding));
    }
}
