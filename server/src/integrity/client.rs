//! Who is asking: the client's address — the socket's, or the one a trusted proxy
//! names in `X-Forwarded-For` — and the keyed hashes of it and of its network, which
//! is all the arena keeps. Limits and the detector group requests by these hashes.

use std::net::IpAddr;

use super::config::TrustedProxies;
use crate::data::export::hmac_sha256;

/// The client behind a request, as the limits and the detector see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress {
    /// Keyed hash of the address (128 bits, hex).
    pub hash: String,
    /// Keyed hash of its network: the /24 of an IPv4 address, the /48 of an IPv6 one.
    pub net: String,
}

impl ClientAddress {
    /// The hashes of `ip` under `key` (the arena's judge key): stable across servers
    /// and restarts, useless to anyone without the key.
    pub fn of(ip: IpAddr, key: &[u8]) -> ClientAddress {
        let ip = canonical(ip);
        let net = match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        };
        ClientAddress {
            hash: keyed(key, &format!("address:{ip}")),
            net: keyed(key, &format!("network:{net}")),
        }
    }
}

fn keyed(key: &[u8], message: &str) -> String {
    hex::encode(&hmac_sha256(key, message.as_bytes())[..16])
}

/// IPv4 addresses mapped into IPv6 are the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the socket's peer, unless the peer is a trusted proxy — then
/// the right-most address of `X-Forwarded-For` that is not itself a trusted proxy
/// (each proxy appends the address it saw, so entries left of the last untrusted one
/// may be forged by the client). From any other peer the header is ignored.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for header in forwarded_for {
        for entry in header.split(',') {
            match parse_forwarded(entry) {
                Some(ip) => chain.push(canonical(ip)),
                // A malformed entry: nothing left of it can be believed.
                None => chain.clear(),
            }
        }
    }
    let mut client = peer;
    for ip in chain.into_iter().rev() {
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|e| e.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(cidrs: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let none = trusted(&[]);
        assert_eq!(
            client_ip(ip("198.51.100.7"), &["203.0.113.9"], &none),
            ip("198.51.100.7")
        );
        let lb = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("198.51.100.7"), &["203.0.113.9"], &lb),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["203.0.113.9"], &lb),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client_and_forged_left_entries_are_not() {
        let proxies = trusted(&["10.0.0.0/8", "192.0.2.1"]);
        // client 203.0.113.9 forged "1.1.1.1"; proxies 192.0.2.1 then 10.0.0.5 appended.
        let header = ["1.1.1.1, 203.0.113.9, 192.0.2.1"];
        assert_eq!(
            client_ip(ip("10.0.0.5"), &header, &proxies),
            ip("203.0.113.9")
        );
        // Several headers are one list; ports and brackets are understood.
        let headers = ["1.1.1.1", "[2001:db8::7]:443, 192.0.2.1:80"];
        assert_eq!(
            client_ip(ip("10.0.0.5"), &headers, &proxies),
            ip("2001:db8::7")
        );
        // Garbage to the right of a good entry: nothing left of it is believed.
        let garbage = ["203.0.113.9, not-an-ip"];
        assert_eq!(
            client_ip(ip("10.0.0.5"), &garbage, &proxies),
            ip("10.0.0.5")
        );
        // Only trusted entries: the left-most is as far as the chain goes.
        assert_eq!(
            client_ip(ip("10.0.0.5"), &["10.9.9.9"], &proxies),
            ip("10.9.9.9")
        );
        assert_eq!(client_ip(ip("10.0.0.5"), &[], &proxies), ip("10.0.0.5"));
    }

    #[test]
    fn addresses_hash_per_key_and_share_their_network_hash_with_neighbours() {
        let a = ClientAddress::of(ip("203.0.113.9"), b"key");
        let b = ClientAddress::of(ip("203.0.113.200"), b"key");
        let c = ClientAddress::of(ip("203.0.114.9"), b"key");
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.net, b.net);
        assert_ne!(a.net, c.net);
        assert_ne!(a, ClientAddress::of(ip("203.0.113.9"), b"other key"));
        assert_eq!(a, ClientAddress::of(ip("::ffff:203.0.113.9"), b"key"));
        assert!(!a.hash.contains("203"));
    }
}
