//! # aliyun-imds-tokio
//!
//! Temporary STS credentials of an Alibaba Cloud ECS instance RAM role, from the instance
//! metadata service, on tokio. It is the generic [`aliyun_imds_embedded`] loop over
//! `tokio::net::TcpStream` with tokio's timers, configured exactly like the blocking client
//! (the same [`Settings`], environment variables and errors), so the two behave the same.
//!
//! ```no_run
//! # async fn demo() -> Result<(), aliyun_imds::Error> {
//! let mut imds = aliyun_imds_tokio::AsyncImdsClient::from_env()?;
//! let credentials = imds.credentials().await?;
//! let region = imds.item("region-id").await?;
//! # Ok(()) }
//! ```

mod provider;

use std::net::SocketAddr;

use aliyun_imds::{Endpoint, Error, OperationClock, Resolved, Settings};
use aliyun_imds_core::{Client, Credentials, Instant, ItemPath};
use aliyun_imds_embedded::{Connector, Plain, Timeouts, Timer};
use embedded_io_adapters::tokio_1::FromTokio;
use tokio::net::TcpStream;

pub use provider::{AsyncCredentialsProvider, AsyncSource, BackgroundRefresh};

/// An async metadata client: the token and a discovered role are cached between fetches.
/// Never uses a proxy and never follows redirects.
#[derive(Debug)]
pub struct AsyncImdsClient {
    core: Box<Client>,
    endpoint: Endpoint,
    timeouts: Timeouts,
}

impl AsyncImdsClient {
    /// A client configured from the environment and defaults.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(&Settings::default())
    }

    /// A client with `settings`, completed from the environment and defaults.
    pub fn new(settings: &Settings) -> Result<Self, Error> {
        Ok(Self::with_resolved(settings.resolve()?))
    }

    /// A client with fully resolved settings.
    pub fn with_resolved(resolved: Resolved) -> Self {
        Self {
            core: Box::new(Client::new(resolved.config)),
            endpoint: resolved.endpoint,
            timeouts: Timeouts { connect: resolved.connect_timeout, io: resolved.read_timeout },
        }
    }

    /// The core client (configuration, cached role).
    pub fn core(&self) -> &Client {
        &self.core
    }

    /// Drops the cached metadata token and discovered role: the next fetch starts afresh.
    pub fn forget_cache(&mut self) {
        self.core.forget_cache();
    }

    /// Fetches the role's temporary credentials.
    pub async fn credentials(&mut self) -> Result<Credentials, Error> {
        let mut connector = TokioConnector::resolve(&self.endpoint).await?;
        let timer = TokioTimer(OperationClock::start());
        let op = self.core.credentials(timer.now());
        let credentials =
            aliyun_imds_embedded::run(op, &mut connector, &timer, self.timeouts).await?;
        Ok(credentials.clone())
    }

    /// Fetches the metadata item `path` (e.g. `region-id`).
    pub async fn item(&mut self, path: &str) -> Result<String, Error> {
        let path = ItemPath::new(path).map_err(aliyun_imds_core::Error::InvalidItemPath)?;
        let mut connector = TokioConnector::resolve(&self.endpoint).await?;
        let timer = TokioTimer(OperationClock::start());
        let op = self.core.item(path, timer.now());
        let value = aliyun_imds_embedded::run(op, &mut connector, &timer, self.timeouts).await?;
        Ok(value.to_owned())
    }
}

/// Connects to the endpoint's addresses, resolved once per fetch.
struct TokioConnector {
    addrs: Vec<SocketAddr>,
}

impl TokioConnector {
    async fn resolve(endpoint: &Endpoint) -> Result<Self, Error> {
        let unresolvable =
            |reason: String| Error::Endpoint { endpoint: endpoint.to_string(), reason };
        let addrs = tokio::net::lookup_host((endpoint.address.as_str(), endpoint.port))
            .await
            .map_err(|e| unresolvable(e.to_string()))?
            .collect();
        Ok(Self { addrs })
    }
}

impl Connector for TokioConnector {
    type Connection<'a> = Plain<FromTokio<TcpStream>>;

    async fn connect(&mut self) -> Option<Self::Connection<'_>> {
        for addr in &self.addrs {
            if let Ok(stream) = TcpStream::connect(addr).await {
                stream.set_nodelay(true).ok()?;
                return Some(Plain(FromTokio::new(stream)));
            }
        }
        None
    }
}

/// The operation's clock, sleeping on tokio's timer.
struct TokioTimer(OperationClock);

impl Timer for TokioTimer {
    fn now(&self) -> Instant {
        self.0.now()
    }

    async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep(self.0.until(deadline)).await;
    }
}
