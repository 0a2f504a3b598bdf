//! The personnel-table import (支援人员安排情况表): CSV and XLSX in the shape of the real
//! forms, all-or-nothing validation with row numbers, idempotent re-import, roles.
//! Names and phones are fictional.

use mobile_api::client::{Client, ClientError};
use mobile_api::*;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::*;

/// The world plus the sites and the second hospital a county's table names.
struct County {
    world: World,
    pohe: Organization,
    hushan: Organization,
    other_hospital: Organization,
}

async fn county(app: &TestApp) -> County {
    let world = app.world().await;
    let fence = |lat: f64| Some(circle(lat, 117.40, 150.0));
    let pohe = app
        .organization(
            "泼河镇卫生院",
            OrganizationKind::TownshipHealthCenter,
            &world.county,
            fence(25.20),
        )
        .await;
    let hushan = app
        .organization(
            "斛山乡卫生院",
            OrganizationKind::TownshipHealthCenter,
            &world.county,
            fence(25.22),
        )
        .await;
    // Makes "斛山" alone ambiguous.
    app.organization(
        "斛山村卫生室",
        OrganizationKind::VillageClinic,
        &world.county,
        fence(25.24),
    )
    .await;
    let other_hospital = app
        .organization(
            "漳平市中医院",
            OrganizationKind::Hospital,
            &world.county,
            None,
        )
        .await;
    County {
        world,
        pohe,
        hushan,
        other_hospital,
    }
}

fn terms(program_id: Uuid, mode: AssignmentMode) -> ImportAssignmentsQuery {
    ImportAssignmentsQuery {
        program_id,
        mode,
        start_date: "2026-01-01".parse().expect("date"),
        end_date: "2026-12-31".parse().expect("date"),
        window_start: None,
        window_end: None,
        filename: Some("附件1 下派人员名单.csv".into()),
        eligibility_override: None,
    }
}

const HEADER: [&str; 7] = [
    "牵头医院名称",
    "姓名",
    "性别",
    "专业",
    "职称",
    "电话",
    "拟下派乡镇卫生院",
];

