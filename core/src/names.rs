//! Validated names that end up in a request line or header: the endpoint host, the RAM role
//! name and metadata item paths. Each is checked once, when it is made, so nothing unchecked
//! ever reaches the wire.

use core::fmt;

use heapless::String;

use crate::limits::{HOST_LEN, ITEM_PATH_LEN, ROLE_NAME_LEN};

/// Why a name (host, role, item path) was refused. Carries no copy of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than `limit` bytes.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The byte at `index` is not allowed here (`byte` is its value).
    InvalidByte {
        /// Where it is, counting from 0.
        index: usize,
        /// The offending byte.
        byte: u8,
    },
    /// The name, or a path segment, is `.` or `..`, or a path has an empty segment.
    BadSegment,
    /// The port of a `host:port` is not a number from 1 to 65535.
    BadPort,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("it is empty"),
            Self::TooLong { limit } => write!(f, "it is longer than {limit} bytes"),
            Self::InvalidByte { index, byte } if byte.is_ascii_graphic() => {
                write!(f, "character '{}' at position {index} is not allowed", byte as char)
            }
            Self::InvalidByte { index, byte } => {
                write!(f, "byte 0x{byte:02x} at position {index} is not allowed")
            }
            Self::BadSegment => f.write_str("it has an empty, '.' or '..' segment"),
            Self::BadPort => f.write_str("the port is not a number from 1 to 65535"),
        }
    }
}

/// Checks length and bytes, then copies `text` into a fixed-capacity string.
fn checked<const N: usize>(
    text: &str,
    allowed: impl Fn(u8) -> bool,
) -> Result<String<N, u8>, NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some((index, &byte)) = text.as_bytes().iter().enumerate().find(|(_, b)| !allowed(**b)) {
        return Err(NameError::InvalidByte { index, byte });
    }
    String::try_from(text).map_err(|_| NameError::TooLong { limit: N })
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

fn is_dots(segment: &str) -> bool {
    segment == "." || segment == ".."
}

/// The `host[:port]` of the metadata endpoint, as sent in the `Host` header.
///
/// Letters, digits, `.`, `-`, `:`, `[` and `]` (for IPv6 literals), at most
/// [`HOST_LEN`] bytes.
///
/// ```
/// use aliyun_imds_core::Host;
/// assert_eq!(Host::default().as_str(), "100.100.100.200");
/// assert!(Host::new("127.0.0.1:8080").is_ok());
/// assert!(Host::new("evil\r\nX-Injected: 1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Host(String<HOST_LEN, u8>);

impl Host {
    /// The address of Alibaba Cloud's instance metadata service.
    pub const METADATA_SERVICE: &'static str = "100.100.100.200";

    /// Validates `host` (optionally with `:port`).
    pub fn new(host: &str) -> Result<Self, NameError> {
        checked(host, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
        })
        .map(Self)
    }

    /// The host as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Host {
    fn default() -> Self {
        let mut host = String::new();
        // The constant is 15 bytes, well within HOST_LEN.
        let _ = host.push_str(Self::METADATA_SERVICE);
        Self(host)
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a RAM role, checked before it touches a request path.
///
/// 1 to [`ROLE_NAME_LEN`] bytes of ASCII letters, digits, `.`, `-` and `_`; not `.` or `..`.
/// So no `/`, no `%`, no spaces and no CR/LF can reach the request line.
///
/// ```
/// use aliyun_imds_core::RoleName;
/// assert!(RoleName::new("EcsRamRoleDocumentTesting").is_ok());
/// assert!(RoleName::new("../../latest/api/token").is_err());
/// assert!(RoleName::new("role%2F").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RoleName(String<ROLE_NAME_LEN, u8>);

impl RoleName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self, NameError> {
        let name = checked(name, is_name_byte)?;
        if is_dots(&name) {
            return Err(NameError::BadSegment);
        }
        Ok(Self(name))
    }

    /// The role name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metadata item path below `/latest/meta-data/`, such as `region-id` or
/// `network/interfaces/macs/`.
///
/// Segments of ASCII letters, digits, `.`, `-` and `_` joined by `/`, with an optional trailing
/// `/` (a listing); no leading `/`, no empty, `.` or `..` segment; at most
/// [`ITEM_PATH_LEN`] bytes.
///
/// ```
/// use aliyun_imds_core::ItemPath;
/// assert!(ItemPath::new("region-id").is_ok());
/// assert!(ItemPath::new("ram/security-credentials/").is_ok());
/// assert!(ItemPath::new("../api/token").is_err());
/// assert!(ItemPath::new("/region-id").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ItemPath(String<ITEM_PATH_LEN, u8>);

impl ItemPath {
    /// Validates `path`.
    pub fn new(path: &str) -> Result<Self, NameError> {
        let path = checked(path, |b| is_name_byte(b) || b == b'/')?;
        let segments = path.strip_suffix('/').unwrap_or(&path);
        if segments.split('/').any(|s| s.is_empty() || is_dots(s)) {
            return Err(NameError::BadSegment);
        }
        Ok(Self(path))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ItemPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ItemPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
mod defmt_impls {
    use super::{Host, ItemPath, RoleName};

    impl defmt::Format for Host {
        fn format(&self, f: defmt::Formatter<'_>) {
            defmt::write!(f, "{=str}", self.as_str())
        }
    }
    impl defmt::Format for RoleName {
        fn format(&self, f: defmt::Formatter<'_>) {
            defmt::write!(f, "{=str}", self.as_str())
        }
    }
    impl defmt::Format for ItemPath {
        fn format(&self, f: defmt::Formatter<'_>) {
            defmt::write!(f, "{=str}", self.as_str())
        }
    }
}
