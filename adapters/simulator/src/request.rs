//! Requests as the simulator reads them: bounded, incremental, from any client.

use std::fmt;

/// Longest request head accepted.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most request headers accepted.
pub const MAX_HEADERS: usize = 32;
/// Longest request body accepted (metadata requests have none).
pub const MAX_BODY: usize = 1024;

/// A complete request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// Method, e.g. `PUT`.
    pub method: String,
    /// Path, e.g. `/latest/api/token`.
    pub path: String,
    /// Headers in order, as sent.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a request was refused before it reached the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not an HTTP/1.x request.
    Malformed,
    /// Head over [`MAX_HEAD`] bytes or more than [`MAX_HEADERS`] headers.
    HeadTooLarge,
    /// Body over [`MAX_BODY`] bytes, or framed in a way the simulator does not take.
    BadBody,
}

impl RequestError {
    /// The status the simulator answers with.
    pub fn status(self) -> u16 {
        match self {
            Self::Malformed => 400,
            Self::HeadTooLarge => 431,
            Self::BadBody => 413,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "malformed request",
            Self::HeadTooLarge => "request head too large",
            Self::BadBody => "request body too large or badly framed",
        })
    }
}

/// Reads one request from bytes arriving in any split.
#[derive(Debug, Default)]
pub struct RequestReader {
    buf: Vec<u8>,
    /// Head length and body length, once the head is parsed.
    framing: Option<(usize, usize)>,
}

impl RequestReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes more bytes; returns the request once complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<SeenRequest>, RequestError> {
        self.buf.extend_from_slice(bytes);
        let (head_len, body_len) = match self.framing {
            Some(framing) => framing,
            None => match self.parse_head()? {
                Some(framing) => {
                    self.framing = Some(framing);
                    framing
                }
                None if self.buf.len() > MAX_HEAD => return Err(RequestError::HeadTooLarge),
                None => return Ok(None),
            },
        };
        if self.buf.len() < head_len + body_len {
            return Ok(None);
        }
        self.request(head_len).map(Some)
    }

    fn parse_head(&self) -> Result<Option<(usize, usize)>, RequestError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let head = &self.buf[..self.buf.len().min(MAX_HEAD)];
        let head_len = match request.parse(head) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(RequestError::HeadTooLarge),
            Err(_) => return Err(RequestError::Malformed),
        };
        let mut body_len = 0;
        for header in request.headers.iter() {
            if header.name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(RequestError::BadBody);
            }
            if header.name.eq_ignore_ascii_case("content-length") {
                body_len = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .filter(|len| *len <= MAX_BODY)
                    .ok_or(RequestError::BadBody)?;
            }
        }
        Ok(Some((head_len, body_len)))
    }

    fn request(&self, head_len: usize) -> Result<SeenRequest, RequestError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        request.parse(&self.buf[..head_len]).map_err(|_| RequestError::Malformed)?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(SeenRequest {
            method: request.method.unwrap_or_default().to_owned(),
            path: request.path.unwrap_or_default().to_owned(),
            headers: request.headers.iter().map(|h| (h.name.to_owned(), text(h.value))).collect(),
        })
    }
}
