//! Who may be sent (issue #19 point 1): a programme's person rules refuse an
//! assignment with `not_eligible` naming the rule, an administrator overrides with a
//! written reason that is audited and shown in the reports; team rules refuse an import.

use mobile_api::OrganizationKind;
use mobile_api::client::Client;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const CSV: &str = "text/csv; charset=utf-8";

/// A programme of `world.county` with `eligibility`.
async fn program(app: &TestApp, world: &World, name: &str, eligibility: Value) -> Uuid {
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({
                "name": name,
                "jurisdiction_code": world.county,
                "requirements": [{"period": "month", "min_days": 1.0}],
                "eligibility": eligibility,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").parse().expect("uuid")
}

/// A physician of the world's hospital with `title`.
async fn staff(app: &TestApp, world: &World, name: &str, title: &str, since: i32) -> Uuid {
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "role": "physician",
                "name": name,
                "phone": unique_phone(),
                "password": PASSWORD,
                "organization_id": world.hospital.id,
                "title": title,
                "gender": "female",
                "practice_since_year": since,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["practice_since_year"], since);
    body["id"].as_str().expect("id").parse().expect("uuid")
}

fn posting(physician: Uuid, world: &World, program: Uuid, reason: Option<&str>) -> Value {
    let mut body = json!({
        "physician_id": physician,
        "site_id": world.site.id,
        "program_id": program,
        "mode": "circuit",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "window_start": "08:00",
        "window_end": "17:30",
    });
    if let Some(reason) = reason {
        body["eligibility_override"] = json!(reason);
    }
    body
}

fn rules_of(problem: &Value) -> Vec<String> {
    problem["extra"]["rules"]
        .as_array()
        .expect("extra.rules")
        .iter()
        .map(|r| r["rule"].as_str().expect("rule").to_owned())
        .collect()
}

#[tokio::test]
async fn a_nurse_is_refused_from_a_programme_for_intermediate_physicians_unless_an_admin_overrides()
{
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let fengze = program(
        &app,
        &world,
        "中级以上职称医师下基层",
        json!({"min_rank": "intermediate", "professions": ["physician"]}),
    )
    .await;
    let nurse = staff(&app, &world, "李护士", "护士", 2020).await;
    let attending = staff(&app, &world, "王主治", "主治医师", 2012).await;

    // The supervisor is refused, naming both rules, with the sentences in Chinese.
    let refused = assert_problem(
        app.send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(nurse, &world, fengze, None)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert_eq!(rules_of(&refused), ["min_rank", "profession"]);
    let detail = refused["detail"].as_str().expect("detail");
    assert!(
        detail.contains("[min_rank]") && detail.contains("中级及以上"),
        "{detail}"
    );
    // Only an administrator may override: a supervisor's reason changes nothing.
    let refused = assert_problem(
        app.send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(nurse, &world, fengze, Some("急需"))),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("仅管理员")
    );
    // A blank reason is no reason.
    assert_problem(
        app.send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(nurse, &world, fengze, Some("   "))),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );

    // An eligible physician needs no reason and carries no override.
    let (status, body) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(attending, &world, fengze, None)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("eligibility_override").is_none(), "{body}");

    let reason = "该院急需护理骨干，经局务会研究同意破格派出";
    let (status, created) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(nurse, &world, fengze, Some(reason))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["eligibility_override"]["reason"], reason);
    let id = created["id"].as_str().expect("id").to_owned();
    let overridden: Vec<&str> = created["eligibility_override"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    assert_eq!(overridden, ["min_rank", "profession"]);

    // Stored with the assignment ...
    let (status, read) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            &format!("/api/v1/assignments/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        read["eligibility_override"],
        created["eligibility_override"]
    );

    // ... in the audit log, by the administrator ...
    let (status, audit) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=assignment&object_id={id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "assignment.create", "{audit}");
    assert_eq!(
        entry["after"]["eligibility_override"]["reason"], reason,
        "{entry}"
    );

    // ... and in the monthly report's row, in JSON and in the filed table.
    let (status, report) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/reports/monthly?month=2026-03",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rows = report["rows"].as_array().expect("rows");
    let row_of = |name: &str| {
        rows.iter()
            .find(|r| r["physician_name"] == name)
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    assert_eq!(row_of("李护士")["eligibility_override"], reason);
    assert!(row_of("王主治").get("eligibility_override").is_none());
    let csv = app
        .admin
        .request(
            Method::GET,
            "/api/v1/reports/monthly?month=2026-03&format=csv",
        )
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let line = csv
        .lines()
        .find(|l| l.contains("李护士"))
        .expect("the nurse's line");
    assert!(line.contains(&format!("破格派出：{reason}")), "{line}");
    assert!(csv.contains("备注"), "{csv}");

    // The compliance report carries it too: on the JSON row and in the 备注 column of
    // the CSV and XLSX tables, blank for the eligible physician.
    let (status, compliance) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/reports/compliance?period=2026-03",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{compliance}");
    let rows = compliance["rows"].as_array().expect("rows");
    let of = |name: &str| {
        rows.iter()
            .find(|r| r["physician_name"] == name)
            .unwrap_or_else(|| panic!("{name} in {compliance}"))
    };
    assert_eq!(of("李护士")["eligibility_override"], reason);
    assert!(of("王主治").get("eligibility_override").is_none());
    let path = "/api/v1/reports/compliance?period=2026-03";
    let raw = app
        .admin
        .report_bytes(&format!("{path}&format=csv"), None)
        .await
        .expect("csv");
    let form = crate::reports::parse_form_csv(&raw);
    let note = form
        .headers
        .iter()
        .position(|h| h == "备注")
        .expect("备注 column");
    let name = form
        .headers
        .iter()
        .position(|h| h == "姓名")
        .expect("姓名 column");
    let cell = |person: &str| {
        form.rows
            .iter()
            .find(|r| r.get(name).is_some_and(|n| n == person))
            .and_then(|r| r.get(note).cloned())
            .unwrap_or_else(|| panic!("{person}'s row"))
    };
    assert_eq!(cell("李护士"), format!("破格派出：{reason}"));
    assert_eq!(cell("王主治"), "");
    let raw = app
        .admin
        .report_bytes(&format!("{path}&format=xlsx"), None)
        .await
        .expect("xlsx");
    let (sheet, _) = crate::reports::parse_xlsx(&raw);
    let header = (0..sheet.height() as u32)
        .find(|&r| crate::reports::cell_text(&sheet, r, 0) == "序号")
        .expect("header row");
    let note = (0..sheet.width() as u32)
        .find(|&c| crate::reports::cell_text(&sheet, header, c) == "备注")
        .expect("备注 in the sheet");
    let nurse = (header..sheet.height() as u32)
        .find(|&r| crate::reports::cell_text(&sheet, r, 1) == "李护士")
        .expect("the nurse's row");
    assert_eq!(
        crate::reports::cell_text(&sheet, nurse, note),
        format!("破格派出：{reason}")
    );
}

