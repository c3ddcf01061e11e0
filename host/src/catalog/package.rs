//! `hearth catalog import`: one connector package per platform type that has endpoints.
//!
//! Each package holds `plugin.toml`, the generic component it reuses
//! (`plugin.wasm`, copied from the R4 connector) and `catalog.json`: the
//! platform's quirks with the brands, portals and endpoints it serves. A
//! package is written beside its old version and swapped in by rename, so a
//! failed import leaves the previous catalog in place.

use super::CatalogError;
use super::fasten::{FastenCatalog, Platform};
use crate::plugins::manifest::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `catalog.json` format version this host writes and reads.
pub const FORMAT: u32 = 1;

/// The component platform packages reuse.
pub const R4_COMPONENT: &str = "fhir-r4";

/// The catalog part of a connector package (`catalog.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageCatalog {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// The platform type.
    pub platform: String,
    /// The platform's quirks, as the definition file gives them.
    pub quirks: Platform,
    /// Brands with at least one portal on this platform (hidden brands left out).
    pub brands: Vec<PackBrand>,
    /// Portals with at least one endpoint on this platform.
    pub portals: Vec<PackPortal>,
    /// The platform's endpoints.
    pub endpoints: Vec<PackEndpoint>,
}

/// A brand, as much of it as search and display need.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackBrand {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where it is.
    #[serde(default)]
    pub locations: Vec<PackLocation>,
    /// Web site.
    #[serde(default)]
    pub website: String,
    /// Its portals on this platform.
    pub portal_ids: Vec<String>,
}

/// A brand's location without street lines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = CatalogLocation)]
#[serde(deny_unknown_fields)]
pub struct PackLocation {
    /// City.
    #[serde(default)]
    #[schema(required)]
    pub city: String,
    /// State or region.
    #[serde(default)]
    #[schema(required)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    #[schema(required)]
    pub postal_code: String,
    /// Country.
    #[serde(default)]
    #[schema(required)]
    pub country: String,
}

/// A portal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackPortal {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Web site.
    #[serde(default)]
    pub website: String,
    /// Its endpoints on this platform.
    pub endpoint_ids: Vec<String>,
}

/// An endpoint: a FHIR server and what is known of its authorization server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackEndpoint {
    /// UUID.
    pub id: String,
    /// FHIR base URL.
    pub url: String,
    /// FHIR version, empty when unknown.
    #[serde(default)]
    pub fhir_version: String,
    /// Authorize URL when the catalog knows it (else discovered).
    #[serde(default)]
    pub authorization_endpoint: String,
    /// Token URL when the catalog knows it (else discovered).
    #[serde(default)]
    pub token_endpoint: String,
}

/// How an import treats the packages already installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Add to what is installed: platforms the import lacks keep their
    /// packages, and a platform it has keeps the endpoints, portals and
    /// brands it does not mention (the import's own records win by id).
    Merge,
    /// Make the installed catalog exactly the import: other platforms'
    /// catalog packages are removed.
    Replace,
}

/// What an import wrote.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Packages written, with their endpoint counts.
    pub packages: BTreeMap<String, usize>,
    /// Old catalog packages removed because their platform has no endpoints any more.
    pub removed: Vec<String>,
    /// Brands offered in total (a brand on two platforms counts once).
    pub brands: usize,
}

