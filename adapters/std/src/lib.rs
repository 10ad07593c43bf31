//! # aliyun-imds
//!
//! Temporary STS credentials of an Alibaba Cloud ECS instance RAM role, from the instance
//! metadata service, over blocking std TCP. It drives the sans-IO
//! [`aliyun_imds_core`] machine, so it has the same policy (hardened first, token reuse,
//! retries, no redirects) and the same errors as every other adapter.
//!
//! ```no_run
//! use aliyun_imds::{ImdsClient, Settings};
//! use aliyun_imds_core::Mode;
//!
//! // Explicit settings win over ALIBABA_CLOUD_* variables, which win over defaults.
//! let settings = Settings { mode: Some(Mode::HardenedOnly), ..Settings::default() };
//! let mut imds = ImdsClient::new(&settings)?;
//! let credentials = imds.credentials()?;
//! let (id, secret, token) =
//!     (credentials.access_key_id(), credentials.access_key_secret(), credentials.security_token());
//! # let _ = (id, secret, token);
//! # Ok::<(), aliyun_imds::Error>(())
//! ```
//!
//! Library users get no CLI dependencies: the command lives in the `aliyun-imds-cli` crate.

mod blocking;
mod cache;
mod clock;
mod error;
mod provider;
mod settings;

pub use aliyun_imds_core::{Credentials, Mode, RefreshPolicy, RetryPolicy};
pub use blocking::ImdsClient;
pub use cache::{CredentialsCache, Plan, ProviderParts};
pub use clock::{OperationClock, wall_clock};
pub use error::Error;
pub use provider::{BackgroundRefresh, Clock, CredentialsProvider, Source, SystemClock};
pub use settings::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, ENV_DISABLED, ENV_ENDPOINT, ENV_ROLE,
    ENV_V1_DISABLED, Endpoint, Resolved, Settings,
};
