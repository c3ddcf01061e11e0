//! Accounts and sessions over a real running host: setup, sign-in, refresh
//! rotation and reuse, sign-out, cookies with CSRF, TOTP, throttling, users,
//! grants, the audit log and token tampering.

mod common;

use common::{Host, PASSWORD, bare_host, bearer_client, call};
use hearth_host::config::PluginLimits;
use reqwest::Method;
use serde_json::{Value, json};

fn kind(body: &Value) -> &str {
    body["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("urn:hearth:problem:"))
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_happens_once_and_everything_else_needs_sign_in() {
    let (_running, base, _data) = bare_host(|_| {}).await;
    let anon = reqwest::Client::new();
    let (status, body) = call(&anon, &base, Method::GET, "/api/setup", None).await;
    assert_eq!((status, body["setup_needed"].as_bool()), (200, Some(true)));
    for path in ["/api/me", "/api/profiles", "/api/plugins", "/api/users"] {
        let (status, body) = call(&anon, &base, Method::GET, path, None).await;
        assert_eq!((status, kind(&body)), (401, "unauthenticated"), "{path}");
    }
    // A weak password is refused and setup stays open.
    let (status, body) = call(
        &anon,
        &base,
        Method::POST,
        "/api/setup",
        Some(&json!({"username": "mum", "password": "password1234"})),
    )
    .await;
    assert_eq!((status, kind(&body)), (422, "weak-password"), "{body}");
    // Two setups racing: exactly one wins.
    let attempt = |name: &'static str| {
        let (anon, base) = (anon.clone(), base.clone());
        tokio::spawn(async move {
            call(
                &anon,
                &base,
                Method::POST,
                "/api/setup",
                Some(&json!({"username": name, "password": PASSWORD, "profile_name": "Home"})),
            )
            .await
        })
    };
    let (a, b) = (attempt("mum"), attempt("dad"));
    let mut results = [a.await.unwrap(), b.await.unwrap()];
    results.sort_by_key(|r| r.0);
    assert_eq!(results[0].0, 201, "{:?}", results[0].1);
    assert_eq!(
        (results[1].0, kind(&results[1].1)),
        (409, "already-set-up"),
        "{:?}",
        results[1].1
    );
    let session = &results[0].1;
    assert_eq!(session["user"]["role"], "admin");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    let (_, body) = call(&anon, &base, Method::GET, "/api/setup", None).await;
    assert_eq!(body["setup_needed"], false);
    let client = bearer_client(session["access_token"].as_str().unwrap());
    let (status, me) = call(&client, &base, Method::GET, "/api/me", None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["profiles"].as_array().map(Vec::len), Some(1));
    assert_eq!(me["profiles"][0]["name"], "Home");
    assert_eq!(me["profiles"][0]["role"], "owner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_revokes_the_whole_session() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (status, first) = host.sign_in("owner", PASSWORD).await;
    assert_eq!(status, 200, "{first}");
    let refresh = |token: &str| {
        host.anon
            .post(format!("{}/api/auth/refresh", host.base))
            .json(&json!({"refresh_token": token}))
            .send()
    };
    let r = refresh(first["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["session_id"], first["session_id"]);
    let access = bearer_client(second["access_token"].as_str().unwrap());
    assert_eq!(
        call(&access, &host.base, Method::GET, "/api/me", None)
            .await
            .0,
        200
    );
    // The first refresh token again: theft. The session and all its tokens die.
    let r = refresh(first["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = refresh(second["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the successor is revoked too");
    let (status, body) = call(&access, &host.base, Method::GET, "/api/me", None).await;
    assert_eq!((status, kind(&body)), (401, "unauthenticated"));
    // Other sessions of the same user are untouched.
    assert_eq!(host.get("/api/me").await.0, 200);
    // A made-up refresh token and a malformed body.
    assert_eq!(refresh("0123").await.unwrap().status(), 401);
    let r = host
        .anon
        .post(format!("{}/api/auth/refresh", host.base))
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_and_sessions_can_be_listed_and_revoked() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (_, a) = host.sign_in("owner", PASSWORD).await;
    let (_, b) = host.sign_in("owner", PASSWORD).await;
    let a_client = bearer_client(a["access_token"].as_str().unwrap());
    let (status, list) = call(
        &a_client,
        &host.base,
        Method::GET,
        "/api/auth/sessions",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "setup's session plus two: {list}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], a["session_id"]);
    // A revokes B.
    let path = format!("/api/auth/sessions/{}", b["session_id"].as_str().unwrap());
    assert_eq!(
        call(&a_client, &host.base, Method::DELETE, &path, None)
            .await
            .0,
        204
    );
    let b_client = bearer_client(b["access_token"].as_str().unwrap());
    assert_eq!(
        call(&b_client, &host.base, Method::GET, "/api/me", None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&a_client, &host.base, Method::DELETE, &path, None)
            .await
            .0,
        404
    );
    // Another user cannot revoke A's session.
    let (_, sam) = host.member("sam").await;
    let a_path = format!("/api/auth/sessions/{}", a["session_id"].as_str().unwrap());
    assert_eq!(
        call(&sam, &host.base, Method::DELETE, &a_path, None)
            .await
            .0,
        404
    );
    // Sign-out: the access token and the refresh token stop working.
    assert_eq!(
        call(
            &a_client,
            &host.base,
            Method::POST,
            "/api/auth/sign-out",
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(&a_client, &host.base, Method::GET, "/api/me", None)
            .await
            .0,
        401
    );
    let r = host
        .anon
        .post(format!("{}/api/auth/refresh", host.base))
        .json(&json!({"refresh_token": a["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The owner signs in as a browser does (`use_cookies`).
async fn cookie_sign_in(host: &Host) -> reqwest::Response {
    host.anon
        .post(format!("{}/api/auth/sign-in", host.base))
        .json(&json!({"username": "owner", "password": PASSWORD, "use_cookies": true}))
        .send()
        .await
        .unwrap()
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sessions_use_httponly_cookies_and_a_csrf_header() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let r = cookie_sign_in(&host).await;
    assert_eq!(r.status(), 200);
    let cookies = set_cookies(&r);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    for (name, path, http_only) in [
        ("hearth_access", "Path=/api", true),
        ("hearth_refresh", "Path=/api/auth", true),
        ("hearth_csrf", "Path=/", false),
    ] {
        let c = cookies.iter().find(|c| c.starts_with(name)).unwrap();
        assert!(c.contains("SameSite=Strict"), "{c}");
        assert!(c.split("; ").any(|p| p == path), "{c}");
        assert_eq!(c.contains("HttpOnly"), http_only, "{c}");
    }
    let access = cookie_value(&cookies, "hearth_access");
    let refresh = cookie_value(&cookies, "hearth_refresh");
    let csrf = cookie_value(&cookies, "hearth_csrf");
    assert_eq!(body["csrf_token"], csrf);
    let jar = |extra: &str| format!("hearth_access={access}; hearth_csrf={csrf}{extra}");
    let send = |method: Method, path: &str, csrf_header: Option<&str>| {
        let mut r = host
            .anon
            .request(method, format!("{}{path}", host.base))
            .header("cookie", jar(""))
            .json(&json!({"name": "Grandad"}));
        if let Some(h) = csrf_header {
            r = r.header("x-csrf-token", h);
        }
        r.send()
    };
    assert_eq!(
        send(Method::GET, "/api/me", None).await.unwrap().status(),
        200
    );
    let r = send(Method::POST, "/api/profiles", None).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(kind(&r.json().await.unwrap()), "csrf");
    assert_eq!(
        send(Method::POST, "/api/profiles", Some("forged"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        send(Method::POST, "/api/profiles", Some(&csrf))
            .await
            .unwrap()
            .status(),
        201
    );
    // Refresh from the cookie needs the CSRF header too.
    let refresh_with = |header: Option<&str>| {
        let mut r = host
            .anon
            .post(format!("{}/api/auth/refresh", host.base))
            .header("cookie", format!("hearth_refresh={refresh}"));
        if let Some(h) = header {
            r = r.header("x-csrf-token", h);
        }
        r.send()
    };
    assert_eq!(refresh_with(None).await.unwrap().status(), 403);
    let r = refresh_with(Some(&csrf)).await.unwrap();
    assert_eq!(r.status(), 200);
    let renewed = set_cookies(&r);
    assert_ne!(cookie_value(&renewed, "hearth_refresh"), refresh);
    // Sign-out clears the cookies.
    let new_access = cookie_value(&renewed, "hearth_access");
    let new_csrf = cookie_value(&renewed, "hearth_csrf");
    let r = host
        .anon
        .post(format!("{}/api/auth/sign-out", host.base))
        .header("cookie", format!("hearth_access={new_access}"))
        .header("x-csrf-token", &new_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let cleared = set_cookies(&r);
    assert_eq!(cleared.len(), 3);
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    // A bearer token needs no CSRF header (it is never sent by the browser on its own).
    assert_eq!(
        host.post("/api/profiles", &json!({"name": "Aunt"})).await.0,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_generic_and_throttled() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (s1, wrong_password) = host.sign_in("owner", "not the password at all").await;
    let (s2, no_such_user) = host.sign_in("nobody", "not the password at all").await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(wrong_password["detail"], no_such_user["detail"]);
    assert_eq!(kind(&wrong_password), "invalid-credentials");
    // The third failure for the account starts a delay, whoever asks.
    let (s3, _) = host.sign_in("OWNER", "still not it, sorry").await;
    assert_eq!(s3, 401);
    let r = host
        .anon
        .post(format!("{}/api/auth/sign-in", host.base))
        .json(&json!({"username": "owner", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(kind(&r.json().await.unwrap()), "too-many-attempts");
    // A disabled account answers exactly like a wrong password. (Wait out
    // the address's one-second delay first.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (sam, _) = host.member("sam").await;
    let (status, _) = host
        .client
        .patch(format!("{}/api/users/{sam}", host.base))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    let (status, body) = host.sign_in("sam", PASSWORD).await;
    assert_eq!(
        (status, body["detail"].clone()),
        (401, wrong_password["detail"].clone())
    );
    // The audit log names the attempts but holds no password.
    let (_, audit) = host.get("/api/audit?limit=1000").await;
    let text = audit.to_string();
    let failed = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "sign-in-failed")
        .count();
    assert_eq!(failed, 4, "{audit}");
    for secret in ["not the password at all", "still not it", PASSWORD] {
        assert!(!text.contains(secret), "the audit log holds {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_two_factor_with_replay_protection_and_recovery_codes() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (status, body) = host
        .post("/api/me/totp", &json!({"password": "wrong wrong wrong"}))
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"));
    let (status, setup) = host
        .post("/api/me/totp", &json!({"password": PASSWORD}))
        .await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().unwrap();
    assert!(
        setup["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Hearth:owner?")
    );
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let code_at = |t: u64| hearth_host::auth::totp::code_at(secret, t).unwrap();
    let (status, _) = host
        .post("/api/me/totp/confirm", &json!({"code": "000000"}))
        .await;
    assert_eq!(status, 422);
    let (status, confirmed) = host
        .post("/api/me/totp/confirm", &json!({"code": code_at(now())}))
        .await;
    assert_eq!(status, 200, "{confirmed}");
    let recovery: Vec<String> =
        serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);

    let (status, body) = host.sign_in("owner", PASSWORD).await;
    assert_eq!((status, kind(&body)), (401, "totp-required"));
    let with = |extra: Value| {
        let mut body = json!({"username": "owner", "password": PASSWORD});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        host.sign_in_with(body)
    };
    let (status, body) = with(json!({"totp_code": "123456"})).await;
    assert_eq!((status, kind(&body)), (401, "invalid-credentials"));
    // The next step's code (accepted within one step of skew), then its replay.
    let next = code_at(now() + 30);
    assert_eq!(with(json!({"totp_code": next})).await.0, 200);
    assert_eq!(
        with(json!({"totp_code": next})).await.0,
        401,
        "a code works once"
    );
    // A recovery code works once, in any case and grouping.
    let spaced = recovery[0].replace('-', " ").to_lowercase();
    assert_eq!(with(json!({"recovery_code": spaced})).await.0, 200);
    assert_eq!(with(json!({"recovery_code": recovery[0]})).await.0, 401);
    // Turning it off needs the password.
    assert_eq!(
        host.post(
            "/api/me/totp/disable",
            &json!({"password": "nope nope nope"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        host.post("/api/me/totp/disable", &json!({"password": PASSWORD}))
            .await
            .0,
        204
    );
    // Three failures above earned this address a one-second delay.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(host.sign_in("owner", PASSWORD).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_needs_the_current_one_and_ends_other_sessions() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (_, other) = host.sign_in("owner", PASSWORD).await;
    let new = "a brand new lantern shines";
    let (status, body) = host
        .post(
            "/api/me/password",
            &json!({"current_password": "guess guess guess", "new_password": new}),
        )
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"));
    let (status, body) = host
        .post(
            "/api/me/password",
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!((status, kind(&body)), (422, "weak-password"));
    assert_eq!(
        host.post(
            "/api/me/password",
            &json!({"current_password": PASSWORD, "new_password": new})
        )
        .await
        .0,
        204
    );
    assert_eq!(host.get("/api/me").await.0, 200, "this session goes on");
    let other = bearer_client(other["access_token"].as_str().unwrap());
    assert_eq!(
        call(&other, &host.base, Method::GET, "/api/me", None)
            .await
            .0,
        401
    );
    assert_eq!(host.sign_in("owner", PASSWORD).await.0, 401);
    assert_eq!(host.sign_in("owner", new).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_users_and_one_always_remains() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let admin_id = {
        let (_, me) = host.get("/api/me").await;
        me["user"]["id"].as_str().unwrap().to_string()
    };
    let (sam, sam_client) = host.member("sam").await;
    let (status, body) = host
        .post(
            "/api/users",
            &json!({"username": "SAM", "password": PASSWORD}),
        )
        .await;
    assert_eq!((status, kind(&body)), (409, "username-taken"));
    let (status, body) = host
        .post(
            "/api/users",
            &json!({"username": "bad name", "password": PASSWORD}),
        )
        .await;
    assert_eq!((status, kind(&body)), (422, "invalid-field"));
    assert!(body["detail"].as_str().unwrap().contains("username"));
    // Disabling ends the user's sessions at once; re-enabling lets them back.
    let patch = |id: &str, body: Value| {
        let url = format!("{}/api/users/{id}", host.base);
        let client = host.client.clone();
        async move {
            let r = client.patch(url).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(patch(&sam, json!({"disabled": true})).await.0, 200);
    assert_eq!(
        call(&sam_client, &host.base, Method::GET, "/api/me", None)
            .await
            .0,
        401
    );
    assert_eq!(host.sign_in("sam", PASSWORD).await.0, 401);
    assert_eq!(patch(&sam, json!({"disabled": false})).await.0, 200);
    assert_eq!(host.sign_in("sam", PASSWORD).await.0, 200);
    // Reset: the old password stops working.
    let reset = "the kettle sings at dawn";
    let (status, _) = host
        .post(
            &format!("/api/users/{sam}/password"),
            &json!({"new_password": reset}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(host.sign_in("sam", PASSWORD).await.0, 401);
    assert_eq!(host.sign_in("sam", reset).await.0, 200);
    // The last admin can be neither demoted, disabled nor deleted.
    for body in [json!({"role": "member"}), json!({"disabled": true})] {
        let (status, problem) = patch(&admin_id, body).await;
        assert_eq!((status, kind(&problem)), (409, "last-admin"));
    }
    let r = host
        .client
        .delete(format!("{}/api/users/{admin_id}", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // With a second admin, the first may step down.
    assert_eq!(patch(&sam, json!({"role": "admin"})).await.0, 200);
    let (status, me) = patch(&admin_id, json!({"role": "member"})).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("member")));
    assert_eq!(host.get("/api/users").await.0, 403, "no longer an admin");
    // Deleting a user who alone owns a profile is refused; their grants go with them otherwise.
    let sam_admin = bearer_client(
        host.sign_in("sam", reset).await.1["access_token"]
            .as_str()
            .unwrap(),
    );
    let (status, body) = call(
        &sam_admin,
        &host.base,
        Method::DELETE,
        &format!("/api/users/{admin_id}"),
        None,
    )
    .await;
    assert_eq!((status, kind(&body)), (409, "sole-owner"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Olive"));
    let (_, kid) = call(
        &sam_admin,
        &host.base,
        Method::POST,
        "/api/users",
        Some(&json!({"username": "kid", "password": PASSWORD})),
    )
    .await;
    let kid = kid["id"].as_str().unwrap();
    let (status, _) = host
        .post(
            &host.at("/grants"),
            &json!({"username": "kid", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        call(
            &sam_admin,
            &host.base,
            Method::DELETE,
            &format!("/api/users/{kid}"),
            None
        )
        .await
        .0,
        204
    );
    let (_, grants) = host.get(&host.at("/grants")).await;
    assert_eq!(
        grants["grants"].as_array().map(Vec::len),
        Some(1),
        "{grants}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_decide_what_each_member_may_do_and_ownership_transfers() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (_, kid_client) = host.member("kid").await;
    let (status, child) = host
        .post(
            "/api/profiles",
            &json!({"name": "Kid", "birth_date": "2015-06-01"}),
        )
        .await;
    assert_eq!(status, 201, "{child}");
    let child = format!("/api/profiles/{}", child["id"].as_str().unwrap());
    let kid = |method: Method, path: String, body: Option<Value>| {
        let client = kid_client.clone();
        let base = host.base.clone();
        async move { call(&client, &base, method, &path, body.as_ref()).await }
    };
    let source = json!({"fhir_base_url": "https://ehr.example.org/fhir", "patient_id": "p1", "access_token": "t"});
    assert_eq!(
        kid(Method::GET, child.clone(), None).await.0,
        404,
        "no grant yet"
    );
    assert_eq!(
        host.post(
            &format!("{child}/grants"),
            &json!({"username": "kid", "role": "viewer"})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        host.post(
            &format!("{child}/grants"),
            &json!({"username": "kid", "role": "viewer"})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        host.post(
            &format!("{child}/grants"),
            &json!({"username": "ghost", "role": "viewer"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        kid(Method::GET, format!("{child}/records"), None).await.0,
        200
    );
    assert_eq!(
        kid(
            Method::POST,
            format!("{child}/sources"),
            Some(source.clone())
        )
        .await
        .0,
        403
    );
    let (_, me) = kid(Method::GET, "/api/me".into(), None).await;
    let kid_id = me["user"]["id"].as_str().unwrap().to_string();
    let (status, _) = call(
        &host.client,
        &host.base,
        Method::PUT,
        &format!("{child}/grants/{kid_id}"),
        Some(&json!({"role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, created) = kid(
        Method::POST,
        format!("{child}/sources"),
        Some(source.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    // A source of one profile is not reachable through another.
    let (status, _) = host
        .get(&host.at(&format!("/sources/{}", created["id"].as_str().unwrap())))
        .await;
    assert_eq!(status, 404);
    // The last owner cannot leave or be demoted.
    let (_, admin) = host.get("/api/me").await;
    let admin_id = admin["user"]["id"].as_str().unwrap();
    let (status, body) = call(
        &host.client,
        &host.base,
        Method::DELETE,
        &format!("{child}/grants/{admin_id}"),
        None,
    )
    .await;
    assert_eq!((status, kind(&body)), (409, "last-owner"));
    // Hand the profile to the kid; the parent keeps viewer access.
    let (status, body) = host
        .post(
            &format!("{child}/transfer"),
            &json!({"username": "kid", "keep": "viewer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        host.get(&format!("{child}/grants")).await.0,
        403,
        "the parent is a viewer now"
    );
    assert_eq!(host.get(&child).await.1["role"], "viewer");
    assert_eq!(
        kid(Method::GET, format!("{child}/grants"), None).await.0,
        200
    );
    // The new owner removes the parent, who then cannot see the profile at all.
    assert_eq!(
        kid(Method::DELETE, format!("{child}/grants/{admin_id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(host.get(&child).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_is_off_by_default_and_on_when_configured() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let body = json!({"username": "newbie", "password": PASSWORD});
    let (status, problem) = call(
        &host.anon,
        &host.base,
        Method::POST,
        "/api/auth/sign-up",
        Some(&body),
    )
    .await;
    assert_eq!((status, kind(&problem)), (403, "forbidden"));
    let open = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.allow_signup = true
    })
    .await;
    let (status, session) = call(
        &open.anon,
        &open.base,
        Method::POST,
        "/api/auth/sign-up",
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["user"]["role"], "member");
    let client = bearer_client(session["access_token"].as_str().unwrap());
    let (_, me) = call(&client, &open.base, Method::GET, "/api/me", None).await;
    assert_eq!(me["profiles"][0]["role"], "owner", "{me}");
    assert_eq!(
        call(&client, &open.base, Method::GET, "/api/users", None)
            .await
            .0,
        403
    );
    let admin_role = json!({"username": "sneaky", "password": PASSWORD, "role": "admin"});
    assert_eq!(
        call(
            &open.anon,
            &open.base,
            Method::POST,
            "/api/auth/sign-up",
            Some(&admin_role)
        )
        .await
        .0,
        422
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_expired_and_wrong_algorithm_tokens_are_refused() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let host = Host::start("plugins", PluginLimits::default()).await;
    let key = std::fs::read(host.data.path().join("keys/jwt.key")).unwrap();
    let (h, p, s) = {
        let mut it = host.token.split('.');
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    };
    let claims: Value = serde_json::from_slice(&B64.decode(p).unwrap()).unwrap();
    let sign = |header: &jsonwebtoken::Header, claims: &Value, key: &[u8]| {
        jsonwebtoken::encode(
            header,
            claims,
            &jsonwebtoken::EncodingKey::from_secret(key).unwrap(),
        )
        .unwrap()
    };
    let hs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let mut expired = claims.clone();
    expired["iat"] = (claims["iat"].as_u64().unwrap() - 3600).into();
    expired["exp"] = (claims["exp"].as_u64().unwrap() - 3600).into();
    let mut promoted = claims.clone();
    promoted["sub"] = "someone-else".into();
    let none_header = B64.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let rs_header = B64.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let cases = [
        ("control: the real token", host.token.clone(), 200),
        (
            "expired, signed with the real key",
            sign(&hs256, &expired, &key),
            401,
        ),
        (
            "another user's id in a real-key token",
            sign(&hs256, &promoted, &key),
            401,
        ),
        (
            "signed with another key",
            sign(&hs256, &claims, &[9u8; 32]),
            401,
        ),
        (
            "payload edited",
            format!("{h}.{}.{s}", B64.encode(promoted.to_string())),
            401,
        ),
        ("alg none", format!("{none_header}.{p}."), 401),
        (
            "RS256 label on an HS256 signature",
            format!("{rs_header}.{p}.{s}"),
            401,
        ),
        ("garbage", "abc.def.ghi".into(), 401),
    ];
    for (what, token, expected) in cases {
        let client = bearer_client(&token);
        let (status, body) = call(&client, &host.base, Method::GET, "/api/me", None).await;
        assert_eq!(status, expected, "{what}: {body}");
    }
}

/// Send `bodies` to sign-in all at once; the statuses, in order.
async fn sign_in_burst(host: &Host, bodies: Vec<Value>) -> Vec<u16> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (client, url) = (host.anon.clone(), format!("{}/api/auth/sign-in", host.base));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_outrun_the_throttle() {
    // The attack: 40 guesses at once, the last one right. Before, each was
    // checked against a limiter only the finished ones had updated: 39 × 401
    // and a 200. Now each attempt is reserved before hashing.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let mut bodies: Vec<Value> = (0..39)
        .map(|i| json!({"username": "owner", "password": format!("guess number {i} of many")}))
        .collect();
    bodies.push(json!({"username": "owner", "password": PASSWORD}));
    let statuses = sign_in_burst(&host, bodies).await;
    let evaluated = statuses.iter().filter(|s| matches!(s, 200 | 401)).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        evaluated <= hearth_host::auth::limiter::FREE_FAILURES as usize,
        "at most the free failures are tried: {statuses:?}"
    );
    assert_eq!(
        evaluated + refused,
        40,
        "the rest are told to wait: {statuses:?}"
    );

    // The same with a second factor: the right password, 40 wrong codes at once.
    // Wait out the short delay the burst's few failures earned.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (status, setup) = host
        .post("/api/me/totp", &json!({"password": PASSWORD}))
        .await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let code = hearth_host::auth::totp::code_at(&secret, now).expect("code");
    let (status, _) = host
        .post("/api/me/totp/confirm", &json!({"code": code}))
        .await;
    assert_eq!(status, 200);
    // Codes that are surely wrong: none of those valid around now.
    let valid: Vec<String> = [now - 60, now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| hearth_host::auth::totp::code_at(&secret, *t).expect("code"))
        .collect();
    let bodies: Vec<Value> = (0..1000u32)
        .map(|i| format!("{:06}", 100_000 + i * 7))
        .filter(|c| !valid.contains(c))
        .take(40)
        .map(|wrong| json!({"username": "owner", "password": PASSWORD, "totp_code": wrong}))
        .collect();
    let statuses = sign_in_burst(&host, bodies).await;
    let evaluated = statuses.iter().filter(|s| matches!(s, 200 | 401)).count();
    assert!(
        evaluated <= hearth_host::auth::limiter::FREE_FAILURES as usize,
        "at most the free failures are tried: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_is_turned_away_at_once_rather_than_queued() {
    // 40 sign-ins from 40 addresses (127.0.0.x) for 40 names: none is
    // throttled, but only a few password checks may wait for the two
    // hashing slots; the rest are told 503 at once.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let tasks: Vec<_> = (0..40u8)
        .map(|i| {
            let url = format!("{}/api/auth/sign-in", host.base);
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .local_address(std::net::IpAddr::from([127, 0, 1, i + 1]))
                    .build()
                    .expect("client");
                let r = client
                    .post(url)
                    .json(&json!({"username": format!("visitor{i}"), "password": "a guess of some length"}))
                    .send()
                    .await
                    .expect("request");
                let retry = r.headers().get("retry-after").is_some();
                (r.status().as_u16(), retry)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    let busy = answers.iter().filter(|(s, _)| *s == 503).count();
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    assert!(busy > 0, "some are turned away: {answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s == 503)
            .all(|(_, retry)| *retry),
        "with Retry-After: {answers:?}"
    );
    assert_eq!(busy + checked, 40, "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_https_cookies_are_secure_and_browsers_keep_to_https() {
    // Issue 15, item 12: with an https public URL the cookies lacked Secure,
    // there was no HSTS, and API answers could be cached.
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.public_url = Some(url::Url::parse("https://hearth.example.home").expect("url"));
    })
    .await;
    let r = cookie_sign_in(&host).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let cookies = set_cookies(&r);
    assert!(!cookies.is_empty());
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    let me = host
        .client
        .get(format!("{}/api/me", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "no-store");

    // Over plain http (a home network without TLS): no HSTS, no Secure, still no-store.
    let plain = Host::start("plugins", PluginLimits::default()).await;
    let r = cookie_sign_in(&plain).await;
    assert!(r.headers().get("strict-transport-security").is_none());
    assert!(set_cookies(&r).iter().all(|c| !c.contains("Secure")));
    let health = plain
        .anon
        .get(format!("{}/api/health", plain.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_re_checks_are_throttled_like_sign_ins() {
    // Issue 15, item 10: a stolen session could guess the password through
    // /me/password and /me/totp without limit.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let (status, _) = host
            .post(
                "/api/me/password",
                &json!({"current_password": format!("wrong guess number {i}"), "new_password": "a brand new passphrase"}),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, [403, 403, 403]);
    let (status, body) = host
        .post(
            "/api/me/totp",
            &json!({"password": "yet another wrong guess"}),
        )
        .await;
    assert_eq!((status, kind(&body)), (429, "too-many-attempts"), "{body}");
    // The same counts hold for sign-in.
    let (status, _) = host.sign_in("owner", PASSWORD).await;
    assert_eq!(status, 429);
}

/// Open `path` as an event stream with `client`; a task that ends (true) when the server closes it within `within`.
fn stream_ends_within(
    client: &reqwest::Client,
    url: String,
    within: std::time::Duration,
) -> tokio::task::JoinHandle<bool> {
    let client = client.clone();
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let r = client.get(url).send().await.expect("events");
        assert_eq!(r.status(), 200);
        let mut body = r.bytes_stream();
        tokio::time::timeout(within, async {
            while let Some(chunk) = body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await
        .is_ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_end_when_access_ends() {
    // Issue 15, item 7: a stream kept delivering after the grant was removed
    // and the user signed out.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (vic, vic_client) = host.member("vic").await;
    let share = || async {
        let (status, _) = host
            .post(
                &host.at("/grants"),
                &json!({"username": "vic", "role": "viewer"}),
            )
            .await;
        assert_eq!(status, 201);
    };
    share().await;
    let url = format!("{}{}", host.base, host.at("/events"));
    let within = std::time::Duration::from_secs(15);

    let ended = stream_ends_within(&vic_client, url.clone(), within);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, _) = common::call(
        &host.client,
        &host.base,
        reqwest::Method::DELETE,
        &host.at(&format!("/grants/{vic}")),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        ended.await.expect("task"),
        "the stream ends when the grant goes"
    );

    share().await;
    let ended = stream_ends_within(&vic_client, url.clone(), within);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, _) = common::call(
        &vic_client,
        &host.base,
        reqwest::Method::POST,
        "/api/auth/sign-out",
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(ended.await.expect("task"), "the stream ends at sign-out");

    // The owner's own stream stays open while access holds.
    let kept = stream_ends_within(&host.client, url, std::time::Duration::from_secs(7));
    assert!(
        !kept.await.expect("task"),
        "a reader with access keeps the stream"
    );
}

/// A client whose connections come from loopback address `127.0.<a>.<b>`.
fn from_address(a: u8, b: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, a, b]))
        .build()
        .expect("client")
}

/// Sign in with `body` through `client`, adding `headers`; the status.
async fn sign_in_via(
    host: &Host,
    client: &reqwest::Client,
    body: Value,
    headers: &[(&str, &str)],
) -> u16 {
    let mut request = client
        .post(format!("{}/api/auth/sign-in", host.base))
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request").status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_guessing_wrong_cannot_lock_an_owner_out_of_their_own_device() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    // The owner signed in on this browser before; it keeps a device cookie,
    // sent to the sign-in route only and kept past sign-out.
    let first = cookie_sign_in(&host).await;
    assert_eq!(first.status(), 200);
    let cookies = set_cookies(&first);
    let device = cookie_value(&cookies, "hearth_device");
    let device_cookie = cookies
        .iter()
        .find(|c| c.starts_with("hearth_device="))
        .unwrap();
    assert!(
        device_cookie.contains("HttpOnly") && device_cookie.contains("Path=/api/auth/sign-in"),
        "{device_cookie}"
    );
    // API clients get the same token in the body.
    let (status, api) = host.sign_in("owner", PASSWORD).await;
    assert_eq!(status, 200);
    let app_device = api["device_token"]
        .as_str()
        .expect("device token")
        .to_string();

    // A stranger elsewhere guesses the owner's password seven times.
    let stranger = from_address(2, 1);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let wrong = json!({"username": "owner", "password": "is it sunflower1?"});
        statuses.push(sign_in_via(&host, &stranger, wrong, &[]).await);
    }
    assert_eq!(&statuses[..3], [401, 401, 401], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");

    // From a new device the account is throttled, whatever the password...
    let owner = from_address(3, 1);
    let right = json!({"username": "owner", "password": PASSWORD});
    assert_eq!(sign_in_via(&host, &owner, right.clone(), &[]).await, 429);
    // ...but the owner's own browser and app still get in.
    let cookie = format!("hearth_device={device}");
    assert_eq!(
        sign_in_via(&host, &owner, right.clone(), &[("cookie", &cookie)]).await,
        200
    );
    let mut with_token = right.clone();
    with_token["device_token"] = json!(app_device);
    assert_eq!(sign_in_via(&host, &owner, with_token, &[]).await, 200);
    // A device token is for its own account only.
    let (_, _) = host.member("sam").await;
    let sam =
        json!({"username": "sam", "password": "not sam's password", "device_token": app_device});
    for _ in 0..3 {
        assert_eq!(
            sign_in_via(&host, &from_address(4, 1), sam.clone(), &[]).await,
            401
        );
    }
    assert_eq!(
        sign_in_via(&host, &from_address(4, 2), sam.clone(), &[]).await,
        429,
        "sam's account is throttled as usual"
    );
    // The device's own wrong guesses slow the device down.
    let mut own = json!({"username": "owner", "password": "a slip of the finger"});
    own["device_token"] = json!(app_device);
    for _ in 0..3 {
        assert_eq!(sign_in_via(&host, &owner, own.clone(), &[]).await, 401);
    }
    assert_eq!(sign_in_via(&host, &owner, own, &[]).await, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_is_throttled_on_its_own_address() {
    // The proxy is 127.0.0.1; clients reach Hearth through it.
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]
    })
    .await;
    let proxy = from_address(0, 1);
    // One client guesses at many accounts until its address is throttled.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let guess = json!({"username": format!("user{i}"), "password": "a guess of some length"});
        let via = [("x-forwarded-for", "198.51.100.7")];
        statuses.push(sign_in_via(&host, &proxy, guess, &via).await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Another client behind the same proxy signs in untroubled.
    let right = json!({"username": "owner", "password": PASSWORD});
    let via = [("forwarded", "for=203.0.113.5;proto=https")];
    assert_eq!(sign_in_via(&host, &proxy, right.clone(), &via).await, 200);

    // A client that is not the proxy cannot name an address of its own choosing.
    let direct = from_address(5, 1);
    let mut statuses = Vec::new();
    for i in 0..5 {
        let guess = json!({"username": format!("other{i}"), "password": "a guess of some length"});
        let fake = format!("192.0.2.{i}");
        statuses.push(sign_in_via(&host, &direct, guess, &[("x-forwarded-for", &fake)]).await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_link_is_used_once_by_whoever_opens_it_first() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = &host.profile;
    let (status, made) = host
        .post(
            &host.at("/invitations"),
            &json!({"role": "editor", "name": "Grandma"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let token = made["token"].as_str().expect("token").to_string();
    assert_eq!(token.len(), 32, "128 bits, hex");
    assert_eq!(made["invitation"]["role"], "editor");
    let (_, open) = host.get(&host.at("/invitations")).await;
    assert_eq!(open["invitations"].as_array().map(Vec::len), Some(1));
    assert!(
        !open.to_string().contains(&token),
        "the token is shown once, never listed"
    );

    // The link's page needs no account.
    let (status, view) = call(
        &host.anon,
        &host.base,
        Method::GET,
        &format!("/api/invitations/{token}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["role"], "editor");
    assert_eq!(view["name"], "Grandma");
    // A weak password is refused and the link still works.
    let accept = |username: &str, password: &str| json!({"username": username, "password": password, "display_name": "Grandma Rose"});
    let path = format!("/api/invitations/{token}/accept");
    let (status, refused) = call(
        &host.anon,
        &host.base,
        Method::POST,
        &path,
        Some(&accept("rose", "password")),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let r = host
        .anon
        .post(format!("{}{path}", host.base))
        .json(&accept("rose", PASSWORD))
        .send()
        .await
        .expect("accept");
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(
        r.headers()["location"].to_str().expect("location"),
        format!("/api/profiles/{profile}")
    );
    let session: Value = r.json().await.expect("json");
    let rose = bearer_client(session["access_token"].as_str().expect("signed in at once"));
    // Rose sees the profile as an editor and can add to it.
    let (status, seen) = call(
        &rose,
        &host.base,
        Method::GET,
        &format!("/api/profiles/{profile}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["role"], "editor");
    let (status, _) = call(
        &rose,
        &host.base,
        Method::POST,
        &host.at("/manual/Condition"),
        Some(&json!({"resourceType": "Condition", "code": {"text": "Cough"}})),
    )
    .await;
    assert_eq!(status, 201);
    // The link is spent: neither a second account nor an existing one gets in with it.
    let (status, again) = call(
        &host.anon,
        &host.base,
        Method::POST,
        &path,
        Some(&accept("mallory", PASSWORD)),
    )
    .await;
    assert_eq!((status, kind(&again)), (404, "not-found"), "{again}");
    let (status, _) = host.sign_in("mallory", PASSWORD).await;
    assert_eq!(status, 401, "no account was made by the refused attempt");
    let (_, mallory) = host.member("mallory").await;
    let (status, _) = call(
        &mallory,
        &host.base,
        Method::POST,
        &format!("/api/invitations/{token}/join"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &mallory,
        &host.base,
        Method::GET,
        &format!("/api/profiles/{profile}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "mallory still sees nothing");

    // A withdrawn link stops working; an existing account can join with a fresh one.
    let (_, second) = host
        .post(&host.at("/invitations"), &json!({"role": "viewer"}))
        .await;
    let (status, _) = call(
        &host.client,
        &host.base,
        Method::DELETE,
        &host.at(&format!(
            "/invitations/{}",
            second["invitation"]["id"].as_str().expect("id")
        )),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let withdrawn = second["token"].as_str().expect("token");
    let (status, _) = call(
        &host.anon,
        &host.base,
        Method::GET,
        &format!("/api/invitations/{withdrawn}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, third) = host
        .post(&host.at("/invitations"), &json!({"role": "viewer"}))
        .await;
    let fresh = third["token"].as_str().expect("token");
    let (status, joined) = call(
        &mallory,
        &host.base,
        Method::POST,
        &format!("/api/invitations/{fresh}/join"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["profile_id"], profile.as_str());
    let (_, seen) = call(
        &mallory,
        &host.base,
        Method::GET,
        &format!("/api/profiles/{profile}"),
        None,
    )
    .await;
    assert_eq!(seen["role"], "viewer");
    // Ownership is not handed out by link.
    let (status, _) = host
        .post(&host.at("/invitations"), &json!({"role": "owner"}))
        .await;
    assert_eq!(status, 422);
    let (_, audit) = host.get("/api/audit").await;
    let events: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for e in [
        "invitation-created",
        "invitation-accepted",
        "invitation-withdrawn",
    ] {
        assert!(events.contains(&e), "{e} audited: {events:?}");
    }
}
