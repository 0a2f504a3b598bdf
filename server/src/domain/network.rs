//! Network evidence (issue 22 point 1): what the client's address says about where a
//! scan was made. A scan from the network its site's kiosk fetches codes from is strong
//! presence evidence (a relayed code is scanned on another network); an address that
//! the operator's IP database locates in another province is a scan made far away; a
//! kiosk token fetching codes from two networks at once has leaked.
//!
//! Phones on mobile data get an address of their carrier's gateway, usually in the
//! province where the SIM was issued: the rule compares provinces, never cities, and
//! says nothing when the database or the site's province is unknown.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::anomaly::{AnomalyKind, Finding};

/// Where the operator's IP database places an address (empty when it does not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpPlace {
    pub country: String,
    pub province: String,
    pub city: String,
}

impl IpPlace {
    /// `省市` (or the country abroad), for the supervisor.
    pub fn words(&self) -> String {
        if !self.country.is_empty() && !self.is_china() {
            return self.country.clone();
        }
        let province = self.province.as_str();
        let city = self.city.as_str();
        let short = province.trim_end_matches(['省', '市']);
        if city.is_empty() {
            province.to_owned()
        } else if province.is_empty() || city.starts_with(short) {
            city.to_owned()
        } else {
            format!("{province}{city}")
        }
    }

    fn is_china(&self) -> bool {
        self.country == "中国" || self.country.eq_ignore_ascii_case("china")
    }
}

/// What the network says about one attempt, as stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkEvidence {
    /// From the network the site's kiosk fetched its codes from lately.
    KioskNetwork,
    /// Located in another province (or abroad) than the site.
    FarAway,
    /// Neither: a phone's mobile data, a network the database does not place.
    Elsewhere,
}

impl NetworkEvidence {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkEvidence::KioskNetwork => "kiosk_network",
            NetworkEvidence::FarAway => "far_away",
            NetworkEvidence::Elsewhere => "elsewhere",
        }
    }
}

/// The network an address belongs to for these rules: its /24 (IPv4) or /64 (IPv6),
/// written as CIDR. An IPv4-mapped IPv6 address is its IPv4 address.
pub fn network_of(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
    }
}

/// `ip` with an IPv4-mapped IPv6 address unwrapped.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether `network` (as [`network_of`] writes it, or a single address) is a network
/// the rules can use; answers it normalised.
pub fn parse_network(text: &str) -> Option<String> {
    let text = text.trim();
    let address = text.split('/').next()?;
    let ip: IpAddr = address.parse().ok()?;
    let normalised = network_of(ip);
    let prefix_ok = match text.split_once('/') {
        None => true,
        Some((_, prefix)) => normalised.ends_with(&format!("/{prefix}")),
    };
    prefix_ok.then_some(normalised)
}

/// The short names of China's provinces by the first two digits of a GB/T 2260 code.
const PROVINCES: [(&str, &str); 34] = [
    ("11", "北京"),
    ("12", "天津"),
    ("13", "河北"),
    ("14", "山西"),
    ("15", "内蒙古"),
    ("21", "辽宁"),
    ("22", "吉林"),
    ("23", "黑龙江"),
    ("31", "上海"),
    ("32", "江苏"),
    ("33", "浙江"),
    ("34", "安徽"),
    ("35", "福建"),
    ("36", "江西"),
    ("37", "山东"),
    ("41", "河南"),
    ("42", "湖北"),
    ("43", "湖南"),
    ("44", "广东"),
    ("45", "广西"),
    ("46", "海南"),
    ("50", "重庆"),
    ("51", "四川"),
    ("52", "贵州"),
    ("53", "云南"),
    ("54", "西藏"),
    ("61", "陕西"),
    ("62", "甘肃"),
    ("63", "青海"),
    ("64", "宁夏"),
    ("65", "新疆"),
    ("71", "台湾"),
    ("81", "香港"),
    ("82", "澳门"),
];

/// The province (short name) of a jurisdiction code, if the code names one.
pub fn province_of_code(jurisdiction_code: &str) -> Option<&'static str> {
    let prefix = jurisdiction_code.get(..2)?;
    PROVINCES
        .iter()
        .find(|(code, _)| *code == prefix)
        .map(|(_, name)| *name)
}

