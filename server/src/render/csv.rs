//! A table as CSV for spreadsheet users in China: UTF-8 with a byte-order mark (so
//! Excel reads the Chinese headers), CRLF line ends, one header row, then the data
//! rows and the totals row. Titles and header groups live only in the XLSX form.

use super::{Cell, RenderError, Table, number_text};

/// The UTF-8 byte-order mark Excel needs to tell UTF-8 from the local code page.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Number(n) => number_text(*n),
        Cell::Empty => String::new(),
    }
}

/// Writes `table` as CSV bytes.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, RenderError> {
    let error = |e: csv::Error| RenderError::Csv(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(&table.headers).map_err(error)?;
    for row in table.body() {
        writer.write_record(row.iter().map(text)).map_err(error)?;
    }
    writer
        .into_inner()
        .map_err(|e| RenderError::Csv(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            title: "标题".into(),
            subtitle: "范围".into(),
            sheet_name: "表".into(),
            groups: Vec::new(),
            headers: vec!["姓名".into(), "备注".into(), "天数".into()],
            rows: vec![
                vec![
                    Cell::from("王, 医生"),
                    Cell::from("说\"好\""),
                    Cell::Number(1.5),
                ],
                vec![Cell::from("李"), Cell::Empty, Cell::Number(2.0)],
            ],
            totals: None,
        }
        .with_totals("合计")
    }

    #[test]
    fn csv_starts_with_a_bom_and_ends_lines_with_crlf() {
        let bytes = to_csv(&sample()).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
        assert_eq!(
            text,
            "姓名,备注,天数\r\n\"王, 医生\",\"说\"\"好\"\"\",1.5\r\n李,,2\r\n合计,,3.5\r\n"
        );
    }

    #[test]
    fn csv_reads_back_to_the_same_cells() {
        let bytes = to_csv(&sample()).unwrap();
        let mut reader = csv::Reader::from_reader(&bytes[BOM.len()..]);
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, ["姓名", "备注", "天数"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "王, 医生");
        assert_eq!(&rows[0][1], "说\"好\"");
        assert_eq!(rows.len(), 3);
    }
}
