//! The client's address behind trusted reverse proxies (`CHECKIN_TRUSTED_PROXIES`).
//!
//! Each proxy appends the address it received the request from to
//! `X-Forwarded-For`, so the list is read from the right: past every hop that is a
//! trusted proxy, the first address that is not one is the client. A request that
//! does not come from a trusted proxy is counted against its TCP peer, whatever its
//! header says, so a client cannot pick the address its limits count against.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::HOST;
use ipnet::IpNet;

/// The address to count a request against: `peer` (the TCP peer) unless it is a
/// trusted proxy, then the nearest untrusted hop of `forwarded_for` (the values of
/// every `X-Forwarded-For` header, in order). A hop that is not an address ends the
/// walk at the last trusted hop.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(address) = parse_hop(hop) else {
            break;
        };
        client = address;
        if !is_trusted(&address) {
            break;
        }
    }
    client
}

/// `192.0.2.7`, `2001:db8::7`, or either with a port (`192.0.2.7:4711`, `[2001:db8::7]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let address = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))?;
    Some(address.to_canonical())
}

/// The origin (`scheme://host[:port]`) the request was sent to, for links phones
/// open: `https` when this server speaks TLS itself, else `http`, and the `Host`
/// header. A request from a trusted proxy is read through its `X-Forwarded-Proto`
/// and `X-Forwarded-Host` (the first value: what the client-facing proxy saw).
/// `None` when there is no host, or it is not a plain host name or address.
pub fn request_origin(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    tls: bool,
    trusted: &[IpNet],
) -> Option<String> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let proxied = peer.is_some_and(|peer| {
        let peer = peer.to_canonical();
        trusted.iter().any(|net| net.contains(&peer))
    });
    let mut scheme = if tls { "https" } else { "http" };
    let mut host = first(HOST.as_str());
    if proxied {
        match first("x-forwarded-proto")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("https") => scheme = "https",
            Some("http") => scheme = "http",
            _ => {}
        }
        if let Some(forwarded) = first("x-forwarded-host") {
            host = Some(forwarded);
        }
    }
    let host = host.filter(|host| {
        host.len() <= 255
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })?;
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn nets(texts: &[&str]) -> Vec<IpNet> {
        texts
            .iter()
            .map(|t| t.parse().expect("a network"))
            .collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let peer = ip("203.0.113.9");
        assert_eq!(client_address(peer, ["198.51.100.1"], &[]), peer);
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(peer, ["198.51.100.1"], &trusted), peer);
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.1/32"]);
        let proxy = ip("10.1.2.3");
        // A forged first hop stays left of the address the proxies saw.
        let chain = ["198.51.100.66, 203.0.113.9", "192.0.2.1"];
        assert_eq!(client_address(proxy, chain, &trusted), ip("203.0.113.9"));
        assert_eq!(
            client_address(proxy, ["203.0.113.9:51234"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(proxy, ["[2001:db8::9]:443"], &trusted),
            ip("2001:db8::9")
        );
    }

    #[test]
    fn a_missing_or_garbled_chain_counts_against_the_last_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let proxy = ip("10.1.2.3");
        assert_eq!(client_address(proxy, [], &trusted), proxy);
        assert_eq!(client_address(proxy, ["unknown"], &trusted), proxy);
        assert_eq!(
            client_address(proxy, ["203.0.113.9, garbage, 10.9.9.9"], &trusted),
            ip("10.9.9.9")
        );
        assert_eq!(
            client_address(proxy, ["10.7.7.7, 10.8.8.8"], &trusted),
            ip("10.7.7.7")
        );
    }

    #[test]
    fn an_ipv4_peer_seen_over_ipv6_matches_ipv4_networks() {
        let trusted = nets(&["127.0.0.1/32"]);
        let mapped = ip("::ffff:127.0.0.1");
        assert_eq!(
            client_address(mapped, ["203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("::ffff:203.0.113.9"), [], &trusted),
            ip("203.0.113.9")
        );
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    #[test]
    fn the_origin_is_the_host_header_with_the_servers_own_scheme() {
        let peer = Some(ip("192.168.1.30"));
        let host = headers(&[("host", "192.168.1.20:8443")]);
        assert_eq!(
            request_origin(peer, &host, true, &[]).as_deref(),
            Some("https://192.168.1.20:8443")
        );
        assert_eq!(
            request_origin(peer, &host, false, &[]).as_deref(),
            Some("http://192.168.1.20:8443")
        );
        assert_eq!(request_origin(peer, &HeaderMap::new(), false, &[]), None);
        let odd = headers(&[("host", "evil.example/#c=x")]);
        assert_eq!(request_origin(peer, &odd, false, &[]), None);
    }

    #[test]
    fn forwarded_scheme_and_host_count_only_from_a_trusted_proxy() {
        let forwarded = headers(&[
            ("host", "10.0.0.2:8080"),
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "checkin.example.cn"),
        ]);
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            request_origin(Some(ip("10.0.0.9")), &forwarded, false, &trusted).as_deref(),
            Some("https://checkin.example.cn")
        );
        assert_eq!(
            request_origin(Some(ip("203.0.113.9")), &forwarded, false, &trusted).as_deref(),
            Some("http://10.0.0.2:8080")
        );
        assert_eq!(
            request_origin(None, &forwarded, false, &trusted).as_deref(),
            Some("http://10.0.0.2:8080")
        );
    }
}