/// The English names IP databases (DB-IP, GeoLite2) give the 34 provincial units, by
/// the first two digits of their GB/T 2260 code. Compared after [`normalise_english`],
/// so `Guangxi Zhuang Autonomous Region` and `Nei Mongol` find theirs.
const PROVINCES_EN: [(&str, &[&str]); 34] = [
    ("11", &["beijing"]),
    ("12", &["tianjin"]),
    ("13", &["hebei"]),
    ("14", &["shanxi"]),
    ("15", &["inner mongolia", "nei mongol", "nei menggu"]),
    ("21", &["liaoning"]),
    ("22", &["jilin"]),
    ("23", &["heilongjiang"]),
    ("31", &["shanghai"]),
    ("32", &["jiangsu"]),
    ("33", &["zhejiang"]),
    ("34", &["anhui"]),
    ("35", &["fujian"]),
    ("36", &["jiangxi"]),
    ("37", &["shandong"]),
    ("41", &["henan"]),
    ("42", &["hubei"]),
    ("43", &["hunan"]),
    ("44", &["guangdong"]),
    ("45", &["guangxi"]),
    ("46", &["hainan"]),
    ("50", &["chongqing"]),
    ("51", &["sichuan"]),
    ("52", &["guizhou"]),
    ("53", &["yunnan"]),
    ("54", &["tibet", "xizang"]),
    ("61", &["shaanxi"]),
    ("62", &["gansu"]),
    ("63", &["qinghai"]),
    ("64", &["ningxia"]),
    ("65", &["xinjiang"]),
    ("71", &["taiwan"]),
    ("81", &["hong kong", "xianggang"]),
    ("82", &["macao", "macau", "aomen"]),
];

/// Lower case, without the administrative words databases append
/// (`Sheng`, `Shi`, `Province`, `Municipality`, `Autonomous Region`, `Zhuang`, …).
fn normalise_english(name: &str) -> String {
    const NOISE: [&str; 13] = [
        "province",
        "municipality",
        "autonomous",
        "region",
        "special",
        "administrative",
        "sheng",
        "shi",
        "zizhiqu",
        "zhuang",
        "hui",
        "uygur",
        "uyghur",
    ];
    name.to_lowercase()
        .replace(['-', '_', ',', '.'], " ")
        .split_whitespace()
        .filter(|w| !NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The GB/T 2260 province code (two digits) of a province as an IP database names it
/// in English (`Fujian`, `Guangxi Zhuang Autonomous Region`), if it is one of the 34.
pub fn province_code_of_english(name: &str) -> Option<&'static str> {
    let name = normalise_english(name);
    PROVINCES_EN
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(code, _)| *code)
}

/// The short Chinese name (`福建`) of a province named in English, if it is one of the 34.
pub fn province_of_english(name: &str) -> Option<&'static str> {
    province_code_of_english(name).and_then(province_of_code)
}

/// The facts [`judge`] weighs.
#[derive(Debug, Clone, Copy)]
pub struct NetworkFacts<'a> {
    pub client_ip: Option<IpAddr>,
    /// Networks the site's kiosks fetched codes from lately.
    pub kiosk_networks: &'a [String],
    /// Where the IP database places the address, if there is a database and it does.
    pub place: Option<&'a IpPlace>,
    /// The site's jurisdiction code (its first two digits name the province).
    pub site_code: &'a str,
}

/// Judges the attempt's network: its evidence, and `network_far_away` when the address
/// is placed in another province (or abroad). No address, no judgement.
pub fn judge(facts: &NetworkFacts<'_>) -> (Option<NetworkEvidence>, Option<Finding>) {
    let Some(ip) = facts.client_ip else {
        return (None, None);
    };
    let network = network_of(ip);
    if facts.kiosk_networks.contains(&network) {
        return (Some(NetworkEvidence::KioskNetwork), None);
    }
    let far = placed_far(facts.place, facts.site_code).map(|(place, site_province)| Finding {
        kind: AnomalyKind::NetworkFarAway,
        detail: json!({
            "client_ip": canonical(ip).to_string(),
            "network": network,
            "ip_place": place.words(),
            "site_province": site_province,
        }),
    });
    match far {
        Some(finding) => (Some(NetworkEvidence::FarAway), Some(finding)),
        None => (Some(NetworkEvidence::Elsewhere), None),
    }
}

/// The place, and the site's province, when the IP database places an address in
/// another province than the site's (the first two digits of its jurisdiction code) or
/// abroad. Nothing when the database, the place's province or the site's is unknown.
fn placed_far<'p>(
    place: Option<&'p IpPlace>,
    site_code: &str,
) -> Option<(&'p IpPlace, &'static str)> {
    let place = place?;
    let site_province = province_of_code(site_code)?;
    let abroad = !place.country.is_empty() && !place.is_china();
    let other_province =
        place.is_china() && !place.province.is_empty() && !place.province.contains(site_province);
    (abroad || other_province).then_some((place, site_province))
}

