//! The access matrix: every API route, tried by each kind of caller against
//! one family profile, must answer exactly the expected status. The table
//! must list every route the router has, so a new route without a row fails
//! this test.

mod common;

use common::{Host, PASSWORD, bearer_client, call};
use hearth_host::config::PluginLimits;
use hearth_sandbox::{SandboxData, SandboxOptions};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Anonymous,
    /// A member with no grant on the profile.
    Stranger,
    Viewer,
    Editor,
    Owner,
    /// An administrator with no grant on the profile.
    Admin,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::Stranger,
    Role::Viewer,
    Role::Editor,
    Role::Owner,
    Role::Admin,
];

impl Role {
    fn username(self) -> &'static str {
        match self {
            Role::Anonymous | Role::Stranger => "sam",
            Role::Viewer => "vera",
            Role::Editor => "eddie",
            Role::Owner => "olga",
            Role::Admin => "owner",
        }
    }
}

// Expected status per role, in the order of ROLES.
const PUBLIC_OK: [u16; 6] = [200; 6];
const SIGNED_IN: [u16; 6] = [401, 200, 200, 200, 200, 200];
const SIGNED_IN_201: [u16; 6] = [401, 201, 201, 201, 201, 201];
const SIGNED_IN_204: [u16; 6] = [401, 204, 204, 204, 204, 204];
const ADMIN: [u16; 6] = [401, 403, 403, 403, 403, 200];
const ADMIN_201: [u16; 6] = [401, 403, 403, 403, 403, 201];
const ADMIN_204: [u16; 6] = [401, 403, 403, 403, 403, 204];
const READ: [u16; 6] = [401, 404, 200, 200, 200, 404];
const EDIT: [u16; 6] = [401, 404, 403, 200, 200, 404];
const EDIT_201: [u16; 6] = [401, 404, 403, 201, 201, 404];
const EDIT_202: [u16; 6] = [401, 404, 403, 202, 202, 404];
const EDIT_204: [u16; 6] = [401, 404, 403, 204, 204, 404];
/// Allowed, and then refused for what the body says (a deterministic answer with no network).
const EDIT_422: [u16; 6] = [401, 404, 403, 422, 422, 404];
/// The callback carries no session: its single-use `state` is the credential.
const SEE_OTHER: [u16; 6] = [303; 6];
const READ_201: [u16; 6] = [401, 404, 201, 201, 201, 404];
const READ_204: [u16; 6] = [401, 404, 204, 204, 204, 404];
/// Allowed, and then refused because chat is off (no endpoint configured).
const READ_409: [u16; 6] = [401, 404, 409, 409, 409, 404];
const OWN: [u16; 6] = [401, 404, 403, 403, 200, 404];
const OWN_201: [u16; 6] = [401, 404, 403, 403, 201, 404];
const OWN_204: [u16; 6] = [401, 404, 403, 403, 204, 404];
/// The link is the credential; the account then used must not see the profile already.
const JOIN: [u16; 6] = [401, 200, 409, 409, 409, 200];

