//! Reports through the real server: visits checked in and out at the kiosks with a
//! manual clock, activities logged, then the monthly workload report, compliance,
//! the county statistics table and the service record read back as JSON, CSV and
//! XLSX, within each caller's scope.

use std::io::Cursor;
use std::time::Duration as StdDuration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::client_reports::{RawReport, XLSX};
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A wall-clock instant in Asia/Shanghai in 2026.
pub(crate) fn at(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, month, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A receiving site with its kiosk and the spot physicians stand on.
pub(crate) struct Post {
    pub(crate) org: Organization,
    kiosk: Client,
    lat: f64,
    lon: f64,
}

/// A bureau's world with a clock that moves over months: tokens outlive it and the
/// scheduler stays off so only the test changes the data.
pub(crate) struct Bureau {
    pub(crate) app: TestApp,
    pub(crate) world: World,
    pub(crate) township: Post,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
pub(crate) const CSV: &str = "text/csv";

impl Bureau {
    pub(crate) async fn open(start: DateTime<Utc>) -> Bureau {
        let app = TestApp::builder()
            .at(start)
            .config(|c| {
                c.access_token_ttl = StdDuration::from_secs(400 * 24 * 3600);
                c.scheduler_interval = StdDuration::ZERO;
            })
            .spawn()
            .await;
        let world = app.world().await;
        let township = Post {
            org: world.site.clone(),
            kiosk: app.client(&world.kiosk.token),
            lat: SITE_LAT,
            lon: SITE_LON,
        };
        Bureau {
            app,
            world,
            township,
        }
    }

    pub(crate) async fn site(
        &self,
        name: &str,
        kind: OrganizationKind,
        county: &str,
        (lat, lon): (f64, f64),
        timezone: Option<&str>,
    ) -> Post {
        let org = self
            .app
            .admin
            .create_organization(&CreateOrganization {
                name: name.into(),
                kind,
                jurisdiction_code: county.into(),
                geofence: Some(circle(lat, lon, 150.0)),
                timezone: timezone.map(str::to_owned),
                max_accuracy_m: None,
            })
            .await
            .expect("site");
        let kiosk = self
            .app
            .admin
            .enroll_kiosk(org.id, &EnrollKiosk::default())
            .await
            .expect("kiosk");
        Post {
            org,
            kiosk: self.app.client(&kiosk.token),
            lat,
            lon,
        }
    }

    pub(crate) async fn physician(
        &self,
        organization: Uuid,
        name: &str,
        title: &str,
        specialty: &str,
    ) -> Person {
        let phone = unique_phone();
        let user = self
            .app
            .admin
            .create_user(&CreateUser {
                role: Role::Physician,
                name: name.into(),
                phone: phone.clone(),
                password: PASSWORD.into(),
                organization_id: Some(organization),
                jurisdiction_code: None,
                title: Some(title.into()),
                specialty: Some(specialty.into()),
                gender: Some(Gender::Female),
                discipline: None,
                practice_since_year: None,
            })
            .await
            .expect("physician");
        self.app.set_own_password(&phone, PASSWORD).await;
        let client = self.app.login(&phone, PASSWORD).await;
        Person { user, client }
    }

    pub(crate) async fn assign(
        &self,
        who: &Person,
        post: &Post,
        program: Uuid,
        mode: AssignmentMode,
        (start, end): (&str, &str),
    ) -> Assignment {
        self.app
            .admin
            .create_assignment(&CreateAssignment {
                physician_id: who.user.id,
                site_id: post.org.id,
                program_id: program,
                mode,
                start_date: start.parse().expect("date"),
                end_date: end.parse().expect("date"),
                window_start: "08:00".into(),
                window_end: "17:30".into(),
                eligibility_override: None,
            })
            .await
            .expect("assignment")
    }

    async fn scan(&self, who: &Person, post: &Post, action: &str, mock: bool) -> Value {
        let payload = post.kiosk.kiosk_code().await.expect("code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": format!("phone-{}", who.user.id),
            "location": {"lat": jitter(post.lat + 0.0002), "lon": jitter_lon(post.lon), "accuracy_m": 12.0,
                         "crs": "wgs84", "is_mock": mock},
        });
        let path = format!("/api/v1/attendance/{action}");
        let (status, body) = self
            .app
            .send(&who.client, Method::POST, &path, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{action}: {body}");
        body
    }

    /// Checks in at `from` and out at `to`; answers the visit id.
    pub(crate) async fn visit(
        &self,
        who: &Person,
        post: &Post,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Uuid {
        self.visit_flagged(who, post, from, to, false).await
    }

    async fn visit_flagged(
        &self,
        who: &Person,
        post: &Post,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mock: bool,
    ) -> Uuid {
        self.app.clock.set(from);
        let checked_in = self.scan(who, post, "check-in", mock).await;
        self.app.clock.set(to);
        self.scan(who, post, "check-out", false).await;
        checked_in["visit_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("visit id")
    }

    pub(crate) async fn log(&self, who: &Person, visit: Uuid, kind: ActivityKind, count: u32) {
        who.client
            .log_activity(
                visit,
                &LogActivity {
                    kind,
                    count,
                    note: None,
                },
            )
            .await
            .expect("activity");
    }

    pub(crate) async fn raw(&self, client: &Client, path: &str, accept: Option<&str>) -> RawReport {
        client.report_bytes(path, accept).await.expect("report")
    }
}

pub(crate) fn requirement(period: RequirementPeriod) -> Requirement {
    Requirement {
        period,
        min_days: None,
        min_half_days: None,
        min_visits: None,
        min_days_served: None,
        min_working_days: None,
        min_activity_count: None,
        activity: None,
        min_consecutive_months: None,
    }
}

pub(crate) fn status_of(err: mobile_api::client::ClientError) -> (StatusCode, String) {
    (
        err.status().expect("an HTTP answer"),
        err.code().unwrap_or_default().to_owned(),
    )
}

/// A CSV download parsed: BOM and CRLF checked, then the form's title and header
/// block when it has one (a title line, then `label,value` lines), the header row
/// and the records.
pub(crate) struct CsvForm {
    pub title: Option<String>,
    pub preamble: Vec<(String, String)>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) fn parse_form_csv(raw: &RawReport) -> CsvForm {
    assert!(
        raw.content_type.starts_with("text/csv"),
        "{}",
        raw.content_type
    );
    assert!(raw.bytes.starts_with(BOM), "UTF-8 with a byte-order mark");
    let text = std::str::from_utf8(&raw.bytes[BOM.len()..]).expect("utf-8");
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records().map(|r| {
        r.expect("record")
            .iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    });
    let mut first: Vec<String> = records.next().expect("a header row");
    let mut title = None;
    let mut preamble = Vec::new();
    if first.len() == 1 {
        title = first.pop();
        first = loop {
            let line = records.next().expect("a header row after the header block");
            match <[String; 2]>::try_from(line) {
                Ok([label, value]) => preamble.push((label, value)),
                Err(headers) => break headers,
            }
        };
    }
    let rows: Vec<Vec<String>> = records.collect();
    CsvForm {
        title,
        preamble,
        headers: first,
        rows,
    }
}

/// [`parse_form_csv`]'s header row and records.
pub(crate) fn parse_csv(raw: &RawReport) -> (Vec<String>, Vec<Vec<String>>) {
    let form = parse_form_csv(raw);
    (form.headers, form.rows)
}

/// The first sheet of an XLSX download, with its merged regions.
pub(crate) fn parse_xlsx(raw: &RawReport) -> (calamine::Range<Data>, Vec<calamine::Dimensions>) {
    assert_eq!(raw.content_type, XLSX);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(raw.bytes.clone())).expect("xlsx");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    let merged = book.merge_cells_by_sheet_name(&name).expect("merged cells");
    (range, merged)
}

pub(crate) fn cell_text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

pub(crate) fn cell_number(range: &calamine::Range<Data>, row: u32, col: u32) -> Option<f64> {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(i)) => Some(*i as f64),
        _ => None,
    }
}

/// The monthly row's cells as the CSV should hold them, from the JSON alone.
fn monthly_cells(row: &MonthlyRow) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let a = &row.activities;
    let mut cells = vec![
        row.physician_name.clone(),
        opt(&row.title),
        opt(&row.specialty),
        opt(&row.hospital),
        row.site_name.clone(),
        row.county.clone(),
    ];
    let numbers = [
        row.credited_days,
        f64::from(row.credited_half_days),
        f64::from(row.qualifying_visits),
        f64::from(row.pending_visits),
    ];
    cells.extend(numbers.iter().map(|n| n.to_string()));
    let activities = [
        a.outpatient,
        a.inpatient,
        a.ward_round,
        a.teaching,
        a.lecture,
        a.case_discussion,
        a.training,
        a.surgery,
        a.teleconsultation,
        a.health_education,
        a.teaching_round,
        a.family_doctor_contract,
        a.public_health_service,
        a.free_clinic,
        a.two_way_referral,
        a.new_technique,
    ];
    cells.extend(activities.iter().map(u64::to_string));
    // 备注: the reason of an eligibility override, blank without one.
    cells.push(
        row.eligibility_override
            .as_ref()
            .map(|r| format!("破格派出：{r}"))
            .unwrap_or_default(),
    );
    cells
}

