//! The assignment lifecycle (#18 point 6): listing, changing terms from a date, ending
//! early, transferring, the history, and past visits judged by the terms of their day.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use xiaxiang_server::service::audit::verify;
use xiaxiang_server::store::Store;

use crate::checkin::{Desk, accepted, local, refused};
use crate::helpers::*;

/// `server audit verify` on the app's database: the chain and every audited row.
async fn audit_intact(app: &TestApp) -> bool {
    let store = Store::connect(&app.db.url(), 2).await.expect("connects");
    verify(&store).await.expect("reads").is_intact()
}

/// The actions of the audit entries naming `object_id`, oldest first.
async fn audit_actions(app: &TestApp, object_id: &str) -> Vec<String> {
    let (status, page) = app
        .send(
            &app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=assignment&object_id={object_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn path(world: &World, tail: &str) -> String {
    format!("/api/v1/assignments/{}{tail}", world.assignment.id)
}

/// Checks in and out on 2026-03-`day` at the world's site.
async fn serve_a_morning(desk: &Desk, day: u32) {
    desk.app.clock.set(local(day, 9, 0));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(day, 12, 30));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
}

#[tokio::test]
async fn a_window_change_judges_later_days_and_leaves_earlier_visits_as_judged() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;

    let change = |from: &str| json!({"effective_from": from, "reason": "受援单位调整门诊时间", "window_start": "13:00", "window_end": "18:00"});
    // Taking effect on the day already served would judge that visit again.
    let body = assert_problem(
        app.send(
            &app.admin,
            Method::PATCH,
            &path(world, ""),
            Some(change("2026-03-02")),
        )
        .await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    assert!(
        body["detail"].as_str().unwrap_or("").contains("2026-03-03"),
        "{body}"
    );
    let (status, changed) = app
        .send(
            &app.admin,
            Method::PATCH,
            &path(world, ""),
            Some(change("2026-03-03")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["terms_version"], 2);
    assert_eq!(changed["terms_from"], "2026-03-03");
    assert_eq!(changed["window_start"], "13:00");

    // The next morning is outside the new window; the afternoon is inside.
    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "outside_window",
    );
    desk.app.clock.set(local(3, 13, 30));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);

    // The morning of the 2nd keeps its credit under the old window.
    let visits = desk.visits().await;
    let second = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-02")
        .expect("the visit of the 2nd");
    assert_eq!(second.assignment_id, world.assignment.id);

    let (status, history) = app
        .send(&app.admin, Method::GET, &path(world, "/history"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["action"], "create");
    assert_eq!(versions[0]["window_start"], "08:00");
    assert_eq!(versions[0]["effective_to"], "2026-03-02");
    assert_eq!(versions[1]["action"], "change");
    assert_eq!(versions[1]["effective_from"], "2026-03-03");
    assert_eq!(versions[1]["reason"], "受援单位调整门诊时间");
    assert_eq!(versions[1]["changed_by_name"], "Administrator");
    assert!(versions[1]["effective_to"].is_null());

    // The physician reads the history of their own assignment; another county's
    // supervisor does not learn it exists.
    let (status, _) = app
        .send(
            &world.physician.client,
            Method::GET,
            &path(world, "/history"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        app.send(
            &world.other_supervisor.client,
            Method::GET,
            &path(world, "/history"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn ending_early_refuses_later_check_ins_and_nonsense_dates() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;
    let end = |date: &str, reason: &str| json!({"end_date": date, "reason": reason});
    let end_path = path(world, "/end");
    let send = |body: Value| {
        app.send(
            &world.hospital_admin.client,
            Method::POST,
            &end_path,
            Some(body),
        )
    };

    let bad = assert_problem(
        send(end("2025-12-31", "病假")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        bad["detail"].as_str().unwrap_or("").starts_with("end_date"),
        "{bad}"
    );
    let bad = assert_problem(
        send(end("2026-03-02", " ")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        bad["detail"].as_str().unwrap_or("").starts_with("reason"),
        "{bad}"
    );
    assert_problem(
        send(end("2027-01-31", "病假")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_an_early_end",
    );
    assert_problem(
        send(end("2026-03-01", "病假")).await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    // Nothing of the refused requests was stored.
    let (_, still) = app
        .send(&app.admin, Method::GET, &path(world, ""), None)
        .await;
    assert_eq!(still["terms_version"], 1);
    assert_eq!(still["end_date"], "2026-12-31");

    let (status, ended) = send(end("2026-03-02", "病假，提前结束派驻")).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["end_date"], "2026-03-02");
    assert_eq!(ended["terms_from"], "2026-03-03");

    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "no_assignment",
    );

    // The end is in the audit log, and the chain still verifies every row.
    assert_eq!(
        audit_actions(app, &world.assignment.id.to_string()).await,
        vec!["assignment.create", "assignment.end"]
    );
    assert!(audit_intact(app).await);
}

#[tokio::test]
async fn a_transfer_moves_the_physician_to_another_receiving_clinic() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    serve_a_morning(&desk, 2).await;
    let (lat, lon) = (SITE_LAT + 0.05, SITE_LON + 0.05);
    let new_site = app
        .organization(
            "桂林街道社区卫生服务中心",
            OrganizationKind::CommunityHealthCenter,
            &world.county,
            Some(circle(lat, lon, 150.0)),
        )
        .await;
    let transfer = |site: uuid::Uuid, from: &str| json!({"site_id": site, "effective_from": from, "reason": "工作需要，调往新址"});
    let transfer_path = path(world, "/transfer");
    let send = async |client: &mobile_api::client::Client, body: Value| {
        app.send(client, Method::POST, &transfer_path, Some(body))
            .await
    };
    assert_problem(
        send(&app.admin, transfer(world.hospital.id, "2026-03-03")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_receiving_site",
    );
    assert_problem(
        send(&app.admin, transfer(world.other_site.id, "2026-03-03")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "site_outside_program",
    );
    // Out of the supervisor's reach: as if it did not exist.
    assert_problem(
        send(
            &world.supervisor.client,
            transfer(world.other_site.id, "2026-03-03"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        send(
            &world.supervisor.client,
            transfer(new_site.id, "2026-03-02"),
        )
        .await,
        StatusCode::CONFLICT,
        "change_rejudges_visits",
    );
    let (status, moved) = send(
        &world.supervisor.client,
        transfer(new_site.id, "2026-03-03"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["ended"]["end_date"], "2026-03-02");
    assert_eq!(moved["assignment"]["site_id"], new_site.id.to_string());
    assert_eq!(moved["assignment"]["start_date"], "2026-03-03");
    assert_eq!(moved["assignment"]["end_date"], "2026-12-31");
    assert_eq!(
        moved["assignment"]["transfer_id"],
        world.assignment.id.to_string()
    );
    assert_eq!(moved["ended"]["transfer_id"], moved["assignment"]["id"]);

    // On the 3rd the old clinic's code no longer admits the physician.
    desk.app.clock.set(local(3, 9, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "no_assignment",
    );
    let kiosk = app
        .admin
        .enroll_kiosk(new_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    let code = app
        .client(&kiosk.token)
        .kiosk_code()
        .await
        .expect("code")
        .payload;
    let mut at_new_site = desk.request(&code);
    at_new_site["location"]["lat"] = json!(jitter(lat));
    at_new_site["location"]["lon"] = json!(lon);
    let body = accepted(desk.check_in(&at_new_site).await);
    assert!(body["visit_id"].is_string());
    let visits = desk.visits().await;
    let third = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-03")
        .expect("a visit on the 3rd");
    assert_eq!(
        third.assignment_id.to_string(),
        moved["assignment"]["id"].as_str().unwrap_or("")
    );

    let (_, history) = app
        .send(&app.admin, Method::GET, &path(world, "/history"), None)
        .await;
    assert_eq!(history["versions"][1]["action"], "transfer");
    assert_eq!(history["versions"][1]["reason"], "工作需要，调往新址");
    assert_eq!(
        audit_actions(app, &world.assignment.id.to_string()).await,
        vec!["assignment.create", "assignment.transfer"]
    );
    assert!(audit_intact(app).await);
}

#[tokio::test]
async fn the_list_is_scoped_filtered_and_paged() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let second = app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: world.physician.user.id,
            site_id: world.site.id,
            program_id: world.program.id,
            mode: AssignmentMode::Dispatch,
            start_date: "2027-01-01".parse().expect("date"),
            end_date: "2027-06-30".parse().expect("date"),
            window_start: "08:00".into(),
            window_end: "12:00".into(),
            eligibility_override: None,
        })
        .await
        .expect("a second assignment");
    let list = |client: &mobile_api::client::Client, query: &str| {
        let query = query.to_owned();
        let client = client.clone();
        let app = &app;
        async move {
            let (status, body) = app
                .send(
                    &client,
                    Method::GET,
                    &format!("/api/v1/assignments?{query}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body
        }
    };
    let ids = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["assignment"]["id"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let both = list(&world.supervisor.client, "").await;
    assert_eq!(ids(&both).len(), 2);
    assert_eq!(both["items"][0]["site_name"], "溪南镇卫生院");
    assert_eq!(both["items"][0]["hospital_name"], "漳平市医院");
    assert!(ids(&list(&world.other_supervisor.client, "").await).is_empty());
    assert_eq!(ids(&list(&world.hospital_admin.client, "").await).len(), 2);
    assert_eq!(ids(&list(&world.clinic_admin.client, "").await).len(), 2);
    assert_eq!(ids(&list(&world.physician.client, "").await).len(), 2);

    let on = list(&app.admin, "active_on=2027-03-01").await;
    assert_eq!(ids(&on), vec![second.id.to_string()]);
    // The clock stands in 2026: the second one has not begun.
    let upcoming = list(&app.admin, "status=upcoming").await;
    assert_eq!(ids(&upcoming), vec![second.id.to_string()]);
    assert_eq!(upcoming["items"][0]["status"], "upcoming");
    let county = list(
        &app.admin,
        &format!(
            "jurisdiction_code={}&hospital_id={}",
            world.county, world.hospital.id
        ),
    )
    .await;
    assert_eq!(ids(&county).len(), 2);
    assert!(ids(&list(&app.admin, &format!("site_id={}", world.other_site.id)).await).is_empty());

    let first_page = list(&app.admin, "limit=1").await;
    let cursor = first_page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let next = list(&app.admin, &format!("limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&first_page).len() + ids(&next).len(), 2);
    assert_ne!(ids(&first_page), ids(&next));
    assert!(next["next_cursor"].is_null());

    assert_problem(
        app.send(
            &app.admin,
            Method::GET,
            "/api/v1/assignments?status=soon",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        app.send(
            &app.admin,
            Method::GET,
            "/api/v1/assignments?active_on=2027-3-1",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_problem(
        app.send(
            &world.other_supervisor.client,
            Method::GET,
            &format!("/api/v1/assignments?jurisdiction_code={}", world.county),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// A county's sites as the personnel tables name them, in a world.
async fn receiving_sites(app: &TestApp, world: &World) {
    for (name, kind, lat) in [
        (
            "泼河镇卫生院",
            OrganizationKind::TownshipHealthCenter,
            25.20,
        ),
        (
            "斛山乡卫生院",
            OrganizationKind::TownshipHealthCenter,
            25.22,
        ),
    ] {
        app.organization(name, kind, &world.county, Some(circle(lat, 117.40, 150.0)))
            .await;
    }
}

fn import_terms(program_id: uuid::Uuid) -> ImportAssignmentsQuery {
    ImportAssignmentsQuery {
        program_id,
        mode: AssignmentMode::Circuit,
        start_date: "2026-01-01".parse().expect("date"),
        end_date: "2026-12-31".parse().expect("date"),
        window_start: None,
        window_end: None,
        filename: Some("附件1 支援人员安排情况表.xlsx".into()),
        eligibility_override: None,
    }
}

/// Downloads the personnel table: content type and bytes.
async fn personnel_table(app: &TestApp, query: &str) -> (String, Vec<u8>) {
    let response = app
        .admin
        .request(
            Method::GET,
            &format!("/api/v1/assignments/personnel-table?{query}"),
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (content_type, response.bytes().await.expect("body").to_vec())
}

/// The sheet's rows as text.
fn sheet_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

const PERSONNEL_HEADER: [&str; 15] = [
    "序号",
    "支援医院",
    "姓名",
    "性别",
    "专业",
    "职称",
    "电话",
    "受援单位",
    "支援方式",
    "开始日期",
    "结束日期",
    "每日时段",
    "从业年份",
    "类别",
    "备注",
];

/// The data rows under the header, without their 序号.
fn personnel_rows(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "序号"))
        .expect("a header row");
    assert_eq!(rows[header], PERSONNEL_HEADER);
    rows[header + 1..]
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| r[1..].to_vec())
        .collect()
}

#[tokio::test]
async fn the_personnel_table_exported_imports_again_into_a_fresh_world() {
    let first = TestApp::spawn().await;
    let world = first.world().await;
    receiving_sites(&first, &world).await;
    let phones = [unique_phone(), unique_phone(), unique_phone()];
    let csv = format!(
        "\u{feff}漳平市医院下派乡镇卫生院名单,,,,,,\n牵头医院名称,姓名,性别,专业,职称,电话,拟下派乡镇卫生院\n\
         漳平市医院,林一,男,外科,全科执业医师,{},泼河\n,曾二,男,内科/康复科,中医执业医师,{},\n\
         ,祝三,女,儿科,中医副主任医师,{},斛山乡卫生院\n",
        phones[0], phones[1], phones[2]
    );
    let imported = first
        .admin
        .import_assignments(
            csv.into_bytes(),
            CSV_CONTENT_TYPE,
            &import_terms(world.program.id),
        )
        .await
        .expect("the table imports");
    assert_eq!(imported.created_assignments.len(), 3);

    let (content_type, xlsx) = personnel_table(
        &first,
        &format!("program_id={}&format=xlsx", world.program.id),
    )
    .await;
    assert_eq!(content_type, XLSX_CONTENT_TYPE);
    let sheet = sheet_rows(&xlsx);
    assert_eq!(sheet[0][0], "支援人员安排情况表");
    assert!(sheet[1][0].contains("共 4 人、4 条安排"), "{:?}", sheet[1]);
    let exported = personnel_rows(&sheet);
    assert_eq!(exported.len(), 4, "three imported and the world's own");
    let lin = exported
        .iter()
        .find(|r| r[1] == "林一")
        .expect("林一's row");
    assert_eq!(
        lin,
        &vec![
            "漳平市医院",
            "林一",
            "男",
            "外科",
            "全科执业医师",
            &phones[0],
            "泼河镇卫生院",
            "巡诊",
            "2026-01-01",
            "2026-12-31",
            "08:00-17:30",
            "",
            "",
            "",
        ]
    );
    // Numbered 1..=4 in the first column.
    let header = sheet.iter().position(|r| r[0] == "序号").expect("header");
    let numbers: Vec<&str> = sheet[header + 1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, vec!["1", "2", "3", "4"]);

    // A fresh world with the same hospital and sites takes the file as it is.
    let second = TestApp::spawn().await;
    let fresh = second.world().await;
    receiving_sites(&second, &fresh).await;
    let again = second
        .admin
        .import_assignments(
            xlsx.clone(),
            XLSX_CONTENT_TYPE,
            &import_terms(fresh.program.id),
        )
        .await
        .expect("the export imports");
    assert_eq!(again.rows, 4);
    assert_eq!(again.created_assignments.len(), 4);
    let (_, back) = personnel_table(&second, &format!("program_id={}", fresh.program.id)).await;
    let round_trip = personnel_rows(&sheet_rows(&back));
    // The fresh world's own physician is there too; everything exported came back.
    assert_eq!(round_trip.len(), 5);
    for row in &exported {
        assert!(
            round_trip.contains(row),
            "{row:?} missing from {round_trip:?}"
        );
    }

    // Imported again where it came from, it changes nothing.
    let replay = first
        .admin
        .import_assignments(xlsx, XLSX_CONTENT_TYPE, &import_terms(world.program.id))
        .await
        .expect("imports again");
    assert!(replay.created_assignments.is_empty() && replay.created_users.is_empty());
    assert_eq!(replay.existing_assignments.len(), 4);

    // The CSV carries the same header; other counties' supervisors see no rows.
    let (content_type, csv) = personnel_table(&first, "format=csv").await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(text.contains(&PERSONNEL_HEADER.join(",")), "{text}");
    let response = world
        .other_supervisor
        .client
        .request(
            Method::GET,
            "/api/v1/assignments/personnel-table?format=csv",
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    assert!(!text.contains("林一"), "{text}");
    assert_problem(
        first
            .send(
                &first.admin,
                Method::GET,
                "/api/v1/assignments/personnel-table?format=json",
                None,
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_granted_check_out_keeps_the_window_of_its_day_after_a_change() {
    let desk = Desk::open().await;
    let (app, world) = (&desk.app, &desk.world);
    desk.app.clock.set(local(2, 9, 0));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let (status, body) = app
        .send(
            &app.admin,
            Method::PATCH,
            &path(world, ""),
            Some(json!({"effective_from": "2026-03-03", "reason": "改为下午", "window_start": "13:00", "window_end": "18:00"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The next day's scan closes the 2nd's visit without a check-out.
    desk.app.clock.set(local(3, 13, 30));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let (status, page) = app
        .send(
            &world.supervisor.client,
            Method::GET,
            "/api/v1/anomalies?kind=missing_checkout",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = page["items"][0]["id"]
        .as_str()
        .expect("a missing check-out")
        .to_owned();
    let (status, body) = app
        .send(
            &world.supervisor.client,
            Method::POST,
            &format!("/api/v1/anomalies/{id}/review"),
            Some(json!({"decision": "dismiss", "note": "电话核实，当天在岗至下班"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let visits = desk.visits().await;
    let second = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-02")
        .expect("the 2nd's visit");
    // Granted up to the end of the window in force on the 2nd (17:30), not the new 18:00.
    assert_eq!(second.checked_out_at, Some(local(2, 17, 30)));
}
