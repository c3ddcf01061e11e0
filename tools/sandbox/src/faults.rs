//! Fault switches: tests flip them while the sandbox runs to see how a client
//! copes with throttling, outages, slowness and tokens that stop working.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Fault switches tests flip while the sandbox runs.
#[derive(Debug)]
pub struct Faults {
    /// Authenticated requests still answered normally; after that, 503.
    budget: AtomicI64,
    /// Authenticated requests received.
    requests: AtomicU64,
    /// Authenticated FHIR requests still to be answered 429.
    rate_limit: AtomicU64,
    /// The `Retry-After` seconds sent with a 429.
    retry_after: AtomicU64,
    /// 429s sent so far.
    rate_limited: AtomicU64,
    /// Authenticated FHIR requests still to be answered 500.
    server_errors: AtomicU64,
    /// The delay before every FHIR response.
    slow: Mutex<Option<Duration>>,
    /// Access tokens issued under an older epoch have expired.
    access_epoch: AtomicU64,
    /// Grants made under an older epoch are revoked.
    revoke_epoch: AtomicU64,
    /// Successful FHIR requests left before access tokens expire (negative: off).
    expire_countdown: AtomicI64,
    /// `/oauth/token` calls with `grant_type=authorization_code`.
    code_requests: AtomicU64,
    /// `/oauth/token` calls with `grant_type=refresh_token`.
    refresh_requests: AtomicU64,
    /// FHIR requests being answered right now.
    in_flight: AtomicU64,
    /// The most FHIR requests ever answered at once.
    max_in_flight: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            budget: AtomicI64::new(i64::MAX),
            requests: AtomicU64::new(0),
            rate_limit: AtomicU64::new(0),
            retry_after: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            slow: Mutex::new(None),
            access_epoch: AtomicU64::new(0),
            revoke_epoch: AtomicU64::new(0),
            expire_countdown: AtomicI64::new(-1),
            code_requests: AtomicU64::new(0),
            refresh_requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        }
    }
}

