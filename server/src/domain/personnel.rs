//! The personnel table (支援人员安排情况表): which column is which, cells carried down
//! from merged blocks, the checks every row passes, and how its names resolve to
//! hospitals, sites and physicians. No I/O: the rows come in as text.
//!
//! The real tables (seed 000 附件1, seed 004 附件1/2) are forms turned into
//! spreadsheets, so:
//! - a title line (e.g. `光山县人民医院下派乡镇卫生院名单`) may sit above the header,
//!   which is therefore looked for in the first [`HEADER_SEARCH_ROWS`] rows;
//! - the supporting hospital and the receiving site are often written once for a block
//!   of rows (a merged cell, which reads as blanks below its first row): **a blank
//!   hospital or site cell repeats the value of the row above**. Nothing else is carried
//!   down; a blank name or phone is an error.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::assignment::{AssignmentError, Mode, check_dates};
use super::eligibility::{Discipline, parse_discipline};
use super::organization::parse_name;
use super::user::{Gender, Phone, Role, User};
use super::window::{DailyWindow, WindowError};

/// How many rows from the top may hold titles before the header.
pub const HEADER_SEARCH_ROWS: usize = 10;
/// The most personnel rows one import takes.
pub const MAX_PERSONNEL_ROWS: usize = 2000;
/// The daily window when the request names none: a clinic's usual working day.
pub const DEFAULT_WINDOW_START: &str = "08:00";
pub const DEFAULT_WINDOW_END: &str = "17:30";
/// Title and specialty are free text of at most this many characters (as for users).
const MAX_FREE_TEXT_CHARS: usize = 100;

/// One row of the sheet as read: the row number the spreadsheet shows (1-based) and
/// the text of its cells, left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub number: u32,
    pub cells: Vec<String>,
}

impl SheetRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// The columns of the personnel table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 支援医院 / 牵头医院名称 / 派出医院
    Hospital,
    /// 姓名
    Name,
    /// 性别
    Gender,
    /// 专业 / 科室
    Specialty,
    /// 职称
    Title,
    /// 电话 / 联系电话 / 手机
    Phone,
    /// 受援单位 / 拟下派乡镇卫生院 / 派驻单位
    Site,
    /// 从业年份 / 参加工作年份 (optional; years of service count from it)
    PracticeSince,
    /// 类别 / 执业类别 (optional: 临床、中医、护理、公共卫生、药学、医技)
    Discipline,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::Hospital,
        Column::Name,
        Column::Gender,
        Column::Specialty,
        Column::Title,
        Column::Phone,
        Column::Site,
        Column::PracticeSince,
        Column::Discipline,
    ];

    /// The stable name used in error reports.
    pub fn key(self) -> &'static str {
        match self {
            Column::Hospital => "hospital",
            Column::Name => "name",
            Column::Gender => "gender",
            Column::Specialty => "specialty",
            Column::Title => "title",
            Column::Phone => "phone",
            Column::Site => "site",
            Column::PracticeSince => "practice_since_year",
            Column::Discipline => "discipline",
        }
    }

    /// The header the forms print.
    pub fn label(self) -> &'static str {
        self.synonyms()[0]
    }

    /// Accepted headers, already in [`normalise_header`] form; the first is the label.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Column::Hospital => &[
                "支援医院",
                "牵头医院名称",
                "牵头医院",
                "派出医院",
                "派出单位",
                "支援单位",
                "支援医院名称",
                "医院名称",
                "工作单位",
                "hospital",
                "supportinghospital",
            ],
            Column::Name => &["姓名", "医师姓名", "人员姓名", "name"],
            Column::Gender => &["性别", "gender", "sex"],
            Column::Specialty => &[
                "专业",
                "科室",
                "专业/科室",
                "专业科室",
                "所在科室",
                "specialty",
                "speciality",
                "department",
            ],
            Column::Title => &["职称", "技术职称", "专业技术职称", "title"],
            Column::Phone => &[
                "电话",
                "联系电话",
                "手机",
                "手机号",
                "手机号码",
                "电话号码",
                "联系方式",
                "phone",
                "mobile",
                "telephone",
            ],
            Column::Site => &[
                "受援单位",
                "拟下派乡镇卫生院",
                "下派乡镇卫生院",
                "派驻单位",
                "受援单位名称",
                "受援机构",
                "下派单位",
                "拟下派单位",
                "派驻乡镇卫生院",
                "site",
                "receivingsite",
                "receivingunit",
            ],
            Column::PracticeSince => &[
                "从业年份",
                "从业起始年份",
                "参加工作年份",
                "参加工作时间",
                "practicesinceyear",
            ],
            Column::Discipline => &["类别", "执业类别", "人员类别", "discipline"],
        }
    }

    /// The four columns without which a row cannot become an assignment.
    pub fn is_required(self) -> bool {
        matches!(
            self,
            Column::Hospital | Column::Name | Column::Phone | Column::Site
        )
    }

    /// Columns whose blank cells repeat the row above (merged cells in the forms).
    fn carries_down(self) -> bool {
        matches!(self, Column::Hospital | Column::Site)
    }

    /// Which column a header cell names, if any.
    pub fn recognise(header: &str) -> Option<Column> {
        let wanted = normalise_header(header);
        if wanted.is_empty() {
            return None;
        }
        Column::ALL
            .into_iter()
            .find(|column| column.synonyms().contains(&wanted.as_str()))
    }
}

