//! A table as CSV for spreadsheet users in China: UTF-8 with a byte-order mark (so
//! Excel reads the Chinese headers), CRLF line ends, one header row, then the data
//! rows, the totals row and any rows after it. A form with a header block (填报单位,
//! 填报人, ...) starts with its title on a line of its own and one `label,value`
//! line per entry, so the file can be filed as it is; header groups and the
//! subtitle live only in the XLSX form.
//!
//! Every report CSV goes through [`to_csv`], so this is the one place where text typed
//! by users (names of physicians, clinics, hospitals, counties) is kept from running
//! as a spreadsheet formula.

use std::borrow::Cow;

use super::{Cell, RenderError, Table, number_text};

/// The UTF-8 byte-order mark Excel needs to tell UTF-8 from the local code page.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// First characters that make Excel, WPS or LibreOffice read a cell as a formula
/// (`=`, `+`, `-`, `@`), or that can smuggle one past a leading-space trim (tab,
/// carriage return). OWASP's list for CSV injection.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text that a spreadsheet would run as a formula, such as a clinic named
/// `=HYPERLINK("http://…","点击")`, gets a leading `'` so it is shown as typed, as
/// OWASP recommends. Numbers never come here: a negative figure stays a number.
pub fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn text(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Text(s) => neutralised(s),
        Cell::Number(n) => Cow::Owned(number_text(*n)),
        Cell::Empty => Cow::Borrowed(""),
    }
}

/// Writes `table` as CSV bytes.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, RenderError> {
    let error = |e: csv::Error| RenderError::Csv(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(BOM.to_vec());
    if !table.preamble.is_empty() {
        writer
            .write_record([neutralised(&table.title).into_owned()])
            .map_err(error)?;
        for (label, value) in &table.preamble {
            writer
                .write_record([
                    neutralised(label).into_owned(),
                    neutralised(value).into_owned(),
                ])
                .map_err(error)?;
        }
    }
    writer
        .write_record(table.headers.iter().map(|h| neutralised(h).into_owned()))
        .map_err(error)?;
    for row in table.body() {
        writer
            .write_record(row.iter().map(|cell| text(cell).into_owned()))
            .map_err(error)?;
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
            preamble: Vec::new(),
            kinds: Vec::new(),
            trailer: Vec::new(),
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

    #[test]
    fn a_form_starts_with_its_title_and_header_block() {
        let table = sample().with_preamble(vec![
            ("填报单位".into(), "漳平市".into()),
            ("填报人".into(), "=HYPERLINK(1)".into()),
        ]);
        let bytes = to_csv(&table).unwrap();
        let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
        assert!(
            text.starts_with(
                "标题\r\n填报单位,漳平市\r\n填报人,'=HYPERLINK(1)\r\n姓名,备注,天数\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("合计,,3.5\r\n"));
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_gets_a_leading_quote() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "=cmd|' /C calc'!A0",
            "+SUM(1)",
            "-2+3",
            "@SUM(1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
        for plain in ["王医生", "", "1.5", "'=already quoted", " =1", "a=b"] {
            assert_eq!(neutralised(plain), plain);
        }
    }

    #[test]
    fn formula_text_is_neutralised_but_negative_numbers_stay_numbers() {
        let table = Table {
            title: "标题".into(),
            subtitle: "范围".into(),
            sheet_name: "表".into(),
            groups: Vec::new(),
            headers: vec!["姓名".into(), "差额".into()],
            rows: vec![
                vec![Cell::from("=1+1"), Cell::Number(-1.5)],
                vec![Cell::from("-2+3"), Cell::Number(2.0)],
            ],
            totals: None,
            preamble: Vec::new(),
            kinds: Vec::new(),
            trailer: Vec::new(),
        };
        let bytes = to_csv(&table).unwrap();
        let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
        assert_eq!(text, "姓名,差额\r\n'=1+1,-1.5\r\n'-2+3,2\r\n");
    }
}
