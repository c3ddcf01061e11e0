//! `hearth backup` and `hearth restore`: the whole instance (database, keys,
//! attachment files) in one zip.
//!
//! A backup is consistent while the server runs: the database is copied with
//! `VACUUM INTO`, which reads one snapshot, and the attachment files it names
//! are immutable (named by their SHA-256). Keys are included because provider
//! tokens and TOTP secrets are encrypted with them; the backup file is written
//! readable by its owner only. Restore refuses to run while a server holds the
//! data folder, checks every file before touching anything, and moves what it
//! replaces aside instead of deleting it.

use anyhow::{Context, bail, ensure};
use sha2::{Digest, Sha256};
use sqlx::ConnectOptions;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The key files under the data folder.
const KEY_FILES: &[&str] = &["keys/token.key", "keys/jwt.key"];
/// Marks a zip as a Hearth backup.
const FORMAT: &str = "hearth-backup";
/// A backup never expands beyond this many times its own size (a database of
/// JSON compresses well, not a thousandfold): more is a zip bomb, refused
/// before it fills the disk.
const MAX_EXPANSION: u64 = 100;
/// ... nor beyond this floor, whatever a tiny archive's ratio.
const MIN_EXPANSION_LIMIT: u64 = 64 << 20;
const VERSION: u64 = 1;

/// Held by a running server: one server per data folder, and no restore under it.
#[derive(Debug)]
pub struct InstanceLock {
    _file: fs::File,
}

impl InstanceLock {
    /// Take the data folder's lock, or say who holds it.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<InstanceLock> {
        crate::secrets::create_private_dir(data_dir)?;
        let path = data_dir.join("hearth.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(InstanceLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => bail!(
                "a Hearth server is running on {}; stop it first",
                data_dir.display()
            ),
            Err(fs::TryLockError::Error(e)) => Err(e).context("locking the data folder"),
        }
    }
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Stored resources.
    pub resources: u64,
    /// Attachment files.
    pub attachments: u64,
    /// Size of the backup file in bytes.
    pub bytes: u64,
}

fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

async fn connect_read_only(path: &Path) -> anyhow::Result<sqlx::SqliteConnection> {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// Write a backup of the instance in `data_dir` to `out` (which must not exist).
pub async fn backup(data_dir: &Path, out: &Path) -> anyhow::Result<Summary> {
    ensure!(!out.exists(), "{} already exists", out.display());
    let db = crate::db::open(data_dir).await?;
    let partial = out.with_extension("partial");
    let snapshot = out.with_extension("db-snapshot");
    let _ = fs::remove_file(&snapshot);
    let cleanup = |paths: &[&Path]| {
        for p in paths {
            let _ = fs::remove_file(p);
        }
    };
    sqlx::query("VACUUM INTO ?")
        .bind(snapshot.to_string_lossy().to_string())
        .execute(&db)
        .await
        .context("copying the database")?;
    db.close().await;
    let result = async {
        let mut conn = connect_read_only(&snapshot).await?;
        let resources: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
            .fetch_one(&mut conn)
            .await?;
        let shas: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")
                .fetch_all(&mut conn)
                .await?;
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
                .fetch_one(&mut conn)
                .await?;
        drop(conn);
        let data_dir = data_dir.to_path_buf();
        let (snapshot, partial_file) = (snapshot.clone(), partial.clone());
        let attachments = shas.len() as u64;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut zip = zip::ZipWriter::new(private_file(&partial_file)?);
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            let manifest = serde_json::json!({
                "format": FORMAT,
                "version": VERSION,
                "created": crate::records::index::format_instant(chrono::Utc::now()),
                "schema": version,
                "resources": resources,
                "attachments": attachments,
            });
            zip.start_file("backup.json", stored)?;
            zip.write_all(serde_json::to_string_pretty(&manifest)?.as_bytes())?;
            zip.start_file("hearth.db", stored)?;
            std::io::copy(&mut fs::File::open(&snapshot)?, &mut zip)?;
            for key in KEY_FILES {
                zip.start_file(*key, stored)?;
                zip.write_all(
                    &fs::read(data_dir.join(key)).with_context(|| format!("reading {key}"))?,
                )?;
            }
            for sha in &shas {
                let path = data_dir.join("attachments").join(sha);
                let mut file = fs::File::open(&path).with_context(|| {
                    format!("attachment {sha} was removed during the backup; run it again")
                })?;
                zip.start_file(format!("attachments/{sha}"), stored)?;
                std::io::copy(&mut file, &mut zip)?;
            }
            zip.finish()?.sync_all()?;
            Ok(())
        })
        .await??;
        fs::rename(&partial, out)?;
        Ok::<_, anyhow::Error>(Summary {
            resources: resources as u64,
            attachments,
            bytes: fs::metadata(out)?.len(),
        })
    }
    .await;
    cleanup(&[&snapshot, &partial]);
    result
}