/// A CSV with a UTF-8 BOM: a title line, the header, then `rows`.
fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = String::from("\u{feff}漳平市医院下派乡镇卫生院名单,,,,,,\n");
    text.push_str(&HEADER.join(","));
    text.push('\n');
    for row in rows {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

fn row(cells: [&str; 7]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// Rows 3..=7 of the seed-004 shape: the hospital written once, sites merged over
/// pairs of rows; the last row is the world's physician, already assigned.
fn seed_shape(phones: &[String; 4], world: &World) -> Vec<Vec<String>> {
    vec![
        row([
            "漳平市医院",
            "林一",
            "男",
            "外科、皮肤科",
            "全科执业医师",
            &phones[0],
            "泼河",
        ]),
        row([
            "",
            "曾二",
            "男",
            "内科/康复科",
            "中医执业医师",
            &phones[1],
            "",
        ]),
        row([
            "",
            "祝三",
            "女",
            "儿科",
            "中医副主任医师",
            &phones[2],
            "斛山乡卫生院",
        ]),
        row(["", "屈四", "女", "妇产科", "主治医师", &phones[3], ""]),
        row([
            "",
            &world.physician.user.name,
            "男",
            "急诊科",
            "住院医师",
            &world.physician.user.phone,
            "溪南镇卫生院",
        ]),
    ]
}

fn phones() -> [String; 4] {
    [
        unique_phone(),
        unique_phone(),
        unique_phone(),
        unique_phone(),
    ]
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let url = app.db.url();
    if app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}

/// Users, assignments, imports and audit entries (the last through the API).
async fn census(app: &TestApp) -> (i64, i64, i64, usize) {
    let (status, page) = app
        .send(&app.admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let audit = page["items"].as_array().map_or(0, Vec::len);
    (
        count(app, "users").await,
        count(app, "assignments").await,
        count(app, "assignment_imports").await,
        audit,
    )
}

/// The `(row, column)` pairs of an `invalid_import` refusal.
fn refused_cells(error: ClientError) -> Vec<(u64, String)> {
    let ClientError::Api { status, problem } = error else {
        panic!("expected a problem, got {error:?}");
    };
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem:?}");
    assert_eq!(problem.code, "invalid_import", "{problem:?}");
    let errors = problem
        .extra
        .as_ref()
        .and_then(|e| e["errors"].as_array().cloned())
        .expect("extra.errors");
    errors
        .iter()
        .map(|e| {
            assert!(e["reason"].as_str().is_some_and(|r| !r.is_empty()), "{e}");
            (
                e["row"].as_u64().expect("row"),
                e["column"].as_str().expect("column").to_owned(),
            )
        })
        .collect()
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Value {
    let (status, body) = app.send(client, Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test]
async fn a_csv_in_the_seed_shape_creates_physicians_and_their_assignments() {
    let app = TestApp::spawn().await;
    let County {
        world,
        pohe,
        hushan,
        ..
    } = county(&app).await;
    let phones = phones();
    let table = csv(&seed_shape(&phones, &world));
    let before = census(&app).await;

    let result = app
        .admin
        .import_assignments(
            table,
            "text/csv; charset=utf-8",
            &terms(world.program.id, AssignmentMode::Circuit),
        )
        .await
        .expect("imports");

    assert!(!result.replayed);
    assert_eq!(result.rows, 5);
    assert_eq!(result.filename.as_deref(), Some("附件1 下派人员名单.csv"));
    let created: Vec<(u32, &str, &str)> = result
        .created_users
        .iter()
        .map(|u| (u.row, u.name.as_str(), u.phone.as_str()))
        .collect();
    assert_eq!(
        created,
        vec![
            (3, "林一", phones[0].as_str()),
            (4, "曾二", phones[1].as_str()),
            (5, "祝三", phones[2].as_str()),
            (6, "屈四", phones[3].as_str()),
        ]
    );
    let sites: Vec<(u32, Uuid)> = result
        .created_assignments
        .iter()
        .map(|a| (a.row, a.site_id))
        .collect();
    assert_eq!(
        sites,
        vec![(3, pohe.id), (4, pohe.id), (5, hushan.id), (6, hushan.id)]
    );
    assert_eq!(result.existing_assignments.len(), 1);
    assert_eq!(result.existing_assignments[0].row, 7);
    assert_eq!(
        result.existing_assignments[0].assignment_id,
        world.assignment.id
    );

    let after = census(&app).await;
    assert_eq!(after.0, before.0 + 4, "four physicians created");
    assert_eq!(after.1, before.1 + 4, "four assignments created");
    assert_eq!(after.2, before.2 + 1, "the import is recorded");
    assert_eq!(after.3, before.3 + 1, "and audited once");
    let (_, audit) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/audit?object_type=assignment_import",
            None,
        )
        .await;
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "assignment.import");
    assert_eq!(
        entry["after"]["created_users"][0]["phone"],
        phones[0].as_str()
    );
    assert!(
        !entry.to_string().contains("initial_password"),
        "no passwords in the audit log: {entry}"
    );

    // Each new physician: visible through the API, placed at the hospital, able to log
    // in with the initial password and to see the assignment.
    for (user, assignment) in result.created_users.iter().zip(&result.created_assignments) {
        assert_eq!(assignment.physician_id, user.user_id);
        let body = get(&app, &app.admin, &format!("/api/v1/users/{}", user.user_id)).await;
        assert_eq!(body["role"], "physician");
        assert_eq!(body["organization_id"], world.hospital.id.to_string());
        let password = user.initial_password.as_deref().expect("initial password");
        assert_eq!(password.len(), 12);
        let physician = app.login(&user.phone, password).await;
        // The printed password is known to whoever printed it: nothing but setting
        // their own works with it.
        let (status, body) = app
            .send(&physician, Method::GET, "/api/v1/me/assignments", None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "password_change_required");
        let (status, body) = app
            .send(
                &physician,
                Method::POST,
                "/api/v1/auth/password",
                Some(serde_json::json!({"current_password": password, "new_password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let mine = physician.my_assignments().await.expect("own assignments");
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].id, assignment.assignment_id);
        assert_eq!(mine[0].mode, AssignmentMode::Circuit);
        assert_eq!(
            (mine[0].window_start.as_str(), mine[0].window_end.as_str()),
            ("08:00", "17:30")
        );
        assert_eq!(mine[0].program_id, world.program.id);
    }
    let first = get(
        &app,
        &app.admin,
        &format!("/api/v1/users/{}", result.created_users[0].user_id),
    )
    .await;
    assert_eq!(first["gender"], "male");
    assert_eq!(first["title"], "全科执业医师");
    assert_eq!(first["specialty"], "外科、皮肤科");
    let assignment = get(
        &app,
        &app.admin,
        &format!(
            "/api/v1/assignments/{}",
            result.created_assignments[2].assignment_id
        ),
    )
    .await;
    assert_eq!(assignment["site_id"], hushan.id.to_string());
    assert_eq!(assignment["start_date"], "2026-01-01");
    assert_eq!(assignment["end_date"], "2026-12-31");
}

/// The same table as an XLSX workbook with merged hospital and site cells, phones
/// typed as numbers.
fn xlsx(phones: &[String; 4], world: &World) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    sheet
        .merge_range(0, 0, 0, 6, "漳平市医院下派乡镇卫生院名单", &plain)
        .expect("title");
    for (col, header) in HEADER.iter().enumerate() {
        sheet.write_string(1, col as u16, *header).expect("header");
    }
    let people = [
        ("林一", "男", "外科", "主治医师", phones[0].as_str()),
        ("曾二", "男", "内科", "住院医师", phones[1].as_str()),
        ("祝三", "女", "儿科", "副主任医师", phones[2].as_str()),
        ("屈四", "女", "妇产科", "主治医师", phones[3].as_str()),
        (
            world.physician.user.name.as_str(),
            "男",
            "急诊科",
            "住院医师",
            world.physician.user.phone.as_str(),
        ),
    ];
    for (i, (name, gender, specialty, title, phone)) in people.iter().enumerate() {
        let r = 2 + i as u32;
        sheet.write_string(r, 1, *name).expect("name");
        sheet.write_string(r, 2, *gender).expect("gender");
        sheet.write_string(r, 3, *specialty).expect("specialty");
        sheet.write_string(r, 4, *title).expect("title");
        let number: f64 = phone.parse().expect("digits");
        sheet.write_number(r, 5, number).expect("phone");
    }
    sheet
        .merge_range(2, 0, 6, 0, "漳平市医院", &plain)
        .expect("hospital");
    sheet.merge_range(2, 6, 3, 6, "泼河", &plain).expect("site");
    sheet
        .merge_range(4, 6, 5, 6, "斛山乡卫生院", &plain)
        .expect("site");
    sheet.write_string(6, 6, "溪南镇卫生院").expect("site");
    workbook.save_to_buffer().expect("workbook")
}

#[tokio::test]
async fn the_same_table_as_xlsx_with_merged_cells_imports_alike() {
    let app = TestApp::spawn().await;
    let County {
        world,
        pohe,
        hushan,
        ..
    } = county(&app).await;
    let phones = phones();
    let mut params = terms(world.program.id, AssignmentMode::Dispatch);
    params.window_start = Some("07:30".into());
    params.window_end = Some("12:00".into());
    params.filename = Some("名单.xlsx".into());

    let result = app
        .admin
        .import_assignments(xlsx(&phones, &world), XLSX_CONTENT_TYPE, &params)
        .await
        .expect("imports");

    assert_eq!(result.rows, 5);
    let created: Vec<(u32, &str)> = result
        .created_users
        .iter()
        .map(|u| (u.row, u.phone.as_str()))
        .collect();
    assert_eq!(
        created,
        vec![
            (3, phones[0].as_str()),
            (4, phones[1].as_str()),
            (5, phones[2].as_str()),
            (6, phones[3].as_str()),
        ]
    );
    let sites: Vec<Uuid> = result
        .created_assignments
        .iter()
        .map(|a| a.site_id)
        .collect();
    assert_eq!(sites, vec![pohe.id, pohe.id, hushan.id, hushan.id]);
    assert_eq!(
        result.existing_assignments[0].assignment_id,
        world.assignment.id
    );
    let assignment = get(
        &app,
        &app.admin,
        &format!(
            "/api/v1/assignments/{}",
            result.created_assignments[0].assignment_id
        ),
    )
    .await;
    assert_eq!(assignment["mode"], "dispatch");
    assert_eq!(assignment["window_start"], "07:30");
    assert_eq!(assignment["window_end"], "12:00");
    let third = get(
        &app,
        &app.admin,
        &format!("/api/v1/users/{}", result.created_users[2].user_id),
    )
    .await;
    assert_eq!(third["gender"], "female");
    assert_eq!(third["specialty"], "儿科");
}

#[tokio::test]
async fn bad_rows_are_listed_by_row_number_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let phones = phones();
    let good = |name: &str, phone: &str, site: &str| row(["", name, "男", "", "", phone, site]);
    let mut rows = vec![
        row(["漳平市医院", "林一", "男", "外科", "", &phones[0], "泼河"]),
        good("曾二", "[phone redacted]", ""),
        good("祝三", &phones[1], "白奎"),
        good("屈四", &phones[2], "泼河"),
        good("陈五", &phones[3], "斛山"),
    ];
    let before = census(&app).await;

    let error = app
        .admin
        .import_assignments(
            csv(&rows),
            CSV_CONTENT_TYPE,
            &terms(world.program.id, AssignmentMode::Circuit),
        )
        .await
        .expect_err("refused");

    assert_eq!(
        refused_cells(error),
        vec![
            (4, "phone".to_owned()),
            (5, "site".to_owned()),
            (7, "site".to_owned())
        ]
    );
    assert_eq!(census(&app).await, before, "nothing was written");

    // Fixed, the same table imports every row: none was half-written before.
    rows[1] = good("曾二", &unique_phone(), "");
    rows[2] = good("祝三", &phones[1], "斛山乡卫生院");
    rows[4] = good("陈五", &phones[3], "斛山村卫生室");
    let result = app
        .admin
        .import_assignments(
            csv(&rows),
            CSV_CONTENT_TYPE,
            &terms(world.program.id, AssignmentMode::Circuit),
        )
        .await
        .expect("imports once fixed");
    assert_eq!(result.created_users.len(), 5);
    assert_eq!(result.created_assignments.len(), 5);
    assert!(result.existing_assignments.is_empty());
}

#[tokio::test]
async fn a_missing_column_or_a_repeated_row_is_refused() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let params = terms(world.program.id, AssignmentMode::Circuit);
    let no_phone = "牵头医院名称,姓名,性别,拟下派乡镇卫生院\n漳平市医院,林一,男,泼河\n";
    let error = app
        .admin
        .import_assignments(no_phone.as_bytes().to_vec(), CSV_CONTENT_TYPE, &params)
        .await
        .expect_err("refused");
    let ClientError::Api { problem, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(problem.detail.contains("row"), "{problem:?}");
    let reason = problem.extra.as_ref().expect("extra")["errors"][0]["reason"].clone();
    assert!(
        reason.as_str().is_some_and(|r| r.contains("电话")),
        "{reason}"
    );
    assert_eq!(refused_cells(error), vec![(1, "phone".to_owned())]);

    let phone = unique_phone();
    let rows = vec![
        row(["漳平市医院", "林一", "男", "", "", &phone, "泼河"]),
        row(["", "林一", "男", "", "", &phone, "泼河镇卫生院"]),
    ];
    let error = app
        .admin
        .import_assignments(csv(&rows), CSV_CONTENT_TYPE, &params)
        .await
        .expect_err("refused");
    assert_eq!(refused_cells(error), vec![(4, "site".to_owned())]);
}

#[tokio::test]
async fn importing_the_same_file_again_replays_the_first_outcome() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let table = csv(&seed_shape(&phones(), &world));
    let params = terms(world.program.id, AssignmentMode::Circuit);
    let first = app
        .admin
        .import_assignments(table.clone(), CSV_CONTENT_TYPE, &params)
        .await
        .expect("imports");
    let after_first = census(&app).await;

    let path = "/api/v1/assignments/import";
    let query = format!(
        "program_id={}&mode=circuit&start_date=2026-01-01&end_date=2026-12-31&filename=again.csv",
        world.program.id
    );
    let response = app
        .admin
        .request(Method::POST, &format!("{path}?{query}"))
        .header(CONTENT_TYPE, CSV_CONTENT_TYPE)
        .body(table.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let replay: ImportResult = response.json().await.expect("result");
    assert!(replay.replayed);
    assert_eq!(replay.import_id, first.import_id);
    assert_eq!(
        replay.filename, first.filename,
        "the first import's record, whatever the new name"
    );
    assert_eq!(replay.created_assignments, first.created_assignments);
    assert_eq!(replay.existing_assignments, first.existing_assignments);
    assert_eq!(replay.created_users.len(), first.created_users.len());
    assert!(
        replay
            .created_users
            .iter()
            .all(|u| u.initial_password.is_none()),
        "initial passwords are given once"
    );
    assert_eq!(census(&app).await, after_first, "nothing new was written");

    // Other terms make another import, but the assignments it names already exist.
    let mut window = params.clone();
    window.window_end = Some("17:00".into());
    let again = app
        .admin
        .import_assignments(table, CSV_CONTENT_TYPE, &window)
        .await
        .expect("imports");
    assert!(!again.replayed);
    assert_ne!(again.import_id, first.import_id);
    assert!(again.created_users.is_empty());
    assert!(again.created_assignments.is_empty());
    assert_eq!(again.existing_assignments.len(), 5);
    let (users, assignments, imports, _) = census(&app).await;
    assert_eq!((users, assignments), (after_first.0, after_first.1));
    assert_eq!(imports, after_first.2 + 1);
}

#[tokio::test]
async fn concurrent_imports_of_the_same_file_write_once() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let table = csv(&seed_shape(&phones(), &world));
    let params = terms(world.program.id, AssignmentMode::Circuit);
    let before = census(&app).await;
    let (a, b) = tokio::join!(
        app.admin
            .import_assignments(table.clone(), CSV_CONTENT_TYPE, &params),
        app.admin
            .import_assignments(table.clone(), CSV_CONTENT_TYPE, &params),
    );
    let (a, b) = (a.expect("first answers"), b.expect("second answers"));
    assert_eq!(a.import_id, b.import_id);
    assert_eq!(
        [a.replayed, b.replayed].iter().filter(|r| **r).count(),
        1,
        "one wrote, the other replayed"
    );
    let after = census(&app).await;
    assert_eq!(after.0, before.0 + 4);
    assert_eq!(after.1, before.1 + 4);
    assert_eq!(after.2, before.2 + 1);
}

#[tokio::test]
async fn a_hospital_administrator_imports_their_own_hospitals_rows_only() {
    let app = TestApp::spawn().await;
    let County {
        world,
        other_hospital,
        ..
    } = county(&app).await;
    let params = terms(world.program.id, AssignmentMode::Circuit);
    let ours = unique_phone();
    let rows = vec![
        row(["漳平市医院", "林一", "男", "", "", &ours, "泼河"]),
        row([
            &other_hospital.name,
            "曾二",
            "男",
            "",
            "",
            &unique_phone(),
            "泼河",
        ]),
    ];
    let before = census(&app).await;
    let error = world
        .hospital_admin
        .client
        .import_assignments(csv(&rows), CSV_CONTENT_TYPE, &params)
        .await
        .expect_err("refused");
    assert_eq!(refused_cells(error), vec![(4, "hospital".to_owned())]);
    assert_eq!(census(&app).await, before);

    let result = world
        .hospital_admin
        .client
        .import_assignments(csv(&rows[..1]), CSV_CONTENT_TYPE, &params)
        .await
        .expect("own rows import");
    assert_eq!(result.created_users.len(), 1);
    let user = get(
        &app,
        &world.hospital_admin.client,
        &format!("/api/v1/users/{}", result.created_users[0].user_id),
    )
    .await;
    assert_eq!(user["organization_id"], world.hospital.id.to_string());
}

#[tokio::test]
async fn a_phone_held_by_anyone_else_gets_one_reason_that_names_no_one() {
    let app = TestApp::spawn().await;
    let County {
        world,
        other_hospital,
        ..
    } = county(&app).await;
    let elsewhere = app
        .person(Role::Physician, Some(other_hospital.id), None)
        .await;
    let admin = app.person(Role::Admin, None, None).await;
    // Each row claims a phone for a new colleague of the importer's hospital: a
    // physician of theirs under another name, the county's supervisor, an
    // administrator, another hospital's physician under their own name.
    let claim = |name: &str, phone: &str| row(["漳平市医院", name, "男", "", "", phone, "泼河"]);
    let rows = vec![
        claim("别的名字", &world.physician.user.phone),
        claim(&world.supervisor.user.name, &world.supervisor.user.phone),
        claim("管理员", &admin.user.phone),
        claim(&elsewhere.user.name, &elsewhere.user.phone),
    ];
    let before = census(&app).await;
    let error = world
        .hospital_admin
        .client
        .import_assignments(
            csv(&rows),
            CSV_CONTENT_TYPE,
            &terms(world.program.id, AssignmentMode::Circuit),
        )
        .await
        .expect_err("refused");
    let ClientError::Api { problem, .. } = &error else {
        panic!("expected a problem, got {error:?}");
    };
    let reasons: Vec<String> = problem.extra.as_ref().expect("extra")["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons.iter().all(|r| r == &reasons[0]),
        "one reason for every held phone: {reasons:?}"
    );
    assert!(reasons[0].contains("phone_unavailable"), "{reasons:?}");
    for held_by in [&world.physician.user.name, &elsewhere.user.name] {
        assert!(!reasons[0].contains(held_by.as_str()), "{reasons:?}");
    }
    assert_eq!(
        refused_cells(error),
        (3..=6)
            .map(|row| (row, "phone".to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(census(&app).await, before);
}

#[tokio::test]
async fn only_admins_and_hospital_administrators_may_import() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let table = csv(&[row([
        "漳平市医院",
        "林一",
        "男",
        "",
        "",
        &unique_phone(),
        "泼河",
    ])]);
    let params = terms(world.program.id, AssignmentMode::Circuit);
    for client in [
        &world.supervisor.client,
        &world.physician.client,
        &world.clinic_admin.client,
    ] {
        let error = client
            .import_assignments(table.clone(), CSV_CONTENT_TYPE, &params)
            .await
            .expect_err("forbidden");
        assert_eq!(error.status(), Some(StatusCode::FORBIDDEN), "{error:?}");
    }
    let error = app
        .anonymous
        .import_assignments(table.clone(), CSV_CONTENT_TYPE, &params)
        .await
        .expect_err("unauthenticated");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn bad_parameters_and_media_types_are_refused_before_reading() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let table = csv(&[row([
        "漳平市医院",
        "林一",
        "男",
        "",
        "",
        &unique_phone(),
        "泼河",
    ])]);
    let params = terms(world.program.id, AssignmentMode::Circuit);
    let before = census(&app).await;

    let error = app
        .admin
        .import_assignments(table.clone(), "application/json", &params)
        .await
        .expect_err("unsupported");
    assert_eq!(error.status(), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));

    let mut backwards = params.clone();
    backwards.end_date = "2025-12-31".parse().expect("date");
    let error = app
        .admin
        .import_assignments(table.clone(), CSV_CONTENT_TYPE, &backwards)
        .await
        .expect_err("dates");
    assert_eq!(error.code(), Some("invalid_request"));

    let mut overnight = params.clone();
    overnight.window_start = Some("18:00".into());
    overnight.window_end = Some("08:00".into());
    let error = app
        .admin
        .import_assignments(table.clone(), CSV_CONTENT_TYPE, &overnight)
        .await
        .expect_err("window");
    assert_eq!(error.code(), Some("invalid_request"));

    let unknown = terms(Uuid::new_v4(), AssignmentMode::Circuit);
    let error = app
        .admin
        .import_assignments(table.clone(), CSV_CONTENT_TYPE, &unknown)
        .await
        .expect_err("no program");
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));

    let error = app
        .admin
        .import_assignments(b"PK\x03\x04 broken".to_vec(), XLSX_CONTENT_TYPE, &params)
        .await
        .expect_err("not a workbook");
    assert_eq!(error.code(), Some("invalid_import"));

    let too_big = vec![b'a'; 2 * 1024 * 1024 + 1];
    let error = app
        .admin
        .import_assignments(too_big, CSV_CONTENT_TYPE, &params)
        .await
        .expect_err("too large");
    assert_eq!(error.status(), Some(StatusCode::PAYLOAD_TOO_LARGE));
    assert_eq!(census(&app).await, before);
}

