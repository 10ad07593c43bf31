//! `aliyun-imds serve`: the provider's credentials over local HTTP, in the format of the
//! official SDKs' `credentials_uri` provider (`ALIBABA_CLOUD_CREDENTIALS_URI`).
//!
//! Loopback by default; a random secret required on every request (compared in constant
//! time); `GET` only; `/health` without credentials. Every connection has a 5 s deadline to
//! send its request, at most 8 KiB, and at most 1024 connections are served at once, so slow
//! or malformed clients cannot starve the others or grow memory.

use std::sync::Arc;
use std::time::Duration;

use aliyun_imds_tokio::AsyncCredentialsProvider;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Time a client has to send its whole request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// Longest request accepted.
const MAX_REQUEST: usize = 8 * 1024;
/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Time in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A response: status, content type, body.
struct Response(u16, &'static str, String);

/// Serves `provider` on `listener` until SIGINT or SIGTERM. `announce` gets the URI to give to
/// `ALIBABA_CLOUD_CREDENTIALS_URI` (with its secret) before the first request is accepted.
pub async fn serve(
    listener: TcpListener,
    provider: AsyncCredentialsProvider,
    announce: impl FnOnce(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let secret = secret()?;
    let address = listener.local_addr()?;
    announce(&format!("http://{address}/credentials?token={secret}"))?;
    let secret: Arc<str> = secret.into();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit.map_err(std::io::Error::other)?,
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        };
        let (provider, secret) = (provider.clone(), Arc::clone(&secret));
        tokio::spawn(async move {
            let _ = connection(stream, &provider, &secret).await;
            drop(permit);
        });
    }
    // Graceful shutdown: wait (a bounded time) for the connections in flight.
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await;
    Ok(())
}

/// 128 random bits, in hex.
fn secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn connection(
    mut stream: TcpStream,
    provider: &AsyncCredentialsProvider,
    secret: &str,
) -> std::io::Result<()> {
    let response = match tokio::time::timeout(REQUEST_DEADLINE, read_request(&mut stream)).await {
        Ok(Ok(Some((method, target)))) => respond(&method, &target, provider, secret).await,
        Ok(Ok(None)) => return Ok(()), // closed before sending a request
        Ok(Err(status)) => error(status, "bad request"),
        Err(_) => error(408, "request timeout"),
    };
    write(&mut stream, response).await
}

/// Reads one request head; returns method and target, or the status to refuse it with.
async fn read_request(stream: &mut TcpStream) -> Result<Option<(String, String)>, u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| 400u16)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let method = request.method.unwrap_or_default().to_owned();
                return Ok(Some((method, request.path.unwrap_or_default().to_owned())));
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_REQUEST => {}
            Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
                return Err(431);
            }
            Err(_) => return Err(400),
        }
    }
}

async fn respond(
    method: &str,
    target: &str,
    provider: &AsyncCredentialsProvider,
    secret: &str,
) -> Response {
    if method != "GET" {
        return error(405, "only GET is supported");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/health" => Response(200, "text/plain", "ok\n".to_owned()),
        "/credentials" => {
            let token = query.split('&').find_map(|pair| pair.strip_prefix("token=")).unwrap_or("");
            if !bool::from(token.as_bytes().ct_eq(secret.as_bytes())) {
                return error(403, "missing or wrong token");
            }
            match provider.credentials().await {
                Ok(credentials) => {
                    let mut body = json!({
                        "Code": "Success",
                        "AccessKeyId": credentials.access_key_id(),
                        "AccessKeySecret": credentials.access_key_secret(),
                        "SecurityToken": credentials.security_token(),
                        "Expiration": credentials.expiration().to_string(),
                    });
                    if let Some(last_updated) = credentials.last_updated() {
                        body["LastUpdated"] = last_updated.to_string().into();
                    }
                    Response(200, "application/json", body.to_string())
                }
                // The error's text names no secret (see aliyun_imds_core::Error).
                Err(e) => error(503, &e.to_string()),
            }
        }
        _ => error(404, "not found"),
    }
}

fn error(status: u16, message: &str) -> Response {
    let body = json!({ "Code": "Error", "Message": message }).to_string();
    Response(status, "application/json", body)
}

async fn write(
    stream: &mut TcpStream,
    Response(status, content_type, body): Response,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
