//! Reading an uploaded personnel table (CSV or XLSX) into rows of cell text. What the
//! cells mean is `domain::personnel`'s business.

mod csv_table;
mod xlsx_package;
mod xlsx_table;

use crate::domain::personnel::SheetRow;

/// The most sheet rows read (titles, header and blank rows included).
pub const MAX_SHEET_ROWS: u32 = 5000;
/// Cells right of this many columns are ignored: the table has seven.
pub const MAX_COLUMNS: usize = 64;

/// The two forms a personnel table arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

impl TableFormat {
    /// From a request's `Content-Type` (parameters such as `charset` are ignored: the
    /// encoding is recognised from the bytes).
    pub fn from_content_type(value: &str) -> Option<TableFormat> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("text/csv")
            || essence.eq_ignore_ascii_case("application/csv")
        {
            Some(TableFormat::Csv)
        } else if essence.eq_ignore_ascii_case(mobile_api::XLSX_CONTENT_TYPE) {
            Some(TableFormat::Xlsx)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is not text in UTF-8, UTF-16 (with BOM) or GB18030")]
    Encoding,
    #[error("not a readable CSV file: {0}")]
    Csv(String),
    #[error("not a readable XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the workbook has no worksheet")]
    NoSheet,
    #[error("more than {MAX_SHEET_ROWS} rows; split the table")]
    TooManyRows,
    #[error(
        "the workbook is too large to read: {0}; split the table, or save it again without unused rows and columns"
    )]
    OverLimit(WorkbookLimit),
}

/// A bound on the work and memory reading one XLSX upload may take, checked before the
/// work is done (see `xlsx_package` and `xlsx_table`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkbookLimit {
    #[error("more than {max} parts in the package")]
    Parts { max: usize },
    #[error("its parts unpack to more than {max_mib} MiB")]
    Unpacked { max_mib: u64 },
    #[error("more than {max} shared strings")]
    SharedStrings { max: u64 },
    #[error(
        "the sheet declares {rows} rows by {columns} columns; at most {max_rows} rows by {max_columns} columns are read"
    )]
    Dimension {
        rows: u64,
        columns: u64,
        max_rows: u32,
        max_columns: u32,
    },
    #[error("more than {max} cells in the sheet")]
    Cells { max: u32 },
}

/// The rows of the table (of an XLSX workbook, its first worksheet), numbered as a
/// spreadsheet shows them. Rows with no text may be left out.
pub fn read_table(bytes: &[u8], format: TableFormat) -> Result<Vec<SheetRow>, TableError> {
    match format {
        TableFormat::Csv => csv_table::read(bytes),
        TableFormat::Xlsx => xlsx_table::read(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_content_type() {
        assert_eq!(
            TableFormat::from_content_type("text/csv; charset=utf-8"),
            Some(TableFormat::Csv)
        );
        assert_eq!(
            TableFormat::from_content_type(mobile_api::XLSX_CONTENT_TYPE),
            Some(TableFormat::Xlsx)
        );
        assert_eq!(TableFormat::from_content_type("application/json"), None);
    }
}
