//! The one place that turns an anomaly's stored facts into words a supervisor (and
//! the physician's phone page) reads: a sentence in Chinese and English, and the
//! facts as labelled fields with human values — never raw keys, ids or JSON.
//!
//! The facts are what the detector stored when it raised the anomaly (see
//! `detectors.rs`, `attendance.rs`, `inspection.rs`, the scheduler); old rows may
//! lack a field, so every sentence has a plainer fallback.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::anomaly::AnomalyKind;
use super::organization::DEFAULT_TIMEZONE;
use super::requirements::Period;

/// Names the store knows for the ids an anomaly's facts mention.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub people: HashMap<Uuid, String>,
    pub sites: HashMap<Uuid, String>,
}

impl Names {
    fn person(&self, id: Option<Uuid>) -> Option<&str> {
        id.and_then(|id| self.people.get(&id)).map(String::as_str)
    }

    fn site(&self, id: Option<Uuid>) -> Option<&str> {
        id.and_then(|id| self.sites.get(&id)).map(String::as_str)
    }
}

/// The ids of people and sites an anomaly's facts mention, so a caller can look
/// their names up in one go before rendering.
pub fn mentioned(detail: &Value) -> (Vec<Uuid>, Vec<Uuid>) {
    let id = |key: &str| {
        detail
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    };
    let people = ["other_physician_id", "requested_by"]
        .into_iter()
        .filter_map(id)
        .collect();
    let sites = ["site_id", "open_visit_site_id"]
        .into_iter()
        .filter_map(id)
        .collect();
    (people, sites)
}

/// One fact as a labelled field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The stored fact's name, for the console's layout (not for display).
    pub key: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub value_zh: String,
    pub value_en: String,
}

/// An anomaly in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyText {
    pub label_zh: String,
    pub label_en: String,
    pub summary_zh: String,
    pub summary_en: String,
    pub facts: Vec<Fact>,
}

/// How a fact's value reads.
#[derive(Debug, Clone, Copy)]
enum Shown {
    Text,
    Minutes,
    Metres,
    Kilometres,
    Speed,
    Degrees,
    Instant,
    Date,
    YesNo,
    Person,
    Site,
    InspectionKind,
    Amount,
    Count,
    Days,
    /// Metres to one decimal (accuracies, centimetre-scale separations).
    FineMetres,
    Seconds,
    Crs,
}

/// Every fact a detector stores that a reader can use, in display order. Facts not
/// listed (event ids, inspection and presence-check ids, the assignment and program
/// ids, the requirement's JSON) are left out: their meaning is in the sentence, the
/// names or the other facts.
const FACTS: &[(&str, &str, &str, Shown)] = &[
    ("filer_name", "报送单位", "Filing jurisdiction", Shown::Text),
    ("report_name", "报表", "Report", Shown::Text),
    ("filing_period", "所属期", "Period", Shown::Text),
    ("due_date", "报送截止日期", "Due", Shown::Date),
    ("submitted_at", "报送时间", "Filed", Shown::Instant),
    ("days_late", "逾期天数", "Days late", Shown::Days),
    ("description", "考核要求", "Requirement", Shown::Text),
    ("period_start", "考核期起", "Period from", Shown::Date),
    ("period_end", "考核期止", "Period to", Shown::Date),
    ("required", "应完成", "Required", Shown::Amount),
    ("credited", "实际计入", "Credited", Shown::Amount),
    (
        "pending_visits",
        "待审核服务",
        "Visits under review",
        Shown::Count,
    ),
    ("local_date", "服务日期", "Service date", Shown::Date),
    ("checked_in_at", "签到时间", "Checked in", Shown::Instant),
    ("closed_at", "自动结束时间", "Closed at", Shown::Instant),
    ("minutes", "时长", "Duration", Shown::Minutes),
    (
        "min_minutes",
        "规定最短时长",
        "Required minimum",
        Shown::Minutes,
    ),
    ("window", "规定时段", "Daily window", Shown::Text),
    (
        "minutes_outside",
        "超出时段",
        "Outside the window by",
        Shown::Minutes,
    ),
    ("scanned_at", "扫码时间", "Scanned", Shown::Instant),
    ("received_at", "上传时间", "Uploaded", Shown::Instant),
    ("delay_minutes", "延迟", "Delay", Shown::Minutes),
    ("device_id", "签到设备", "Device", Shown::Text),
    ("bound_device_id", "已绑定设备", "Bound device", Shown::Text),
    (
        "distance_km",
        "与上次定位距离",
        "Distance from previous fix",
        Shown::Kilometres,
    ),
    ("speed_kmh", "折合时速", "Speed", Shown::Speed),
    ("limit_kmh", "时速上限", "Speed limit", Shown::Speed),
    (
        "other_physician_id",
        "另一位医师",
        "Other physician",
        Shown::Person,
    ),
    ("same_device", "同一部手机", "Same phone", Shown::YesNo),
    ("separation_m", "两处定位相距", "Fixes apart", Shown::Metres),
    ("lat", "纬度", "Latitude", Shown::Degrees),
    ("lon", "经度", "Longitude", Shown::Degrees),
    (
        "inspection_kind",
        "检查方式",
        "Inspection",
        Shown::InspectionKind,
    ),
    ("site_id", "检查单位", "Inspected site", Shown::Site),
    ("observed_at", "检查时间", "Observed at", Shown::Instant),
    (
        "open_visit_site_id",
        "当时签到单位",
        "Checked in at",
        Shown::Site,
    ),
    ("requested_by", "发起人", "Requested by", Shown::Person),
    ("requested_at", "发起时间", "Requested at", Shown::Instant),
    ("deadline_at", "响应截止", "Deadline", Shown::Instant),
    (
        "accuracy_m",
        "报告精度",
        "Reported accuracy",
        Shown::FineMetres,
    ),
    (
        "floor_m",
        "可信精度下限",
        "Plausible floor",
        Shown::FineMetres,
    ),
    (
        "centre_distance_m",
        "距围栏中心",
        "From the fence centre",
        Shown::FineMetres,
    ),
    ("fix_time", "定位时间", "Fix taken", Shown::Instant),
    (
        "fix_age_seconds",
        "定位早于扫码",
        "Fix age at scan",
        Shown::Seconds,
    ),
    ("crs", "本次坐标系", "Declared system", Shown::Crs),
    ("previous_crs", "此前坐标系", "Earlier system", Shown::Crs),
    ("accounts", "涉及账号数", "Accounts", Shown::Count),
    ("sites", "结伴签到单位数", "Sites together", Shown::Count),
    ("seconds_apart", "相隔", "Apart", Shown::Seconds),
    ("seconds_within", "判定间隔", "Within", Shown::Seconds),
    ("reason", "受援单位意见", "Clinic's reason", Shown::Text),
    ("disputed_by_name", "提出人", "Raised by", Shown::Text),
    (
        "window_closed_at",
        "照片上传截止",
        "Photo due by",
        Shown::Instant,
    ),
    ("reviewed_by_name", "抽查人", "Reviewed by", Shown::Text),
    ("review_note", "抽查意见", "Reviewer's note", Shown::Text),
];