/// The preview's answer for `table`.
async fn preview(app: &TestApp, table: Vec<u8>, query: &ImportAssignmentsQuery) -> Value {
    let path = format!(
        "/api/v1/assignments/import/preview?program_id={}&mode=circuit&start_date={}&end_date={}",
        query.program_id, query.start_date, query.end_date
    );
    let response = app
        .admin
        .request(Method::POST, &path)
        .header(CONTENT_TYPE, CSV_CONTENT_TYPE)
        .body(table)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_preview_lists_every_bad_cell_or_what_would_be_created_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let County { world, .. } = county(&app).await;
    let phones = phones();
    let terms = terms(world.program.id, AssignmentMode::Circuit);
    let good = |name: &str, phone: &str, site: &str| row(["", name, "男", "", "", phone, site]);
    let mut rows = vec![
        row(["漳平市医院", "林一", "男", "外科", "", &phones[0], "泼河"]),
        good("曾二", "12345", ""),
        good("祝三", &phones[1], "白奎"),
        good(
            &world.physician.user.name,
            &world.physician.user.phone,
            "泼河",
        ),
    ];
    let before = census(&app).await;

    let bad = preview(&app, csv(&rows), &terms).await;
    assert_eq!(bad["ok"], false, "{bad}");
    let cells: Vec<(u64, &str)> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["column"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(cells, vec![(4, "phone"), (5, "site")]);
    // The console's clerk reads each reason in Chinese.
    let zh: Vec<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["reason_zh"].as_str().unwrap_or(""))
        .collect();
    assert!(zh[0].contains("手机号"), "{zh:?}");
    assert!(zh[1].starts_with("找不到名为"), "{zh:?}");
    assert_eq!(census(&app).await, before, "nothing was written");

    rows[1] = good("曾二", &phones[2], "");
    rows[2] = good("祝三", &phones[1], "斛山乡卫生院");
    let fine = preview(&app, csv(&rows), &terms).await;
    assert_eq!(fine["ok"], true, "{fine}");
    assert_eq!(fine["rows"], 4);
    assert_eq!(fine["errors"], serde_json::json!([]));
    let names: Vec<&str> = fine["new_physicians"]
        .as_array()
        .expect("new")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, vec!["林一", "曾二", "祝三"]);
    let assignments = fine["assignments"].as_array().expect("assignments");
    assert_eq!(assignments.len(), 4);
    assert_eq!(assignments[3]["existing_physician"], true);
    assert_eq!(fine["already_imported"], false);
    assert_eq!(census(&app).await, before, "a preview writes nothing");

    // Imported, the same table previews as already imported.
    let imported = app
        .admin
        .import_assignments(csv(&rows), CSV_CONTENT_TYPE, &terms)
        .await
        .expect("imports");
    let again = preview(&app, csv(&rows), &terms).await;
    assert_eq!(again["already_imported"], true, "{again}");

    // The printed initial passwords are one-time: changed at the first login.
    let first = &imported.created_users[0];
    let tokens = app
        .anonymous
        .login(&LoginRequest {
            phone: first.phone.clone(),
            password: first.initial_password.clone().expect("initial password"),
            device_id: None,
        })
        .await
        .expect("the initial password signs in");
    assert!(tokens.must_change_password);
}

