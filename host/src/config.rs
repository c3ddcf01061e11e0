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
    /// The address people's browsers reach Hearth at (`public_url`; by default
    /// `http://` and the address the server is bound to); providers redirect
    /// back to `<public_url>/api/smart/callback`.
    pub public_url: Option<url::Url>,
    /// Serve the sandbox provider at `<public_url>/sandbox` (`sandbox`, default
    /// false: a made-up provider has no place in a family's instance unless
    /// asked for; `make run` turns it on).
    pub sandbox: bool,
    /// Where the catalog's "Hearth Sandbox" points instead (`sandbox_url`;
    /// default `<public_url>/sandbox` when `sandbox` is on, else nowhere).
    pub sandbox_url: Option<url::Url>,
    /// The wait before a failed sync's first retry; later ones double (`sync_retry_secs`, default 30).
    pub sync_retry: Duration,
    /// How often a connected source is synced again (`sync_interval_hours`, default 24).
    pub sync_interval: Duration,
    /// How long removed records, sources and people can be brought back before they are deleted for good (`keep_removed_days`, default 30).
    pub keep_removed: Duration,
    /// The built browser UI to serve at `/` (`web_dir`; `make run` uses `frontend/dist`).
    pub web_dir: Option<PathBuf>,
    /// OAuth client registrations per catalog platform (`[clients.<platform>]`);
    /// `[clients.custom]` is the client id for providers added by their URL,
    /// and `[clients."<FHIR base URL>"]` one for a single such provider.
    pub clients: BTreeMap<String, ClientConfig>,
    /// Let people add providers whose address is on this machine or a private
    /// network (`allow_private_provider_addresses`, default false: such URLs
    /// are refused, so nobody can point the host at its own services).
    pub allow_private_provider_addresses: bool,
    /// Let people add FHIR servers that need no sign-in at all, such as public
    /// test servers (`allow_open_servers`, default false).
    pub allow_open_servers: bool,
    /// How many connections the listener holds (`max_connections`, default
    /// 4096, lowered to fit the open-file limit) and how long it waits for a
    /// client's request headers or next body bytes (`request_timeout_secs`, default 30).
    pub connections: crate::listener::ConnectionLimits,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client (`trusted_proxies`: addresses or CIDR ranges, comma-separated or
    /// a TOML array; default none, so those headers are ignored and nobody can
    /// claim another address to dodge sign-in throttling).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A GGUF model file to serve on loopback for chat (`local_model`, default
    /// none), e.g. SmolLM2-135M-Instruct (`make local-model` fetches it).
    pub local_model: Option<PathBuf>,
    /// Where the local model listens (`local_model_listen`, default
    /// `127.0.0.1:8089`; a loopback address only: it has no sign-in).
    pub local_model_listen: SocketAddr,
}

/// Hearth's registration with one platform's authorization servers.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client id the vendor issued.
    pub client_id: String,
    /// The client secret, for confidential clients using a shared secret.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// A PEM private key file, for platforms that require `private_key_jwt`.
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// The key id (`kid`) registered with the vendor for that key.
    #[serde(default)]
    pub key_id: Option<String>,
}

impl std::fmt::Debug for ClientConfig {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "(set)"),
            )
            .field("private_key_file", &self.private_key_file)
            .field("key_id", &self.key_id)
            .finish()
    }
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
    "public_url",
    "sandbox",
    "sandbox_url",
    "sync_interval_hours",
    "keep_removed_days",
    "sync_retry_secs",
    "web_dir",
    "allow_private_provider_addresses",
    "allow_open_servers",
    "max_connections",
    "request_timeout_secs",
    "trusted_proxies",
    "local_model",
    "local_model_listen",
];

/// One raw value and where it came from.
struct Raw {
    value: String,
    origin: String,
}

impl Config {
    /// Every setting at its default.
    pub fn defaults() -> Config {
        // No file and no variables: every value is a built-in default, which the tests check.
        Config::load(None, std::iter::empty()).expect("the defaults are valid")
    }

    /// The public URL: the configured one, or `http://` and the bound address.
    pub fn public_url_for(&self, bound: SocketAddr) -> url::Url {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = if bound.ip().is_unspecified() {
            "localhost".to_string()
        } else if bound.is_ipv6() {
            format!("[{}]", bound.ip())
        } else {
            bound.ip().to_string()
        };
        url::Url::parse(&format!("http://{host}:{}", bound.port()))
            .expect("a socket address makes a valid URL")
    }

