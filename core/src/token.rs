//! The metadata token of hardened mode: its lifetime setting, the secret itself, and its cache
//! entry.

use core::fmt;
use core::time::Duration;

use heapless::String;

use crate::Instant;
use crate::limits::METADATA_TOKEN_LEN;

/// The lifetime asked for in `X-aliyun-ecs-metadata-token-ttl-seconds`: 1 to 21600 seconds.
///
/// ```
/// use aliyun_imds_core::TokenTtl;
/// assert_eq!(TokenTtl::default().secs(), 21_600);
/// assert!(TokenTtl::new(0).is_err());
/// assert!(TokenTtl::new(21_601).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TokenTtl(u16);

/// A token TTL outside 1..=21600 seconds; carries the refused value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InvalidTokenTtl(pub u64);

impl fmt::Display for InvalidTokenTtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token TTL {} s is outside 1..={} s", self.0, TokenTtl::MAX_SECS)
    }
}

impl TokenTtl {
    /// The longest TTL IMDS grants, and our default: 6 hours.
    pub const MAX_SECS: u16 = 21_600;

    /// Validates a TTL in seconds.
    pub fn new(secs: u64) -> Result<Self, InvalidTokenTtl> {
        match u16::try_from(secs) {
            Ok(s) if (1..=Self::MAX_SECS).contains(&s) => Ok(Self(s)),
            _ => Err(InvalidTokenTtl(secs)),
        }
    }

    /// The TTL in seconds.
    pub fn secs(self) -> u16 {
        self.0
    }

    /// How long before its TTL ends a token stops being reused: a tenth of the TTL, at most a
    /// minute, so a token is never sent in the moment it expires.
    pub fn reuse_margin(self) -> Duration {
        Duration::from_millis(u64::from(self.0) * 100).min(Duration::from_secs(60))
    }
}

impl Default for TokenTtl {
    fn default() -> Self {
        Self(Self::MAX_SECS)
    }
}

/// Why a token response body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TokenError {
    /// The body was empty (or only whitespace).
    Empty,
    /// The token is longer than `limit` bytes.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The token holds a byte that cannot go into a header (control, space or non-ASCII).
    InvalidByte,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the token response was empty"),
            Self::TooLong { limit } => write!(f, "the token is longer than {limit} bytes"),
            Self::InvalidByte => f.write_str("the token holds bytes not allowed in a header"),
        }
    }
}

/// The metadata token: a secret, redacted in `Debug` and zeroized on drop.
#[derive(Clone)]
pub struct MetadataToken(String<METADATA_TOKEN_LEN, u16>);

impl MetadataToken {
    /// Takes a token from the body of a `200` answer to the token request: surrounding
    /// whitespace is trimmed; what remains must be 1 to [`METADATA_TOKEN_LEN`] visible ASCII
    /// characters, so it can never break the header it is sent in.
    pub fn from_body(body: &[u8]) -> Result<Self, TokenError> {
        let token = body.trim_ascii();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > METADATA_TOKEN_LEN {
            return Err(TokenError::TooLong { limit: METADATA_TOKEN_LEN });
        }
        if !token.iter().all(u8::is_ascii_graphic) {
            return Err(TokenError::InvalidByte);
        }
        let text = core::str::from_utf8(token).map_err(|_| TokenError::InvalidByte)?;
        String::try_from(text)
            .map(Self)
            .map_err(|_| TokenError::TooLong { limit: METADATA_TOKEN_LEN })
    }

    /// The token, for the `X-aliyun-ecs-metadata-token` header. Handle with care.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl Drop for MetadataToken {
    fn drop(&mut self) {
        crate::credentials::wipe(&mut self.0);
    }
}

impl fmt::Debug for MetadataToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetadataToken(<redacted>)")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for MetadataToken {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "MetadataToken(<redacted>)")
    }
}

/// A token and the moment it stops being reused.
#[derive(Debug)]
pub(crate) struct CachedToken {
    pub(crate) token: MetadataToken,
    reuse_until: Instant,
}

impl CachedToken {
    /// Caches `token`, whose request was *sent* at `sent_at` with `ttl`: the TTL runs from when
    /// IMDS answered, which is after the send, so counting from the send is always safe.
    pub(crate) fn new(token: MetadataToken, sent_at: Instant, ttl: TokenTtl) -> Self {
        let lifetime =
            Duration::from_secs(u64::from(ttl.secs())).saturating_sub(ttl.reuse_margin());
        Self { token, reuse_until: sent_at.saturating_add(lifetime) }
    }

    pub(crate) fn is_fresh(&self, now: Instant) -> bool {
        now < self.reuse_until
    }
}
