//! The 考核登记表 (promotion form) through the real server, on histories built by
//! scanning: too few days, then enough with service elsewhere recorded, then a
//! confirmed fraud barring promotion for three years; the opinions by role; the
//! page, the workbook and the public notice; scope.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clinic::{Clinic, local};
use crate::complaints::{handle, record};
use crate::helpers::*;

async fn form(c: &Clinic, by: &Client, physician: Uuid) -> (StatusCode, Value) {
    c.app
        .send(
            by,
            Method::GET,
            &format!("/api/v1/physicians/{physician}/promotion-form"),
            None,
        )
        .await
}

async fn bytes(by: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = by.request(Method::GET, path).send().await.expect("answer");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.bytes().await.expect("body").to_vec())
}

/// Every non-empty cell of the first sheet as text, by row and column.
fn cells(book: Vec<u8>) -> Vec<(u32, u32, String)> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(book)).expect("xlsx");
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).expect("sheet");
    let mut out = Vec::new();
    for (r, row) in sheet.rows().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            let text = match cell {
                Data::String(s) => s.clone(),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Empty => continue,
                other => other.to_string(),
            };
            out.push((r as u32, col as u32, text));
        }
    }
    out
}

/// The text right of the cell reading `label`.
fn right_of(cells: &[(u32, u32, String)], label: &str) -> String {
    let (r, col, _) = cells
        .iter()
        .find(|(_, _, t)| t == label)
        .unwrap_or_else(|| panic!("no cell {label:?}"));
    cells
        .iter()
        .find(|(rr, cc, _)| rr == r && *cc == col + 1)
        .map(|(_, _, t)| t.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_promotion_verdict_follows_days_service_elsewhere_and_confirmed_fraud() {
    let c = Clinic::open().await;
    let w = &c.world;
    let me = w.physician.user.id;
    for day in [2, 3, 4] {
        c.visit(day).await;
    }

    // Three credited days under a programme of one day a month (a year is 12 days).
    let (status, f) = form(&c, &w.hospital_admin.client, me).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["cumulative_credited_days"], 3.0);
    assert_eq!(f["program_years"][0]["days_per_year"], 12.0);
    assert_eq!(f["verdict"]["status"], "not_met");
    assert_eq!(f["verdict"]["service_years"], 0.25);
    assert!(f["satisfaction"].is_null());
    assert_eq!(f["assessment"]["complaints_zh"], "无投诉");

    // Service elsewhere: the supervisor may not record it; another hospital's admin
    // does not see the physician; the own hospital records 援疆 with its document.
    let elsewhere = json!({
        "kind": "aid_xinjiang", "place": "新疆昌吉州人民医院",
        "start_date": "2025-01-01", "end_date": "2025-10-31",
        "evidence_number": "闽卫人〔2024〕12号",
    });
    let path = format!("/api/v1/physicians/{me}/external-service");
    assert_problem(
        c.app
            .send(
                &w.supervisor.client,
                Method::POST,
                &path,
                Some(elsewhere.clone()),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let stranger_hospital = c
        .app
        .organization(
            "龙岩市第一医院",
            OrganizationKind::Hospital,
            &w.county,
            None,
        )
        .await;
    let stranger = c
        .app
        .person(Role::HospitalAdmin, Some(stranger_hospital.id), None)
        .await;
    assert_problem(
        c.app
            .send(
                &stranger.client,
                Method::POST,
                &path,
                Some(elsewhere.clone()),
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let mut backwards = elsewhere.clone();
    backwards["end_date"] = json!("2024-12-31");
    let problem = assert_problem(
        c.app
            .send(
                &w.hospital_admin.client,
                Method::POST,
                &path,
                Some(backwards),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .starts_with("end_date")
    );
    let (status, recorded) = c
        .app
        .send(
            &w.hospital_admin.client,
            Method::POST,
            &path,
            Some(elsewhere),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["calendar_days"], 304);
    assert_eq!(recorded["kind_zh"], "援疆");
    let (status, listed) = c
        .app
        .send(&w.physician.client, Method::GET, &path, None)
        .await;
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );

    // 0.25 + 304/365 = 1.08 years: met.
    let (_, f) = form(&c, &w.supervisor.client, me).await;
    assert_eq!(f["verdict"]["status"], "met", "{}", f["verdict"]);
    assert_eq!(f["verdict"]["service_years"], 1.08);
    assert_eq!(
        f["external_services"][0]["evidence_number"],
        "闽卫人〔2024〕12号"
    );

    // A substantiated complaint is named under 患者投诉.
    let (status, complaint) = record(
        &c,
        c.clinic(),
        json!({"physician_id": me, "site_id": w.site.id, "received_on": "2026-03-04",
               "channel": "visit", "content": "候诊时间过长"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");
    let (status, _) = handle(
        &c,
        &w.supervisor.client,
        complaint["id"].as_str().expect("id"),
        json!({"status": "closed", "substantiated": "yes", "handling_note": "已整改"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // A mock-location check-in on the 5th, confirmed by the supervisor: fraud.
    c.app.clock.set(local(5, 8, 30));
    let payload = c.kiosk.kiosk_code().await.expect("code").payload;
    let (status, answer) = c
        .app
        .send(
            &w.physician.client,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(json!({
                "client_event_id": Uuid::new_v4(), "qr_payload": payload, "device_id": "phone-A",
                "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON),
                             "accuracy_m": 12.0, "crs": "wgs84", "is_mock": true},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["verdict"], "flagged", "{answer}");
    let (_, anomalies) = c
        .app
        .send(
            &w.supervisor.client,
            Method::GET,
            &format!("/api/v1/anomalies?physician_id={me}&kind=mock_location"),
            None,
        )
        .await;
    let anomaly = anomalies["items"][0]["id"]
        .as_str()
        .expect("anomaly")
        .to_owned();
    c.app.clock.set(local(5, 16, 0));
    let (status, body) = c
        .app
        .send(
            &w.supervisor.client,
            Method::POST,
            &format!("/api/v1/anomalies/{anomaly}/review"),
            Some(json!({"decision": "confirm", "note": "现场核实使用虚拟定位"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, f) = form(&c, &w.hospital_admin.client, me).await;
    assert_eq!(f["verdict"]["status"], "barred", "{}", f["verdict"]);
    assert_eq!(f["verdict"]["barred_until"], "2029-03-04");
    assert_eq!(f["fraud"][0]["kind"], "mock_location");
    assert_eq!(f["fraud"][0]["confirmed_on"], "2026-03-05");
    assert!(
        f["fraud"][0]["consequence_zh"]
            .as_str()
            .unwrap_or("")
            .contains("3年内不得晋升")
    );
    assert_eq!(f["assessment"]["complaints"]["substantiated"], 1);
    assert!(
        f["assessment"]["complaints_zh"]
            .as_str()
            .unwrap_or("")
            .contains("候诊时间过长"),
        "{}",
        f["assessment"]
    );

    // Opinions by role: each signer only its own line.
    let opinion =
        |signer: &str| format!("/api/v1/physicians/{me}/promotion-form/opinions/{signer}");
    for (client, signer, status) in [
        (&w.hospital_admin.client, "clinic", StatusCode::FORBIDDEN),
        (c.clinic(), "hospital", StatusCode::FORBIDDEN),
        (
            &c.other_clinic_admin.client,
            "clinic",
            StatusCode::NOT_FOUND,
        ),
        (&w.other_supervisor.client, "bureau", StatusCode::NOT_FOUND),
        (c.clinic(), "nobody", StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = c
            .app
            .send(
                client,
                Method::PUT,
                &opinion(signer),
                Some(json!({"opinion": "同意"})),
            )
            .await;
        assert_eq!(got, status, "{signer}: {body}");
    }
    for (client, signer, text) in [
        (c.clinic(), "clinic", "该同志在我院服务认真负责"),
        (&w.hospital_admin.client, "hospital", "情况属实"),
        (&w.supervisor.client, "bureau", "经审核，暂不同意"),
    ] {
        let (got, body) = c
            .app
            .send(
                client,
                Method::PUT,
                &opinion(signer),
                Some(json!({"opinion": text})),
            )
            .await;
        assert_eq!(got, StatusCode::OK, "{body}");
    }
    // A second clinic opinion replaces the first.
    let (got, body) = c
        .app
        .send(
            c.clinic(),
            Method::PUT,
            &opinion("clinic"),
            Some(json!({"opinion": "服务认真，群众认可"})),
        )
        .await;
    assert_eq!(got, StatusCode::OK, "{body}");
    let (_, f) = form(&c, c.clinic(), me).await;
    let opinions = f["opinions"].as_array().expect("opinions");
    assert_eq!(opinions.len(), 3);
    assert_eq!(opinions[0]["signer"], "clinic");
    assert_eq!(opinions[0]["opinion"], "服务认真，群众认可");
    assert_eq!(opinions[0]["organization_name"], "溪南镇卫生院");

    // Scope: another hospital's admin, another city's bureau, another clinic: 404;
    // the physician reads their own through /me.
    for client in [
        &stranger.client,
        &w.other_supervisor.client,
        &c.other_clinic_admin.client,
    ] {
        assert_problem(
            form(&c, client, me).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    let (status, mine) = c
        .app
        .send(
            &w.physician.client,
            Method::GET,
            "/api/v1/me/promotion-form",
            None,
        )
        .await;
    assert_eq!(
        (status, mine["verdict"]["status"].clone()),
        (StatusCode::OK, json!("barred"))
    );

    // The printable page: the verdict, the seal lines, escaped names.
    let (status, kind, page) = bytes(
        &w.hospital_admin.client,
        &format!("/api/v1/physicians/{me}/promotion-form?format=html"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    let page = String::from_utf8(page).expect("utf-8");
    assert!(page.contains("对口支援工作医师考核登记表"));
    assert!(page.contains("size:A4"));
    assert_eq!(page.matches("（盖章）").count(), 3, "three seal lines");
    assert!(page.contains("负责人（签字）"));
    assert!(page.contains("弄虚作假，限期内不得晋升"));
    assert!(page.contains("2029-03-04"));
    assert!(page.contains("受援单位意见") && page.contains("卫生健康行政部门意见"));

    // The workbook: title, verdict, cumulative days.
    let (status, kind, book) = bytes(
        &w.hospital_admin.client,
        &format!("/api/v1/physicians/{me}/promotion-form?format=xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let sheet = cells(book);
    assert_eq!(sheet[0].2, "对口支援工作医师考核登记表");
    assert!(right_of(&sheet, "结论").starts_with("弄虚作假，限期内不得晋升"));
    assert_eq!(right_of(&sheet, "累计服务天数"), "3天");
    assert!(right_of(&sheet, "院外支援（援外、援疆、援藏等）").contains("援疆"));
    assert!(sheet.iter().any(|(_, _, t)| t.contains("（盖章）")));

    // The public notice of the hospital: the candidate with the bar; scope.
    let notice = format!("/api/v1/promotion-notices?hospital_id={}", w.hospital.id);
    let (status, n) = c
        .app
        .send(&w.hospital_admin.client, Method::GET, &notice, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{n}");
    assert_eq!(n["candidates"].as_array().map(Vec::len), Some(1));
    assert_eq!(n["candidates"][0]["status"], "barred");
    assert_eq!(n["candidates"][0]["external_days"], 304);
    assert_eq!(
        (n["notice_from"].clone(), n["notice_to"].clone()),
        (json!("2026-03-05"), json!("2026-03-11"))
    );
    assert_problem(
        c.app
            .send(&stranger.client, Method::GET, &notice, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, _, book) = bytes(&w.supervisor.client, &format!("{notice}&format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let sheet = cells(book);
    assert_eq!(sheet[0].2, "晋升前信息公示");
    assert!(
        sheet
            .iter()
            .any(|(_, _, t)| t == "弄虚作假，限期内不得晋升")
    );
    let (_, _, page) = bytes(
        &w.supervisor.client,
        &format!("{notice}&format=html&contact=人事科 0597-1234567"),
    )
    .await;
    let page = String::from_utf8(page).expect("utf-8");
    assert!(
        page.contains("公示期：2026-03-05至2026-03-11") && page.contains("人事科 0597-1234567")
    );

    // Every write is in an intact audit chain.
    let (status, verification) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            "/api/v1/audit/verification",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verification}");
    assert_eq!(verification["intact"], true, "{verification}");
}
