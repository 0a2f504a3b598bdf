//! HTTPS without a reverse proxy: rustls (ring) over the listening socket, and the demo's self-signed certificate.
//!
//! Phones give a page camera and location only in a secure context, so a small site
//! without a proxy, and the demo reached over the LAN, need HTTPS of their own.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

use crate::config::TlsFiles;

/// A client that opens a connection and never finishes the handshake is dropped after this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const QUEUE: usize = 128;

/// The rustls configuration from the PEM certificate chain and private key in `files`.
pub fn server_config(files: &TlsFiles) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("CHECKIN_TLS_CERT: cannot read {}", files.cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("CHECKIN_TLS_CERT: bad PEM in {}", files.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "CHECKIN_TLS_CERT: no certificate in {}",
            files.cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("CHECKIN_TLS_KEY: no private key in {}", files.key.display()))?;
    // ring on purpose (no C toolchain, lean build); rustls 0.23.48 deprecates it only
    // for lacking post-quantum key exchange, which phones do not need for this.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("CHECKIN_TLS_CERT / CHECKIN_TLS_KEY: the key does not fit the certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands the server TLS connections. Handshakes run in their own
/// tasks, so a slow or silent client never holds up the others; failed ones are
/// logged at debug level and dropped.
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, incoming) = mpsc::channel(QUEUE);
        let tls = TlsAcceptor::from(config);
        let acceptor = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    break;
                }
                let tls = tls.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            incoming,
            local,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accepting task ended (it only does when aborted): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The addresses a phone on the same network may reach this machine at: every
/// interface's address but loopback, link-local and (for IPv6) unique-local
/// temporary clutter; IPv4 first.
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut found: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| is_lan(*ip))
        .collect();
    found.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    found.dedup();
    found
}

fn is_lan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(v6) => !v6.is_loopback() && !v6.is_unspecified() && !v6.is_unicast_link_local(),
    }
}

/// The names the demo certificate is valid for: `localhost`, the loopback
/// addresses and `lan`.
pub fn demo_subject_names(lan: &[IpAddr]) -> Vec<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    names.insert("localhost".to_owned());
    names.insert(Ipv4Addr::LOCALHOST.to_string());
    names.insert(Ipv6Addr::LOCALHOST.to_string());
    names.extend(lan.iter().map(IpAddr::to_string));
    names.into_iter().collect()
}