/// Which part of the instance a zip entry is, if any (nothing else is extracted).
fn known_entry(name: &str) -> bool {
    name == "backup.json"
        || name == "hearth.db"
        || KEY_FILES.contains(&name)
        || name.strip_prefix("attachments/").is_some_and(|sha| {
            sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// Restore the backup `from` into `data_dir`. With `force`, an existing
/// instance there is moved into `before-restore-<time>/` first; without it,
/// an existing instance is an error.
pub async fn restore(data_dir: &Path, from: &Path, force: bool) -> anyhow::Result<Summary> {
    let _lock = InstanceLock::acquire(data_dir)?;
    let has_db = data_dir.join("hearth.db").exists();
    ensure!(
        !has_db || force,
        "{} already holds a Hearth instance; pass --force to replace it (its files are kept in before-restore-<time>/)",
        data_dir.display()
    );
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S").to_string();
    let staging = data_dir.join(format!("restore-{stamp}"));
    crate::secrets::create_private_dir(&staging)?;
    let result = async {
        let (from_path, staging_dir) = (from.to_path_buf(), staging.clone());
        let attachments =
            tokio::task::spawn_blocking(move || extract(&from_path, &staging_dir)).await??;
        let mut conn = connect_read_only(&staging.join("hearth.db")).await?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?;
        ensure!(check == "ok", "the backup's database is damaged: {check}");
        let resources: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
            .fetch_one(&mut conn)
            .await?;
        drop(conn);
        Ok::<_, anyhow::Error>((resources as u64, attachments))
    }
    .await;
    let (resources, attachments) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let parts = [
        "hearth.db",
        "hearth.db-wal",
        "hearth.db-shm",
        "keys",
        "attachments",
    ];
    if has_db || data_dir.join("keys").exists() {
        let aside = data_dir.join(format!("before-restore-{stamp}"));
        crate::secrets::create_private_dir(&aside)?;
        for part in parts {
            let path = data_dir.join(part);
            if path.exists() {
                fs::rename(&path, aside.join(part))?;
            }
        }
        tracing::info!(kept = %aside.display(), "the replaced instance was moved aside");
    }
    for part in ["hearth.db", "keys", "attachments"] {
        let staged = staging.join(part);
        if staged.exists() {
            fs::rename(&staged, data_dir.join(part))?;
        }
    }
    fs::remove_dir_all(&staging)?;
    Ok(Summary {
        resources,
        attachments,
        bytes: fs::metadata(from)?.len(),
    })
}

/// Unpack and check a backup into `staging`; returns the number of attachments.
fn extract(from: &Path, staging: &Path) -> anyhow::Result<u64> {
    let file = fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut zip = zip::ZipArchive::new(file).context("not a Hearth backup (not a zip file)")?;
    let manifest: serde_json::Value = {
        let mut text = String::new();
        zip.by_name("backup.json")
            .context("not a Hearth backup (no backup.json)")?
            .read_to_string(&mut text)?;
        serde_json::from_str(&text).context("backup.json is not JSON")?
    };
    ensure!(
        manifest["format"] == FORMAT,
        "not a Hearth backup (format {:?})",
        manifest["format"]
    );
    ensure!(
        manifest["version"].as_u64().is_some_and(|v| v <= VERSION),
        "the backup was written by a newer Hearth (version {})",
        manifest["version"]
    );
    crate::secrets::create_private_dir(&staging.join("keys"))?;
    crate::secrets::create_private_dir(&staging.join("attachments"))?;
    let limit = fs::metadata(from)?
        .len()
        .saturating_mul(MAX_EXPANSION)
        .max(MIN_EXPANSION_LIMIT);
    let mut written: u64 = 0;
    let mut attachments = 0;
    let mut seen_db = false;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.to_string();
        ensure!(known_entry(&name), "unexpected file {name:?} in the backup");
        if name == "backup.json" {
            continue;
        }
        let target: PathBuf = staging.join(&name);
        let mut out = private_file(&target)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            written += n as u64;
            ensure!(
                written <= limit,
                "the backup expands to more than {limit} bytes, {MAX_EXPANSION} times its size: not a Hearth backup (a zip bomb?); nothing was restored"
            );
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        out.sync_all()?;
        if let Some(sha) = name.strip_prefix("attachments/") {
            ensure!(
                hex::encode(hasher.finalize()) == sha,
                "attachment {sha} in the backup is damaged"
            );
            attachments += 1;
        }
        seen_db |= name == "hearth.db";
    }
    ensure!(seen_db, "the backup holds no database");
    for key in KEY_FILES {
        let path = staging.join(key);
        ensure!(path.exists(), "the backup lacks {key}");
        let len = fs::metadata(&path)?.len();
        ensure!(
            len == crate::secrets::KEY_LEN as u64,
            "{key} in the backup is damaged: {len} bytes, not {}",
            crate::secrets::KEY_LEN
        );
    }
    Ok(attachments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_instance_files_are_extracted() {
        assert!(known_entry("hearth.db"));
        assert!(known_entry("keys/jwt.key"));
        assert!(known_entry(&format!("attachments/{}", "a".repeat(64))));
        for bad in [
            "../x",
            "keys/../../etc",
            "attachments/../hearth.db",
            "plugins/x.wasm",
            "attachments/ABC",
        ] {
            assert!(!known_entry(bad), "{bad}");
        }
    }

    /// Writes one file's content into the archive.
    type Content<'a> = &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>;

    /// A zip holding a backup manifest and `files` (name, content), deflated.
    fn archive(path: &Path, files: &[(&str, Content)]) {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("backup.json", options).unwrap();
        zip.write_all(
            serde_json::json!({"format": FORMAT, "version": VERSION})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        for (name, write) in files {
            zip.start_file(*name, options).unwrap();
            write(&mut zip).unwrap();
        }
        zip.finish().unwrap();
    }

    #[tokio::test]
    async fn a_zip_bomb_is_refused_before_it_fills_the_disk() {
        // Issue 15, item 14: a 3 MB zip wrote 3 GiB.
        let dir = tempfile::tempdir().unwrap();
        let bomb = dir.path().join("bomb.zip");
        let zeros = vec![0u8; 1 << 20];
        archive(
            &bomb,
            &[("hearth.db", &|w: &mut dyn Write| {
                for _ in 0..200 {
                    w.write_all(&zeros)?;
                }
                Ok(())
            })],
        );
        let size = fs::metadata(&bomb).unwrap().len();
        assert!(size < 1 << 20, "200 MiB of zeros deflate to {size} bytes");
        let data = dir.path().join("data");
        let err = restore(&data, &bomb, false).await.unwrap_err().to_string();
        assert!(err.contains("zip bomb"), "{err}");
        let left: Vec<_> = fs::read_dir(&data)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            left.iter().all(|n| n == "hearth.lock"),
            "nothing restored, staging removed: {left:?}"
        );
    }

    #[tokio::test]
    async fn an_empty_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("b.zip");
        archive(
            &backup,
            &[
                ("hearth.db", &|w: &mut dyn Write| {
                    w.write_all(b"not checked before the keys")
                }),
                ("keys/token.key", &|_: &mut dyn Write| Ok(())),
                ("keys/jwt.key", &|w: &mut dyn Write| w.write_all(&[7u8; 32])),
            ],
        );
        let err = restore(&dir.path().join("data"), &backup, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("keys/token.key in the backup is damaged: 0 bytes"),
            "{err}"
        );
    }

    #[test]
    fn one_server_per_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let held = InstanceLock::acquire(dir.path()).unwrap();
        let err = InstanceLock::acquire(dir.path()).unwrap_err();
        assert!(err.to_string().contains("running"), "{err}");
        drop(held);
        InstanceLock::acquire(dir.path()).unwrap();
    }
}