/// Renders an anomaly of `kind` (a contract kind string; unknown kinds read as
/// their label) from its stored `detail`.
pub fn render(kind: &str, detail: &Value, names: &Names) -> AnomalyText {
    render_in(kind, detail, names, DEFAULT_TIMEZONE)
}

fn render_in(kind: &str, detail: &Value, names: &Names, tz: Tz) -> AnomalyText {
    let empty = Map::new();
    let facts_map = detail.as_object().unwrap_or(&empty);
    let read = Reader {
        detail: facts_map,
        names,
        tz,
    };
    let known = AnomalyKind::parse(kind);
    let (label_zh, label_en) = known.map_or_else(
        || ("其他异常".to_owned(), "Other anomaly".to_owned()),
        |k| (k.label_zh().to_owned(), k.label_en().to_owned()),
    );
    let (summary_zh, summary_en) = known
        .and_then(|k| sentence(k, &read))
        .unwrap_or_else(|| (format!("{label_zh}。"), format!("{label_en}.")));
    let facts = FACTS
        .iter()
        .filter_map(|&(key, label_zh, label_en, shown)| {
            let (value_zh, value_en) = read.show(key, shown)?;
            Some(Fact {
                key,
                label_zh,
                label_en,
                value_zh,
                value_en,
            })
        })
        .collect();
    AnomalyText {
        label_zh,
        label_en,
        summary_zh,
        summary_en,
        facts,
    }
}

/// Typed access to the stored facts.
struct Reader<'a> {
    detail: &'a Map<String, Value>,
    names: &'a Names,
    tz: Tz,
}

