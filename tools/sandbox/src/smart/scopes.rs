//! SMART scopes: which the sandbox grants, what they let a token read, and how
//! the consent page puts them in words.

use hearth_dstu3::is_type_name;

/// What a FHIR request does with a resource type, for scope checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `GET [type]/[id]`.
    Read,
    /// `GET [type]?...`.
    Search,
}

/// One `patient/` or `user/` scope.
#[derive(Debug, Clone)]
struct ResourceScope {
    /// The type (`None`: `*`).
    ty: Option<String>,
    read: bool,
    search: bool,
}

/// Granted scopes: their text and what they let a token read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scopes {
    pub(super) granted: Vec<String>,
    resources: Vec<ResourceScope>,
}

/// What one scope means here.
enum ScopeKind {
    Resource(ResourceScope),
    /// Granted, with no effect on FHIR access (`launch/patient`, `offline_access`, ...).
    Plain,
    /// Asked for but not granted: identity scopes need OpenID Connect, which the sandbox lacks.
    NotOffered,
}

fn parse_scope(scope: &str) -> Result<ScopeKind, String> {
    match scope {
        "launch/patient" | "offline_access" | "online_access" => return Ok(ScopeKind::Plain),
        "openid" | "fhirUser" | "profile" => return Ok(ScopeKind::NotOffered),
        "launch" => {
            return Err(
                "scope launch is for EHR launch; the sandbox offers standalone launch".into(),
            );
        }
        _ => {}
    }
    let unknown = || format!("scope {scope} is not supported");
    let (level, rest) = scope.split_once('/').ok_or_else(unknown)?;
    match level {
        "patient" | "user" => {}
        "system" => {
            return Err(
                "system/ scopes are for backend services, which the sandbox does not offer".into(),
            );
        }
        _ => return Err(unknown()),
    }
    if rest.contains('?') {
        return Err(format!(
            "scope {scope}: granular scopes (with ?) are not supported"
        ));
    }
    let (ty, permission) = rest.split_once('.').ok_or_else(unknown)?;
    let ty = match ty {
        "*" => None,
        t if is_type_name(t) => Some(t.to_string()),
        _ => return Err(unknown()),
    };
    let (read, search) = match permission {
        "read" | "*" => (true, true),
        "write" => (false, false),
        v2 => {
            // SMART v2: some of c, r, u, d, s, in that order, each at most once.
            let mut last = None;
            for c in v2.chars() {
                let at = "cruds".find(c).ok_or_else(unknown)?;
                if last.is_some_and(|l| at <= l) {
                    return Err(unknown());
                }
                last = Some(at);
            }
            if last.is_none() {
                return Err(unknown());
            }
            (v2.contains('r'), v2.contains('s'))
        }
    };
    Ok(ScopeKind::Resource(ResourceScope { ty, read, search }))
}

impl Scopes {
    /// Parse a `scope` parameter: the granted scopes and those asked for but not offered,
    /// or why the request is `invalid_scope`.
    pub(super) fn parse(text: &str) -> Result<(Scopes, Vec<String>), String> {
        let mut scopes = Scopes::default();
        let mut not_offered = Vec::new();
        for scope in text.split(' ').filter(|s| !s.is_empty()) {
            if scopes.granted.iter().any(|g| g == scope) {
                continue;
            }
            match parse_scope(scope)? {
                ScopeKind::Resource(r) => {
                    scopes.resources.push(r);
                    scopes.granted.push(scope.to_string());
                }
                ScopeKind::Plain => scopes.granted.push(scope.to_string()),
                ScopeKind::NotOffered => not_offered.push(scope.to_string()),
            }
        }
        if scopes.granted.is_empty() {
            return Err("no scope the sandbox can grant was asked for".into());
        }
        Ok((scopes, not_offered))
    }

    /// Whether these scopes let a token do `action` on `ty`.
    pub(crate) fn permits(&self, ty: &str, action: Action) -> bool {
        self.resources.iter().any(|r| {
            r.ty.as_deref().is_none_or(|t| t == ty)
                && match action {
                    Action::Read => r.read,
                    Action::Search => r.search,
                }
        })
    }

    /// Whether these scopes cover `Patient/$everything` (every type: a wildcard read).
    pub(crate) fn permits_everything(&self) -> bool {
        self.resources.iter().any(|r| r.ty.is_none() && r.read)
    }

    pub(super) fn text(&self) -> String {
        self.granted.join(" ")
    }

    /// Whether a refresh token comes with the access token.
    pub(super) fn refreshable(&self) -> bool {
        self.granted
            .iter()
            .any(|s| s == "offline_access" || s == "online_access")
    }
}

/// One scope in words, for the consent page.
pub(super) fn describe(scope: &str) -> String {
    match scope {
        "launch/patient" => return "Know which patient's record you chose".into(),
        "offline_access" => {
            return "Keep access after you close the app, until you revoke it".into();
        }
        "online_access" => return "Keep access while you stay signed in".into(),
        _ => {}
    }
    let Some((_, rest)) = scope.split_once('/') else {
        return scope.to_string();
    };
    let Some((ty, permission)) = rest.split_once('.') else {
        return scope.to_string();
    };
    let verbs: Vec<&str> = match permission {
        "read" => vec!["read", "search"],
        "write" => vec!["create", "change", "delete"],
        "*" => vec!["read", "search", "create", "change", "delete"],
        v2 => v2
            .chars()
            .filter_map(|c| match c {
                'c' => Some("create"),
                'r' => Some("read"),
                'u' => Some("change"),
                'd' => Some("delete"),
                's' => Some("search"),
                _ => None,
            })
            .collect(),
    };
    let verbs = match verbs.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => return scope.to_string(),
    };
    let mut verbs = verbs.chars();
    let verbs = verbs
        .next()
        .map(|c| c.to_uppercase().chain(verbs).collect::<String>())
        .unwrap_or_default();
    if ty == "*" {
        format!("{verbs} all of the patient's records")
    } else {
        format!("{verbs} the patient's {ty} records")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_v1_and_v2_and_refuse_the_rest() {
        let (s, not_offered) = Scopes::parse(
            "openid fhirUser launch/patient patient/Observation.rs user/Condition.read",
        )
        .unwrap();
        assert_eq!(
            s.text(),
            "launch/patient patient/Observation.rs user/Condition.read"
        );
        assert_eq!(not_offered, ["openid", "fhirUser"]);
        assert!(s.permits("Observation", Action::Read));
        assert!(s.permits("Observation", Action::Search));
        assert!(s.permits("Condition", Action::Search));
        assert!(!s.permits("Encounter", Action::Read));
        assert!(!s.permits_everything());
        assert!(!s.refreshable());
        let (r, _) = Scopes::parse("patient/Observation.r patient/*.s").unwrap();
        assert!(r.permits("Observation", Action::Read));
        assert!(!r.permits("Condition", Action::Read));
        assert!(r.permits("Condition", Action::Search));
        for bad in [
            "system/*.read",
            "launch",
            "patient/Observation.rs?category=laboratory",
            "patient/Observation.sr",
            "patient/Observation.rr",
            "patient/observation.read",
            "patient/Observation.",
            "banana",
            "openid",
        ] {
            assert!(Scopes::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_read_as_words() {
        assert_eq!(
            describe("patient/*.rs"),
            "Read and search all of the patient's records"
        );
        assert_eq!(
            describe("patient/Observation.cruds"),
            "Create, read, change, delete and search the patient's Observation records"
        );
        assert_eq!(
            describe("user/Condition.read"),
            "Read and search the patient's Condition records"
        );
    }
}
