//! FHIR REST helpers: JSON GETs with errors mapped to [`PluginError`], the
//! CapabilityStatement, and searchset paging that follows `link[next]`.

use crate::http::{self, HttpError};
use crate::{ErrorKind, PluginError};
use serde_json::Value;

/// A FHIR server reached through the host.
#[derive(Debug, Clone)]
pub struct FhirClient {
    base: String,
    requests: u32,
    /// Headers the platform requires on every request (replacing the default Accept).
    headers: Vec<(String, String)>,
}

impl FhirClient {
    /// A client for the FHIR base URL (a trailing slash is ignored).
    pub fn new(base: &str) -> Self {
        FhirClient {
            base: base.trim_end_matches('/').to_string(),
            requests: 0,
            headers: vec![("accept".into(), "application/fhir+json".into())],
        }
    }

    /// Send `name: value` on every request; an `Accept` replaces the default one.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.to_string()));
        self
    }

    /// The base URL without trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many requests this client has made.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The absolute URL of a path relative to the base (`Patient/1`, `metadata`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// GET an absolute URL and parse the FHIR JSON answer.
    pub fn get_json(&mut self, url: &str) -> Result<Value, PluginError> {
        self.requests += 1;
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let response = http::get(url, &headers).map_err(|e| http_error(url, e))?;
        check_status(url, &response)?;
        serde_json::from_slice(&response.body).map_err(|e| {
            PluginError::new(
                ErrorKind::Upstream,
                format!("GET {url}: response is not JSON: {e}"),
            )
        })
    }

    /// The server's CapabilityStatement (`GET [base]/metadata`).
    pub fn capabilities(&mut self) -> Result<Capabilities, PluginError> {
        let url = self.url("metadata");
        let statement = self.get_json(&url)?;
        if statement["resourceType"] != "CapabilityStatement" {
            return Err(PluginError::new(
                ErrorKind::Upstream,
                format!("GET {url}: expected a CapabilityStatement"),
            ));
        }
        Ok(Capabilities { statement })
    }

    /// Fetch the searchset page at `url`: its resources and the `next` link.
    pub fn page(&mut self, url: &str) -> Result<Page, PluginError> {
        let bundle = self.get_json(url)?;
        Page::from_bundle(url, bundle)
    }
}

/// One page of a searchset Bundle.
#[derive(Debug)]
pub struct Page {
    /// The matched and included resources (OperationOutcome entries left out).
    pub resources: Vec<Value>,
    /// The absolute URL of the next page, if any.
    pub next: Option<String>,
    /// All matches of the search, when the server counted them (`Bundle.total`).
    pub total: Option<u64>,
}

impl Page {
    /// Read a Bundle fetched from `url`.
    pub fn from_bundle(url: &str, mut bundle: Value) -> Result<Page, PluginError> {
        if bundle["resourceType"] != "Bundle" {
            return Err(PluginError::new(
                ErrorKind::Upstream,
                format!(
                    "GET {url}: expected a Bundle, got {}",
                    bundle["resourceType"]
                ),
            ));
        }
        let next = bundle["link"].as_array().and_then(|links| {
            links
                .iter()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str())
                .map(str::to_string)
        });
        let total = bundle["total"].as_u64();
        let entries = match bundle.get_mut("entry").map(Value::take) {
            Some(Value::Array(entries)) => entries,
            _ => Vec::new(),
        };
        let resources = entries
            .into_iter()
            .filter(|e| e["search"]["mode"] != "outcome")
            .filter_map(|mut e| e.get_mut("resource").map(Value::take))
            .filter(|r| r["resourceType"] != "OperationOutcome")
            .collect();
        Ok(Page {
            resources,
            next,
            total,
        })
    }
}

/// What a server says it supports.
#[derive(Debug)]
pub struct Capabilities {
    /// The CapabilityStatement as fetched.
    pub statement: Value,
}

impl Capabilities {
    /// The declared `fhirVersion` (for example `4.0.1`).
    pub fn fhir_version(&self) -> Option<&str> {
        self.statement["fhirVersion"].as_str()
    }

    fn server_resources(&self) -> impl Iterator<Item = &Value> {
        self.statement["rest"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["mode"] == "server")
            .flat_map(|r| r["resource"].as_array().into_iter().flatten())
    }

    /// Whether `Patient/[id]/$everything` is offered.
    pub fn supports_patient_everything(&self) -> bool {
        self.server_resources()
            .filter(|r| r["type"] == "Patient")
            .flat_map(|r| r["operation"].as_array().into_iter().flatten())
            .any(|op| {
                op["name"] == "everything"
                    || op["definition"]
                        .as_str()
                        .is_some_and(|d| d.ends_with("/Patient-everything"))
            })
    }

