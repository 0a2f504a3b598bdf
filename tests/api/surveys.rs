//! Satisfaction surveys (满意度测评): people served registered by the clinic, masked in
//! every list and download, sealed in the database; the sample drawn again from its
//! seed gives the same people; the call sheet reveals phones and is audited; the
//! report's figures follow the calls; closing plus the retention erases the PII.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Duration, NaiveDate};
use mobile_api::client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xiaxiang_server::App;
use xiaxiang_server::scheduler::run_once;
use xiaxiang_server::service::surveys::physician_satisfaction;

use crate::helpers::*;

const NAMES: [&str; 8] = [
    "陈秀英",
    "林建国",
    "黄桂兰",
    "郑志强",
    "吴淑珍",
    "刘德华",
    "张玉梅",
    "王长福",
];

/// Eight distinct numbers: seven mobiles and a landline.
fn phones(prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = (0..7).map(|i| format!("{prefix}{:04}", 4100 + i)).collect();
    out.push("0597-7512345".to_owned());
    out
}

/// The digits a phone is stored and revealed as.
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    app.send(client, Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    app.send(client, Method::GET, path, None).await
}

async fn raw(client: &Client, path: &str) -> (StatusCode, Vec<u8>) {
    let response = client
        .request(Method::GET, path)
        .send()
        .await
        .expect("server answers");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

fn people_body(world: &World, names: &[&str], phones: &[String], day: &str) -> Value {
    json!({"people": names.iter().zip(phones).map(|(name, phone)| json!({
        "name": name,
        "phone": phone,
        "service_date": day,
        "physician_id": world.physician.user.id,
    })).collect::<Vec<_>>()})
}

/// A supervisor's February round over the world's county; answers its path.
async fn february_round(app: &TestApp, world: &World) -> String {
    let (_, round) = post(
        app,
        &world.supervisor.client,
        "/api/v1/survey-rounds",
        json!({"jurisdiction_code": world.county, "period": "2026-02", "sample_size": 80}),
    )
    .await;
    format!(
        "/api/v1/survey-rounds/{}",
        round["id"].as_str().expect("id")
    )
}

/// [`people_body`] with each person served at the world's site (a supervisor names it).
fn people_at_site(world: &World, names: &[&str], phones: &[String], day: &str) -> Value {
    let mut body = people_body(world, names, phones, day);
    for person in body["people"].as_array_mut().expect("rows") {
        person["site_id"] = json!(world.site.id);
    }
    body
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every text the database holds in the survey tables and the audit log, and with
/// `raw_file` on SQLite the raw bytes of the file and its WAL.
async fn stored_text(app: &TestApp, raw_file: bool) -> String {
    let sql = "SELECT COALESCE(name_sealed, '') || '|' || COALESCE(phone_sealed, '') || '|' || \
        COALESCE(phone_hash, '') || '|' || name_masked || '|' || phone_masked || '|' || \
        COALESCE(note, '') FROM survey_people \
        UNION ALL SELECT COALESCE(before, '') || '|' || COALESCE(after, '') FROM audit_log";
    let url = app.db.url();
    let mut text = String::new();
    let rows: Vec<String> = if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        let file = url.trim_start_matches("sqlite://").to_owned();
        let files = if raw_file {
            vec![file.clone(), format!("{file}-wal")]
        } else {
            Vec::new()
        };
        for path in files {
            if let Ok(bytes) = std::fs::read(&path) {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        rows
    };
    text.push_str(&rows.join("\n"));
    text
}

async fn sealed_columns(app: &TestApp) -> Vec<(Option<String>, Option<String>, String)> {
    let sql = "SELECT name_sealed, phone_sealed, phone_masked FROM survey_people ORDER BY id";
    let url = app.db.url();
    if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect("rows");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect("rows");
        pool.close().await;
        rows
    }
}

fn assert_no_phone(what: &str, body: &str, phones: &[String]) {
    for phone in phones {
        assert!(
            !body.contains(&digits(phone)),
            "{what} shows {phone} unmasked"
        );
    }
}

async fn audit_of(app: &TestApp, action: &str) -> Vec<Value> {
    let (status, page) = get(app, &app.admin, "/api/v1/audit?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["action"] == action)
        .collect()
}

#[tokio::test]
async fn a_round_masks_people_redraws_from_its_seed_and_reports_the_calls() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let supervisor = &world.supervisor.client;
    let clinic = &world.clinic_admin.client;
    let phones = phones("1375987");

    // Bad rounds name their field.
    for (body, field) in [
        (
            json!({"jurisdiction_code": world.county, "period": "2026-13"}),
            "period",
        ),
        (
            json!({"jurisdiction_code": world.county, "period": "2026-Q1", "sample_size": 0}),
            "sample_size",
        ),
        (json!({"jurisdiction_code": world.county}), "period"),
    ] {
        let problem = assert_problem(
            post(&app, supervisor, "/api/v1/survey-rounds", body).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{problem}"
        );
    }
    let (status, round) = post(
        &app,
        supervisor,
        "/api/v1/survey-rounds",
        json!({"jurisdiction_code": world.county, "period": "2026-Q1", "sample_size": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    assert_eq!(round["status"], "open");
    assert_eq!(round["from"], "2026-01-01");
    assert_eq!(round["to"], "2026-03-31");
    let id = round["id"].as_str().expect("id").to_owned();
    let base = format!("/api/v1/survey-rounds/{id}");
    // The default sample is 漳平's 80.
    let (_, default) = post(
        &app,
        supervisor,
        "/api/v1/survey-rounds",
        json!({"jurisdiction_code": world.county, "period": "2026-02"}),
    )
    .await;
    assert_eq!(default["sample_size"], 80, "{default}");
    // Another city's supervisor does not see it.
    assert_problem(
        get(&app, &world.other_supervisor.client, &base).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Bad rows name row and field, and store nothing.
    let day = "2026-02-10";
    for (mut body, field) in [
        (
            people_body(&world, &["张三"], &["12345".to_owned()], day),
            "people[0].phone",
        ),
        (
            people_body(&world, &["张三"], &[phones[0].clone()], "2026-04-01"),
            "people[0].service_date",
        ),
        (
            people_body(&world, &[" "], &[phones[0].clone()], day),
            "people[0].name",
        ),
        (
            people_body(&world, &["张三"], &[phones[0].clone()], day),
            "people[0].physician_id",
        ),
    ] {
        if field.ends_with("physician_id") {
            body["people"][0]["physician_id"] = json!(world.clinic_admin.user.id);
        }
        let problem = assert_problem(
            post(&app, clinic, &format!("{base}/people"), body).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{problem}"
        );
    }
    let twice = people_body(
        &world,
        &["张三", "李四"],
        &[phones[0].clone(), phones[0].clone()],
        day,
    );
    assert_problem(
        post(&app, clinic, &format!("{base}/people"), twice).await,
        StatusCode::CONFLICT,
        "duplicate_phone",
    );

    // The clinic registers eight people of its own site; answered masked.
    let (status, registered) = post(
        &app,
        clinic,
        &format!("{base}/people"),
        people_body(&world, &NAMES, &phones, day),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let items = registered["items"].as_array().expect("items");
    assert_eq!(items.len(), 8);
    assert_eq!(items[0]["site_id"], json!(world.site.id));
    assert!(
        items.iter().any(|p| p["phone_masked"] == "137****4100"),
        "{registered}"
    );
    assert!(
        items.iter().any(|p| p["phone_masked"] == "059****2345"),
        "{registered}"
    );
    assert!(
        items.iter().any(|p| p["name_masked"] == "陈**"),
        "{registered}"
    );
    assert_no_phone("the registration answer", &registered.to_string(), &phones);
    assert!(!registered.to_string().contains("陈秀英"));
    // The same number again (written otherwise) is refused.
    let again = people_body(&world, &["赵六"], &["+86 137-5987-4100".to_owned()], day);
    assert_problem(
        post(&app, clinic, &format!("{base}/people"), again).await,
        StatusCode::CONFLICT,
        "duplicate_phone",
    );

    // Surveyors only: the clinic may not draw or see the call sheet.
    assert_problem(
        post(&app, clinic, &format!("{base}/draw"), json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, drawn) = post(&app, supervisor, &format!("{base}/draw"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{drawn}");
    assert_eq!(drawn["round"]["status"], "drawn");
    assert_eq!(drawn["candidates"], 8);
    let sample = ids(&drawn, "sample");
    assert_eq!(sample.len(), 5);
    let seed = drawn["seed"].as_str().expect("seed").to_owned();
    assert_eq!(drawn["round"]["seed"], seed.as_str());

    // Drawn twice from the same seed: the same sample. Without a seed: 409.
    assert_problem(
        post(&app, supervisor, &format!("{base}/draw"), json!({})).await,
        StatusCode::CONFLICT,
        "already_drawn",
    );
    let (status, redrawn) = post(
        &app,
        supervisor,
        &format!("{base}/draw?seed={seed}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{redrawn}");
    assert_eq!(ids(&redrawn, "sample"), sample);
    assert_eq!(redrawn["repeated"], true);
    assert_eq!(redrawn["matches_recorded"], true);
    let other_seed = seed.parse::<u64>().expect("decimal") ^ 1;
    let (_, other) = post(
        &app,
        supervisor,
        &format!("{base}/draw?seed={other_seed}"),
        json!({}),
    )
    .await;
    assert_eq!(other["repeated"], true);
    let draws = audit_of(&app, "survey.draw").await;
    assert_eq!(draws.len(), 1, "a repetition writes nothing");
    assert_eq!(draws[0]["after"]["seed"], seed.as_str());
    assert_eq!(
        draws[0]["after"]["candidates"].as_array().map(Vec::len),
        Some(8)
    );
    // Registration is over once drawn.
    let late = people_body(&world, &["赵六"], &["13759870001".to_owned()], day);
    assert_problem(
        post(&app, clinic, &format!("{base}/people"), late).await,
        StatusCode::CONFLICT,
        "round_not_open",
    );

    // The call sheet reveals the drawn people's phones to the surveyor, audited.
    assert_problem(
        get(&app, clinic, &format!("{base}/calls")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, sheet) = get(&app, supervisor, &format!("{base}/calls")).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let calls = sheet["items"].as_array().expect("items").clone();
    assert_eq!(calls.len(), 5);
    let wanted: Vec<String> = phones.iter().map(|p| digits(p)).collect();
    for call in &calls {
        let phone = call["phone"].as_str().expect("revealed");
        assert!(wanted.contains(&phone.to_owned()), "{phone}");
        assert!(NAMES.contains(&call["name"].as_str().expect("name")));
    }
    let sheet_order: Vec<String> = calls
        .iter()
        .map(|c| c["person"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sheet_order, sample, "the sheet in draw order");
    let reveals = audit_of(&app, "survey.reveal").await;
    assert_eq!(reveals.len(), 1);
    assert_eq!(reveals[0]["actor_id"], json!(world.supervisor.user.id));
    assert_eq!(
        reveals[0]["after"]["revealed"].as_array().map(Vec::len),
        Some(5)
    );

    // Calls: a second attempt keeps the count; a rating needs a reached person.
    let call = |n: usize| format!("{base}/calls/{}", sample[n]);
    assert_problem(
        post(&app, supervisor, &call(0), json!({"reached": true})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    for (n, body) in [
        (0, json!({"reached": false, "note": "无人接听"})),
        (0, json!({"reached": true, "rating": "satisfied"})),
        (1, json!({"reached": true, "rating": "basic"})),
        (
            2,
            json!({"reached": true, "rating": "unsatisfied", "note": "候诊时间长"}),
        ),
        (3, json!({"reached": false})),
    ] {
        let (status, person) = post(&app, supervisor, &call(n), body).await;
        assert_eq!(status, StatusCode::CREATED, "{person}");
    }
    let (_, people) = get(&app, supervisor, &format!("{base}/people")).await;
    let first = people["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["id"] == sample[0].as_str())
        .cloned()
        .expect("drawn person listed");
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["rating"], "satisfied");
    assert_no_phone("the people list", &people.to_string(), &phones);
    let not_drawn = people["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["draw_order"].is_null())
        .cloned()
        .expect("someone not drawn");
    assert_problem(
        post(
            &app,
            supervisor,
            &format!("{base}/calls/{}", not_drawn["id"].as_str().expect("id")),
            json!({"reached": false}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_drawn",
    );

    // The report follows the calls: 3 reached, 1+1 satisfied of them.
    let (status, report) = get(&app, supervisor, &format!("{base}/report")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let total = &report["total"];
    assert_eq!(
        (
            &total["drawn"],
            &total["called"],
            &total["reached"],
            &total["satisfied"],
            &total["basic"],
            &total["unsatisfied"]
        ),
        (
            &json!(5),
            &json!(4),
            &json!(3),
            &json!(1),
            &json!(1),
            &json!(1)
        )
    );
    assert_eq!(total["rate_percent"], 66.7);
    assert_eq!(
        report["by_physician"][0]["physician_id"],
        json!(world.physician.user.id)
    );
    assert_eq!(report["by_site"][0]["site_name"], json!(world.site.name));
    let (status, csv) = raw(supervisor, &format!("{base}/report?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8_lossy(&csv).to_string();
    assert!(csv.contains("满意率") && csv.contains("合计"), "{csv}");
    assert_no_phone("the CSV report", &csv, &phones);
    let (status, xlsx) = raw(supervisor, &format!("{base}/report?format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx.clone())).expect("xlsx");
    let sheet_name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&sheet_name).expect("sheet");
    let text = |cell: &Data| match cell {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        _ => String::new(),
    };
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(text).collect()).collect();
    assert!(
        rows[0][0].contains("受援群众满意度测评结果统计表"),
        "{rows:?}"
    );
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "受援单位"))
        .expect("a header row");
    assert_eq!(rows[header][2], "抽取人数");
    assert_eq!(rows[header][8], "满意率");
    let totals = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "合计"))
        .expect("a 合计 row");
    assert_eq!(&totals[2..9], ["5", "4", "3", "1", "1", "1", "66.7%"]);
    let all_cells = rows.concat().join("|");
    assert_no_phone("the XLSX report", &all_cells, &phones);
    assert!(!all_cells.contains("陈秀英"));

    // The rounds list, too, and the database holds no name or phone in clear.
    let (_, rounds) = get(&app, clinic, "/api/v1/survey-rounds").await;
    assert!(
        rounds["items"].as_array().is_some_and(|r| r.len() == 2),
        "{rounds}"
    );
    assert_no_phone("the rounds list", &rounds.to_string(), &phones);
    let stored = stored_text(&app, true).await;
    assert_no_phone("the database", &stored, &phones);
    for name in NAMES {
        assert!(!stored.contains(name), "the database holds {name} in clear");
    }
    assert!(sealed_columns(&app).await.iter().all(|(n, p, _)| {
        n.as_deref().is_some_and(|n| n.starts_with("v1:"))
            && p.as_deref().is_some_and(|p| p.starts_with("v1:"))
    }));

    // The promotion form's source: one physician's tally over the period.
    let peer = App::build(app.config.clone(), app.clock.clone())
        .await
        .expect("a second process");
    let tally = physician_satisfaction(
        peer.state(),
        world.physician.user.id,
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    )
    .await
    .expect("tally");
    assert_eq!(
        (
            tally.rounds,
            tally.calls,
            tally.reached,
            tally.satisfied,
            tally.basic,
            tally.unsatisfied
        ),
        (1, 4, 3, 1, 1, 1)
    );
    let none = physician_satisfaction(
        peer.state(),
        world.physician.user.id,
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    )
    .await
    .expect("tally");
    assert_eq!(none.rounds, 0, "served in February, outside the range");

    // The promotion form (考核登记表) carries the same tally under 群众满意度.
    let (status, form) = get(
        &app,
        supervisor,
        &format!(
            "/api/v1/physicians/{}/promotion-form",
            world.physician.user.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let s = &form["satisfaction"];
    assert_eq!(
        (
            &s["rounds"],
            &s["calls"],
            &s["reached"],
            &s["satisfied"],
            &s["basic"],
            &s["unsatisfied"]
        ),
        (
            &json!(1),
            &json!(4),
            &json!(3),
            &json!(1),
            &json!(1),
            &json!(1)
        ),
        "{form}"
    );
}

#[tokio::test]
async fn closing_a_round_erases_names_and_phones_once_the_retention_has_passed() {
    let app = TestApp::builder()
        .config(|c| {
            c.survey_retention_days = 30;
            c.access_token_ttl = std::time::Duration::from_secs(90 * 24 * 3600);
        })
        .spawn()
        .await;
    let world = app.world().await;
    let supervisor = &world.supervisor.client;
    let phones = phones("1365987");
    let base = february_round(&app, &world).await;
    let body = people_at_site(&world, &NAMES[..3], &phones[..3], "2026-02-20");
    let (status, registered) = post(&app, supervisor, &format!("{base}/people"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let (_, drawn) = post(&app, supervisor, &format!("{base}/draw"), json!({})).await;
    assert_eq!(ids(&drawn, "sample").len(), 3, "fewer than 80: all drawn");
    let first = ids(&drawn, "sample")[0].clone();
    let (status, _) = post(
        &app,
        supervisor,
        &format!("{base}/calls/{first}"),
        json!({"reached": true, "rating": "satisfied", "note": "对医生很满意"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, closed) = post(&app, supervisor, &format!("{base}/close"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert!(closed["erase_after"].is_string() && closed["erased_at"].is_null());
    assert_problem(
        post(
            &app,
            supervisor,
            &format!("{base}/calls/{first}"),
            json!({"reached": false}),
        )
        .await,
        StatusCode::CONFLICT,
        "round_not_drawn",
    );

    // Before the retention ends the call sheet still reveals; after it, nothing is left.
    app.clock.advance(Duration::days(29));
    let peer = App::build(app.config.clone(), app.clock.clone())
        .await
        .expect("a second process");
    assert_eq!(
        run_once(peer.state()).await.expect("tick").surveys_erased,
        0
    );
    let (_, sheet) = get(&app, supervisor, &format!("{base}/calls")).await;
    assert!(sheet["items"][0]["phone"].is_string(), "{sheet}");
    app.clock.advance(Duration::days(2));
    assert_eq!(
        run_once(peer.state()).await.expect("tick").surveys_erased,
        1
    );
    assert_eq!(
        run_once(peer.state()).await.expect("tick").surveys_erased,
        0,
        "once"
    );

    let (_, sheet) = get(&app, supervisor, &format!("{base}/calls")).await;
    for call in sheet["items"].as_array().expect("items") {
        assert!(call["phone"].is_null() && call["name"].is_null(), "{call}");
        assert_eq!(call["person"]["phone_masked"], "（已删除）");
    }
    assert!(sheet["round"]["erased_at"].is_string());
    assert!(
        sealed_columns(&app)
            .await
            .iter()
            .all(|(n, p, masked)| n.is_none() && p.is_none() && masked == "（已删除）")
    );
    // Old pages of the file may keep it until SQLite reuses them; the rows do not.
    let stored = stored_text(&app, false).await;
    assert!(!stored.contains("对医生很满意"), "notes erased");
    // The outcomes stay for the report.
    let (_, report) = get(&app, supervisor, &format!("{base}/report")).await;
    assert_eq!(report["total"]["satisfied"], 1, "{report}");
    let erasures = audit_of(&app, "survey.erase").await;
    assert_eq!(erasures.len(), 1);
    assert!(erasures[0]["actor_id"].is_null(), "the server erased");
    let audit = xiaxiang_server::service::audit::verify(&peer.state().store)
        .await
        .expect("verify");
    assert!(audit.is_intact(), "{audit:?}");
}

#[tokio::test]
async fn a_sheet_registers_people_by_the_physicians_name_and_names_its_bad_rows() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let clinic = &world.clinic_admin.client;
    let (_, round) = post(
        &app,
        &world.supervisor.client,
        "/api/v1/survey-rounds",
        json!({"jurisdiction_code": world.county, "period": "2026-02"}),
    )
    .await;
    let base = format!(
        "/api/v1/survey-rounds/{}",
        round["id"].as_str().expect("id")
    );

    // The template is a titled sheet with the columns the upload reads.
    let (status, xlsx) = raw(clinic, "/api/v1/survey-rounds/people-template").await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).expect("xlsx");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .collect();
    assert!(
        cells.iter().any(|c| c.contains("受益群众登记表")),
        "{cells:?}"
    );
    for header in ["姓名", "联系电话", "服务日期", "派驻医师"] {
        assert!(cells.iter().any(|c| c == header), "{header} in {cells:?}");
    }

    // Whom the clinic may name.
    let (_, physicians) = get(&app, clinic, &format!("{base}/physicians")).await;
    assert_eq!(
        physicians["items"][0]["physician_id"],
        json!(world.physician.user.id)
    );
    let doctor = world.physician.user.name.clone();

    let upload = |csv: String| {
        clinic
            .request(Method::POST, &format!("{base}/people/upload"))
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    let bad = format!(
        "受益群众登记表\n姓名,联系电话,服务日期,派驻医师\n张三,13759876001,2026-02-03,{doctor}\n,13759876002,2026/2/4,{doctor}\n王五,13759876003,2026-02-05,不认识的医生\n"
    );
    let response = upload(bad).await.expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "invalid_import", "{problem}");
    let rows: Vec<(u64, String)> = problem["errors"]
        .as_array()
        .or(problem["extra"]["errors"].as_array())
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["column"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(rows, [(4, "name".to_owned())], "{problem}");

    let good = format!(
        "姓名,联系电话,服务日期,派驻医师\n张三,13759876001,2026-02-03,{doctor}\n李四,13759876002,2026/2/4,{doctor}\n"
    );
    let response = upload(good).await.expect("answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    let list: Value = response.json().await.expect("list");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
    assert_no_phone(
        "the upload answer",
        &list.to_string(),
        &["13759876001".to_owned()],
    );
    // A number already registered names its spreadsheet row.
    let again = format!("姓名,联系电话,服务日期,派驻医师\n张三,13759876001,2026-02-03,{doctor}\n");
    let response = upload(again).await.expect("answers");
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let problem: Value = response.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("row 2: phone"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_registration_of_a_thousand_people_is_taken_and_one_more_is_refused() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let supervisor = &world.supervisor.client;
    let people = format!("{}/people", february_round(&app, &world).await);
    let body = |count: usize| {
        let names: Vec<&str> = (0..count).map(|i| NAMES[i % NAMES.len()]).collect();
        let phones: Vec<String> = (0..count).map(|i| format!("1365987{i:04}")).collect();
        people_at_site(&world, &names, &phones, "2026-02-20")
    };

    let too_many = body(1001);
    let (status, refused) = post(&app, supervisor, &people, too_many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["code"], "invalid_request");

    let thousand = body(1000);
    let size = serde_json::to_vec(&thousand).expect("body").len();
    assert!(
        size > 64 * 1024,
        "the body is over the default limit: {size} bytes"
    );
    let (status, registered) = post(&app, supervisor, &people, thousand).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let (_, listed) = get(&app, supervisor, &people).await;
    let listed = listed["items"].as_array().map_or(0, Vec::len);
    assert_eq!(listed, 1000, "every person registered");
}