#[tokio::test]
async fn a_hospital_admin_lists_the_programmes_governing_its_hospital_to_import_under() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    // A programme of the city above the hospital's county governs it; one of another
    // county does not.
    let mut spec = CreateProgram {
        name: "龙岩市城乡对口支援".to_owned(),
        jurisdiction_code: world.city.clone(),
        half_day_minutes: None,
        full_day_minutes: None,
        requirements: world.program.requirements.clone(),
        eligibility: Default::default(),
    };
    let city_programme = app.admin.create_program(&spec).await.expect("city");
    spec.name = "丰泽区医师下基层".to_owned();
    spec.jurisdiction_code = world.other_county.clone();
    let other_programme = app.admin.create_program(&spec).await.expect("other county");

    // Nor may the hospital import under the other county's programme: out of reach.
    let rows = vec![row([
        "漳平市医院",
        "林一",
        "男",
        "",
        "",
        &unique_phone(),
        "泼河",
    ])];
    let before = census(&app).await;
    let error = world
        .hospital_admin
        .client
        .import_assignments(
            csv(&rows),
            CSV_CONTENT_TYPE,
            &terms(other_programme.id, AssignmentMode::Circuit),
        )
        .await
        .expect_err("another county's programme");
    let ClientError::Api { status, .. } = error else {
        panic!("expected a problem, got {error:?}");
    };
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(census(&app).await, before, "nothing was written");

    let listed = get(
        &app,
        &world.hospital_admin.client,
        "/api/v1/programs?limit=100",
    )
    .await;
    let mut names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    let mut expected = vec![world.program.name.as_str(), city_programme.name.as_str()];
    expected.sort_unstable();
    assert_eq!(names, expected);

    // A clinic administrator imports nothing and lists no programmes.
    let (status, _) = app
        .send(
            &world.clinic_admin.client,
            Method::GET,
            "/api/v1/programs",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
