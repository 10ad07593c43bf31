//! Shared end-to-end test material: a simulator fixture on loopback, and the scenario table
//! every adapter runs (each mode against each fault), so adapters are held to one standard.

mod fixture;
mod scenarios;
mod timing;

pub use fixture::{Imds, no_env};
pub use scenarios::{Expect, Scenario, Sent, run_all, scenarios};
pub use timing::deadline_honoured;
