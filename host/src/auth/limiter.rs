//! Sign-in throttling per account and per client address, with a delay that
//! doubles with each failure past a few free ones. Both keys count: spreading
//! guesses over many addresses still locks the account, and one address
//! guessing many accounts is slowed too. The caller answers with the same
//! generic error either way, so the limiter reveals nothing about accounts.
//!
//! An attempt is reserved before the password is hashed ([`SignInLimiter::begin`]):
//! the check, the count and an in-flight mark on both keys happen under one
//! lock, so parallel guesses cannot all pass a check that only the first
//! failure would have closed. At most one attempt per account and per address
//! is in flight; the others are told to retry at once (no queueing behind
//! argon2). The attempt counts as a failure unless it is settled otherwise,
//! so a client that hangs up mid-hash still pays for its guess.
//!
//! Throttling an account lets anyone lock its owner out by guessing wrong on
//! purpose. So a device that has signed in to the account before (it holds a
//! signed device token) is throttled on its own key instead
//! ([`SignInLimiter::begin_known_device`]): strangers' failures neither slow
//! it nor count against it, and its own failures slow only itself.

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
    Device(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    blocked_until: Instant,
    last_failure: Instant,
    /// An attempt with this key is being checked now.
    in_flight: bool,
}

/// How long a client told "another attempt is in flight" should wait.
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);

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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a sign-in for `account` from `address` may be tried at `now`,
    /// without reserving it (what the tests read the state through).
    #[cfg(test)]
    pub fn check(&self, account: &str, address: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let entries = self.lock();
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

    /// Reserve a sign-in attempt for `account` from `address` at `now`: refused
    /// while either key is throttled or has an attempt in flight; otherwise
    /// counted as a failure at once, until [`Attempt::settle`] says otherwise.
    pub fn begin(
        &self,
        account: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<Attempt<'_>, RetryAfter> {
        self.reserve(keys(account, address).to_vec(), now)
    }

    /// Reserve a sign-in attempt from a device that signed in to the account
    /// before (`device` is its id from a verified device token): throttled on
    /// that device alone, so guesses by others at the account or from the
    /// same address cannot lock it out.
    pub fn begin_known_device(
        &self,
        device: &str,
        now: Instant,
    ) -> Result<Attempt<'_>, RetryAfter> {
        self.reserve(vec![Key::Device(device.to_string())], now)
    }

    /// Reserve a password re-check by a signed-in `account` (changing the
    /// password, two-step settings): the account's count only, shared with
    /// sign-in, so a stolen session cannot guess the password either.
    pub fn begin_recheck(&self, account: &str, now: Instant) -> Result<Attempt<'_>, RetryAfter> {
        self.reserve(vec![Key::Account(account.trim().to_lowercase())], now)
    }

    fn reserve(&self, keys: Vec<Key>, now: Instant) -> Result<Attempt<'_>, RetryAfter> {
        let mut entries = self.lock();
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, e| e.in_flight || now.duration_since(e.last_failure) < FORGET_AFTER);
        }
        let live = |e: &&Entry| now.duration_since(e.last_failure) < FORGET_AFTER;
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .filter(live)
            .map(|e| e.blocked_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(RetryAfter(wait));
        }
        if keys
            .iter()
            .any(|k| entries.get(k).is_some_and(|e| e.in_flight))
        {
            return Err(RetryAfter(IN_FLIGHT_WAIT));
        }
        let mut before = Vec::with_capacity(keys.len());
        for key in &keys {
            before.push(entries.get(key).copied());
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                blocked_until: now,
                last_failure: now,
                in_flight: false,
            });
            if now.duration_since(entry.last_failure) >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last_failure = now;
            entry.blocked_until = now + delay_after(entry.failures);
            entry.in_flight = true;
        }
        Ok(Attempt {
            limiter: self,
            keys,
            before,
            settled: false,
        })
    }
}

/// How a reserved attempt ended, when it was not a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Signed in: the account's history is cleared; the address is as before
    /// the attempt (signing in to one's own account cannot clear a throttle
    /// earned by guessing at others).
    SignedIn,
    /// Not a guess (the password was right and a second factor is asked
    /// for): both keys are as before the attempt.
    NotCounted,
}

/// A reserved sign-in attempt; dropped unsettled, it stays counted as a failure.
#[derive(Debug)]
pub struct Attempt<'a> {
    limiter: &'a SignInLimiter,
    keys: Vec<Key>,
    /// The entries as they were before the attempt, to restore when it was no guess.
    before: Vec<Option<Entry>>,
    settled: bool,
}

