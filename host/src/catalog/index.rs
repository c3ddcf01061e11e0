//! Search over the installed catalogs: brands by name, alias, portal, city, state or postal code.
//!
//! The whole catalog (about 30,000 brands) lives in memory as one sorted
//! token list. A query term matches every token it is a prefix of, found by
//! binary search, so a search costs the matches it has, not the catalog size.
//! All terms must match; a brand scores the best field each term hit
//! (name over alias over portal over place), and exact tokens beat prefixes.

use super::fasten::Platform;
use super::package::{FORMAT, PackBrand, PackEndpoint, PackLocation, PackPortal, PackageCatalog};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Weights of the fields a term can hit; an exact token adds [`EXACT`].
const W_NAME: u8 = 10;
const W_ALIAS: u8 = 8;
const W_PORTAL: u8 = 6;
const W_CITY: u8 = 5;
const W_PLACE: u8 = 4;
const EXACT: u8 = 2;
/// Query terms beyond this are ignored: nobody types more, and it bounds the work.
const MAX_TERMS: usize = 8;
/// Terms this short are answered from precomputed lists.
const SHORT: usize = 2;
/// Largest page of results.
pub const MAX_LIMIT: usize = 100;

/// The DSTU3 connector component.
pub const DSTU3_COMPONENT: &str = "fhir-dstu3";

/// The id of the sandbox brand, portal and platform.
pub const SANDBOX: &str = "hearth-sandbox";

/// An endpoint someone can connect to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointEntry {
    /// Catalog id.
    pub id: String,
    /// FHIR base URL.
    pub url: String,
    /// FHIR version, empty when unknown.
    pub fhir_version: String,
    /// Platform type.
    pub platform: String,
    /// The connector plugin that syncs it.
    pub connector: String,
    /// Authorize URL known up front, if any.
    #[serde(skip)]
    pub authorization_endpoint: String,
    /// Token URL known up front, if any.
    #[serde(skip)]
    pub token_endpoint: String,
}

/// A portal in a search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalHit {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its endpoints.
    pub endpoints: Vec<EndpointEntry>,
}

/// A brand in a search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrandHit {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Where it is.
    pub locations: Vec<PackLocation>,
    /// Its portals and their endpoints.
    pub portals: Vec<PortalHit>,
}

/// One page of search results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogPage)]
pub struct SearchPage {
    /// Best first.
    pub results: Vec<BrandHit>,
    /// How many brands matched in all.
    pub total: usize,
}

struct Brand {
    id: String,
    name: String,
    name_lower: String,
    aliases: Vec<String>,
    locations: Vec<PackLocation>,
    /// (portal id, portal name, endpoint ids)
    portals: Vec<(String, String, Vec<String>)>,
}

/// The search index over every installed catalog.
#[derive(Default)]
pub struct CatalogIndex {
    brands: Vec<Brand>,
    /// (token, brand index, weight), sorted by token.
    tokens: Vec<(Box<str>, u32, u8)>,
    /// For one- and two-character terms, each brand's best weight, precomputed:
    /// such a term prefixes a large part of all tokens, and people type them first.
    short: HashMap<String, Vec<(u32, u8)>>,
    /// Brand indexes in display order for an empty query.
    by_name: Vec<u32>,
    endpoints: HashMap<String, EndpointEntry>,
    platforms: HashMap<String, Arc<Platform>>,
}

/// The sandbox's platform quirks: a public client asking for the standard patient scopes.
pub fn sandbox_platform() -> Platform {
    Platform {
        platform_type: SANDBOX.into(),
        scopes_supported: [
            "launch/patient",
            "openid",
            "fhirUser",
            "offline_access",
            "patient/*.read",
        ]
        .map(String::from)
        .to_vec(),
        grant_types_supported: vec!["authorization_code".into(), "refresh_token".into()],
        response_types_supported: vec!["code".into()],
        response_modes_supported: vec!["query".into()],
        code_challenge_methods_supported: vec!["S256".into()],
        token_endpoint_auth_methods_supported: Vec::new(),
        confidential: false,
        cors_relay_required: false,
        documentation: "Hearth's own test provider: synthetic patients, password `sandbox`.".into(),
        client_headers: BTreeMap::new(),
        missing_op_patient_everything: false,
        custom_op_patient_everything: None,
        client_supported_resources: Vec::new(),
        client_rate_limited: false,
    }
}

