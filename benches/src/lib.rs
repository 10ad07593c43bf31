//! What the benchmarks share: the responses of one hardened flow, the flow run through the
//! core, the same parse done the usual way (httparse + serde_json into `String`s), and the
//! floor of a fetch over TCP (two hand-written HTTP exchanges on raw `TcpStream`s).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use aliyun_imds_core::{Client, Config, Instant, Mode, RoleName, Step};
use serde::Deserialize;

/// The role every benchmark asks for (configured, so a flow is two round trips).
pub const ROLE: &str = "aliyun-imds-simulated-role";
/// The time the core is given.
pub const NOW: Instant = Instant::from_secs(1_700_000_000);

/// A ~1.5 KiB SecurityToken with `/`, `+` and `=`.
pub fn security_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: String = (0..1530).map(|i| alphabet[(i * 37 + i / 7) % 64] as char).collect();
    format!("CAIS{body}==")
}

/// The two responses of a hardened flow with a configured role: the token, then the
/// credentials (with `/` escaped as `\/`, as some encoders write it).
pub fn responses() -> [Vec<u8>; 2] {
    let document = format!(
        r#"{{"AccessKeyId":"STS.NUgYrLnoC37mZZCNnAbez","AccessKeySecret":"9dtaxSECRETvalueFwLRkNQ","Expiration":"2033-11-14T22:13:20Z","SecurityToken":"{}","LastUpdated":"2033-11-14T16:13:20Z","Code":"Success"}}"#,
        security_token().replace('/', "\\/")
    );
    let http = |body: &str| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .into_bytes()
    };
    [http("AAAAAKitTokenValue-bench-0123456789abcdef"), http(&document)]
}

/// A client for the core flow: hardened only, configured role.
pub fn core_client() -> Client {
    let role = RoleName::new(ROLE).expect("valid role");
    Client::new(Config::default().with_mode(Mode::HardenedOnly).with_role(role))
}

/// One full hardened flow through the core: encode the token PUT and the credentials GET,
/// parse both responses. The token is dropped first so every flow asks for one. Returns the
/// SecurityToken's length (so nothing is optimised away).
pub fn core_flow(client: &mut Client, responses: &[Vec<u8>; 2]) -> usize {
    client.forget_cache();
    let mut op = client.credentials(NOW);
    let mut reply = 0;
    let mut delivered = 0;
    loop {
        match op.step(NOW) {
            Step::Connect => delivered = 0,
            Step::Send(bytes) => {
                let n = bytes.len();
                op.sent(n);
            }
            Step::Recv(buf) => {
                let rest = &responses[reply][delivered..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                delivered += n;
                if delivered == responses[reply].len() {
                    reply += 1;
                }
                op.received(n);
            }
            Step::Wait(_) | Step::Failed(_) => return 0,
            Step::Done => return op.output().map_or(0, |c| c.security_token().len()),
        }
    }
}

/// The credentials as the usual code holds them.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BaselineCredentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `AccessKeySecret`.
    pub access_key_secret: String,
    /// `SecurityToken`.
    pub security_token: String,
    /// `Expiration`.
    pub expiration: String,
    /// `Code`.
    pub code: String,
}

/// The same flow the usual way: requests built with `format!`, responses parsed with
/// httparse, the token into a `String`, the document with serde_json into `String`s.
pub fn baseline_flow(responses: &[Vec<u8>; 2]) -> usize {
    let put = format!(
        "PUT /latest/api/token HTTP/1.1\r\nHost: 100.100.100.200\r\nUser-Agent: baseline\r\nX-aliyun-ecs-metadata-token-ttl-seconds: {ttl}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ttl = std::hint::black_box(21_600)
    );
    let token = body(&responses[0])
        .map(|b| String::from_utf8_lossy(b).trim().to_owned())
        .unwrap_or_default();
    let get = format!(
        "GET /latest/meta-data/ram/security-credentials/{ROLE} HTTP/1.1\r\nHost: 100.100.100.200\r\nUser-Agent: baseline\r\nX-aliyun-ecs-metadata-token: {token}\r\nConnection: close\r\n\r\n"
    );
    let credentials: Option<BaselineCredentials> =
        body(&responses[1]).and_then(|b| serde_json::from_slice(b).ok());
    put.len()
        + get.len()
        + credentials.filter(|c| c.code == "Success").map_or(0, |c| c.security_token.len())
}

/// The body of a complete response, found with httparse.
fn body(response: &[u8]) -> Option<&[u8]> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(response).ok()? {
        httparse::Status::Complete(len) if parsed.code == Some(200) => response.get(len..),
        _ => None,
    }
}

/// The floor of a fetch over TCP: the same two exchanges (token, credentials) hand-written on
/// raw `TcpStream`s, reading until the server closes, no parsing beyond finding the body.
pub fn floor_fetch(addr: SocketAddr) -> usize {
    let exchange = |request: &str| -> Vec<u8> {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(request.as_bytes()).expect("write");
        let mut response = Vec::with_capacity(4096);
        stream.read_to_end(&mut response).expect("read");
        response
    };
    let token = exchange(&format!(
        "PUT /latest/api/token HTTP/1.1\r\nHost: {addr}\r\nX-aliyun-ecs-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\n\r\n"
    ));
    let token = body(&token).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let credentials = exchange(&format!(
        "GET /latest/meta-data/ram/security-credentials/{ROLE} HTTP/1.1\r\nHost: {addr}\r\nX-aliyun-ecs-metadata-token: {token}\r\n\r\n"
    ));
    credentials.len()
}
