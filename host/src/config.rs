//! Settings from an optional TOML file overlaid with `HEARTH_*` environment variables.
//!
//! Every value is checked when the host starts; a bad one stops it with an
//! error that names the key and where the value came from.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The host's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder for the database, keys, plugin cache (`data_dir`, default `./data`).
    pub data_dir: PathBuf,
    /// Address the API listens on (`listen`, default `127.0.0.1:9090`).
    pub listen: SocketAddr,
    /// Folder of installed plugin packages (`plugins_dir`, default `<data_dir>/plugins`).
    pub plugins_dir: PathBuf,
    /// Folder for caches, such as precompiled plugins (`cache_dir`, default `<data_dir>/cache`).
    pub cache_dir: PathBuf,
    /// Log filter in `tracing` env-filter syntax (`log`, default `info`).
    pub log: String,
    /// Limits applied to each plugin call.
    pub limits: PluginLimits,
    /// Whether anyone may create an account at `POST /api/auth/sign-up` (`allow_signup`, default false).
    pub allow_signup: bool,
    /// Mark session cookies `Secure` (`secure_cookies`, default false). Turn
    /// on when Hearth is reached over HTTPS, e.g. behind a reverse proxy.
    pub secure_cookies: bool,
    /// Largest bundle or NDJSON upload (`max_upload_mb`, default 1024).
    pub max_upload_bytes: u64,
    /// Largest attachment (`max_attachment_mb`, default 25).
    pub max_attachment_bytes: u64,
}

/// Per-call limits for plugins.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginLimits {
    /// Largest linear memory a plugin may grow to (`plugin_memory_mb`, default 512).
    pub memory_bytes: usize,
    /// Wall-clock time one call may take (`plugin_timeout_secs`, default 1800).
    pub timeout: Duration,
    /// Total bytes of resources one call may emit (`plugin_max_output_mb`, default 1024).
    pub max_output_bytes: usize,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_bytes: 512 << 20,
            timeout: Duration::from_secs(1800),
            max_output_bytes: 1024 << 20,
        }
    }
}

/// A setting that could not be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The config file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// A key that Hearth does not know.
    #[error("unknown setting `{key}` in {origin}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was found.
        origin: String,
    },
    /// A known key with a value of the wrong shape.
    #[error("invalid value for `{key}` (from {origin}): {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// Where the value came from (file or environment variable).
        origin: String,
        /// What was wrong.
        reason: String,
    },
}

const KEYS: &[&str] = &[
    "data_dir",
    "listen",
    "plugins_dir",
    "cache_dir",
    "log",
    "plugin_memory_mb",
    "plugin_timeout_secs",
    "plugin_max_output_mb",
    "allow_signup",
    "secure_cookies",
    "max_upload_mb",
    "max_attachment_mb",
];

/// One raw value and where it came from.
struct Raw {
    value: String,
    origin: String,
}

impl Config {
    /// Load from `file` (if given) and then the `HEARTH_*` variables in `env`, which win.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        if let Some(path) = file {
            read_file(path, &mut raw)?;
        }
        for (name, value) in env {
            let Some(suffix) = name.strip_prefix("HEARTH_") else {
                continue;
            };
            let lower = suffix.to_ascii_lowercase();
            // HEARTH_CONFIG names the file itself and is not a setting.
            if lower == "config" {
                continue;
            }
            let Some(key) = KEYS.iter().find(|k| **k == lower) else {
                return Err(ConfigError::UnknownKey {
                    key: name,
                    origin: "the environment".into(),
                });
            };
            raw.insert(
                key,
                Raw {
                    value,
                    origin: format!("environment variable {name}"),
                },
            );
        }
        Config::from_raw(raw)
    }

    fn from_raw(mut raw: BTreeMap<&'static str, Raw>) -> Result<Config, ConfigError> {
        let mut take = |key: &'static str| raw.remove(key);
        let data_dir = match take("data_dir") {
            Some(r) => parse_path("data_dir", r)?,
            None => PathBuf::from("./data"),
        };
        let listen = match take("listen") {
            Some(r) => r
                .value
                .parse::<SocketAddr>()
                .map_err(|_| ConfigError::Invalid {
                    key: "listen",
                    origin: r.origin,
                    reason: format!("{:?} is not an address like 127.0.0.1:9090", r.value),
                })?,
            None => SocketAddr::from(([127, 0, 0, 1], 9090)),
        };
        let plugins_dir = match take("plugins_dir") {
            Some(r) => parse_path("plugins_dir", r)?,
            None => data_dir.join("plugins"),
        };
        let cache_dir = match take("cache_dir") {
            Some(r) => parse_path("cache_dir", r)?,
            None => data_dir.join("cache"),
        };
        let log = match take("log") {
            Some(r) => {
                tracing_subscriber::EnvFilter::try_new(&r.value).map_err(|e| {
                    ConfigError::Invalid {
                        key: "log",
                        origin: r.origin,
                        reason: e.to_string(),
                    }
                })?;
                r.value
            }
            None => "info".into(),
        };
        let defaults = PluginLimits::default();
        let memory_bytes = match take("plugin_memory_mb") {
            Some(r) => parse_number("plugin_memory_mb", r, 16, 16 * 1024)? as usize * (1 << 20),
            None => defaults.memory_bytes,
        };
        let timeout = match take("plugin_timeout_secs") {
            Some(r) => Duration::from_secs(parse_number("plugin_timeout_secs", r, 1, 86_400)?),
            None => defaults.timeout,
        };
        let max_output_bytes = match take("plugin_max_output_mb") {
            Some(r) => parse_number("plugin_max_output_mb", r, 1, 64 * 1024)? as usize * (1 << 20),
            None => defaults.max_output_bytes,
        };
        let allow_signup = match take("allow_signup") {
            Some(r) => parse_bool("allow_signup", r)?,
            None => false,
        };
        let secure_cookies = match take("secure_cookies") {
            Some(r) => parse_bool("secure_cookies", r)?,
            None => false,
        };
        let max_upload_bytes = match take("max_upload_mb") {
            Some(r) => parse_number("max_upload_mb", r, 1, 64 * 1024)? << 20,
            None => 1024 << 20,
        };
        let max_attachment_bytes = match take("max_attachment_mb") {
            Some(r) => parse_number("max_attachment_mb", r, 1, 1024)? << 20,
            None => 25 << 20,
        };
        Ok(Config {
            max_upload_bytes,
            max_attachment_bytes,
            allow_signup,
            secure_cookies,
            data_dir,
            listen,
            plugins_dir,
            cache_dir,
            log,
            limits: PluginLimits {
                memory_bytes,
                timeout,
                max_output_bytes,
            },
        })
    }
}

