//! The addresses counted as one client by the per-address limits.
//!
//! An IPv4 client is its address: it rarely has more than one, and many phones of a
//! township may share it behind a carrier NAT. An IPv6 subscriber is given a whole
//! network (a /64 at least, often a /56 or /48) and may pick any address in it, so
//! counting single addresses would let one client spread its attempts over as many
//! counters as it likes: an IPv6 client is counted by its leading bits
//! (`CHECKIN_IPV6_PREFIX_LEN`, default 64).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// One client as the per-address limits see it: an IPv4 address or an IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressBlock {
    V4(std::net::Ipv4Addr),
    /// The network address (host bits zeroed) and its prefix length.
    V6 {
        network: Ipv6Addr,
        prefix_len: u8,
    },
}

impl AddressBlock {
    /// The block `ip` belongs to when IPv6 clients are counted per `ipv6_prefix_len`
    /// bits (more than 128 counts as 128). An IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.7`, a dual-stack socket's view of an IPv4 peer) is IPv4.
    pub fn of(ip: IpAddr, ipv6_prefix_len: u8) -> AddressBlock {
        match ip.to_canonical() {
            IpAddr::V4(v4) => AddressBlock::V4(v4),
            IpAddr::V6(v6) => {
                let prefix_len = ipv6_prefix_len.min(128);
                let mask = u128::MAX
                    .checked_shl(u32::from(128 - prefix_len))
                    .unwrap_or(0);
                AddressBlock::V6 {
                    network: Ipv6Addr::from(u128::from(v6) & mask),
                    prefix_len,
                }
            }
        }
    }
}

/// `192.0.2.7` (as before blocks existed, so IPv4 counters keep their keys) or
/// `2001:db8:1:2::/64`.
impl fmt::Display for AddressBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressBlock::V4(v4) => write!(f, "{v4}"),
            AddressBlock::V6 {
                network,
                prefix_len,
            } => write!(f, "{network}/{prefix_len}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ip: &str, prefix_len: u8) -> String {
        AddressBlock::of(ip.parse().expect("an address"), prefix_len).to_string()
    }

    #[test]
    fn an_ipv4_client_is_its_own_address_whatever_the_ipv6_prefix() {
        assert_eq!(block("203.0.113.9", 64), "203.0.113.9");
        assert_eq!(block("203.0.113.9", 32), "203.0.113.9");
        assert_ne!(block("203.0.113.9", 64), block("203.0.113.10", 64));
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address() {
        assert_eq!(block("::ffff:203.0.113.9", 64), "203.0.113.9");
        assert_eq!(
            block("::ffff:203.0.113.9", 64),
            block("203.0.113.9", 64),
            "one counter whichever socket family it arrived on"
        );
    }

    #[test]
    fn addresses_of_one_ipv6_64_share_a_block_and_the_next_64_does_not() {
        let first = block("2001:db8:1:2::1", 64);
        assert_eq!(first, "2001:db8:1:2::/64");
        assert_eq!(block("2001:db8:1:2:ffff:ffff:ffff:ffff", 64), first);
        assert_eq!(block("2001:db8:1:2:a:b:c:d", 64), first);
        assert_ne!(block("2001:db8:1:3::1", 64), first);
    }

    #[test]
    fn the_ipv6_prefix_length_is_configurable_from_32_to_128() {
        assert_eq!(block("2001:db8:1:2ff::1", 56), "2001:db8:1:200::/56");
        assert_eq!(block("2001:db8:ffff:2::1", 32), "2001:db8::/32");
        assert_eq!(block("2001:db8::7", 128), "2001:db8::7/128");
        assert_ne!(block("2001:db8::7", 128), block("2001:db8::8", 128));
        // Out of range (config refuses it) still answers without panicking.
        assert_eq!(block("2001:db8::7", 200), "2001:db8::7/128");
        assert_eq!(block("2001:db8::7", 0), "::/0");
    }
}
