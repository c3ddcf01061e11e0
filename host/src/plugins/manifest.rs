//! `plugin.toml`: what a plugin package says about itself, checked field by field.

use crate::config::PluginLimits;
use serde::Deserialize;

/// The kinds of plugin the architecture defines.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    serde::Serialize,
    utoipa::ToSchema,
)]
#[schema(as = PluginKind)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Pulls records from a provider.
    Connector,
    /// Renders a condition dashboard.
    Dashboard,
    /// Evaluates recommendation rules.
    Rules,
    /// Adapts an LLM endpoint.
    Llm,
    /// Converts documents to FHIR.
    Importer,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Connector,
        Kind::Importer,
        Kind::Dashboard,
        Kind::Rules,
        Kind::Llm,
    ];
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Connector => "connector",
            Kind::Dashboard => "dashboard",
            Kind::Rules => "rules",
            Kind::Llm => "llm",
            Kind::Importer => "importer",
        })
    }
}

/// Where a plugin may send HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PluginOutbound)]
#[serde(rename_all = "lowercase")]
pub enum Outbound {
    /// Nowhere.
    None,
    /// Only the hosts of the source being synced (connectors).
    Source,
}

/// Whether a plugin may read the records of the profile a call is for.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[schema(as = PluginRecords)]
#[serde(rename_all = "lowercase")]
pub enum RecordsPermission {
    /// No.
    #[default]
    None,
    /// Read-only, through the `records` interface (dashboards, rules, llm).
    Read,
}

/// Declared permissions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PluginPermissions)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Outbound HTTP.
    pub outbound: Outbound,
    /// Reading the profile's records.
    #[serde(default)]
    pub records: RecordsPermission,
    /// Sending requests to the configured model endpoint (llm adapters).
    #[serde(default)]
    pub model: bool,
}

/// Limits a plugin asks for below the host's (never above).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestLimits {
    /// Largest memory, in MiB.
    #[serde(default)]
    pub memory_mb: Option<usize>,
    /// Longest call, in seconds.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

impl ManifestLimits {
    /// The host's `limits`, lowered where the manifest asks for less.
    pub fn apply(&self, limits: &PluginLimits) -> PluginLimits {
        let mut out = limits.clone();
        if let Some(mb) = self.memory_mb {
            out.memory_bytes = out.memory_bytes.min(mb << 20);
        }
        if let Some(secs) = self.timeout_secs {
            out.timeout = out.timeout.min(std::time::Duration::from_secs(secs));
        }
        out
    }
}

/// A validated `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Stable id: lower-case letters, digits and `-`, 1-64 long.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Semantic version `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// Plugin kind.
    pub kind: Kind,
    /// The WIT package it was built against (`hearth:connector@0.2.0`), if
    /// it says; checked against what the component itself targets.
    #[serde(default)]
    pub wit: Option<String>,
    /// One-paragraph description.
    #[serde(default)]
    pub description: String,
    /// Declared permissions.
    pub permissions: Permissions,
    /// Lower limits than the host's, if the plugin wants them.
    #[serde(default)]
    pub limits: ManifestLimits,
    /// For connectors written by `hearth catalog import`: the platform served and the component reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<ConnectorSection>,
}

/// The `[connector]` table: which catalog platform a connector package serves.
///
/// A platform package reuses a generic component (the R4 or DSTU3 connector)
/// with that platform's endpoints and quirks beside it, so behaviour is shared
/// through one component instead of copies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSection {
    /// The catalog platform type (`cerner`, `epic`, ...).
    pub platform: String,
    /// The id the component reports from `info()`, when it is not the package id.
    #[serde(default)]
    pub component: Option<String>,
}

/// A manifest that cannot be used, naming the field at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    /// Not TOML, a missing field, an unknown field or a wrong type.
    #[error("{0}")]
    Syntax(String),
    /// A field with a value outside its rules.
    #[error("field `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
}

