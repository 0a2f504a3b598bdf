//! Satisfaction surveys (满意度测评; 漳平 "抽取80个受益群众进行电话满意度测评", 光山
//! "群众满意度评价"): a round's period, the people served (phones validated and masked),
//! the sample drawn from a recorded seed, the outcome of a call, and the tallies.

use chrono::{Datelike, NaiveDate};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

/// 漳平: "抽取80个受益群众".
pub const DEFAULT_SAMPLE: u32 = 80;
/// The largest sample a round may ask for.
pub const MAX_SAMPLE: u32 = 2000;
/// The longest round (a year and a bit, for a custom from/to).
pub const MAX_PERIOD_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("period: expected YYYY, YYYY-Qn, YYYY-MM, or from and to, got {0:?}")]
    Period(String),
    #[error("to: must be on or after from and at most {MAX_PERIOD_DAYS} days later")]
    Range,
    #[error("sample_size: must be between 1 and {MAX_SAMPLE}")]
    Sample,
    #[error("phone: not a mainland mobile (1xxxxxxxxxx) or landline (0xxx-xxxxxxx) number")]
    Phone,
    #[error("name: required, at most 40 characters")]
    Name,
    #[error("seed: expected a decimal number below 2^64")]
    Seed,
    #[error("rating: required when reached, and only then")]
    Rating,
}

/// A round's period: its label and first and last local dates (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPeriod {
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