    /// Where the catalog's sandbox points, given the public URL.
    pub fn sandbox_root(&self, public_url: &url::Url) -> Option<url::Url> {
        match &self.sandbox_url {
            Some(url) => Some(url.clone()),
            None if self.sandbox => Some(join_url(public_url, "sandbox")),
            None => None,
        }
    }

    /// Load from `file` (if given) and then the `HEARTH_*` variables in `env`, which win.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        let mut clients = BTreeMap::new();
        let mut env_clients = Vec::new();
        if let Some(path) = file {
            read_file(path, &mut raw, &mut clients)?;
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
            // HEARTH_CLIENT_<PLATFORM>_ID / _SECRET: credentials without a file.
            if let Some(rest) = lower.strip_prefix("client_") {
                let (platform, field) = match rest.rsplit_once('_') {
                    Some((p, f @ ("id" | "secret"))) if !p.is_empty() => (p.replace('_', "-"), f),
                    _ => {
                        return Err(ConfigError::UnknownKey {
                            key: name,
                            origin:
                                "the environment (expected HEARTH_CLIENT_<PLATFORM>_ID or _SECRET)"
                                    .into(),
                        });
                    }
                };
                env_clients.push((platform, field.to_string(), value));
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
        for (platform, field, value) in env_clients {
            let entry = clients.entry(platform).or_insert_with(|| ClientConfig {
                client_id: String::new(),
                client_secret: None,
                private_key_file: None,
                key_id: None,
            });
            match field.as_str() {
                "id" => entry.client_id = value,
                _ => entry.client_secret = Some(value),
            }
        }
        for (platform, client) in &clients {
            if client.client_id.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    key: "clients",
                    origin: format!("[clients.{platform}]"),
                    reason: "client_id must not be empty".into(),
                });
            }
        }
        let mut config = Config::from_raw(raw)?;
        config.clients = clients;
        Ok(config)
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
        let allow_private_provider_addresses = match take("allow_private_provider_addresses") {
            Some(r) => parse_bool("allow_private_provider_addresses", r)?,
            None => false,
        };
        let allow_open_servers = match take("allow_open_servers") {
            Some(r) => parse_bool("allow_open_servers", r)?,
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
        let parse_url = |key: &'static str, r: Raw| -> Result<url::Url, ConfigError> {
            match url::Url::parse(r.value.trim()) {
                Ok(u)
                    if matches!(u.scheme(), "http" | "https")
                        && u.host_str().is_some()
                        && u.query().is_none() =>
                {
                    Ok(u)
                }
                _ => Err(ConfigError::Invalid {
                    key,
                    origin: r.origin,
                    reason: format!(
                        "{:?} is not an absolute http(s) URL without a query",
                        r.value
                    ),
                }),
            }
        };
        let public_url = match take("public_url") {
            Some(r) => Some(parse_url("public_url", r)?),
            None => None,
        };
        let sandbox = match take("sandbox") {
            Some(r) => parse_bool("sandbox", r)?,
            None => false,
        };
        let sandbox_url = match take("sandbox_url") {
            Some(r) => Some(parse_url("sandbox_url", r)?),
            None => None,
        };
        let web_dir = match take("web_dir") {
            Some(r) => Some(parse_path("web_dir", r)?),
            None => None,
        };
        let sync_retry = match take("sync_retry_secs") {
            Some(r) => Duration::from_secs(parse_number("sync_retry_secs", r, 1, 86_400)?),
            None => Duration::from_secs(30),
        };
        let sync_interval = match take("sync_interval_hours") {
            Some(r) => {
                Duration::from_secs(parse_number("sync_interval_hours", r, 1, 24 * 365)? * 3600)
            }
            None => Duration::from_secs(24 * 3600),
        };
        let keep_removed = match take("keep_removed_days") {
            Some(r) => Duration::from_secs(parse_number("keep_removed_days", r, 1, 3650)? * 86_400),
            None => Duration::from_secs(30 * 86_400),
        };
        let defaults = crate::listener::ConnectionLimits::default();
        let connections = crate::listener::ConnectionLimits {
            max_connections: match take("max_connections") {
                Some(r) => parse_number("max_connections", r, 16, 1_000_000)? as usize,
                None => defaults.max_connections,
            },
            request_timeout: match take("request_timeout_secs") {
                Some(r) => Duration::from_secs(parse_number("request_timeout_secs", r, 1, 3600)?),
                None => defaults.request_timeout,
            },
        };
        let trusted_proxies = match take("trusted_proxies") {
            Some(r) => parse_networks("trusted_proxies", r)?,
            None => Vec::new(),
        };
        let local_model = match take("local_model") {
            Some(r) => Some(parse_path("local_model", r)?),
            None => None,
        };
        let local_model_listen = match take("local_model_listen") {
            Some(r) => match r.value.trim().parse::<SocketAddr>() {
                Ok(a) if a.ip().is_loopback() => a,
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "local_model_listen",
                        origin: r.origin,
                        reason: format!(
                            "{:?} is not a loopback address and port (the model answers anyone who reaches it)",
                            r.value
                        ),
                    });
                }
            },
            None => SocketAddr::from(([127, 0, 0, 1], 8089)),
        };
        Ok(Config {
            local_model,
            local_model_listen,
            connections,
            trusted_proxies,
            public_url,
            sandbox,
            sandbox_url,
            sync_interval,
            keep_removed,
            sync_retry,
            web_dir,
            clients: BTreeMap::new(),
            max_upload_bytes,
            max_attachment_bytes,
            allow_signup,
            allow_private_provider_addresses,
            allow_open_servers,
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

/// `base` with `segment` appended to its path (keeping any path prefix, such as behind a proxy).
pub fn join_url(base: &url::Url, segment: &str) -> url::Url {
    let mut url = base.clone();
    let path = format!("{}/{segment}", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

fn read_file(
    path: &Path,
    raw: &mut BTreeMap<&'static str, Raw>,
    clients: &mut BTreeMap<String, ClientConfig>,
) -> Result<(), ConfigError> {
    let file_err = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(e.to_string()))?;
    for (name, value) in table {
        if name == "clients" {
            let toml::Value::Table(platforms) = value else {
                return Err(file_err(
                    "`clients` must be a table of [clients.<platform>]".into(),
                ));
            };
            for (platform, entry) in platforms {
                let client: ClientConfig = entry.try_into().map_err(|e: toml::de::Error| {
                    file_err(format!("[clients.{platform}]: {}", e.message()))
                })?;
                clients.insert(platform, client);
            }
            continue;
        }
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
            // Lists (trusted_proxies) read like their comma-separated form in a variable.
            toml::Value::Array(items) if items.iter().all(|i| i.is_str()) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(","),
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

/// Addresses or CIDR ranges, comma-separated; a bare address is a range of one.
fn parse_networks(key: &'static str, r: Raw) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    r.value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| ConfigError::Invalid {
                    key,
                    origin: r.origin.clone(),
                    reason: format!("{item:?} is not an IP address or CIDR range"),
                })
        })
        .collect()
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
        assert!(
            !c.allow_private_provider_addresses && !c.allow_open_servers,
            "providers added by URL are public and need a sign-in by default"
        );
    }

    #[test]
    fn provider_switches_read_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "allow_open_servers = true\n").unwrap();
        let c = Config::load(
            Some(&file),
            env(&[("HEARTH_ALLOW_PRIVATE_PROVIDER_ADDRESSES", "true")]),
        )
        .unwrap();
        assert!(c.allow_open_servers && c.allow_private_provider_addresses);
        let err = Config::load(None, env(&[("HEARTH_ALLOW_OPEN_SERVERS", "perhaps")])).unwrap_err();
        assert!(err.to_string().contains("allow_open_servers"), "{err}");
    }

    #[test]
    fn connection_limits_and_trusted_proxies_read_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(
            &file,
            "trusted_proxies = [\"10.0.0.7\", \"fd00::/8\"]\nmax_connections = 500\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[("HEARTH_REQUEST_TIMEOUT_SECS", "5")])).unwrap();
        assert_eq!(c.connections.max_connections, 500);
        assert_eq!(c.connections.request_timeout, Duration::from_secs(5));
        let proxies: Vec<String> = c.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(proxies, ["10.0.0.7/32", "fd00::/8"]);
        let c = Config::load(
            None,
            env(&[("HEARTH_TRUSTED_PROXIES", "192.168.1.0/24 , ::1")]),
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(Config::defaults().trusted_proxies.is_empty());
        assert_eq!(Config::defaults().local_model, None);
        assert_eq!(
            Config::defaults().local_model_listen.to_string(),
            "127.0.0.1:8089"
        );
        let open = Config::load(None, env(&[("HEARTH_LOCAL_MODEL_LISTEN", "0.0.0.0:8089")]))
            .expect_err("not loopback");
        assert!(open.to_string().contains("local_model_listen"), "{open}");
        let err = Config::load(
            None,
            env(&[("HEARTH_TRUSTED_PROXIES", "10.0.0.1,proxy.lan")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"proxy.lan\""), "{err}");
        let err = Config::load(None, env(&[("HEARTH_MAX_CONNECTIONS", "3")])).unwrap_err();
        assert!(err.to_string().contains("max_connections"), "{err}");
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

    #[test]
    fn public_and_sandbox_urls() {
        let c = Config::load(None, env(&[("HEARTH_LISTEN", "0.0.0.0:8080")])).unwrap();
        let public = c.public_url_for(c.listen);
        assert_eq!(public.as_str(), "http://localhost:8080/");
        assert_eq!(c.sandbox_root(&public), None, "no sandbox unless asked for");
        let c = Config::load(
            None,
            env(&[("HEARTH_LISTEN", "0.0.0.0:8080"), ("HEARTH_SANDBOX", "on")]),
        )
        .unwrap();
        assert_eq!(
            c.sandbox_root(&public).as_ref().map(|u| u.as_str()),
            Some("http://localhost:8080/sandbox")
        );
        assert_eq!(
            c.public_url_for("127.0.0.1:4321".parse().unwrap()).as_str(),
            "http://127.0.0.1:4321/"
        );
        let c = Config::load(
            None,
            env(&[
                ("HEARTH_PUBLIC_URL", "https://hearth.example/family/"),
                ("HEARTH_SANDBOX", "off"),
            ]),
        )
        .unwrap();
        let public = c.public_url_for(c.listen);
        assert_eq!(c.sandbox_root(&public), None);
        assert_eq!(
            join_url(&public, "api/smart/callback").as_str(),
            "https://hearth.example/family/api/smart/callback"
        );
        let err = Config::load(None, env(&[("HEARTH_PUBLIC_URL", "hearth.local")])).unwrap_err();
        assert!(err.to_string().contains("public_url"), "{err}");
        assert_eq!(c.sync_interval, Duration::from_secs(86_400));
        assert_eq!(c.keep_removed, Duration::from_secs(30 * 86_400));
        assert_eq!(Config::defaults().sync_retry, Duration::from_secs(30));
    }

    #[test]
    fn client_registrations_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(
            &file,
            "[clients.cerner]\nclient_id = \"abc\"\n[clients.epic]\nclient_id = \"e\"\nprivate_key_file = \"/k.pem\"\nkey_id = \"k1\"\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("HEARTH_CLIENT_CERNER_SECRET", "s3cret"),
                ("HEARTH_CLIENT_QUALIFACTS_CARELOGIC_ID", "q"),
            ]),
        )
        .unwrap();
        assert_eq!(c.clients["cerner"].client_id, "abc");
        assert_eq!(c.clients["cerner"].client_secret.as_deref(), Some("s3cret"));
        assert_eq!(c.clients["qualifacts-carelogic"].client_id, "q");
        assert_eq!(c.clients["epic"].key_id.as_deref(), Some("k1"));
        assert!(
            !format!("{:?}", c.clients["cerner"]).contains("s3cret"),
            "secrets are never printed"
        );
        // A secret without an id, and an unknown field, are refused.
        let err = Config::load(None, env(&[("HEARTH_CLIENT_ACME_SECRET", "x")])).unwrap_err();
        assert!(err.to_string().contains("clients.acme"), "{err}");
        std::fs::write(
            &file,
            "[clients.cerner]\nclient_id = \"a\"\nscope = \"x\"\n",
        )
        .unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(err.to_string().contains("[clients.cerner]"), "{err}");
    }
}
