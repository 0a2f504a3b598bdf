//! Kiosk codes as links: the QR carries `<public url>/m/#c=<payload>`, so any phone
//! camera opens the phone page; the check-in takes that link or the bare payload.

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::checkin::{Desk, accepted, refused};
use crate::kiosk::qr_test;

#[tokio::test]
async fn the_kiosk_qr_is_a_link_to_the_phone_page_whose_fragment_checks_in() {
    let desk = Desk::open().await;
    let code = desk.kiosk.kiosk_code().await.expect("code");
    let svg = desk.kiosk.kiosk_code_svg().await.expect("svg");

    let scanned = qr_test::decode_svg(&svg);
    assert_eq!(
        scanned,
        format!("{}/m/#c={}", desk.app.address, code.payload)
    );
    let body = accepted(desk.check_in(&desk.request(&scanned)).await);
    assert_eq!(body["verdict"], "accepted");
    assert_eq!(desk.visits().await.len(), 1);
}

#[tokio::test]
async fn the_full_link_and_the_bare_payload_both_check_in_and_out() {
    let desk = Desk::open().await;
    let link = desk.kiosk.kiosk_code().await.expect("code").url;
    assert!(link.contains("/m/#c=XX1."), "{link}");
    accepted(desk.check_in(&desk.request(&link)).await);
    desk.app.clock.advance(chrono::Duration::hours(4));
    let bare = desk.code().await;
    assert!(bare.starts_with("XX1."), "{bare}");
    accepted(desk.check_out(&desk.request(&bare)).await);
    let visits = desk.visits().await;
    assert_eq!(visits.len(), 1);
    assert!(visits[0].checked_out_at.is_some(), "{:?}", visits[0]);
}

#[tokio::test]
async fn a_link_with_a_foreign_fragment_or_none_is_refused_as_code_invalid() {
    let desk = Desk::open().await;
    let payload = desk.code().await;
    let base = &desk.app.address;
    for foreign in [
        format!("{base}/m/#token={payload}"),
        format!("{base}/m/#cc={payload}"),
        format!("{base}/m/?c={payload}"),
        format!("{base}/m/"),
        format!("{base}/m/#c=not-a-code"),
    ] {
        refused(desk.check_in(&desk.request(&foreign)).await, "code_invalid");
    }
    // Nothing was opened, and the code itself still works.
    assert!(desk.visits().await.is_empty());
    accepted(desk.check_in(&desk.request(&payload)).await);
}

#[tokio::test]
async fn checkin_public_url_names_the_address_in_screen_codes_and_printed_sheets() {
    let desk = Desk::open_with(|c| c.public_url = Some("https://checkin.example.cn".into())).await;
    let code = desk.kiosk.kiosk_code().await.expect("code");
    assert_eq!(
        code.url,
        format!("https://checkin.example.cn/m/#c={}", code.payload)
    );
    let svg = desk.kiosk.kiosk_code_svg().await.expect("svg");
    assert_eq!(qr_test::decode_svg(&svg), code.url);

    let site = desk.world.site.id;
    let sheet = desk
        .app
        .admin
        .daily_codes(site, "2026-03-02", 2)
        .await
        .expect("json");
    let path = format!("/api/v1/organizations/{site}/daily-codes?from=2026-03-02&days=2");
    let html = desk
        .app
        .admin
        .request(Method::GET, &path)
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("server answers")
        .text()
        .await
        .expect("body");
    let printed: Vec<String> = html
        .split("<svg")
        .skip(1)
        .map(|rest| {
            let end = rest.find("</svg>").expect("svg closes") + "</svg>".len();
            qr_test::decode_svg(&format!("<svg{}", &rest[..end]))
        })
        .collect();
    let expected: Vec<String> = sheet
        .codes
        .iter()
        .map(|c| format!("https://checkin.example.cn/m/#c={}", c.payload))
        .collect();
    assert_eq!(printed, expected);
    // The printed link of today's date checks in.
    accepted(desk.check_in(&desk.request(&printed[0])).await);
}

async fn code_url_via(desk: &Desk, headers: &[(&str, &str)]) -> String {
    let mut request = desk.kiosk.request(Method::GET, "/api/v1/kiosk/code");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["url"].as_str().expect("url").to_owned()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_link_uses_the_forwarded_scheme_and_host() {
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "checkin.example.cn"),
    ];
    // Not trusted: the headers are ignored and the request's own origin is used.
    let desk = Desk::open().await;
    let url = code_url_via(&desk, &forwarded).await;
    assert!(
        url.starts_with(&format!("{}/m/#c=", desk.app.address)),
        "{url}"
    );

    let desk =
        Desk::open_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")]).await;
    let url = code_url_via(&desk, &forwarded).await;
    assert!(
        url.starts_with("https://checkin.example.cn/m/#c=XX1."),
        "{url}"
    );
    accepted(desk.check_in(&desk.request(&url)).await);
}