/// A kiosk fetching its code: from where, and for which site.
#[derive(Debug, Clone, Copy)]
pub struct KioskFetch<'a> {
    pub kiosk_id: uuid::Uuid,
    pub label: Option<&'a str>,
    pub ip: IpAddr,
    /// Where the IP database places the address, if there is a database and it does.
    pub place: Option<&'a IpPlace>,
    /// The site's jurisdiction code (its first two digits name the province).
    pub site_code: &'a str,
}

/// `kiosk_network_far_away` when a kiosk fetches its code from an address the IP
/// database places in another province (or abroad) than its site: a wall screen does
/// not travel, so its link has leaked (issue 22, point 1). Such a network is never the
/// kiosk's own network for presence evidence; scans from it are judged by their place
/// like any other.
pub fn kiosk_fetch_far(fetch: &KioskFetch<'_>) -> Option<Finding> {
    let (place, site_province) = placed_far(fetch.place, fetch.site_code)?;
    Some(Finding {
        kind: AnomalyKind::KioskNetworkFarAway,
        detail: json!({
            "kiosk_id": fetch.kiosk_id,
            "kiosk_label": fetch.label,
            "client_ip": canonical(fetch.ip).to_string(),
            "network": network_of(fetch.ip),
            "ip_place": place.words(),
            "site_province": site_province,
        }),
    })
}