const MONTHLY_HEADERS: [&str; 27] = [
    "姓名",
    "职称",
    "专业",
    "派出单位",
    "受援单位",
    "县(市、区)",
    "服务天数(天)",
    "服务半天数(个)",
    "有效服务次数(次)",
    "待审核次数(次)",
    "门诊(人次)",
    "住院(人次)",
    "查房(次)",
    "带教(人次)",
    "讲座(次)",
    "病例讨论(次)",
    "培训(人次)",
    "手术(台)",
    "远程会诊(次)",
    "健康宣教(次)",
    "教学查房(次)",
    "家庭医生签约(人)",
    "公共卫生服务(人次)",
    "义诊(人次)",
    "双向转诊(人次)",
    "新技术新项目(项)",
    "备注",
];

#[tokio::test]
async fn the_monthly_report_totals_credit_and_activities_within_each_callers_scope() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let wang = b
        .physician(w.hospital.id, "王立新", "主治医师", "内科")
        .await;
    let li = b
        .physician(w.hospital.id, "李红", "副主任医师", "外科")
        .await;
    for who in [&wang, &li] {
        b.assign(
            who,
            &b.township,
            w.program.id,
            AssignmentMode::Circuit,
            ("2026-01-01", "2026-12-31"),
        )
        .await;
    }
    let other_hospital = b
        .app
        .organization(
            "龙岩市第一医院",
            OrganizationKind::Hospital,
            &w.county,
            None,
        )
        .await;
    let zhao = b
        .physician(other_hospital.id, "赵刚", "主治医师", "儿科")
        .await;
    b.assign(
        &zhao,
        &b.township,
        w.program.id,
        AssignmentMode::Dispatch,
        ("2026-03-01", "2026-03-31"),
    )
    .await;

    // A full day (6.5 h) with an amended outpatient count, a half day, a visit held
    // back by an open mock-location anomaly, and a short creditable visit.
    let full = b
        .visit(&wang, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    b.log(&wang, full, ActivityKind::Outpatient, 12).await;
    b.log(&wang, full, ActivityKind::Outpatient, 15).await;
    b.log(&wang, full, ActivityKind::WardRound, 2).await;
    let half = b
        .visit(&wang, &b.township, at(3, 3, 9, 0), at(3, 3, 12, 30))
        .await;
    b.log(&wang, half, ActivityKind::Teaching, 4).await;
    let pending = b
        .visit_flagged(&wang, &b.township, at(3, 4, 9, 0), at(3, 4, 16, 0), true)
        .await;
    b.log(&wang, pending, ActivityKind::Outpatient, 7).await;
    let short = b
        .visit(&wang, &b.township, at(3, 5, 9, 0), at(3, 5, 10, 0))
        .await;
    b.log(&wang, short, ActivityKind::HealthEducation, 30).await;
    b.visit(&zhao, &b.township, at(3, 6, 9, 0), at(3, 6, 15, 30))
        .await;

    // The supervisor of 龙岩市 gets their city by default.
    let report = w
        .supervisor
        .client
        .monthly_report("month=2026-03")
        .await
        .expect("report");
    assert_eq!(report.jurisdiction_code.as_deref(), Some(w.city.as_str()));
    assert_eq!(report.month, "2026-03");
    assert_eq!(report.rows.len(), 4, "{:#?}", report.rows);
    let row = |id: Uuid| {
        report
            .rows
            .iter()
            .find(|r| r.physician_id == id)
            .expect("row")
    };
    let r = row(wang.user.id);
    assert_eq!((r.credited_days, r.credited_half_days), (1.5, 3));
    assert_eq!((r.qualifying_visits, r.pending_visits), (2, 1));
    assert_eq!(
        r.activities,
        ActivityTotals {
            outpatient: 15,
            ward_round: 2,
            teaching: 4,
            health_education: 30,
            ..ActivityTotals::default()
        }
    );
    assert_eq!(r.title.as_deref(), Some("主治医师"));
    assert_eq!(r.hospital.as_deref(), Some("漳平市医院"));
    assert_eq!(
        (r.site_name.as_str(), r.county.as_str()),
        ("溪南镇卫生院", "漳平市")
    );
    let nothing = row(li.user.id);
    assert_eq!((nothing.credited_days, nothing.qualifying_visits), (0.0, 0));
    assert_eq!(row(zhao.user.id).credited_days, 1.0);

    // Other jurisdictions: nothing of 龙岩 in 泉州's report, and 漳平 is hidden from it.
    let theirs = w
        .other_supervisor
        .client
        .monthly_report("month=2026-03")
        .await
        .expect("report");
    assert!(theirs.rows.is_empty());
    let hidden = w
        .other_supervisor
        .client
        .monthly_report("jurisdiction_code=350881&month=2026-03")
        .await
        .unwrap_err();
    assert_eq!(
        status_of(hidden),
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Admins see everything without a code; the same rows.
    let all = b
        .app
        .admin
        .monthly_report("month=2026-03")
        .await
        .expect("all");
    assert_eq!(all.jurisdiction_code, None);
    assert_eq!(all.rows, report.rows);

    // A hospital admin sees only their own hospital's physicians.
    let own = w
        .hospital_admin
        .client
        .monthly_report("month=2026-03")
        .await
        .expect("own");
    assert_eq!(own.rows.len(), 3);
    assert!(
        own.rows
            .iter()
            .all(|r| r.hospital_id == Some(w.hospital.id))
    );
    // (A clinic administrator sees its own site's: tests/api/clinic.rs.)
    let err = w
        .physician
        .client
        .monthly_report("month=2026-03")
        .await
        .unwrap_err();
    assert_eq!(status_of(err).0, StatusCode::FORBIDDEN);

    // CSV: BOM, CRLF, the form's headers, and the JSON's values.
    let path = "/api/v1/reports/monthly?month=2026-03";
    let csv = b.raw(&w.supervisor.client, path, Some(CSV)).await;
    assert_eq!(
        csv.content_disposition.as_deref(),
        Some("attachment; filename=\"monthly-350800-2026-03.csv\"")
    );
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers[0], "序号");
    assert_eq!(headers[1..], MONTHLY_HEADERS);
    // The data rows (numbered) are the JSON's rows, grouped by hospital.
    let data: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0].parse::<u32>().is_ok())
        .collect();
    assert_eq!(data.len(), report.rows.len());
    for json_row in &report.rows {
        let cells = monthly_cells(json_row);
        assert!(
            data.iter().any(|r| r[1..] == cells[..]),
            "{cells:?} in {data:?}"
        );
    }

    // XLSX, asked for with ?format= over an Accept of CSV: title, headers, values.
    let xlsx = b
        .raw(
            &w.supervisor.client,
            &format!("{path}&format=xlsx"),
            Some(CSV),
        )
        .await;
    assert_eq!(
        xlsx.content_disposition.as_deref(),
        Some("attachment; filename=\"monthly-350800-2026-03.xlsx\"")
    );
    let (sheet, _) = parse_xlsx(&xlsx);
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援工作量月报表");
    // Title, scope, the five lines of the header block, then the header.
    let header_row = 7;
    let sheet_headers: Vec<String> = (1..28).map(|c| cell_text(&sheet, header_row, c)).collect();
    assert_eq!(sheet_headers, MONTHLY_HEADERS);
    for json_row in &report.rows {
        let at_row = (header_row + 1..header_row + 12)
            .find(|&r| {
                cell_text(&sheet, r, 1) == json_row.physician_name
                    && cell_number(&sheet, r, 0).is_some()
            })
            .expect("the row in the sheet");
        assert_eq!(cell_number(&sheet, at_row, 7), Some(json_row.credited_days));
        assert_eq!(
            cell_number(&sheet, at_row, 11),
            Some(json_row.activities.outpatient as f64)
        );
        assert_eq!(
            cell_number(&sheet, at_row, 20),
            Some(json_row.activities.health_education as f64)
        );
    }

    // Format negotiation and parameter errors.
    let json = b.raw(&w.supervisor.client, path, None).await;
    assert!(json.content_type.starts_with("application/json"));
    assert!(json.content_disposition.is_none());
    let forced = b
        .raw(
            &w.supervisor.client,
            &format!("{path}&format=csv"),
            Some(XLSX),
        )
        .await;
    assert!(forced.content_type.starts_with("text/csv"));
    for (query, code) in [
        ("month=2026-03&format=pdf", StatusCode::BAD_REQUEST),
        ("", StatusCode::BAD_REQUEST),
        ("month=2026-13", StatusCode::BAD_REQUEST),
        (
            "month=2026-03&jurisdiction_code=abc",
            StatusCode::BAD_REQUEST,
        ),
        (
            "month=2026-03&jurisdiction_code=999999",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let err = b.app.admin.monthly_report(query).await.unwrap_err();
        let (status, problem) = status_of(err);
        assert_eq!(status, code, "{query}");
        if code == StatusCode::BAD_REQUEST {
            assert_eq!(problem, "invalid_request", "{query}");
        }
    }
}

