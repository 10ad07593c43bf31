//! The loop: the core's steps over an async connection, each I/O bounded by a timeout.

use aliyun_imds_core::{
    Client, Credentials, Error, Fetch, Instant, ItemPath, Operation, Step, Timeouts, TransportError,
};
use embassy_futures::select::{Either, select};
use embedded_io_async::{ErrorType, Read, Write};

/// Opens connections to the metadata endpoint.
pub trait Connector {
    /// An open connection.
    type Connection<'a>: Connection
    where
        Self: 'a;

    /// Opens a new connection; `None` if it could not be opened. The caller bounds this with
    /// the connect timeout.
    async fn connect(&mut self) -> Option<Self::Connection<'_>>;
}

/// An open connection: embedded-io-async reads and writes, and a clean close.
pub trait Connection: Read + Write {
    /// Closes the connection cleanly (the caller bounds this with the I/O timeout).
    async fn close(self);
}

/// Any `embedded_io_async` connection, closed by dropping it.
#[derive(Debug)]
pub struct Plain<C>(pub C);

impl<C: ErrorType> ErrorType for Plain<C> {
    type Error = C::Error;
}

impl<C: Read> Read for Plain<C> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).await
    }
}

impl<C: Write> Write for Plain<C> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.flush().await
    }
}

impl<C: Read + Write> Connection for Plain<C> {
    async fn close(self) {}
}

/// Time: now, and sleeping until an instant.
pub trait Timer {
    /// The current time. Use Unix time if the device knows it: the core compares it with the
    /// credentials' `Expiration`.
    fn now(&self) -> Instant;

    /// Completes at `deadline` (at once if it has passed).
    async fn sleep_until(&self, deadline: Instant);
}

/// Fetches the role's credentials with `client`.
pub async fn fetch_credentials<'c, C: Connector, T: Timer>(
    client: &'c mut Client,
    connector: &mut C,
    timer: &T,
    timeouts: Timeouts,
) -> Result<&'c Credentials, Error> {
    let op = client.credentials(timer.now());
    run(op, connector, timer, timeouts).await
}

/// Fetches the metadata item `path` with `client`.
pub async fn fetch_item<'c, C: Connector, T: Timer>(
    client: &'c mut Client,
    path: ItemPath,
    connector: &mut C,
    timer: &T,
    timeouts: Timeouts,
) -> Result<&'c str, Error> {
    let op = client.item(path, timer.now());
    run(op, connector, timer, timeouts).await
}

/// Runs any operation to its end.
pub async fn run<'c, F: Fetch, C: Connector, T: Timer>(
    mut op: Operation<'c, F>,
    connector: &mut C,
    timer: &T,
    timeouts: Timeouts,
) -> Result<F::Output<'c>, Error> {
    let mut connect = false;
    let result = loop {
        if core::mem::take(&mut connect) {
            let deadline = timer.now().saturating_add(timeouts.connect).min(op.deadline());
            log_request(&op);
            match within(timer, deadline, connector.connect()).await {
                Some(Some(mut connection)) => {
                    connect = serve(&mut op, &mut connection, timer, timeouts).await;
                    let deadline = timer.now().saturating_add(timeouts.io);
                    let _ = within(timer, deadline, connection.close()).await;
                }
                _ => op.transport_failed(TransportError::Connect),
            }
            continue;
        }
        match op.step(timer.now()) {
            Step::Connect => connect = true,
            // Only asked for on an open connection, inside `serve`.
            Step::Send(_) | Step::Recv(_) => op.transport_failed(TransportError::Reset),
            Step::Wait(until) => timer.sleep_until(until).await,
            Step::Done | Step::Failed(_) => break op.finish(),
        }
    };
    log_result(&result);
    result
}

/// Drives `op` over one open connection; returns whether the machine asked for a new one.
async fn serve<F: Fetch, T: Timer>(
    op: &mut Operation<'_, F>,
    connection: &mut impl Connection,
    timer: &T,
    timeouts: Timeouts,
) -> bool {
    loop {
        let now = timer.now();
        let deadline = now.saturating_add(timeouts.io).min(op.deadline());
        match op.step(now) {
            Step::Connect => return true,
            Step::Send(bytes) => match within(timer, deadline, connection.write(bytes)).await {
                Some(Ok(n)) if n > 0 => op.sent(n),
                Some(_) => op.transport_failed(TransportError::Reset),
                None => op.transport_failed(TransportError::Timeout),
            },
            Step::Recv(buf) => match within(timer, deadline, connection.read(buf)).await {
                Some(Ok(n)) => op.received(n),
                Some(Err(_)) => op.transport_failed(TransportError::Reset),
                None => op.transport_failed(TransportError::Timeout),
            },
            Step::Wait(until) => timer.sleep_until(until).await,
            Step::Done | Step::Failed(_) => return false,
        }
    }
}

/// `future`'s output, or `None` if `deadline` comes first.
async fn within<T: Timer, O>(
    timer: &T,
    deadline: Instant,
    future: impl Future<Output = O>,
) -> Option<O> {
    match select(future, timer.sleep_until(deadline)).await {
        Either::First(output) => Some(output),
        Either::Second(()) => None,
    }
}

#[cfg(feature = "defmt")]
fn log_request<F: Fetch>(op: &Operation<'_, F>) {
    if let Some(request) = op.request_kind() {
        defmt::debug!("imds: connecting for {}", request);
    }
}

#[cfg(not(feature = "defmt"))]
fn log_request<F: Fetch>(_: &Operation<'_, F>) {}

#[cfg(feature = "defmt")]
fn log_result<T>(result: &Result<T, Error>) {
    if let Err(error) = result {
        defmt::warn!("imds: {}", error);
    }
}

#[cfg(not(feature = "defmt"))]
fn log_result<T>(_: &Result<T, Error>) {}
