//! Responses, read incrementally into the I/O buffer: the head is scanned only where new bytes
//! arrived and parsed once (by httparse) when complete; the body is then framed by
//! `Content-Length`, chunked encoding or the end of the connection.

use core::fmt;

use super::chunked::ChunkedDecoder;
use crate::limits::{RESPONSE_BODY_LEN, RESPONSE_HEAD_LEN, RESPONSE_HEADERS};

/// Why a response could not be read. Never carries response bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ResponseError {
    /// The status line and headers are longer than `limit` bytes.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// More than `limit` headers.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The status line or a header is malformed.
    MalformedHead {
        /// What httparse objected to.
        reason: &'static str,
    },
    /// `Content-Length` and `Transfer-Encoding` together, or either one twice.
    ConflictingFraming,
    /// `Content-Length` is not a decimal number.
    BadContentLength,
    /// A `Transfer-Encoding` other than `chunked`.
    UnsupportedTransferEncoding,
    /// The body is longer than `limit` bytes.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The chunked framing is broken.
    BadChunk {
        /// What is wrong.
        reason: &'static str,
    },
    /// The connection closed before the end of the headers.
    ClosedBeforeHead {
        /// Bytes received until then.
        received: usize,
    },
    /// The connection closed before the end of the body.
    BodyTruncated {
        /// Body bytes received.
        received: usize,
        /// Body bytes announced by `Content-Length`, if it was given.
        expected: Option<usize>,
    },
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeadTooLarge { limit } => write!(f, "response headers exceed {limit} bytes"),
            Self::TooManyHeaders { limit } => write!(f, "response has more than {limit} headers"),
            Self::MalformedHead { reason } => write!(f, "malformed response head ({reason})"),
            Self::ConflictingFraming => {
                f.write_str("response has conflicting Content-Length/Transfer-Encoding headers")
            }
            Self::BadContentLength => f.write_str("response Content-Length is not a number"),
            Self::UnsupportedTransferEncoding => {
                f.write_str("response uses a Transfer-Encoding other than chunked")
            }
            Self::BodyTooLarge { limit } => write!(f, "response body exceeds {limit} bytes"),
            Self::BadChunk { reason } => write!(f, "malformed chunked body ({reason})"),
            Self::ClosedBeforeHead { received: 0 } => {
                f.write_str("connection closed without a response")
            }
            Self::ClosedBeforeHead { received } => {
                write!(f, "connection closed after {received} bytes, inside the response head")
            }
            Self::BodyTruncated { received, expected: Some(expected) } => {
                write!(f, "response body truncated: {received} of {expected} bytes")
            }
            Self::BodyTruncated { received, expected: None } => {
                write!(f, "response body truncated after {received} bytes")
            }
        }
    }
}

/// How far a response has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// More bytes are needed.
    NeedMore,
    /// The response is complete: its body is `buf[..body_len]`. Only `200` bodies are read;
    /// other statuses complete right after the head, with an empty body.
    Complete { status: u16, body_len: usize },
}

#[derive(Clone, Copy, Debug)]
enum Framing {
    Length(usize),
    Close,
    Chunked(ChunkedDecoder),
}

#[derive(Clone, Copy, Debug)]
enum State {
    Head,
    Body(Framing),
    Complete { status: u16, body_len: usize },
}

/// Reads one response into a caller-owned buffer of at least
/// [`IO_BUFFER_LEN`](crate::limits::IO_BUFFER_LEN) bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResponseReader {
    state: State,
    /// Bytes of `buf` in use: head bytes, then body bytes (plus pending chunk framing).
    filled: usize,
    /// Where the search for the end of the head resumes.
    scan_from: usize,
}

impl ResponseReader {
    pub(crate) const fn new() -> Self {
        Self { state: State::Head, filled: 0, scan_from: 0 }
    }

