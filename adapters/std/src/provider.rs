//! The blocking credentials provider: cached credentials, refreshed ahead of expiry, one
//! fetch at a time, never expired.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use aliyun_imds_core::{Credentials, Instant, RefreshPolicy};

use crate::cache::{Plan, ProviderParts};
use crate::{Error, ImdsClient, wall_clock};

/// Where a provider gets credentials from.
pub trait Source: Send {
    /// Fetches fresh credentials.
    fn fetch(&mut self) -> Result<Credentials, Error>;
}

impl Source for ImdsClient {
    fn fetch(&mut self) -> Result<Credentials, Error> {
        self.credentials()
    }
}

impl<F: FnMut() -> Result<Credentials, Error> + Send> Source for F {
    fn fetch(&mut self) -> Result<Credentials, Error> {
        self()
    }
}

/// The provider's clock (tests use a virtual one).
pub trait Clock: Send + Sync {
    /// The current Unix time.
    fn now(&self) -> Instant;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        wall_clock()
    }
}

/// Credentials for long-running programs: [`credentials`](Self::credentials) hands out a
/// consistent snapshot, without a lock while it is fresh. The refresh policy is the core's
/// [`RefreshPolicy`]:
/// - Credentials are refreshed ahead of expiry, by one caller while the others are served the
///   cached ones (or by [`refresh_in_background`](Self::refresh_in_background)).
/// - A failed refresh is retried with capped, jittered backoff while valid credentials are
///   served.
/// - Expired credentials are never served: callers get the last error until a fetch works.
///
/// Clones share the cache.
///
/// ```no_run
/// let provider = aliyun_imds::CredentialsProvider::from_env()?;
/// let _refresher = provider.refresh_in_background();
/// let credentials = provider.credentials()?; // Arc<Credentials>, cheap to call often
/// # Ok::<(), aliyun_imds::Error>(())
/// ```
pub struct CredentialsProvider<S = ImdsClient> {
    shared: Arc<ProviderParts<Mutex<S>>>,
}

impl<S> Clone for CredentialsProvider<S> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl<S> std::fmt::Debug for CredentialsProvider<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("cache", &self.shared.cache)
            .finish_non_exhaustive()
    }
}

impl CredentialsProvider<ImdsClient> {
    /// A provider over an [`ImdsClient`] configured from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(ImdsClient::from_env()?))
    }

    /// A provider over `client`, with the default policy and the system clock.
    pub fn new(client: ImdsClient) -> Self {
        Self::with_source(client, RefreshPolicy::default(), SystemClock)
    }
}

impl<S: Source + 'static> CredentialsProvider<S> {
    /// A provider over any `source`, with `policy` and `clock`.
    pub fn with_source(source: S, policy: RefreshPolicy, clock: impl Clock + 'static) -> Self {
        Self { shared: Arc::new(ProviderParts::new(Mutex::new(source), policy, clock)) }
    }

    /// Valid credentials: the cached ones, or freshly fetched ones. Fails with the last error
    /// when nothing valid is cached and fetching does not work.
    pub fn credentials(&self) -> Result<Arc<Credentials>, Error> {
        let shared = &*self.shared;
        let now = shared.clock.now();
        if let Some(credentials) = shared.cache.fresh(now) {
            return Ok(credentials);
        }
        match shared.cache.plan(now) {
            Plan::Serve(credentials) => Ok(credentials),
            Plan::Fail(error) => Err(error),
            Plan::ServeAndRefresh(credentials) => {
                // Single flight: whoever holds the source refreshes; the others serve.
                let Ok(source) = shared.source.try_lock() else {
                    return Ok(credentials);
                };
                self.refresh_with(source)
            }
            Plan::Fetch => {
                let source = shared.source.lock().unwrap_or_else(PoisonError::into_inner);
                self.refresh_with(source)
            }
        }
    }

    /// With the source held: fetches unless another caller already did.
    fn refresh_with(&self, mut source: MutexGuard<'_, S>) -> Result<Arc<Credentials>, Error> {
        let cache = &self.shared.cache;
        match cache.plan_held(self.shared.clock.now()) {
            Ok(outcome) => outcome,
            Err(fallback) => cache.finish(source.fetch(), self.shared.clock.now(), fallback),
        }
    }

    /// Starts a thread that refreshes the credentials when due, so callers never wait for a
    /// fetch once the first one has worked. It stops when the handle is dropped.
    pub fn refresh_in_background(&self) -> BackgroundRefresh {
        let (stop, stopped) = mpsc::channel::<()>();
        let provider = self.clone();
        let thread = std::thread::Builder::new()
            .name("imds-refresh".into())
            .spawn(move || {
                loop {
                    let now = provider.shared.clock.now();
                    let due = provider.shared.cache.next_refresh().unwrap_or(now);
                    let wait = due.saturating_duration_since(now).max(Duration::from_millis(10));
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {
                            let _ = provider.credentials();
                        }
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .ok();
        BackgroundRefresh { stop, thread }
    }
}

/// A running background refresh; dropping it stops the thread.
#[derive(Debug)]
pub struct BackgroundRefresh {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BackgroundRefresh {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
