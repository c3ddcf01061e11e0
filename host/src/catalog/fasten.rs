//! The fasten-sources catalog format, read strictly.
//!
//! fasten-sources treats an unknown field as an error, and so do we: a field
//! we silently ignored could be a quirk a connector needed. Every record is
//! checked on its own, so an error names the file and the record's id, and
//! every reference (brand → portal → endpoint → platform definition) must
//! resolve.

use super::CatalogError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Errors beyond this many are counted, not listed: one broken export can break thousands of records.
const MAX_LISTED: usize = 20;

/// An identifier on a catalog record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// What the identifier is for (`fasten-sandbox-mode`, `ext-platform-id`, ...).
    #[serde(default)]
    pub r#use: String,
    /// Its namespace.
    #[serde(default)]
    pub system: String,
    /// Its value.
    #[serde(default)]
    pub value: String,
}

/// A postal location of a brand.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Street lines.
    #[serde(default)]
    pub line: Vec<String>,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State or region code.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// ISO 3166 alpha-2 country.
    #[serde(default)]
    pub country: String,
}

/// A phone number, e-mail or similar of a brand.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Telecom {
    /// `phone`, `email`, `url`, ...
    #[serde(default)]
    pub system: String,
    /// The number or address.
    #[serde(default)]
    pub value: String,
    /// `work`, `home`, ...
    #[serde(default)]
    pub r#use: String,
}

/// A healthcare organization people recognize by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    /// UUID.
    pub id: String,
    /// External identifiers.
    pub identifiers: Vec<Identifier>,
    /// When the record last changed.
    pub last_updated: String,
    /// Display name.
    pub name: String,
    /// Web site.
    pub brand_website: String,
    /// Hidden brands are kept but not offered in search.
    pub hidden: bool,
    /// Logo URL.
    pub logo: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Where it is.
    pub locations: Vec<Location>,
    /// How to reach it.
    pub telecom: Vec<Telecom>,
    /// Its patient portals.
    pub portal_ids: Vec<String>,
    /// Brands this one stands for (itself, and merged brands).
    pub brand_ids: Vec<String>,
}

/// A patient portal: where a person signs in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    /// UUID.
    pub id: String,
    /// External identifiers.
    pub identifiers: Vec<Identifier>,
    /// When the record last changed.
    pub last_updated: String,
    /// Display name.
    pub name: String,
    /// Logo URL.
    pub logo: String,
    /// Web site.
    pub portal_website: String,
    /// Description.
    pub description: String,
    /// The FHIR endpoints behind it.
    pub endpoint_ids: Vec<String>,
}

/// A FHIR server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// UUID.
    pub id: String,
    /// External identifiers.
    pub identifiers: Vec<Identifier>,
    /// When the record last changed.
    pub last_updated: String,
    /// `active` or not.
    pub status: String,
    /// Always `hl7-fhir-rest` for now.
    pub connection_type: String,
    /// The platform (EHR vendor) type: names a definition file.
    pub platform_type: String,
    /// FHIR base URL.
    pub url: String,
    /// OAuth authorize URL, when known up front (usually discovered instead).
    pub authorization_endpoint: String,
    /// OAuth token URL, when known up front.
    pub token_endpoint: String,
    /// Token introspection URL.
    pub introspection_endpoint: String,
    /// OpenID userinfo URL.
    pub userinfo_endpoint: String,
    /// Token revocation URL.
    pub revoke_endpoint: String,
    /// Dynamic registration URL.
    pub registration_endpoint: String,
    /// FHIR version, e.g. `4.0.1`, or empty when unknown.
    pub fhir_version: String,
    /// Where the SMART configuration is published.
    pub smart_configuration_url: String,
    /// Where the CapabilityStatement is published.
    pub fhir_capabilities_url: String,
    /// Server software name.
    pub software_name: String,
    /// Server software version.
    pub software_version: String,
    /// Server software release date.
    pub software_release_date: String,
    /// Related endpoints.
    pub endpoint_ids: Vec<String>,
}

/// A platform definition (`definitions/platform/<type>.yaml`): how to talk to one EHR vendor.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The type as the file spells it (the file name is what endpoints refer to).
    pub platform_type: String,
    /// Scopes to request.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// OAuth grant types.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// OAuth response types.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// OAuth response modes.
    #[serde(default)]
    pub response_modes_supported: Vec<String>,
    /// PKCE methods.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// How the client authenticates at the token endpoint (`private_key_jwt`, ...); empty means by client id alone or a secret.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Whether the platform requires a confidential client (with a secret).
    #[serde(default)]
    pub confidential: bool,
    /// Whether a browser app needs a relay for the token call (not relevant to a server, kept for completeness).
    #[serde(default)]
    pub cors_relay_required: bool,
    /// Notes for people.
    #[serde(default)]
    pub documentation: String,
    /// Headers every FHIR request must carry.
    #[serde(default)]
    pub client_headers: BTreeMap<String, String>,
    /// The server lacks `Patient/$everything`.
    #[serde(default)]
    pub missing_op_patient_everything: bool,
    /// A query to use instead of `Patient/$everything`.
    #[serde(default)]
    pub custom_op_patient_everything: Option<String>,
    /// Resource types to search beyond the US Core set.
    #[serde(default)]
    pub client_supported_resources: Vec<String>,
    /// The platform throttles clients; sync it one request stream at a time.
    #[serde(default)]
    pub client_rate_limited: bool,
}

