//! Which network addresses the host may reach on someone's behalf: one
//! policy for every provider URL, whether typed in by a person, found in a
//! provider's documents, or listed in the installed catalog.
//!
//! The host fetches provider URLs itself (discovery, registration, tokens,
//! syncs), with a bearer token attached. Pointed at its own loopback
//! services, the home router or a cloud metadata endpoint, it would read
//! them for whoever chose the URL (server-side request forgery), and which
//! error came back would map the network. So a provider host must resolve
//! to public addresses only; loopback, private, link-local, shared (CGNAT),
//! unique-local, multicast and unspecified addresses are refused unless the
//! administrator allows them (`allow_private_provider_addresses`, for a FHIR
//! server on the home network), or the host is this server's own sandbox.
//!
//! The check holds at connect time: the host's HTTP client resolves names
//! through [`GuardedResolver`], which answers only with allowed addresses,
//! so a name cannot pass a check and then connect somewhere else. Connector
//! plugins' requests are checked just before they are sent ([`Reach::resolve`]),
//! and the plugin transport resolves the name again to connect: a name that
//! changes its answer within those milliseconds (DNS rebinding) is the one
//! case not closed there.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Where provider requests may go.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Loopback and private networks may be reached too.
    pub allow_private: bool,
    /// Host (lower-case) and port always reachable: the catalog's sandbox.
    pub exempt: Vec<(String, u16)>,
}

/// Why a host may not be reached. Shown to the person who chose the URL, so
/// it names the host and the kind of address, nothing about what answers there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReachError {
    /// The name does not resolve.
    #[error("the host {host:?} could not be found ({reason})")]
    Unresolved {
        /// The host.
        host: String,
        /// The resolver's words.
        reason: String,
    },
    /// The host is, or resolves to, an address on this machine or a private network.
    #[error(
        "{host} is {address}, {kind}; providers must be on the public internet unless the administrator allows private addresses (allow_private_provider_addresses)"
    )]
    Private {
        /// The host.
        host: String,
        /// The address it is or resolves to.
        address: IpAddr,
        /// What kind of address that is, in words.
        kind: &'static str,
    },
}

impl Reach {
    /// A policy that reaches everything (tests, and hosts that allow private addresses).
    pub fn anywhere() -> Reach {
        Reach {
            allow_private: true,
            exempt: Vec::new(),
        }
    }

    /// Whether `host` at `port` is reached without a check (`None`: any port,
    /// for the resolver, which is told no port; the callers checked it first).
    fn unchecked(&self, host: &str, port: Option<u16>) -> bool {
        self.allow_private
            || self
                .exempt
                .iter()
                .any(|(h, p)| h.eq_ignore_ascii_case(host) && port.is_none_or(|port| port == *p))
    }

    /// Check a literal address as the host of a URL at `port`.
    pub fn check_ip(&self, host: &str, port: Option<u16>, ip: IpAddr) -> Result<(), ReachError> {
        if self.unchecked(host, port) {
            return Ok(());
        }
        match private_kind(ip) {
            Some(kind) => Err(ReachError::Private {
                host: host.to_string(),
                address: ip,
                kind,
            }),
            None => Ok(()),
        }
    }

    /// The addresses `host` (a name or a literal) resolves to at `port`;
    /// refused if any of them may not be reached.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ReachError> {
        self.resolve_at(host, port, Some(port)).await
    }

    async fn resolve_at(
        &self,
        host: &str,
        port: u16,
        checked_port: Option<u16>,
    ) -> Result<Vec<SocketAddr>, ReachError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| ReachError::Unresolved {
                    host: host.to_string(),
                    reason: e.to_string(),
                })?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(ReachError::Unresolved {
                host: host.to_string(),
                reason: "no addresses".into(),
            });
        }
        for address in &addresses {
            self.check_ip(host, checked_port, address.ip())?;
        }
        Ok(addresses)
    }

    /// Check the host of `url` (an `http(s)` URL): a literal address at once,
    /// a name by resolving it.
    pub async fn check_url(&self, url: &url::Url) -> Result<(), ReachError> {
        let Some(host) = url.host_str() else {
            return Err(ReachError::Unresolved {
                host: String::new(),
                reason: "the URL has no host".into(),
            });
        };
        let port = url.port_or_known_default().unwrap_or(443);
        if self.unchecked(host, Some(port)) {
            return Ok(());
        }
        self.resolve(host, port).await.map(|_| ())
    }

    /// A resolver for `reqwest` that enforces this policy at connect time.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver(self.clone()))
    }
}

/// Resolves names for the host's HTTP client, answering only with addresses
/// the policy allows (an error otherwise), so what was checked is what is
/// connected to. Literal addresses in URLs do not pass through a resolver:
/// callers check those with [`Reach::check_url`] (which also checks an
/// exempt host's port, which a resolver is not told).
#[derive(Debug)]
pub struct GuardedResolver(Reach);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // The port is filled in by the connector; 0 here.
            match reach.resolve_at(&host, 0, None).await {
                Ok(addresses) => Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs),
                Err(e) => {
                    tracing::warn!(%host, error = %e, "outbound connection refused");
                    Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                }
            }
        })
    }
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
    async fn names_are_judged_by_what_they_resolve_to() {
        let strict = Reach::default();
        let e = strict.resolve("localhost", 80).await.unwrap_err();
        assert!(matches!(e, ReachError::Private { .. }), "{e}");
        let e = strict.resolve("[::1]", 80).await.unwrap_err();
        assert!(matches!(e, ReachError::Private { .. }), "{e}");
        assert!(strict.resolve("203.0.113.9", 443).await.is_ok());
        assert!(Reach::anywhere().resolve("localhost", 80).await.is_ok());
        let sandbox = Reach {
            allow_private: false,
            exempt: vec![("127.0.0.1".into(), 9090)],
        };
        assert!(sandbox.resolve("127.0.0.1", 9090).await.is_ok());
        assert!(
            sandbox.resolve("127.0.0.1", 22).await.is_err(),
            "only its port"
        );
        assert!(sandbox.resolve("127.0.0.2", 9090).await.is_err());
    }

    #[tokio::test]
    async fn the_http_client_cannot_connect_to_a_name_that_resolves_inside() {
        // A real loopback server the client is not allowed to reach by name.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi")
                    .await;
            }
        });
        let client = |reach: &Reach| {
            reqwest::Client::builder()
                .dns_resolver(reach.resolver())
                .build()
                .unwrap()
        };
        let url = format!("http://localhost:{port}/");
        let refused = client(&Reach::default()).get(&url).send().await;
        let error = format!("{:?}", refused.unwrap_err());
        assert!(error.contains("loopback"), "{error}");
        let allowed = client(&Reach::anywhere()).get(&url).send().await.unwrap();
        assert_eq!(allowed.text().await.unwrap(), "hi");
    }
}