#[tokio::test]
async fn compliance_judges_weeks_across_month_ends_and_each_sites_own_midnight() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let program = b
        .app
        .admin
        .create_program(&CreateProgram {
            name: "中站区巡诊（测试）".into(),
            jurisdiction_code: w.county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![
                Requirement {
                    min_half_days: Some(3),
                    ..requirement(RequirementPeriod::Week)
                },
                Requirement {
                    min_days: Some(1.0),
                    ..requirement(RequirementPeriod::Month)
                },
                Requirement {
                    min_half_days: Some(2),
                    activity: Some(ActivityKind::Outpatient),
                    ..requirement(RequirementPeriod::Month)
                },
                Requirement {
                    min_visits: Some(1),
                    min_days_served: None,
                    min_working_days: None,
                    min_activity_count: None,
                    activity: Some(ActivityKind::Training),
                    ..requirement(RequirementPeriod::Month)
                },
            ],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let wang = b
        .physician(w.hospital.id, "王立新", "主治医师", "内科")
        .await;
    let weekly = b
        .assign(
            &wang,
            &b.township,
            program.id,
            AssignmentMode::Circuit,
            ("2026-02-01", "2026-06-30"),
        )
        .await;
    // A site in another time zone (UTC+6): its day ends two hours after Shanghai's.
    let west = b
        .site(
            "西部卫生院",
            OrganizationKind::TownshipHealthCenter,
            &w.county,
            (25.3300, 117.4500),
            Some("Asia/Urumqi"),
        )
        .await;
    let ma = b.physician(w.hospital.id, "马丽", "主治医师", "全科").await;
    let western = b
        .assign(
            &ma,
            &west,
            w.program.id,
            AssignmentMode::Dispatch,
            ("2026-03-01", "2026-04-30"),
        )
        .await;

    let first = b
        .visit(&wang, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    b.log(&wang, first, ActivityKind::Training, 5).await;
    let second = b
        .visit(&wang, &b.township, at(3, 3, 9, 0), at(3, 3, 12, 30))
        .await;
    b.log(&wang, second, ActivityKind::Outpatient, 20).await;
    // 09:00-12:30 on 31 March in Urumqi: half a day, on the month's last day.
    b.visit(&ma, &west, at(3, 31, 11, 0), at(3, 31, 14, 30))
        .await;

    let row_of = |report: &ComplianceReport, assignment: Uuid, index: usize| {
        report
            .rows
            .iter()
            .filter(|r| r.assignment_id == assignment)
            .nth(index)
            .cloned()
            .expect("row")
    };
    let query = "jurisdiction_code=350881&period=2026-03";
    // 01:00 on 1 April in Shanghai is still 23:00 on 31 March in Urumqi.
    b.app.clock.set(at(4, 1, 1, 0));
    let report = b.app.admin.compliance_report(query).await.expect("report");
    let west_row = row_of(&report, western.id, 0);
    assert_eq!((west_row.required, west_row.credited), (1.0, 0.5));
    assert_eq!(
        west_row.status,
        Progress::AtRisk,
        "Urumqi's March is not over"
    );
    let idle = row_of(&report, w.assignment.id, 0);
    assert_eq!(idle.status, Progress::Missed, "Shanghai's March is over");
    assert_eq!(idle.requirement_zh, "每月不少于1天");
    b.app.clock.set(at(4, 1, 3, 0));
    let report = b.app.admin.compliance_report(query).await.expect("report");
    assert_eq!(row_of(&report, western.id, 0).status, Progress::Missed);

    // The half day of 31 March in Urumqi is March's, not April's.
    let march = b
        .app
        .admin
        .monthly_report("month=2026-03")
        .await
        .expect("march");
    let april = b
        .app
        .admin
        .monthly_report("month=2026-04")
        .await
        .expect("april");
    let credited = |r: &MonthlyReport| {
        r.rows
            .iter()
            .find(|row| row.physician_id == ma.user.id)
            .map(|row| row.credited_days)
    };
    assert_eq!((credited(&march), credited(&april)), (Some(0.5), Some(0.0)));

    // The week of 30 March to 5 April is cut at the month's end: March's
    // report judges its two March days only, pro rata, not its April days.
    b.visit(&wang, &b.township, at(4, 1, 8, 30), at(4, 1, 15, 0))
        .await;
    b.visit(&wang, &b.township, at(4, 2, 9, 0), at(4, 2, 12, 30))
        .await;
    b.app.clock.set(at(4, 2, 17, 0));
    let report = b.app.admin.compliance_report(query).await.expect("report");
    let week = row_of(&report, weekly.id, 0);
    assert_eq!(week.requirement_zh, "每周不少于3个半天");
    assert_eq!(week.periods.len(), 6);
    let spans: Vec<(String, String)> = week
        .periods
        .iter()
        .map(|p| (p.start.to_string(), p.end.to_string()))
        .collect();
    assert_eq!(spans[0], ("2026-03-01".into(), "2026-03-01".into()));
    assert_eq!(spans[5], ("2026-03-30".into(), "2026-03-31".into()));
    let statuses: Vec<Progress> = week.periods.iter().map(|p| p.status).collect();
    use Progress::{Met, Missed};
    // 1 March alone asks 3 x 1/7, nothing; 30-31 March 3 x 2/7, one half-day.
    assert_eq!(statuses, [Met, Met, Missed, Missed, Missed, Missed]);
    let asked: Vec<f64> = week.periods.iter().map(|p| p.required).collect();
    assert_eq!(asked, [0.0, 3.0, 3.0, 3.0, 3.0, 1.0]);
    assert_eq!(week.periods[5].credited, 0.0, "April's days are April's");
    assert_eq!(
        (week.required, week.credited, week.status),
        (13.0, 3.0, Missed)
    );
    assert_eq!(
        (week.period_start.to_string(), week.period_end.to_string()),
        ("2026-03-01".into(), "2026-03-31".into())
    );
    // April's report judges the rest of that week on its April days.
    let april_report = b
        .app
        .admin
        .compliance_report("jurisdiction_code=350881&period=2026-04")
        .await
        .expect("april");
    let april_week = row_of(&april_report, weekly.id, 0);
    let first = &april_week.periods[0];
    assert_eq!(
        (first.start.to_string(), first.end.to_string()),
        ("2026-04-01".into(), "2026-04-05".into())
    );
    assert_eq!(
        (first.required, first.credited, first.status),
        (2.0, 3.0, Met)
    );
    let month = row_of(&report, weekly.id, 1);
    assert_eq!((month.credited, month.status), (1.5, Met));
    assert_eq!(month.periods.len(), 1);
    let outpatient = row_of(&report, weekly.id, 2);
    assert_eq!(outpatient.requirement_zh, "每月门诊不少于2个半天");
    assert_eq!((outpatient.credited, outpatient.status), (1.0, Missed));
    let training = row_of(&report, weekly.id, 3);
    assert_eq!((training.credited, training.status), (1.0, Met));

    // The CSV carries the same rows, statuses in Chinese.
    let csv = b
        .raw(
            &b.app.admin,
            &format!("/api/v1/reports/compliance?{query}&format=csv"),
            None,
        )
        .await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers[..2], ["序号", "姓名"]);
    assert_eq!(headers[11], "完成情况");
    // 备注 last: the reason of an eligibility override, blank without one.
    assert_eq!(headers.last().map(String::as_str), Some("备注"));
    let numbered = rows.iter().filter(|r| r[0].parse::<u32>().is_ok()).count();
    assert_eq!(numbered, report.rows.len());
    let csv_week = rows
        .iter()
        .find(|r| r[6] == "每周不少于3个半天")
        .expect("weekly row");
    assert_eq!(
        (
            csv_week[9].as_str(),
            csv_week[10].as_str(),
            csv_week[11].as_str()
        ),
        ("13", "3", "未达标")
    );
}

const COUNTY_HEADERS: [&str; 19] = [
    "按县(市、区)分列",
    "巡诊村数(个)",
    "派驻村数(个)",
    "参与巡诊、派驻医务人员数(人)",
    "巡诊、派驻诊疗服务量(人次)",
    "配备巡诊车辆(辆)",
    "搭建远程医疗协作网村数(个)",
    "派驻基层医疗卫生机构数(个)",
    "派驻医务人员数(人)",
    "派驻公共卫生人员数(人)",
    "帮扶达到基本标准机构数(个)",
    "帮扶建立县域次中心机构数(个)",
    "帮扶提升公卫服务机构数(个)",
    "参与县域巡回服务医务人员数(人)",
    "诊疗量(人次)",
    "开展病例讨论(次)",
    "开展教学查房(次)",
    "开展学术讲座(次)",
    "开展业务培训(人次)",
];

/// A county row's 18 figures in the form's column order (`None` = not recorded).
fn county_figures(r: &CountyRow) -> Vec<Option<f64>> {
    let n = |v: u32| Some(f64::from(v));
    let big = |v: u64| Some(v as f64);
    let fact = |v: Option<u32>| v.map(f64::from);
    vec![
        n(r.village_circuit_villages),
        n(r.village_dispatch_villages),
        n(r.village_staff),
        big(r.village_patient_visits),
        fact(r.circuit_vehicles),
        fact(r.telemedicine_villages),
        n(r.township_dispatch_institutions),
        n(r.township_dispatch_staff),
        n(r.township_public_health_staff),
        fact(r.standard_reached_institutions),
        fact(r.subcenter_institutions),
        fact(r.public_health_improved_institutions),
        n(r.county_circuit_staff),
        big(r.county_circuit_patient_visits),
        big(r.case_discussions),
        big(r.teaching_rounds),
        big(r.lectures),
        big(r.training_attendances),
    ]
}

#[tokio::test]
async fn county_statistics_derive_the_forms_columns_and_take_recorded_facts() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    let village = b
        .site(
            "溪南村卫生室",
            OrganizationKind::VillageClinic,
            &w.county,
            (25.3010, 117.4220),
            None,
        )
        .await;
    let cdc = b
        .app
        .organization(
            "漳平市疾病预防控制中心",
            OrganizationKind::Cdc,
            &w.county,
            None,
        )
        .await;
    let range = ("2026-01-01", "2026-12-31");
    let circuit = AssignmentMode::Circuit;
    let dispatch = AssignmentMode::Dispatch;
    let a = b.physician(w.hospital.id, "陈志", "主治医师", "内科").await;
    b.assign(&a, &b.township, w.program.id, circuit, range)
        .await;
    let v = b.physician(w.hospital.id, "林芳", "主治医师", "全科").await;
    b.assign(&v, &village, w.program.id, circuit, range).await;
    let c = b.physician(cdc.id, "黄强", "主管医师", "公共卫生").await;
    b.assign(&c, &b.township, w.program.id, dispatch, range)
        .await;
    let d = b.physician(w.hospital.id, "吴敏", "住院医师", "内科").await;
    b.assign(&d, &village, w.program.id, dispatch, range).await;

    let visit = b
        .visit(&a, &b.township, at(3, 2, 8, 30), at(3, 2, 15, 0))
        .await;
    for (kind, count) in [
        (ActivityKind::Outpatient, 10),
        (ActivityKind::CaseDiscussion, 1),
        (ActivityKind::Lecture, 1),
        (ActivityKind::Training, 20),
    ] {
        b.log(&a, visit, kind, count).await;
    }
    let visit = b
        .visit(&v, &village, at(3, 3, 8, 30), at(3, 3, 12, 0))
        .await;
    b.log(&v, visit, ActivityKind::Outpatient, 5).await;
    b.log(&v, visit, ActivityKind::TeachingRound, 2).await;
    let visit = b
        .visit(&c, &b.township, at(3, 4, 8, 30), at(3, 4, 15, 0))
        .await;
    b.log(&c, visit, ActivityKind::Outpatient, 3).await;
    // Rounds on a dispatch posting are teaching rounds as a circuit's are.
    b.log(&c, visit, ActivityKind::TeachingRound, 3).await;
    // An ordinary ward round (查房) is not a teaching round (教学查房).
    b.log(&c, visit, ActivityKind::WardRound, 4).await;
    // One hour: creditable, so its patients count, but no day is credited.
    let visit = b.visit(&d, &village, at(3, 5, 9, 0), at(3, 5, 10, 0)).await;
    b.log(&d, visit, ActivityKind::Outpatient, 4).await;

    let query = "jurisdiction_code=350800&year=2026";
    let stats = b.app.admin.county_statistics(query).await.expect("stats");
    assert_eq!(stats.jurisdiction_name, "龙岩市");
    assert_eq!(stats.rows.len(), 1, "only 漳平市 lies under 龙岩市");
    let row = &stats.rows[0];
    assert_eq!(
        (row.county_code.as_str(), row.county_name.as_str()),
        ("350881", "漳平市")
    );
    let expected: Vec<Option<f64>> = [
        Some(1.0), // 巡诊村数: the village with credited circuit service
        Some(0.0), // 派驻村数: the dispatch there credited nothing
        Some(1.0), // village staff
        Some(9.0), // village patients: 5 + 4
        None,      // vehicles: not recorded
        None,      // telemedicine villages
        Some(1.0), // township dispatch institutions
        Some(1.0), // township dispatch staff
        Some(1.0), // of them public health (from the CDC)
        None,
        None,
        None,
        // The village circuit is group 1's only, not also group 3's.
        Some(1.0),  // hospital physicians credited on circuit outside villages
        Some(10.0), // their patients
        Some(1.0),  // case discussions
        Some(5.0),  // teaching ward rounds: 2 on circuit + 3 on dispatch
        Some(1.0),  // lectures
        Some(20.0), // training attendances
    ]
    .to_vec();
    assert_eq!(county_figures(row), expected);

    // Recording the facts the attendance data cannot know.
    let facts = SetCountyFacts {
        jurisdiction_code: "350881".into(),
        year: 2026,
        circuit_vehicles: Some(3),
        telemedicine_villages: Some(5),
        standard_reached_institutions: Some(1),
        subcenter_institutions: None,
        public_health_improved_institutions: Some(2),
    };
    let recorded = w
        .supervisor
        .client
        .set_county_facts(&facts)
        .await
        .expect("facts");
    assert_eq!(recorded.recorded_by, w.supervisor.user.id);
    assert_eq!(recorded.circuit_vehicles, Some(3));
    let refused = [
        (
            &w.other_supervisor.client,
            facts.clone(),
            StatusCode::NOT_FOUND,
        ),
        (
            &w.hospital_admin.client,
            facts.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            &b.app.admin,
            SetCountyFacts {
                jurisdiction_code: "350800".into(),
                ..facts.clone()
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            &b.app.admin,
            SetCountyFacts {
                year: 1999,
                ..facts.clone()
            },
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (client, body, status) in refused {
        let err = client.set_county_facts(&body).await.unwrap_err();
        assert_eq!(status_of(err).0, status, "{body:?}");
    }
    let (status, audit) = b
        .app
        .send(
            &b.app.admin,
            Method::GET,
            "/api/v1/audit?object_type=county_facts",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit["items"][0]["action"], "county_facts.set");
    assert_eq!(audit["items"][0]["object_id"], "350881/2026");

    let stats = b.app.admin.county_statistics(query).await.expect("stats");
    let figures = county_figures(&stats.rows[0]);
    assert_eq!(
        (figures[4], figures[5], figures[9], figures[10], figures[11]),
        (Some(3.0), Some(5.0), Some(1.0), None, Some(2.0))
    );

    // Every county for an admin without a code; 丰泽区 served by nobody.
    let all = b
        .app
        .admin
        .county_statistics("year=2026")
        .await
        .expect("all");
    let codes: Vec<&str> = all.rows.iter().map(|r| r.county_code.as_str()).collect();
    assert_eq!(codes, ["350503", "350881"]);
    assert!(
        county_figures(&all.rows[0])
            .iter()
            .all(|f| matches!(f, Some(0.0) | None))
    );

    // A hospital admin: their physicians only, and no county-wide facts.
    let own = w
        .hospital_admin
        .client
        .county_statistics("year=2026")
        .await
        .expect("own");
    assert_eq!(own.rows.len(), 1);
    assert_eq!(
        (
            own.rows[0].township_dispatch_staff,
            own.rows[0].county_circuit_staff
        ),
        (0, 1)
    );
    assert_eq!(own.rows[0].circuit_vehicles, None);

    // CSV: the form's 19 headers, the row's figures, and a 合计 row.
    let path = format!("/api/v1/reports/county-statistics?{query}");
    let csv = b.raw(&b.app.admin, &path, Some(CSV)).await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers, COUNTY_HEADERS);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "漳平市");
    assert_eq!(rows[1][0], "合计");
    let json = county_figures(&stats.rows[0]);
    for (index, figure) in json.iter().enumerate() {
        let parsed = Some(rows[0][index + 1].as_str())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f64>().expect("number"));
        assert_eq!(parsed, *figure, "column {}", COUNTY_HEADERS[index + 1]);
        assert_eq!(
            rows[1][index + 1],
            rows[0][index + 1],
            "one county: totals equal it"
        );
    }

    // XLSX: the title, the three groups merged over six columns each, the leaf
    // headers below them, then the county and 合计.
    let xlsx = b.raw(&b.app.admin, &path, Some(XLSX)).await;
    let (sheet, merged) = parse_xlsx(&xlsx);
    assert_eq!(
        cell_text(&sheet, 0, 0),
        "设区市县域巡回医疗和派驻服务工作量统计表"
    );
    // The form's 填报单位, 联系人 and 联系电话 lines, then the header.
    assert!(cell_text(&sheet, 2, 0).starts_with("填报单位："));
    assert!(cell_text(&sheet, 3, 0).starts_with("联系人："));
    assert!(cell_text(&sheet, 4, 0).starts_with("联系电话："));
    let top = 5;
    assert_eq!(cell_text(&sheet, top, 0), COUNTY_HEADERS[0]);
    for (group, label) in [
        "村级巡诊、派驻服务开展情况",
        "乡级派驻服务开展情况",
        "县域巡回医疗服务开展情况",
    ]
    .iter()
    .enumerate()
    {
        let first = 1 + 6 * group as u32;
        assert_eq!(cell_text(&sheet, top, first), *label);
        assert!(
            merged
                .iter()
                .any(|m| m.start == (top, first) && m.end == (top, first + 5)),
            "group {label} merged: {merged:?}"
        );
    }
    assert!(
        merged
            .iter()
            .any(|m| m.start == (top, 0) && m.end == (top + 1, 0))
    );
    let leaf: Vec<String> = (1..19).map(|c| cell_text(&sheet, top + 1, c)).collect();
    assert_eq!(leaf, COUNTY_HEADERS[1..]);
    assert_eq!(cell_text(&sheet, top + 2, 0), "漳平市");
    for (index, figure) in json.iter().enumerate() {
        assert_eq!(cell_number(&sheet, top + 2, index as u32 + 1), *figure);
    }
    assert_eq!(cell_text(&sheet, top + 3, 0), "合计");
}

