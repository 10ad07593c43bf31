//! Errors of the std client: the core's, plus configuration and endpoint problems.

use std::fmt;

/// Why a fetch failed. `Display` is one line with a hint, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The metadata protocol failed (see the core's error for every case).
    Imds(aliyun_imds_core::Error),
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`: the provider refuses to run.
    Disabled,
    /// An environment variable holds an invalid value.
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint could not be resolved to an address.
    Endpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Imds(e) => fmt::Display::fmt(e, f),
            Self::Disabled => f.write_str(
                "the ECS metadata credentials provider is disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
            ),
            Self::InvalidEnv { var, reason } => write!(f, "invalid {var}: {reason}"),
            Self::Endpoint { endpoint, reason } => {
                write!(f, "cannot resolve the metadata endpoint '{endpoint}': {reason}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Imds(e) => Some(e),
            _ => None,
        }
    }
}

impl From<aliyun_imds_core::Error> for Error {
    fn from(e: aliyun_imds_core::Error) -> Self {
        Self::Imds(e)
    }
}