/// Lower-case alphanumeric words of `text`.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
}

impl CatalogIndex {
    /// Index `packs` (each with the id of the connector package it came from),
    /// plus the sandbox provider at `sandbox_root` when one is configured.
    pub fn build(packs: Vec<(String, PackageCatalog)>, sandbox_root: Option<&str>) -> CatalogIndex {
        let mut index = CatalogIndex::default();
        let mut brand_at: HashMap<String, usize> = HashMap::new();
        let mut packs = packs;
        if let Some(root) = sandbox_root {
            packs.splice(0..0, sandbox_packs(root));
        }
        for (connector, pack) in packs {
            let platform = Arc::new(pack.quirks);
            index.platforms.insert(pack.platform.clone(), platform);
            for e in pack.endpoints {
                index.endpoints.insert(
                    e.id.clone(),
                    EndpointEntry {
                        id: e.id,
                        url: e.url,
                        fhir_version: e.fhir_version,
                        platform: pack.platform.clone(),
                        connector: connector.clone(),
                        authorization_endpoint: e.authorization_endpoint,
                        token_endpoint: e.token_endpoint,
                    },
                );
            }
            let portals: HashMap<&str, _> =
                pack.portals.iter().map(|p| (p.id.as_str(), p)).collect();
            for b in &pack.brands {
                let at = *brand_at.entry(b.id.clone()).or_insert_with(|| {
                    index.brands.push(Brand {
                        id: b.id.clone(),
                        name: b.name.clone(),
                        name_lower: b.name.to_lowercase(),
                        aliases: b.aliases.clone(),
                        locations: b.locations.clone(),
                        portals: Vec::new(),
                    });
                    index.brands.len() - 1
                });
                let brand = &mut index.brands[at];
                for pid in &b.portal_ids {
                    let Some(portal) = portals.get(pid.as_str()) else {
                        continue;
                    };
                    match brand.portals.iter_mut().find(|(id, _, _)| id == pid) {
                        Some((_, _, endpoints)) => {
                            endpoints.extend(portal.endpoint_ids.iter().cloned())
                        }
                        None => brand.portals.push((
                            pid.clone(),
                            portal.name.clone(),
                            portal.endpoint_ids.clone(),
                        )),
                    }
                }
            }
        }
        for (i, brand) in index.brands.iter().enumerate() {
            let i = i as u32;
            let mut add = |text: &str, weight: u8| {
                for w in words(text) {
                    index.tokens.push((w.into_boxed_str(), i, weight));
                }
            };
            add(&brand.name, W_NAME);
            for a in &brand.aliases {
                add(a, W_ALIAS);
            }
            for (_, name, _) in &brand.portals {
                add(name, W_PORTAL);
            }
            for l in &brand.locations {
                add(&l.city, W_CITY);
                add(&l.state, W_PLACE);
                add(&l.postal_code, W_PLACE);
            }
        }
        index.tokens.sort_unstable();
        index.tokens.dedup();
        let mut short: HashMap<String, HashMap<u32, u8>> = HashMap::new();
        for (token, brand, weight) in &index.tokens {
            for (at, c) in token.char_indices().take(SHORT) {
                let end = at + c.len_utf8();
                let w = weight + if end == token.len() { EXACT } else { 0 };
                let slot = short
                    .entry(token[..end].to_string())
                    .or_default()
                    .entry(*brand)
                    .or_insert(0);
                *slot = (*slot).max(w);
            }
        }
        index.short = short
            .into_iter()
            .map(|(prefix, brands)| {
                let mut list: Vec<(u32, u8)> = brands.into_iter().collect();
                list.sort_unstable();
                (prefix, list)
            })
            .collect();
        let mut by_name: Vec<u32> = (0..index.brands.len() as u32).collect();
        by_name.sort_by(|a, b| {
            let (a, b) = (&index.brands[*a as usize], &index.brands[*b as usize]);
            (a.id != SANDBOX, &a.name_lower).cmp(&(b.id != SANDBOX, &b.name_lower))
        });
        index.by_name = by_name;
        index
    }

