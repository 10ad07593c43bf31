//! The one error type of the machine: specific, one line, with a hint, never a secret.

use core::fmt;

use crate::document::DocumentError;
use crate::http::ResponseError;
use crate::names::{ItemPath, NameError, RoleName};
use crate::token::{InvalidTokenTtl, TokenError};

/// Which of the metadata requests something is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RequestKind {
    /// `PUT /latest/api/token`.
    Token,
    /// `GET /latest/meta-data/ram/security-credentials/`.
    RoleDiscovery,
    /// `GET /latest/meta-data/ram/security-credentials/<role>`.
    Credentials,
    /// `GET /latest/meta-data/<item>`.
    Item,
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Token => "token request (PUT /latest/api/token)",
            Self::RoleDiscovery => {
                "role discovery (GET /latest/meta-data/ram/security-credentials/)"
            }
            Self::Credentials => "credentials request",
            Self::Item => "metadata item request",
        })
    }
}

/// A failure of the transport, reported by the caller through `transport_failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransportError {
    /// The connection could not be opened (refused, unreachable, or connect timed out).
    Connect,
    /// A read or write timed out.
    Timeout,
    /// The connection was reset or broke while sending or receiving.
    Reset,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Reset => "connection reset",
        })
    }
}

/// How one request failed; kept as the cause when hardened mode cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Failure {
    /// IMDS answered with this unexpected status.
    Status(u16),
    /// The transport failed.
    Transport(TransportError),
    /// The response could not be read.
    Response(ResponseError),
    /// The token in a `200` answer is unusable.
    Token(TokenError),
}

