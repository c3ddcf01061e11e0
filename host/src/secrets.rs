//! The host's own secrets: a key generated on first start, kept in the data
//! folder readable only by the owner, and the AEAD cipher that uses it to
//! encrypt provider tokens at rest.

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes in every key file.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// Failure to load, create or use a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file exists but is not a key.
    #[error("key file {path} is damaged: expected {KEY_LEN} bytes, found {found}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// Its length.
        found: usize,
    },
    /// Ciphertext that this key did not produce, or that was altered.
    #[error("stored secret cannot be decrypted (altered, or encrypted with another key)")]
    Decrypt,
}

/// Encrypts and decrypts small secrets (provider tokens) with XChaCha20-Poly1305.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(..)")
    }
}

impl TokenCipher {
    /// Load the key at `<data_dir>/keys/token.key`, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<TokenCipher, SecretError> {
        let key = load_or_create_key(data_dir, "token.key")?;
        Ok(TokenCipher {
            cipher: XChaCha20Poly1305::new(&key.into()),
        })
    }

    /// Encrypt `plain`; the output is nonce || ciphertext.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let nonce = XNonce::from(nonce);
        // Encryption of an in-memory buffer with a valid key cannot fail.
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypt what [`TokenCipher::encrypt`] produced.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String, SecretError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Decrypt)
    }
}

/// Load the 256-bit key `<data_dir>/keys/<name>`, creating it from the OS CSPRNG
/// (file mode 0600, folder 0700) on first start.
pub fn load_or_create_key(data_dir: &Path, name: &str) -> Result<[u8; KEY_LEN], SecretError> {
    let dir = data_dir.join("keys");
    let path = dir.join(name);
    let io = |source| SecretError::Io {
        path: path.clone(),
        source,
    };
    let key = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(&dir).map_err(io)?;
            let mut key = vec![0u8; KEY_LEN];
            OsRng.fill_bytes(&mut key);
            write_private(&path, &key).map_err(io)?;
            tracing::info!(path = %path.display(), "generated a new key");
            key
        }
        Err(e) => return Err(io(e)),
    };
    let found = key.len();
    key.try_into()
        .map_err(|_| SecretError::BadKey { path, found })
}

/// Create `dir` (and parents) so that only the owner can enter it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenCipher::load_or_create(dir.path()).unwrap();
        let sealed = a.encrypt("secret-token");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        let b = TokenCipher::load_or_create(dir.path()).unwrap();
        assert_eq!(b.decrypt(&sealed).unwrap(), "secret-token");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("keys/token.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = fs::metadata(dir.path().join("keys"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn tampering_and_foreign_keys_are_detected() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let a = TokenCipher::load_or_create(one.path()).unwrap();
        let b = TokenCipher::load_or_create(two.path()).unwrap();
        let mut sealed = a.encrypt("t");
        assert!(matches!(b.decrypt(&sealed), Err(SecretError::Decrypt)));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(a.decrypt(&sealed), Err(SecretError::Decrypt)));
        assert!(matches!(a.decrypt(b"short"), Err(SecretError::Decrypt)));
    }

    #[test]
    fn damaged_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("keys")).unwrap();
        fs::write(dir.path().join("keys/token.key"), b"short").unwrap();
        assert!(matches!(
            TokenCipher::load_or_create(dir.path()),
            Err(SecretError::BadKey { found: 5, .. })
        ));
    }
}
