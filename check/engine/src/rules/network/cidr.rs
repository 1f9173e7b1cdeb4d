//! CIDR blocks (`10.0.0.0/8`, `2001:db8::/64`) and whether they contain an address, for
//! NetworkPolicy `ipBlock`s and Service `loadBalancerSourceRanges`.

use std::net::IpAddr;
use std::str::FromStr;

/// A CIDR block. Host bits after the prefix are ignored, as the API server's
/// `ParseCIDRSloppy` does (`10.1.2.3/8` is `10.0.0.0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` lies in the block. An IPv4 address is never in an IPv6 block nor the
    /// reverse: Kubernetes matches `ipBlock`s per address family.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                same_prefix(u32::from(network).into(), u32::from(address).into(), self.prefix, 32)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                same_prefix(u128::from(network), u128::from(address), self.prefix, 128)
            }
            _ => false,
        }
    }

    /// Whether the block covers every address of its family (`0.0.0.0/0`, `::/0`).
    pub fn is_everything(&self) -> bool {
        self.prefix == 0
    }
}

/// Whether the first `prefix` of the `width` low bits of `a` and `b` are equal.
fn same_prefix(a: u128, b: u128, prefix: u8, width: u32) -> bool {
    let host_bits = width - u32::from(prefix);
    // Shifting a u128 by 128 overflows; a /0 block contains everything of its family.
    host_bits >= 128 || (a >> host_bits) == (b >> host_bits)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidCidr(pub String);

impl FromStr for Cidr {
    type Err = InvalidCidr;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidCidr(text.to_owned());
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let network: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        if prefix > width {
            return Err(invalid());
        }
        Ok(Cidr { network, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_containment_at_every_boundary() {
        let metadata = ip("169.254.169.254");
        assert!(cidr("0.0.0.0/0").contains(metadata));
        assert!(cidr("169.254.0.0/16").contains(metadata));
        assert!(cidr("169.254.169.254/32").contains(metadata));
        assert!(!cidr("169.254.169.255/32").contains(metadata));
        assert!(!cidr("10.0.0.0/8").contains(metadata));
        assert!(cidr("169.254.169.0/24").contains(metadata));
        assert!(!cidr("169.254.168.0/24").contains(metadata));
        assert!(
            cidr("168.0.0.0/7").contains(metadata),
            "168/7 spans 168.0.0.0-169.255.255.255"
        );
        assert!(!cidr("170.0.0.0/7").contains(metadata));
        assert!(cidr("0.0.0.0/0").is_everything());
        assert!(!cidr("0.0.0.0/1").is_everything());
    }

    #[test]
    fn host_bits_are_ignored_like_the_api_server_does() {
        assert!(cidr("169.254.1.1/16").contains(ip("169.254.169.254")));
        assert!(cidr("10.1.2.3/8").contains(ip("10.200.0.1")));
        assert!(!cidr("10.1.2.3/8").contains(ip("11.0.0.1")));
    }

    #[test]
    fn ipv6_blocks_contain_ipv6_addresses_only() {
        assert!(cidr("::/0").contains(ip("fd00:ec2::254")));
        assert!(cidr("fd00:ec2::/32").contains(ip("fd00:ec2::254")));
        assert!(!cidr("2001:db8::/32").contains(ip("fd00:ec2::254")));
        assert!(!cidr("::/0").contains(ip("169.254.169.254")), "families never mix");
        assert!(!cidr("0.0.0.0/0").contains(ip("::1")));
        assert!(cidr("2001:db8::1/128").contains(ip("2001:db8::1")));
    }

    #[test]
    fn malformed_blocks_are_rejected() {
        for text in [
            "169.254.169.254",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/-1",
            "x/8",
            "",
        ] {
            assert!(text.parse::<Cidr>().is_err(), "{text}");
        }
    }
}