/// A self-signed certificate and its key (PEM) for `names`; an address in
/// `names` becomes an IP subject alternative name, anything else a DNS name.
pub fn self_signed(names: &[String]) -> anyhow::Result<(String, String)> {
    let key = rcgen::KeyPair::generate().context("generating the demo key")?;
    let mut params =
        rcgen::CertificateParams::new(names.to_vec()).context("demo certificate names")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Xiaxiang demo (self-signed)");
    let cert = params
        .self_signed(&key)
        .context("signing the demo certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The demo's certificate in `dir` (`demo-cert.pem`, `demo-key.pem`), generated on
/// first start and again when this machine has an address it does not name (the
/// names are kept beside it in `demo-cert.names`).
pub fn demo_certificate(dir: &Path, lan: &[IpAddr]) -> anyhow::Result<TlsFiles> {
    let files = TlsFiles {
        cert: dir.join("demo-cert.pem"),
        key: dir.join("demo-key.pem"),
    };
    let names_file = dir.join("demo-cert.names");
    let wanted = demo_subject_names(lan);
    let known: BTreeSet<String> = std::fs::read_to_string(&names_file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let current =
        files.cert.exists() && files.key.exists() && wanted.iter().all(|name| known.contains(name));
    if current {
        return Ok(files);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Keep names it had (a laptop moving between networks keeps its old addresses).
    let mut names: BTreeSet<String> = known;
    names.extend(wanted);
    let names: Vec<String> = names.into_iter().collect();
    let (cert, key) = self_signed(&names)?;
    write_private(&files.key, key.as_bytes())?;
    std::fs::write(&files.cert, cert)
        .with_context(|| format!("writing {}", files.cert.display()))?;
    std::fs::write(&names_file, names.join("\n") + "\n")
        .with_context(|| format!("writing {}", names_file.display()))?;
    Ok(files)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_demo_certificate_names_localhost_loopback_and_the_lan_addresses() {
        let lan = [ip("192.168.1.20"), ip("10.8.0.3")];
        let names = demo_subject_names(&lan);
        for wanted in ["localhost", "127.0.0.1", "::1", "192.168.1.20", "10.8.0.3"] {
            assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
        }

        let dir = std::env::temp_dir().join(format!("xiaxiang-tls-{}", uuid::Uuid::new_v4()));
        let files = demo_certificate(&dir, &lan).expect("generated");
        let pem = std::fs::read(&files.cert).expect("cert written");
        let der = CertificateDer::from_pem_slice(&pem).expect("one certificate");
        // The subject alternative names as rustls's verifier reads them.
        let cert = webpki_names(&der);
        for wanted in ["192.168.1.20", "10.8.0.3", "127.0.0.1", "::1"] {
            assert!(cert.ips.contains(&ip(wanted)), "{wanted} in {:?}", cert.ips);
        }
        assert_eq!(cert.dns, ["localhost"]);
        // It serves: rustls accepts the pair.
        server_config(&files).expect("a usable certificate and key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&files.key)
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key is the owner's only");
        }

        // The next start keeps it; a new address makes a new one that still names the old.
        let again = demo_certificate(&dir, &lan).expect("kept");
        assert_eq!(std::fs::read(&again.cert).expect("cert"), pem);
        let moved = demo_certificate(&dir, &[ip("172.16.5.9")]).expect("renewed");
        let renewed = std::fs::read(&moved.cert).expect("cert");
        assert_ne!(renewed, pem);
        let cert = webpki_names(&CertificateDer::from_pem_slice(&renewed).expect("cert"));
        assert!(cert.ips.contains(&ip("172.16.5.9")));
        assert!(cert.ips.contains(&ip("192.168.1.20")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    struct Names {
        dns: Vec<String>,
        ips: Vec<IpAddr>,
    }

    /// Reads the subjectAltName extension of a DER certificate (a minimal DER walk:
    /// enough for the certificates rcgen makes).
    fn webpki_names(der: &CertificateDer<'_>) -> Names {
        // id-ce-subjectAltName 2.5.29.17
        const SAN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x11];
        let bytes = der.as_ref();
        let at = bytes
            .windows(SAN_OID.len())
            .position(|w| w == SAN_OID)
            .expect("a subjectAltName extension");
        let mut i = at + SAN_OID.len();
        // Optional critical BOOLEAN, then the OCTET STRING holding the GeneralNames SEQUENCE.
        if bytes[i] == 0x01 {
            i += 2 + usize::from(bytes[i + 1]);
        }
        assert_eq!(bytes[i], 0x04, "OCTET STRING");
        let (_, body) = der_len(bytes, i + 1);
        assert_eq!(bytes[body], 0x30, "SEQUENCE");
        let (len, mut j) = der_len(bytes, body + 1);
        let end = j + len;
        let mut names = Names {
            dns: Vec::new(),
            ips: Vec::new(),
        };
        while j < end {
            let tag = bytes[j];
            let (len, value) = der_len(bytes, j + 1);
            let content = &bytes[value..value + len];
            match tag {
                0x82 => names
                    .dns
                    .push(String::from_utf8(content.to_vec()).expect("ascii")),
                0x87 if len == 4 => {
                    let octets: [u8; 4] = content.try_into().expect("4 bytes");
                    names.ips.push(IpAddr::from(octets));
                }
                0x87 if len == 16 => {
                    let octets: [u8; 16] = content.try_into().expect("16 bytes");
                    names.ips.push(IpAddr::from(octets));
                }
                _ => {}
            }
            j = value + len;
        }
        names
    }

    /// A DER length at `at`: (length, index of the first content byte).
    fn der_len(bytes: &[u8], at: usize) -> (usize, usize) {
        let first = bytes[at];
        if first < 0x80 {
            return (usize::from(first), at + 1);
        }
        let count = usize::from(first & 0x7f);
        let len = bytes[at + 1..at + 1 + count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, at + 1 + count)
    }
}