#[tokio::test]
async fn the_service_record_adds_up_postings_and_finds_the_longest_span() {
    let b = Bureau::open(at(1, 5, 8, 0)).await;
    let w = &b.world;
    let me = &w.physician;
    let other = Post {
        org: w.other_site.clone(),
        kiosk: {
            let kiosk = b
                .app
                .admin
                .enroll_kiosk(w.other_site.id, &EnrollKiosk::default())
                .await
                .expect("kiosk");
            b.app.client(&kiosk.token)
        },
        lat: 24.90,
        lon: 118.62,
    };
    let fengze = b
        .app
        .admin
        .create_program(&CreateProgram {
            name: "丰泽区千名医师下基层".into(),
            jurisdiction_code: w.other_county.clone(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![Requirement {
                min_days: Some(1.0),
                ..requirement(RequirementPeriod::Month)
            }],
            eligibility: Default::default(),
        })
        .await
        .expect("program");
    let posting = b
        .assign(
            me,
            &other,
            fengze.id,
            AssignmentMode::Dispatch,
            ("2026-05-01", "2026-05-31"),
        )
        .await;
    // 漳平: January, February, March, then a gap, then June; 丰泽 in May.
    b.visit(me, &b.township, at(1, 15, 8, 30), at(1, 15, 15, 0))
        .await;
    b.visit(me, &b.township, at(2, 10, 9, 0), at(2, 10, 12, 30))
        .await;
    b.visit(me, &b.township, at(3, 5, 8, 30), at(3, 5, 15, 0))
        .await;
    b.visit(me, &other, at(5, 6, 8, 30), at(5, 6, 15, 0)).await;
    b.visit(me, &b.township, at(6, 2, 9, 0), at(6, 2, 12, 30))
        .await;

    let record = b
        .app
        .admin
        .service_record(me.user.id)
        .await
        .expect("record");
    assert_eq!(record.physician.id, me.user.id);
    assert_eq!(record.physician.hospital.as_deref(), Some("漳平市医院"));
    assert_eq!(record.postings.len(), 2);
    let home = &record.postings[0];
    assert_eq!(home.assignment_id, w.assignment.id);
    assert_eq!(
        (
            home.credited_days,
            home.credited_half_days,
            home.qualifying_visits
        ),
        (3.0, 6, 4)
    );
    assert_eq!(
        (
            home.first_credited.map(|d| d.to_string()),
            home.last_credited.map(|d| d.to_string())
        ),
        (Some("2026-01-15".into()), Some("2026-06-02".into()))
    );
    let away = &record.postings[1];
    assert_eq!((away.assignment_id, away.credited_days), (posting.id, 1.0));
    assert_eq!(
        (away.county.as_str(), away.mode),
        ("丰泽区", AssignmentMode::Dispatch)
    );
    assert_eq!(record.cumulative_credited_days, 4.0);
    assert_eq!(record.active_months, 5);
    let span = record.longest_span.clone().expect("a span");
    assert_eq!((span.site_id, span.months), (w.site.id, 3));
    assert_eq!(
        (
            span.first_day.to_string(),
            span.last_day.to_string(),
            span.calendar_days
        ),
        ("2026-01-15".into(), "2026-03-05".into(), 50)
    );

    // Who may read it.
    let path = format!("/api/v1/physicians/{}/service-record", me.user.id);
    for allowed in [&me.client, &w.hospital_admin.client, &w.supervisor.client] {
        assert_eq!(
            allowed.service_record(me.user.id).await.expect("allowed"),
            record
        );
    }
    // 泉州's bureau, where the physician only served in May, sees that posting alone.
    let theirs = w
        .other_supervisor
        .client
        .service_record(me.user.id)
        .await
        .expect("the posting in their jurisdiction");
    assert_eq!(
        theirs
            .postings
            .iter()
            .map(|p| p.assignment_id)
            .collect::<Vec<_>>(),
        vec![posting.id]
    );
    assert_eq!(
        (theirs.cumulative_credited_days, theirs.active_months),
        (1.0, 1)
    );
    assert_eq!(
        theirs.longest_span.map(|s| s.site_id),
        Some(w.other_site.id)
    );
    b.app
        .jurisdiction("350600", "漳州市", JurisdictionLevel::City, Some("350000"))
        .await;
    let elsewhere = b.app.person(Role::Supervisor, None, Some("350600")).await;
    let stranger_hospital = b
        .app
        .organization("厦门市医院", OrganizationKind::Hospital, &w.county, None)
        .await;
    let stranger_admin = b
        .app
        .person(Role::HospitalAdmin, Some(stranger_hospital.id), None)
        .await;
    let colleague = b
        .app
        .person(Role::Physician, Some(w.hospital.id), None)
        .await;
    for (client, status) in [
        (&elsewhere.client, StatusCode::NOT_FOUND),
        (&stranger_admin.client, StatusCode::NOT_FOUND),
        (&colleague.client, StatusCode::NOT_FOUND),
        (&w.clinic_admin.client, StatusCode::FORBIDDEN),
    ] {
        let err = client.service_record(me.user.id).await.unwrap_err();
        assert_eq!(status_of(err).0, status);
    }
    for unknown in [Uuid::new_v4(), w.supervisor.user.id] {
        let err = b.app.admin.service_record(unknown).await.unwrap_err();
        assert_eq!(status_of(err).0, StatusCode::NOT_FOUND);
    }

    // As a spreadsheet: one line per posting and the total.
    let csv = b.raw(&me.client, &path, Some(CSV)).await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers[0], "受援单位");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[0][0].as_str(), rows[0][6].as_str()),
        ("溪南镇卫生院", "3")
    );
    assert_eq!((rows[2][0].as_str(), rows[2][6].as_str()), ("合计", "4"));
    let xlsx = b
        .raw(&me.client, &format!("{path}?format=xlsx"), None)
        .await;
    let (sheet, _) = parse_xlsx(&xlsx);
    assert_eq!(cell_text(&sheet, 0, 0), "对口支援工作医师考核登记表");
    assert!(cell_text(&sheet, 1, 0).contains("最长连续服务：3个月"));
    assert_eq!(cell_number(&sheet, 5, 6), Some(4.0));
}