/// Read the fasten-sources folder `source` and write platform packages into `plugins_dir`,
/// reusing the R4 component found at `plugins_dir/fhir-r4/`.
pub fn import(
    source: &Path,
    plugins_dir: &Path,
    mode: ImportMode,
) -> Result<ImportReport, CatalogError> {
    let catalog = FastenCatalog::read(source)?;
    let base_dir = plugins_dir.join(R4_COMPONENT);
    let base_manifest_path = base_dir.join("plugin.toml");
    let base_text = std::fs::read_to_string(&base_manifest_path).map_err(|e| {
        CatalogError::Component(format!(
            "{}: {e} (build the connectors first: `make plugins`)",
            base_manifest_path.display()
        ))
    })?;
    let base = Manifest::parse(&base_text)
        .map_err(|e| CatalogError::Component(format!("{}: {e}", base_manifest_path.display())))?;
    let wasm = base_dir.join("plugin.wasm");
    if !wasm.is_file() {
        return Err(CatalogError::Component(format!(
            "{} is missing (build the connectors first: `make plugins`)",
            wasm.display()
        )));
    }

    let mut packs = split_by_platform(&catalog);
    if mode == ImportMode::Merge {
        for pack in packs.values_mut() {
            let installed = plugins_dir.join(&pack.platform);
            if installed.join("catalog.json").is_file() {
                // An unreadable old catalog is replaced, not merged: it could not be served anyway.
                match read_package_catalog(&installed) {
                    Ok(old) => merge_into(pack, old),
                    Err(e) => tracing::warn!(error = %e, "replacing an unreadable catalog package"),
                }
            }
        }
    }
    let mut report = ImportReport {
        packages: BTreeMap::new(),
        removed: Vec::new(),
        brands: packs
            .values()
            .flat_map(|p| p.brands.iter().map(|b| b.id.as_str()))
            .collect::<BTreeSet<_>>()
            .len(),
    };
    for (platform, pack) in &packs {
        if platform == R4_COMPONENT {
            return Err(CatalogError::Component(format!(
                "platform {platform:?} would replace the component it reuses"
            )));
        }
        write_package(plugins_dir, pack, &base, &wasm)?;
        report
            .packages
            .insert(platform.clone(), pack.endpoints.len());
    }
    if mode == ImportMode::Replace {
        report.removed = remove_stale(plugins_dir, &packs)?;
    }
    Ok(report)
}

/// Add what `old` has and `new` does not mention to `new` (same platform).
/// A record in both is the import's, but a brand keeps the portals and a
/// portal the endpoints it had on this platform.
fn merge_into(new: &mut PackageCatalog, old: PackageCatalog) {
    let known: BTreeSet<String> = new.endpoints.iter().map(|e| e.id.clone()).collect();
    new.endpoints
        .extend(old.endpoints.into_iter().filter(|e| !known.contains(&e.id)));
    for portal in old.portals {
        match new.portals.iter_mut().find(|p| p.id == portal.id) {
            Some(mine) => union(&mut mine.endpoint_ids, portal.endpoint_ids),
            None => new.portals.push(portal),
        }
    }
    for brand in old.brands {
        match new.brands.iter_mut().find(|b| b.id == brand.id) {
            Some(mine) => union(&mut mine.portal_ids, brand.portal_ids),
            None => new.brands.push(brand),
        }
    }
    new.endpoints.sort_by(|a, b| a.id.cmp(&b.id));
    new.portals.sort_by(|a, b| a.id.cmp(&b.id));
    new.brands.sort_by(|a, b| a.id.cmp(&b.id));
}

