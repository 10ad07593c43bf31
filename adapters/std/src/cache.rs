//! The credentials cache behind every provider (blocking and tokio): a snapshot readers load
//! without a lock while it is fresh, and the core's [`RefreshState`] deciding the rest.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use aliyun_imds_core::{Credentials, Decision, Instant, RefreshPolicy, RefreshState};
use arc_swap::ArcSwapOption;

use crate::Error;

/// What a provider does for one caller.
#[derive(Debug)]
pub enum Plan {
    /// Hand out these credentials.
    Serve(Arc<Credentials>),
    /// Hand out these credentials, and refresh them if no one else is.
    ServeAndRefresh(Arc<Credentials>),
    /// Nothing valid is cached: fetch, and hand out the result.
    Fetch,
    /// Nothing valid is cached and fetching failed recently: fail with this error.
    Fail(Error),
}

#[derive(Debug)]
struct Snapshot {
    credentials: Arc<Credentials>,
    /// Readers may serve it without a lock until then.
    fresh_until: Instant,
}

#[derive(Debug)]
struct State {
    refresh: RefreshState,
    last_error: Option<Error>,
}

/// Cached credentials with their refresh state.
#[derive(Debug)]
pub struct CredentialsCache {
    snapshot: ArcSwapOption<Snapshot>,
    state: Mutex<State>,
    policy: RefreshPolicy,
}

impl CredentialsCache {
    /// An empty cache; `seed` drives the refresh jitter.
    pub fn new(policy: RefreshPolicy, seed: u64) -> Self {
        let state = State { refresh: RefreshState::new(seed), last_error: None };
        Self { snapshot: ArcSwapOption::empty(), state: Mutex::new(state), policy }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The hot path: the cached credentials if they are fresh at `now`. No lock is taken.
    pub fn fresh(&self, now: Instant) -> Option<Arc<Credentials>> {
        let snapshot = self.snapshot.load();
        snapshot.as_ref().filter(|s| now < s.fresh_until).map(|s| Arc::clone(&s.credentials))
    }

    /// What to do at `now`.
    pub fn plan(&self, now: Instant) -> Plan {
        let state = self.state();
        let cached = || self.snapshot.load_full().map(|s| Arc::clone(&s.credentials));
        match (state.refresh.decide(now), cached()) {
            (Decision::Serve, Some(credentials)) => Plan::Serve(credentials),
            (Decision::ServeAndRefresh, Some(credentials)) => Plan::ServeAndRefresh(credentials),
            (Decision::FailFast { .. }, _) => match &state.last_error {
                Some(error) => Plan::Fail(error.clone()),
                None => Plan::Fetch,
            },
            _ => Plan::Fetch,
        }
    }

    /// What to do once the source is held (another caller may have refreshed meanwhile):
    /// `Ok` with what to hand out, or `Err` with the credentials to fall back on if a fetch
    /// fails (`None` if there are none).
    pub fn plan_held(
        &self,
        now: Instant,
    ) -> Result<Result<Arc<Credentials>, Error>, Option<Arc<Credentials>>> {
        match self.plan(now) {
            Plan::Serve(credentials) => Ok(Ok(credentials)),
            Plan::Fail(error) => Ok(Err(error)),
            Plan::ServeAndRefresh(cached) => Err(Some(cached)),
            Plan::Fetch => Err(None),
        }
    }

    /// Records a fetch finished at `now`; if it failed, hands out `fallback` (still valid
    /// credentials) when there is one.
    pub fn finish(
        &self,
        fetched: Result<Credentials, Error>,
        now: Instant,
        fallback: Option<Arc<Credentials>>,
    ) -> Result<Arc<Credentials>, Error> {
        self.record(fetched, now).or_else(|error| fallback.ok_or(error))
    }

    /// When the next refresh (or retry) is due; `None` when nothing is cached and no retry
    /// is pending.
    pub fn next_refresh(&self) -> Option<Instant> {
        self.state().refresh.fresh_until()
    }

    /// Takes the result of a fetch finished at `now`.
    pub fn record(
        &self,
        result: Result<Credentials, Error>,
        now: Instant,
    ) -> Result<Arc<Credentials>, Error> {
        let mut state = self.state();
        match result {
            Ok(credentials) if credentials.is_valid_at(now) => {
                state.refresh.succeeded(&self.policy, credentials.expiration(), now);
                state.last_error = None;
                let credentials = Arc::new(credentials);
                self.publish(&state, Some(Arc::clone(&credentials)));
                Ok(credentials)
            }
            Ok(credentials) => {
                let expired = aliyun_imds_core::Error::ExpiredOnArrival {
                    expiration_secs: credentials.expiration().as_secs(),
                };
                Err(self.fail(&mut state, Error::Imds(expired), now))
            }
            Err(error) => Err(self.fail(&mut state, error, now)),
        }
    }

    fn fail(&self, state: &mut State, error: Error, now: Instant) -> Error {
        state.refresh.failed(&self.policy, now);
        state.last_error = Some(error.clone());
        // Readers keep the cached credentials (if still valid) until the backoff ends.
        let cached = self.snapshot.load_full().map(|s| Arc::clone(&s.credentials));
        self.publish(state, cached);
        error
    }

    fn publish(&self, state: &State, credentials: Option<Arc<Credentials>>) {
        let snapshot = credentials
            .zip(state.refresh.fresh_until())
            .map(|(credentials, fresh_until)| Arc::new(Snapshot { credentials, fresh_until }));
        self.snapshot.store(snapshot);
    }
}

/// What every provider holds: the cache, the source behind a lock of the provider's kind
/// (std or tokio), and the clock.
pub struct ProviderParts<L> {
    /// The cached credentials and their refresh state.
    pub cache: CredentialsCache,
    /// The source, behind the single-flight lock.
    pub source: L,
    /// The provider's clock.
    pub clock: Box<dyn crate::Clock>,
}

impl<L> ProviderParts<L> {
    /// Parts with an empty cache following `policy`; the jitter is seeded per process.
    pub fn new(source: L, policy: RefreshPolicy, clock: impl crate::Clock + 'static) -> Self {
        let seed = u64::from(std::process::id()) ^ crate::wall_clock().as_millis();
        Self { cache: CredentialsCache::new(policy, seed), source, clock: Box::new(clock) }
    }
}
