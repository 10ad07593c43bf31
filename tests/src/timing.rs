//! Timing checks every client must pass, measured against its own deadline.

use std::time::{Duration, Instant};

use aliyun_imds::{Credentials, Error, Resolved, Settings};
use aliyun_imds_core::{Error as Imds, Failure, Mode, TransportError};
use aliyun_imds_simulator::{Fault, Rule, Target};

use crate::fixture::Imds as Server;

/// A server that never answers: `fetch` must fail with a timeout when its 400 ms operation
/// deadline passes: not before it, and not long after it.
pub fn deadline_honoured(fetch: impl FnOnce(Resolved) -> Result<Credentials, Error>) {
    let server = Server::start();
    server.inject(Rule::always(Target::Any, Fault::Hang));
    let deadline = Duration::from_millis(400);
    let settings = Settings {
        mode: Some(Mode::HardenedOnly),
        operation_timeout: Some(deadline),
        ..server.settings()
    };
    let started = Instant::now();
    let error = fetch(server.resolve(&settings)).unwrap_err();
    let elapsed = started.elapsed();
    let timeout = Failure::Transport(TransportError::Timeout);
    assert!(
        matches!(&error, Error::Imds(Imds::HardenedModeRequired { cause, .. }) if *cause == timeout)
            || matches!(error, Error::Imds(Imds::DeadlineExceeded { .. })),
        "{error:?}"
    );
    assert!(elapsed >= deadline - Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < deadline + Duration::from_millis(1500), "{elapsed:?}");
}