/// Append the ids of `more` that `ids` lacks.
fn union(ids: &mut Vec<String>, more: Vec<String>) {
    for id in more {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
}

/// Group the catalog by platform: each platform's endpoints, and the portals and brands that lead to them.
fn split_by_platform(catalog: &FastenCatalog) -> BTreeMap<String, PackageCatalog> {
    let mut packs: BTreeMap<String, PackageCatalog> = BTreeMap::new();
    let mut platform_of: BTreeMap<&str, &str> = BTreeMap::new();
    for endpoint in catalog.endpoints.values() {
        if endpoint.status != "active" {
            continue;
        }
        let Some(quirks) = catalog.platforms.get(&endpoint.platform_type) else {
            continue; // FastenCatalog::read refused these already
        };
        platform_of.insert(&endpoint.id, &endpoint.platform_type);
        packs
            .entry(endpoint.platform_type.clone())
            .or_insert_with(|| PackageCatalog {
                format: FORMAT,
                platform: endpoint.platform_type.clone(),
                quirks: quirks.clone(),
                brands: Vec::new(),
                portals: Vec::new(),
                endpoints: Vec::new(),
            })
            .endpoints
            .push(PackEndpoint {
                id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                fhir_version: endpoint.fhir_version.clone(),
                authorization_endpoint: endpoint.authorization_endpoint.clone(),
                token_endpoint: endpoint.token_endpoint.clone(),
            });
    }
    // A portal may front endpoints of several platforms: it appears in each, with that platform's endpoints.
    let mut portal_platforms: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for portal in catalog.portals.values() {
        let mut by_platform: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for e in &portal.endpoint_ids {
            if let Some(p) = platform_of.get(e.as_str()) {
                by_platform.entry(p).or_default().push(e.clone());
            }
        }
        for (platform, endpoint_ids) in by_platform {
            portal_platforms
                .entry(&portal.id)
                .or_default()
                .insert(platform);
            if let Some(pack) = packs.get_mut(platform) {
                pack.portals.push(PackPortal {
                    id: portal.id.clone(),
                    name: portal.name.clone(),
                    website: portal.portal_website.clone(),
                    endpoint_ids,
                });
            }
        }
    }
    for brand in catalog.brands.values().filter(|b| !b.hidden) {
        let mut by_platform: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for portal in &brand.portal_ids {
            for platform in portal_platforms.get(portal.as_str()).into_iter().flatten() {
                by_platform
                    .entry(platform)
                    .or_default()
                    .push(portal.clone());
            }
        }
        for (platform, portal_ids) in by_platform {
            if let Some(pack) = packs.get_mut(platform) {
                pack.brands.push(PackBrand {
                    id: brand.id.clone(),
                    name: brand.name.clone(),
                    aliases: brand.aliases.clone(),
                    locations: brand
                        .locations
                        .iter()
                        .map(|l| PackLocation {
                            city: l.city.clone(),
                            state: l.state.clone(),
                            postal_code: l.postal_code.clone(),
                            country: l.country.clone(),
                        })
                        .collect(),
                    website: brand.brand_website.clone(),
                    portal_ids,
                });
            }
        }
    }
    packs
}

/// A readable name for a platform type: `qualifacts-carelogic` → `Qualifacts Carelogic`.
fn display_name(platform: &str) -> String {
    platform
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CatalogError + '_ {
    move |source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write one package into a temporary folder, then swap it in.
fn write_package(
    plugins_dir: &Path,
    pack: &PackageCatalog,
    base: &Manifest,
    wasm: &Path,
) -> Result<(), CatalogError> {
    let platform = &pack.platform;
    let staging = plugins_dir.join(format!(".import-{platform}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let manifest = format!(
        "# Written by `hearth catalog import` from the fasten-sources catalog; importing again replaces it.\n\
         id = {id}\nname = {name}\nversion = {version}\nkind = \"connector\"\n{wit}\
         description = {description}\n\n[permissions]\noutbound = \"source\"\n\n\
         [connector]\nplatform = {id}\ncomponent = {component}\n",
        id = toml_str(platform),
        name = toml_str(&format!("{} (FHIR R4)", display_name(platform))),
        version = toml_str(&base.version),
        // The component is what decides; the line only repeats it for readers.
        wit = base
            .wit
            .as_deref()
            .map(|w| format!("wit = {}\n", toml_str(w)))
            .unwrap_or_default(),
        description = toml_str(&format!(
            "Connects to the {} {} FHIR endpoint(s) of the catalog, with the platform's scopes, headers and quirks.",
            pack.endpoints.len(),
            display_name(platform)
        )),
        component = toml_str(&base.id),
    );
    // Checked here so a bad platform name fails the import, not a later start.
    Manifest::parse(&manifest).map_err(|e| {
        CatalogError::Component(format!("the package for platform {platform:?}: {e}"))
    })?;
    let path = staging.join("plugin.toml");
    std::fs::write(&path, manifest).map_err(io(&path))?;
    let path = staging.join("catalog.json");
    let json = serde_json::to_vec(pack).map_err(|e| CatalogError::Component(e.to_string()))?;
    std::fs::write(&path, json).map_err(io(&path))?;
    let path = staging.join("plugin.wasm");
    std::fs::copy(wasm, &path).map_err(io(&path))?;

    let target = plugins_dir.join(platform);
    let old = plugins_dir.join(format!(".old-{platform}"));
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    if target.exists() {
        std::fs::rename(&target, &old).map_err(io(&target))?;
    }
    std::fs::rename(&staging, &target).map_err(io(&target))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Remove catalog-written packages whose platform is no longer in the catalog; hand-installed packages are left alone.
fn remove_stale(
    plugins_dir: &Path,
    packs: &BTreeMap<String, PackageCatalog>,
) -> Result<Vec<String>, CatalogError> {
    let mut removed = Vec::new();
    let entries = std::fs::read_dir(plugins_dir).map_err(io(plugins_dir))?;
    for entry in entries.filter_map(Result::ok) {
        let folder: PathBuf = entry.path();
        let Ok(text) = std::fs::read_to_string(folder.join("plugin.toml")) else {
            continue;
        };
        let Ok(manifest) = Manifest::parse(&text) else {
            continue;
        };
        if let Some(platform) = manifest.platform()
            && !packs.contains_key(platform)
            && folder.join("catalog.json").is_file()
        {
            std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
            removed.push(platform.to_string());
        }
    }
    removed.sort();
    Ok(removed)
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Read a package's `catalog.json`.
pub fn read_package_catalog(folder: &Path) -> Result<PackageCatalog, CatalogError> {
    let path = folder.join("catalog.json");
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    let pack: PackageCatalog =
        serde_json::from_slice(&bytes).map_err(|e| CatalogError::Syntax {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
    if pack.format != FORMAT {
        return Err(CatalogError::Syntax {
            file: path.display().to_string(),
            reason: format!(
                "format {} is not {FORMAT}; import the catalog again",
                pack.format
            ),
        });
    }
    Ok(pack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fasten::tests::{tiny, write};

    fn base_component(plugins: &Path) {
        write(
            plugins,
            "fhir-r4/plugin.toml",
            "id = \"fhir-r4\"\nname = \"R4\"\nversion = \"0.1.0\"\nkind = \"connector\"\nwit = \"hearth:plugin@0.1.0\"\n[permissions]\noutbound = \"source\"\n",
        );
        write(plugins, "fhir-r4/plugin.wasm", "not really wasm");
    }

    #[test]
    fn writes_one_package_per_platform_and_replaces_stale_ones() {
        let src = tempfile::tempdir().unwrap();
        let plugins = tempfile::tempdir().unwrap();
        tiny(src.path());
        base_component(plugins.path());
        // A package from an earlier import whose platform has gone, and a hand-installed one.
        write(
            plugins.path(),
            "gone/plugin.toml",
            "id = \"gone\"\nname = \"Gone\"\nversion = \"0.1.0\"\nkind = \"connector\"\nwit = \"hearth:plugin@0.1.0\"\n[permissions]\noutbound = \"source\"\n[connector]\nplatform = \"gone\"\ncomponent = \"fhir-r4\"\n",
        );
        write(plugins.path(), "gone/catalog.json", "{}");
        let report = import(src.path(), plugins.path(), ImportMode::Replace).unwrap();
        assert_eq!(report.packages, BTreeMap::from([("acme".to_string(), 1)]));
        assert_eq!(report.removed, vec!["gone"]);
        assert_eq!(report.brands, 1);
        assert!(!plugins.path().join("gone").exists());
        assert!(plugins.path().join("fhir-r4/plugin.toml").exists());

        let folder = plugins.path().join("acme");
        let manifest =
            Manifest::parse(&std::fs::read_to_string(folder.join("plugin.toml")).unwrap()).unwrap();
        assert_eq!(manifest.id, "acme");
        assert_eq!(manifest.component_id(), "fhir-r4");
        assert_eq!(manifest.platform(), Some("acme"));
        assert_eq!(
            std::fs::read(folder.join("plugin.wasm")).unwrap(),
            b"not really wasm"
        );
        let pack = read_package_catalog(&folder).unwrap();
        assert!(pack.quirks.missing_op_patient_everything);
        assert_eq!(pack.brands[0].portal_ids, vec!["p1"]);
        assert_eq!(pack.portals[0].endpoint_ids, vec!["e1"]);
        assert_eq!(pack.endpoints[0].url, "https://fhir.acme.test/r4/");

        // Importing again replaces the package in place.
        let again = import(src.path(), plugins.path(), ImportMode::Replace).unwrap();
        assert_eq!(again.packages.len(), 1);
        let names: Vec<String> = std::fs::read_dir(plugins.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.starts_with('.')),
            "left over: {names:?}"
        );
    }

    /// A second catalog: one more acme endpoint (e2, its own portal and brand) and a new platform.
    fn second(dir: &Path) {
        tiny(dir);
        let text = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        write(
            dir,
            "definitions/platform/zeta.yaml",
            &text("definitions/platform/acme.yaml").replace("acme", "zeta"),
        );
        let endpoints = text("catalog/endpoints.json");
        let e1 = &endpoints[endpoints.find("{\"id\"").unwrap()..endpoints.rfind('}').unwrap()];
        let e2 = e1
            .replace("\"e1\"", "\"e2\"")
            .replace("fhir.acme.test", "fhir2.acme.test");
        let z1 = e1
            .replace("\"e1\"", "\"z1\"")
            .replace("\"acme\"", "\"zeta\"");
        write(
            dir,
            "catalog/endpoints.json",
            &format!("{{\"e2\": {e2}, \"z1\": {z1}}}"),
        );
        write(
            dir,
            "catalog/portals.json",
            &text("catalog/portals.json")
                .replace("\"p1\"", "\"p2\"")
                .replace("[\"e1\"]", "[\"e2\", \"z1\"]")
                .replace("Acme MyChart", "Acme Two"),
        );
        write(
            dir,
            "catalog/brands.json",
            &text("catalog/brands.json")
                .replace("\"b1\"", "\"b2\"")
                .replace("[\"p1\"]", "[\"p2\"]")
                .replace("Acme General Hospital", "Acme Second Hospital"),
        );
    }

    #[test]
    fn a_merge_keeps_other_platforms_and_endpoints_and_replace_does_not() {
        let (first, next) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let plugins = tempfile::tempdir().unwrap();
        tiny(first.path());
        second(next.path());
        base_component(plugins.path());
        import(first.path(), plugins.path(), ImportMode::Replace).unwrap();
        // A hand-written earlier platform package, as an import of another folder leaves it.
        let other = tempfile::tempdir().unwrap();
        tiny(other.path());
        for f in ["definitions/platform/acme.yaml", "catalog/endpoints.json"] {
            let p = other.path().join(f);
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, t.replace("acme", "other")).unwrap();
        }
        std::fs::rename(
            other.path().join("definitions/platform/acme.yaml"),
            other.path().join("definitions/platform/other.yaml"),
        )
        .unwrap();
        import(other.path(), plugins.path(), ImportMode::Merge).unwrap();
        assert!(plugins.path().join("acme/catalog.json").is_file());
        assert!(plugins.path().join("other/catalog.json").is_file());

        let report = import(next.path(), plugins.path(), ImportMode::Merge).unwrap();
        assert!(report.removed.is_empty());
        let acme = read_package_catalog(&plugins.path().join("acme")).unwrap();
        let ids: Vec<&str> = acme.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["e1", "e2"], "the earlier endpoint stays");
        let brands: Vec<&str> = acme.brands.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(brands, ["Acme General Hospital", "Acme Second Hospital"]);
        let zeta = read_package_catalog(&plugins.path().join("zeta")).unwrap();
        assert_eq!(zeta.endpoints.len(), 1);
        assert!(
            read_package_catalog(&plugins.path().join("other")).is_ok(),
            "a platform the import lacks keeps its package"
        );

        let report = import(next.path(), plugins.path(), ImportMode::Replace).unwrap();
        assert_eq!(report.removed, ["other"]);
        let acme = read_package_catalog(&plugins.path().join("acme")).unwrap();
        assert_eq!(acme.endpoints.len(), 1, "replace keeps only the import's");
        assert_eq!(acme.endpoints[0].id, "e2");
    }

    #[test]
    fn a_broken_catalog_leaves_the_previous_packages() {
        let src = tempfile::tempdir().unwrap();
        let plugins = tempfile::tempdir().unwrap();
        tiny(src.path());
        base_component(plugins.path());
        import(src.path(), plugins.path(), ImportMode::Replace).unwrap();
        write(src.path(), "catalog/brands.json", "{\"b1\": ");
        let err = import(src.path(), plugins.path(), ImportMode::Replace)
            .unwrap_err()
            .to_string();
        assert!(err.contains("brands.json"), "{err}");
        assert!(read_package_catalog(&plugins.path().join("acme")).is_ok());
    }

    #[test]
    fn without_the_component_the_import_says_how_to_build_it() {
        let src = tempfile::tempdir().unwrap();
        let plugins = tempfile::tempdir().unwrap();
        tiny(src.path());
        let err = import(src.path(), plugins.path(), ImportMode::Replace)
            .unwrap_err()
            .to_string();
        assert!(err.contains("make plugins"), "{err}");
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("qualifacts-carelogic"), "Qualifacts Carelogic");
        assert_eq!(display_name("epic"), "Epic");
    }
}