/// Header text without spaces, `*` required-markers, a trailing colon or a
/// parenthesised note (`联系电话（手机）`), in lower case.
fn normalise_header(text: &str) -> String {
    let text = text
        .split(['(', '（'])
        .next()
        .unwrap_or_default()
        .trim_end_matches([':', '：']);
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What is wrong with one cell, as the user will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub row: u32,
    pub column: Column,
    pub reason: String,
    /// The same reason as the clerk reads it on the Chinese console.
    pub reason_zh: String,
}

impl RowIssue {
    fn new(
        row: u32,
        column: Column,
        reason: impl Into<String>,
        reason_zh: impl Into<String>,
    ) -> RowIssue {
        RowIssue {
            row,
            column,
            reason: reason.into(),
            reason_zh: reason_zh.into(),
        }
    }
}

/// The header row and the position of each column it names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    /// Index into the sheet's rows.
    index: usize,
    positions: HashMap<Column, usize>,
    /// Required columns named twice in this row.
    repeated: Vec<Column>,
}

impl Header {
    fn read(index: usize, row: &SheetRow) -> Header {
        let mut positions = HashMap::new();
        let mut repeated = Vec::new();
        for (position, cell) in row.cells.iter().enumerate() {
            let Some(column) = Column::recognise(cell) else {
                continue;
            };
            match positions.entry(column) {
                Entry::Vacant(entry) => {
                    entry.insert(position);
                }
                // Two phone columns (landline and mobile?): which one is meant is a
                // guess. A second optional column (专业 and 科室) is just ignored.
                Entry::Occupied(_) if column.is_required() && !repeated.contains(&column) => {
                    repeated.push(column);
                }
                Entry::Occupied(_) => {}
            }
        }
        Header {
            index,
            positions,
            repeated,
        }
    }

    fn missing(&self) -> Vec<Column> {
        Column::ALL
            .into_iter()
            .filter(|c| c.is_required() && !self.positions.contains_key(c))
            .collect()
    }
}

/// The first of the top rows that names every required column; otherwise the issues
/// against the most promising row.
fn locate_header(rows: &[SheetRow]) -> Result<Header, Vec<RowIssue>> {
    let candidates: Vec<Header> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| !row.is_blank())
        .take(HEADER_SEARCH_ROWS)
        .map(|(index, row)| Header::read(index, row))
        .collect();
    let header_row = |h: &Header| rows.get(h.index).map_or(1, |r| r.number);
    if let Some(header) = candidates.iter().find(|h| h.missing().is_empty()) {
        if header.repeated.is_empty() {
            return Ok(header.clone());
        }
        let row = header_row(header);
        return Err(header
            .repeated
            .iter()
            .map(|&c| {
                RowIssue::new(
                    row,
                    c,
                    "this column appears more than once in the header",
                    format!("表头中“{}”列出现了不止一次", c.label()),
                )
            })
            .collect());
    }
    let best = candidates
        .iter()
        .rev()
        .max_by_key(|h| h.positions.len())
        .filter(|h| !h.positions.is_empty());
    let row = best.map_or_else(
        || rows.iter().find(|r| !r.is_blank()).map_or(1, |r| r.number),
        header_row,
    );
    let missing = best.map_or_else(
        || {
            Column::ALL
                .into_iter()
                .filter(|c| c.is_required())
                .collect()
        },
        Header::missing,
    );
    Err(missing
        .into_iter()
        .map(|c| {
            RowIssue::new(
                row,
                c,
                format!(
                    "required column missing from the header: {} ({})",
                    c.label(),
                    c.synonyms().join(" / ")
                ),
                format!(
                    "表头缺少必填列“{}”（可写作：{}）",
                    c.label(),
                    c.synonyms().join(" / ")
                ),
            )
        })
        .collect())
}

/// One personnel row that passed its own checks.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonnelRow {
    pub row: u32,
    pub hospital: String,
    pub name: String,
    pub gender: Option<Gender>,
    pub specialty: Option<String>,
    pub title: Option<String>,
    pub phone: Phone,
    pub site: String,
    pub practice_since_year: Option<i32>,
    pub discipline: Option<Discipline>,
}

/// The rows that read well and the issues of those that did not. Callers write
/// nothing unless `issues` is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedTable {
    pub rows: Vec<PersonnelRow>,
    pub issues: Vec<RowIssue>,
}

/// Reads the personnel rows below the header, carrying blank hospital and site cells
/// down, and checks each row and the rows against each other.
pub fn read_personnel(sheet: &[SheetRow]) -> ParsedTable {
    let header = match locate_header(sheet) {
        Ok(header) => header,
        Err(issues) => {
            return ParsedTable {
                rows: Vec::new(),
                issues,
            };
        }
    };
    let mut table = ParsedTable::default();
    let mut above: HashMap<Column, String> = HashMap::new();
    let below = sheet.get(header.index + 1..).unwrap_or_default();
    let data = below.iter().filter(|r| !r.is_blank());
    for (count, row) in data.enumerate() {
        if count == MAX_PERSONNEL_ROWS {
            table.issues.push(RowIssue::new(
                row.number,
                Column::Name,
                format!("more than {MAX_PERSONNEL_ROWS} rows; split the table"),
                format!("超过{MAX_PERSONNEL_ROWS}行，请拆分后分批导入"),
            ));
            break;
        }
        let mut cell = |column: Column| -> String {
            let text = header
                .positions
                .get(&column)
                .and_then(|&p| row.cells.get(p))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default();
            if !column.carries_down() {
                return text;
            }
            if text.is_empty() {
                return above.get(&column).cloned().unwrap_or_default();
            }
            above.insert(column, text.clone());
            text
        };
        let cells: HashMap<Column, String> =
            Column::ALL.into_iter().map(|c| (c, cell(c))).collect();
        match check_row(row.number, &cells) {
            Ok(person) => table.rows.push(person),
            Err(mut issues) => table.issues.append(&mut issues),
        }
    }
    table.issues.extend(cross_check(&table.rows));
    table.issues.sort_by_key(|i| (i.row, i.column));
    table
}

