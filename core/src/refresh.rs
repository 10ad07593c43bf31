//! When to refresh cached credentials and what to serve meanwhile: a pure function of the
//! cache state and `now`, shared by every provider (std, tokio, no_std).
//!
//! - Fresh credentials are served as they are.
//! - From `refresh_ahead` (plus a jittered spread) before `Expiration`, they are still served,
//!   and one caller refreshes them.
//! - A failed refresh is retried with capped, jittered backoff; valid credentials are served
//!   meanwhile ("static stability").
//! - Expired credentials are never served: callers fetch and wait, or, while backing off
//!   after a failure, fail fast with the last error.

use core::time::Duration;

use crate::random::SplitMix64;
use crate::{Instant, RetryPolicy};

/// How far ahead to refresh and how to back off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefreshPolicy {
    /// Refresh this long before `Expiration`. Default 15 minutes.
    pub refresh_ahead: Duration,
    /// Each refresh time is moved earlier by a random amount up to this, so many clients do
    /// not refresh in lockstep. Default 60 s.
    pub spread: Duration,
    /// Backoff between failed refreshes (`max_attempts` is not used: a provider keeps trying).
    /// Default 1 s doubling up to 60 s, jittered into `[d/2, d]`.
    pub backoff: RetryPolicy,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(15 * 60),
            spread: Duration::from_secs(60),
            backoff: RetryPolicy {
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                ..RetryPolicy::default()
            },
        }
    }
}

/// What a provider does for a caller at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// Serve the cached credentials; nothing else to do.
    Serve,
    /// Serve the cached credentials, and refresh them (one caller at a time).
    ServeAndRefresh,
    /// Nothing valid is cached: fetch now and wait for the result.
    Fetch,
    /// Nothing valid is cached and a fetch failed recently: fail with the last error until
    /// `retry_at`.
    FailFast {
        /// When fetching is allowed again.
        retry_at: Instant,
    },
}

/// The refresh state of one cached credentials value.
///
/// ```
/// use aliyun_imds_core::{Decision, Instant, RefreshPolicy, RefreshState};
/// use core::time::Duration;
/// let policy = RefreshPolicy { spread: Duration::ZERO, ..RefreshPolicy::default() };
/// let t0 = Instant::from_secs(1_700_000_000);
/// let mut state = RefreshState::new(7);
/// assert_eq!(state.decide(t0), Decision::Fetch);
/// state.succeeded(&policy, t0.saturating_add(Duration::from_secs(6 * 3600)), t0);
/// assert_eq!(state.decide(t0), Decision::Serve);
/// let stale = t0.saturating_add(Duration::from_secs(6 * 3600 - 15 * 60));
/// assert_eq!(state.decide(stale), Decision::ServeAndRefresh);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefreshState {
    /// `Expiration` of the cached credentials, if any are cached.
    expiration: Option<Instant>,
    /// When the cached credentials become due for a refresh.
    refresh_at: Instant,
    /// No attempt before this (backoff after failures).
    retry_at: Instant,
    /// Failed attempts in a row.
    failures: u8,
    random: SplitMix64,
}

impl RefreshState {
    /// Nothing cached yet; `seed` drives the jitter.
    pub const fn new(seed: u64) -> Self {
        Self {
            expiration: None,
            refresh_at: Instant::EPOCH,
            retry_at: Instant::EPOCH,
            failures: 0,
            random: SplitMix64::new(seed),
        }
    }

    /// What to do at `now`.
    pub fn decide(&self, now: Instant) -> Decision {
        match self.expiration {
            Some(expiration) if now < expiration => {
                if now < self.refresh_at || now < self.retry_at {
                    Decision::Serve
                } else {
                    Decision::ServeAndRefresh
                }
            }
            _ if now < self.retry_at => Decision::FailFast { retry_at: self.retry_at },
            _ => Decision::Fetch,
        }
    }

    /// Until when the cached credentials may be served without asking [`decide`]: the
    /// refresh time, or the end of the backoff if that is later. `None` if nothing is
    /// cached.
    ///
    /// [`decide`]: Self::decide
    pub fn fresh_until(&self) -> Option<Instant> {
        let expiration = self.expiration?;
        Some(self.refresh_at.max(self.retry_at).min(expiration))
    }

    /// New credentials expiring at `expiration` arrived at `now`.
    ///
    /// Credentials already inside the refresh window on arrival are served, but the next
    /// refresh waits for one backoff, so a service handing out short-lived credentials is
    /// not asked again on every call.
    pub fn succeeded(&mut self, policy: &RefreshPolicy, expiration: Instant, now: Instant) {
        self.failures = 0;
        self.expiration = Some(expiration);
        let spread_ms = crate::time::millis_of(policy.spread);
        let jitter = Duration::from_millis(self.random.next() % (spread_ms + 1));
        self.refresh_at = expiration.saturating_sub(policy.refresh_ahead + jitter);
        self.retry_at = if self.refresh_at <= now {
            let random = self.random.next();
            now.saturating_add(policy.backoff.backoff(1, random))
        } else {
            now
        };
    }

    /// A fetch failed at `now`: back off (capped, jittered). Cached credentials stay
    /// servable until they expire.
    pub fn failed(&mut self, policy: &RefreshPolicy, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let random = self.random.next();
        self.retry_at = now.saturating_add(policy.backoff.backoff(self.failures, random));
    }

    /// `Expiration` of the cached credentials, if any.
    pub fn expiration(&self) -> Option<Instant> {
        self.expiration
    }

    /// Failed attempts in a row.
    pub fn failures(&self) -> u8 {
        self.failures
    }
}
