//! The tokio credentials provider: the same cache and policy as the blocking one, with an
//! async source and an async single-flight lock.

use std::sync::Arc;
use std::time::Duration;

use aliyun_imds::{Clock, Error, Plan, ProviderParts, SystemClock};
use aliyun_imds_core::{Credentials, RefreshPolicy};
use tokio::sync::{Mutex, MutexGuard};
use tokio::task::JoinHandle;

use crate::AsyncImdsClient;

/// Where an async provider gets credentials from.
pub trait AsyncSource: Send {
    /// Fetches fresh credentials.
    fn fetch(&mut self) -> impl Future<Output = Result<Credentials, Error>> + Send;
}

impl AsyncSource for AsyncImdsClient {
    fn fetch(&mut self) -> impl Future<Output = Result<Credentials, Error>> + Send {
        self.credentials()
    }
}

/// Credentials for long-running tokio programs; see the blocking
/// [`CredentialsProvider`](aliyun_imds::CredentialsProvider) for the policy, which is the
/// same. Clones share the cache.
///
/// ```no_run
/// # async fn demo() -> Result<(), aliyun_imds::Error> {
/// let provider = aliyun_imds_tokio::AsyncCredentialsProvider::from_env()?;
/// let _refresher = provider.refresh_in_background();
/// let credentials = provider.credentials().await?;
/// # Ok(()) }
/// ```
pub struct AsyncCredentialsProvider<S = AsyncImdsClient> {
    shared: Arc<ProviderParts<Mutex<S>>>,
}

impl<S> Clone for AsyncCredentialsProvider<S> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl<S> std::fmt::Debug for AsyncCredentialsProvider<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncCredentialsProvider")
            .field("cache", &self.shared.cache)
            .finish_non_exhaustive()
    }
}

impl AsyncCredentialsProvider<AsyncImdsClient> {
    /// A provider over an [`AsyncImdsClient`] configured from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(AsyncImdsClient::from_env()?))
    }

    /// A provider over `client`, with the default policy and the system clock.
    pub fn new(client: AsyncImdsClient) -> Self {
        Self::with_source(client, RefreshPolicy::default(), SystemClock)
    }
}

impl<S: AsyncSource + 'static> AsyncCredentialsProvider<S> {
    /// A provider over any `source`, with `policy` and `clock`.
    pub fn with_source(source: S, policy: RefreshPolicy, clock: impl Clock + 'static) -> Self {
        Self { shared: Arc::new(ProviderParts::new(Mutex::new(source), policy, clock)) }
    }

    /// Valid credentials: the cached ones, or freshly fetched ones.
    pub async fn credentials(&self) -> Result<Arc<Credentials>, Error> {
        let shared = &*self.shared;
        let now = shared.clock.now();
        if let Some(credentials) = shared.cache.fresh(now) {
            return Ok(credentials);
        }
        match shared.cache.plan(now) {
            Plan::Serve(credentials) => Ok(credentials),
            Plan::Fail(error) => Err(error),
            Plan::ServeAndRefresh(credentials) => match shared.source.try_lock() {
                Ok(source) => self.refresh_with(source).await,
                Err(_) => Ok(credentials),
            },
            Plan::Fetch => self.refresh_with(shared.source.lock().await).await,
        }
    }

    /// With the source held: fetches unless another caller already did.
    async fn refresh_with(&self, mut source: MutexGuard<'_, S>) -> Result<Arc<Credentials>, Error> {
        let cache = &self.shared.cache;
        match cache.plan_held(self.shared.clock.now()) {
            Ok(outcome) => outcome,
            Err(fallback) => cache.finish(source.fetch().await, self.shared.clock.now(), fallback),
        }
    }

    /// Spawns a task that refreshes the credentials when due; it stops when the handle is
    /// dropped.
    pub fn refresh_in_background(&self) -> BackgroundRefresh {
        let provider = self.clone();
        BackgroundRefresh(tokio::spawn(async move {
            loop {
                let now = provider.shared.clock.now();
                let due = provider.shared.cache.next_refresh().unwrap_or(now);
                let wait = due.saturating_duration_since(now).max(Duration::from_millis(10));
                tokio::time::sleep(wait).await;
                let _ = provider.credentials().await;
            }
        }))
    }
}

/// A running background refresh task; dropping it stops the task.
#[derive(Debug)]
pub struct BackgroundRefresh(JoinHandle<()>);

impl Drop for BackgroundRefresh {
    fn drop(&mut self) {
        self.0.abort();
    }
}
