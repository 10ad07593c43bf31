//! # aliyun-imds-core
//!
//! A sans-IO client for the temporary STS credentials of an Alibaba Cloud ECS instance RAM
//! role, fetched from the instance metadata service (IMDS, `100.100.100.200`).
//!
//! The crate does no I/O and reads no clock. A [`Client`] holds the configuration, the cached
//! metadata token and role name, and all the memory it will ever use (about 11 KiB, see
//! [`limits`]). Each operation tells its caller what to do next — connect, send these bytes,
//! read into this buffer, wait until, done — and takes back what happened. It is `no_std`,
//! allocates nothing, bounds every length and never panics on any input.
//!
//! ```
//! use aliyun_imds_core::{Client, Config, Instant, Step};
//!
//! # struct Net; impl Net {
//! #   fn connect(&mut self) {} fn write(&mut self, b: &[u8]) -> usize { b.len() }
//! #   fn read(&mut self, _: &mut [u8]) -> usize { 0 } }
//! # fn now() -> Instant { Instant::from_secs(1_700_000_000) }
//! # let mut net = Net;
//! let mut client = Client::new(Config::default());
//! let mut op = client.credentials(now());
//! let result = loop {
//!     match op.step(now()) {
//!         Step::Connect => net.connect(),
//!         Step::Send(bytes) => { let n = net.write(bytes); op.sent(n) }
//!         Step::Recv(buf) => { let n = net.read(buf); op.received(n) }
//!         Step::Wait(_until) => { /* sleep until then */ }
//!         Step::Done => break Ok(op.output().cloned()),
//!         Step::Failed(error) => break Err(error),
//!     }
//! };
//! # assert!(result.is_err()); // this fake network closes at once
//! # let _: Result<Option<aliyun_imds_core::Credentials>, _> = result;
//! ```
//!
//! Callers with an HTTP client of their own use [`Client::credentials_exchange`] instead: it
//! hands out [`Request`]s (method, path, headers) and takes status and body back.
//!
//! ## The flow
//! Hardened mode first (`PUT /latest/api/token`, token reused across operations until
//! shortly before its TTL ends), then role discovery when no role is configured (cached),
//! then `GET /latest/meta-data/ram/security-credentials/<role>`. [`Mode`] decides whether a
//! failed token request falls back to normal mode. A `401` with a token drops it, fetches a
//! new one and retries once. Transient failures are retried with capped, jittered backoff
//! within the operation's deadline; redirects are never followed.
//!
//! ## Dependencies
//! httparse (response heads, chunk sizes), serde and serde-json-core (the credentials
//! document), heapless (fixed-capacity strings), zeroize (wiping secrets), and optionally
//! defmt (the `defmt` feature). All are `no_std` and allocation-free.

#![no_std]
#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo
)]

mod client;
mod config;
mod credentials;
mod document;
mod error;
mod flow;
mod http;
pub mod limits;
mod names;
pub mod protocol;
mod random;
mod refresh;
mod rfc3339;
mod session;
mod time;
mod token;

pub use client::{Action, Client, Exchange, Fetch, FetchCredentials, FetchItem, Operation, Step};
pub use config::{Config, Mode, RetryPolicy, Timeouts};
pub use credentials::{Credentials, CredentialsError, Field};
pub use document::DocumentError;
pub use error::{Error, Failure, RequestKind, TransportError};
pub use http::{Header, Method, Request, ResponseError, USER_AGENT};
pub use names::{Host, ItemPath, NameError, RoleName};
pub use refresh::{Decision, RefreshPolicy, RefreshState};
pub use rfc3339::{TimestampError, parse_rfc3339};
pub use time::Instant;
pub use token::{InvalidTokenTtl, MetadataToken, TokenError, TokenTtl};