fn read_file(path: &Path, raw: &mut BTreeMap<&'static str, Raw>) -> Result<(), ConfigError> {
    let file_err = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(e.to_string()))?;
    for (name, value) in table {
        let Some(key) = KEYS.iter().find(|k| **k == name) else {
            return Err(ConfigError::UnknownKey {
                key: name,
                origin: path.display().to_string(),
            });
        };
        let origin = format!("{}", path.display());
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::Invalid {
                    key,
                    origin,
                    reason: format!(
                        "expected a string, number or boolean, found {}",
                        other.type_str()
                    ),
                });
            }
        };
        raw.insert(key, Raw { value, origin });
    }
    Ok(())
}

fn parse_path(key: &'static str, r: Raw) -> Result<PathBuf, ConfigError> {
    if r.value.trim().is_empty() {
        return Err(ConfigError::Invalid {
            key,
            origin: r.origin,
            reason: "must not be empty".into(),
        });
    }
    Ok(PathBuf::from(r.value))
}

fn parse_bool(key: &'static str, r: Raw) -> Result<bool, ConfigError> {
    match r.value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key,
            origin: r.origin,
            reason: format!("{:?} is not true or false", r.value),
        }),
    }
}

fn parse_number(key: &'static str, r: Raw, min: u64, max: u64) -> Result<u64, ConfigError> {
    match r.value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid {
            key,
            origin: r.origin,
            reason: format!("{:?} is not a whole number from {min} to {max}", r.value),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_file_or_env() {
        let c = Config::load(None, env(&[("PATH", "/bin")])).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:9090");
        assert_eq!(c.plugins_dir, PathBuf::from("./data/plugins"));
        assert_eq!(c.limits, PluginLimits::default());
        assert!(!c.allow_signup, "self sign-up is off by default");
    }

    #[test]
    fn signup_switch_reads_booleans_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "allow_signup = true\n").unwrap();
        assert!(Config::load(Some(&file), env(&[])).unwrap().allow_signup);
        let c = Config::load(Some(&file), env(&[("HEARTH_ALLOW_SIGNUP", "off")])).unwrap();
        assert!(!c.allow_signup);
        let err = Config::load(None, env(&[("HEARTH_ALLOW_SIGNUP", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("allow_signup"), "{err}");
    }

    #[test]
    fn env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:1234\"\ndata_dir = \"/srv/h\"\nplugin_memory_mb = 64\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[("HEARTH_LISTEN", "127.0.0.1:5555")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:5555");
        assert_eq!(c.data_dir, PathBuf::from("/srv/h"));
        assert_eq!(c.plugins_dir, PathBuf::from("/srv/h/plugins"));
        assert_eq!(c.limits.memory_bytes, 64 << 20);
    }

    #[test]
    fn bad_values_name_the_key_and_origin() {
        let err = Config::load(None, env(&[("HEARTH_LISTEN", "localhost")])).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { key: "listen", origin, .. } if origin.contains("HEARTH_LISTEN")),
            "{err}"
        );
        let err = Config::load(None, env(&[("HEARTH_PLUGIN_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(err.to_string().contains("plugin_timeout_secs"), "{err}");
        let err = Config::load(None, env(&[("HEARTH_LOG", "[[[")])).unwrap_err();
        assert!(err.to_string().contains("`log`"), "{err}");
        let err = Config::load(None, env(&[("HEARTH_DATA_DIR", " ")])).unwrap_err();
        assert!(err.to_string().contains("data_dir"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Config::load(None, env(&[("HEARTH_LISTN", "x")])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownKey {
                key: "HEARTH_LISTN".into(),
                origin: "the environment".into()
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "colour = \"blue\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(
            err.to_string().contains("unknown setting `colour`"),
            "{err}"
        );
        std::fs::write(&file, "listen = [1]\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(err.to_string().contains("`listen`"), "{err}");
        std::fs::write(&file, "listen = \n").unwrap();
        assert!(matches!(
            Config::load(Some(&file), env(&[])),
            Err(ConfigError::File { .. })
        ));
    }
}
