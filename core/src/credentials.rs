//! The credentials value: one immutable snapshot of one fetch.

use core::fmt;

use heapless::String;
use zeroize::Zeroize;

use crate::Instant;
use crate::limits::{ACCESS_KEY_ID_LEN, ACCESS_KEY_SECRET_LEN, SECURITY_TOKEN_LEN};

/// How many leading characters of the `AccessKeyId` `Debug` and `Display` show.
const SHOWN_ID_PREFIX: usize = 8;

/// Temporary STS credentials of the instance RAM role, all from one fetch.
///
/// The value is immutable: fields from two fetches can never be mixed. `Debug`, `Display` and
/// `defmt::Format` show only the first characters of the `AccessKeyId` and the expiration;
/// the secret and the security token never appear. All three strings are zeroized on drop.
///
/// ```
/// use aliyun_imds_core::{Credentials, Instant};
/// let c = Credentials::new("STS.NUgYrLnoC37mZZCNnAbez", "9dtaSecretValue", "CAISTokenValue",
///                          Instant::from_secs(1_509_513_601), None)?;
/// assert_eq!(c.to_string(), "STS.NUgY… (expires 2017-11-01T05:20:01Z)");
/// assert!(!format!("{c:?}").contains("Secret") && !format!("{c:?}").contains("TokenValue"));
/// # Ok::<(), aliyun_imds_core::CredentialsError>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String<ACCESS_KEY_ID_LEN, u16>,
    access_key_secret: String<ACCESS_KEY_SECRET_LEN, u16>,
    security_token: String<SECURITY_TOKEN_LEN, u16>,
    expiration: Instant,
    last_updated: Option<Instant>,
}

/// A field of the credentials, as IMDS names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Field {
    /// `AccessKeyId`.
    AccessKeyId,
    /// `AccessKeySecret`.
    AccessKeySecret,
    /// `SecurityToken`.
    SecurityToken,
    /// `Expiration`.
    Expiration,
    /// `LastUpdated`.
    LastUpdated,
    /// `Code`.
    Code,
}

impl Field {
    /// The JSON name of the field.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessKeyId => "AccessKeyId",
            Self::AccessKeySecret => "AccessKeySecret",
            Self::SecurityToken => "SecurityToken",
            Self::Expiration => "Expiration",
            Self::LastUpdated => "LastUpdated",
            Self::Code => "Code",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a credentials value could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CredentialsError {
    /// A required field is empty.
    Empty(Field),
    /// A field is longer than its capacity.
    TooLong {
        /// Which field.
        field: Field,
        /// Its capacity in bytes.
        limit: usize,
    },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty(field) => write!(f, "{field} is empty"),
            Self::TooLong { field, limit } => write!(f, "{field} is longer than {limit} bytes"),
        }
    }
}

impl Credentials {
    /// Builds a value from its parts; the three strings must be non-empty and within
    /// [`ACCESS_KEY_ID_LEN`], [`ACCESS_KEY_SECRET_LEN`] and [`SECURITY_TOKEN_LEN`].
    pub fn new(
        access_key_id: &str,
        access_key_secret: &str,
        security_token: &str,
        expiration: Instant,
        last_updated: Option<Instant>,
    ) -> Result<Self, CredentialsError> {
        let mut value = Self::empty();
        for (field, text) in [
            (Field::AccessKeyId, access_key_id),
            (Field::AccessKeySecret, access_key_secret),
            (Field::SecurityToken, security_token),
        ] {
            if text.is_empty() {
                return Err(CredentialsError::Empty(field));
            }
            value.push_str(field, text)?;
        }
        value.expiration = expiration;
        value.last_updated = last_updated;
        Ok(value)
    }

    /// An empty value to fill field by field (see [`Credentials::push_str`]).
    pub(crate) const fn empty() -> Self {
        Self {
            access_key_id: String::new(),
            access_key_secret: String::new(),
            security_token: String::new(),
            expiration: Instant::EPOCH,
            last_updated: None,
        }
    }

