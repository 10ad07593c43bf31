//! Every capacity the machine has, in one place.
//!
//! These are compile-time constants: the [`Client`](crate::Client) owns exactly this much
//! memory and never more. Inputs over a limit are refused with an error that names the limit.

/// Longest endpoint `host[:port]` the `Host` header may carry.
pub const HOST_LEN: usize = 64;
/// Longest RAM role name (Alibaba Cloud allows at most 64 characters).
pub const ROLE_NAME_LEN: usize = 64;
/// Longest metadata item path below `/latest/meta-data/`.
pub const ITEM_PATH_LEN: usize = 128;
/// Longest request path the machine builds (`/latest/meta-data/` plus an item path).
pub const REQUEST_PATH_LEN: usize = 160;
/// Longest metadata token accepted from `PUT /latest/api/token`.
pub const METADATA_TOKEN_LEN: usize = 256;
/// Longest `AccessKeyId`.
pub const ACCESS_KEY_ID_LEN: usize = 128;
/// Longest `AccessKeySecret`.
pub const ACCESS_KEY_SECRET_LEN: usize = 128;
/// Longest `SecurityToken` (real ones are 1–2 KiB; this leaves room to grow).
pub const SECURITY_TOKEN_LEN: usize = 4096;
/// Longest response status line plus headers, including the blank line that ends them.
pub const RESPONSE_HEAD_LEN: usize = 1024;
/// Most response headers accepted.
pub const RESPONSE_HEADERS: usize = 16;
/// Size of the one I/O buffer that holds a request's bytes, then its response.
pub const IO_BUFFER_LEN: usize = 6 * 1024;
/// Bytes of [`IO_BUFFER_LEN`] kept free of body data: room for a chunk-size line and for the
/// one-byte probe that tells an over-long close-delimited body from one that fits.
pub const FRAMING_SLACK: usize = 64;
/// Largest response body accepted (after removing chunked framing).
pub const RESPONSE_BODY_LEN: usize = IO_BUFFER_LEN - FRAMING_SLACK;
/// Longest chunk-size line (hex size, extensions and CRLF) in a chunked body.
pub const CHUNK_SIZE_LINE_LEN: usize = 32;
/// Most bytes of trailer fields accepted after the last chunk.
pub const CHUNK_TRAILER_LEN: usize = 1024;

// The longest request path: the role-credentials prefix plus a role name, or the item prefix
// plus an item path.
const _: () =
    assert!(43 + ROLE_NAME_LEN <= REQUEST_PATH_LEN && 18 + ITEM_PATH_LEN <= REQUEST_PATH_LEN);
// The longest request (request line, Host, User-Agent, token header, framing) fits the buffer.
const _: () = assert!(REQUEST_PATH_LEN + HOST_LEN + METADATA_TOKEN_LEN + 256 <= IO_BUFFER_LEN);
// The head limit leaves room for the body after it is moved out of the way.
const _: () = assert!(RESPONSE_HEAD_LEN < RESPONSE_BODY_LEN);