fn check_row(row: u32, cells: &HashMap<Column, String>) -> Result<PersonnelRow, Vec<RowIssue>> {
    let text = |c: Column| cells.get(&c).map(String::as_str).unwrap_or_default();
    let mut issues = Vec::new();
    let mut required = |column: Column| -> Option<String> {
        let value = text(column);
        if value.is_empty() {
            let (reason, reason_zh) = if column.carries_down() {
                (
                    "blank, and no row above to repeat",
                    "为空，且上方没有可沿用的单元格（合并单元格请在首行填写）",
                )
            } else {
                ("required", "必填，不能为空")
            };
            issues.push(RowIssue::new(row, column, reason, reason_zh));
            return None;
        }
        match parse_name(value) {
            Ok(name) => Some(name),
            Err(_) => {
                issues.push(RowIssue::new(
                    row,
                    column,
                    "must be 1 to 200 characters",
                    "长度应为1至200个字符",
                ));
                None
            }
        }
    };
    let hospital = required(Column::Hospital);
    let name = required(Column::Name);
    let site = required(Column::Site);
    let phone = match text(Column::Phone) {
        "" => {
            issues.push(RowIssue::new(
                row,
                Column::Phone,
                "required",
                "必填，不能为空",
            ));
            None
        }
        raw => match Phone::parse(&ascii_digits(raw)) {
            Ok(phone) => Some(phone),
            Err(_) => {
                issues.push(RowIssue::new(
                    row,
                    Column::Phone,
                    format!("{raw:?} is not an 11-digit mainland mobile number"),
                    format!("“{raw}”不是11位的大陆手机号码"),
                ));
                None
            }
        },
    };
    let gender = match parse_gender(text(Column::Gender)) {
        Ok(gender) => gender,
        Err(raw) => {
            issues.push(RowIssue::new(
                row,
                Column::Gender,
                format!("{raw:?} is neither 男 nor 女"),
                format!("“{raw}”应填写“男”或“女”"),
            ));
            None
        }
    };
    let mut free_text = |column: Column| -> Option<String> {
        let value = text(column);
        if value.chars().count() > MAX_FREE_TEXT_CHARS {
            issues.push(RowIssue::new(
                row,
                column,
                format!("at most {MAX_FREE_TEXT_CHARS} characters"),
                format!("不能超过{MAX_FREE_TEXT_CHARS}个字符"),
            ));
        }
        Some(value.to_owned()).filter(|v| !v.is_empty())
    };
    let specialty = free_text(Column::Specialty);
    let title = free_text(Column::Title);
    let practice_since_year = match text(Column::PracticeSince) {
        "" => None,
        raw => {
            let digits = ascii_digits(raw);
            let year = digits
                .trim_end_matches('年')
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok());
            match year.filter(|y| (1950..=2100).contains(y)) {
                Some(year) => Some(year),
                None => {
                    issues.push(RowIssue::new(
                        row,
                        Column::PracticeSince,
                        format!("{raw:?} is not a year"),
                        format!("“{raw}”不是年份（如2012）"),
                    ));
                    None
                }
            }
        }
    };
    let discipline = match text(Column::Discipline) {
        "" => None,
        raw => match parse_discipline(raw) {
            Some(d) => Some(d),
            None => {
                issues.push(RowIssue::new(
                    row,
                    Column::Discipline,
                    format!("{raw:?} is not a known discipline"),
                    format!("“{raw}”应为临床、中医、护理、公共卫生、药学或医技"),
                ));
                None
            }
        },
    };
    match (hospital, name, phone, site) {
        (Some(hospital), Some(name), Some(phone), Some(site)) if issues.is_empty() => {
            Ok(PersonnelRow {
                row,
                hospital,
                name,
                gender,
                specialty,
                title,
                phone,
                site,
                practice_since_year,
                discipline,
            })
        }
        _ => Err(issues),
    }
}

/// Full-width digits (as typed with a Chinese input method) to ASCII.
fn ascii_digits(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            '＋' => '+',
            other => other,
        })
        .collect()
}

/// 男 / 女 (or `male` / `female`, `m` / `f`); blank is unknown.
pub fn parse_gender(raw: &str) -> Result<Option<Gender>, String> {
    match raw.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "男" | "男性" | "m" | "male" => Ok(Some(Gender::Male)),
        "女" | "女性" | "f" | "female" => Ok(Some(Gender::Female)),
        _ => Err(raw.trim().to_owned()),
    }
}

