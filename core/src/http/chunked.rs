//! `Transfer-Encoding: chunked`, decoded in place: decoded data is packed at the front of the
//! buffer as it arrives, and only an unfinished chunk-size line is ever kept behind it.

use super::ResponseError;
use crate::limits::{CHUNK_SIZE_LINE_LEN, CHUNK_TRAILER_LEN, RESPONSE_BODY_LEN};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data.
    Data { remaining: usize },
    /// After a chunk's data: expecting CRLF (`cr` once the CR was seen).
    DataEnd { cr: bool },
    /// After the last chunk: skipping trailer lines until an empty one.
    Trailer { line_len: usize },
    /// The body is complete.
    Done,
}

/// State of a chunked body being decoded into the front of the I/O buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct ChunkedDecoder {
    state: State,
    /// Decoded body bytes at the front of the buffer.
    decoded: usize,
    /// Trailer bytes seen so far.
    trailer: usize,
}

impl ChunkedDecoder {
    pub(super) const fn new() -> Self {
        Self { state: State::Size, decoded: 0, trailer: 0 }
    }

    pub(super) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub(super) fn decoded(&self) -> usize {
        self.decoded
    }

    /// Decodes the raw bytes `buf[decoded..filled]`; returns the new fill level (decoded data
    /// plus at most an unfinished chunk-size line).
    pub(super) fn decode(&mut self, buf: &mut [u8], filled: usize) -> Result<usize, ResponseError> {
        let filled = filled.min(buf.len());
        let mut read = self.decoded;
        while read < filled && self.state != State::Done {
            match self.state {
                State::Size => {
                    // Judge the line on its first CHUNK_SIZE_LINE_LEN bytes only, so the verdict
                    // is the same however the bytes arrive.
                    let pending = buf.get(read..filled).unwrap_or_default();
                    let window = pending.get(..CHUNK_SIZE_LINE_LEN).unwrap_or(pending);
                    match httparse::parse_chunk_size(window) {
                        Ok(httparse::Status::Complete((used, size))) => {
                            read += used;
                            self.state = self.after_size(size)?;
                        }
                        Ok(httparse::Status::Partial) if window.len() < CHUNK_SIZE_LINE_LEN => {
                            break;
                        }
                        Ok(httparse::Status::Partial) => {
                            return Err(ResponseError::BadChunk {
                                reason: "chunk-size line too long",
                            });
                        }
                        Err(_) => {
                            return Err(ResponseError::BadChunk { reason: "invalid chunk size" });
                        }
                    }
                }
                State::Data { remaining } => {
                    let take = remaining.min(filled - read);
                    buf.copy_within(read..read + take, self.decoded);
                    read += take;
                    self.decoded += take;
                    self.state = match remaining - take {
                        0 => State::DataEnd { cr: false },
                        remaining => State::Data { remaining },
                    };
                }
                State::DataEnd { cr } => {
                    let byte = buf.get(read).copied();
                    read += 1;
                    self.state = match (cr, byte) {
                        (false, Some(b'\r')) => State::DataEnd { cr: true },
                        (_, Some(b'\n')) => State::Size,
                        _ => {
                            return Err(ResponseError::BadChunk {
                                reason: "chunk data not followed by CRLF",
                            });
                        }
                    };
                }
                State::Trailer { line_len } => {
                    let byte = buf.get(read).copied();
                    read += 1;
                    self.trailer += 1;
                    if self.trailer > CHUNK_TRAILER_LEN {
                        return Err(ResponseError::BadChunk { reason: "trailer section too long" });
                    }
                    self.state = match byte {
                        Some(b'\n') if line_len == 0 => State::Done,
                        Some(b'\n') => State::Trailer { line_len: 0 },
                        Some(b'\r') => State::Trailer { line_len },
                        _ => State::Trailer { line_len: line_len + 1 },
                    };
                }
                State::Done => {}
            }
        }
        if self.state == State::Done {
            return Ok(self.decoded);
        }
        // Keep the unfinished size line (if any) right behind the decoded data.
        let unread = filled - read;
        buf.copy_within(read..filled, self.decoded);
        Ok(self.decoded + unread)
    }

    fn after_size(&self, size: u64) -> Result<State, ResponseError> {
        if size == 0 {
            return Ok(State::Trailer { line_len: 0 });
        }
        let too_large = ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN };
        let size = usize::try_from(size).map_err(|_| too_large.clone())?;
        if size > RESPONSE_BODY_LEN - self.decoded {
            return Err(too_large);
        }
        Ok(State::Data { remaining: size })
    }
}
