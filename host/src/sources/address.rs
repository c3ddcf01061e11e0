//! Which addresses a user-given provider URL may reach.
//!
//! A custom provider's URL comes from a person, not from the catalog the
//! administrator installed, and the host itself fetches it (discovery,
//! registration, tokens, syncs). Without a check, anyone who may add a
//! provider could make the host read its own loopback services, the home
//! router or a cloud metadata endpoint (server-side request forgery). So
//! only `http`/`https` URLs are accepted, and a host name must resolve to
//! public addresses only: loopback, private, link-local, shared (CGNAT),
//! unique-local, multicast and unspecified addresses are refused unless the
//! administrator allows them (`allow_private_provider_addresses`, for a
//! FHIR server on the home network or a test server on this machine).
//!
//! The check runs when a provider is added and again before each use of an
//! endpoint found in its documents. It does not pin the resolved address for
//! the later connection, so a name that changes its answer in between (DNS
//! rebinding) is not stopped here.

use std::net::{IpAddr, Ipv4Addr};

/// Why a provider URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not an absolute http(s) URL.
    #[error("{url}: only http and https URLs can be providers")]
    Scheme {
        /// The URL.
        url: String,
    },
    /// The URL has no host, or it does not resolve.
    #[error("{url}: the host {host:?} could not be found ({reason})")]
    Unresolved {
        /// The URL.
        url: String,
        /// Its host.
        host: String,
        /// The resolver's words.
        reason: String,
    },
    /// The host is (or resolves to) an address on this machine or a private network.
    #[error(
        "{url}: {host} is {address}, {kind}; providers must be on the public internet unless the administrator allows private addresses (allow_private_provider_addresses)"
    )]
    Private {
        /// The URL.
        url: String,
        /// Its host.
        host: String,
        /// The address it is or resolves to.
        address: IpAddr,
        /// What kind of address that is, in words.
        kind: &'static str,
    },
}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn private_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_kind(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address (this machine)")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("a unique-local (private network) address")
            } else if first & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else {
                None
            }
        }
    }
}

fn v4_kind(v4: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = v4.octets();
    if v4.is_loopback() {
        Some("a loopback address (this machine)")
    } else if v4.is_private() {
        Some("a private network address")
    } else if v4.is_link_local() {
        Some("a link-local address (cloud metadata services live here)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if v4.is_unspecified() || a == 0 {
        Some("the unspecified address")
    } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
        Some("a multicast, broadcast or reserved address")
    } else {
        None
    }
}

/// Check that `url` may be fetched: http(s), and (unless `allow_private`)
/// every address its host resolves to is public.
pub async fn check(url: &url::Url, allow_private: bool) -> Result<(), AddressError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AddressError::Scheme {
            url: url.to_string(),
        });
    }
    let Some(host) = url.host() else {
        return Err(AddressError::Unresolved {
            url: url.to_string(),
            host: String::new(),
            reason: "the URL has no host".into(),
        });
    };
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host {
        url::Host::Ipv4(v4) => vec![IpAddr::V4(v4)],
        url::Host::Ipv6(v6) => vec![IpAddr::V6(v6)],
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| AddressError::Unresolved {
                url: url.to_string(),
                host: name.to_string(),
                reason: e.to_string(),
            })?
            .map(|a| a.ip())
            .collect(),
    };
    for address in addresses {
        if let Some(kind) = private_kind(address) {
            return Err(AddressError::Private {
                url: url.to_string(),
                host: host.to_string(),
                address,
                kind,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_public_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(private_kind(ip).is_some(), "{private}");
        }
        for public in ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "100.128.0.1"] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(private_kind(ip), None, "{public}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_in_words() {
        let check_str = |u: &str, allow| {
            let u = url::Url::parse(u).unwrap();
            async move { check(&u, allow).await }
        };
        let e = check_str("http://127.0.0.1:8080/fhir", false)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("127.0.0.1 is 127.0.0.1, a loopback address"),
            "{e}"
        );
        assert!(e.to_string().contains("allow_private_provider_addresses"));
        let e = check_str("http://localhost:8080/fhir", false)
            .await
            .unwrap_err();
        assert!(matches!(e, AddressError::Private { .. }), "{e}");
        let e = check_str("http://[::1]/fhir", false).await.unwrap_err();
        assert!(matches!(e, AddressError::Private { .. }), "{e}");
        let e = check_str("ftp://example.org/fhir", true).await.unwrap_err();
        assert!(matches!(e, AddressError::Scheme { .. }), "{e}");
        assert_eq!(check_str("http://127.0.0.1:8080/fhir", true).await, Ok(()));
        assert_eq!(check_str("https://203.0.113.9/fhir", false).await, Ok(()));
    }
}
