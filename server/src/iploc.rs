//! Offline IP location: where an address is, from a database file the operator
//! provides (`CHECKIN_IP_DB`); never an online lookup. The file is ip2region's `xdb`
//! format (IPv4, vector index), read whole into memory at start-up, so a lookup is a
//! binary search in memory and costs a check-in nothing measurable.
//!
//! The rules ask through [`IpLocator`], so another database format can be added
//! beside this one. [`build_xdb`] writes a small database of the same format (the
//! tests use it; an operator can too, for a few local ranges).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use crate::domain::network::{IpPlace, canonical};

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

/// The locator of the configured database file, if one is configured.
pub fn load(path: Option<&Path>) -> Result<Option<std::sync::Arc<dyn IpLocator>>, IpDbError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let locator: std::sync::Arc<dyn IpLocator> = std::sync::Arc::new(XdbLocator::open(path)?);
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
}