    /// Appends to one of the three string fields.
    pub(crate) fn push_str(&mut self, field: Field, text: &str) -> Result<(), CredentialsError> {
        let (result, limit) = match field {
            Field::AccessKeyId => (self.access_key_id.push_str(text), ACCESS_KEY_ID_LEN),
            Field::AccessKeySecret => {
                (self.access_key_secret.push_str(text), ACCESS_KEY_SECRET_LEN)
            }
            _ => (self.security_token.push_str(text), SECURITY_TOKEN_LEN),
        };
        result.map_err(|_| CredentialsError::TooLong { field, limit })
    }

    /// Length in bytes of one of the three string fields.
    pub(crate) fn len_of(&self, field: Field) -> usize {
        match field {
            Field::AccessKeyId => self.access_key_id.len(),
            Field::AccessKeySecret => self.access_key_secret.len(),
            _ => self.security_token.len(),
        }
    }

    pub(crate) fn set_times(&mut self, expiration: Instant, last_updated: Option<Instant>) {
        self.expiration = expiration;
        self.last_updated = last_updated;
    }

    /// The `AccessKeyId` (not secret; starts with `STS.`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The `AccessKeySecret`. A secret: keep it out of logs.
    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    /// The `SecurityToken`. A secret: keep it out of logs.
    pub fn security_token(&self) -> &str {
        &self.security_token
    }

    /// When the credentials stop working (`Expiration`).
    pub fn expiration(&self) -> Instant {
        self.expiration
    }

    /// When IMDS issued them (`LastUpdated`), if it said.
    pub fn last_updated(&self) -> Option<Instant> {
        self.last_updated
    }

    /// Whether they still work at `now`.
    pub fn is_valid_at(&self, now: Instant) -> bool {
        now < self.expiration
    }

    /// The shown prefix of the `AccessKeyId`, and whether anything was cut.
    fn id_prefix(&self) -> (&str, bool) {
        let id = self.access_key_id();
        // The id is ASCII in practice; fall back to the whole id if the cut lands inside a
        // multi-byte character (it cannot when all bytes are ASCII).
        match id.get(..SHOWN_ID_PREFIX) {
            Some(prefix) if prefix.len() < id.len() => (prefix, true),
            _ if id.len() <= SHOWN_ID_PREFIX => (id, false),
            _ => ("", true),
        }
    }

    /// Zeroizes the three strings and resets the times.
    pub(crate) fn clear(&mut self) {
        wipe(&mut self.access_key_id);
        wipe(&mut self.access_key_secret);
        wipe(&mut self.security_token);
        self.set_times(Instant::EPOCH, None);
    }
}

/// Zeroizes the used bytes of `text` and empties it. The bytes past its length never held
/// anything since the last wipe (the strings are only ever appended to, then wiped), so they
/// need no wiping.
pub(crate) fn wipe<const N: usize>(text: &mut String<N, u16>) {
    text.as_mut_str().zeroize();
    text.clear();
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.clear();
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, cut) = self.id_prefix();
        f.debug_struct("Credentials")
            .field("access_key_id", &format_args!("{prefix}{}", if cut { "…" } else { "" }))
            .field("access_key_secret", &format_args!("<redacted>"))
            .field("security_token", &format_args!("<redacted>"))
            .field("expiration", &format_args!("{}", self.expiration))
            .field("last_updated", &self.last_updated.map(|t| t.as_secs()))
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, cut) = self.id_prefix();
        let ellipsis = if cut { "…" } else { "" };
        write!(f, "{prefix}{ellipsis} (expires {})", self.expiration)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Credentials {
    fn format(&self, f: defmt::Formatter<'_>) {
        let (prefix, cut) = self.id_prefix();
        defmt::write!(
            f,
            "Credentials {{ access_key_id: {=str}{=str}, secret: <redacted>, token: <redacted>, expiration: {=u64} }}",
            prefix,
            if cut { "…" } else { "" },
            self.expiration.as_secs()
        )
    }
}
