//! The machine driven through its public API against scripted servers.

mod machine {
    pub mod script;
}
#[path = "machine/documents.rs"]
mod documents;
#[path = "machine/exchange.rs"]
mod exchange;
#[path = "machine/flows.rs"]
mod flows;
#[path = "machine/framing.rs"]
mod framing;
#[path = "machine/names.rs"]
mod names;
#[path = "machine/refresh.rs"]
mod refresh;
#[path = "machine/secrets.rs"]
mod secrets;
#[path = "machine/splits.rs"]
mod splits;