impl Attempt<'_> {
    /// The attempt was not a failure.
    pub fn settle(mut self, how: Settled) {
        let mut entries = self.limiter.lock();
        for (key, before) in self.keys.iter().zip(&self.before) {
            let clear = how == Settled::SignedIn && matches!(key, Key::Account(_));
            match before {
                Some(entry) if !clear => {
                    entries.insert(
                        key.clone(),
                        Entry {
                            in_flight: false,
                            ..*entry
                        },
                    );
                }
                _ => {
                    entries.remove(key);
                }
            }
        }
        self.settled = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut entries = self.limiter.lock();
        for key in &self.keys {
            if let Some(entry) = entries.get_mut(key) {
                entry.in_flight = false;
            }
        }
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
            let attempt = limiter.begin("Mum@Example.org", addr, t0);
            assert!(attempt.is_ok(), "attempt {i}");
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
        drop(limiter.begin("mum@example.org", fresh, t0 + Duration::from_secs(1)));
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
            drop(limiter.begin(account, A, t0).expect("free"));
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
        for i in 0..5 {
            // Each failure waits out the last one's delay.
            let at = t0 + Duration::from_secs(60 * i);
            drop(limiter.begin("dad", A, at).expect("after the delay"));
        }
        let t0 = t0 + Duration::from_secs(240);
        assert!(limiter.check("dad", A, t0).is_err());
        assert!(
            limiter.check("dad", A, t0 + FORGET_AFTER).is_ok(),
            "an hour later the lock is gone"
        );
        drop(limiter.begin("dad", A, t0 + FORGET_AFTER));
        assert!(
            limiter.check("dad", A, t0 + FORGET_AFTER).is_ok(),
            "and counting starts again"
        );
        let later = t0 + FORGET_AFTER;
        for i in 0..4 {
            drop(limiter.begin("dad", A, later + Duration::from_secs(60 * i)));
        }
        let later = later + Duration::from_secs(600);
        // A guess at someone else from A, then dad signs in from B.
        drop(limiter.begin("mum", A, later).expect("A is free again"));
        limiter
            .begin("Dad", B, later)
            .expect("dad's delay is over")
            .settle(Settled::SignedIn);
        assert!(
            limiter.check("dad", B, later).is_ok(),
            "the account is cleared"
        );
        assert!(
            limiter.check("dad", A, later).is_err(),
            "the guessing address is not"
        );
    }

    #[test]
    fn a_known_device_is_not_locked_out_by_strangers_and_pays_for_its_own_guesses() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            drop(limiter.begin("gran", A, t0).expect("free"));
        }
        assert!(
            limiter.begin("gran", B, t0).is_err(),
            "the account is throttled"
        );
        // Gran's own browser still gets through, from the very same address too.
        limiter
            .begin_known_device("d1", t0)
            .expect("a known device is not throttled by others")
            .settle(Settled::SignedIn);
        // Its own failures throttle it alone.
        for _ in 0..FREE_FAILURES {
            drop(limiter.begin_known_device("d1", t0).expect("free failures"));
        }
        assert!(limiter.begin_known_device("d1", t0).is_err());
        assert!(limiter.begin_known_device("d2", t0).is_ok());
    }

    #[test]
    fn one_attempt_in_flight_per_account_and_per_address() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        let first = limiter.begin("ann", A, t0).expect("first");
        assert_eq!(
            limiter.begin("ann", B, t0).unwrap_err(),
            RetryAfter(IN_FLIGHT_WAIT),
            "the account is busy"
        );
        assert_eq!(
            limiter.begin("bob", A, t0).unwrap_err(),
            RetryAfter(IN_FLIGHT_WAIT),
            "the address is busy"
        );
        assert!(limiter.begin("bob", B, t0).is_ok(), "others are not");
        drop(first);
        assert!(limiter.begin("ann", B, t0).is_ok(), "released when it ends");
    }

    #[test]
    fn an_attempt_counts_unless_settled_and_settling_restores() {
        let limiter = SignInLimiter::new();
        let t0 = Instant::now();
        // Three attempts that end without a verdict (a dropped connection) count.
        for _ in 0..3 {
            drop(limiter.begin("ann", A, t0).expect("free"));
        }
        assert!(limiter.check("ann", B, t0).is_err(), "counted as failures");
        // A right password that still needs a code counts for nothing.
        let later = t0 + Duration::from_secs(2);
        limiter
            .begin("cy", B, later)
            .expect("free")
            .settle(Settled::NotCounted);
        for _ in 0..2 {
            drop(limiter.begin("cy", B, later).expect("still free"));
        }
        assert!(
            limiter.check("cy", B, later).is_ok(),
            "two failures, the first attempt not counted"
        );
    }
}
