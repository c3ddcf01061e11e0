//! Sign-in throttling per account and per client address, with a delay that
//! doubles with each failure past a few free ones. Both keys count: spreading
//! guesses over many addresses still locks the account, and one address
//! guessing many accounts is slowed too. The caller answers with the same
//! generic error either way, so the limiter reveals nothing about accounts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before any delay.
pub const FREE_FAILURES: u32 = 3;
/// First delay after the free failures; doubles with each further failure.
pub const BASE_DELAY: Duration = Duration::from_secs(1);
/// Longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Entries kept before stale ones are pruned.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    blocked_until: Instant,
    last_failure: Instant,
}

/// A sign-in attempt must wait this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-ins; try again in {} s", .0.as_secs().max(1))]
pub struct RetryAfter(pub Duration);

/// Tracks failed sign-ins.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    entries: Mutex<HashMap<Key, Entry>>,
}

fn delay_after(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    BASE_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

fn keys(account: &str, address: IpAddr) -> [Key; 2] {
    [
        Key::Account(account.trim().to_lowercase()),
        Key::Address(address),
    ]
}

impl SignInLimiter {
    /// A limiter with no history.
    pub fn new() -> Self {
        SignInLimiter::default()
    }

    /// Whether a sign-in for `account` from `address` may be tried at `now`.
    pub fn check(&self, account: &str, address: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys(account, address)
            .iter()
            .filter_map(|k| entries.get(k))
            .filter(|e| now.duration_since(e.last_failure) < FORGET_AFTER)
            .map(|e| e.blocked_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() {
            Ok(())
        } else {
            Err(RetryAfter(wait))
        }
    }

    /// Count a failed sign-in against the account and the address.
    pub fn failed(&self, account: &str, address: IpAddr, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, e| now.duration_since(e.last_failure) < FORGET_AFTER);
        }
        for key in keys(account, address) {
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                blocked_until: now,
                last_failure: now,
            });
            if now.duration_since(entry.last_failure) >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last_failure = now;
            entry.blocked_until = now + delay_after(entry.failures);
        }
    }

    /// A successful sign-in clears the account's history. The address keeps
    /// its own, so signing in to one's own account cannot reset a throttle
    /// earned by guessing at others.
    pub fn succeeded(&self, account: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&Key::Account(account.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn delay_grows_after_the_free_failures_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(1));
        assert_eq!(delay_after(4), Duration::from_secs(2));
        assert_eq!(delay_after(6), Duration::from_secs(8));
        assert_eq!(delay_after(40), MAX_DELAY);
    }

    #[test]
    fn an_account_is_throttled_across_addresses() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        for (i, addr) in [A, B, A].into_iter().enumerate() {
            assert!(
                limiter.check("Mum@Example.org", addr, t0).is_ok(),
                "attempt {i}"
            );
            limiter.failed("mum@example.org", addr, t0);
        }
        // Third failure: one second for the account, from any address.
        let fresh = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));
        assert_eq!(
            limiter.check("mum@example.org", fresh, t0),
            Err(RetryAfter(Duration::from_secs(1)))
        );
        assert!(
            limiter
                .check("mum@example.org", fresh, t0 + Duration::from_secs(1))
                .is_ok()
        );
        // Another failure doubles the wait.
        limiter.failed("mum@example.org", fresh, t0 + Duration::from_secs(1));
        assert_eq!(
            limiter.check("mum@example.org", fresh, t0 + Duration::from_secs(1)),
            Err(RetryAfter(Duration::from_secs(2)))
        );
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        for account in ["a", "b", "c"] {
            limiter.failed(account, A, t0);
        }
        assert!(
            limiter.check("d", A, t0).is_err(),
            "the guessing address waits"
        );
        assert!(limiter.check("d", B, t0).is_ok(), "other addresses do not");
    }

    #[test]
    fn success_clears_and_old_failures_are_forgotten() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.failed("dad", A, t0);
        }
        assert!(limiter.check("dad", A, t0).is_err());
        assert!(
            limiter.check("dad", A, t0 + FORGET_AFTER).is_ok(),
            "an hour later the lock is gone"
        );
        limiter.failed("dad", A, t0 + FORGET_AFTER);
        assert!(
            limiter.check("dad", A, t0 + FORGET_AFTER).is_ok(),
            "and counting starts again"
        );
        for _ in 0..5 {
            limiter.failed("dad", A, t0 + FORGET_AFTER);
        }
        limiter.succeeded("Dad");
        let later = t0 + FORGET_AFTER;
        assert!(
            limiter.check("dad", B, later).is_ok(),
            "the account is cleared"
        );
        assert!(
            limiter.check("dad", A, later).is_err(),
            "the guessing address is not"
        );
    }
}
