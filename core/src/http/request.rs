//! Requests: what the machine wants sent, and its encoding as HTTP/1.1 bytes.

use core::fmt::{self, Write};

/// The `User-Agent` every request carries: this project and its version.
pub const USER_AGENT: &str = concat!("aliyun-imds/", env!("CARGO_PKG_VERSION"));

/// HTTP method of a metadata request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method {
    /// `GET`: role discovery, credentials and metadata items.
    Get,
    /// `PUT`: the token request.
    Put,
}

impl Method {
    /// The method as it appears on the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
        }
    }
}

/// One request header. `Debug` hides the value of a sensitive header (the metadata token).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Header name.
    pub name: &'static str,
    /// Header value. For `X-aliyun-ecs-metadata-token` this is a secret.
    pub value: &'a str,
    /// Whether the value is a secret.
    pub sensitive: bool,
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.sensitive { &"<redacted>" } else { &self.value };
        f.debug_struct("Header").field("name", &self.name).field("value", value).finish()
    }
}

/// A request the machine wants made: method, path and headers.
///
/// `headers` holds `User-Agent` and, when the request needs them, the token TTL header or the
/// token header. Transport headers (`Host`, `Content-Length`, `Connection`) are left to the
/// HTTP client; the byte-level [`Operation`](crate::Operation) writes them itself.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `GET` or `PUT`.
    pub method: Method,
    /// The request path, e.g. `/latest/meta-data/ram/security-credentials/MyRole`.
    pub path: &'a str,
    headers: [Option<Header<'a>>; 2],
}

impl<'a> Request<'a> {
    pub(crate) fn new(method: Method, path: &'a str, extra: Option<Header<'a>>) -> Self {
        let agent = Header { name: "User-Agent", value: USER_AGENT, sensitive: false };
        Self { method, path, headers: [Some(agent), extra] }
    }

    /// The headers to send with it.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + 'a {
        self.headers.into_iter().flatten()
    }
}

/// Writes `request` as HTTP/1.1 into `buf`; returns the number of bytes, or `None` if `buf`
/// is too small (it never is for the machine's own buffer: every part is bounded).
pub(crate) fn encode(request: &Request<'_>, host: &str, buf: &mut [u8]) -> Option<usize> {
    let mut out = Cursor { buf, len: 0 };
    let line = [request.method.as_str(), " ", request.path, " HTTP/1.1\r\nHost: ", host, "\r\n"];
    line.iter().try_for_each(|part| out.write_str(part)).ok()?;
    for header in request.headers() {
        [header.name, ": ", header.value, "\r\n"]
            .iter()
            .try_for_each(|part| out.write_str(part))
            .ok()?;
    }
    if request.method == Method::Put {
        out.write_str("Content-Length: 0\r\n").ok()?;
    }
    out.write_str("Connection: close\r\n\r\n").ok()?;
    Some(out.len)
}

/// `fmt::Write` into a fixed slice; fails instead of growing.
struct Cursor<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