    /// How many brands can be found.
    pub fn brands(&self) -> usize {
        self.brands.len()
    }

    /// How many endpoints can be connected.
    pub fn endpoints(&self) -> usize {
        self.endpoints.len()
    }

    /// The endpoint with catalog id `id`.
    pub fn endpoint(&self, id: &str) -> Option<&EndpointEntry> {
        self.endpoints.get(id)
    }

    /// The quirks of `platform`.
    pub fn platform(&self, platform: &str) -> Option<Arc<Platform>> {
        self.platforms.get(platform).cloned()
    }

    /// The brand with catalog id `id`, as a search result.
    pub fn brand(&self, id: &str) -> Option<BrandHit> {
        self.brands.iter().find(|b| b.id == id).map(|b| self.hit(b))
    }

    /// Brands matching every term of `query`, best first; `limit` is capped at [`MAX_LIMIT`].
    pub fn search(&self, query: &str, limit: usize) -> SearchPage {
        let limit = limit.clamp(1, MAX_LIMIT);
        let mut terms: Vec<String> = words(query).collect();
        terms.sort();
        terms.dedup();
        // A term that is a prefix of another adds nothing but cost.
        let all = terms.clone();
        terms.retain(|t| !all.iter().any(|o| o != t && o.starts_with(t.as_str())));
        terms.truncate(MAX_TERMS);
        if terms.is_empty() {
            return SearchPage {
                results: self
                    .by_name
                    .iter()
                    .take(limit)
                    .map(|i| self.hit(&self.brands[*i as usize]))
                    .collect(),
                total: self.brands.len(),
            };
        }
        let mut best = vec![0u8; self.brands.len()];
        let mut candidates: Option<Vec<(u32, u32)>> = None;
        for term in &terms {
            let mut touched = Vec::new();
            if term.chars().count() <= SHORT {
                for (brand, w) in self.short.get(term.as_str()).into_iter().flatten() {
                    best[*brand as usize] = *w;
                    touched.push(*brand);
                }
            } else {
                let start = self
                    .tokens
                    .partition_point(|(t, _, _)| t.as_ref() < term.as_str());
                for (token, brand, weight) in &self.tokens[start..] {
                    if !token.starts_with(term.as_str()) {
                        break;
                    }
                    let w = weight + if token.as_ref() == term { EXACT } else { 0 };
                    let slot = &mut best[*brand as usize];
                    if *slot == 0 {
                        touched.push(*brand);
                    }
                    *slot = (*slot).max(w);
                }
            }
            candidates = Some(match candidates {
                None => touched
                    .iter()
                    .map(|b| (*b, u32::from(best[*b as usize])))
                    .collect(),
                Some(mut c) => {
                    c.retain_mut(|(b, score)| {
                        let w = best[*b as usize];
                        *score += u32::from(w);
                        w > 0
                    });
                    c
                }
            });
            for b in touched {
                best[b as usize] = 0;
            }
        }
        let mut found = candidates.unwrap_or_default();
        let whole = terms.join(" ");
        let rank = |(b, score): &(u32, u32)| {
            let brand = &self.brands[*b as usize];
            let starts = brand.name_lower.starts_with(whole.as_str());
            (
                std::cmp::Reverse(*score + if starts { 5 } else { 0 }),
                brand.name.len(),
                *b,
            )
        };
        let total = found.len();
        if found.len() > limit {
            found.select_nth_unstable_by_key(limit - 1, rank);
            found.truncate(limit);
        }
        found.sort_unstable_by_key(rank);
        SearchPage {
            results: found
                .iter()
                .map(|(b, _)| self.hit(&self.brands[*b as usize]))
                .collect(),
            total,
        }
    }

