//! # aliyun-imds-embedded
//!
//! Drives the sans-IO [`aliyun_imds_core`] machine over any `embedded_io_async::{Read, Write}`
//! connection: `#![no_std]`, no allocator, buffers owned by the machine. You bring:
//! - a [`Connector`] that opens a connection to the metadata endpoint (with the `embassy-net`
//!   feature, [`embassy::EmbassyConnector`] does this over an `embassy_net::Stack`);
//! - a [`Timer`] that tells the time and sleeps (with `embassy-net`,
//!   [`embassy::EmbassyTimer`]).
//!
//! Every connect, read, write and close is bounded by a timeout; retries and backoff are the
//! core's. With the `defmt` feature each request and failure is logged, never a secret.
//!
//! ```ignore
//! let mut client = Client::new(Config::default());
//! let mut connector = EmbassyConnector::new(stack, metadata_endpoint, &mut rx, &mut tx);
//! let timer = EmbassyTimer::new(unix_time_at_boot);
//! let credentials = fetch_credentials(&mut client, &mut connector, &timer, Timeouts::default()).await?;
//! ```

#![no_std]
#![forbid(unsafe_code)]
// Single-threaded executors are this crate's home: futures need not be `Send`.
#![allow(async_fn_in_trait)]

#[cfg(feature = "embassy-net")]
pub mod embassy;
mod run;

pub use aliyun_imds_core::Timeouts;
pub use run::{Connection, Connector, Plain, Timer, fetch_credentials, fetch_item, run};