/// A whole fasten-sources folder, checked.
#[derive(Debug)]
pub struct FastenCatalog {
    /// Brands by id.
    pub brands: BTreeMap<String, Brand>,
    /// Portals by id.
    pub portals: BTreeMap<String, Portal>,
    /// Endpoints by id.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Platform definitions by file name (without `.yaml`).
    pub platforms: BTreeMap<String, Platform>,
}

/// Collects problems so one run reports many, not just the first.
#[derive(Default)]
struct Problems {
    listed: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, problem: String) {
        if self.listed.len() < MAX_LISTED {
            self.listed.push(problem);
        } else {
            self.more += 1;
        }
    }

    fn finish(self) -> Result<(), CatalogError> {
        if self.listed.is_empty() {
            return Ok(());
        }
        Err(CatalogError::Invalid {
            problems: self.listed,
            more: self.more,
        })
    }
}

impl FastenCatalog {
    /// Read and check `dir` (holding `catalog/` and `definitions/platform/`).
    pub fn read(dir: &Path) -> Result<FastenCatalog, CatalogError> {
        let mut problems = Problems::default();
        let platforms = read_platforms(&dir.join("definitions").join("platform"), &mut problems)?;
        let brands: BTreeMap<String, Brand> = read_records(
            &dir.join("catalog").join("brands.json"),
            &mut problems,
            |b: &Brand| &b.id,
        )?;
        let portals: BTreeMap<String, Portal> = read_records(
            &dir.join("catalog").join("portals.json"),
            &mut problems,
            |p: &Portal| &p.id,
        )?;
        let endpoints: BTreeMap<String, Endpoint> = read_records(
            &dir.join("catalog").join("endpoints.json"),
            &mut problems,
            |e: &Endpoint| &e.id,
        )?;
        for brand in brands.values() {
            for portal in &brand.portal_ids {
                if !portals.contains_key(portal) {
                    problems.push(format!(
                        "brands.json: brand {} names portal {portal}, which portals.json does not have",
                        brand.id
                    ));
                }
            }
            for other in &brand.brand_ids {
                if !brands.contains_key(other) {
                    problems.push(format!(
                        "brands.json: brand {} names brand {other}, which brands.json does not have",
                        brand.id
                    ));
                }
            }
        }
        for portal in portals.values() {
            for endpoint in &portal.endpoint_ids {
                if !endpoints.contains_key(endpoint) {
                    problems.push(format!(
                        "portals.json: portal {} names endpoint {endpoint}, which endpoints.json does not have",
                        portal.id
                    ));
                }
            }
        }
        for endpoint in endpoints.values() {
            if !platforms.contains_key(&endpoint.platform_type) {
                problems.push(format!(
                    "endpoints.json: endpoint {} has platform_type {:?}, which has no definitions/platform/{}.yaml",
                    endpoint.id, endpoint.platform_type, endpoint.platform_type
                ));
            }
            match url::Url::parse(&endpoint.url) {
                Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => {}
                _ => problems.push(format!(
                    "endpoints.json: endpoint {} has url {:?}, which is not an absolute http(s) URL",
                    endpoint.id, endpoint.url
                )),
            }
            for other in &endpoint.endpoint_ids {
                if !endpoints.contains_key(other) {
                    problems.push(format!(
                        "endpoints.json: endpoint {} names endpoint {other}, which endpoints.json does not have",
                        endpoint.id
                    ));
                }
            }
        }
        problems.finish()?;
        Ok(FastenCatalog {
            brands,
            portals,
            endpoints,
            platforms,
        })
    }
}

/// Read one `{id: record}` JSON file, checking each record alone so errors name it.
fn read_records<T: serde::de::DeserializeOwned>(
    path: &Path,
    problems: &mut Problems,
    id_of: impl Fn(&T) -> &String,
) -> Result<BTreeMap<String, T>, CatalogError> {
    let file = file_name(path);
    let text = std::fs::read_to_string(path).map_err(|e| CatalogError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let raw: HashMap<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| CatalogError::Syntax {
            file: file.clone(),
            reason: e.to_string(),
        })?;
    let mut out = BTreeMap::new();
    for (key, value) in raw {
        match serde_json::from_value::<T>(value) {
            Ok(record) if *id_of(&record) == key => {
                out.insert(key, record);
            }
            Ok(record) => problems.push(format!(
                "{file}: record {key} says its id is {}",
                id_of(&record)
            )),
            Err(e) => problems.push(format!("{file}: record {key}: {e}")),
        }
    }
    Ok(out)
}

