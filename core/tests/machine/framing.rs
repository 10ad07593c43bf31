//! Response framing and every bound of the response reader, through a metadata item fetch.

use aliyun_imds_core::limits::{RESPONSE_BODY_LEN, RESPONSE_HEAD_LEN, RESPONSE_HEADERS};
use aliyun_imds_core::{Client, Config, Error, Mode, RequestKind, ResponseError};

use crate::machine::script::*;

/// Fetches `region-id` in normal mode from a server answering with `raw`, in chunks of `chunk`.
fn item(raw: &[u8], chunk: usize) -> Result<String, Error> {
    let mut client = Client::new(Config::default().with_mode(Mode::NormalOnly));
    Server::new(vec![Reply::Bytes(raw.to_vec())]).chunked(chunk).item(&mut client, "region-id")
}

fn response_error(raw: &[u8]) -> ResponseError {
    match item(raw, usize::MAX) {
        Err(Error::Response { request: RequestKind::Item, error }) => error,
        other => panic!("expected a response error, got {other:?}"),
    }
}

#[test]
fn content_length_chunked_and_close_framing() {
    let cases: [&[u8]; 6] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\ncn-hangzhou",
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\ncn-hangzhouEXTRA BYTES IGNORED",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ncn-\r\n8;ext=1\r\nhangzhou\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nb\r\ncn-hangzhou\r\n0\r\nX-Trailer: 1\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\ncn-hangzhou",
        b"HTTP/1.1 200 OK\nContent-Length: 11\n\ncn-hangzhou",
    ];
    for raw in cases {
        for chunk in [1, 2, 3, 7, 64, usize::MAX] {
            assert_eq!(
                item(raw, chunk).as_deref(),
                Ok("cn-hangzhou"),
                "{} / {chunk}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}

#[test]
fn head_limits() {
    let mut big = b"HTTP/1.1 200 OK\r\nX-Pad: ".to_vec();
    big.resize(RESPONSE_HEAD_LEN + 10, b'a');
    assert_eq!(response_error(&big), ResponseError::HeadTooLarge { limit: RESPONSE_HEAD_LEN });

    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..=RESPONSE_HEADERS {
        many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    many.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    assert_eq!(response_error(&many), ResponseError::TooManyHeaders { limit: RESPONSE_HEADERS });

    assert!(matches!(
        response_error(b"HTTP/2 200 OK\r\n\r\n"),
        ResponseError::MalformedHead { .. }
    ));
    assert!(matches!(response_error(b"garbage\r\n\r\n"), ResponseError::MalformedHead { .. }));
}

#[test]
fn body_limits() {
    let at_limit = "a".repeat(RESPONSE_BODY_LEN);
    let raw = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{at_limit}", at_limit.len());
    assert_eq!(item(raw.as_bytes(), 1000).unwrap().len(), RESPONSE_BODY_LEN);
    let raw = format!("HTTP/1.1 200 OK\r\n\r\n{at_limit}");
    assert_eq!(
        item(raw.as_bytes(), 1000).unwrap().len(),
        RESPONSE_BODY_LEN,
        "close-delimited at the limit"
    );

    let over = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", RESPONSE_BODY_LEN + 1);
    assert_eq!(
        response_error(over.as_bytes()),
        ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN }
    );
    let over = format!("HTTP/1.1 200 OK\r\n\r\n{at_limit}x");
    assert_eq!(
        response_error(over.as_bytes()),
        ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN }
    );
    let over = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        RESPONSE_BODY_LEN + 1
    );
    assert_eq!(
        response_error(over.as_bytes()),
        ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN }
    );
    let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n";
    assert_eq!(response_error(huge), ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN });
    let mut many_chunks = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..=RESPONSE_BODY_LEN / 100 {
        many_chunks.extend_from_slice(format!("64\r\n{}\r\n", "b".repeat(100)).as_bytes());
    }
    assert_eq!(
        response_error(&many_chunks),
        ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN }
    );
}

#[test]
fn error_bodies_are_not_read() {
    // A 404 with a huge (or endless) body completes right after its head.
    let raw =
        format!("HTTP/1.1 404 Not Found\r\nContent-Length: 99999999\r\n\r\n{}", "x".repeat(10_000));
    assert_eq!(
        item(raw.as_bytes(), 100).unwrap_err().to_string(),
        "metadata item 'region-id' does not exist on this instance (404)"
    );
}

#[test]
fn framing_conflicts_and_garbage() {
    assert_eq!(
        response_error(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        ResponseError::ConflictingFraming
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
        ResponseError::ConflictingFraming
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n"),
        ResponseError::BadContentLength
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n"),
        ResponseError::BadContentLength
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
        ResponseError::UnsupportedTransferEncoding
    );
    for bad in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert!(matches!(response_error(bad), ResponseError::BadChunk { .. }), "{}", String::from_utf8_lossy(bad));
    }
    let mut long_trailer =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ".to_vec();
    long_trailer.extend(std::iter::repeat_n(b'a', 2000));
    assert!(matches!(response_error(&long_trailer), ResponseError::BadChunk { .. }));
}

#[test]
fn truncation() {
    assert_eq!(response_error(b""), ResponseError::ClosedBeforeHead { received: 0 });
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nContent-"),
        ResponseError::ClosedBeforeHead { received: 25 }
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
        ResponseError::BodyTruncated { received: 3, expected: Some(10) }
    );
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc"),
        ResponseError::BodyTruncated { received: 3, expected: None }
    );
    assert_eq!(
        Error::Response {
            request: RequestKind::Item,
            error: ResponseError::BodyTruncated { received: 3, expected: Some(10) }
        }
        .to_string(),
        "metadata item request: response body truncated: 3 of 10 bytes"
    );
}

/// Found by the `http_response` fuzz target: a chunk extension holding bare LFs makes a
/// 44-byte size line. In one piece httparse completed it; byte by byte the decoder called it
/// too long. The verdict must not depend on the split.
#[test]
fn regression_chunk_size_line_judged_the_same_in_any_split() {
    let raw = b"HTTP/1.1 200 OK\x0d\x0aTransfer-Encoding: chunked\x0d\x0a\x0d\x0a6; 30\x01\x05@\x03.00 O\x0acn\x00\x0a[[[[[[:00 O\x0acn\x00\x0acn\x00\x00\x00\x00\x1a\x0d\x0a[[[2{Foundng: chked\x0d\x0a\x0d\x0a6;\x0d\x0a{\x22AccessKet\x22:\x22\xd1\x22:\x222033-10-&1T23:\x0d\x0a19\x0d\x0a20[[[[[[[[[[[:[[01Z[\x0a[[\x22,\x22C[[od0\x0d\x0a\x0d\x0a";
    let whole = item(raw, usize::MAX);
    assert!(
        matches!(
            &whole,
            Err(Error::Response {
                error: ResponseError::BadChunk { reason: "chunk-size line too long" },
                ..
            })
        ),
        "{whole:?}"
    );
    for chunk in 1..64 {
        assert_eq!(item(raw, chunk), whole, "pieces of {chunk}");
    }
}
