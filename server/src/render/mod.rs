//! Report tables and their spreadsheet renderings: a report describes its columns
//! once as a [`Table`], and [`csv`] and [`xlsx`] write that same table.

pub mod csv;
pub mod inspection_tables;
pub mod promotion_form;
pub mod promotion_tables;
pub mod survey_tables;
pub mod tables;
pub mod xlsx;

/// One cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// Unknown or not applicable: an empty cell.
    Empty,
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_owned())
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Number(value)
    }
}

impl From<u32> for Cell {
    fn from(value: u32) -> Self {
        Cell::Number(f64::from(value))
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        // Report figures are counts far below 2^53, where the conversion is exact.
        Cell::Number(value as f64)
    }
}

impl From<u64> for Cell {
    fn from(value: u64) -> Self {
        Cell::Number(value as f64)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// A header over several adjacent columns (the county table's three groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderGroup {
    pub label: String,
    /// First and last column index covered, inclusive.
    pub first: usize,
    pub last: usize,
}

/// How one column is headed and filled from a report row.
pub struct Column<R> {
    pub header: String,
    cell: Box<dyn Fn(&R) -> Cell + Send + Sync>,
}

impl<R> Column<R> {
    pub fn new(
        header: impl Into<String>,
        cell: impl Fn(&R) -> Cell + Send + Sync + 'static,
    ) -> Self {
        Column {
            header: header.into(),
            cell: Box::new(cell),
        }
    }
}

/// What a row of a table is, for its styling and the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowKind {
    /// A row of the report; only these are added up in the totals.
    #[default]
    Data,
    /// 小计 of the rows above it, or of a group listed after the totals.
    Subtotal,
    /// A detail line under a data row (a week of a requirement).
    Detail,
    /// A caption introducing the rows after it (`按受援单位小计`).
    Caption,
    /// The totals row (合计).
    Total,
}

/// A titled table with one header row (and optionally a row of groups above it).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The form's title, e.g. `对口支援工作量月报表`.
    pub title: String,
    /// What the table covers, e.g. `统计范围：漳平市　月份：2026-03`.
    pub subtitle: String,
    /// The worksheet's name (at most 31 characters).
    pub sheet_name: String,
    pub groups: Vec<HeaderGroup>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// A last row of column sums (合计), when the form has one.
    pub totals: Option<Vec<Cell>>,
    /// The form's header block (填报单位, 填报人, 联系电话, ...): label and value,
    /// one line each between the title and the table, in CSV too.
    pub preamble: Vec<(String, String)>,
    /// The kind of each of `rows` (missing ones are data rows).
    pub kinds: Vec<RowKind>,
    /// Rows after the totals (subtotals by another grouping), with their kinds.
    pub trailer: Vec<(RowKind, Vec<Cell>)>,
}

impl Table {
    /// A table whose rows are `items` as `columns` describe them.
    pub fn from_columns<R>(
        title: impl Into<String>,
        subtitle: impl Into<String>,
        sheet_name: impl Into<String>,
        columns: &[Column<R>],
        items: &[R],
    ) -> Table {
        Table {
            title: title.into(),
            subtitle: subtitle.into(),
            sheet_name: sheet_name.into(),
            groups: Vec::new(),
            headers: columns.iter().map(|c| c.header.clone()).collect(),
            rows: items
                .iter()
                .map(|item| columns.iter().map(|c| (c.cell)(item)).collect())
                .collect(),
            totals: None,
            preamble: Vec::new(),
            kinds: Vec::new(),
            trailer: Vec::new(),
        }
    }

    /// A table of rows of several kinds (data rows, subtotals, details).
    pub fn from_rows(
        title: impl Into<String>,
        subtitle: impl Into<String>,
        sheet_name: impl Into<String>,
        headers: Vec<String>,
        rows: Vec<(RowKind, Vec<Cell>)>,
    ) -> Table {
        let (kinds, rows) = rows.into_iter().unzip();
        Table {
            title: title.into(),
            subtitle: subtitle.into(),
            sheet_name: sheet_name.into(),
            groups: Vec::new(),
            headers,
            rows,
            totals: None,
            preamble: Vec::new(),
            kinds,
            trailer: Vec::new(),
        }
    }

    pub fn with_preamble(mut self, preamble: Vec<(String, String)>) -> Table {
        self.preamble = preamble;
        self
    }

    pub fn with_trailer(mut self, trailer: Vec<(RowKind, Vec<Cell>)>) -> Table {
        self.trailer = trailer;
        self
    }

    /// The kind of row `index` of `rows`.
    pub fn kind(&self, index: usize) -> RowKind {
        self.kinds.get(index).copied().unwrap_or_default()
    }

