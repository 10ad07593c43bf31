//! Property: however the bytes are split, the outcome is the same.

use aliyun_imds_core::{Client, Config, Credentials, Error, Mode, RoleName};
use proptest::prelude::*;

use crate::machine::script::*;

/// The outcome of a credentials fetch in a form that can be compared.
fn outcome(replies: &[Reply], chunk: usize) -> Result<(String, String, String, u64), Error> {
    let config = Config::default().with_mode(Mode::Auto).with_role(RoleName::new(ROLE).unwrap());
    let mut server = Server::new(replies.to_vec()).chunked(chunk);
    server.credentials(&mut Client::new(config)).map(|c: Credentials| {
        (
            c.access_key_id().to_owned(),
            c.access_key_secret().to_owned(),
            c.security_token().to_owned(),
            c.expiration().as_millis(),
        )
    })
}

/// A credentials response in one of several framings, possibly damaged.
fn response() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        Just(document(&security_token())),
        Just(document("tok").replace("Success", "Nope")),
        Just(document("tok").replace(EXPIRATION, "garbage")),
        "[ -~]{0,64}".prop_map(|s| s),
    ];
    (body, 0..4u8, any::<prop::sample::Index>(), any::<bool>()).prop_map(
        |(body, framing, cut, truncate)| {
            let mut raw = match framing {
                0 => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                    .into_bytes(),
                1 => format!("HTTP/1.1 200 OK\r\n\r\n{body}").into_bytes(),
                2 => {
                    let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                    for piece in body.as_bytes().chunks(97) {
                        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                        raw.extend_from_slice(piece);
                        raw.extend_from_slice(b"\r\n");
                    }
                    raw.extend_from_slice(b"0\r\n\r\n");
                    raw
                }
                _ => format!("HTTP/1.1 503 Busy\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                    .into_bytes(),
            };
            if truncate {
                raw.truncate(cut.index(raw.len() + 1));
            }
            raw
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_split_gives_the_same_outcome(raw in response(), chunk in 1usize..300) {
        let replies = vec![http(200, TOKEN), Reply::Bytes(raw.clone()), Reply::Bytes(raw.clone()), Reply::Bytes(raw)];
        let whole = outcome(&replies, usize::MAX);
        prop_assert_eq!(outcome(&replies, 1), whole.clone());
        prop_assert_eq!(outcome(&replies, chunk), whole);
    }
}