/// Names compare without spaces (scanned forms are full of stray ones).
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// One phone is one person: the same name and hospital on every row that gives it.
fn cross_check(rows: &[PersonnelRow]) -> Vec<RowIssue> {
    let mut issues = Vec::new();
    let mut first: HashMap<&str, &PersonnelRow> = HashMap::new();
    for row in rows {
        let Some(earlier) = first.get(row.phone.as_str()).copied() else {
            first.insert(row.phone.as_str(), row);
            continue;
        };
        if squeeze(&earlier.name) != squeeze(&row.name) {
            issues.push(RowIssue::new(
                row.row,
                Column::Phone,
                format!(
                    "row {} gives this phone to {}, not {}",
                    earlier.row, earlier.name, row.name
                ),
                format!(
                    "第{}行已将此手机号填给{}，与本行的{}不符",
                    earlier.row, earlier.name, row.name
                ),
            ));
        } else if squeeze(&earlier.hospital) != squeeze(&row.hospital) {
            issues.push(RowIssue::new(
                row.row,
                Column::Hospital,
                format!(
                    "row {} places this physician at {}",
                    earlier.row, earlier.hospital
                ),
                format!(
                    "第{}行填写此人属于{}，与本行不符",
                    earlier.row, earlier.hospital
                ),
            ));
        }
    }
    issues
}

/// Program, mode, dates and window: what the request says for every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportTerms {
    pub program_id: Uuid,
    pub mode: Mode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window: DailyWindow,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error(transparent)]
    Dates(#[from] AssignmentError),
    #[error(transparent)]
    Window(#[from] WindowError),
}

impl ImportTerms {
    /// Checks dates and window as a single assignment would; an absent window end
    /// defaults to [`DEFAULT_WINDOW_START`]..[`DEFAULT_WINDOW_END`].
    pub fn new(
        program_id: Uuid,
        mode: Mode,
        start_date: NaiveDate,
        end_date: NaiveDate,
        window_start: Option<&str>,
        window_end: Option<&str>,
    ) -> Result<ImportTerms, TermsError> {
        check_dates(start_date, end_date)?;
        let window = DailyWindow::parse(
            window_start.unwrap_or(DEFAULT_WINDOW_START),
            window_end.unwrap_or(DEFAULT_WINDOW_END),
        )?;
        Ok(ImportTerms {
            program_id,
            mode,
            start_date,
            end_date,
            window,
        })
    }

    /// The identity of an import: the same file under the same terms is the same
    /// import, whatever it is called. Hex SHA-256.
    pub fn digest(&self, table: &[u8]) -> String {
        let mode = match self.mode {
            Mode::Circuit => "circuit",
            Mode::Dispatch => "dispatch",
        };
        let terms = format!(
            "xiaxiang-personnel-import/1\n{}\n{mode}\n{}\n{}\n{}\n",
            self.program_id, self.start_date, self.end_date, self.window
        );
        let mut hasher = Sha256::new();
        hasher.update(terms.as_bytes());
        hasher.update(table);
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// An organization a cell may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedOrg {
    pub id: Uuid,
    pub name: String,
}

/// How a cell's text matched a list of organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Found(Uuid),
    Unknown,
    /// The names it could mean (at most five).
    Ambiguous(Vec<String>),
}

/// The organization whose name is the cell's text; failing that, the only one whose
/// name contains it (so `泼河` finds `泼河镇卫生院`).
pub fn match_name(cell: &str, candidates: &[NamedOrg]) -> NameMatch {
    let wanted = squeeze(cell);
    if wanted.is_empty() {
        return NameMatch::Unknown;
    }
    let exact: Vec<&NamedOrg> = candidates
        .iter()
        .filter(|c| squeeze(&c.name) == wanted)
        .collect();
    let found = if exact.is_empty() {
        candidates
            .iter()
            .filter(|c| squeeze(&c.name).contains(&wanted))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [] => NameMatch::Unknown,
        [only] => NameMatch::Found(only.id),
        several => {
            let mut names: Vec<String> = several.iter().map(|c| c.name.clone()).collect();
            names.sort();
            names.dedup();
            names.truncate(5);
            NameMatch::Ambiguous(names)
        }
    }
}

/// A physician the import must create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhysician {
    /// The first row that names them.
    pub row: u32,
    pub name: String,
    pub phone: Phone,
    pub gender: Option<Gender>,
    pub title: Option<String>,
    pub specialty: Option<String>,
    pub hospital_id: Uuid,
    pub practice_since_year: Option<i32>,
    pub discipline: Option<Discipline>,
}

/// One row resolved: who (by phone) serves where.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRow {
    pub row: u32,
    pub phone: Phone,
    pub site_id: Uuid,
}

/// What an accepted table will write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    pub rows: Vec<PlannedRow>,
    /// Physicians who already have an account, by phone.
    pub existing: HashMap<String, Uuid>,
    pub new_physicians: Vec<NewPhysician>,
}

/// What the rows are resolved against.
pub struct Directory<'a> {
    /// Receiving sites in the program's jurisdiction.
    pub sites: &'a [NamedOrg],
    pub hospitals: &'a [NamedOrg],
    /// Accounts that already hold a phone of the table.
    pub users: &'a [User],
    /// A hospital administrator's hospital: rows of other hospitals are refused.
    pub own_hospital: Option<Uuid>,
}

/// What a name cell should match, in both languages.
struct Wanted {
    en: &'static str,
    zh: &'static str,
}

const HOSPITAL: Wanted = Wanted {
    en: "hospital",
    zh: "医院",
};
const RECEIVING_SITE: Wanted = Wanted {
    en: "receiving site in the program's jurisdiction",
    zh: "本方案辖区内的受援单位",
};