impl Manifest {
    /// Parse and check a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|e| {
            // Point at the line when the error has a place (not for a missing field).
            let line = e
                .span()
                .filter(|s| s.start > 0)
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ManifestError::Syntax(match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_string(),
            })
        })?;
        let field = |field, reason: String| Err(ManifestError::Field { field, reason });
        if !is_plugin_id(&m.id) {
            return field(
                "id",
                format!(
                    "{:?} must be 1-64 of a-z, 0-9 and '-', starting with a letter",
                    m.id
                ),
            );
        }
        if m.name.trim().is_empty() || m.name.len() > 100 {
            return field("name", "must be 1-100 characters".into());
        }
        if !is_semver(&m.version) {
            return field(
                "version",
                format!("{:?} is not MAJOR.MINOR.PATCH", m.version),
            );
        }
        if let Some(wit) = &m.wit {
            let runs = crate::plugins::world::World::packages_of(m.kind);
            if !runs.contains(wit) {
                return field(
                    "wit",
                    format!(
                        "{wit:?} is not supported for {} plugins; this host runs {}",
                        m.kind,
                        runs.join(", ")
                    ),
                );
            }
        }
        let p = &m.permissions;
        if p.outbound == Outbound::Source && m.kind != Kind::Connector {
            return field(
                "permissions.outbound",
                format!(
                    "{} plugins cannot reach a source's hosts; only connectors",
                    m.kind
                ),
            );
        }
        if p.records == RecordsPermission::Read
            && !matches!(m.kind, Kind::Dashboard | Kind::Rules | Kind::Llm)
        {
            return field(
                "permissions.records",
                format!(
                    "{} plugins cannot read records; only dashboards, rules and llm adapters",
                    m.kind
                ),
            );
        }
        if p.model && m.kind != Kind::Llm {
            return field(
                "permissions.model",
                format!(
                    "{} plugins cannot use the model endpoint; only llm adapters",
                    m.kind
                ),
            );
        }
        if m.limits.memory_mb == Some(0) || m.limits.timeout_secs == Some(0) {
            return field("limits", "a limit of 0 leaves nothing to run in".into());
        }
        if m.connector.is_some() && m.kind != Kind::Connector {
            return field(
                "connector",
                format!("a {} plugin has no [connector] table", m.kind),
            );
        }
        if let Some(c) = &m.connector {
            if !is_plugin_id(&c.platform) {
                return field(
                    "connector.platform",
                    format!("{:?} must be 1-64 of a-z, 0-9 and '-'", c.platform),
                );
            }
            if let Some(component) = c.component.as_deref().filter(|c| !is_plugin_id(c)) {
                return field(
                    "connector.component",
                    format!("{component:?} must be a plugin id"),
                );
            }
        }
        if m.description.len() > 2000 {
            return field("description", "must be at most 2000 characters".into());
        }
        Ok(m)
    }

    /// The id the component itself reports: `connector.component`, or the package id.
    pub fn component_id(&self) -> &str {
        self.connector
            .as_ref()
            .and_then(|c| c.component.as_deref())
            .unwrap_or(&self.id)
    }

    /// The catalog platform this package serves, if it was generated from the catalog.
    pub fn platform(&self) -> Option<&str> {
        self.connector.as_ref().map(|c| c.platform.as_str())
    }

    /// `id@version`, the label used in logs and errors.
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

fn is_plugin_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each file in `tests/ui/manifests` is a manifest beside the exact error it must give.
    #[test]
    fn bad_manifests_give_their_expected_error() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/manifests");
        let mut checked = 0;
        let mut mismatches = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let expected_path = path.with_extension("err");
            let expected = std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|_| panic!("{} needs {}", path.display(), expected_path.display()));
            let got = match Manifest::parse(&text) {
                Ok(m) => format!("ok {}", m.label()),
                Err(e) => e.to_string(),
            };
            if got.trim() != expected.trim() {
                mismatches.push(format!(
                    "{}:\n  expected: {}\n  got:      {}",
                    path.display(),
                    expected.trim(),
                    got.trim()
                ));
            }
            checked += 1;
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        assert!(checked >= 8, "only {checked} manifest cases found");
    }

    #[test]
    fn built_in_manifests_are_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for rel in [
            "plugins/connectors/fhir-r4/plugin.toml",
            "plugins/connectors/fhir-dstu3/plugin.toml",
            "plugins/testing/misbehave/plugin.toml",
            "plugins/testing/legacy-r4/plugin.toml",
            "plugins/testing/importer/plugin.toml",
            "plugins/testing/dashboard/plugin.toml",
            "plugins/testing/rules/plugin.toml",
            "plugins/testing/llm/plugin.toml",
        ] {
            let text = std::fs::read_to_string(root.join(rel)).unwrap();
            Manifest::parse(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
    }

    #[test]
    fn versions_and_ids() {
        assert!(
            is_semver("1.2.3")
                && is_semver("0.1.0-beta.1")
                && !is_semver("1.2")
                && !is_semver("01.2.3")
        );
        assert!(
            is_plugin_id("fhir-r4")
                && !is_plugin_id("Fhir")
                && !is_plugin_id("4fhir")
                && !is_plugin_id("")
        );
    }
}
