//! `aliyun-imds serve` as a process: what the official SDKs' credentials_uri provider reads,
//! the token check, hostile clients, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{command, is_strict_timestamp};

/// A running `serve --simulated`, killed if the test ends early.
struct Served {
    child: Child,
    uri: String,
    addr: SocketAddr,
}

impl Served {
    fn start() -> Self {
        Self::start_with(&["serve", "--simulated"])
    }

    fn start_with(args: &[&str]) -> Self {
        let mut child =
            command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let uri = line.trim().to_owned();
        let authority = uri.strip_prefix("http://").unwrap().split('/').next().unwrap();
        Self { child, addr: authority.parse().unwrap(), uri }
    }

    /// `GET target` (path and query), as a plain HTTP/1.1 client; returns status and body.
    fn get(&self, target: &str) -> (u16, String) {
        request(self.addr, &format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    fn target(&self) -> String {
        self.uri.strip_prefix(&format!("http://{}", self.addr)).unwrap().to_owned()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// What the official SDKs' credentials_uri provider accepts: 200, `Code: Success`, the four
/// fields, and `Expiration` exactly `%Y-%m-%dT%H:%M:%SZ`.
fn sdk_parse(status: u16, body: &str) -> Result<(String, String, String, String), String> {
    if status != 200 {
        return Err(format!("status {status}"));
    }
    let json: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if json["Code"] != "Success" {
        return Err(format!("Code {}", json["Code"]));
    }
    let field = |name: &str| json[name].as_str().map(str::to_owned).ok_or(format!("no {name}"));
    let expiration = field("Expiration")?;
    if !is_strict_timestamp(&expiration) {
        return Err(format!("Expiration {expiration}"));
    }
    Ok((field("AccessKeyId")?, field("AccessKeySecret")?, field("SecurityToken")?, expiration))
}

#[test]
fn serves_what_the_official_sdks_read_and_guards_it() {
    let served = Served::start();
    assert!(served.uri.contains("/credentials?token="), "{}", served.uri);
    assert!(served.addr.ip().is_loopback(), "loopback by default");

    let (status, body) = served.get(&served.target());
    let (id, secret, token, _) = sdk_parse(status, &body).unwrap();
    assert!(id.starts_with("STS.") && !secret.is_empty() && token.len() > 1500);
    let again = sdk_parse(served.get(&served.target()).0, &served.get(&served.target()).1).unwrap();
    assert_eq!(again.0, id, "served from the cache");

    let wrong = served.target().replace("token=", "token=0");
    for target in [wrong.as_str(), "/credentials", "/credentials?token=", "/credentials?x=1"] {
        let (status, body) = served.get(target);
        assert_eq!(status, 403, "{target}");
        assert!(!body.contains(&secret), "no credentials without the token");
    }
    assert_eq!(served.get("/health"), (200, "ok\n".to_owned()));
    assert_eq!(served.get("/nope").0, 404);
    let post = format!("POST {} HTTP/1.1\r\nContent-Length: 0\r\n\r\n", served.target());
    assert_eq!(request(served.addr, &post).0, 405);
}

#[test]
fn slow_and_malformed_clients_do_not_starve_the_others() {
    let served = Served::start();
    // 100 connections that never finish their request.
    let slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = TcpStream::connect(served.addr).unwrap();
            stream.write_all(b"GET /credentials?tok").unwrap();
            stream
        })
        .collect();
    // An oversized request line, and garbage.
    let huge = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    assert_eq!(request(served.addr, &huge).0, 431);
    assert_eq!(request(served.addr, "\x16\x03\x01 not http\r\n\r\n").0, 400);
    // Good clients are still served promptly.
    let started = Instant::now();
    for _ in 0..20 {
        let (status, body) = served.get(&served.target());
        assert!(sdk_parse(status, &body).is_ok());
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // The slow ones are cut off at the request deadline.
    let mut first = slow.into_iter().next().unwrap();
    first.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    let _ = first.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn stops_gracefully_on_sigterm() {
    let mut served = Served::start();
    assert_eq!(served.get("/health").0, 200);
    let status =
        Command::new("kill").args(["-TERM", &served.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = served.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn answers_503_without_secrets_when_imds_is_unreachable() {
    // Nothing listens on the endpoint: the provider cannot fetch.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("127.0.0.1:{port}");
    let served = Served::start_with(&["serve", "--endpoint", &endpoint, "--timeout-ms", "2000"]);
    let (status, body) = served.get(&served.target());
    assert_eq!(status, 503, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(json["Code"], "Success");
    assert!(json["Message"].as_str().unwrap().contains("could not connect"), "{body}");
    assert!(json.get("AccessKeySecret").is_none() && json.get("SecurityToken").is_none());
    assert_eq!(served.get("/health").0, 200, "still healthy as a server");
}
