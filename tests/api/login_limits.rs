//! Login hardening through the real server: the failure limits hold against
//! concurrent attempts (in one process and across two sharing Redis), IPv6 clients
//! are counted per network, and password hashes of an older cost are replaced at
//! the next successful login.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use uuid::Uuid;
use xiaxiang_server::auth::password::PasswordCost;
use xiaxiang_server::domain::user::Phone;
use xiaxiang_server::store::Store;

use crate::checkin::{Desk, accepted, refused};
use crate::helpers::*;
use crate::process::{ServerProcess, env_of};

const WRONG: &str = "wrong-password-1";

/// A physician of a fresh hospital; answers their phone.
async fn physician(app: &TestApp) -> String {
    let world = app.world().await;
    let person = app
        .person(Role::Physician, Some(world.hospital.id), None)
        .await;
    person.user.phone
}

/// Posts a login to `address` (optionally as forwarded for `client`); answers the
/// status and the problem `code` (empty on success).
async fn login_at(
    address: &str,
    phone: &str,
    password: &str,
    client: Option<&str>,
) -> (StatusCode, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({"phone": phone, "password": password}));
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.expect("answers");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    (status, code)
}

/// `count` wrong-password logins for `phone`, all at once, spread over `addresses`;
/// answers how many were 401 `invalid_credentials` (and checks the rest were 429
/// `too_many_attempts`).
async fn concurrent_wrong_logins(addresses: &[String], phone: &str, count: usize) -> usize {
    let mut attempts = JoinSet::new();
    for i in 0..count {
        let address = addresses[i % addresses.len()].clone();
        let phone = phone.to_owned();
        attempts.spawn(async move { login_at(&address, &phone, WRONG, None).await });
    }
    let mut invalid = 0;
    while let Some(answer) = attempts.join_next().await {
        match answer.expect("attempt task") {
            (StatusCode::UNAUTHORIZED, code) if code == "invalid_credentials" => invalid += 1,
            (StatusCode::TOO_MANY_REQUESTS, code) if code == "too_many_attempts" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    invalid
}

/// `xiaxiang_login_attempts_total{outcome}` of the server at `address`.
async fn logins_counted(address: &str, outcome: &str) -> u64 {
    let text = reqwest::Client::new()
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    let prefix = format!("xiaxiang_login_attempts_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |value| value.trim().parse().expect("a count"))
}

#[tokio::test]
async fn concurrent_wrong_passwords_check_at_most_the_limit_and_then_the_right_one_is_refused() {
    // The figures of the report: 5 per phone, 20 per address, 40 at once.
    let app = TestApp::builder()
        .config(|c| {
            c.login_max_failures_per_phone = 5;
            c.login_max_failures_per_ip = 20;
            c.rate_login_per_ip = 0;
        })
        .spawn()
        .await;
    let phone = physician(&app).await;

    let invalid = concurrent_wrong_logins(std::slice::from_ref(&app.address), &phone, 40).await;
    assert!(
        (1..=5).contains(&invalid),
        "{invalid} passwords were checked; at most 5 may be"
    );
    assert!(
        logins_counted(&app.address, "invalid_credentials").await <= 5,
        "the server checked more than 5 passwords"
    );
    // Within the window the right password is refused too.
    assert_eq!(
        login_at(&app.address, &phone, PASSWORD, None).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts".to_owned()
        )
    );
}

#[tokio::test]
async fn two_processes_sharing_the_cache_check_at_most_the_limit_between_them() {
    let app = TestApp::spawn().await;
    let phone = physician(&app).await;
    let tag = Uuid::new_v4().simple().to_string();
    let logs: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| std::env::temp_dir().join(format!("xiaxiang-login-{tag}-{name}.log")))
        .collect();
    let env = env_of(&app);
    let mut a = ServerProcess::start(&env, &logs[0]).await;
    let mut b = ServerProcess::start(&env, &logs[1]).await;
    let addresses = [a.address.clone(), b.address.clone()];

    let invalid = concurrent_wrong_logins(&addresses, &phone, 40).await;
    let mut checked = 0;
    for address in &addresses {
        checked += logins_counted(address, "invalid_credentials").await;
    }
    assert_eq!(checked, invalid as u64);
    // With Redis the processes count together; without it, each on its own.
    let bound = if redis_url().is_some() { 5 } else { 10 };
    assert!(
        (1..=bound).contains(&checked),
        "{checked} passwords were checked; at most {bound} may be"
    );
    // Each process saw 20 of the attempts: the phone is locked at both either way.
    for address in &addresses {
        assert_eq!(
            login_at(address, &phone, PASSWORD, None).await,
            (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts".to_owned()
            )
        );
    }
    a.terminate().await;
    b.terminate().await;
    for log in &logs {
        let _ = std::fs::remove_file(log);
    }
}

#[tokio::test]
async fn ipv6_clients_behind_a_trusted_proxy_are_limited_per_64() {
    let app = TestApp::builder()
        .config(|c| {
            c.login_max_failures_per_ip = 20;
            c.rate_login_per_ip = 0;
            // The tests connect from 127.0.0.1: here that is the proxy.
            c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network")];
        })
        .spawn()
        .await;
    let mut answers = Vec::new();
    // 60 addresses of one /64, a phone each, so only the address limit can bite.
    for i in 1..=60 {
        let client = format!("2001:db8:5:6:{i:x}::{i:x}");
        answers.push(login_at(&app.address, &unique_phone(), WRONG, Some(&client)).await);
    }
    let invalid = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(invalid, 20, "{answers:?}");
    assert!(
        answers[20..].iter().all(|a| *a
            == (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts".to_owned()
            )),
        "{answers:?}"
    );
    // The next /64 is another client, and an IPv4 client is its own address.
    for client in ["2001:db8:5:7::1", "198.51.100.7", "::ffff:198.51.100.8"] {
        assert_eq!(
            login_at(&app.address, &unique_phone(), WRONG, Some(client)).await,
            (StatusCode::UNAUTHORIZED, "invalid_credentials".to_owned()),
            "{client}"
        );
    }
}

#[tokio::test]
async fn the_ipv6_prefix_length_is_configurable() {
    let app = TestApp::builder()
        .config(|c| {
            c.login_max_failures_per_ip = 2;
            c.rate_login_per_ip = 0;
            c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network")];
            c.ipv6_prefix_len = 48;
        })
        .spawn()
        .await;
    // Two /64s of one /48 are one client at /48.
    for client in ["2001:db8:9:1::1", "2001:db8:9:2::1"] {
        assert_eq!(
            login_at(&app.address, &unique_phone(), WRONG, Some(client))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_at(
            &app.address,
            &unique_phone(),
            WRONG,
            Some("2001:db8:9:3::1")
        )
        .await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts".to_owned()
        )
    );
}

#[tokio::test]
async fn check_ins_from_one_ipv6_64_share_the_per_address_rate_limit() {
    let desk = Desk::open_with(|c| {
        c.rate_checkin_per_ip = 3;
        c.rate_checkin_per_account = 100;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network")];
    })
    .await;
    let check_in_from = async |client: &str, body: &Value| {
        let response = desk
            .world
            .physician
            .client
            .request(Method::POST, "/api/v1/attendance/check-in")
            .header("x-forwarded-for", client)
            .json(body)
            .send()
            .await
            .expect("answers");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        (status, body)
    };
    accepted(check_in_from("2001:db8:7:7::1", &desk.request(&desk.code().await)).await);
    for client in ["2001:db8:7:7::2", "2001:db8:7:7:ffff::3"] {
        refused(
            check_in_from(client, &desk.request(&desk.next_code().await)).await,
            "already_checked_in",
        );
    }
    let (status, body) =
        check_in_from("2001:db8:7:7::4", &desk.request(&desk.next_code().await)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited");
    // Another /64 has a count of its own.
    refused(
        check_in_from("2001:db8:7:8::1", &desk.request(&desk.next_code().await)).await,
        "already_checked_in",
    );
}

#[tokio::test]
async fn a_password_hashed_at_an_older_cost_is_rehashed_at_the_current_cost_on_login() {
    let mut app = TestApp::spawn().await;
    let phone = physician(&app).await;
    let store = Store::connect(&app.config.database_url, 1)
        .await
        .expect("store");
    let stored_hash = async || {
        store
            .credentials_by_phone(&Phone::parse(&phone).expect("a phone"))
            .await
            .expect("reads")
            .expect("the physician")
            .password_hash
    };
    let old = stored_hash().await;
    assert!(old.contains("m=256,t=1,"), "{old}");

    // The cost is raised; the server restarts with it.
    app.config.password_cost = PasswordCost {
        memory_kib: 512,
        iterations: 2,
    };
    app.restart().await;
    // A wrong password rehashes nothing.
    assert_eq!(
        login_at(&app.address, &phone, WRONG, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stored_hash().await, old);

    app.login(&phone, PASSWORD).await;
    let new = stored_hash().await;
    assert!(
        new.contains("m=512,t=2,"),
        "rehashed at the new cost: {new}"
    );
    // The new hash is the same password, and is kept from then on.
    app.login(&phone, PASSWORD).await;
    assert_eq!(stored_hash().await, new);
}