impl Failure {
    /// Worth another attempt: transport trouble, `429` and `5xx`.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status(status) => *status == 429 || (500..=599).contains(status),
            Self::Transport(_) => true,
            Self::Response(_) | Self::Token(_) => false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "HTTP {status}"),
            Self::Transport(e) => fmt::Display::fmt(e, f),
            Self::Response(e) => fmt::Display::fmt(e, f),
            Self::Token(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// Everything that can go wrong, each case specific and actionable.
///
/// `Display` is one line: what failed, in which request, and a hint. No variant holds a
/// secret or a response body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// A configured role name is not acceptable.
    InvalidRoleName(NameError),
    /// A metadata item path is not acceptable.
    InvalidItemPath(NameError),
    /// An endpoint `host[:port]` is not acceptable.
    InvalidHost(NameError),
    /// A token TTL outside 1..=21600 seconds.
    InvalidTokenTtl(InvalidTokenTtl),
    /// IMDS answered role discovery with a name that is not a valid role name.
    DiscoveredRoleInvalid(NameError),
    /// No RAM role is attached to the instance (role discovery found none).
    NoRoleAttached,
    /// The role is not attached to this instance (`404` on its credentials).
    RoleNotFound(RoleName),
    /// The metadata item does not exist (`404`).
    ItemNotFound(ItemPath),
    /// Hardened mode is required, but the token request failed.
    HardenedModeRequired {
        /// How the token request failed (its last attempt).
        cause: Failure,
        /// Attempts made.
        attempts: u8,
    },
    /// IMDS rejected the request as unauthorized (`401`/`403`).
    Unauthorized {
        /// Which request.
        request: RequestKind,
        /// The status.
        status: u16,
        /// Whether the request carried a metadata token.
        with_token: bool,
    },
    /// IMDS answered with a redirect, which is never followed.
    Redirect {
        /// Which request.
        request: RequestKind,
        /// The `3xx` status.
        status: u16,
    },
    /// IMDS answered with an unexpected status.
    Status {
        /// Which request.
        request: RequestKind,
        /// The status.
        status: u16,
        /// Attempts made (more than one for transient statuses).
        attempts: u8,
    },
    /// The response could not be read.
    Response {
        /// Which request.
        request: RequestKind,
        /// What was wrong with it.
        error: ResponseError,
    },
    /// The role discovery or item answer is not UTF-8 text.
    NotText(RequestKind),
    /// The credentials document was refused.
    Document(DocumentError),
    /// The credentials IMDS sent had already expired when they were requested.
    ExpiredOnArrival {
        /// Their `Expiration`, in seconds since the epoch.
        expiration_secs: u64,
    },
    /// The transport failed on every attempt.
    Transport {
        /// Which request.
        request: RequestKind,
        /// The last failure.
        error: TransportError,
        /// Attempts made.
        attempts: u8,
    },
    /// The operation's deadline passed.
    DeadlineExceeded {
        /// The request under way or due when it passed.
        request: RequestKind,
    },
    /// `finish` was called before the operation ended.
    Unfinished,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRoleName(e) => write!(
                f,
                "invalid role name: {e} (use letters, digits, '.', '-' or '_', at most 64)"
            ),
            Self::InvalidItemPath(e) => write!(
                f,
                "invalid metadata item path: {e} (segments of letters, digits, '.', '-', '_' joined by '/')"
            ),
            Self::InvalidHost(e) => write!(f, "invalid metadata endpoint: {e} (expected host[:port])"),
            Self::InvalidTokenTtl(e) => write!(f, "invalid token TTL: {e}"),
            Self::DiscoveredRoleInvalid(e) => {
                write!(f, "role discovery returned an unusable role name: {e}")
            }
            Self::NoRoleAttached => f.write_str(
                "no RAM role attached to this instance (attach one in the ECS console, or set the role name)",
            ),
            Self::RoleNotFound(role) => write!(
                f,
                "role '{role}' is not attached to this instance (404 on its credentials; check the name's spelling and case)"
            ),
            Self::ItemNotFound(path) => {
                write!(f, "metadata item '{path}' does not exist on this instance (404)")
            }
            Self::HardenedModeRequired { cause, attempts } => write!(
                f,
                "hardened mode required but the token request failed after {attempts} attempt(s): {cause}"
            ),
            Self::Unauthorized { request, status, with_token: true } => write!(
                f,
                "{request} rejected with {status} even with a fresh metadata token (is the token from another instance?)"
            ),
            Self::Unauthorized { request, status, with_token: false } => write!(
                f,
                "{request} rejected with {status} without a metadata token: this instance requires hardened mode"
            ),
            Self::Redirect { request, status } => {
                write!(f, "{request} answered with redirect {status}; redirects are not followed")
            }
            Self::Status { request, status, attempts } => {
                write!(f, "{request} failed with HTTP {status} after {attempts} attempt(s)")
            }
            Self::Response { request, error } => write!(f, "{request}: {error}"),
            Self::NotText(request) => write!(f, "{request}: the answer is not UTF-8 text"),
            Self::Document(e) => write!(f, "credentials request: {e}"),
            Self::ExpiredOnArrival { expiration_secs } => write!(
                f,
                "IMDS returned credentials that had already expired ({}); check the clock",
                crate::Instant::from_secs(*expiration_secs)
            ),
            Self::Transport { request, error, attempts } => write!(
                f,
                "{request} {error} after {attempts} attempt(s): is this an ECS instance with the metadata service reachable?"
            ),
            Self::DeadlineExceeded { request } => {
                write!(f, "{request}: the operation's deadline passed")
            }
            Self::Unfinished => f.write_str("the operation was ended before it finished"),
        }
    }
}

impl core::error::Error for Error {}

impl From<InvalidTokenTtl> for Error {
    fn from(e: InvalidTokenTtl) -> Self {
        Self::InvalidTokenTtl(e)
    }
}

impl Error {
    /// The error for `failure` of `request` after `attempts` attempts.
    /// A token request only fails an operation in hardened-only mode, hence the first arm.
    pub(crate) fn from_failure(request: RequestKind, failure: Failure, attempts: u8) -> Self {
        match failure {
            cause if request == RequestKind::Token => {
                Self::HardenedModeRequired { cause, attempts }
            }
            Failure::Status(status @ 300..=399) => Self::Redirect { request, status },
            Failure::Status(status) => Self::Status { request, status, attempts },
            Failure::Transport(error) => Self::Transport { request, error, attempts },
            Failure::Response(error) => Self::Response { request, error },
            Failure::Token(e) => Self::HardenedModeRequired { cause: Failure::Token(e), attempts },
        }
    }
}
