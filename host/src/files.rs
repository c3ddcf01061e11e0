//! Files the host keeps under the data folder besides the database:
//! attachment bytes (`attachments/`, named by SHA-256, written once) and
//! uploads being imported (`tmp/`, removed when done and at start). All
//! access goes through cap-std directory handles, so a name can never
//! reach outside these folders.

use bytes::Bytes;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

/// Why an upload could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The body is larger than the limit; nothing was kept.
    #[error("the upload is larger than the {0}-byte limit")]
    TooLarge(u64),
    /// The client's body stream failed.
    #[error("reading the upload failed: {0}")]
    Body(String),
    /// The disk failed.
    #[error("writing the upload failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The data folder's file areas.
#[derive(Clone, Debug)]
pub struct Files {
    attachments: Arc<Dir>,
    tmp: Arc<Dir>,
}

/// An upload spooled to disk; its file is removed when this is dropped.
#[derive(Debug)]
pub struct Spooled {
    dir: Arc<Dir>,
    name: String,
    /// Size in bytes.
    pub len: u64,
}

impl Spooled {
    /// A handle that opens the upload again, for blocking tasks that outlive
    /// a borrow of this one (the file stays this `Spooled`'s to remove).
    pub fn reader(&self) -> SpoolReader {
        SpoolReader {
            dir: self.dir.clone(),
            name: self.name.clone(),
        }
    }
}

/// Opens a spooled upload; see [`Spooled::reader`].
#[derive(Debug, Clone)]
pub struct SpoolReader {
    dir: Arc<Dir>,
    name: String,
}

impl SpoolReader {
    /// A fresh reader over the whole upload.
    pub fn open(&self) -> std::io::Result<std::fs::File> {
        Ok(self.dir.open(&self.name)?.into_std())
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        if let Err(e) = self.dir.remove_file(&self.name) {
            tracing::warn!(file = %self.name, error = %e, "could not remove a spooled upload");
        }
    }
}

fn private_dir(path: &Path) -> std::io::Result<Dir> {
    crate::secrets::create_private_dir(path)?;
    Dir::open_ambient_dir(path, ambient_authority())
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(rand::random::<[u8; 16]>()))
}

impl Files {
    /// Open (creating) the areas under `data_dir`, and clear uploads left by a stopped host.
    pub fn open(data_dir: &Path) -> std::io::Result<Files> {
        let attachments = private_dir(&data_dir.join("attachments"))?;
        let tmp = private_dir(&data_dir.join("tmp"))?;
        for entry in tmp.entries()? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                tmp.remove_file(entry.file_name())?;
            }
        }
        Ok(Files {
            attachments: Arc::new(attachments),
            tmp: Arc::new(tmp),
        })
    }

    /// Write a body stream to a temporary file, refusing it past `max` bytes
    /// (the partial file is removed).
    pub async fn spool<E: std::fmt::Display>(
        &self,
        mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
        max: u64,
    ) -> Result<Spooled, SpoolError> {
        let name = random_name("upload");
        let file = self.tmp.create(&name)?.into_std();
        let mut spooled = Spooled {
            dir: self.tmp.clone(),
            name,
            len: 0,
        };
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| SpoolError::Body(e.to_string()))?;
            spooled.len += chunk.len() as u64;
            if spooled.len > max {
                return Err(SpoolError::TooLarge(max));
            }
            tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await?;
        }
        tokio::io::AsyncWriteExt::flush(&mut out).await?;
        Ok(spooled)
    }

    /// Store attachment bytes (once per content) and return their SHA-256, hex.
    /// Written to a temporary name and renamed, so a reader never sees half a file.
    pub fn put_attachment(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        if self.attachments.exists(&sha) {
            return Ok(sha);
        }
        let name = random_name("part");
        let mut file = self.tmp.create(&name)?;
        let written = file.write_all(bytes).and_then(|_| file.sync_all());
        if let Err(e) = written.and_then(|_| self.tmp.rename(&name, &self.attachments, &sha)) {
            let _ = self.tmp.remove_file(&name);
            return Err(e);
        }
        Ok(sha)
    }

    /// The bytes of the attachment with this SHA-256.
    pub fn read_attachment(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not an attachment name",
            ));
        }
        let mut bytes = Vec::new();
        self.attachments.open(sha)?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Remove attachment files that no stored resource refers to any more.
    pub fn remove_attachment(&self, sha: &str) -> std::io::Result<()> {
        match self.attachments.remove_file(sha) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spooling_keeps_the_bytes_and_refuses_oversized_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::open(dir.path()).unwrap();
        let chunks = || {
            futures_util::stream::iter(vec![
                Ok::<_, std::io::Error>(Bytes::from_static(b"hello ")),
                Ok(Bytes::from_static(b"world")),
            ])
        };
        let spooled = files.spool(chunks(), 11).await.unwrap();
        let mut text = String::new();
        spooled
            .reader()
            .open()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!((text.as_str(), spooled.len), ("hello world", 11));
        drop(spooled);
        assert!(matches!(
            files.spool(chunks(), 10).await,
            Err(SpoolError::TooLarge(10))
        ));
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "no spooled file outlives its upload");
    }

    #[test]
    fn attachments_are_content_addressed_and_names_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::open(dir.path()).unwrap();
        let a = files.put_attachment(b"%PDF-1.7 one").unwrap();
        assert_eq!(files.put_attachment(b"%PDF-1.7 one").unwrap(), a);
        assert_eq!(files.read_attachment(&a).unwrap(), b"%PDF-1.7 one");
        assert!(files.read_attachment("../hearth.db").is_err());
        files.remove_attachment(&a).unwrap();
        assert!(files.read_attachment(&a).is_err());
        files.remove_attachment(&a).unwrap();
    }

    #[test]
    fn uploads_left_by_a_stopped_host_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        Files::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("tmp/upload-x"), b"half").unwrap();
        Files::open(dir.path()).unwrap();
        assert!(!dir.path().join("tmp/upload-x").exists());
    }
}
