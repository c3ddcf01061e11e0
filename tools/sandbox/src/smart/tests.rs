//! The authorization server over real HTTP: a sandbox on an ephemeral port,
//! a client that does not follow redirects.

use super::*;
use crate::testkit::{REDIRECT, hidden_req, location, param, pkce, spawn};

const SCOPE: &str = "launch/patient patient/*.rs offline_access";

#[test]
fn basic_credentials_are_form_decoded() {
    let mut headers = HeaderMap::new();
    let encoded = STANDARD.encode("my%20app:s%3Acret+x");
    headers.insert(
        header::AUTHORIZATION,
        format!("Basic {encoded}").parse().unwrap(),
    );
    assert_eq!(
        basic_credentials(&headers),
        Some(Ok(("my app".to_string(), "s:cret x".to_string())))
    );
    headers.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
    assert_eq!(basic_credentials(&headers), Some(Err(())));
    headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
    assert_eq!(basic_credentials(&headers), None);
    assert_eq!(form_decode("%zz"), None);
}

#[test]
fn pkce_checks_follow_rfc_7636() {
    // RFC 7636 appendix B.
    assert_eq!(
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert!(valid_challenge(
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    ));
    assert!(!valid_challenge("short"));
    assert!(!valid_verifier("too-short"));
}

#[tokio::test]
async fn the_code_flow_runs_through_login_and_consent_with_pkce() {
    let sb = spawn(|_| {}).await;
    let patient = sb.patients[1].clone();
    let pkce = pkce();
    let url = sb.authorize_url(
        "hearth",
        &format!("openid {SCOPE}"),
        &pkce.challenge,
        &[("login_hint", &patient)],
    );
    let page = sb.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"patient\">") && html.contains("<label for=\"password\">"));
    assert!(
        html.contains(&format!("<option value=\"{patient}\" selected>")),
        "login_hint preselects"
    );
    assert!(html.contains("<code>sandbox</code>"), "the password hint");
    let req = hidden_req(&html);

    let login = |password: &'static str| {
        sb.http
            .post(format!("{}/oauth/login", sb.root))
            .form(&[
                ("req", req.as_str()),
                ("patient", patient.as_str()),
                ("password", password),
            ])
            .send()
    };
    let wrong = login("nope").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Wrong password."));
    // Consent before signing in is refused.
    let early = sb
        .http
        .post(format!("{}/oauth/consent", sb.root))
        .form(&[("req", req.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 400);

    let consent = login("sandbox").await.unwrap();
    assert_eq!(consent.status(), 200);
    let html = consent.text().await.unwrap();
    assert!(html.contains("Read and search all of the patient&#39;s records"));
    assert!(
        html.contains("id=\"not-offered\""),
        "openid is shown as not offered"
    );
    let done = sb
        .http
        .post(format!("{}/oauth/consent", sb.root))
        .form(&[("req", hidden_req(&html).as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let back = location(&done);
    assert!(back.as_str().starts_with(REDIRECT));
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    let code = param(&back, "code").unwrap();
    assert!(
        URL_SAFE_NO_PAD.decode(&code).unwrap().len() >= 16,
        "at least 128 bits"
    );

    let response = sb
        .http
        .post(format!("{}/oauth/token", sb.root))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", pkce.verifier.as_str()),
            ("client_id", "hearth"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["patient"], patient.as_str());
    assert_eq!(body["scope"], SCOPE, "openid is not granted");
    assert!(body["refresh_token"].is_string());
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        sb.fhir(access, &format!("Patient/{patient}"))
            .await
            .status(),
        200
    );
    let search = sb
        .fhir(access, &format!("Observation?patient={patient}"))
        .await;
    assert_eq!(search.status(), 200);
    let everything = sb
        .fhir(access, &format!("Patient/{patient}/$everything"))
        .await;
    assert_eq!(everything.status(), 200);
    assert_eq!(sb.faults.token_requests(), (1, 0));
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token() {
    let sb = spawn(|_| {}).await;
    let body = sb.tokens("patient/*.read", &sb.patients[0]).await;
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "patient/*.read");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_spends_the_code() {
    let sb = spawn(|_| {}).await;
    let (code, pair) = sb.code("hearth", SCOPE, &sb.patients[0]).await;
    let other = pkce();
    let (status, body) = sb.redeem(&code, &other.verifier).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = sb.redeem(&code, &pair.verifier).await;
    assert_eq!(status, 400, "a code is good for one attempt");
    let (status, body) = sb.redeem(&code, "short").await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn a_reused_code_is_refused_and_its_tokens_revoked() {
    let sb = spawn(|_| {}).await;
    let patient = sb.patients[0].clone();
    let (code, pkce) = sb.code("hearth", SCOPE, &patient).await;
    let (status, first) = sb.redeem(&code, &pkce.verifier).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(
        sb.fhir(access, &format!("Patient/{patient}"))
            .await
            .status(),
        200
    );
    let (status, again) = sb.redeem(&code, &pkce.verifier).await;
    assert_eq!(
        (status.as_u16(), again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let after = sb.fhir(access, &format!("Patient/{patient}")).await;
    assert_eq!(after.status(), 401);
    assert_eq!(
        after.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let (status, _) = sb.refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "the refresh token went with the grant");
}

#[tokio::test]
async fn redirect_uris_must_match() {
    let sb = spawn(|o| {
        o.clients
            .push(SandboxClient::public("strict", vec![REDIRECT.into()]));
    })
    .await;
    // At the token endpoint: the URI of the authorization request, exactly.
    let (code, pair) = sb.code("hearth", SCOPE, &sb.patients[0]).await;
    let (status, body) = sb
        .token_call(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", &pair.verifier),
            ("client_id", "hearth"),
        ])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // At the authorization endpoint: a registered one, else a page and no redirect.
    let p = pkce();
    let ok = sb
        .http
        .get(sb.authorize_url("strict", SCOPE, &p.challenge, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = sb
        .http
        .get(sb.authorize_url(
            "strict",
            SCOPE,
            &p.challenge,
            &[("redirect_uri", "http://evil.example/cb")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.headers().get("location").is_none());
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("is not registered for the client strict")
    );
    let unknown = sb
        .http
        .get(sb.authorize_url("nobody", SCOPE, &p.challenge, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("nobody is not registered")
    );
}

#[tokio::test]
async fn bad_authorization_requests_go_back_with_an_error() {
    let sb = spawn(|_| {}).await;
    let p = pkce();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("code_challenge", "")], "invalid_request"),
        (&[("aud", "http://elsewhere/fhir")], "invalid_request"),
        (&[("scope", "system/*.read")], "invalid_scope"),
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("state", "")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let response = sb
            .http
            .get(sb.authorize_url("hearth", SCOPE, &p.challenge, extra))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{extra:?}");
        let back = location(&response);
        assert_eq!(param(&back, "error").as_deref(), Some(error), "{extra:?}");
        assert!(param(&back, "error_description").is_some());
        let expected_state = if extra[0].0 == "state" {
            None
        } else {
            Some("st-123")
        };
        assert_eq!(param(&back, "state").as_deref(), expected_state);
    }
}

#[tokio::test]
async fn deny_goes_back_with_access_denied() {
    let sb = spawn(|_| {}).await;
    let p = pkce();
    let back = sb
        .through_forms(
            &sb.authorize_url("hearth", SCOPE, &p.challenge, &[]),
            &sb.patients[0],
            "deny",
        )
        .await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert!(param(&back, "code").is_none());
}

#[tokio::test]
async fn auto_approve_redirects_at_once_for_the_hinted_patient() {
    let sb = spawn(|o| o.auto_approve = true).await;
    for (hint, expected) in [
        (
            format!("Patient/{}", sb.patients[2]),
            sb.patients[2].clone(),
        ),
        (String::new(), sb.patients[0].clone()),
    ] {
        let p = pkce();
        let response = sb
            .http
            .get(sb.authorize_url("hearth", SCOPE, &p.challenge, &[("login_hint", &hint)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let back = location(&response);
        let code = param(&back, "code").unwrap();
        let (status, body) = sb.redeem(&code, &p.verifier).await;
        assert_eq!(status, 200);
        assert_eq!(body["patient"], expected.as_str());
    }
    let p = pkce();
    let response = sb
        .http
        .get(sb.authorize_url("hearth", SCOPE, &p.challenge, &[("login_hint", "nobody")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&location(&response), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_grant() {
    let sb = spawn(|_| {}).await;
    let patient = sb.patients[0].clone();
    let first = sb.tokens(SCOPE, &patient).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = sb.refresh(r1).await;
    assert_eq!(status, 200);
    assert_eq!(second["patient"], patient.as_str());
    assert_eq!(second["scope"], SCOPE);
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    let a2 = second["access_token"].as_str().unwrap();
    assert_eq!(
        sb.fhir(a2, &format!("Patient/{patient}")).await.status(),
        200
    );
    // The old refresh token again: reuse, and the whole grant goes.
    let (status, body) = sb.refresh(r1).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        sb.fhir(a2, &format!("Patient/{patient}")).await.status(),
        401
    );
    let (status, _) = sb.refresh(r2).await;
    assert_eq!(status, 400, "the newest refresh token is revoked too");
    assert_eq!(sb.faults.token_requests(), (1, 3));
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scopes_only() {
    let sb = spawn(|_| {}).await;
    let patient = sb.patients[0].clone();
    let tokens = sb
        .tokens(
            "patient/*.rs patient/Observation.rs offline_access",
            &patient,
        )
        .await;
    let r1 = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = sb
        .token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", r1),
            ("client_id", "hearth"),
            ("scope", "patient/*.read"),
        ])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = sb
        .token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", r1),
            ("client_id", "hearth"),
            ("scope", "patient/Observation.rs"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "patient/Observation.rs");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        sb.fhir(access, &format!("Observation?patient={patient}"))
            .await
            .status(),
        200
    );
    let denied = sb
        .fhir(access, &format!("Condition?patient={patient}"))
        .await;
    assert_eq!(denied.status(), 403);
    assert_eq!(
        denied.headers()["www-authenticate"],
        r#"Bearer error="insufficient_scope""#
    );
    assert_eq!(
        sb.fhir(access, &format!("Patient/{patient}/$everything"))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_with_basic_or_post() {
    let sb = spawn(|o| {
        o.clients.push(SandboxClient::confidential(
            "conf app",
            "s3cret:x",
            vec![REDIRECT.into()],
        ));
    })
    .await;
    let patient = sb.patients[0].clone();
    let exchange = |code: String, verifier: String| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_string()),
            ("code_verifier", verifier),
        ]
    };
    let url = format!("{}/oauth/token", sb.root);
    // client_secret_basic: each part form-encoded, then base64 (RFC 6749 2.3.1).
    let (code, p) = sb.code("conf app", SCOPE, &patient).await;
    let basic = sb
        .http
        .post(&url)
        .basic_auth("conf+app", Some("s3cret%3Ax"))
        .form(&exchange(code, p.verifier))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    let tokens: Value = basic.json().await.unwrap();
    // client_secret_post, on a refresh.
    let post = sb
        .http
        .post(&url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "conf app"),
            ("client_secret", "s3cret:x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    // A wrong secret, either way, and no secret at all.
    let (code, p) = sb.code("conf app", SCOPE, &patient).await;
    let wrong_basic = sb
        .http
        .post(&url)
        .basic_auth("conf+app", Some("wrong"))
        .form(&exchange(code.clone(), p.verifier.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_basic.status(), 401);
    assert!(
        wrong_basic.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = wrong_basic.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let mut form = exchange(code.clone(), p.verifier.clone());
    form.push(("client_id", "conf app".into()));
    form.push(("client_secret", "wrong".into()));
    let wrong_post = sb.http.post(&url).form(&form).send().await.unwrap();
    assert_eq!(wrong_post.status(), 401);
    form.pop();
    let missing = sb.http.post(&url).form(&form).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The code was never spent by the failed authentications.
    form.push(("client_secret", "s3cret:x".into()));
    assert_eq!(
        sb.http
            .post(&url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_patient_token_reads_only_its_own_compartment() {
    let sb = spawn(|_| {}).await;
    let (mine, other) = (sb.patients[0].clone(), sb.patients[1].clone());
    let tokens = sb.tokens(SCOPE, &mine).await;
    let access = tokens["access_token"].as_str().unwrap();
    for path in [
        format!("Observation?patient={other}"),
        format!("Observation?patient=Patient/{other}"),
        format!("Patient?_id={other}"),
        format!("Patient/{other}"),
        format!("Patient/{other}/$everything"),
    ] {
        let response = sb.fhir(access, &path).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    // An unfiltered search is narrowed to the token's patient.
    let all: Value = sb.fhir(access, "Patient").await.json().await.unwrap();
    assert_eq!(all["total"], 1);
    assert_eq!(all["entry"][0]["resource"]["id"], mine.as_str());
    let obs: Value = sb
        .fhir(access, "Observation?_count=1000")
        .await
        .json()
        .await
        .unwrap();
    let everyone: Value = sb
        .fhir(&sb.token, "Observation?_count=1000")
        .await
        .json()
        .await
        .unwrap();
    let theirs: Value = sb
        .fhir(
            &sb.token,
            &format!("Observation?patient={mine}&_count=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(obs["total"], theirs["total"]);
    assert!(everyone["total"].as_u64() > obs["total"].as_u64());
    // One of its own Observations reads fine; the static token reads anyone's.
    let id = obs["entry"][0]["resource"]["id"].as_str().unwrap();
    assert_eq!(
        sb.fhir(access, &format!("Observation/{id}")).await.status(),
        200
    );
    assert_eq!(
        sb.fhir(&sb.token, &format!("Patient/{other}"))
            .await
            .status(),
        200
    );
    assert_eq!(sb.fhir(access, "Patient/unknown-id").await.status(), 404);
}

#[tokio::test]
async fn an_expired_or_unknown_token_is_401() {
    let sb = spawn(|o| o.access_ttl = Duration::ZERO).await;
    let patient = sb.patients[0].clone();
    let tokens = sb.tokens(SCOPE, &patient).await;
    assert_eq!(tokens["expires_in"], 0);
    for token in [tokens["access_token"].as_str().unwrap(), "made-up"] {
        let response = sb.fhir(token, &format!("Patient/{patient}")).await;
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer error="invalid_token""#
        );
    }
    let anonymous = sb
        .http
        .get(format!("{}/Patient/{patient}", sb.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn revocation_withdraws_the_grant() {
    let sb = spawn(|_| {}).await;
    let patient = sb.patients[0].clone();
    let tokens = sb.tokens(SCOPE, &patient).await;
    let access = tokens["access_token"].as_str().unwrap();
    let revoke = |token: String| {
        sb.http
            .post(format!("{}/oauth/revoke", sb.root))
            .form(&[("token", token), ("client_id", "hearth".into())])
            .send()
    };
    assert_eq!(revoke("not-a-token".into()).await.unwrap().status(), 200);
    assert_eq!(
        sb.fhir(access, &format!("Patient/{patient}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        revoke(tokens["refresh_token"].as_str().unwrap().into())
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        sb.fhir(access, &format!("Patient/{patient}"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_rfc_6749_json() {
    let sb = spawn(|_| {}).await;
    let (status, body) = sb
        .token_call(&[("grant_type", "password"), ("client_id", "hearth")])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = sb.token_call(&[("client_id", "hearth")]).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = sb
        .token_call(&[
            ("grant_type", "authorization_code"),
            ("client_id", "hearth"),
        ])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = sb
        .token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "hearth"),
        ])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = sb
        .token_call(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let json = sb
        .http
        .post(format!("{}/oauth/token", sb.root))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    assert_eq!(sb.faults.token_requests(), (1, 2));
}

#[tokio::test]
async fn smart_configuration_is_served_and_can_be_switched_off() {
    let sb = spawn(|_| {}).await;
    let config: Value = sb
        .http
        .get(format!("{}/.well-known/smart-configuration", sb.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["authorization_endpoint"],
        format!("{}/oauth/authorize", sb.root)
    );
    assert_eq!(config["token_endpoint"], format!("{}/oauth/token", sb.root));
    assert_eq!(config["code_challenge_methods_supported"], json!(["S256"]));
    assert!(
        config["capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("context-standalone-patient"))
    );

    let off = spawn(|o| o.smart_configuration = false).await;
    let missing = off
        .http
        .get(format!("{}/.well-known/smart-configuration", off.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let metadata: Value = off
        .http
        .get(format!("{}/metadata", off.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let security = &metadata["rest"][0]["security"];
    assert_eq!(security["service"][0]["coding"][0]["code"], "SMART-on-FHIR");
    let uris = &security["extension"][0];
    assert_eq!(
        uris["url"],
        "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    );
    let find = |name: &str| {
        uris["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"] == name)
            .map(|e| e["valueUri"].clone())
    };
    assert_eq!(
        find("authorize"),
        Some(json!(format!("{}/oauth/authorize", off.root)))
    );
    assert_eq!(
        find("token"),
        Some(json!(format!("{}/oauth/token", off.root)))
    );
    assert_eq!(
        find("revoke"),
        Some(json!(format!("{}/oauth/revoke", off.root)))
    );
}

#[tokio::test]
async fn pages_escape_what_they_show() {
    let sb = spawn(|o| o.password = "<b>\"pw\"</b>".into()).await;
    let p = pkce();
    let html = sb
        .http
        .get(sb.authorize_url("hearth", SCOPE, &p.challenge, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("&lt;b&gt;&quot;pw&quot;&lt;/b&gt;"));
    assert!(!html.contains("<b>"));
}