/// A FHIR request being answered; counted out when dropped.
pub(super) struct InFlight<'a>(&'a Faults);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Take one from `counter` if it is above zero; whether one was taken.
fn take(counter: &AtomicU64) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    /// The most FHIR requests the sandbox has answered at once (to check a client's concurrency limits).
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Count a FHIR request in until the guard drops.
    pub(super) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// Answer only the next `n` authenticated requests, then fail with 503 (`None`: never fail).
    pub fn fail_after(&self, n: Option<u64>) {
        let budget = n.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.budget.store(budget, Ordering::SeqCst);
    }

    /// Authenticated requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Answer the next `n` authenticated FHIR requests 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: u64, retry_after_secs: u64) {
        self.retry_after.store(retry_after_secs, Ordering::SeqCst);
        self.rate_limit.store(n, Ordering::SeqCst);
    }

    /// 429s answered so far.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::SeqCst)
    }

    /// Answer the next `n` authenticated FHIR requests 500.
    pub fn server_error_next(&self, n: u64) {
        self.server_errors.store(n, Ordering::SeqCst);
    }

    /// Delay every FHIR response by `delay` (`None`: answer at once).
    pub fn slow(&self, delay: Option<Duration>) {
        *self
            .slow
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = delay;
    }

    /// Expire every access token issued so far; refresh tokens stay valid.
    pub fn expire_access_tokens(&self) {
        self.access_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Revoke every grant made so far: its access and refresh tokens stop working.
    pub fn revoke_all(&self) {
        self.revoke_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Expire the access tokens once the next `n` FHIR requests have succeeded (expiry mid-sync).
    pub fn expire_after_requests(&self, n: u64) {
        if n == 0 {
            self.expire_countdown.store(-1, Ordering::SeqCst);
            self.expire_access_tokens();
        } else {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            self.expire_countdown.store(n, Ordering::SeqCst);
        }
    }

    /// `/oauth/token` calls so far, by grant type: `(authorization_code, refresh_token)`.
    pub fn token_requests(&self) -> (u64, u64) {
        (
            self.code_requests.load(Ordering::SeqCst),
            self.refresh_requests.load(Ordering::SeqCst),
        )
    }

    /// Count an authenticated request.
    pub(super) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// `Some(retry_after_secs)` if this request is to be throttled.
    pub(super) fn take_rate_limit(&self) -> Option<u64> {
        if !take(&self.rate_limit) {
            return None;
        }
        self.rate_limited.fetch_add(1, Ordering::SeqCst);
        Some(self.retry_after.load(Ordering::SeqCst))
    }

    /// Whether this request is to fail with 500.
    pub(super) fn take_server_error(&self) -> bool {
        take(&self.server_errors)
    }

    /// Whether the `fail_after` budget is spent (this request fails with 503).
    pub(super) fn take_budget(&self) -> bool {
        self.budget.fetch_sub(1, Ordering::SeqCst) <= 0
    }

    /// The delay before each FHIR response.
    pub(super) fn delay(&self) -> Option<Duration> {
        *self
            .slow
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Note a successful FHIR request, expiring access tokens when the countdown ends.
    pub(super) fn count_success(&self) {
        let before = self
            .expire_countdown
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n > 0).then_some(n - 1)
            });
        if before == Ok(1) {
            self.expire_access_tokens();
        }
    }

    /// The current access-token epoch; tokens from an older one have expired.
    pub(super) fn access_epoch(&self) -> u64 {
        self.access_epoch.load(Ordering::SeqCst)
    }

    /// The current grant epoch; grants from an older one are revoked.
    pub(super) fn revoke_epoch(&self) -> u64 {
        self.revoke_epoch.load(Ordering::SeqCst)
    }

    /// Count a `/oauth/token` call by its grant type.
    pub(super) fn count_token_request(&self, grant_type: &str) {
        match grant_type {
            "authorization_code" => self.code_requests.fetch_add(1, Ordering::SeqCst),
            "refresh_token" => self.refresh_requests.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::spawn;

    const SCOPE: &str = "patient/*.rs offline_access";

    #[test]
    fn rate_limit_next_throttles_n_requests_and_counts_them() {
        let f = Faults::default();
        assert_eq!(f.take_rate_limit(), None);
        f.rate_limit_next(2, 7);
        assert_eq!(f.take_rate_limit(), Some(7));
        assert_eq!(f.take_rate_limit(), Some(7));
        assert_eq!(f.take_rate_limit(), None);
        assert_eq!(f.rate_limited(), 2);
    }

    #[test]
    fn server_error_next_fails_n_requests() {
        let f = Faults::default();
        f.server_error_next(1);
        assert!(f.take_server_error());
        assert!(!f.take_server_error());
    }

    #[test]
    fn fail_after_spends_a_budget() {
        let f = Faults::default();
        assert!(!f.take_budget());
        f.fail_after(Some(1));
        assert!(!f.take_budget());
        assert!(f.take_budget());
        f.fail_after(None);
        assert!(!f.take_budget());
    }

    #[test]
    fn slow_sets_and_clears_the_delay() {
        let f = Faults::default();
        assert_eq!(f.delay(), None);
        f.slow(Some(Duration::from_millis(5)));
        assert_eq!(f.delay(), Some(Duration::from_millis(5)));
        f.slow(None);
        assert_eq!(f.delay(), None);
    }

    #[test]
    fn expiry_and_revocation_move_their_epochs() {
        let f = Faults::default();
        f.expire_access_tokens();
        assert_eq!(f.access_epoch(), 1);
        f.revoke_all();
        assert_eq!((f.access_epoch(), f.revoke_epoch()), (1, 1));
    }

    #[test]
    fn expire_after_requests_counts_successes_down() {
        let f = Faults::default();
        f.count_success();
        assert_eq!(f.access_epoch(), 0, "off by default");
        f.expire_after_requests(2);
        f.count_success();
        assert_eq!(f.access_epoch(), 0);
        f.count_success();
        assert_eq!(f.access_epoch(), 1);
        f.count_success();
        assert_eq!(f.access_epoch(), 1, "once only");
        f.expire_after_requests(0);
        assert_eq!(f.access_epoch(), 2, "zero: at once");
    }

    #[test]
    fn token_requests_count_by_grant_type() {
        let f = Faults::default();
        f.count_token_request("authorization_code");
        f.count_token_request("refresh_token");
        f.count_token_request("refresh_token");
        f.count_token_request("password");
        assert_eq!(f.token_requests(), (1, 2));
    }

    #[tokio::test]
    async fn throttled_failing_and_slow_responses_over_http() {
        let sb = spawn(|_| {}).await;
        let path = format!("Patient/{}", sb.patients[0]);
        sb.faults.rate_limit_next(1, 3);
        let throttled = sb.fhir(&sb.token, &path).await;
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "3");
        assert_eq!(sb.faults.rate_limited(), 1);
        sb.faults.server_error_next(1);
        assert_eq!(sb.fhir(&sb.token, &path).await.status(), 500);
        sb.faults.fail_after(Some(0));
        assert_eq!(sb.fhir(&sb.token, &path).await.status(), 503);
        sb.faults.fail_after(None);
        assert_eq!(sb.fhir(&sb.token, &path).await.status(), 200);
        assert_eq!(sb.faults.requests(), 4);
        sb.faults.slow(Some(Duration::from_millis(150)));
        let started = std::time::Instant::now();
        assert_eq!(sb.fhir(&sb.token, &path).await.status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(150));
        // Unauthenticated requests are neither counted nor throttled.
        sb.faults.slow(None);
        sb.faults.rate_limit_next(1, 1);
        assert_eq!(sb.fhir("wrong", &path).await.status(), 401);
        assert_eq!(sb.faults.requests(), 5);
        assert_eq!(sb.fhir(&sb.token, &path).await.status(), 429);
    }

    #[tokio::test]
    async fn expired_access_tokens_can_be_refreshed() {
        let sb = spawn(|_| {}).await;
        let path = format!("Patient/{}", sb.patients[0]);
        let tokens = sb.tokens(SCOPE, &sb.patients[0]).await;
        let access = tokens["access_token"].as_str().unwrap();
        sb.faults.expire_access_tokens();
        assert_eq!(sb.fhir(access, &path).await.status(), 401);
        assert_eq!(
            sb.fhir(&sb.token, &path).await.status(),
            200,
            "the static token never expires"
        );
        let (status, fresh) = sb.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(
            sb.fhir(fresh["access_token"].as_str().unwrap(), &path)
                .await
                .status(),
            200
        );
    }

    #[tokio::test]
    async fn revoke_all_ends_every_grant() {
        let sb = spawn(|_| {}).await;
        let path = format!("Patient/{}", sb.patients[0]);
        let tokens = sb.tokens(SCOPE, &sb.patients[0]).await;
        sb.faults.revoke_all();
        assert_eq!(
            sb.fhir(tokens["access_token"].as_str().unwrap(), &path)
                .await
                .status(),
            401
        );
        let (status, body) = sb.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let again = sb.tokens(SCOPE, &sb.patients[0]).await;
        assert_eq!(
            sb.fhir(again["access_token"].as_str().unwrap(), &path)
                .await
                .status(),
            200,
            "new grants work"
        );
    }

    #[tokio::test]
    async fn tokens_expire_after_n_successful_requests() {
        let sb = spawn(|_| {}).await;
        let path = format!("Patient/{}", sb.patients[0]);
        let tokens = sb.tokens(SCOPE, &sb.patients[0]).await;
        let access = tokens["access_token"].as_str().unwrap();
        sb.faults.expire_after_requests(2);
        assert_eq!(
            sb.fhir(access, "Patient/unknown").await.status(),
            404,
            "a failure does not count"
        );
        assert_eq!(sb.fhir(access, &path).await.status(), 200);
        assert_eq!(sb.fhir(access, &path).await.status(), 200);
        let expired = sb.fhir(access, &path).await;
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.headers()["www-authenticate"],
            r#"Bearer error="invalid_token""#
        );
        let (status, _) = sb.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(sb.faults.token_requests(), (1, 1));
    }
}
