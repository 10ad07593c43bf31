//! # aliyun-imds-simulator
//!
//! A local simulator of Alibaba Cloud's ECS instance metadata service, for development and
//! tests. The service logic is sans-IO ([`Simulator::respond`], [`Connection`]): request bytes
//! in, [`Reply`] actions out, with the time passed in. That lets the same simulator sit behind
//! std TCP ([`TcpServer`]), tokio, an in-memory smoltcp link or an embassy-net stack.
//!
//! It behaves like the real service: tokens with a validated TTL that expire, hardened-only
//! mode, role listing, credentials with a 6-hour `Expiration` and a realistic 1.5 KiB
//! `SecurityToken`, and plain items (`region-id`, `instance-id`, `zone-id`). [`Rule`]s inject
//! faults, and every request is recorded for tests to assert on.
//!
//! ```
//! use aliyun_imds_simulator::{Fault, Rule, Simulator, SimulatorConfig, Target, TcpServer};
//!
//! let simulator = Simulator::new(SimulatorConfig { hardened_only: true, ..Default::default() });
//! simulator.inject(Rule::once(Target::Credentials, Fault::Status(500)));
//! let server = TcpServer::start("127.0.0.1:0", simulator.clone())?;
//! println!("IMDS at {}", server.addr());
//! # Ok::<(), std::io::Error>(())
//! ```

mod connection;
#[cfg(feature = "embassy-net")]
pub mod embassy;
mod faults;
mod random;
mod request;
mod response;
mod service;
#[cfg(feature = "smoltcp")]
pub mod smoltcp;
mod tcp;

pub use connection::Connection;
pub use faults::{Fault, Rule, Target};
pub use request::{MAX_BODY, MAX_HEAD, MAX_HEADERS, RequestError, RequestReader, SeenRequest};
pub use response::{Action, Reply};
pub use service::{IssuedCredentials, Simulator, SimulatorConfig};
pub use tcp::{TcpServer, now};
