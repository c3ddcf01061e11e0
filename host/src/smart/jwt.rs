//! `private_key_jwt` client authentication (SMART App Launch "asymmetric"
//! confidential clients, RFC 7523): a short-lived JWT signed with Hearth's key.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::path::Path;

/// The `client_assertion_type` of a JWT bearer assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid; SMART allows at most five minutes.
const LIFETIME_SECS: i64 = 300;

/// A signing key registered with a platform.
#[derive(Clone)]
pub struct ClientKey {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

impl ClientKey {
    /// Load a PEM key: RSA signs RS384, an EC P-384 key ES384 (the two algorithms SMART requires servers to accept).
    pub fn load(path: &Path, kid: Option<String>) -> Result<ClientKey, String> {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let candidates = [
            (EncodingKey::from_rsa_pem(&pem).ok(), Algorithm::RS384),
            (EncodingKey::from_ec_pem(&pem).ok(), Algorithm::ES384),
        ];
        for (key, alg) in candidates {
            let Some(key) = key else { continue };
            let candidate = ClientKey {
                key,
                alg,
                kid: kid.clone(),
            };
            // A P-256 key parses as EC but cannot sign ES384: find out now, not at the first sync.
            if candidate
                .assertion("probe", "https://probe.invalid/")
                .is_ok()
            {
                return Ok(candidate);
            }
        }
        Err(format!(
            "{} is not an RSA or EC P-384 private key in PEM (PKCS#8)",
            path.display()
        ))
    }

    /// A fresh assertion for `client_id` at `token_endpoint`.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: token_endpoint,
            exp: now + LIFETIME_SECS,
            iat: now,
            jti: hex::encode(rand::random::<[u8; 16]>()),
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};
    use std::process::Command;

    fn openssl(args: &[&str]) {
        let status = Command::new("openssl")
            .args(args)
            .status()
            .expect("openssl is installed (.ci/run installs it)");
        assert!(status.success(), "openssl {args:?}");
    }

    #[test]
    fn signs_an_rs384_assertion_a_server_can_verify() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("key.pem");
        let public = dir.path().join("pub.pem");
        let p = private.to_str().unwrap();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            p,
        ]);
        openssl(&[
            "pkey",
            "-in",
            p,
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ]);
        let key = ClientKey::load(&private, Some("k1".into())).unwrap();
        let jwt = key
            .assertion("client-1", "https://auth.test/token")
            .unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS384);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let mut validation = Validation::new(Algorithm::RS384);
        validation.set_audience(&["https://auth.test/token"]);
        validation.set_issuer(&["client-1"]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &jwt,
            &DecodingKey::from_rsa_pem(&std::fs::read(&public).unwrap()).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "client-1");
        let lifetime =
            decoded.claims["exp"].as_i64().unwrap() - decoded.claims["iat"].as_i64().unwrap();
        assert!(lifetime <= 300);
        // Each assertion is unique, so a server can refuse replays.
        let again = key
            .assertion("client-1", "https://auth.test/token")
            .unwrap();
        let jti = |t: &str| {
            jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(t)
                .unwrap()
                .claims["jti"]
                .clone()
        };
        assert_ne!(jti(&jwt), jti(&again));
    }

    #[test]
    fn signs_es384_and_refuses_what_is_not_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("ec.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            private.to_str().unwrap(),
        ]);
        let key = ClientKey::load(&private, None).unwrap();
        let jwt = key.assertion("c", "https://auth.test/token").unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&jwt).unwrap().alg,
            Algorithm::ES384
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        let err = ClientKey::load(&junk, None).err().unwrap();
        assert!(err.contains("not an RSA or EC P-384 private key"), "{err}");
    }
}
