//! What the client is told: endpoint, mode, role, token TTL, retries and deadline.

use core::num::NonZeroU8;
use core::time::Duration;

use crate::names::{Host, RoleName};
use crate::token::TokenTtl;

/// How the metadata token (hardened mode, "IMDSv2") is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// Hardened first; if the token request fails, carry on in normal mode (as the official
    /// SDKs do).
    #[default]
    Auto,
    /// Hardened only: never send a request without a token
    /// (`ALIBABA_CLOUD_IMDSV1_DISABLED=true`).
    HardenedOnly,
    /// Normal only: never ask for a token (old images).
    NormalOnly,
}

/// Retries of transient failures (transport errors, `429`, `5xx`): bounded attempts with
/// capped exponential backoff and jitter drawn from the caller's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: NonZeroU8,
    /// Backoff before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff 100 ms doubling up to 1 s.
    fn default() -> Self {
        Self {
            max_attempts: NonZeroU8::new(3).unwrap_or(NonZeroU8::MIN),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt per request.
    pub const NONE: Self = Self {
        max_attempts: NonZeroU8::MIN,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The backoff before retry number `retry` (1 for the first retry): the capped
    /// exponential delay `d`, jittered uniformly into `[d/2, d]` by `random`.
    pub fn backoff(&self, retry: u8, random: u64) -> Duration {
        let doubling = u32::from(retry.saturating_sub(1)).min(31);
        let full = self.initial_backoff.saturating_mul(1 << doubling).min(self.max_backoff);
        let full_ms = crate::time::millis_of(full);
        let half = full_ms / 2;
        let jitter = random % (full_ms - half + 1);
        Duration::from_millis(half + jitter)
    }
}

/// Timeouts of single transport calls, for adapters; the whole operation is bounded by
/// [`Config::operation_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// Opening a connection.
    pub connect: Duration,
    /// One read, write or close.
    pub io: Duration,
}

impl Default for Timeouts {
    /// 1 s each, as the official SDKs.
    fn default() -> Self {
        Self { connect: Duration::from_secs(1), io: Duration::from_secs(1) }
    }
}

/// The client's configuration. Every field is already validated by its type.
///
/// ```
/// use aliyun_imds_core::{Config, Mode, RoleName};
/// let config = Config::default()
///     .with_mode(Mode::HardenedOnly)
///     .with_role(RoleName::new("MyEcsRole")?);
/// assert_eq!(config.host.as_str(), "100.100.100.200");
/// # Ok::<(), aliyun_imds_core::NameError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The `Host` header (the endpoint's `host[:port]`). Default `100.100.100.200`.
    pub host: Host,
    /// Token policy. Default [`Mode::Auto`].
    pub mode: Mode,
    /// The RAM role; `None` discovers it (once, then cached). Default `None`.
    pub role: Option<RoleName>,
    /// TTL asked for new tokens. Default 21600 s.
    pub token_ttl: TokenTtl,
    /// Retries of transient failures. Default: see [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// Deadline of one whole operation, retries and backoff included. Default 10 s.
    pub operation_timeout: Duration,
    /// Seed of the backoff jitter (use something that differs between processes, such as the
    /// process id mixed with the start time). Default 0.
    pub jitter_seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: Host::default(),
            mode: Mode::Auto,
            role: None,
            token_ttl: TokenTtl::default(),
            retry: RetryPolicy::default(),
            operation_timeout: Duration::from_secs(10),
            jitter_seed: 0,
        }
    }
}

impl Config {
    /// Sets [`Config::host`].
    #[must_use]
    pub fn with_host(mut self, host: Host) -> Self {
        self.host = host;
        self
    }

    /// Sets [`Config::mode`].
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets [`Config::role`].
    #[must_use]
    pub fn with_role(mut self, role: RoleName) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets [`Config::token_ttl`].
    #[must_use]
    pub fn with_token_ttl(mut self, ttl: TokenTtl) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Sets [`Config::retry`].
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`Config::operation_timeout`].
    #[must_use]
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Sets [`Config::jitter_seed`].
    #[must_use]
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }
}