    fn hit(&self, brand: &Brand) -> BrandHit {
        BrandHit {
            id: brand.id.clone(),
            name: brand.name.clone(),
            aliases: brand.aliases.clone(),
            locations: brand.locations.clone(),
            portals: brand
                .portals
                .iter()
                .map(|(id, name, endpoints)| PortalHit {
                    id: id.clone(),
                    name: name.clone(),
                    endpoints: endpoints
                        .iter()
                        .filter_map(|e| self.endpoints.get(e).cloned())
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The sandbox's two bases as catalog packages: R4 for the R4 connector, DSTU3 for the DSTU3 one.
fn sandbox_packs(root: &str) -> Vec<(String, PackageCatalog)> {
    use super::package::R4_COMPONENT;
    let root = root.trim_end_matches('/');
    [
        (
            R4_COMPONENT,
            "r4",
            "fhir",
            "4.0.1",
            SANDBOX.to_string(),
            "Hearth Sandbox (synthetic patients)",
        ),
        (
            DSTU3_COMPONENT,
            "dstu3",
            "dstu3",
            "3.0.2",
            format!("{SANDBOX}-dstu3"),
            "Hearth Sandbox, older system (FHIR DSTU3)",
        ),
    ]
    .into_iter()
    .map(
        |(component, version, path, fhir_version, portal, portal_name)| {
            sandbox_pack(
                component,
                &portal,
                portal_name,
                PackEndpoint {
                    id: format!("{SANDBOX}-{version}"),
                    url: format!("{root}/{path}"),
                    fhir_version: fhir_version.into(),
                    authorization_endpoint: String::new(),
                    token_endpoint: String::new(),
                },
            )
        },
    )
    .collect()
}

/// One sandbox base as a package of the "Hearth Sandbox" brand.
fn sandbox_pack(
    component: &str,
    portal: &str,
    portal_name: &str,
    endpoint: PackEndpoint,
) -> (String, PackageCatalog) {
    (
        component.to_string(),
        PackageCatalog {
            format: FORMAT,
            platform: SANDBOX.into(),
            quirks: sandbox_platform(),
            brands: vec![PackBrand {
                id: SANDBOX.into(),
                name: "Hearth Sandbox".into(),
                aliases: vec!["Demo provider".into(), "Test patients".into()],
                locations: Vec::new(),
                website: String::new(),
                portal_ids: vec![portal.to_string()],
            }],
            portals: vec![PackPortal {
                id: portal.to_string(),
                name: portal_name.into(),
                website: String::new(),
                endpoint_ids: vec![endpoint.id.clone()],
            }],
            endpoints: vec![endpoint],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand(id: &str, name: &str, city: &str, state: &str, portal: &str) -> PackBrand {
        PackBrand {
            id: id.into(),
            name: name.into(),
            aliases: vec![],
            locations: vec![PackLocation {
                city: city.into(),
                state: state.into(),
                postal_code: String::new(),
                country: "US".into(),
            }],
            website: String::new(),
            portal_ids: vec![portal.into()],
        }
    }

    fn index() -> CatalogIndex {
        let mut general = brand(
            "b1",
            "Springfield General Hospital",
            "Springfield",
            "IL",
            "p1",
        );
        general.aliases = vec!["SGH".into()];
        let pack = PackageCatalog {
            format: FORMAT,
            platform: "acme".into(),
            quirks: sandbox_platform(),
            brands: vec![
                general,
                brand("b2", "Shelbyville Clinic", "Shelbyville", "IL", "p1"),
                brand("b3", "Capital City Clinic", "Springfield", "MO", "p2"),
                brand("b4", "Spring Valley Dental", "Austin", "TX", "p2"),
            ],
            portals: vec![
                PackPortal {
                    id: "p1".into(),
                    name: "Illinois MyChart".into(),
                    website: String::new(),
                    endpoint_ids: vec!["e1".into()],
                },
                PackPortal {
                    id: "p2".into(),
                    name: "Portal Two".into(),
                    website: String::new(),
                    endpoint_ids: vec!["e2".into()],
                },
            ],
            endpoints: vec![
                PackEndpoint {
                    id: "e1".into(),
                    url: "https://a.test/fhir".into(),
                    fhir_version: "4.0.1".into(),
                    authorization_endpoint: String::new(),
                    token_endpoint: String::new(),
                },
                PackEndpoint {
                    id: "e2".into(),
                    url: "https://b.test/fhir".into(),
                    fhir_version: String::new(),
                    authorization_endpoint: String::new(),
                    token_endpoint: String::new(),
                },
            ],
        };
        CatalogIndex::build(
            vec![("acme".into(), pack)],
            Some("http://127.0.0.1:1/sandbox/"),
        )
    }

    fn ids(page: &SearchPage) -> Vec<&str> {
        page.results.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn name_beats_city_and_all_terms_must_match() {
        let idx = index();
        // "springfield": b1 by name (and city), b3 by city only.
        assert_eq!(ids(&idx.search("Springfield", 10)), vec!["b1", "b3"]);
        // Two terms: only b3 is a clinic in Springfield.
        assert_eq!(ids(&idx.search("clinic springfield", 10)), vec!["b3"]);
        // Prefixes match: "spr" reaches Springfield and Spring Valley.
        let page = idx.search("spr", 10);
        assert_eq!(page.total, 3);
        assert_eq!(
            page.results[0].id, "b4",
            "the shortest name starting with the query first"
        );
    }

    #[test]
    fn aliases_portals_and_states_are_searchable() {
        let idx = index();
        assert_eq!(ids(&idx.search("sgh", 10)), vec!["b1"]);
        assert_eq!(ids(&idx.search("mychart", 10)), vec!["b2", "b1"]);
        assert_eq!(ids(&idx.search("tx", 10)), vec!["b4"]);
        assert!(idx.search("nowhere", 10).results.is_empty());
    }

    #[test]
    fn results_carry_connectable_endpoints() {
        let idx = index();
        let hit = &idx.search("shelbyville", 10).results[0];
        let endpoint = &hit.portals[0].endpoints[0];
        assert_eq!(endpoint.url, "https://a.test/fhir");
        assert_eq!(endpoint.connector, "acme");
        assert_eq!(idx.endpoint("e1").unwrap().platform, "acme");
    }

    #[test]
    fn the_sandbox_is_found_and_listed_first() {
        let idx = index();
        let page = idx.search("hearth sandbox", 5);
        assert_eq!(ids(&page), vec![SANDBOX]);
        let endpoint = &page.results[0].portals[0].endpoints[0];
        assert_eq!(endpoint.url, "http://127.0.0.1:1/sandbox/fhir");
        assert_eq!(endpoint.connector, "fhir-r4");
        assert_eq!(idx.search("", 2).results[0].id, SANDBOX);
        assert_eq!(idx.search("", 2).total, 5);
        let portals = &page.results[0].portals;
        assert_eq!(portals.len(), 2, "R4 and DSTU3 portals");
        assert_eq!(portals[1].endpoints[0].connector, "fhir-dstu3");
        assert_eq!(
            portals[1].endpoints[0].url,
            "http://127.0.0.1:1/sandbox/dstu3"
        );
        assert!(
            idx.platform(SANDBOX)
                .unwrap()
                .scopes_supported
                .contains(&"offline_access".to_string())
        );
    }

    #[test]
    fn short_terms_rank_as_long_ones_do() {
        let idx = index();
        // "il" is a whole state token for two brands and a prefix of "illinois" for them too.
        let short = idx.search("il", 10);
        assert_eq!(ids(&short), vec!["b2", "b1"]);
        // The precomputed lists find what a scan of every field finds.
        for term in ["s", "sp", "c", "cl", "h", "i", "tx", "m", "q", "x"] {
            let scanned = idx
                .brands
                .iter()
                .filter(|b| {
                    let mut fields = vec![b.name.clone()];
                    fields.extend(b.aliases.iter().cloned());
                    fields.extend(b.portals.iter().map(|(_, n, _)| n.clone()));
                    for l in &b.locations {
                        fields.extend([l.city.clone(), l.state.clone(), l.postal_code.clone()]);
                    }
                    fields.iter().any(|f| words(f).any(|w| w.starts_with(term)))
                })
                .count();
            assert_eq!(idx.search(term, 100).total, scanned, "{term}");
        }
    }

    #[test]
    fn limits_are_capped() {
        let idx = index();
        assert_eq!(idx.search("", 0).results.len(), 1);
        assert_eq!(
            idx.search("i", 1000).results.len(),
            idx.search("i", 1000).total
        );
    }
}