fn unresolved(row: u32, column: Column, cell: &str, what: Wanted, found: NameMatch) -> RowIssue {
    match found {
        NameMatch::Ambiguous(names) => RowIssue::new(
            row,
            column,
            format!("{cell:?} is ambiguous: it could be {}", names.join(", ")),
            format!("“{cell}”不唯一，可能是：{}，请写全称", names.join("、")),
        ),
        _ => RowIssue::new(
            row,
            column,
            format!("no {} named {cell:?}", what.en),
            format!("找不到名为“{cell}”的{}", what.zh),
        ),
    }
}

/// Resolves every row's hospital, site and physician; refuses rows that would give
/// a phone to someone else, a row of another hospital to a hospital administrator,
/// or the same physician at the same site twice.
pub fn plan_import(
    rows: &[PersonnelRow],
    directory: &Directory<'_>,
) -> Result<ImportPlan, Vec<RowIssue>> {
    let users: HashMap<&str, &User> = directory
        .users
        .iter()
        .map(|u| (u.phone.as_str(), u))
        .collect();
    let mut plan = ImportPlan::default();
    let mut issues = Vec::new();
    let mut seen: HashMap<(String, Uuid), u32> = HashMap::new();
    for row in rows {
        let hospital = match match_name(&row.hospital, directory.hospitals) {
            NameMatch::Found(id) => Some(id),
            other => {
                issues.push(unresolved(
                    row.row,
                    Column::Hospital,
                    &row.hospital,
                    HOSPITAL,
                    other,
                ));
                None
            }
        };
        if let (Some(own), Some(id)) = (directory.own_hospital, hospital)
            && own != id
        {
            issues.push(RowIssue::new(
                row.row,
                Column::Hospital,
                "a hospital administrator imports rows of their own hospital only",
                "医院管理员只能导入本院人员",
            ));
            continue;
        }
        let site = match match_name(&row.site, directory.sites) {
            NameMatch::Found(id) => Some(id),
            other => {
                issues.push(unresolved(
                    row.row,
                    Column::Site,
                    &row.site,
                    RECEIVING_SITE,
                    other,
                ));
                None
            }
        };
        if let Some(user) = users.get(row.phone.as_str())
            && let Err(reason) = check_existing(user, row, hospital)
        {
            issues.push(RowIssue::new(
                row.row,
                Column::Phone,
                reason,
                PHONE_UNAVAILABLE_ZH,
            ));
        }
        let (Some(hospital_id), Some(site_id)) = (hospital, site) else {
            continue;
        };
        if let Some(first) = seen.insert((row.phone.as_str().to_owned(), site_id), row.row) {
            issues.push(RowIssue::new(
                row.row,
                Column::Site,
                format!("the same physician and site as row {first}"),
                format!("与第{first}行是同一人、同一受援单位"),
            ));
            continue;
        }
        match users.get(row.phone.as_str()) {
            Some(user) => {
                plan.existing.insert(row.phone.as_str().to_owned(), user.id);
            }
            None if !plan.new_physicians.iter().any(|p| p.phone == row.phone) => {
                plan.new_physicians.push(NewPhysician {
                    row: row.row,
                    name: row.name.clone(),
                    phone: row.phone.clone(),
                    gender: row.gender,
                    title: row.title.clone(),
                    specialty: row.specialty.clone(),
                    hospital_id,
                    practice_since_year: row.practice_since_year,
                    discipline: row.discipline,
                });
            }
            None => {}
        }
        plan.rows.push(PlannedRow {
            row: row.row,
            phone: row.phone.clone(),
            site_id,
        });
    }
    if issues.is_empty() {
        Ok(plan)
    } else {
        issues.sort_by_key(|i| (i.row, i.column));
        Err(issues)
    }
}

/// The one reason given for a row whose phone is held by an account the row cannot
/// use. It is the same whether the holder is not a physician, is called otherwise,
/// works at another hospital or is deactivated: an importer must not learn from it who
/// holds someone else's phone.
pub const PHONE_UNAVAILABLE: &str =
    "phone_unavailable: this phone cannot be used for this import (该手机号无法用于本次导入)";
/// [`PHONE_UNAVAILABLE`] as the console shows it; names no one, as the English does.
pub const PHONE_UNAVAILABLE_ZH: &str = "该手机号无法用于本次导入（请核对手机号，或联系管理员）";