#[tokio::test]
async fn the_programme_states_its_rules_and_a_physicians_qualification_is_edited() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let id = program(
        &app,
        &world,
        "高年资中级以上职称医师",
        json!({"min_rank": "intermediate", "professions": ["physician"], "min_years": 5}),
    )
    .await;
    let (_, read) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/programs/{id}"),
            None,
        )
        .await;
    assert_eq!(read["eligibility"]["min_years"], 5);
    assert_eq!(
        read["eligibility_zh"],
        json!(["派出人员：从业不少于5年的中级及以上职称的医师"])
    );
    // Bad rules are refused naming the field.
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/programs",
            Some(json!({
                "name": "x",
                "jurisdiction_code": world.county,
                "requirements": [],
                "eligibility": {"min_years": 99},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("eligibility.min_years")
    );

    // A junior physician of 2 years: refused on two rules; promoted and dated back, accepted.
    let young = staff(&app, &world, "赵医师", "住院医师", 2024).await;
    let refused = assert_problem(
        app.send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(young, &world, id, None)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert_eq!(rules_of(&refused), ["min_rank", "min_years"]);
    let (status, body) = app
        .send(
            &app.admin,
            Method::PATCH,
            &format!("/api/v1/users/{young}"),
            Some(json!({"practice_since_year": 1900})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app
        .send(
            &app.admin,
            Method::PATCH,
            &format!("/api/v1/users/{young}"),
            Some(
                json!({"title": "主治医师", "practice_since_year": 2015, "discipline": "clinical"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discipline"], "clinical");
    let (status, body) = app
        .send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(young, &world, id, None)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The rules are edited on the programme (PATCH), checked like at creation and
    // audited; judged on the next posting.
    let path = format!("/api/v1/programs/{id}");
    let (status, body) = app
        .send(
            &app.admin,
            Method::PATCH,
            &path,
            Some(json!({"eligibility": {"min_years": 99}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, edited) = app
        .send(
            &app.admin,
            Method::PATCH,
            &path,
            Some(json!({"eligibility": {"min_rank": "associate_senior"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["eligibility_zh"],
        json!(["派出人员：副高及以上职称"])
    );
    let (_, read) = app.send(&app.admin, Method::GET, &path, None).await;
    assert_eq!(
        read["eligibility"],
        json!({"min_rank": "associate_senior"}),
        "{read}"
    );
    let (_, audit) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=program&object_id={id}"),
            None,
        )
        .await;
    assert_eq!(audit["items"][1]["action"], "program.update", "{audit}");
    assert_eq!(audit["items"][1]["before"]["eligibility"]["min_years"], 5);
    let refused = assert_problem(
        app.send(
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            Some(posting(young, &world, id, None)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert_eq!(rules_of(&refused), ["min_rank"]);
}

/// A personnel table for `rows` of (name, title, phone, site, 从业年份, 类别).
fn table(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut text = String::from("支援医院,姓名,性别,职称,电话,受援单位,从业年份,类别\n");
    for [name, title, phone, site, since, discipline] in rows {
        text.push_str(&format!(
            "漳平市医院,{name},男,{title},{phone},{site},{since},{discipline}\n"
        ));
    }
    text.into_bytes()
}

async fn import(app: &TestApp, query: &str, table: Vec<u8>) -> (StatusCode, Value) {
    upload(app, "/api/v1/assignments/import", query, table).await
}

async fn upload(app: &TestApp, path: &str, query: &str, table: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .admin
        .request(Method::POST, &format!("{path}?{query}"))
        .header(CONTENT_TYPE, CSV)
        .body(table)
        .send()
        .await
        .expect("answers");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn an_import_whose_team_is_too_small_is_refused_unless_an_admin_overrides() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let team = program(
        &app,
        &world,
        "未达标中心帮扶团队",
        json!({"team": {"min_members": 3, "min_ranked": 2, "ranked_min_rank": "intermediate",
                        "ranked_professions": ["physician"]}}),
    )
    .await;
    let (p1, p2) = (unique_phone(), unique_phone());
    let site = world.site.name.as_str();
    let rows = [
        ["林一", "主治医师", p1.as_str(), site, "2010", "临床"],
        ["曾二", "主管护师", p2.as_str(), site, "2015", "护理"],
    ];
    let query =
        format!("program_id={team}&mode=dispatch&start_date=2026-01-01&end_date=2026-12-31");

    // Two people, one of them a 中级以上 physician: both team rules broken, nothing written.
    let (status, refused) = import(&app, &query, table(&rows)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "not_eligible");
    assert_eq!(rules_of(&refused), ["team_size", "team_ranked"]);
    assert!(
        refused["extra"]["rules"][0]["detail_zh"]
            .as_str()
            .expect("detail")
            .starts_with("第2、3行所在团队"),
        "{refused}"
    );
    let (_, users) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/users?q={p1}"),
            None,
        )
        .await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(0), "{users}");

    // The dry run names the rows.
    let (status, preview) = upload(
        &app,
        "/api/v1/assignments/import/preview",
        &query,
        table(&rows),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["ok"], false);
    assert_eq!(preview["errors"][0]["column"], "eligibility", "{preview}");

    // The administrator's reason admits the rows, recorded on each assignment.
    let reason = "第三名成员下月到岗";
    let (status, result) = import(
        &app,
        &format!("{query}&eligibility_override={}", urlencoding(reason)),
        table(&rows),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{result}");
    let created = result["created_assignments"].as_array().expect("created");
    assert_eq!(created.len(), 2);
    let first = created[0]["assignment_id"].as_str().expect("id");
    let (_, read) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/assignments/{first}"),
            None,
        )
        .await;
    assert_eq!(read["eligibility_override"]["reason"], reason, "{read}");
    // The new physicians carry the optional columns.
    let new_id = result["created_users"][0]["user_id"]
        .as_str()
        .expect("user");
    let (_, user) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/users/{new_id}"),
            None,
        )
        .await;
    assert_eq!(user["practice_since_year"], 2010, "{user}");
    assert_eq!(user["discipline"], "clinical", "{user}");

    // The site's team as it stands still breaks the rules, and says so.
    let (status, shown) = app
        .send(
            &app.admin,
            Method::GET,
            &format!(
                "/api/v1/programs/{team}/sites/{}/team?date=2026-03-02",
                world.site.id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["members"].as_array().map(Vec::len), Some(2));
    let broken: Vec<&str> = shown["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["rule"].as_str())
        .collect();
    assert_eq!(broken, ["team_size", "team_ranked"]);

    // A third, intermediate physician completes the team: the next import passes alone.
    let p3 = unique_phone();
    let third = [["陈三", "副主任医师", p3.as_str(), site, "2008", "临床"]];
    let (status, body) = import(&app, &query, table(&third)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The personnel table shows the override and the new columns.
    let sheet = app
        .admin
        .request(
            Method::GET,
            &format!("/api/v1/assignments/personnel-table?format=csv&program_id={team}"),
        )
        .send()
        .await
        .expect("table")
        .text()
        .await
        .expect("text");
    assert!(
        sheet.contains("从业年份") && sheet.contains("类别"),
        "{sheet}"
    );
    let line = sheet.lines().find(|l| l.contains("林一")).expect("row");
    assert!(line.contains(&format!("破格派出：{reason}")), "{line}");
    assert!(line.contains("2010") && line.contains("临床"), "{line}");
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Sends `body` to `path` as `client` and answers status and body.
async fn post(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.send(client, method, path, Some(body)).await
}

#[tokio::test]
async fn a_transfer_or_change_is_judged_again_with_the_same_override_path() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let rules = json!({"min_rank": "intermediate", "professions": ["physician"],
                       "team": {"min_members": 2}});
    let team = program(&app, &world, "帮扶团队（不少于2人）", rules).await;
    let first = staff(&app, &world, "周主治", "主治医师", 2010).await;
    let second = staff(&app, &world, "吴主治", "主治医师", 2011).await;
    let mut ids = Vec::new();
    for physician in [first, second] {
        let (status, body) = post(
            &app,
            &app.admin,
            Method::POST,
            "/api/v1/assignments",
            posting(physician, &world, team, None),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let new_site = app
        .organization(
            "桂林街道社区卫生服务中心",
            OrganizationKind::CommunityHealthCenter,
            &world.county,
            Some(circle(SITE_LAT + 0.05, SITE_LON + 0.05, 150.0)),
        )
        .await;

    // Moving one of two away leaves the site's team short: refused naming the rule,
    // and only an administrator may do it anyway.
    let transfer = |reason: Option<&str>| {
        let mut body = json!({"site_id": new_site.id, "effective_from": "2026-03-10",
                              "reason": "工作需要"});
        if let Some(reason) = reason {
            body["eligibility_override"] = json!(reason);
        }
        body
    };
    let path = format!("/api/v1/assignments/{}/transfer", ids[0]);
    let refused = assert_problem(
        post(
            &app,
            &world.supervisor.client,
            Method::POST,
            &path,
            transfer(Some("急需")),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert_eq!(rules_of(&refused), ["team_size"]);
    let detail = refused["extra"]["rules"][0]["detail_zh"]
        .as_str()
        .expect("detail");
    assert!(detail.starts_with("周主治调出后"), "{detail}");
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("仅管理员")
    );
    // Nothing changed: the old posting still runs to the end of the year.
    let (_, unchanged) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/assignments/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(unchanged["end_date"], "2026-12-31", "{unchanged}");

    let reason = "新址急需，原址下月补派";
    let (status, moved) = post(
        &app,
        &app.admin,
        Method::POST,
        &path,
        transfer(Some(reason)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(
        moved["assignment"]["eligibility_override"]["reason"],
        reason
    );
    let moved_id = moved["assignment"]["id"].as_str().expect("id").to_owned();
    let (_, read) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/assignments/{moved_id}"),
            None,
        )
        .await;
    assert_eq!(read["eligibility_override"]["reason"], reason, "{read}");
    assert_eq!(
        read["eligibility_override"]["rules"][0]["rule"],
        "team_size"
    );
    let (_, audit) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=assignment&object_id={moved_id}"),
            None,
        )
        .await;
    assert_eq!(
        audit["items"][0]["after"]["eligibility_override"]["reason"], reason,
        "{audit}"
    );

    // A change of terms judges the person again: demoted since, the second physician
    // no longer meets 中级以上, and a new end date needs an administrator's reason.
    let (status, body) = post(
        &app,
        &app.admin,
        Method::PATCH,
        &format!("/api/v1/users/{second}"),
        json!({"title": "住院医师"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let change = |reason: Option<&str>| {
        let mut body = json!({"effective_from": "2026-03-10", "reason": "延长服务期",
                              "end_date": "2027-03-31"});
        if let Some(reason) = reason {
            body["eligibility_override"] = json!(reason);
        }
        body
    };
    let path = format!("/api/v1/assignments/{}", ids[1]);
    let refused = assert_problem(
        post(
            &app,
            &world.supervisor.client,
            Method::PATCH,
            &path,
            change(None),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    );
    assert_eq!(rules_of(&refused), ["min_rank"]);
    let reason = "职称评审复核中，暂按原职称派出";
    let (status, changed) =
        post(&app, &app.admin, Method::PATCH, &path, change(Some(reason))).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["end_date"], "2027-03-31");
    assert_eq!(changed["eligibility_override"]["reason"], reason);
    // Admitted once, admitted for the next change without a new reason ...
    let (status, again) = post(
        &app,
        &world.supervisor.client,
        Method::PATCH,
        &path,
        json!({"effective_from": "2026-03-10", "reason": "调整时段",
               "window_start": "08:30", "window_end": "17:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["eligibility_override"]["reason"], reason);
    // ... and shown in the reports like an override made at creation.
    let (_, report) = app
        .send(
            &app.admin,
            Method::GET,
            "/api/v1/reports/compliance?period=2026-03",
            None,
        )
        .await;
    let row = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["physician_name"] == "吴主治")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(row["eligibility_override"], reason);
}