impl Reader<'_> {
    fn number(&self, key: &str) -> Option<f64> {
        self.detail.get(key)?.as_f64().filter(|n| n.is_finite())
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.detail.get(key)?.as_str().filter(|s| !s.is_empty())
    }

    fn uuid(&self, key: &str) -> Option<Uuid> {
        self.text(key).and_then(|s| Uuid::parse_str(s).ok())
    }

    fn instant(&self, key: &str) -> Option<String> {
        let at: DateTime<Utc> = self.text(key)?.parse().ok()?;
        Some(
            at.with_timezone(&self.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        )
    }

    fn date(&self, key: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.text(key)?, "%Y-%m-%d").ok()
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.detail.get(key)?.as_bool()
    }

    /// Who should have filed which report for which period.
    fn filing(&self) -> Option<(&str, &str, &str)> {
        Some((
            self.text("filer_name")?,
            self.text("report_name")?,
            self.text("filing_period")?,
        ))
    }

    /// The requirement's period and unit from the stored requirement body.
    fn requirement(&self) -> Option<(Period, Unit)> {
        let body = self.detail.get("requirement")?.as_object()?;
        let period: Period = serde_json::from_value(body.get("period")?.clone()).ok()?;
        let has = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
        let unit = if has("min_consecutive_months") {
            Unit::Months
        } else if has("min_visits") {
            Unit::Visits
        } else if has("min_half_days") {
            Unit::HalfDays
        } else {
            Unit::Days
        };
        Some((period, unit))
    }

    /// A fact's value in both languages, or `None` when absent or unreadable.
    fn show(&self, key: &str, shown: Shown) -> Option<(String, String)> {
        let both = |s: String| Some((s.clone(), s));
        match shown {
            Shown::Text => both(self.text(key)?.to_owned()),
            Shown::Minutes => {
                let n = amount(self.number(key)?);
                Some((format!("{n}分钟"), format!("{n} min")))
            }
            Shown::Metres => {
                let n = amount(self.number(key)?.round());
                Some((format!("{n}米"), format!("{n} m")))
            }
            Shown::Kilometres => {
                let n = amount(self.number(key)?);
                Some((format!("{n}公里"), format!("{n} km")))
            }
            Shown::Speed => {
                let n = amount(self.number(key)?.round());
                Some((format!("{n}公里/小时"), format!("{n} km/h")))
            }
            Shown::Degrees => both(format!("{:.6}", self.number(key)?)),
            Shown::Instant => both(self.instant(key)?),
            Shown::Date => both(self.date(key)?.to_string()),
            Shown::YesNo => {
                let yes = self.flag(key)?;
                Some(if yes {
                    ("是".into(), "yes".into())
                } else {
                    ("否".into(), "no".into())
                })
            }
            Shown::Person => {
                let id = self.uuid(key)?;
                let name = self.names.person(Some(id));
                Some((
                    name.unwrap_or("（未知医师）").to_owned(),
                    name.unwrap_or("(unknown)").to_owned(),
                ))
            }
            Shown::Site => {
                let id = self.uuid(key)?;
                let name = self.names.site(Some(id));
                Some((
                    name.unwrap_or("（未知单位）").to_owned(),
                    name.unwrap_or("(unknown site)").to_owned(),
                ))
            }
            Shown::InspectionKind => Some(inspection_kind(self.text(key)?)),
            Shown::Amount => {
                let n = amount(self.number(key)?);
                match self.requirement() {
                    Some((_, unit)) => {
                        Some((format!("{n}{}", unit.zh()), format!("{n} {}", unit.en())))
                    }
                    None => both(n),
                }
            }
            Shown::Days => {
                let n = amount(self.number(key)?);
                Some((format!("{n}天"), format!("{n} days")))
            }
            Shown::Count => {
                let n = amount(self.number(key)?);
                Some((format!("{n}次"), n))
            }
            Shown::FineMetres => {
                let n = amount((self.number(key)? * 10.0).round() / 10.0);
                Some((format!("{n}米"), format!("{n} m")))
            }
            Shown::Seconds => {
                let n = amount(self.number(key)?.round());
                Some((format!("{n}秒"), format!("{n} s")))
            }
            Shown::Crs => both(crs_name(self.text(key)?).to_owned()),
        }
    }
}

/// A declared coordinate system as surveyors write it.
fn crs_name(crs: &str) -> &str {
    match crs {
        "wgs84" => "WGS-84",
        "gcj02" => "GCJ-02",
        "bd09" => "BD-09",
        other => other,
    }
}

/// What a requirement counts, for its sentence.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Days,
    HalfDays,
    Visits,
    Months,
}

impl Unit {
    fn zh(self) -> &'static str {
        match self {
            Unit::Days => "天",
            Unit::HalfDays => "个半天",
            Unit::Visits => "次",
            Unit::Months => "个月",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::HalfDays => "half-days",
            Unit::Visits => "visits",
            Unit::Months => "months",
        }
    }
}