impl SurveyPeriod {
    /// `YYYY`, `YYYY-Qn` or `YYYY-MM`; or, without a label, `from`..=`to`.
    pub fn parse(
        label: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<SurveyPeriod, SurveyError> {
        let Some(text) = label.map(str::trim).filter(|t| !t.is_empty()) else {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(SurveyError::Period(String::new()));
            };
            if to < from || (to - from).num_days() > MAX_PERIOD_DAYS {
                return Err(SurveyError::Range);
            }
            return Ok(SurveyPeriod {
                label: format!("{from}至{to}"),
                from,
                to,
            });
        };
        let bad = || SurveyError::Period(text.to_owned());
        let year: i32 = text
            .get(..4)
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|y| y.parse().ok())
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(bad)?;
        let rest = &text[4..];
        let (from, next) = if rest.is_empty() {
            (ymd(year, 1, 1), ymd(year + 1, 1, 1))
        } else if let Some(q) = rest.strip_prefix("-Q") {
            let q: u32 = match q {
                "1" | "2" | "3" | "4" => q.parse().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            let next = if q == 4 {
                ymd(year + 1, 1, 1)
            } else {
                ymd(year, 3 * q + 1, 1)
            };
            (ymd(year, 3 * q - 2, 1), next)
        } else if let Some(m) = rest.strip_prefix('-') {
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let m: u32 = m.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&m) {
                return Err(bad());
            }
            let next = if m == 12 {
                ymd(year + 1, 1, 1)
            } else {
                ymd(year, m + 1, 1)
            };
            (ymd(year, m, 1), next)
        } else {
            return Err(bad());
        };
        let (Some(from), Some(to)) = (from, next.and_then(|n| n.pred_opt())) else {
            return Err(bad());
        };
        Ok(SurveyPeriod {
            label: text.to_owned(),
            from,
            to,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    pub fn year(&self) -> i32 {
        self.from.year()
    }
}

/// A phone number of a person served, normalised to its digits: a mainland mobile
/// (`1[3-9]` and nine digits) or a landline with its area code (`0` and 9 to 11 digits).
/// `+86`/`86` prefixes, spaces and dashes are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedPhone(String);

impl ServedPhone {
    pub fn parse(text: &str) -> Result<ServedPhone, SurveyError> {
        let mut digits: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_owned();
        } else if digits.len() == 13 && digits.starts_with("861") {
            digits = digits[2..].to_owned();
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SurveyError::Phone);
        }
        let b = digits.as_bytes();
        let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
        if mobile || landline {
            Ok(ServedPhone(digits))
        } else {
            Err(SurveyError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****1234`: the first three and last four digits, the rest hidden.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks a normalised phone: first three and last four digits shown, four stars between.
pub fn mask_phone(digits: &str) -> String {
    let chars: Vec<char> = digits.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `张*`, `欧阳**`: the first character (the surname, usually) and a star for each other.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// A served person's name as kept: trimmed, 1 to 40 characters, no control characters.
pub fn parse_name(text: &str) -> Result<String, SurveyError> {
    let name = text.trim();
    let n = name.chars().count();
    if n == 0 || n > 40 || name.chars().any(char::is_control) {
        return Err(SurveyError::Name);
    }
    Ok(name.to_owned())
}

pub fn parse_seed(text: &str) -> Result<u64, SurveyError> {
    text.trim().parse().map_err(|_| SurveyError::Seed)
}

/// A uniform integer below `bound` (> 0), without modulo bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % bound;
        }
    }
}

/// A simple random sample (not stratified: every registered person has the same
/// chance, whatever their site or physician) of up to `n` of `people`, without
/// replacement, from a ChaCha20 stream seeded with `seed`: a partial Fisher–Yates
/// shuffle over the people sorted by id, so the same seed and the same people give the
/// same sample in the same order, whatever order they come in.
pub fn draw(people: &[Uuid], n: u32, seed: u64) -> Vec<Uuid> {
    let mut pool = people.to_vec();
    pool.sort();
    pool.dedup();
    let take = (n as usize).min(pool.len());
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    for i in 0..take {
        let remaining = (pool.len() - i) as u64;
        let j = i + below(&mut rng, remaining) as usize;
        pool.swap(i, j);
    }
    pool.truncate(take);
    pool
}

/// The answer of a person reached: 满意, 基本满意 or 不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Satisfied,
    Basic,
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basic => "basic",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(text: &str) -> Option<Rating> {
        match text {
            "satisfied" => Some(Rating::Satisfied),
            "basic" => Some(Rating::Basic),
            "unsatisfied" => Some(Rating::Unsatisfied),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basic => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// A call's outcome must be consistent: a rating exactly when the person was reached.
pub fn check_outcome(reached: bool, rating: Option<Rating>) -> Result<(), SurveyError> {
    if reached == rating.is_some() {
        Ok(())
    } else {
        Err(SurveyError::Rating)
    }
}

/// The survey results of one physician (or site, or county) over some rounds: the
/// contract the promotion form (考核登记表) reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SatisfactionTally {
    /// Rounds in which the physician had someone drawn.
    pub rounds: u32,
    /// People drawn and called at least once.
    pub calls: u32,
    pub reached: u32,
    pub satisfied: u32,
    pub basic: u32,
    pub unsatisfied: u32,
}

impl SatisfactionTally {
    /// Counts one drawn person's latest outcome (`attempts` calls so far).
    pub fn count(&mut self, attempts: u32, reached: Option<bool>, rating: Option<Rating>) {
        if attempts > 0 {
            self.calls += 1;
        }
        if reached == Some(true) {
            self.reached += 1;
            match rating {
                Some(Rating::Satisfied) => self.satisfied += 1,
                Some(Rating::Basic) => self.basic += 1,
                Some(Rating::Unsatisfied) => self.unsatisfied += 1,
                None => {}
            }
        }
    }

    /// 满意率: (满意 + 基本满意) / 接通, as a percentage; `None` when nobody was reached.
    pub fn rate_percent(&self) -> Option<f64> {
        if self.reached == 0 {
            return None;
        }
        let rate = f64::from(self.satisfied + self.basic) * 100.0 / f64::from(self.reached);
        Some((rate * 10.0).round() / 10.0)
    }
}

/// When a closed round's names and phones are erased: `retention_days` after closing.
pub fn erase_after_ms(closed_at_ms: i64, retention_days: u32) -> i64 {
    closed_at_ms.saturating_add(i64::from(retention_days) * 86_400_000)
}

/// The headers of the registration sheet (受益群众登记表), in the template's order.
pub const SHEET_HEADERS: [&str; 4] = ["姓名", "联系电话", "服务日期", "派驻医师"];

/// A row of an uploaded registration sheet, still as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetPerson {
    /// The row number as the spreadsheet shows it.
    pub row: u32,
    pub name: String,
    pub phone: String,
    pub service_date: NaiveDate,
    /// The physician's name, as the clinic knows them.
    pub physician: String,
}

/// A bad row of a sheet: its number, the column, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetIssue {
    pub row: u32,
    pub column: &'static str,
    pub reason: String,
}

fn column_of(header: &str) -> Option<usize> {
    let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    match h.as_str() {
        "姓名" | "群众姓名" | "受益群众姓名" | "患者姓名" => Some(0),
        "联系电话" | "电话" | "手机" | "手机号码" | "联系方式" => Some(1),
        "服务日期" | "就诊日期" | "日期" | "服务时间" => Some(2),
        "派驻医师" | "医师" | "医生" | "接诊医师" | "服务医师" => Some(3),
        _ => None,
    }
}

/// A date as clerks write it (`2026-02-10`, `2026/2/10`, `2026.2.10`, `2026年2月10日`)
/// or as a spreadsheet stores it (days since 1899-12-30).
pub fn sheet_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if let Ok(serial) = t.parse::<f64>() {
        if !(1.0..100_000.0).contains(&serial) {
            return None;
        }
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        return base.checked_add_days(chrono::Days::new(serial.trunc() as u64));
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Reads a registration sheet: the header row is the first naming 姓名 and a phone
/// column (title lines above it are skipped), then one person per non-blank row.
/// Every bad cell is reported; nothing is answered unless all rows are good.
pub fn sheet_people(
    rows: &[crate::domain::personnel::SheetRow],
) -> Result<Vec<SheetPerson>, Vec<SheetIssue>> {
    let issue = |row: u32, column: &'static str, reason: &str| SheetIssue {
        row,
        column,
        reason: reason.to_owned(),
    };
    let header = rows.iter().position(|r| {
        let cols: Vec<Option<usize>> = r.cells.iter().map(|c| column_of(c)).collect();
        cols.contains(&Some(0)) && cols.contains(&Some(1))
    });
    let Some(header) = header else {
        return Err(vec![issue(
            1,
            "header",
            "no header row naming 姓名 and 联系电话",
        )]);
    };
    let mut at = [None; 4];
    for (i, cell) in rows[header].cells.iter().enumerate() {
        if let Some(c) = column_of(cell) {
            at[c].get_or_insert(i);
        }
    }
    let mut issues = Vec::new();
    for (c, name) in SHEET_HEADERS.iter().enumerate() {
        if at[c].is_none() {
            issues.push(issue(
                rows[header].number,
                "header",
                &format!("no column {name}"),
            ));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut people = Vec::new();
    for r in &rows[header + 1..] {
        let cell = |c: usize| {
            at[c]
                .and_then(|i| r.cells.get(i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        if (0..4).all(|c| cell(c).is_empty()) {
            continue;
        }
        let (name, phone, date, physician) = (cell(0), cell(1), cell(2), cell(3));
        let mut bad = false;
        for (value, column) in [
            (&name, "name"),
            (&phone, "phone"),
            (&physician, "physician"),
        ] {
            if value.is_empty() {
                issues.push(issue(r.number, column, "required"));
                bad = true;
            }
        }
        let day = sheet_date(&date);
        if day.is_none() {
            issues.push(issue(r.number, "service_date", "not a date (2026-02-10)"));
        }
        if let (Some(day), false) = (day, bad) {
            people.push(SheetPerson {
                row: r.number,
                name,
                phone,
                service_date: day,
                physician,
            });
        }
    }
    if people.is_empty() && issues.is_empty() {
        issues.push(issue(
            rows[header].number,
            "header",
            "no people under the header",
        ));
    }
    if issues.is_empty() {
        Ok(people)
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_months_quarters_years_or_ranges() {
        let p = SurveyPeriod::parse(Some("2026-02"), None, None).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 2, 1), d(2026, 2, 28)));
        let p = SurveyPeriod::parse(Some("2026-Q4"), None, None).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 10, 1), d(2026, 12, 31)));
        let p = SurveyPeriod::parse(Some("2026"), None, None).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 1, 1), d(2026, 12, 31)));
        assert!(p.contains(d(2026, 7, 1)) && !p.contains(d(2027, 1, 1)));
        let p = SurveyPeriod::parse(None, Some(d(2026, 3, 5)), Some(d(2026, 4, 4))).unwrap();
        assert_eq!(p.label, "2026-03-05至2026-04-04");
        for bad in ["2026-13", "2026-Q5", "26", "2026-1", "abcd", "2026-Q"] {
            assert!(SurveyPeriod::parse(Some(bad), None, None).is_err(), "{bad}");
        }
        assert_eq!(
            SurveyPeriod::parse(None, Some(d(2026, 3, 5)), Some(d(2026, 3, 4))),
            Err(SurveyError::Range)
        );
        assert!(SurveyPeriod::parse(None, Some(d(2026, 3, 5)), None).is_err());
    }

    #[test]
    fn phones_are_mainland_mobiles_or_landlines_and_mask_to_seven_digits() {
        let mobile = ServedPhone::parse("+86 138-0013-1234").unwrap();
        assert_eq!(mobile.as_str(), "13800131234");
        assert_eq!(mobile.masked(), "138****1234");
        let landline = ServedPhone::parse("0597-7512345").unwrap();
        assert_eq!(landline.as_str(), "05977512345");
        assert_eq!(landline.masked(), "059****2345");
        for bad in [
            "12800131234",
            "1380013123",
            "00597751234",
            "abc",
            "",
            "138001312345",
        ] {
            assert!(ServedPhone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_keep_the_first_character_only() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert!(parse_name("  ").is_err());
        assert!(parse_name("王\u{1}五").is_err());
        assert!(parse_name("王\n五").is_err());
        assert_eq!(parse_name(" 王五 ").unwrap(), "王五");
    }

    fn people(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_whatever_the_order_given() {
        let all = people(200);
        let first = draw(&all, 80, 20_261_208);
        assert_eq!(first.len(), 80);
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, 80, 20_261_208), first);
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 80, "without replacement");
        assert_ne!(draw(&all, 80, 20_261_209), first, "another seed differs");
        // A fixed seed gives a fixed sample (the ChaCha20 stream is specified).
        assert_eq!(draw(&people(10), 3, 42), draw(&people(10), 3, 42));
    }

    #[test]
    fn fewer_people_than_the_sample_are_all_drawn() {
        let all = people(5);
        let mut drawn = draw(&all, 80, 1);
        drawn.sort();
        assert_eq!(drawn, all);
        assert!(draw(&[], 80, 1).is_empty());
    }

    #[test]
    fn each_person_is_drawn_about_equally_often() {
        // 10 people, 3 drawn per seed, 3000 seeds: each expected 900 times.
        let all = people(10);
        let mut hits = [0u32; 10];
        for seed in 0..3000u64 {
            for id in draw(&all, 3, seed) {
                hits[(id.as_u128() - 1) as usize] += 1;
            }
        }
        for (i, h) in hits.iter().enumerate() {
            assert!((780..1020).contains(h), "person {i} drawn {h} times");
        }
    }

    fn row(number: u32, cells: &[&str]) -> crate::domain::personnel::SheetRow {
        crate::domain::personnel::SheetRow {
            number,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn a_sheet_is_read_under_its_header_and_every_bad_cell_named() {
        let rows = [
            row(1, &["受益群众登记表"]),
            row(2, &["序号", "姓名", "联系电话", "服务日期", "派驻医师"]),
            row(3, &["1", "张三", "13800131234", "2026/2/10", "李医生"]),
            row(4, &["", "", "", "", ""]),
            row(5, &["2", "王五", "0597-7512345", "46063", "李医生"]),
        ];
        let people = sheet_people(&rows).expect("good rows");
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].service_date, d(2026, 2, 10));
        assert_eq!(people[1].row, 5);
        assert_eq!(
            people[1].service_date,
            d(2026, 2, 10),
            "an Excel serial date"
        );
        let bad = [
            row(1, &["姓名", "电话", "日期", "医师"]),
            row(2, &["", "138", "2026-02-31", "李医生"]),
        ];
        let issues = sheet_people(&bad).expect_err("bad rows");
        assert_eq!(
            issues.iter().map(|i| (i.row, i.column)).collect::<Vec<_>>(),
            [(2, "name"), (2, "service_date")]
        );
        assert!(sheet_people(&[row(1, &["a", "b"])]).is_err());
        assert_eq!(sheet_date("2026年3月1日"), Some(d(2026, 3, 1)));
    }

    #[test]
    fn the_rate_is_satisfied_and_basic_over_reached() {
        let mut t = SatisfactionTally::default();
        t.count(2, Some(false), None);
        t.count(1, Some(true), Some(Rating::Satisfied));
        t.count(1, Some(true), Some(Rating::Basic));
        t.count(3, Some(true), Some(Rating::Unsatisfied));
        t.count(0, None, None);
        assert_eq!(
            t,
            SatisfactionTally {
                rounds: 0,
                calls: 4,
                reached: 3,
                satisfied: 1,
                basic: 1,
                unsatisfied: 1
            }
        );
        assert_eq!(t.rate_percent(), Some(66.7));
        assert_eq!(SatisfactionTally::default().rate_percent(), None);
        assert!(check_outcome(true, None).is_err());
        assert!(check_outcome(false, Some(Rating::Basic)).is_err());
        assert!(check_outcome(false, None).is_ok());
        assert_eq!(erase_after_ms(1_000, 90), 1_000 + 90 * 86_400_000);
    }
}