    pub fn with_groups(mut self, groups: Vec<HeaderGroup>) -> Table {
        self.groups = groups;
        self
    }

    /// Adds a totals row: `label` in the first column, then each column's sum when
    /// it holds numbers (empty cells skipped; a column of only empty cells stays
    /// empty), and nothing under text columns.
    pub fn with_totals(mut self, label: &str) -> Table {
        let totals = (0..self.headers.len())
            .map(|column| {
                if column == 0 {
                    return Cell::from(label);
                }
                let mut sum: Option<f64> = None;
                let data = self
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| self.kind(*index) == RowKind::Data);
                for (_, row) in data {
                    match row.get(column) {
                        Some(Cell::Number(n)) => sum = Some(sum.unwrap_or(0.0) + n),
                        Some(Cell::Text(_)) => return Cell::Empty,
                        _ => {}
                    }
                }
                sum.map_or(Cell::Empty, Cell::Number)
            })
            .collect();
        self.totals = Some(totals);
        self
    }

    /// The rows, the totals row (if any) and the trailer, in order.
    pub fn body(&self) -> impl Iterator<Item = &Vec<Cell>> {
        self.body_with_kinds().map(|(_, row)| row)
    }

    /// [`Table::body`] with each row's kind.
    pub fn body_with_kinds(&self) -> impl Iterator<Item = (RowKind, &Vec<Cell>)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(index, row)| (self.kind(index), row))
            .chain(self.totals.iter().map(|row| (RowKind::Total, row)))
            .chain(self.trailer.iter().map(|(kind, row)| (*kind, row)))
    }
}

/// Writing a table failed (a bug or a limit of the format, never the client's fault).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("csv: {0}")]
    Csv(String),
    #[error("xlsx: {0}")]
    Xlsx(String),
}

/// A number as text: whole numbers without a fraction (`1`, not `1.0`).
pub fn number_text(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        name: &'static str,
        days: f64,
        facts: Option<u32>,
    }

    fn table() -> Table {
        let columns = vec![
            Column::new("姓名", |r: &Row| Cell::from(r.name)),
            Column::new("天数", |r: &Row| Cell::from(r.days)),
            Column::new("车辆(辆)", |r: &Row| Cell::from(r.facts)),
        ];
        let rows = [
            Row {
                name: "甲",
                days: 1.5,
                facts: None,
            },
            Row {
                name: "乙",
                days: 2.0,
                facts: Some(3),
            },
        ];
        Table::from_columns("标题", "范围", "表", &columns, &rows)
    }

    #[test]
    fn columns_are_described_once_and_fill_every_row() {
        let t = table();
        assert_eq!(t.headers, ["姓名", "天数", "车辆(辆)"]);
        assert_eq!(
            t.rows[1],
            vec![Cell::from("乙"), Cell::Number(2.0), Cell::Number(3.0)]
        );
        assert_eq!(t.rows[0][2], Cell::Empty);
    }

    #[test]
    fn totals_sum_numbers_and_skip_empty_cells() {
        let t = table().with_totals("合计");
        assert_eq!(
            t.totals,
            Some(vec![
                Cell::from("合计"),
                Cell::Number(3.5),
                Cell::Number(3.0)
            ])
        );
        assert_eq!(t.body().count(), 3);
        let empty = Table {
            rows: vec![vec![Cell::from("甲"), Cell::Number(1.0), Cell::Empty]],
            ..table()
        }
        .with_totals("合计");
        assert_eq!(empty.totals.unwrap()[2], Cell::Empty);
    }

    #[test]
    fn totals_add_only_data_rows_and_the_trailer_follows_them() {
        let rows = vec![
            (RowKind::Data, vec![Cell::Number(1.0), Cell::Number(2.0)]),
            (RowKind::Detail, vec![Cell::Empty, Cell::Number(5.0)]),
            (RowKind::Data, vec![Cell::Number(2.0), Cell::Number(3.0)]),
            (
                RowKind::Subtotal,
                vec![Cell::from("小计"), Cell::Number(5.0)],
            ),
        ];
        let t = Table::from_rows(
            "标题",
            "范围",
            "表",
            vec!["序号".into(), "天数".into()],
            rows,
        )
        .with_totals("合计")
        .with_trailer(vec![(RowKind::Caption, vec![Cell::from("按单位")])]);
        assert_eq!(t.totals, Some(vec![Cell::from("合计"), Cell::Number(5.0)]));
        let kinds: Vec<RowKind> = t.body_with_kinds().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            [
                RowKind::Data,
                RowKind::Detail,
                RowKind::Data,
                RowKind::Subtotal,
                RowKind::Total,
                RowKind::Caption
            ]
        );
    }

    #[test]
    fn whole_numbers_print_without_a_fraction() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(0.0), "0");
    }
}
