//! Short-lived access tokens: JWTs signed with HS256 under a key generated on
//! first start. Validation pins the algorithm, issuer and audience, so `alg:
//! none`, algorithm confusion (a token labelled RS256 or ES256) and tokens for
//! another purpose are refused.

use crate::secrets::{SecretError, load_or_create_key};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an access token lives.
pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a device token vouches for a browser or app that signed in.
pub const DEVICE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
const ISSUER: &str = "hearth";
const AUDIENCE: &str = "hearth-api";
/// Device tokens have their own audience, so one can never pass as an access token.
const DEVICE_AUDIENCE: &str = "hearth-device";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session it belongs to (revoking the session revokes the token).
    pub sid: String,
    /// A random id, so no two tokens are alike.
    pub jti: String,
    /// Token purpose; always `access` here.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// What a device token says: this device signed in to `sub` before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceClaims {
    /// The user id.
    pub sub: String,
    /// The device's random id: its own sign-in throttle.
    pub did: String,
    /// Token purpose; always `device`.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// Why a token was refused. Deliberately coarse: callers answer 401 either way.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Bad signature, algorithm, issuer, audience, purpose or shape.
    #[error("the token is not valid")]
    Invalid,
}

/// Why the signing key could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or creating the key file failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The key was refused by the JWT library.
    #[error("the token signing key is unusable: {0}")]
    Unusable(String),
}

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    device_validation: Validation,
}

