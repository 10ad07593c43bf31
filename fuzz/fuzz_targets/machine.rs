//! The whole machine, structure-aware: a script of server replies (statuses, framing, bodies,
//! splits, closes, transport failures, clock jumps) for every mode. The machine always ends
//! within a bounded number of steps, returns credentials only after a 200 with
//! `Code: Success` and all fields, never sends a token-less request in hardened-only mode,
//! and never panics.
#![no_main]

use aliyun_imds_core::protocol::TOKEN_HEADER;
use aliyun_imds_core::{Client, Config, Instant, Mode, RoleName, TokenTtl};
use aliyun_imds_fuzz::{Event, drive};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Script {
    mode: u8,
    configured_role: bool,
    token_ttl: u16,
    seed: u64,
    events: Vec<ScriptEvent>,
}

#[derive(Arbitrary, Debug)]
enum ScriptEvent {
    Respond { status: StatusChoice, framing: Framing, body: Body, split: u8 },
    Raw { bytes: Vec<u8>, split: u8 },
    ConnectFails,
    Reset,
    Timeout,
    ClockJump(i32),
}

#[derive(Arbitrary, Debug)]
enum StatusChoice {
    Ok,
    Unauthorized,
    Forbidden,
    NotFound,
    Unavailable,
    Redirect,
    Other(u16),
}

#[derive(Arbitrary, Debug)]
enum Framing {
    Length,
    Chunked(u8),
    Close,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Token,
    Role,
    Credentials { success: bool, fields: u8, escape_slashes: bool, expires_in: i32 },
    Text(String),
}

const NOW: Instant = Instant::from_secs(1_700_000_000);

fn body(body: &Body) -> String {
    match body {
        Body::Token => "TOKEN-value_123".to_owned(),
        Body::Role => "FuzzRole\n".to_owned(),
        Body::Credentials { success, fields, escape_slashes, expires_in } => {
            let expiration = i64::try_from(NOW.as_secs()).unwrap_or(0) + i64::from(*expires_in);
            let expiration = Instant::from_secs(u64::try_from(expiration).unwrap_or(0));
            let mut parts =
                vec![format!(r#""Code":"{}""#, if *success { "Success" } else { "Failure" })];
            let all = [
                r#""AccessKeyId":"STS.id""#.to_owned(),
                r#""AccessKeySecret":"secret""#.to_owned(),
                r#""SecurityToken":"to/ken+=""#.to_owned(),
                format!(r#""Expiration":"{expiration}""#),
            ];
            for (i, field) in all.into_iter().enumerate() {
                if fields & (1 << i) != 0 {
                    parts.push(field);
                }
            }
            let json = format!("{{{}}}", parts.join(","));
            if *escape_slashes { json.replace('/', "\\/") } else { json }
        }
        Body::Text(text) => text.clone(),
    }
}

fn status_code(status: &StatusChoice) -> u16 {
    match status {
        StatusChoice::Ok => 200,
        StatusChoice::Unauthorized => 401,
        StatusChoice::Forbidden => 403,
        StatusChoice::NotFound => 404,
        StatusChoice::Unavailable => 503,
        StatusChoice::Redirect => 302,
        StatusChoice::Other(status) => 100 + status % 500,
    }
}

fn reply(status: &StatusChoice, framing: &Framing, body: &str) -> Vec<u8> {
    let status = status_code(status);
    let mut bytes = format!("HTTP/1.1 {status} X\r\n").into_bytes();
    match framing {
        Framing::Length => {
            bytes.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).bytes())
        }
        Framing::Close => bytes.extend(format!("\r\n{body}").bytes()),
        Framing::Chunked(size) => {
            bytes.extend(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.as_bytes().chunks(usize::from(*size).max(1)) {
                bytes.extend(format!("{:x}\r\n", chunk.len()).bytes());
                bytes.extend(chunk);
                bytes.extend(b"\r\n");
            }
            bytes.extend(b"0\r\n\r\n");
        }
    }
    bytes
}

/// Whether `event` is a 200 answer carrying `Code: Success` and all fields.
fn good_credentials(event: &ScriptEvent, delivered: &Event) -> bool {
    match event {
        ScriptEvent::Respond { status, body, .. } => {
            status_code(status) == 200
                && match body {
                    Body::Credentials { success, fields, .. } => {
                        *success && fields & 0b1111 == 0b1111
                    }
                    Body::Text(text) => text.contains("\"Success\""),
                    Body::Token | Body::Role => false,
                }
        }
        // Arbitrary bytes: check the head, and the body where it is not chunked.
        ScriptEvent::Raw { .. } => {
            let Event::Reply { bytes, .. } = delivered else { return false };
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut response = httparse::Response::new(&mut headers);
            let Ok(httparse::Status::Complete(len)) = response.parse(bytes) else { return false };
            let chunked =
                response.headers.iter().any(|h| h.name.eq_ignore_ascii_case("transfer-encoding"));
            response.code == Some(200)
                && (chunked || bytes[len..].windows(9).any(|w| w == b"\"Success\""))
        }
        _ => false,
    }
}

fuzz_target!(|script: Script| {
    let mode = [Mode::Auto, Mode::HardenedOnly, Mode::NormalOnly][usize::from(script.mode % 3)];
    let mut config = Config::default().with_mode(mode).with_jitter_seed(script.seed);
    if script.configured_role {
        config = config.with_role(RoleName::new("FuzzRole").expect("valid"));
    }
    if let Ok(ttl) = TokenTtl::new(u64::from(script.token_ttl)) {
        config = config.with_token_ttl(ttl);
    }
    let events: Vec<Event> = script
        .events
        .iter()
        .map(|event| match event {
            ScriptEvent::Respond { status, framing, body: b, split } => Event::Reply {
                bytes: reply(status, framing, &body(b)),
                splits: vec![usize::from(*split)],
            },
            ScriptEvent::Raw { bytes, split } => {
                Event::Reply { bytes: bytes.clone(), splits: vec![usize::from(*split)] }
            }
            ScriptEvent::ConnectFails => Event::ConnectFails,
            ScriptEvent::Reset => Event::Reset,
            ScriptEvent::Timeout => Event::Timeout,
            ScriptEvent::ClockJump(ms) => Event::ClockJump(i64::from(*ms)),
        })
        .collect();

    let mut client = Client::new(config);
    // Two operations on the same client: caches carry over between them.
    for _ in 0..2 {
        let op = client.credentials(NOW);
        let run = drive(op, NOW, &events, |c| {
            (c.access_key_id().len(), c.access_key_secret().len(), c.security_token().len())
        });
        if let Ok((id, secret, token)) = run.result {
            assert!(id > 0 && secret > 0 && token > 0);
            let last = run.last_reply.expect("credentials came from a reply");
            assert!(
                good_credentials(&script.events[last], &events[last]),
                "{:?}",
                script.events[last]
            );
        }
        for request in &run.requests {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut parsed = httparse::Request::new(&mut headers);
            assert!(parsed.parse(request).expect("the machine sends valid HTTP").is_complete());
            let has_token = parsed.headers.iter().any(|h| h.name == TOKEN_HEADER);
            match (mode, parsed.method) {
                (Mode::HardenedOnly, Some("GET")) => {
                    assert!(has_token, "token-less request in hardened-only mode")
                }
                (Mode::NormalOnly, method) => assert!(method == Some("GET") && !has_token),
                _ => {}
            }
        }
    }
});