/// Names a user could type that a spreadsheet would run as formulas (OWASP's CSV
/// injection examples), in a county of their own: its name, a hospital, a clinic, a
/// physician and her specialty, with one credited visit in March 2026.
struct FormulaNames {
    bureau: Bureau,
    physician: Person,
    county: &'static str,
}

const FORMULA_COUNTY: &str = "=HYPERLINK(\"http://x\",\"y\")";
const FORMULA_HOSPITAL: &str = "=cmd|' /C calc'!A0";
const FORMULA_SITE: &str = "@SUM(1)";
const FORMULA_PHYSICIAN: &str = "+SUM(1)";
const FORMULA_SPECIALTY: &str = "-2+3";

impl FormulaNames {
    async fn open() -> FormulaNames {
        let b = Bureau::open(at(3, 2, 8, 0)).await;
        let county = "350882";
        b.app
            .jurisdiction(
                county,
                FORMULA_COUNTY,
                JurisdictionLevel::County,
                Some(&b.world.city),
            )
            .await;
        let hospital = b
            .app
            .organization(FORMULA_HOSPITAL, OrganizationKind::Hospital, county, None)
            .await;
        let site = b
            .site(
                FORMULA_SITE,
                OrganizationKind::TownshipHealthCenter,
                county,
                (25.2500, 117.3500),
                None,
            )
            .await;
        let program = b
            .app
            .admin
            .create_program(&CreateProgram {
                name: "公式县巡诊".into(),
                jurisdiction_code: county.into(),
                half_day_minutes: None,
                full_day_minutes: None,
                requirements: vec![Requirement {
                    min_days: Some(1.0),
                    ..requirement(RequirementPeriod::Month)
                }],
                eligibility: Default::default(),
            })
            .await
            .expect("program");
        let physician = b
            .physician(
                hospital.id,
                FORMULA_PHYSICIAN,
                "主治医师",
                FORMULA_SPECIALTY,
            )
            .await;
        b.assign(
            &physician,
            &site,
            program.id,
            AssignmentMode::Circuit,
            ("2026-01-01", "2026-12-31"),
        )
        .await;
        b.visit(&physician, &site, at(3, 2, 8, 30), at(3, 2, 15, 0))
            .await;
        FormulaNames {
            bureau: b,
            physician,
            county,
        }
    }

