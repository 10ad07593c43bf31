//! Configuration with the precedence users know: explicit setting, then environment, then
//! default. Shared by every std-based client (blocking and async).

use std::time::Duration;

use aliyun_imds_core::{Config, Host, Mode, NameError, RetryPolicy, RoleName, TokenTtl};

use crate::Error;

/// `ALIBABA_CLOUD_ECS_METADATA`: the role name.
pub const ENV_ROLE: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `ALIBABA_CLOUD_IMDSV1_DISABLED`: `true` means hardened mode only.
pub const ENV_V1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// `ALIBABA_CLOUD_ECS_METADATA_DISABLED`: `true` means refuse to run.
pub const ENV_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT`: `host[:port]` of the metadata service.
pub const ENV_ENDPOINT: &str = "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT";

/// Default connect timeout, as the official SDKs.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default read (and write) timeout, as the official SDKs.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Explicit settings. Anything left `None` comes from the environment, then the default.
///
/// ```
/// use aliyun_imds::Settings;
/// use aliyun_imds_core::Mode;
/// let settings = Settings { role: Some("MyRole".into()), ..Settings::default() };
/// // The environment is passed in, so this is deterministic:
/// let env = |var: &str| (var == "ALIBABA_CLOUD_IMDSV1_DISABLED").then(|| "TRUE".to_owned());
/// let resolved = settings.resolve_with(env)?;
/// assert_eq!(resolved.config.mode, Mode::HardenedOnly);
/// assert_eq!(resolved.config.role.unwrap().as_str(), "MyRole");
/// assert_eq!(resolved.endpoint.to_string(), "100.100.100.200:80");
/// # Ok::<(), aliyun_imds::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The RAM role name (else `ALIBABA_CLOUD_ECS_METADATA`, else discovered).
    pub role: Option<String>,
    /// `host[:port]` of the metadata service (else
    /// `ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT`, else `100.100.100.200:80`).
    pub endpoint: Option<String>,
    /// Token policy (else hardened only if `ALIBABA_CLOUD_IMDSV1_DISABLED=true`, else auto).
    pub mode: Option<Mode>,
    /// Token TTL in seconds (else 21600).
    pub token_ttl_secs: Option<u64>,
    /// Connect timeout (else 1 s).
    pub connect_timeout: Option<Duration>,
    /// Read and write timeout (else 1 s).
    pub read_timeout: Option<Duration>,
    /// Deadline of one whole fetch, retries included (else 10 s).
    pub operation_timeout: Option<Duration>,
    /// Retries of transient failures (else 3 attempts, 100 ms doubling to 1 s).
    pub retry: Option<RetryPolicy>,
}

/// The metadata endpoint: host (as sent in `Host`) and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The host, as in the `Host` header (without the default port).
    pub host: Host,
    /// The TCP host name or address to connect to (IPv6 without brackets).
    pub address: String,
    /// The TCP port.
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.address.contains(':') {
            write!(f, "[{}]:{}", self.address, self.port)
        } else {
            write!(f, "{}:{}", self.address, self.port)
        }
    }
}

impl Endpoint {
    /// Parses `host[:port]` (`[v6]` or `[v6]:port` for IPv6; port 80 by default).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let host = Host::new(text)?;
        let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(NameError::BadPort);
        let (address, port) = match text.strip_prefix('[') {
            Some(rest) => {
                let (address, after) = rest.split_once(']').ok_or(NameError::BadSegment)?;
                match after.strip_prefix(':') {
                    Some(p) => (address, port(p)?),
                    None if after.is_empty() => (address, 80),
                    None => return Err(NameError::BadPort),
                }
            }
            // A bare IPv6 address has several colons: its port would not parse.
            None => match text.split_once(':') {
                Some((address, p)) => (address, port(p)?),
                None => (text, 80),
            },
        };
        if address.is_empty() {
            return Err(NameError::Empty);
        }
        Ok(Self { host, address: address.to_owned(), port })
    }
}

/// Settings resolved against the environment: everything a client needs.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The core's configuration.
    pub config: Config,
    /// Where to connect.
    pub endpoint: Endpoint,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read and write timeout.
    pub read_timeout: Duration,
}

impl Settings {
    /// Resolves against the process environment.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        self.resolve_with(|var| std::env::var(var).ok())
    }

    /// Resolves against the environment `env` gives (a variable's value, or `None`).
    /// Empty variables count as unset.
    pub fn resolve_with(&self, env: impl Fn(&str) -> Option<String>) -> Result<Resolved, Error> {
        let env = |var: &str| env(var).filter(|v| !v.is_empty());
        if env_bool(ENV_DISABLED, env(ENV_DISABLED))? {
            return Err(Error::Disabled);
        }
        let mode = match self.mode {
            Some(mode) => mode,
            None if env_bool(ENV_V1_DISABLED, env(ENV_V1_DISABLED))? => Mode::HardenedOnly,
            None => Mode::Auto,
        };
        let role = match (&self.role, env(ENV_ROLE)) {
            (Some(role), _) => {
                Some(RoleName::new(role).map_err(aliyun_imds_core::Error::InvalidRoleName)?)
            }
            (None, Some(role)) => Some(RoleName::new(&role).map_err(|e| Error::InvalidEnv {
                var: ENV_ROLE,
                reason: format!("not a valid role name: {e}"),
            })?),
            (None, None) => None,
        };
        let endpoint = match (&self.endpoint, env(ENV_ENDPOINT)) {
            (Some(endpoint), _) => {
                Endpoint::parse(endpoint).map_err(aliyun_imds_core::Error::InvalidHost)?
            }
            (None, Some(endpoint)) => {
                Endpoint::parse(&endpoint).map_err(|e| Error::InvalidEnv {
                    var: ENV_ENDPOINT,
                    reason: format!("expected host[:port]: {e}"),
                })?
            }
            (None, None) => Endpoint {
                host: Host::default(),
                address: Host::METADATA_SERVICE.to_owned(),
                port: 80,
            },
        };
        let token_ttl = match self.token_ttl_secs {
            Some(secs) => TokenTtl::new(secs).map_err(aliyun_imds_core::Error::from)?,
            None => TokenTtl::default(),
        };
        let defaults = Config::default();
        let config = Config {
            host: endpoint.host.clone(),
            mode,
            role,
            token_ttl,
            retry: self.retry.unwrap_or(defaults.retry),
            operation_timeout: self.operation_timeout.unwrap_or(defaults.operation_timeout),
            jitter_seed: jitter_seed(),
        };
        Ok(Resolved {
            config,
            endpoint,
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            read_timeout: self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT),
        })
    }
}

/// `true` or `false`, case-insensitive; anything else is an error naming the variable.
fn env_bool(var: &'static str, value: Option<String>) -> Result<bool, Error> {
    match value.as_deref().map(str::trim) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(Error::InvalidEnv { var, reason: "expected true or false".to_owned() }),
    }
}

/// A seed that differs between processes and runs, so clients do not retry in lockstep.
fn jitter_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(std::process::id()) << 32) ^ u64::from(nanos)
}