    /// Where the next bytes read from the connection go.
    pub(crate) fn read_buffer<'b>(&self, buf: &'b mut [u8]) -> &'b mut [u8] {
        let end = match self.state {
            State::Head | State::Body(Framing::Chunked(_)) => buf.len(),
            // Ask for exactly the rest of the body: nothing beyond it is ever read.
            State::Body(Framing::Length(total)) => total,
            // One byte past the limit, to tell "exactly at the limit" from "over it".
            State::Body(Framing::Close) => RESPONSE_BODY_LEN + 1,
            State::Complete { .. } => self.filled,
        };
        buf.get_mut(self.filled..end.min(buf.len())).unwrap_or_default()
    }

    /// Takes `n` new bytes, just read into [`read_buffer`](Self::read_buffer). `n == 0` means
    /// the peer closed the connection.
    pub(crate) fn received(&mut self, buf: &mut [u8], n: usize) -> Result<Status, ResponseError> {
        if n == 0 {
            return self.closed();
        }
        let room = self.read_buffer(buf).len();
        self.filled += n.min(room);
        self.advance(buf)
    }

    fn closed(&mut self) -> Result<Status, ResponseError> {
        match self.state {
            State::Head => Err(ResponseError::ClosedBeforeHead { received: self.filled }),
            State::Body(Framing::Length(total)) => {
                Err(ResponseError::BodyTruncated { received: self.filled, expected: Some(total) })
            }
            State::Body(Framing::Chunked(decoder)) => {
                Err(ResponseError::BodyTruncated { received: decoder.decoded(), expected: None })
            }
            State::Body(Framing::Close) => {
                self.state = State::Complete { status: 200, body_len: self.filled };
                Ok(self.status())
            }
            State::Complete { .. } => Ok(self.status()),
        }
    }

    fn status(&self) -> Status {
        match self.state {
            State::Complete { status, body_len } => Status::Complete { status, body_len },
            _ => Status::NeedMore,
        }
    }

    fn advance(&mut self, buf: &mut [u8]) -> Result<Status, ResponseError> {
        if let State::Head = self.state {
            let searched = self.filled.min(RESPONSE_HEAD_LEN);
            let Some(head_len) = find_head_end(buf, self.scan_from, searched) else {
                if self.filled >= RESPONSE_HEAD_LEN {
                    return Err(ResponseError::HeadTooLarge { limit: RESPONSE_HEAD_LEN });
                }
                self.scan_from = searched;
                return Ok(Status::NeedMore);
            };
            let (status, framing) = parse_head(buf.get(..head_len).unwrap_or_default())?;
            // Move what arrived of the body to the front of the buffer.
            buf.copy_within(head_len..self.filled, 0);
            self.filled -= head_len;
            self.state = match status {
                200 => State::Body(framing),
                _ => State::Complete { status, body_len: 0 },
            };
        }
        match &mut self.state {
            State::Body(Framing::Length(total)) if self.filled >= *total => {
                self.state = State::Complete { status: 200, body_len: *total };
            }
            State::Body(Framing::Close) if self.filled > RESPONSE_BODY_LEN => {
                return Err(ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN });
            }
            State::Body(Framing::Chunked(decoder)) => {
                self.filled = decoder.decode(buf, self.filled)?;
                if decoder.is_done() {
                    self.state = State::Complete { status: 200, body_len: decoder.decoded() };
                }
            }
            _ => {}
        }
        Ok(self.status())
    }
}

/// The length of the head (through its blank line) if it ends within `buf[..to]`; only line
/// feeds at or after `from` are examined (jumping from one to the next), so every byte is
/// scanned once.
fn find_head_end(buf: &[u8], from: usize, to: usize) -> Option<usize> {
    let window = buf.get(..to)?;
    let mut next = from;
    while let Some(offset) = window.get(next..)?.iter().position(|&b| b == b'\n') {
        let line_feed = next + offset;
        let before = window.get(..line_feed)?;
        if before.ends_with(b"\n") || before.ends_with(b"\n\r") {
            return Some(line_feed + 1);
        }
        next = line_feed + 1;
    }
    None
}

/// Parses a complete head: the status, and how the body is framed.
fn parse_head(head: &[u8]) -> Result<(u16, Framing), ResponseError> {
    let mut headers = [httparse::EMPTY_HEADER; RESPONSE_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ResponseError::MalformedHead { reason: "incomplete head" });
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ResponseError::TooManyHeaders { limit: RESPONSE_HEADERS });
        }
        Err(e) => return Err(ResponseError::MalformedHead { reason: httparse_reason(e) }),
    }
    let status = response.code.ok_or(ResponseError::MalformedHead { reason: "no status code" })?;

    let mut length = None;
    let mut chunked = None;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return Err(ResponseError::ConflictingFraming);
            }
            length = Some(parse_length(header.value)?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if chunked.is_some() {
                return Err(ResponseError::ConflictingFraming);
            }
            chunked = Some(header.value.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        }
    }
    let framing = match (length, chunked) {
        (Some(_), Some(_)) => return Err(ResponseError::ConflictingFraming),
        (_, Some(false)) => return Err(ResponseError::UnsupportedTransferEncoding),
        (_, Some(true)) => Framing::Chunked(ChunkedDecoder::new()),
        (Some(length), None) => Framing::Length(length),
        (None, None) => Framing::Close,
    };
    if status == 200 {
        if let Framing::Length(length) = framing {
            if length > RESPONSE_BODY_LEN {
                return Err(ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN });
            }
        }
    }
    Ok((status, framing))
}

/// A `Content-Length` value: ASCII digits only (no sign, no spaces inside).
fn parse_length(value: &[u8]) -> Result<usize, ResponseError> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ResponseError::BadContentLength);
    }
    digits.iter().try_fold(0usize, |n, d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            // Larger than memory: certainly over the body limit.
            .ok_or(ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN })
    })
}

fn httparse_reason(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid token",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "not HTTP/1.x",
    }
}