    async fn csv(&self, path: &str) -> Vec<Vec<String>> {
        let raw = self
            .bureau
            .raw(&self.bureau.app.admin, path, Some(CSV))
            .await;
        let form = parse_form_csv(&raw);
        let preamble: Vec<Vec<String>> = form
            .preamble
            .iter()
            .map(|(label, value)| vec![label.clone(), value.clone()])
            .collect();
        assert_cells_run_no_formula(
            preamble
                .iter()
                .chain(std::iter::once(&form.headers))
                .chain(&form.rows),
        );
        form.rows
    }
}

/// No cell starts as a formula would; numbers (a negative one included) are numbers.
fn assert_cells_run_no_formula<'a>(rows: impl Iterator<Item = &'a Vec<String>>) {
    for row in rows {
        for cell in row {
            let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            assert!(
                !formula || cell.parse::<f64>().is_ok(),
                "{cell:?} in {row:?}"
            );
        }
    }
}

/// The cell as a spreadsheet should receive it: the typed text after a `'`.
fn quoted(name: &str) -> String {
    format!("'{name}")
}

#[tokio::test]
async fn the_monthly_csv_writes_formula_names_as_text() {
    let f = FormulaNames::open().await;
    // A 填报人 typed as a formula is written as text in the header block too.
    let rows = f
        .csv("/api/v1/reports/monthly?month=2026-03&filled_by=%3DSUM(1)")
        .await;
    let row = rows
        .iter()
        .find(|r| r.get(1) == Some(&quoted(FORMULA_PHYSICIAN)))
        .expect("the physician's row");
    assert_eq!(
        row[1..7],
        [
            quoted(FORMULA_PHYSICIAN),
            "主治医师".to_owned(),
            quoted(FORMULA_SPECIALTY),
            quoted(FORMULA_HOSPITAL),
            quoted(FORMULA_SITE),
            quoted(FORMULA_COUNTY),
        ]
    );
    assert_eq!(row[7], "1", "credited days stay a number");
    // The hospital's 小计 names it as typed, too.
    assert!(
        rows.iter()
            .any(|r| r[0] == "小计" && r[4] == quoted(FORMULA_HOSPITAL)),
        "{rows:?}"
    );
}

