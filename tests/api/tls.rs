//! Built-in HTTPS: a server given a certificate and key (`CHECKIN_TLS_CERT` /
//! `CHECKIN_TLS_KEY`) answers over TLS, and a phone trusting that certificate checks in.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use uuid::Uuid;
use xiaxiang_server::App;
use xiaxiang_server::config::TlsFiles;

use crate::checkin::Desk;
use crate::helpers::*;

/// A certificate and key for `localhost` and 127.0.0.1 written to a fresh folder.
fn certificate() -> (std::path::PathBuf, TlsFiles, String) {
    let dir = std::env::temp_dir().join(format!("xiaxiang-tls-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    let (cert, key) = xiaxiang_server::tls::self_signed(&names).expect("certificate");
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, &cert).expect("cert");
    std::fs::write(&files.key, key).expect("key");
    (dir, files, cert)
}

/// A client that trusts exactly `cert_pem`.
fn trusting(cert_pem: &str) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("pem"))
        .expect("a root");
    #[allow(deprecated)] // ring, as the server uses
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// One HTTP/1.1 request over TLS to 127.0.0.1:`port`: (status, body).
async fn https(
    connector: &TlsConnector,
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    let name = ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("the handshake succeeds with the trusted certificate");
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    // A server closing without close_notify is fine here: the answer is complete.
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8(answer).expect("utf-8");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn a_server_with_a_certificate_answers_https_and_a_phone_checks_in_over_it() {
    // The world is made over plain HTTP; a second server on the same database speaks TLS.
    let desk = Desk::open().await;
    let (dir, files, cert) = certificate();
    let mut config = desk.app.config.clone();
    config.tls = Some(files);
    let secure = App::build(config, desk.app.clock.clone())
        .await
        .expect("builds with the certificate");
    assert!(secure.is_https());
    let port = secure.local_addr().expect("bound").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(secure.run_until(async {
        let _ = stopped.await;
    }));
    let connector = trusting(&cert);

    let (status, body) = https(&connector, port, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200, "{body}");

    // The kiosk's code over HTTPS is an https link to this server's phone page.
    let kiosk = desk.world.kiosk.token.clone();
    let (status, body) = https(
        &connector,
        port,
        "GET",
        "/api/v1/kiosk/code",
        Some(&kiosk),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let code: Value = serde_json::from_str(&body).expect("json");
    let url = code["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("https://127.0.0.1:{port}/m/#c=XX1.")),
        "{url}"
    );

    let physician = desk
        .world
        .physician
        .client
        .token()
        .expect("token")
        .to_owned();
    let request = json!({
        "client_event_id": Uuid::new_v4(),
        "qr_payload": url,
        "device_id": "phone-A",
        "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
    });
    let (status, body) = https(
        &connector,
        port,
        "POST",
        "/api/v1/attendance/check-in",
        Some(&physician),
        Some(&request),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(answer["verdict"], "accepted", "{answer}");
    assert_eq!(desk.visits().await.len(), 1);

    // A client that does not trust the certificate gets no answer at all.
    let (other_dir, _, other) = certificate();
    let stranger = trusting(&other);
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    let refused = stranger
        .connect(ServerName::try_from("127.0.0.1").expect("name"), tcp)
        .await;
    assert!(refused.is_err(), "an unknown certificate is not trusted");

    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(other_dir);
}

#[tokio::test]
async fn a_certificate_that_cannot_be_read_stops_the_start() {
    let app = TestApp::spawn().await;
    let mut config = app.config.clone();
    config.tls = Some(TlsFiles {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    });
    let error = App::build(config, app.clock.clone())
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("CHECKIN_TLS_CERT"), "{error}");
}