/// Read every `*.yaml` definition, keyed by file name as fasten-sources looks them up.
fn read_platforms(
    dir: &Path,
    problems: &mut Problems,
) -> Result<BTreeMap<String, Platform>, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CatalogError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut out = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| CatalogError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let path = entry.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".yaml"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::Io {
            path: path.clone(),
            source: e,
        })?;
        match serde_saphyr::from_str::<Platform>(&text) {
            Ok(platform) => {
                if platform.platform_type != stem {
                    // fasten-sources finds a definition by its file name; the
                    // field inside is informational (and differs in a few files).
                    tracing::debug!(file = %file_name(&path), field = %platform.platform_type, "platform_type differs from the file name; the file name wins");
                }
                out.insert(stem.to_string(), platform);
            }
            Err(e) => problems.push(format!("definitions/platform/{stem}.yaml: {e}")),
        }
    }
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A minimal valid catalog: one brand, portal, endpoint and platform.
    pub(crate) fn tiny(dir: &Path) {
        write(
            dir,
            "definitions/platform/acme.yaml",
            "platform_type: acme\nscopes_supported: [openid, launch/patient, offline_access, patient/*.read]\nconfidential: false\nmissing_op_patient_everything: true\nclient_headers:\n  Accept: application/fhir+json\nclient_supported_resources: [Coverage]\n",
        );
        write(
            dir,
            "catalog/endpoints.json",
            r#"{"e1": {"id": "e1", "identifiers": [], "last_updated": "2024-01-01T00:00:00Z", "status": "active",
              "connection_type": "hl7-fhir-rest", "platform_type": "acme", "url": "https://fhir.acme.test/r4/",
              "authorization_endpoint": "", "token_endpoint": "", "introspection_endpoint": "", "userinfo_endpoint": "",
              "revoke_endpoint": "", "registration_endpoint": "", "fhir_version": "4.0.1",
              "smart_configuration_url": "https://fhir.acme.test/r4/.well-known/smart-configuration",
              "fhir_capabilities_url": "https://fhir.acme.test/r4/metadata", "software_name": "", "software_version": "",
              "software_release_date": "", "endpoint_ids": []}}"#,
        );
        write(
            dir,
            "catalog/portals.json",
            r#"{"p1": {"id": "p1", "identifiers": [], "last_updated": "2024-01-01T00:00:00Z", "name": "Acme MyChart",
              "logo": "", "portal_website": "", "description": "", "endpoint_ids": ["e1"]}}"#,
        );
        write(
            dir,
            "catalog/brands.json",
            r#"{"b1": {"id": "b1", "identifiers": [], "last_updated": "2024-01-01T00:00:00Z", "name": "Acme General Hospital",
              "brand_website": "", "hidden": false, "logo": "", "aliases": ["AGH"],
              "locations": [{"line": [], "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}],
              "telecom": [], "portal_ids": ["p1"], "brand_ids": ["b1"]}}"#,
        );
    }

    #[test]
    fn reads_a_valid_catalog() {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let catalog = FastenCatalog::read(dir.path()).unwrap();
        assert_eq!(catalog.brands["b1"].aliases, vec!["AGH"]);
        let acme = &catalog.platforms["acme"];
        assert!(acme.missing_op_patient_everything);
        assert_eq!(acme.client_headers["Accept"], "application/fhir+json");
        assert_eq!(acme.scopes_supported.len(), 4);
    }

    #[test]
    fn an_unknown_field_names_the_file_and_the_id() {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let path = dir.path().join("catalog/portals.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"logo\": \"\"", "\"logo\": \"\", \"colour\": \"red\"");
        std::fs::write(&path, text).unwrap();
        let err = FastenCatalog::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("portals.json: record p1"), "{err}");
        assert!(err.contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn an_unknown_yaml_field_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        write(
            dir.path(),
            "definitions/platform/acme.yaml",
            "platform_type: acme\nscopes_supported: []\nwarp_speed: true\n",
        );
        let err = FastenCatalog::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("definitions/platform/acme.yaml"), "{err}");
        assert!(err.contains("warp_speed"), "{err}");
    }

    #[test]
    fn broken_references_name_the_file_and_the_id() {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let brands = dir.path().join("catalog/brands.json");
        let text = std::fs::read_to_string(&brands)
            .unwrap()
            .replace("[\"p1\"]", "[\"p1\", \"p9\"]");
        std::fs::write(&brands, text).unwrap();
        let endpoints = dir.path().join("catalog/endpoints.json");
        let text = std::fs::read_to_string(&endpoints)
            .unwrap()
            .replace("\"platform_type\": \"acme\"", "\"platform_type\": \"zeta\"");
        std::fs::write(&endpoints, text).unwrap();
        let err = FastenCatalog::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("brands.json: brand b1 names portal p9, which portals.json does not have"),
            "{err}"
        );
        assert!(
            err.contains("endpoint e1 has platform_type \"zeta\", which has no definitions/platform/zeta.yaml"),
            "{err}"
        );
    }

    #[test]
    fn a_record_filed_under_another_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let portals = dir.path().join("catalog/portals.json");
        let text = std::fs::read_to_string(&portals)
            .unwrap()
            .replace("{\"p1\": {\"id\": \"p1\"", "{\"p1\": {\"id\": \"p2\"");
        std::fs::write(&portals, text).unwrap();
        let err = FastenCatalog::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("portals.json: record p1 says its id is p2"),
            "{err}"
        );
    }
}