#[tokio::test]
async fn the_compliance_csv_writes_formula_names_as_text() {
    let f = FormulaNames::open().await;
    let rows = f
        .csv(&format!(
            "/api/v1/reports/compliance?jurisdiction_code={}&period=2026-03",
            f.county
        ))
        .await;
    assert_eq!(rows.len(), 2, "the requirement and the 合计: {rows:?}");
    assert_eq!(rows[0][1], quoted(FORMULA_PHYSICIAN));
    assert_eq!(rows[1][0], "合计");
    for name in [FORMULA_SITE, FORMULA_COUNTY] {
        assert!(rows[0].contains(&quoted(name)), "{name} in {:?}", rows[0]);
    }
}

#[tokio::test]
async fn the_county_statistics_csv_writes_formula_names_as_text() {
    let f = FormulaNames::open().await;
    let rows = f
        .csv(&format!(
            "/api/v1/reports/county-statistics?jurisdiction_code={}&year=2026",
            f.bureau.world.city
        ))
        .await;
    assert!(
        rows.iter().any(|r| r[0] == quoted(FORMULA_COUNTY)),
        "the county's row in {rows:?}"
    );
    assert_eq!(rows.last().map(|r| r[0].as_str()), Some("合计"));
}

#[tokio::test]
async fn the_service_record_csv_writes_formula_names_as_text() {
    let f = FormulaNames::open().await;
    let rows = f
        .csv(&format!(
            "/api/v1/physicians/{}/service-record",
            f.physician.user.id
        ))
        .await;
    assert_eq!(rows[0][0], quoted(FORMULA_SITE), "{rows:?}");
    assert_eq!(rows.last().map(|r| r[0].as_str()), Some("合计"));
}

#[tokio::test]
async fn a_deactivated_physicians_visits_still_count() {
    let b = Bureau::open(at(3, 2, 8, 0)).await;
    let w = &b.world;
    b.visit(&w.physician, &b.township, at(3, 3, 8, 30), at(3, 3, 15, 0))
        .await;
    let before = w
        .supervisor
        .client
        .monthly_report("jurisdiction_code=350881&month=2026-03")
        .await
        .expect("report");
    let path = format!("/api/v1/users/{}", w.physician.user.id);
    let (status, body) = b
        .app
        .send(
            &w.hospital_admin.client,
            Method::PATCH,
            &path,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut after = w
        .supervisor
        .client
        .monthly_report("jurisdiction_code=350881&month=2026-03")
        .await
        .expect("report");
    let row = after
        .rows
        .iter()
        .find(|r| r.physician_id == w.physician.user.id)
        .expect("the deactivated physician's row");
    assert_eq!(row.credited_days, 1.0);
    after.generated_at = before.generated_at;
    assert_eq!(after, before, "deactivation changes no figure");
    let record = w
        .supervisor
        .client
        .service_record(w.physician.user.id)
        .await
        .expect("record");
    assert_eq!(record.cumulative_credited_days, 1.0);
}