/// Every route with its expected statuses. TOTP setup comes last: confirm
/// turns two-factor sign-in on, disable turns it off again.
const MATRIX: &[(&str, &str, [u16; 6])] = &[
    ("GET", "/api/health", PUBLIC_OK),
    ("GET", "/api/openapi.json", PUBLIC_OK),
    ("GET", "/api/setup", PUBLIC_OK),
    ("POST", "/api/setup", [409; 6]),
    ("POST", "/api/auth/sign-in", PUBLIC_OK),
    ("POST", "/api/auth/sign-up", [403; 6]),
    ("POST", "/api/auth/refresh", PUBLIC_OK),
    ("POST", "/api/auth/sign-out", SIGNED_IN_204),
    ("GET", "/api/auth/sessions", SIGNED_IN),
    ("DELETE", "/api/auth/sessions/{session}", SIGNED_IN_204),
    ("GET", "/api/me", SIGNED_IN),
    ("POST", "/api/me/password", SIGNED_IN_204),
    ("GET", "/api/plugins", SIGNED_IN),
    ("GET", "/api/users", ADMIN),
    ("POST", "/api/users", ADMIN_201),
    ("GET", "/api/users/{user}", ADMIN),
    ("PATCH", "/api/users/{user}", ADMIN),
    ("POST", "/api/users/{user}/password", ADMIN_204),
    ("DELETE", "/api/users/{user}", ADMIN_204),
    ("GET", "/api/audit", ADMIN),
    ("POST", "/api/admin/catalog/reload", ADMIN),
    ("GET", "/api/admin/backup", ADMIN),
    ("GET", "/api/profiles", SIGNED_IN),
    ("GET", "/api/family", SIGNED_IN),
    ("POST", "/api/profiles", SIGNED_IN_201),
    ("GET", "/api/profiles/{profile}", READ),
    ("PATCH", "/api/profiles/{profile}", OWN),
    ("DELETE", "/api/profiles/{profile}", OWN),
    ("GET", "/api/profiles/{profile}/grants", OWN),
    ("POST", "/api/profiles/{profile}/grants", OWN_201),
    ("PUT", "/api/profiles/{profile}/grants/{user}", OWN),
    ("DELETE", "/api/profiles/{profile}/grants/{user}", OWN_204),
    ("POST", "/api/profiles/{profile}/transfer", OWN),
    ("POST", "/api/profiles/{profile}/invitations", OWN_201),
    ("GET", "/api/profiles/{profile}/invitations", OWN),
    (
        "DELETE",
        "/api/profiles/{profile}/invitations/{invitation}",
        OWN_204,
    ),
    ("GET", "/api/invitations/{token}", PUBLIC_OK),
    ("POST", "/api/invitations/{token}/accept", [201; 6]),
    ("POST", "/api/invitations/{token}/join", JOIN),
    ("GET", "/api/profiles/{profile}/sources", READ),
    ("POST", "/api/profiles/{profile}/sources", EDIT_201),
    ("GET", "/api/profiles/{profile}/sources/{source}", READ),
    ("DELETE", "/api/profiles/{profile}/sources/{source}", EDIT),
    (
        "POST",
        "/api/profiles/{profile}/sources/{source}/sync",
        EDIT,
    ),
    ("GET", "/api/profiles/{profile}/records", READ),
    ("GET", "/api/profiles/{profile}/records/{type}/{id}", READ),
    (
        "GET",
        "/api/profiles/{profile}/records/{type}/{id}/related",
        READ,
    ),
    (
        "GET",
        "/api/profiles/{profile}/records/{type}/{id}/provenance",
        READ,
    ),
    ("GET", "/api/profiles/{profile}/fhir/{type}", READ),
    ("GET", "/api/profiles/{profile}/timeline", READ),
    ("GET", "/api/profiles/{profile}/labs", READ),
    ("GET", "/api/profiles/{profile}/labs/series", READ),
    ("GET", "/api/profiles/{profile}/summary", READ),
    ("POST", "/api/profiles/{profile}/views/$run", READ),
    ("GET", "/api/profiles/{profile}/dashboards", READ),
    (
        "GET",
        "/api/profiles/{profile}/dashboards/{dashboard}",
        READ,
    ),
    (
        "PUT",
        "/api/profiles/{profile}/dashboards/{dashboard}",
        EDIT,
    ),
    (
        "PUT",
        "/api/profiles/{profile}/dashboards/{dashboard}/layout",
        EDIT,
    ),
    (
        "DELETE",
        "/api/profiles/{profile}/dashboards/{dashboard}",
        EDIT_204,
    ),
    (
        "POST",
        "/api/profiles/{profile}/dashboards/import",
        EDIT_201,
    ),
    ("GET", "/api/profiles/{profile}/recommendations", READ),
    (
        "PUT",
        "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
        EDIT,
    ),
    (
        "DELETE",
        "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
        EDIT_204,
    ),
    ("GET", "/api/chat", SIGNED_IN),
    ("GET", "/api/profiles/{profile}/conversations", READ),
    ("POST", "/api/profiles/{profile}/conversations", READ_201),
    (
        "GET",
        "/api/profiles/{profile}/conversations/{conversation}",
        READ,
    ),
    (
        "DELETE",
        "/api/profiles/{profile}/conversations/{conversation}",
        READ_204,
    ),
    // Before an endpoint is configured below: chat is off.
    (
        "POST",
        "/api/profiles/{profile}/conversations/{conversation}/messages",
        READ_409,
    ),
    ("GET", "/api/admin/chat", ADMIN),
    ("PUT", "/api/admin/chat", ADMIN),
    // Last, so chat is off again.
    ("DELETE", "/api/admin/chat", ADMIN_204),
    ("GET", "/api/profiles/{profile}/$immds-forecast", READ),
    ("POST", "/api/profiles/{profile}/$immds-forecast", READ),
    ("POST", "/api/profiles/{profile}/imports", EDIT_201),
    ("GET", "/api/profiles/{profile}/export", READ),
    ("GET", "/api/profiles/{profile}/export/ndjson/{type}", READ),
    ("POST", "/api/profiles/{profile}/manual/{type}", EDIT_201),
    ("PUT", "/api/profiles/{profile}/manual/{type}/{id}", EDIT),
    ("DELETE", "/api/profiles/{profile}/manual/{type}/{id}", EDIT),
    (
        "POST",
        "/api/profiles/{profile}/records/{type}/{id}/hide",
        EDIT_201,
    ),
    (
        "POST",
        "/api/profiles/{profile}/records/{type}/{id}/shown-copy",
        EDIT,
    ),
    ("GET", "/api/profiles/{profile}/removals", READ),
    (
        "POST",
        "/api/profiles/{profile}/removals/{removal}/undo",
        EDIT,
    ),
    ("GET", "/api/removals", SIGNED_IN),
    // Only those who owned the deleted person may bring them back.
    ("POST", "/api/removals/{removal}/undo", OWN),
    (
        "POST",
        "/api/profiles/{profile}/encounters/{id}/notes",
        EDIT_201,
    ),
    ("POST", "/api/profiles/{profile}/attachments", EDIT_201),
    ("GET", "/api/profiles/{profile}/attachments/{id}", READ),
    ("GET", "/api/catalog", SIGNED_IN),
    ("POST", "/api/profiles/{profile}/connect", EDIT_201),
    (
        "POST",
        "/api/profiles/{profile}/providers/discover",
        EDIT_422,
    ),
    ("GET", "/api/smart/callback", SEE_OTHER),
    (
        "POST",
        "/api/profiles/{profile}/sources/{source}/reconnect",
        EDIT_201,
    ),
    (
        "POST",
        "/api/profiles/{profile}/sources/{source}/disconnect",
        EDIT,
    ),
    (
        "POST",
        "/api/profiles/{profile}/sources/{source}/confirm-person",
        EDIT,
    ),
    ("GET", "/api/profiles/{profile}/jobs", READ),
    ("GET", "/api/profiles/{profile}/jobs/{job}", READ),
    ("POST", "/api/profiles/{profile}/jobs/{job}/cancel", EDIT),
    ("POST", "/api/profiles/{profile}/jobs/{job}/retry", EDIT_202),
    ("GET", "/api/profiles/{profile}/events", READ),
    ("POST", "/api/me/totp", SIGNED_IN),
    ("POST", "/api/me/totp/confirm", SIGNED_IN),
    ("POST", "/api/me/totp/disable", SIGNED_IN_204),
];