/// A figure without a needless `.0`: `1`, `0.5`, `12.3`.
fn amount(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn inspection_kind(kind: &str) -> (String, String) {
    match kind {
        "unannounced" => ("暗访".into(), "unannounced visit".into()),
        "onsite" => ("现场核查".into(), "on-site check".into()),
        _ => ("检查".into(), "inspection".into()),
    }
}

/// The period a requirement was judged over, in words: `2026年3月`, `2026年第1季度`,
/// `2026-03-02至2026-03-08这一周`.
fn period_words(period: Period, start: NaiveDate, end: NaiveDate) -> (String, String) {
    use chrono::Datelike;
    match period {
        Period::Month => (
            format!("{}年{}月", start.year(), start.month()),
            start.format("%B %Y").to_string(),
        ),
        Period::Quarter => {
            let q = (start.month() - 1) / 3 + 1;
            (
                format!("{}年第{q}季度", start.year()),
                format!("Q{q} {}", start.year()),
            )
        }
        Period::Year => (format!("{}年", start.year()), format!("{}", start.year())),
        Period::Week => (
            format!("{start}至{end}这一周"),
            format!("the week {start} to {end}"),
        ),
        Period::Fortnight => (
            format!("{start}至{end}这两周"),
            format!("the fortnight {start} to {end}"),
        ),
        Period::Assignment => (
            format!("支援期内（{start}至{end}）"),
            format!("the assignment ({start} to {end})"),
        ),
    }
}

/// The kind's sentence from its facts; `None` when a fact it needs is missing.
/// The other physician an anomaly names, in words.
fn other_person(r: &Reader<'_>) -> (String, String) {
    match r.names.person(r.uuid("other_physician_id")) {
        Some(name) => (
            format!("另一位医师{name}"),
            format!("another physician, {name}"),
        ),
        None => ("另一位医师".to_owned(), "another physician".to_owned()),
    }
}

fn sentence(kind: AnomalyKind, r: &Reader<'_>) -> Option<(String, String)> {
    match kind {
        AnomalyKind::NewDevice => Some((
            "使用了与已绑定手机不同的设备签到。".into(),
            "Checked in from a device other than the bound phone.".into(),
        )),
        AnomalyKind::MockLocation => Some((
            "手机报告此次定位为模拟（虚拟）定位。".into(),
            "The phone reported this fix as a mock location.".into(),
        )),
        AnomalyKind::ImpossibleTravel => {
            let km = amount(r.number("distance_km")?);
            let minutes = amount(r.number("minutes")?);
            let limit = amount(r.number("limit_kmh")?.round());
            Some(match r.number("speed_kmh") {
                Some(speed) => {
                    let speed = amount(speed.round());
                    (
                        format!(
                            "与上一次定位相距{km}公里，仅隔{minutes}分钟，折合时速{speed}公里，超过上限{limit}公里/小时。"
                        ),
                        format!(
                            "{km} km from the previous fix only {minutes} minutes earlier: {speed} km/h, above the {limit} km/h limit."
                        ),
                    )
                }
                None => (
                    format!("与上一次定位相距{km}公里，却几乎同时发生。"),
                    format!("{km} km from the previous fix at practically the same moment."),
                ),
            })
        }
        AnomalyKind::CodeShared => {
            let other = r.names.person(r.uuid("other_physician_id"));
            let (who_zh, who_en) = match other {
                Some(name) => (
                    format!("另一位医师{name}"),
                    format!("another physician, {name},"),
                ),
                None => ("另一位医师".to_owned(), "another physician".to_owned()),
            };
            if r.flag("same_device") == Some(true) {
                Some((
                    format!("同一签到码也被{who_zh}在同一部手机上使用。"),
                    format!("The same kiosk code was also used by {who_en} on the same phone."),
                ))
            } else {
                let apart = amount(r.number("separation_m")?.round());
                Some((
                    format!("同一签到码也被{who_zh}使用，两处定位相距{apart}米。"),
                    format!("The same kiosk code was also used by {who_en} from {apart} m away."),
                ))
            }
        }
        AnomalyKind::RepeatedFix => Some(if r.flag("exact") == Some(false) {
            let apart = amount((r.number("separation_m")? * 100.0).round() / 100.0);
            (
                format!("定位与本人另一天的一次签到仅相距{apart}米、精度相同，疑似回放旧定位。"),
                format!(
                    "The fix is {apart} m from the physician's own fix of another day, with the same accuracy: likely a replayed fix."
                ),
            )
        } else {
            (
                "定位坐标与之前的一次签到完全相同，真实定位几乎不会重复。".into(),
                "The fix is identical to an earlier check-in's; real GPS fixes practically never repeat.".into(),
            )
        }),
        AnomalyKind::ImplausibleAccuracy => {
            let accuracy = amount((r.number("accuracy_m")? * 10.0).round() / 10.0);
            let floor = amount(r.number("floor_m")?);
            Some((
                format!(
                    "手机报告定位精度{accuracy}米，好于手机可能达到的{floor}米，疑似模拟定位。"
                ),
                format!(
                    "The phone reported an accuracy of {accuracy} m, better than the {floor} m any phone achieves: likely a mock location."
                ),
            ))
        }
        AnomalyKind::FixAtFenceCentre => {
            let metres = amount((r.number("centre_distance_m")? * 10.0).round() / 10.0);
            Some((
                format!("定位距围栏中心仅{metres}米，疑似直接填入单位坐标。"),
                format!(
                    "The fix is {metres} m from the fence centre: the site's own coordinates were likely typed in."
                ),
            ))
        }
        AnomalyKind::StaleFix => {
            let minutes = amount((r.number("fix_age_seconds")? / 60.0).round());
            Some((
                format!("定位取自扫码前{minutes}分钟，疑似缓存或回放的旧定位。"),
                format!(
                    "The fix was taken {minutes} minutes before the scan: a cached or replayed position."
                ),
            ))
        }
        AnomalyKind::CrsChanged => {
            let now = crs_name(r.text("crs")?);
            let before = crs_name(r.text("previous_crs")?);
            Some((
                format!("同一部手机此前报告{before}坐标，此次改报{now}。"),
                format!("The same phone declared {before} before and {now} now."),
            ))
        }
        AnomalyKind::CrsMislabelled => {
            let now = crs_name(r.text("crs")?);
            Some((
                format!(
                    "一向报告WGS-84坐标，此次申报{now}，按申报换算后才落入围栏，疑似谎报坐标系。"
                ),
                format!(
                    "Always WGS-84 before; declared {now} now, and inside the fence only after that conversion: likely mislabelled."
                ),
            ))
        }
        AnomalyKind::DeviceShared => {
            let (who_zh, who_en) = other_person(r);
            Some((
                format!("此手机已绑定{who_zh}的账号，一部手机在为多个账号签到。"),
                format!(
                    "This phone is bound to {who_en}'s account: one phone checking in several accounts."
                ),
            ))
        }
        AnomalyKind::GroupScan => {
            let (who_zh, who_en) = other_person(r);
            let accounts = amount(r.number("accounts")?);
            Some((
                format!(
                    "{accounts}个账号（含{who_zh}）数秒内在同一处签到，定位相距不到1米且精度相同，疑似一部手机代签。"
                ),
                format!(
                    "{accounts} accounts (with {who_en}) scanned within seconds from fixes under a metre apart with equal accuracy: likely one phone."
                ),
            ))
        }
        AnomalyKind::PairedAccounts => {
            let (who_zh, who_en) = other_person(r);
            let sites = amount(r.number("sites")?);
            Some((
                format!("与{who_zh}已在{sites}个单位相隔数秒先后签到，疑似一人代两人签到。"),
                format!(
                    "Scanned seconds apart from {who_en} at {sites} sites: likely one person scanning for both."
                ),
            ))
        }
        AnomalyKind::NetworkFarAway => {
            let ip = r.text("client_ip")?;
            let place = r.text("ip_place")?;
            let site = r.text("site_province")?;
            Some((
                format!("签到所用网络地址{ip}位于{place}，而派驻单位在{site}，疑似在外地远程扫码。"),
                format!(
                    "The scan came from the address {ip}, located in {place}, while the site is in {site}: likely scanned remotely."
                ),
            ))
        }
        AnomalyKind::KioskSecondNetwork => {
            let network = r.text("network")?;
            let other = r.text("other_network")?;
            let label = r.text("kiosk_label").unwrap_or("");
            Some((
                format!(
                    "签到屏{label}的链接同时在两个网络（{other}与{network}）取码，疑似链接外泄、签到码被远程转发。"
                ),
                format!(
                    "The kiosk link {label} fetched codes from two networks at once ({other} and {network}): the link has likely leaked and its codes can be relayed."
                ),
            ))
        }
        AnomalyKind::KioskNetworkFarAway => {
            let ip = r.text("client_ip")?;
            let place = r.text("ip_place")?;
            let site = r.text("site_province")?;
            let label = r.text("kiosk_label").unwrap_or("");
            Some((
                format!(
                    "签到屏{label}的链接从{place}的网络地址{ip}取码，而派驻单位在{site}，疑似链接外泄、在外地显示签到码；该网络不作为签到屏所在网络。"
                ),
                format!(
                    "The kiosk link {label} fetched codes from the address {ip}, located in {place}, while the site is in {site}: the link has likely leaked; that network does not count as the kiosk's."
                ),
            ))
        }
        AnomalyKind::DailyCodeLiveKiosk => Some((
            "签到屏正在显示动态码，却扫描了纸质日码，疑似把日码照片发给不在现场的人。".to_owned(),
            "Scanned the printed daily code while the kiosk showed its rotating code: likely a photo of the sheet sent to someone elsewhere.".to_owned(),
        )),
        AnomalyKind::LateSync => {
            let scanned = r.instant("scanned_at")?;
            let delay = amount(r.number("delay_minutes")?);
            Some((
                format!("离线扫码于{scanned}，{delay}分钟后才上传。"),
                format!("Scanned offline at {scanned}, uploaded {delay} minutes later."),
            ))
        }
        AnomalyKind::MissingCheckout => {
            let checked_in = r.instant("checked_in_at")?;
            let closed = r.instant("closed_at")?;
            Some((
                format!("{checked_in}签到后未签退，该次服务已于{closed}自动结束，暂不计入。"),
                format!(
                    "Checked in at {checked_in} and never checked out; the visit was closed at {closed} without credit."
                ),
            ))
        }
        AnomalyKind::ShortVisit => {
            let minutes = amount(r.number("minutes")?);
            let min = amount(r.number("min_minutes")?);
            Some((
                format!("签到后{minutes}分钟即签退，少于规定的{min}分钟。"),
                format!(
                    "Checked out {minutes} minutes after checking in, less than the required {min} minutes."
                ),
            ))
        }
        AnomalyKind::OutsideWindowEdge => {
            let minutes = amount(r.number("minutes_outside")?);
            let window = r.text("window")?;
            Some((
                format!("扫码时间超出规定时段{window}共{minutes}分钟。"),
                format!("Scanned {minutes} minutes outside the daily window {window}."),
            ))
        }
        AnomalyKind::InspectionAbsent => {
            let observed = r.instant("observed_at")?;
            let (how_zh, how_en) = inspection_kind(r.text("inspection_kind").unwrap_or(""));
            let site = r.names.site(r.uuid("site_id"));
            let at_zh = site.map(|s| format!("在{s}")).unwrap_or_default();
            let at_en = site.map(|s| format!(" at {s}")).unwrap_or_default();
            let since = r.instant("checked_in_at");
            Some((
                format!(
                    "{observed}{at_zh}{how_zh}时本人不在岗，但系统中有{}的签到记录。",
                    since.as_deref().unwrap_or("当时")
                ),
                format!(
                    "Absent at the {how_en}{at_en} at {observed}, yet checked in{}.",
                    since.map(|s| format!(" since {s}")).unwrap_or_default()
                ),
            ))
        }
        AnomalyKind::InspectionUnrecorded => {
            let observed = r.instant("observed_at")?;
            let (how_zh, how_en) = inspection_kind(r.text("inspection_kind").unwrap_or(""));
            let elsewhere = r.names.site(r.uuid("open_visit_site_id"));
            Some(match elsewhere {
                Some(other) => (
                    format!("{observed}{how_zh}时本人在岗，但当时的签到记录在{other}。"),
                    format!(
                        "Present at the {how_en} at {observed}, but checked in at {other} at the time."
                    ),
                ),
                None => (
                    format!("{observed}{how_zh}时本人在岗，但没有签到记录。"),
                    format!("Present at the {how_en} at {observed} without a check-in."),
                ),
            })
        }
        AnomalyKind::PresenceCheckMissed => {
            let requested = r.instant("requested_at")?;
            let deadline = r.instant("deadline_at")?;
            Some((
                format!("{requested}发起的在岗抽查，未在{deadline}前扫码响应。"),
                format!(
                    "Did not answer the presence spot-check of {requested} by scanning before {deadline}."
                ),
            ))
        }
        AnomalyKind::ClinicDisputed => {
            let date = r.date("local_date")?;
            let reason = r.text("reason")?;
            Some((
                format!("受援单位对{date}的在岗记录提出异议：{reason}"),
                format!("The receiving clinic disputes the visit of {date}: {reason}"),
            ))
        }
        AnomalyKind::PhotoMissing => {
            let received = r.instant("received_at")?;
            let minutes = amount(r.number("window_minutes")?);
            Some((
                format!("{received}的签到按项目要求应拍摄扫码照片，{minutes}分钟内未上传。"),
                format!(
                    "The programme requires a scan photo; none was uploaded within {minutes} minutes of the check-in at {received}."
                ),
            ))
        }
        AnomalyKind::PhotoSuspicious => {
            let reviewer = r.text("reviewed_by_name").unwrap_or("督查人员");
            let note = r.text("review_note");
            Some((
                format!(
                    "{reviewer}抽查扫码照片时认为照片存疑{}",
                    note.map(|n| format!("：{n}")).unwrap_or_else(|| "。".into())
                ),
                format!(
                    "{reviewer} marked the scan photo suspicious when sampling{}",
                    note.map(|n| format!(": {n}")).unwrap_or_else(|| ".".into())
                ),
            ))
        }
        AnomalyKind::FilingMissing => {
            let (filer, report, period) = r.filing()?;
            let due = r.date("due_date")?;
            let days = amount(r.number("days_late")?);
            Some((
                format!("{filer}应于{due}前报送{period}期{report}，已逾期{days}天未报送。"),
                format!(
                    "{filer} has not filed the {report} for {period}, due {due}: {days} days overdue."
                ),
            ))
        }
        AnomalyKind::FilingLate => {
            let (filer, report, period) = r.filing()?;
            let due = r.date("due_date")?;
            let filed = r.instant("submitted_at")?;
            let days = amount(r.number("days_late")?);
            Some((
                format!("{filer}于{filed}报送{period}期{report}，晚于截止日期{due}共{days}天。"),
                format!(
                    "{filer} filed the {report} for {period} at {filed}, {days} days after its due date {due}."
                ),
            ))
        }
        AnomalyKind::RequirementMissed => {
            let (period, unit) = r.requirement()?;
            let (start, end) = (r.date("period_start")?, r.date("period_end")?);
            let required = amount(r.number("required")?);
            let credited = amount(r.number("credited")?);
            let (when_zh, when_en) = period_words(period, start, end);
            let pending = r.number("pending_visits").filter(|n| *n > 0.0).map(amount);
            let (verb_zh, verb_en) = match unit {
                Unit::Months => ("应连续服务", "required continuous service of"),
                _ => ("应服务", "required"),
            };
            Some((
                format!(
                    "{when_zh}{verb_zh}{required}{unit_zh}，实际计入{credited}{unit_zh}{}。",
                    pending
                        .as_ref()
                        .map(|n| format!("（另有{n}次服务待审核）"))
                        .unwrap_or_default(),
                    unit_zh = unit.zh(),
                ),
                format!(
                    "In {when_en}: {verb_en} {required} {unit_en}, credited {credited}{}.",
                    pending
                        .map(|n| format!(" ({n} visits still under review)"))
                        .unwrap_or_default(),
                    unit_en = unit.en(),
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OTHER: Uuid = Uuid::from_u128(0x11);
    const SITE: Uuid = Uuid::from_u128(0x22);
    const ELSEWHERE: Uuid = Uuid::from_u128(0x33);
    const SUPERVISOR: Uuid = Uuid::from_u128(0x44);

    fn names() -> Names {
        Names {
            people: HashMap::from([
                (OTHER, "李医生".to_owned()),
                (SUPERVISOR, "王科长".to_owned()),
            ]),
            sites: HashMap::from([
                (SITE, "城关镇卫生院".to_owned()),
                (ELSEWHERE, "溪南镇卫生院".to_owned()),
            ]),
        }
    }

    /// The facts each detector stores, as it stores them.
    fn stored(kind: AnomalyKind) -> Value {
        match kind {
            AnomalyKind::NewDevice => json!({"bound_device_id": "phone-A", "device_id": "phone-B"}),
            AnomalyKind::MockLocation => json!({"device_id": "phone-B"}),
            AnomalyKind::ImpossibleTravel => json!({
                "previous_event_id": Uuid::from_u128(9), "distance_km": 120.4,
                "minutes": 10.0, "speed_kmh": 722.0, "limit_kmh": 200.0}),
            AnomalyKind::CodeShared => json!({
                "other_event_id": Uuid::from_u128(9), "other_physician_id": OTHER,
                "same_device": false, "separation_m": 350.0}),
            AnomalyKind::RepeatedFix => json!({
                "other_event_id": Uuid::from_u128(9), "lat": 25.29, "lon": 117.41,
                "exact": false, "separation_m": 0.42}),
            AnomalyKind::ImplausibleAccuracy => json!({"accuracy_m": 0.0, "floor_m": 3.0}),
            AnomalyKind::FixAtFenceCentre => json!({"centre_distance_m": 0.31}),
            AnomalyKind::StaleFix => json!({
                "fix_time": "2026-03-02T01:00:00Z", "scanned_at": "2026-03-02T03:00:00Z",
                "fix_age_seconds": 7200}),
            AnomalyKind::CrsChanged => json!({"crs": "gcj02", "previous_crs": "wgs84"}),
            AnomalyKind::CrsMislabelled => json!({"crs": "gcj02", "previous_crs": "wgs84"}),
            AnomalyKind::DeviceShared => json!({
                "device_id": "phone-B", "other_physician_id": OTHER,
                "other_physician_ids": [OTHER], "accounts": 2}),
            AnomalyKind::GroupScan => json!({
                "other_event_id": Uuid::from_u128(9), "other_physician_id": OTHER,
                "other_physician_ids": [OTHER], "accounts": 2, "separation_m": 0.2,
                "seconds_apart": 4}),
            AnomalyKind::PairedAccounts => json!({
                "other_physician_id": OTHER, "sites": 3, "seconds_within": 20}),
            AnomalyKind::DailyCodeLiveKiosk => json!({"code_step": 20514}),
            AnomalyKind::NetworkFarAway => json!({
                "client_ip": "203.0.113.9", "network": "203.0.113.0/24",
                "ip_place": "北京市", "site_province": "福建省"}),
            AnomalyKind::KioskSecondNetwork => json!({
                "kiosk_id": Uuid::from_u128(9), "kiosk_label": "门诊大厅",
                "network": "198.51.100.0/24", "other_network": "203.0.113.0/24"}),
            AnomalyKind::LateSync => json!({
                "scanned_at": "2026-03-02T01:00:00Z", "received_at": "2026-03-02T05:00:00Z",
                "delay_minutes": 240}),
            AnomalyKind::MissingCheckout => json!({
                "checked_in_at": "2026-03-02T01:00:00Z", "closed_at": "2026-03-02T16:00:00Z",
                "local_date": "2026-03-02"}),
            AnomalyKind::ShortVisit => json!({"minutes": 12, "min_minutes": 30}),
            AnomalyKind::OutsideWindowEdge => {
                json!({"minutes_outside": 7, "window": "08:00-17:30"})
            }
            AnomalyKind::InspectionAbsent => json!({
                "site_id": SITE, "observed_at": "2026-03-02T02:30:00Z",
                "checked_in_at": "2026-03-02T01:00:00Z",
                "inspection_id": Uuid::from_u128(8), "inspection_kind": "unannounced"}),
            AnomalyKind::InspectionUnrecorded => json!({
                "site_id": SITE, "observed_at": "2026-03-02T02:30:00Z",
                "open_visit_site_id": ELSEWHERE,
                "inspection_id": Uuid::from_u128(8), "inspection_kind": "onsite"}),
            AnomalyKind::PresenceCheckMissed => json!({
                "presence_check_id": Uuid::from_u128(7), "requested_by": SUPERVISOR,
                "requested_at": "2026-03-02T02:00:00Z", "deadline_at": "2026-03-02T02:15:00Z"}),
            AnomalyKind::RequirementMissed => json!({
                "assignment_id": Uuid::from_u128(5), "program_id": Uuid::from_u128(6),
                "requirement_index": 0, "requirement": {"period": "month", "min_days": 1.0},
                "description": "每月不少于1天", "period_start": "2026-03-01",
                "period_end": "2026-03-31", "required": 1.0, "credited": 0.5,
                "pending_visits": 0}),
            AnomalyKind::FilingMissing => json!({
                "obligation_id": Uuid::from_u128(9), "report_kind": "monthly",
                "report_name": "对口支援工作量月报表", "filing_period": "2026-11",
                "filer_code": "350881", "filer_name": "漳平市", "due_date": "2026-12-02",
                "days_late": 3}),
            AnomalyKind::ClinicDisputed => json!({
                "local_date": "2026-03-02", "reason": "当日未见到该医师",
                "disputed_by_name": "王院长", "confirmation_id": Uuid::from_u128(11)}),
            AnomalyKind::PhotoMissing => json!({
                "received_at": "2026-03-02T00:30:00Z", "window_minutes": 30,
                "window_closed_at": "2026-03-02T01:00:00Z"}),
            AnomalyKind::KioskNetworkFarAway => json!({
                "kiosk_id": Uuid::from_u128(9), "kiosk_label": "门诊大厅",
                "client_ip": "203.0.113.9", "network": "203.0.113.0/24",
                "ip_place": "北京市", "site_province": "福建"}),
            AnomalyKind::PhotoSuspicious => json!({
                "photo_id": Uuid::from_u128(12), "review_id": Uuid::from_u128(13),
                "reviewed_by_name": "王科长", "review_note": "照片为翻拍的屏幕"}),
            AnomalyKind::FilingLate => json!({
                "obligation_id": Uuid::from_u128(9), "report_kind": "monthly",
                "report_name": "对口支援工作量月报表", "filing_period": "2026-11",
                "filer_code": "350881", "filer_name": "漳平市", "due_date": "2026-12-02",
                "submitted_at": "2026-12-05T02:00:00Z", "filing_id": Uuid::from_u128(10),
                "days_late": 3}),
        }
    }

    /// True when `text` shows something only a program should read: a snake_case
    /// key, a UUID, JSON punctuation or a `null`.
    fn looks_raw(text: &str) -> bool {
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .collect();
        words.iter().any(|w| {
            (w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()))
                || Uuid::parse_str(w).is_ok()
                || *w == "null"
        }) || text.contains(['{', '}', '[', ']', '"'])
    }

    #[test]
    fn every_kind_reads_as_a_plain_sentence_with_labelled_facts() {
        for kind in AnomalyKind::ALL {
            let text = render(kind.as_str(), &stored(kind), &names());
            for sentence in [&text.summary_zh, &text.summary_en] {
                assert!(!looks_raw(sentence), "{kind:?}: {sentence}");
                assert_ne!(
                    sentence.trim_end_matches(['。', '.']),
                    text.label_zh,
                    "{kind:?} fell back to its label"
                );
            }
            assert!(
                !text.summary_zh.is_ascii(),
                "{kind:?} has a Chinese sentence"
            );
            for fact in &text.facts {
                for shown in [
                    fact.label_zh,
                    fact.label_en,
                    fact.value_zh.as_str(),
                    fact.value_en.as_str(),
                ] {
                    assert!(!looks_raw(shown), "{kind:?} {}: {shown}", fact.key);
                }
            }
        }
    }

    #[test]
    fn sentences_say_the_figures_a_supervisor_checks() {
        let read = |kind: AnomalyKind| render(kind.as_str(), &stored(kind), &names());
        assert_eq!(
            read(AnomalyKind::ShortVisit).summary_zh,
            "签到后12分钟即签退，少于规定的30分钟。"
        );
        assert_eq!(
            read(AnomalyKind::FilingMissing).summary_zh,
            "漳平市应于2026-12-02前报送2026-11期对口支援工作量月报表，已逾期3天未报送。"
        );
        assert_eq!(
            read(AnomalyKind::FilingLate).summary_zh,
            "漳平市于2026-12-05 10:00报送2026-11期对口支援工作量月报表，晚于截止日期2026-12-02共3天。"
        );
        assert_eq!(
            read(AnomalyKind::RequirementMissed).summary_zh,
            "2026年3月应服务1天，实际计入0.5天。"
        );
        assert_eq!(
            read(AnomalyKind::CodeShared).summary_zh,
            "同一签到码也被另一位医师李医生使用，两处定位相距350米。"
        );
        assert_eq!(
            read(AnomalyKind::MissingCheckout).summary_zh,
            "2026-03-02 09:00签到后未签退，该次服务已于2026-03-03 00:00自动结束，暂不计入。"
        );
        assert!(
            read(AnomalyKind::InspectionUnrecorded)
                .summary_zh
                .contains("溪南镇卫生院")
        );
    }

    #[test]
    fn facts_use_names_units_and_local_time_and_leave_ids_out() {
        let text = render(
            "presence_check_missed",
            &stored(AnomalyKind::PresenceCheckMissed),
            &names(),
        );
        let fact = |key: &str| text.facts.iter().find(|f| f.key == key);
        assert_eq!(
            fact("requested_by").map(|f| f.value_zh.as_str()),
            Some("王科长")
        );
        assert_eq!(
            fact("deadline_at").map(|f| f.value_zh.as_str()),
            Some("2026-03-02 10:15")
        );
        assert!(fact("presence_check_id").is_none());

        let missed = render(
            "requirement_missed",
            &stored(AnomalyKind::RequirementMissed),
            &names(),
        );
        let credited = missed.facts.iter().find(|f| f.key == "credited");
        assert_eq!(credited.map(|f| f.value_zh.as_str()), Some("0.5天"));
        assert!(missed.facts.iter().all(|f| f.key != "requirement"));
    }

    #[test]
    fn a_weekly_half_day_requirement_names_the_week_and_the_unit() {
        let detail = json!({
            "requirement": {"period": "week", "min_half_days": 3, "activity": "outpatient"},
            "description": "每周门诊不少于3个半天", "period_start": "2026-03-02",
            "period_end": "2026-03-08", "required": 3, "credited": 1, "pending_visits": 2});
        let text = render("requirement_missed", &detail, &names());
        assert_eq!(
            text.summary_zh,
            "2026-03-02至2026-03-08这一周应服务3个半天，实际计入1个半天（另有2次服务待审核）。"
        );
    }

    #[test]
    fn missing_facts_and_unknown_kinds_fall_back_to_the_label() {
        let text = render("short_visit", &json!({}), &names());
        assert_eq!(text.summary_zh, "在岗时间过短。");
        assert!(text.facts.is_empty());
        let future = render("something_new", &Value::Null, &names());
        assert_eq!(future.summary_zh, "其他异常。");
        assert!(!looks_raw(&future.summary_en));
    }

    #[test]
    fn mentioned_ids_are_the_people_and_sites_to_name() {
        let (people, sites) = mentioned(&stored(AnomalyKind::InspectionUnrecorded));
        assert!(people.is_empty());
        assert_eq!(sites, vec![SITE, ELSEWHERE]);
        let (people, _) = mentioned(&stored(AnomalyKind::PresenceCheckMissed));
        assert_eq!(people, vec![SUPERVISOR]);
    }
}