    /// Whether `resource_type` declares the search parameter `name` (e.g. `_lastUpdated`).
    pub fn supports_search_param(&self, resource_type: &str, name: &str) -> bool {
        self.server_resources()
            .filter(|r| r["type"] == resource_type)
            .flat_map(|r| r["searchParam"].as_array().into_iter().flatten())
            .any(|p| p["name"] == name)
    }

    /// Resource types that can be searched by `patient`, in the server's order.
    pub fn patient_searchable_types(&self) -> Vec<String> {
        self.server_resources()
            .filter(|r| {
                r["searchParam"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "patient")
            })
            .filter_map(|r| r["type"].as_str().map(str::to_string))
            .collect()
    }
}

fn http_error(url: &str, e: HttpError) -> PluginError {
    let kind = match e {
        HttpError::InvalidUrl(_) => ErrorKind::InvalidInput,
        HttpError::Denied(_) => ErrorKind::InvalidInput,
        HttpError::Failed(_) | HttpError::Body(_) => ErrorKind::Upstream,
    };
    PluginError::new(kind, format!("GET {url}: {e}"))
}

fn check_status(url: &str, response: &http::Response) -> Result<(), PluginError> {
    let status = response.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let (kind, hint) = match status {
        401 | 403 => (
            ErrorKind::Unauthorized,
            "the provider refused the credentials",
        ),
        404 => (ErrorKind::NotFound, "not found"),
        429 => (ErrorKind::RateLimited, "rate limited"),
        500..=599 => (ErrorKind::Upstream, "server error"),
        _ => (ErrorKind::Upstream, "unexpected status"),
    };
    let mut message = format!("GET {url}: HTTP {status} ({hint})");
    if let Some(after) = response.header("retry-after") {
        message.push_str(&format!("; retry after {after}"));
    }
    Err(PluginError::new(kind, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn page_reads_entries_and_next_link() {
        let bundle = json!({
            "resourceType": "Bundle", "type": "searchset",
            "link": [{"relation": "self", "url": "http://a/x"}, {"relation": "next", "url": "http://a/x?page=2"}],
            "entry": [
                {"resource": {"resourceType": "Patient", "id": "1"}, "search": {"mode": "match"}},
                {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}},
                {"fullUrl": "no-resource"}
            ]
        });
        let page = Page::from_bundle("http://a/x", bundle).unwrap();
        assert_eq!(page.resources.len(), 1);
        assert_eq!(page.resources[0]["id"], "1");
        assert_eq!(page.next.as_deref(), Some("http://a/x?page=2"));
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> http::Response {
        http::Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn statuses_map_to_error_kinds() {
        assert!(check_status("u", &response(200, &[])).is_ok());
        let e = check_status("u", &response(401, &[])).unwrap_err();
        assert_eq!((e.kind, e.retryable), (ErrorKind::Unauthorized, false));
        let e = check_status("u", &response(429, &[("retry-after", "30")])).unwrap_err();
        assert_eq!((e.kind, e.retryable), (ErrorKind::RateLimited, true));
        assert!(e.message.contains("retry after 30"), "{}", e.message);
        let e = check_status("u", &response(503, &[])).unwrap_err();
        assert_eq!((e.kind, e.retryable), (ErrorKind::Upstream, true));
        assert_eq!(
            check_status("u", &response(404, &[])).unwrap_err().kind,
            ErrorKind::NotFound
        );
    }

    #[test]
    fn page_rejects_non_bundles() {
        let err = Page::from_bundle("http://a/x", json!({"resourceType": "Patient"})).unwrap_err();
        assert!(err.message.contains("expected a Bundle"), "{}", err.message);
    }

    #[test]
    fn capabilities_detect_everything_and_patient_search() {
        let caps = Capabilities {
            statement: json!({
                "resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
                "rest": [{"mode": "server", "resource": [
                    {"type": "Patient", "operation": [{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}],
                     "searchParam": [{"name": "_id"}]},
                    {"type": "Observation", "searchParam": [{"name": "patient"}, {"name": "code"}]},
                    {"type": "Organization", "searchParam": [{"name": "name"}]}
                ]}]
            }),
        };
        assert!(caps.supports_patient_everything());
        assert_eq!(caps.patient_searchable_types(), vec!["Observation"]);
        assert_eq!(caps.fhir_version(), Some("4.0.1"));
    }
}
