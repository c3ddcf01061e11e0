//! Which addresses a user-given provider URL may reach: the URL-level face
//! of [`crate::reach`] (http or https only, then the host's addresses).
//!
//! A custom provider's URL comes from a person, and so does a hand-registered
//! source's; both are checked when added, and every endpoint found in a
//! provider's documents before it is used. The host's HTTP client and the
//! connector's requests apply the same policy again when they connect.

use crate::reach::{Reach, ReachError};
use std::net::IpAddr;

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

/// Check that `url` may be fetched: http(s), and every address its host
/// resolves to is one `reach` allows.
pub async fn check(url: &url::Url, reach: &Reach) -> Result<(), AddressError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AddressError::Scheme {
            url: url.to_string(),
        });
    }
    reach.check_url(url).await.map_err(|e| match e {
        ReachError::Unresolved { host, reason } => AddressError::Unresolved {
            url: url.to_string(),
            host,
            reason,
        },
        ReachError::Private {
            host,
            address,
            kind,
        } => AddressError::Private {
            url: url.to_string(),
            host,
            address,
            kind,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_are_refused_in_words() {
        let check_str = |u: &str, allow| {
            let u = url::Url::parse(u).unwrap();
            let reach = Reach {
                allow_private: allow,
                exempt: Vec::new(),
            };
            async move { check(&u, &reach).await }
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