impl TokenKeys {
    /// Keys from `<data_dir>/keys/jwt.key`, created on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<TokenKeys, KeyError> {
        TokenKeys::from_secret(&load_or_create_key(data_dir, "jwt.key")?)
    }

    /// Keys from a 256-bit secret.
    pub fn from_secret(secret: &[u8; 32]) -> Result<TokenKeys, KeyError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 0;
        let mut device_validation = validation.clone();
        device_validation.set_audience(&[DEVICE_AUDIENCE]);
        Ok(TokenKeys {
            device_validation,
            encoding: EncodingKey::from_secret(secret)
                .map_err(|e| KeyError::Unusable(e.to_string()))?,
            decoding: DecodingKey::from_secret(secret)
                .map_err(|e| KeyError::Unusable(e.to_string()))?,
            validation,
        })
    }

    /// Issue an access token for `user` in `session`, valid for [`ACCESS_TTL`] from `now`.
    pub fn issue(&self, user: &str, session: &str, now: SystemTime) -> Result<String, TokenError> {
        let iat = epoch_secs(now)?;
        self.sign(&Claims {
            sub: user.to_string(),
            sid: session.to_string(),
            jti: hex::encode(rand::random::<[u8; 12]>()),
            typ: "access".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat,
            exp: iat + ACCESS_TTL.as_secs(),
        })
    }

    /// Issue a device token for `user`, valid for [`DEVICE_TTL`] from `now`.
    pub fn issue_device(&self, user: &str, now: SystemTime) -> Result<String, TokenError> {
        let iat = epoch_secs(now)?;
        self.sign(&DeviceClaims {
            sub: user.to_string(),
            did: hex::encode(rand::random::<[u8; 16]>()),
            typ: "device".into(),
            iss: ISSUER.into(),
            aud: DEVICE_AUDIENCE.into(),
            iat,
            exp: iat + DEVICE_TTL.as_secs(),
        })
    }

    fn sign(&self, claims: &impl Serialize) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, TokenError> {
        jsonwebtoken::decode::<T>(token, &self.decoding, validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    /// Check a device token as [`TokenKeys::verify`] checks an access token.
    pub fn verify_device(&self, token: &str) -> Result<DeviceClaims, TokenError> {
        let claims: DeviceClaims = self.decode(token, &self.device_validation)?;
        if claims.typ != "device" {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }

    /// Check a token's signature, algorithm, issuer, audience, purpose and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let claims: Claims = self.decode(token, &self.validation)?;
        if claims.typ != "access" {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// Seconds since the epoch at `now`.
fn epoch_secs(now: SystemTime) -> Result<u64, TokenError> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| TokenError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7u8; 32]).unwrap()
    }

    fn parts(token: &str) -> (String, String, String) {
        let mut it = token.split('.').map(str::to_string);
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    }

    #[test]
    fn issued_tokens_verify_and_carry_their_claims() {
        let k = keys();
        let token = k.issue("user-1", "session-1", SystemTime::now()).unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("user-1", "session-1")
        );
        assert_eq!(claims.exp - claims.iat, 15 * 60);
    }

    #[test]
    fn device_and_access_tokens_cannot_stand_in_for_each_other() {
        let k = keys();
        let device = k.issue_device("user-1", SystemTime::now()).unwrap();
        let claims = k.verify_device(&device).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.did.len(), 32);
        assert_eq!(k.verify(&device), Err(TokenError::Invalid));
        let access = k.issue("user-1", "session-1", SystemTime::now()).unwrap();
        assert_eq!(k.verify_device(&access), Err(TokenError::Invalid));
        let other = TokenKeys::from_secret(&[8u8; 32]).unwrap();
        assert_eq!(other.verify_device(&device), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys();
        let token = k
            .issue(
                "u",
                "s",
                SystemTime::now() - ACCESS_TTL - Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(k.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let k = keys();
        let token = k.issue("u", "s", SystemTime::now()).unwrap();
        let (h, p, s) = parts(&token);
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(&p).unwrap()).unwrap();
        claims["sub"] = "admin".into();
        let forged = format!("{h}.{}.{s}", B64.encode(claims.to_string()));
        assert_eq!(k.verify(&forged), Err(TokenError::Invalid));
        assert_eq!(
            k.verify(&format!("{h}.{p}.{}", B64.encode([0u8; 32]))),
            Err(TokenError::Invalid)
        );
        assert_eq!(k.verify("not.a.token"), Err(TokenError::Invalid));
        assert_eq!(k.verify(""), Err(TokenError::Invalid));
    }

    #[test]
    fn tokens_signed_with_another_key_are_refused() {
        let other = TokenKeys::from_secret(&[8u8; 32]).unwrap();
        let token = other.issue("u", "s", SystemTime::now()).unwrap();
        assert_eq!(keys().verify(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_and_algorithm_confusion_are_refused() {
        let k = keys();
        let token = k.issue("u", "s", SystemTime::now()).unwrap();
        let (_, p, s) = parts(&token);
        for alg in ["none", "None", "RS256", "ES256", "HS512", "EdDSA"] {
            let header = B64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            assert_eq!(
                k.verify(&format!("{header}.{p}.")),
                Err(TokenError::Invalid),
                "{alg} unsigned"
            );
            assert_eq!(
                k.verify(&format!("{header}.{p}.{s}")),
                Err(TokenError::Invalid),
                "{alg} relabelled"
            );
        }
    }

    #[test]
    fn other_purposes_issuers_and_audiences_are_refused() {
        let k = keys();
        let secret = EncodingKey::from_secret(&[7u8; 32]).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let base = Claims {
            sub: "u".into(),
            sid: "s".into(),
            jti: "j".into(),
            typ: "access".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + 60,
        };
        let sign =
            |c: &Claims| jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &secret).unwrap();
        assert!(k.verify(&sign(&base)).is_ok());
        for bad in [
            Claims {
                typ: "refresh".into(),
                ..base.clone()
            },
            Claims {
                iss: "someone-else".into(),
                ..base.clone()
            },
            Claims {
                aud: "sync".into(),
                ..base.clone()
            },
        ] {
            assert_eq!(k.verify(&sign(&bad)), Err(TokenError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn the_key_is_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenKeys::load_or_create(dir.path()).unwrap();
        let token = a.issue("u", "s", SystemTime::now()).unwrap();
        let b = TokenKeys::load_or_create(dir.path()).unwrap();
        assert!(b.verify(&token).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/jwt.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
