//! What several benchmarks share: setting up a fresh host's administrator.
#![allow(dead_code)]

use serde_json::Value;

/// The administrator's password in every benchmark.
pub const PASSWORD: &str = "a bench of steady figures";

/// A client that sends `token` as a bearer token.
pub fn bearer(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(600))
        .build()?)
}

/// The administrator of a fresh host.
pub struct Owner {
    /// Sends their access token.
    pub client: reqwest::Client,
    /// Their own profile's id.
    pub profile: String,
    /// Their access token.
    pub token: String,
}

/// Set up a fresh host at `base` with the administrator `bench`, whose own
/// profile is `profile_name`.
pub async fn set_up_owner(base: &str, profile_name: &str) -> anyhow::Result<Owner> {
    let setup: Value = reqwest::Client::new()
        .post(format!("{base}/api/setup"))
        .json(&serde_json::json!({"username": "bench", "password": PASSWORD, "profile_name": profile_name}))
        .send()
        .await?
        .json()
        .await?;
    let token = setup["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("setup failed: {setup}"))?;
    let token = token.to_string();
    let client = bearer(&token)?;
    let me: Value = client
        .get(format!("{base}/api/me"))
        .send()
        .await?
        .json()
        .await?;
    let profile = me["profiles"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no profile: {me}"))?
        .to_string();
    Ok(Owner {
        client,
        profile,
        token,
    })
}