/// Another network of the same kiosk, seen within `overlap` of `now` and after this
/// network first fetched: both in use at once, not a router that changed its address
/// (the old network then falls silent). `others` are (network, last seen).
pub fn concurrent_network(
    first_seen: DateTime<Utc>,
    others: &[(String, DateTime<Utc>)],
    now: DateTime<Utc>,
    overlap: Duration,
) -> Option<&str> {
    others
        .iter()
        .find(|(_, last_seen)| *last_seen > first_seen && *last_seen >= now - overlap)
        .map(|(network, _)| network.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    fn place(country: &str, province: &str, city: &str) -> IpPlace {
        IpPlace {
            country: country.into(),
            province: province.into(),
            city: city.into(),
        }
    }

    #[test]
    fn networks_are_the_slash_24_and_the_slash_64() {
        assert_eq!(
            network_of("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_of("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            network_of("::ffff:203.0.113.9".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            parse_network("203.0.113.9").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            parse_network("203.0.113.0/24").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(parse_network("203.0.113.0/16"), None);
        assert_eq!(parse_network("not an address"), None);
    }

    #[test]
    fn a_scan_from_the_kiosk_network_is_evidence_and_raises_nothing() {
        let networks = vec!["198.51.100.0/24".to_owned()];
        let beijing = place("中国", "北京", "北京市");
        let facts = NetworkFacts {
            client_ip: ip("198.51.100.23"),
            kiosk_networks: &networks,
            place: Some(&beijing),
            site_code: "350881",
        };
        assert_eq!(judge(&facts), (Some(NetworkEvidence::KioskNetwork), None));
    }

    #[test]
    fn another_province_or_abroad_is_far_and_the_same_province_is_not() {
        let fujian = place("中国", "福建省", "龙岩市");
        let beijing = place("中国", "北京", "北京市");
        let abroad = place("美国", "", "");
        let unknown = place("中国", "", "");
        let far = |p: &IpPlace, code: &str| {
            judge(&NetworkFacts {
                client_ip: ip("203.0.113.9"),
                kiosk_networks: &[],
                place: Some(p),
                site_code: code,
            })
        };
        assert_eq!(
            far(&fujian, "350881"),
            (Some(NetworkEvidence::Elsewhere), None)
        );
        let (evidence, finding) = far(&beijing, "350881");
        assert_eq!(evidence, Some(NetworkEvidence::FarAway));
        let finding = finding.expect("far away");
        assert_eq!(finding.kind, AnomalyKind::NetworkFarAway);
        assert_eq!(finding.detail["ip_place"], "北京市");
        assert_eq!(finding.detail["site_province"], "福建");
        assert_eq!(far(&abroad, "350881").0, Some(NetworkEvidence::FarAway));
        assert_eq!(
            far(&unknown, "350881"),
            (Some(NetworkEvidence::Elsewhere), None)
        );
        // A site whose code names no province: nothing to compare with.
        assert_eq!(far(&beijing, "990000").1, None);
        // No address (a call from inside the process): no judgement at all.
        let none = NetworkFacts {
            client_ip: None,
            kiosk_networks: &[],
            place: Some(&beijing),
            site_code: "350881",
        };
        assert_eq!(judge(&none), (None, None));
    }

    #[test]
    fn a_kiosk_fetching_from_another_province_is_far_and_from_its_own_is_not() {
        let kiosk_id = uuid::Uuid::from_u128(7);
        let fujian = place("中国", "福建省", "龙岩市");
        let beijing = place("中国", "北京", "北京市");
        let abroad = place("美国", "", "");
        let fetch = |p: Option<&IpPlace>, code: &'static str| {
            kiosk_fetch_far(&KioskFetch {
                kiosk_id,
                label: Some("门诊大厅"),
                ip: "1.1.3.4".parse().expect("address"),
                place: p,
                site_code: code,
            })
        };
        let far = fetch(Some(&beijing), "350881").expect("Beijing is far from Fujian");
        assert_eq!(far.kind, AnomalyKind::KioskNetworkFarAway);
        assert_eq!(far.kind.severity(), super::super::anomaly::Severity::High);
        assert_eq!(far.detail["network"], "1.1.3.0/24");
        assert_eq!(far.detail["ip_place"], "北京市");
        assert_eq!(far.detail["site_province"], "福建");
        assert_eq!(far.detail["kiosk_label"], "门诊大厅");
        assert!(fetch(Some(&abroad), "350881").is_some());
        // The site's own province, an unplaced address, a site without a province: nothing.
        assert_eq!(fetch(Some(&fujian), "350881"), None);
        assert_eq!(fetch(None, "350881"), None);
        assert_eq!(fetch(Some(&place("中国", "", "")), "350881"), None);
        assert_eq!(fetch(Some(&beijing), "990000"), None);
    }

    #[test]
    fn two_networks_in_use_at_once_are_concurrent_and_a_changed_address_is_not() {
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).expect("instant");
        let overlap = Duration::minutes(10);
        // The old network fell silent before the new one first fetched: a new address.
        let old = vec![("198.51.100.0/24".to_owned(), t0 - Duration::seconds(30))];
        assert_eq!(
            concurrent_network(t0, &old, t0 + Duration::minutes(3), overlap),
            None
        );
        // The other network fetched after this one appeared, and lately: both in use.
        let both = vec![("198.51.100.0/24".to_owned(), t0 + Duration::minutes(2))];
        assert_eq!(
            concurrent_network(t0, &both, t0 + Duration::minutes(3), overlap),
            Some("198.51.100.0/24")
        );
        // ... but not if that was longer ago than the overlap.
        assert_eq!(
            concurrent_network(t0, &both, t0 + Duration::hours(1), overlap),
            None
        );
    }

    #[test]
    fn every_provincial_unit_is_found_from_its_english_name() {
        let cases = [
            ("Beijing", "11"),
            ("Tianjin Municipality", "12"),
            ("Hebei", "13"),
            ("Shanxi", "14"),
            ("Inner Mongolia", "15"),
            ("Nei Mongol Autonomous Region", "15"),
            ("Liaoning", "21"),
            ("Jilin Sheng", "22"),
            ("Heilongjiang", "23"),
            ("Shanghai", "31"),
            ("Jiangsu", "32"),
            ("Zhejiang", "33"),
            ("Anhui", "34"),
            ("Fujian", "35"),
            ("Jiangxi", "36"),
            ("Shandong", "37"),
            ("Henan", "41"),
            ("Hubei", "42"),
            ("Hunan", "43"),
            ("Guangdong Province", "44"),
            ("Guangxi Zhuang Autonomous Region", "45"),
            ("Hainan", "46"),
            ("Chongqing", "50"),
            ("Sichuan", "51"),
            ("Guizhou", "52"),
            ("Yunnan", "53"),
            ("Tibet", "54"),
            ("Xizang", "54"),
            ("Shaanxi", "61"),
            ("Gansu", "62"),
            ("Qinghai", "63"),
            ("Ningxia Hui Autonomous Region", "64"),
            ("Xinjiang Uygur Autonomous Region", "65"),
            ("Taiwan", "71"),
            ("Hong Kong", "81"),
            ("Macau", "82"),
        ];
        for (name, code) in cases {
            assert_eq!(province_code_of_english(name), Some(code), "{name}");
        }
        // Every unit of the Chinese table has an English name.
        for (code, _) in PROVINCES {
            assert!(PROVINCES_EN.iter().any(|(c, _)| *c == code), "{code}");
        }
        assert_eq!(province_of_english("Fujian"), Some("福建"));
        // Shanxi and Shaanxi are two provinces; a city or a foreign state is none.
        assert_ne!(
            province_code_of_english("Shanxi"),
            province_code_of_english("Shaanxi")
        );
        assert_eq!(province_code_of_english("Longyan"), None);
        assert_eq!(province_code_of_english("California"), None);
        assert_eq!(province_code_of_english(""), None);
    }
}