/// A tiny PDF for the attachment routes.
const PDF: &[u8] = b"%PDF-1.4 test";

/// The family the matrix runs against.
struct World {
    host: Host,
    /// Signed-in clients, by role (the anonymous one sends nothing).
    clients: Vec<(Role, reqwest::Client)>,
    profile: String,
    source: String,
    patient: String,
    fresh: AtomicUsize,
    _sandbox: hearth_sandbox::RunningSandbox,
    /// A provider that accepts connections and never answers: its syncs stay running until cancelled.
    black_hole: String,
}

impl World {
    fn client(&self, role: Role) -> &reqwest::Client {
        &self
            .clients
            .iter()
            .find(|(r, _)| *r == role)
            .expect("client")
            .1
    }

    fn unique(&self, stem: &str) -> String {
        format!("{stem}{}", self.fresh.fetch_add(1, Ordering::Relaxed))
    }

    /// As the profile's owner, `POST` to `rel` under the profile; the created record.
    async fn owner_creates(&self, rel: &str, body: &Value) -> Value {
        let (status, created) = call(
            self.client(Role::Owner),
            &self.host.base,
            Method::POST,
            &format!("/api/profiles/{}{rel}", self.profile),
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        created
    }

    /// As the owner, `PUT` `rel` under the profile; it must succeed.
    async fn owner_puts(&self, rel: &str, body: &Value) {
        let (status, answer) = call(
            self.client(Role::Owner),
            &self.host.base,
            Method::PUT,
            &format!("/api/profiles/{}{rel}", self.profile),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }

    /// A typed-in condition to edit or delete; its id.
    async fn manual_condition(&self) -> String {
        let c = self
            .owner_creates(
                "/manual/Condition",
                &json!({"resourceType": "Condition", "code": {"text": "Cough"}}),
            )
            .await;
        c["id"].as_str().expect("id").to_string()
    }

    /// As the owner, a dashboard imported from a Fasten file.
    async fn imported_dashboard(&self) -> String {
        let made = self
            .owner_creates("/dashboards/import", &fasten_file())
            .await;
        made["dashboard"]["id"].as_str().expect("id").to_string()
    }

    /// As the owner, a fresh invitation to the profile: (id, token).
    async fn fresh_invitation(&self) -> (String, String) {
        let made = self
            .owner_creates("/invitations", &json!({"role": "viewer"}))
            .await;
        (
            made["invitation"]["id"].as_str().expect("id").to_string(),
            made["token"].as_str().expect("token").to_string(),
        )
    }

    /// As the owner, a source connected from the catalog (through the auto-approving sandbox).
    async fn connected_source(&self) -> String {
        let body =
            common::connect_auto(self.client(Role::Owner), &self.host.base, &self.profile).await;
        body["source_id"].as_str().expect("source").to_string()
    }

    /// As the owner, a sync job that cannot finish by itself (its provider never answers).
    async fn stuck_job(&self) -> String {
        let source = self
            .owner_creates(
                "/sources",
                &json!({"fhir_base_url": self.black_hole, "patient_id": self.unique("p"), "access_token": "t"}),
            )
            .await;
        let (status, job) = call(
            self.client(Role::Owner),
            &self.host.base,
            Method::POST,
            &format!(
                "/api/profiles/{}/sources/{}/sync?wait=false",
                self.profile,
                source["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
        assert_eq!(status, 202, "{job}");
        job["id"].as_str().expect("job").to_string()
    }

    /// A conversation of `role`'s user about the profile, or, for those who
    /// cannot hold one there, the owner's (which they must not reach).
    async fn conversation_of(&self, role: Role) -> String {
        let path = format!("/api/profiles/{}/conversations", self.profile);
        let body = json!({});
        let (status, made) = call(
            self.client(role),
            &self.host.base,
            Method::POST,
            &path,
            Some(&body),
        )
        .await;
        let made = if status == 201 {
            made
        } else {
            self.owner_creates("/conversations", &body).await
        };
        made["id"].as_str().expect("conversation id").to_string()
    }

    /// A new member created by the administrator; returns their id.
    async fn new_member(&self) -> (String, String) {
        let name = self.unique("extra");
        let (status, user) = self
            .host
            .post(
                "/api/users",
                &json!({"username": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        (user["id"].as_str().expect("id").to_string(), name)
    }

    async fn id_of(&self, username: &str) -> String {
        let (_, users) = self.host.get("/api/users").await;
        users["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["username"] == username)
            .and_then(|u| u["id"].as_str())
            .expect("user id")
            .to_string()
    }

    /// A fresh session for `role`'s user: (access token, refresh token, session id).
    async fn fresh_session(&self, role: Role) -> (String, String, String) {
        let (status, s) = self.host.sign_in(role.username(), PASSWORD).await;
        assert_eq!(status, 200, "{s}");
        let get = |k: &str| s[k].as_str().expect(k).to_string();
        (get("access_token"), get("refresh_token"), get("session_id"))
    }

    /// A throwaway profile owned by olga with the same grants as the main one.
    async fn throwaway_profile(&self) -> String {
        let owner = self.client(Role::Owner);
        let base = &self.host.base;
        let (status, p) = call(
            owner,
            base,
            Method::POST,
            "/api/profiles",
            Some(&json!({"name": self.unique("Temp")})),
        )
        .await;
        assert_eq!(status, 201, "{p}");
        let id = p["id"].as_str().expect("id").to_string();
        for (user, role) in [("vera", "viewer"), ("eddie", "editor")] {
            let (status, g) = call(
                owner,
                base,
                Method::POST,
                &format!("/api/profiles/{id}/grants"),
                Some(&json!({"username": user, "role": role})),
            )
            .await;
            assert_eq!(status, 201, "{g}");
        }
        id
    }

    /// The concrete request for `route` by `role`: path, body, and a token
    /// to use instead of the role's usual one.
    async fn request(
        &self,
        method: &str,
        route: &str,
        role: Role,
    ) -> (String, Option<Value>, Option<String>) {
        let p = &self.profile;
        let none = (None, None);
        let (path, (body, token)): (String, (Option<Value>, Option<String>)) = match (method, route)
        {
            (
                "GET",
                "/api/health" | "/api/openapi.json" | "/api/setup" | "/api/auth/sessions"
                | "/api/me" | "/api/plugins" | "/api/users" | "/api/audit" | "/api/profiles"
                | "/api/family" | "/api/admin/backup",
            ) => (route.into(), none),
            ("POST", "/api/admin/catalog/reload") => (route.into(), none),
            ("GET" | "DELETE", "/api/chat" | "/api/admin/chat") => (route.into(), none),
            ("PUT", "/api/admin/chat") => (
                route.into(),
                (
                    // A port nothing listens on: configuring sends nothing.
                    Some(
                        json!({"adapter": "llm-openai", "endpoint": "http://127.0.0.1:9/v1", "model": "m"}),
                    ),
                    None,
                ),
            ),
            ("GET", "/api/profiles/{profile}/conversations") => {
                (format!("/api/profiles/{p}/conversations"), none)
            }
            ("POST", "/api/profiles/{profile}/conversations") => (
                format!("/api/profiles/{p}/conversations"),
                (Some(json!({"title": "Labs"})), None),
            ),
            ("GET" | "DELETE", "/api/profiles/{profile}/conversations/{conversation}") => (
                format!(
                    "/api/profiles/{p}/conversations/{}",
                    self.conversation_of(role).await
                ),
                none,
            ),
            ("POST", "/api/profiles/{profile}/conversations/{conversation}/messages") => (
                format!(
                    "/api/profiles/{p}/conversations/{}/messages",
                    self.conversation_of(role).await
                ),
                (Some(json!({"question": "What is my latest HbA1c?"})), None),
            ),
            ("POST", "/api/setup") => (
                route.into(),
                (
                    Some(json!({"username": self.unique("late"), "password": PASSWORD})),
                    None,
                ),
            ),
            ("POST", "/api/auth/sign-in") => (
                route.into(),
                (
                    Some(json!({"username": role.username(), "password": PASSWORD})),
                    None,
                ),
            ),
            ("POST", "/api/auth/sign-up") => (
                route.into(),
                (
                    Some(json!({"username": self.unique("new"), "password": PASSWORD})),
                    None,
                ),
            ),
            ("POST", "/api/auth/refresh") => {
                let (_, refresh, _) = self.fresh_session(role).await;
                (
                    route.into(),
                    (Some(json!({"refresh_token": refresh})), None),
                )
            }
            ("POST", "/api/auth/sign-out") => {
                let (access, _, _) = self.fresh_session(role).await;
                (route.into(), (None, Some(access)))
            }
            ("DELETE", "/api/auth/sessions/{session}") => {
                let (_, _, session) = self.fresh_session(role).await;
                (format!("/api/auth/sessions/{session}"), none)
            }
            ("POST", "/api/me/password") => (
                route.into(),
                (
                    Some(json!({"current_password": PASSWORD, "new_password": PASSWORD})),
                    None,
                ),
            ),
            ("POST", "/api/users") => (
                route.into(),
                (
                    Some(json!({"username": self.unique("made"), "password": PASSWORD})),
                    None,
                ),
            ),
            ("GET", "/api/users/{user}") => {
                (format!("/api/users/{}", self.id_of("sam").await), none)
            }
            ("PATCH", "/api/users/{user}") => (
                format!("/api/users/{}", self.id_of("sam").await),
                (Some(json!({"display_name": "Sam"})), None),
            ),
            ("POST", "/api/users/{user}/password") => {
                let (id, _) = self.new_member().await;
                (
                    format!("/api/users/{id}/password"),
                    (Some(json!({"new_password": "another fine password"})), None),
                )
            }
            ("DELETE", "/api/users/{user}") => {
                (format!("/api/users/{}", self.new_member().await.0), none)
            }
            ("POST", "/api/profiles") => (route.into(), (Some(json!({"name": "Someone"})), None)),
            ("GET", "/api/profiles/{profile}") => (format!("/api/profiles/{p}"), none),
            ("PATCH", "/api/profiles/{profile}") => (
                format!("/api/profiles/{p}"),
                (Some(json!({"name": "Family"})), None),
            ),
            ("POST", "/api/profiles/{profile}/invitations") => (
                format!("/api/profiles/{p}/invitations"),
                (Some(json!({"role": "editor", "name": "Grandma"})), None),
            ),
            ("GET", "/api/profiles/{profile}/invitations") => {
                (format!("/api/profiles/{p}/invitations"), none)
            }
            ("DELETE", "/api/profiles/{profile}/invitations/{invitation}") => (
                format!(
                    "/api/profiles/{p}/invitations/{}",
                    self.fresh_invitation().await.0
                ),
                none,
            ),
            ("GET", "/api/invitations/{token}") => (
                format!("/api/invitations/{}", self.fresh_invitation().await.1),
                none,
            ),
            ("POST", "/api/invitations/{token}/accept") => (
                format!(
                    "/api/invitations/{}/accept",
                    self.fresh_invitation().await.1
                ),
                (
                    Some(json!({"username": self.unique("invited"), "password": PASSWORD})),
                    None,
                ),
            ),
            ("POST", "/api/invitations/{token}/join") => {
                // To a profile of its own: a stranger joining must not see the main one.
                let other = self.throwaway_profile().await;
                let (status, made) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::POST,
                    &format!("/api/profiles/{other}/invitations"),
                    Some(&json!({"role": "viewer"})),
                )
                .await;
                assert_eq!(status, 201, "{made}");
                (
                    format!(
                        "/api/invitations/{}/join",
                        made["token"].as_str().expect("token")
                    ),
                    none,
                )
            }
            ("DELETE", "/api/profiles/{profile}/sources/{source}") => {
                // A fresh upload each time: a removal cannot be repeated.
                let source = self
                    .owner_creates(
                        "/sources",
                        &json!({"fhir_base_url": self.black_hole, "patient_id": self.unique("p"), "access_token": "t"}),
                    )
                    .await;
                (
                    format!(
                        "/api/profiles/{p}/sources/{}",
                        source["id"].as_str().expect("id")
                    ),
                    none,
                )
            }
            ("DELETE", "/api/profiles/{profile}") => (
                format!("/api/profiles/{}", self.throwaway_profile().await),
                none,
            ),
            ("GET", "/api/profiles/{profile}/grants") => {
                (format!("/api/profiles/{p}/grants"), none)
            }
            ("POST", "/api/profiles/{profile}/grants") => {
                let (_, name) = self.new_member().await;
                (
                    format!("/api/profiles/{p}/grants"),
                    (Some(json!({"username": name, "role": "viewer"})), None),
                )
            }
            ("PUT", "/api/profiles/{profile}/grants/{user}") => (
                format!("/api/profiles/{p}/grants/{}", self.id_of("vera").await),
                (Some(json!({"role": "viewer"})), None),
            ),
            ("DELETE", "/api/profiles/{profile}/grants/{user}") => {
                let (id, name) = self.new_member().await;
                let (status, g) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::POST,
                    &format!("/api/profiles/{p}/grants"),
                    Some(&json!({"username": name, "role": "viewer"})),
                )
                .await;
                assert_eq!(status, 201, "{g}");
                (format!("/api/profiles/{p}/grants/{id}"), none)
            }
            ("POST", "/api/profiles/{profile}/transfer") => (
                format!("/api/profiles/{}/transfer", self.throwaway_profile().await),
                (Some(json!({"username": "sam", "keep": "viewer"})), None),
            ),
            ("GET", "/api/profiles/{profile}/sources") => {
                (format!("/api/profiles/{p}/sources"), none)
            }
            ("POST", "/api/profiles/{profile}/sources") => (
                format!("/api/profiles/{p}/sources"),
                (
                    Some(
                        json!({"fhir_base_url": "https://ehr.example.org/fhir", "patient_id": "p1", "access_token": "t"}),
                    ),
                    None,
                ),
            ),
            ("GET", "/api/profiles/{profile}/sources/{source}") => {
                (format!("/api/profiles/{p}/sources/{}", self.source), none)
            }
            ("POST", "/api/profiles/{profile}/sources/{source}/sync") => (
                format!("/api/profiles/{p}/sources/{}/sync", self.source),
                none,
            ),
            ("GET", "/api/profiles/{profile}/records") => {
                (format!("/api/profiles/{p}/records"), none)
            }
            ("GET", "/api/profiles/{profile}/records/{type}/{id}") => (
                format!("/api/profiles/{p}/records/Patient/{}", self.patient),
                none,
            ),
            ("GET", "/api/profiles/{profile}/records/{type}/{id}/related") => (
                format!("/api/profiles/{p}/records/Patient/{}/related", self.patient),
                none,
            ),
            ("GET", "/api/profiles/{profile}/records/{type}/{id}/provenance") => (
                format!(
                    "/api/profiles/{p}/records/Patient/{}/provenance",
                    self.patient
                ),
                none,
            ),
            ("GET", "/api/profiles/{profile}/fhir/{type}") => {
                (format!("/api/profiles/{p}/fhir/Observation?_count=5"), none)
            }
            ("GET", "/api/profiles/{profile}/timeline") => {
                (format!("/api/profiles/{p}/timeline?limit=5"), none)
            }
            ("GET", "/api/profiles/{profile}/labs") => (format!("/api/profiles/{p}/labs"), none),
            ("GET", "/api/profiles/{profile}/summary") => {
                (format!("/api/profiles/{p}/summary"), none)
            }
            ("GET", "/api/profiles/{profile}/dashboards") => {
                (format!("/api/profiles/{p}/dashboards"), none)
            }
            ("GET", "/api/profiles/{profile}/dashboards/{dashboard}") => (
                format!("/api/profiles/{p}/dashboards/diabetes?as_of=2026-12-05"),
                none,
            ),
            ("PUT", "/api/profiles/{profile}/dashboards/{dashboard}") => (
                format!("/api/profiles/{p}/dashboards/diabetes"),
                (Some(json!({"choice": "shown"})), None),
            ),
            ("PUT", "/api/profiles/{profile}/dashboards/{dashboard}/layout") => (
                format!("/api/profiles/{p}/dashboards/diabetes/layout"),
                (
                    Some(json!({"cards": [{"key": "a1c-latest", "x": 0, "y": 0, "w": 4, "h": 2}]})),
                    None,
                ),
            ),
            ("DELETE", "/api/profiles/{profile}/dashboards/{dashboard}") => (
                format!(
                    "/api/profiles/{p}/dashboards/{}",
                    self.imported_dashboard().await
                ),
                none,
            ),
            ("POST", "/api/profiles/{profile}/dashboards/import") => (
                format!("/api/profiles/{p}/dashboards/import"),
                (Some(fasten_file()), None),
            ),
            ("GET", "/api/profiles/{profile}/recommendations") => (
                format!("/api/profiles/{p}/recommendations?as_of=2026-12-05"),
                none,
            ),
            ("PUT", "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal") => (
                format!(
                    "/api/profiles/{p}/recommendations/immunizations/immunization-hepb/dismissal"
                ),
                (Some(json!({"reason": "given elsewhere"})), None),
            ),
            ("DELETE", "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal") => {
                // Something set aside to bring back, for every caller.
                self.owner_puts(
                    "/recommendations/immunizations/immunization-hepa/dismissal",
                    &json!({"reason": "given elsewhere"}),
                )
                .await;
                (
                    format!(
                        "/api/profiles/{p}/recommendations/immunizations/immunization-hepa/dismissal"
                    ),
                    none,
                )
            }
            ("GET", "/api/profiles/{profile}/$immds-forecast") => (
                format!("/api/profiles/{p}/$immds-forecast?assessmentDate=2026-12-05"),
                none,
            ),
            ("POST", "/api/profiles/{profile}/$immds-forecast") => (
                format!("/api/profiles/{p}/$immds-forecast"),
                (
                    Some(json!({"resourceType": "Parameters",
                        "parameter": [{"name": "assessmentDate", "valueDate": "2026-12-05"}]})),
                    None,
                ),
            ),
            ("POST", "/api/profiles/{profile}/views/$run") => (
                format!("/api/profiles/{p}/views/$run"),
                (
                    Some(json!({"view": {"resource": "Patient",
                        "select": [{"column": [{"name": "id", "path": "id"}]}]}})),
                    None,
                ),
            ),
            ("GET", "/api/profiles/{profile}/labs/series") => {
                (format!("/api/profiles/{p}/labs/series?code=8867-4"), none)
            }
            ("POST", "/api/me/totp" | "/api/me/totp/disable") => {
                (route.into(), (Some(json!({"password": PASSWORD})), None))
            }
            ("POST", "/api/me/totp/confirm") => {
                // A real code for the secret this user was just given.
                let (status, setup) = call(
                    self.client(role),
                    &self.host.base,
                    Method::POST,
                    "/api/me/totp",
                    Some(&json!({"password": PASSWORD})),
                )
                .await;
                let code = if status == 200 {
                    let secret = setup["secret"].as_str().expect("secret");
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock")
                        .as_secs();
                    hearth_host::auth::totp::code_at(secret, now).expect("code")
                } else {
                    "000000".into()
                };
                (route.into(), (Some(json!({"code": code})), None))
            }
            ("POST", "/api/profiles/{profile}/imports") => (
                format!("/api/profiles/{p}/imports"),
                (
                    Some(json!({"resourceType": "Bundle", "type": "collection",
                        "entry": [{"resource": {"resourceType": "Basic", "id": self.unique("b")}}]})),
                    None,
                ),
            ),
            ("GET", "/api/profiles/{profile}/export") => {
                (format!("/api/profiles/{p}/export?format=ndjson"), none)
            }
            ("GET", "/api/profiles/{profile}/export/ndjson/{type}") => {
                (format!("/api/profiles/{p}/export/ndjson/Observation"), none)
            }
            ("POST", "/api/profiles/{profile}/manual/{type}") => (
                format!("/api/profiles/{p}/manual/Condition"),
                (
                    Some(json!({"resourceType": "Condition", "code": {"text": "Cough"}})),
                    None,
                ),
            ),
            ("PUT", "/api/profiles/{profile}/manual/{type}/{id}") => (
                format!(
                    "/api/profiles/{p}/manual/Condition/{}",
                    self.manual_condition().await
                ),
                (
                    Some(json!({"resourceType": "Condition", "code": {"text": "Dry cough"}})),
                    None,
                ),
            ),
            ("DELETE", "/api/profiles/{profile}/manual/{type}/{id}") => (
                format!(
                    "/api/profiles/{p}/manual/Condition/{}",
                    self.manual_condition().await
                ),
                none,
            ),
            ("POST", "/api/profiles/{profile}/records/{type}/{id}/hide") => (
                format!(
                    "/api/profiles/{p}/records/Condition/{}/hide",
                    self.manual_condition().await
                ),
                none,
            ),
            ("POST", "/api/profiles/{profile}/records/{type}/{id}/shown-copy") => {
                // Choosing the copy already shown: allowed, and changes nothing.
                let id = self.manual_condition().await;
                let (status, copies) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::GET,
                    &format!("/api/profiles/{p}/records/Condition/{id}/provenance"),
                    None,
                )
                .await;
                assert_eq!(status, 200, "{copies}");
                let source = copies["copies"][0]["source_id"].clone();
                (
                    format!("/api/profiles/{p}/records/Condition/{id}/shown-copy"),
                    (Some(json!({"source_id": source, "id": id})), None),
                )
            }
            ("POST", "/api/profiles/{profile}/removals/{removal}/undo") => {
                let id = self.manual_condition().await;
                let hidden = self
                    .owner_creates(&format!("/records/Condition/{id}/hide"), &json!(null))
                    .await;
                (
                    format!(
                        "/api/profiles/{p}/removals/{}/undo",
                        hidden["id"].as_str().expect("id")
                    ),
                    none,
                )
            }
            ("POST", "/api/removals/{removal}/undo") => {
                let gone = self.throwaway_profile().await;
                let (status, removal) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::DELETE,
                    &format!("/api/profiles/{gone}"),
                    None,
                )
                .await;
                assert_eq!(status, 200, "{removal}");
                (
                    format!("/api/removals/{}/undo", removal["id"].as_str().expect("id")),
                    none,
                )
            }
            ("POST", "/api/profiles/{profile}/encounters/{id}/notes") => {
                let e = self
                    .owner_creates("/manual/Encounter", &json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}))
                    .await;
                (
                    format!(
                        "/api/profiles/{p}/encounters/{}/notes",
                        e["id"].as_str().expect("id")
                    ),
                    (Some(json!({"text": "Better."})), None),
                )
            }
            // Sent as raw PDF bytes (see `send`).
            ("POST", "/api/profiles/{profile}/attachments") => {
                (format!("/api/profiles/{p}/attachments?title=Letter"), none)
            }
            ("GET", "/api/profiles/{profile}/attachments/{id}") => {
                let r = self
                    .client(Role::Owner)
                    .post(format!(
                        "{}/api/profiles/{p}/attachments?title=Scan",
                        self.host.base
                    ))
                    .header("content-type", "application/pdf")
                    .body(PDF)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 201);
                let doc: Value = r.json().await.expect("json");
                let binary = doc["content"][0]["attachment"]["url"]
                    .as_str()
                    .expect("url");
                (
                    format!(
                        "/api/profiles/{p}/attachments/{}",
                        binary.trim_start_matches("Binary/")
                    ),
                    none,
                )
            }
            ("GET", "/api/catalog") => ("/api/catalog?q=hearth+sandbox".into(), none),
            ("POST", "/api/profiles/{profile}/connect") => (
                format!("/api/profiles/{p}/connect"),
                (Some(json!({"endpoint_id": "hearth-sandbox-r4"})), None),
            ),
            ("POST", "/api/profiles/{profile}/providers/discover") => (
                format!("/api/profiles/{p}/providers/discover"),
                (Some(json!({"url": "ftp://fhir.example.org/r4"})), None),
            ),
            ("GET", "/api/smart/callback") => {
                let authorize = common::start_connect(
                    self.client(Role::Owner),
                    &self.host.base,
                    p,
                    "hearth-sandbox-r4",
                )
                .await;
                let r = common::no_redirects()
                    .get(&authorize)
                    .send()
                    .await
                    .expect("authorize");
                let location = r.headers()["location"].to_str().expect("location");
                let url = url::Url::parse(location).expect("callback url");
                (
                    format!("{}?{}", url.path(), url.query().unwrap_or_default()),
                    none,
                )
            }
            ("POST", "/api/profiles/{profile}/sources/{source}/reconnect") => {
                let source = self.connected_source().await;
                (
                    format!("/api/profiles/{p}/sources/{source}/reconnect"),
                    none,
                )
            }
            ("POST", "/api/profiles/{profile}/sources/{source}/confirm-person") => {
                // A fresh connection held for confirmation: the sandbox's patient is not "Temp".
                let (status, held) = common::connect_approved_raw(
                    self.client(Role::Owner),
                    &self.host.base,
                    &self.profile,
                    "hearth-sandbox-r4",
                    None,
                )
                .await;
                assert_eq!(status, 303, "{held}");
                assert!(held["job"].is_null(), "held: {held}");
                (
                    format!(
                        "/api/profiles/{p}/sources/{}/confirm-person",
                        held["source_id"].as_str().expect("source")
                    ),
                    none,
                )
            }
            ("POST", "/api/profiles/{profile}/sources/{source}/disconnect") => {
                let source = self.connected_source().await;
                (
                    format!("/api/profiles/{p}/sources/{source}/disconnect"),
                    none,
                )
            }
            ("GET", "/api/profiles/{profile}/jobs") => (format!("/api/profiles/{p}/jobs"), none),
            ("GET", "/api/profiles/{profile}/jobs/{job}") => {
                let (_, jobs) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::GET,
                    &format!("/api/profiles/{p}/jobs"),
                    None,
                )
                .await;
                let job = jobs["jobs"][0]["id"].as_str().expect("a job").to_string();
                (format!("/api/profiles/{p}/jobs/{job}"), none)
            }
            ("POST", "/api/profiles/{profile}/jobs/{job}/cancel") => {
                let job = self.stuck_job().await;
                (format!("/api/profiles/{p}/jobs/{job}/cancel"), none)
            }
            ("POST", "/api/profiles/{profile}/jobs/{job}/retry") => {
                let job = self.stuck_job().await;
                let (status, cancelled) = call(
                    self.client(Role::Owner),
                    &self.host.base,
                    Method::POST,
                    &format!("/api/profiles/{p}/jobs/{job}/cancel"),
                    None,
                )
                .await;
                assert_eq!(status, 200, "{cancelled}");
                (format!("/api/profiles/{p}/jobs/{job}/retry"), none)
            }
            ("GET", "/api/profiles/{profile}/removals") => {
                (format!("/api/profiles/{p}/removals"), none)
            }
            ("GET", "/api/removals") => (route.into(), none),
            ("GET", "/api/profiles/{profile}/events") => {
                (format!("/api/profiles/{p}/events"), none)
            }
            other => panic!("{other:?} has no request in the access matrix: add one"),
        };
        (path, body, token)
    }
}

async fn world() -> World {
    let data = SandboxData::generated(7, 1, 40);
    let patient = data.patients()[0].0.clone();
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    let token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let black_hole = format!("http://{}/fhir", hole.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            held.push(socket);
        }
    });
    for name in ["sam", "vera", "eddie", "olga"] {
        host.member(name).await;
    }
    let mut clients = vec![
        (Role::Anonymous, reqwest::Client::new()),
        (Role::Admin, host.client.clone()),
    ];
    for role in [Role::Stranger, Role::Viewer, Role::Editor, Role::Owner] {
        let (status, s) = host.sign_in(role.username(), PASSWORD).await;
        assert_eq!(status, 200, "{s}");
        clients.push((
            role,
            bearer_client(s["access_token"].as_str().expect("token")),
        ));
    }
    let mut w = World {
        host,
        clients,
        profile: String::new(),
        source: String::new(),
        patient,
        fresh: AtomicUsize::new(0),
        _sandbox: sandbox,
        black_hole,
    };
    w.profile = w.throwaway_profile().await;
    let (status, source) = call(
        w.client(Role::Owner),
        &w.host.base,
        Method::POST,
        &format!("/api/profiles/{}/sources", w.profile),
        Some(&json!({"fhir_base_url": w._sandbox.base_url, "patient_id": w.patient, "access_token": token})),
    )
    .await;
    assert_eq!(status, 201, "{source}");
    w.source = source["id"].as_str().expect("id").to_string();
    let (status, synced) = call(
        w.client(Role::Owner),
        &w.host.base,
        Method::POST,
        &format!("/api/profiles/{}/sources/{}/sync", w.profile, w.source),
        None,
    )
    .await;
    assert_eq!(status, 200, "{synced}");
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_role_exactly_as_expected() {
    // The table covers exactly the routes the router has.
    let routes: BTreeSet<(String, String)> = hearth_host::api::route_list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let table: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&table).collect();
    let stale: Vec<_> = table.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the access matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );
    assert_eq!(table.len(), MATRIX.len(), "a route is listed twice");

    let w = world().await;
    let mut failures = Vec::new();
    for (method, route, expected) in MATRIX {
        for (role, want) in ROLES.iter().zip(expected) {
            let (path, body, token) = w.request(method, route, *role).await;
            let client = match (&token, role) {
                (_, Role::Anonymous) => w.client(Role::Anonymous).clone(),
                (Some(t), _) => bearer_client(t),
                (None, _) => w.client(*role).clone(),
            };
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            let (status, answer) = if *route == "/api/smart/callback" {
                let r = common::no_redirects()
                    .get(format!("{}{path}", w.host.base))
                    .send()
                    .await
                    .expect("request");
                (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
            } else if *route == "/api/profiles/{profile}/events" {
                // An event stream never ends: the status is the answer.
                let r = client
                    .get(format!("{}{path}", w.host.base))
                    .send()
                    .await
                    .expect("request");
                (r.status().as_u16(), Value::Null)
            } else if *route == "/api/profiles/{profile}/attachments" {
                let r = client
                    .post(format!("{}{path}", w.host.base))
                    .header("content-type", "application/pdf")
                    .body(PDF)
                    .send()
                    .await
                    .expect("request");
                (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
            } else {
                call(&client, &w.host.base, m, &path, body.as_ref()).await
            };
            if status != *want {
                failures.push(format!(
                    "{method} {route} as {role:?}: {status}, expected {want} — {answer}"
                ));
            }
        }
    }
    // The family view lists only the people one looks after.
    for (role, sees) in [
        (Role::Stranger, false),
        (Role::Viewer, true),
        (Role::Owner, true),
    ] {
        let (status, family) = call(
            w.client(role),
            &w.host.base,
            Method::GET,
            "/api/family",
            None,
        )
        .await;
        assert_eq!(status, 200, "{family}");
        let listed = family["people"]
            .as_array()
            .expect("people")
            .iter()
            .any(|p| p["profile"]["id"] == w.profile.as_str());
        if listed != sees {
            failures.push(format!(
                "GET /api/family as {role:?} lists the profile: {listed}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A small Fasten dashboard file: one table of visits.
fn fasten_file() -> Value {
    json!({"title": "Visits", "widgets": [{"item_type": "table-widget", "title_text": "Visits",
        "queries": [{"q": {"select": ["period.start as date"], "from": "Encounter", "where": {}}}],
        "parsing": {"Date": "date"}}]})
}