/// An account that already holds the row's phone must be that active physician, at
/// that hospital.
fn check_existing(user: &User, row: &PersonnelRow, hospital: Option<Uuid>) -> Result<(), String> {
    let usable = user.role == Role::Physician
        && user.is_active()
        && squeeze(&user.name) == squeeze(&row.name)
        && hospital.is_none_or(|id| user.organization_id == Some(id));
    if usable {
        Ok(())
    } else {
        Err(PHONE_UNAVAILABLE.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<SheetRow> {
        rows.iter()
            .enumerate()
            .map(|(i, cells)| SheetRow {
                number: i as u32 + 1,
                cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            })
            .collect()
    }

    const HEADER: &[&str] = &[
        "牵头医院名称",
        "姓名",
        "性别",
        "专业",
        "职称",
        "电话",
        "拟下派乡镇卫生院",
    ];

    fn org(name: &str) -> NamedOrg {
        NamedOrg {
            id: Uuid::new_v4(),
            name: name.to_owned(),
        }
    }

    fn issue_rows(issues: &[RowIssue]) -> Vec<(u32, &'static str)> {
        issues.iter().map(|i| (i.row, i.column.key())).collect()
    }

    #[test]
    fn headers_are_recognised_by_chinese_and_english_names() {
        assert_eq!(Column::recognise("牵头医院名称"), Some(Column::Hospital));
        assert_eq!(Column::recognise(" 派出医院 "), Some(Column::Hospital));
        assert_eq!(Column::recognise("姓 名"), Some(Column::Name));
        assert_eq!(Column::recognise("*性别："), Some(Column::Gender));
        assert_eq!(Column::recognise("科室"), Some(Column::Specialty));
        assert_eq!(Column::recognise("联系电话（手机）"), Some(Column::Phone));
        assert_eq!(Column::recognise("手机"), Some(Column::Phone));
        assert_eq!(Column::recognise("下派乡镇卫生院"), Some(Column::Site));
        assert_eq!(Column::recognise("派驻单位"), Some(Column::Site));
        assert_eq!(Column::recognise("Receiving site"), Some(Column::Site));
        assert_eq!(Column::recognise("PHONE"), Some(Column::Phone));
        assert_eq!(Column::recognise("备注"), None);
        assert_eq!(Column::recognise(""), None);
    }

    #[test]
    fn a_title_line_above_the_header_is_skipped_and_numbers_stay_the_sheets() {
        let rows = sheet(&[
            &["光山县中医院下派乡镇卫生院名单"],
            HEADER,
            &[
                "光山县中医院",
                "林一",
                "男",
                "外科",
                "主治医师",
                "13900000001",
                "泼河",
            ],
        ]);
        let table = read_personnel(&rows);
        assert!(table.issues.is_empty(), "{:?}", table.issues);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].row, 3);
        assert_eq!(table.rows[0].phone.as_str(), "13900000001");
        assert_eq!(table.rows[0].gender, Some(Gender::Male));
        assert_eq!(table.rows[0].title.as_deref(), Some("主治医师"));
    }

    #[test]
    fn a_missing_required_header_is_named() {
        let rows = sheet(&[
            &["牵头医院名称", "姓名", "性别", "拟下派乡镇卫生院"],
            &["光山县中医院", "林一", "男", "泼河"],
        ]);
        let table = read_personnel(&rows);
        assert!(table.rows.is_empty());
        assert_eq!(issue_rows(&table.issues), vec![(1, "phone")]);
        assert!(
            table.issues[0].reason.contains("电话"),
            "{:?}",
            table.issues
        );
    }

    #[test]
    fn a_required_column_named_twice_is_refused_an_optional_one_read_once() {
        let rows = sheet(&[
            &["医院名称", "姓名", "电话", "手机", "受援单位"],
            &["光山县中医院", "林一", "13900000001", "13900000002", "泼河"],
        ]);
        let table = read_personnel(&rows);
        assert_eq!(issue_rows(&table.issues), vec![(1, "phone")]);

        let rows = sheet(&[
            &["医院名称", "姓名", "专业", "科室", "电话", "受援单位"],
            &[
                "光山县中医院",
                "林一",
                "外科",
                "普外科",
                "13900000001",
                "泼河",
            ],
        ]);
        let table = read_personnel(&rows);
        assert!(table.issues.is_empty(), "{:?}", table.issues);
        assert_eq!(table.rows[0].specialty.as_deref(), Some("外科"));
    }

    #[test]
    fn an_empty_sheet_misses_every_required_column() {
        let table = read_personnel(&[]);
        assert_eq!(
            issue_rows(&table.issues),
            vec![(1, "hospital"), (1, "name"), (1, "phone"), (1, "site")]
        );
    }

    #[test]
    fn blank_hospital_and_site_cells_repeat_the_row_above() {
        let rows = sheet(&[
            HEADER,
            &[
                "光山县中医院",
                "林一",
                "男",
                "外科",
                "",
                "13900000001",
                "泼河",
            ],
            &["", "曾二", "男", "内科", "", "13900000002", ""],
            &[],
            &["", "祝三", "女", "儿科", "", "13900000003", "斛山"],
            &["", "屈四", "女", "妇产科", "", "13900000004", " "],
        ]);
        let table = read_personnel(&rows);
        assert!(table.issues.is_empty(), "{:?}", table.issues);
        let got: Vec<(u32, &str, &str)> = table
            .rows
            .iter()
            .map(|r| (r.row, r.hospital.as_str(), r.site.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "光山县中医院", "泼河"),
                (3, "光山县中医院", "泼河"),
                (5, "光山县中医院", "斛山"),
                (6, "光山县中医院", "斛山"),
            ]
        );
    }

    #[test]
    fn nothing_but_hospital_and_site_is_carried_down() {
        let rows = sheet(&[
            HEADER,
            &["", "林一", "男", "外科", "", "13900000001", "泼河"],
            &["光山县中医院", "", "男", "内科", "", "", "斛山"],
        ]);
        let table = read_personnel(&rows);
        assert!(table.rows.is_empty());
        assert_eq!(
            issue_rows(&table.issues),
            vec![(2, "hospital"), (3, "name"), (3, "phone")]
        );
        assert_eq!(table.issues[0].reason, "blank, and no row above to repeat");
    }

    #[test]
    fn bad_phones_and_genders_are_reported_with_their_rows() {
        let rows = sheet(&[
            HEADER,
            &[
                "光山县中医院",
                "林一",
                "男",
                "",
                "",
                "[phone redacted]",
                "泼河",
            ],
            &["", "曾二", "公", "", "", "13900000002", ""],
            &["", "祝三", "女", "", "", "1390000000", ""],
            &["", "屈四", "female", "", "", "+86 139-0000-0004", ""],
            &["", "陈五", "", "", "", "１３９０００００００５", ""],
        ]);
        let table = read_personnel(&rows);
        assert_eq!(
            issue_rows(&table.issues),
            vec![(2, "phone"), (3, "gender"), (4, "phone")]
        );
        // Each reason also reads in Chinese for the console, naming the cell.
        let zh: Vec<&str> = table.issues.iter().map(|i| i.reason_zh.as_str()).collect();
        assert_eq!(
            zh,
            vec![
                "“[phone redacted]”不是11位的大陆手机号码",
                "“公”应填写“男”或“女”",
                "“1390000000”不是11位的大陆手机号码",
            ]
        );
        let ok: Vec<(&str, Option<Gender>)> = table
            .rows
            .iter()
            .map(|r| (r.phone.as_str(), r.gender))
            .collect();
        assert_eq!(
            ok,
            vec![("13900000004", Some(Gender::Female)), ("13900000005", None)]
        );
    }

    #[test]
    fn one_phone_is_one_person() {
        let rows = sheet(&[
            HEADER,
            &["光山县中医院", "林一", "男", "", "", "13900000001", "泼河"],
            &["", "林一", "男", "", "", "13900000001", "斛山"],
            &["", "曾二", "男", "", "", "13900000001", "白奎"],
            &[
                "光山县人民医院",
                "林一",
                "男",
                "",
                "",
                "13900000001",
                "凉亭",
            ],
        ]);
        let table = read_personnel(&rows);
        assert_eq!(
            issue_rows(&table.issues),
            vec![(4, "phone"), (5, "hospital")]
        );
    }

    #[test]
    fn long_free_text_is_refused() {
        let long = "科".repeat(101);
        let rows = sheet(&[
            HEADER,
            &[
                "光山县中医院",
                "林一",
                "男",
                long.as_str(),
                "",
                "13900000001",
                "泼河",
            ],
        ]);
        assert_eq!(
            issue_rows(&read_personnel(&rows).issues),
            vec![(2, "specialty")]
        );
    }

    #[test]
    fn names_match_exactly_or_by_a_unique_part() {
        let pohe = org("泼河镇卫生院");
        let hushan = org("斛山乡卫生院");
        let hushan_village = org("斛山村卫生室");
        let all = [pohe.clone(), hushan.clone(), hushan_village.clone()];
        assert_eq!(match_name("泼河", &all), NameMatch::Found(pohe.id));
        assert_eq!(match_name("泼河镇卫生院", &all), NameMatch::Found(pohe.id));
        assert_eq!(
            match_name("斛山乡卫生院", &all),
            NameMatch::Found(hushan.id)
        );
        assert_eq!(
            match_name("斛山", &all),
            NameMatch::Ambiguous(vec!["斛山乡卫生院".into(), "斛山村卫生室".into()])
        );
        assert_eq!(match_name("白奎", &all), NameMatch::Unknown);
        assert_eq!(match_name("", &all), NameMatch::Unknown);
        let twins = [org("城关镇卫生院"), org("城关镇卫生院")];
        assert!(matches!(
            match_name("城关镇卫生院", &twins),
            NameMatch::Ambiguous(_)
        ));
    }

    fn person(row: u32, name: &str, phone: &str, hospital: &str, site: &str) -> PersonnelRow {
        PersonnelRow {
            row,
            hospital: hospital.into(),
            name: name.into(),
            gender: None,
            specialty: None,
            title: None,
            phone: Phone::parse(phone).expect("phone"),
            site: site.into(),
            discipline: None,
            practice_since_year: None,
        }
    }

    fn user(role: Role, name: &str, phone: &str, org: Option<Uuid>) -> User {
        User {
            id: Uuid::new_v4(),
            role,
            name: name.into(),
            phone: Phone::parse(phone).expect("phone"),
            organization_id: org,
            jurisdiction_code: None,
            title: None,
            specialty: None,
            gender: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            deactivated_at: None,
            discipline: None,
            practice_since_year: None,
        }
    }

    #[test]
    fn a_plan_creates_each_new_physician_once_and_reuses_known_ones() {
        let hospital = org("光山县中医院");
        let (pohe, hushan) = (org("泼河镇卫生院"), org("斛山乡卫生院"));
        let known = user(Role::Physician, "曾二", "13900000002", Some(hospital.id));
        let rows = [
            person(2, "林一", "13900000001", "光山县中医院", "泼河"),
            person(3, "林一", "13900000001", "光山县中医院", "斛山"),
            person(4, "曾二", "13900000002", "光山县中医院", "斛山"),
        ];
        let sites = [pohe.clone(), hushan.clone()];
        let hospitals = [hospital.clone()];
        let users = [known.clone()];
        let directory = Directory {
            sites: &sites,
            hospitals: &hospitals,
            users: &users,
            own_hospital: Some(hospital.id),
        };
        let plan = plan_import(&rows, &directory).expect("valid");
        assert_eq!(plan.new_physicians.len(), 1);
        assert_eq!(plan.new_physicians[0].row, 2);
        assert_eq!(plan.new_physicians[0].hospital_id, hospital.id);
        assert_eq!(plan.existing.get("13900000002"), Some(&known.id));
        let sites: Vec<(u32, Uuid)> = plan.rows.iter().map(|r| (r.row, r.site_id)).collect();
        assert_eq!(sites, vec![(2, pohe.id), (3, hushan.id), (4, hushan.id)]);
    }

    #[test]
    fn a_plan_refuses_unknown_ambiguous_foreign_and_repeated_rows() {
        let own = org("光山县中医院");
        let other = org("光山县人民医院");
        let sites = [
            org("泼河镇卫生院"),
            org("斛山乡卫生院"),
            org("斛山村卫生室"),
        ];
        let users = [
            user(Role::Supervisor, "监督", "13900000009", None),
            user(Role::Physician, "别人", "13900000008", Some(own.id)),
            user(Role::Physician, "外院", "13900000007", Some(other.id)),
        ];
        let rows = [
            person(2, "林一", "13900000001", "光山县中医院", "泼河"),
            person(3, "曾二", "13900000002", "光山县中医院", "白奎"),
            person(4, "祝三", "13900000003", "光山县中医院", "斛山"),
            person(5, "屈四", "13900000004", "光山县人民医院", "泼河"),
            person(6, "陈五", "13900000009", "光山县中医院", "泼河"),
            person(7, "刘六", "13900000008", "光山县中医院", "泼河"),
            person(8, "外院", "13900000007", "光山县中医院", "泼河"),
            person(9, "林一", "13900000001", "光山县中医院", "泼河镇卫生院"),
            person(10, "王七", "13900000010", "县医院", "泼河"),
        ];
        let hospitals = [own.clone(), other];
        let directory = Directory {
            sites: &sites,
            hospitals: &hospitals,
            users: &users,
            own_hospital: Some(own.id),
        };
        let issues = plan_import(&rows, &directory).expect_err("refused");
        assert_eq!(
            issue_rows(&issues),
            vec![
                (3, "site"),
                (4, "site"),
                (5, "hospital"),
                (6, "phone"),
                (7, "phone"),
                (8, "phone"),
                (9, "site"),
                (10, "hospital"),
            ]
        );
        assert!(issues[1].reason.contains("ambiguous"), "{:?}", issues[1]);
        assert!(issues[6].reason.contains("row 2"), "{:?}", issues[6]);
        // A supervisor's phone, another physician's name, another hospital's physician:
        // one reason for all, naming no one.
        for taken in &issues[3..6] {
            assert_eq!(taken.reason, PHONE_UNAVAILABLE, "{taken:?}");
        }
    }

    #[test]
    fn a_deactivated_physicians_phone_is_unavailable_like_any_other() {
        let hospital = org("光山县中医院");
        let site = org("泼河镇卫生院");
        let mut gone = user(Role::Physician, "林一", "13900000001", Some(hospital.id));
        gone.deactivated_at = Some(chrono::DateTime::UNIX_EPOCH);
        let hospitals = [hospital];
        let sites = [site];
        let users = [gone];
        let directory = Directory {
            sites: &sites,
            hospitals: &hospitals,
            users: &users,
            own_hospital: None,
        };
        let rows = [person(2, "林一", "13900000001", "光山县中医院", "泼河")];
        let issues = plan_import(&rows, &directory).expect_err("refused");
        assert_eq!(issue_rows(&issues), vec![(2, "phone")]);
        assert_eq!(issues[0].reason, PHONE_UNAVAILABLE);
    }

    #[test]
    fn terms_check_dates_and_window_and_default_the_window() {
        let date = |s: &str| s.parse::<NaiveDate>().expect("date");
        let id = Uuid::new_v4();
        let terms = ImportTerms::new(
            id,
            Mode::Circuit,
            date("2026-01-01"),
            date("2026-12-31"),
            None,
            None,
        )
        .expect("valid");
        assert_eq!(terms.window.to_string(), "08:00-17:30");
        assert!(matches!(
            ImportTerms::new(
                id,
                Mode::Circuit,
                date("2026-02-01"),
                date("2026-01-01"),
                None,
                None
            ),
            Err(TermsError::Dates(_))
        ));
        assert!(matches!(
            ImportTerms::new(
                id,
                Mode::Circuit,
                date("2026-01-01"),
                date("2026-02-01"),
                Some("9:00"),
                None
            ),
            Err(TermsError::Window(_))
        ));
    }

    #[test]
    fn the_digest_covers_the_file_and_the_terms_but_nothing_else() {
        let date = |s: &str| s.parse::<NaiveDate>().expect("date");
        let id = Uuid::new_v4();
        let terms = ImportTerms::new(
            id,
            Mode::Circuit,
            date("2026-01-01"),
            date("2026-12-31"),
            None,
            None,
        )
        .expect("valid");
        let same = terms.clone();
        assert_eq!(terms.digest(b"a,b"), same.digest(b"a,b"));
        assert_eq!(terms.digest(b"a,b").len(), 64);
        assert_ne!(terms.digest(b"a,b"), terms.digest(b"a,c"));
        let dispatch = ImportTerms {
            mode: Mode::Dispatch,
            ..terms.clone()
        };
        assert_ne!(terms.digest(b"a,b"), dispatch.digest(b"a,b"));
        let later = ImportTerms {
            end_date: date("2027-01-01"),
            ..terms.clone()
        };
        assert_ne!(terms.digest(b"a,b"), later.digest(b"a,b"));
    }
}
