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

/// Bytes a piece of a streamed CSV holds before it is handed on.
const PIECE: usize = 64 * 1024;

/// Writes `table` as CSV bytes.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, RenderError> {
    let mut bytes = head(table)?;
    let mut next = 0;
    while let Some(piece) = rows(table, &mut next)? {
        bytes.extend_from_slice(&piece);
    }
    Ok(bytes)
}

/// `table` as CSV in pieces of about 64 KiB, in order: the byte-order mark, the
/// title, header block and header row first, then the rows as they are written, so
/// a download never holds a second, whole copy of the table as text. The pieces
/// joined are [`to_csv`]'s bytes.
pub fn pieces(table: Table) -> Result<Pieces, RenderError> {
    let head = head(&table)?;
    Ok(Pieces {
        table,
        head: Some(head),
        next: 0,
    })
}

/// The pieces of one table's CSV (see [`pieces`]).
pub struct Pieces {
    table: Table,
    head: Option<Vec<u8>>,
    /// The next body row to write.
    next: usize,
}

impl Iterator for Pieces {
    type Item = Result<Vec<u8>, RenderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(head) = self.head.take() {
            return Some(Ok(head));
        }
        rows(&self.table, &mut self.next).transpose()
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, RenderError> {
    writer
        .into_inner()
        .map_err(|e| RenderError::Csv(e.to_string()))
}

fn error(e: csv::Error) -> RenderError {
    RenderError::Csv(e.to_string())
}

/// The byte-order mark, the title and header block of a form, and the header row.
fn head(table: &Table) -> Result<Vec<u8>, RenderError> {
    let mut writer = writer();
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
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(&finish(writer)?);
    Ok(bytes)
}

/// The body rows from `*next` on, up to about [`PIECE`] bytes; `None` past the last.
fn rows(table: &Table, next: &mut usize) -> Result<Option<Vec<u8>>, RenderError> {
    let mut writer = writer();
    let mut written = false;
    while let Some(row) = body_row(table, *next) {
        writer
            .write_record(row.iter().map(|cell| text(cell).into_owned()))
            .map_err(error)?;
        *next += 1;
        written = true;
        if writer.get_ref().len() >= PIECE {
            break;
        }
    }
    if !written {
        return Ok(None);
    }
    finish(writer).map(Some)
}

/// The `index`th row of [`Table::body`].
fn body_row(table: &Table, index: usize) -> Option<&[Cell]> {
    let data = table.rows.len();
    let totals = usize::from(table.totals.is_some());
    if index < data {
        table.rows.get(index).map(Vec::as_slice)
    } else if index < data + totals {
        table.totals.as_deref()
    } else {
        table
            .trailer
            .get(index - data - totals)
            .map(|(_, row)| row.as_slice())
    }
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
    fn a_large_table_streams_in_pieces_that_read_back_to_every_row_and_the_totals() {
        let rows: Vec<Vec<Cell>> = (0..20_000)
            .map(|i| {
                vec![
                    Cell::from(format!("医生{i}, 乡镇卫生院")),
                    Cell::Empty,
                    Cell::Number(f64::from(i % 7) + 0.5),
                ]
            })
            .collect();
        let table = Table { rows, ..sample() }
            .with_totals("合计")
            .with_preamble(vec![("填报单位".into(), "海岚省".into())]);
        let whole = to_csv(&table).unwrap();
        let pieces: Vec<Vec<u8>> = pieces(table).unwrap().map(Result::unwrap).collect();
        assert!(pieces.len() > 10, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|p| p.len() <= 2 * PIECE));
        assert_eq!(pieces.concat(), whole);

        let text = std::str::from_utf8(&whole[BOM.len()..]).unwrap();
        assert!(text.starts_with("标题\r\n填报单位,海岚省\r\n姓名,备注,天数\r\n"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        // Title, header block, header, 20,000 rows, 合计.
        assert_eq!(records.len(), 3 + 20_000 + 1);
        let data = &records[3..3 + 20_000];
        for (i, record) in data.iter().enumerate() {
            assert_eq!(&record[0], format!("医生{i}, 乡镇卫生院"));
        }
        let sum: f64 = data.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
        let totals = &records[records.len() - 1];
        assert_eq!(&totals[0], "合计");
        assert_eq!(totals[2].parse::<f64>().unwrap(), sum);
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
