//! The blocking client: the core driven over `std::net::TcpStream`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use aliyun_imds_core::{Client, Credentials, Fetch, ItemPath, Operation, Step, TransportError};

use crate::Error;
use crate::clock::OperationClock;
use crate::settings::{Endpoint, Resolved, Settings};

/// A blocking metadata client: connect, read and write timeouts on every I/O call, an
/// overall deadline per fetch, retries and backoff as the core decides. Never uses a proxy
/// (whatever `HTTP_PROXY` says) and never follows redirects.
///
/// The metadata token and a discovered role are cached between fetches.
///
/// ```no_run
/// let mut imds = aliyun_imds::ImdsClient::from_env()?;
/// let credentials = imds.credentials()?;
/// println!("{credentials}"); // STS.NUgY… (expires 2017-11-01T05:20:01Z): secrets redacted
/// let region = imds.item("region-id")?;
/// # Ok::<(), aliyun_imds::Error>(())
/// ```
#[derive(Debug)]
pub struct ImdsClient {
    core: Box<Client>,
    transport: Transport,
}

impl ImdsClient {
    /// A client configured from the environment and defaults.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(&Settings::default())
    }

    /// A client with `settings`, completed from the environment and defaults.
    pub fn new(settings: &Settings) -> Result<Self, Error> {
        Ok(Self::with_resolved(settings.resolve()?))
    }

    /// A client with fully resolved settings.
    pub fn with_resolved(resolved: Resolved) -> Self {
        let transport = Transport {
            endpoint: resolved.endpoint,
            connect_timeout: resolved.connect_timeout,
            read_timeout: resolved.read_timeout,
        };
        Self { core: Box::new(Client::new(resolved.config)), transport }
    }

    /// The core client (configuration, cached role).
    pub fn core(&self) -> &Client {
        &self.core
    }

    /// Drops the cached metadata token and discovered role: the next fetch starts afresh.
    pub fn forget_cache(&mut self) {
        self.core.forget_cache();
    }

    /// Fetches the role's temporary credentials.
    pub fn credentials(&mut self) -> Result<Credentials, Error> {
        let clock = OperationClock::start();
        let op = self.core.credentials(clock.now());
        self.transport.drive(op, &clock).cloned()
    }

    /// Fetches the metadata item `path` (e.g. `region-id`).
    pub fn item(&mut self, path: &str) -> Result<String, Error> {
        let path = ItemPath::new(path).map_err(aliyun_imds_core::Error::InvalidItemPath)?;
        let clock = OperationClock::start();
        let op = self.core.item(path, clock.now());
        self.transport.drive(op, &clock).map(str::to_owned)
    }
}

#[derive(Debug)]
struct Transport {
    endpoint: Endpoint,
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl Transport {
    /// Runs `op` to its end: a loop over the core's steps, nothing more.
    fn drive<'c, F: Fetch>(
        &self,
        mut op: Operation<'c, F>,
        clock: &OperationClock,
    ) -> Result<F::Output<'c>, Error> {
        let mut stream: Option<TcpStream> = None;
        loop {
            let now = clock.now();
            let io_timeout = clock.io_timeout(self.read_timeout, op.deadline());
            match op.step(now) {
                Step::Connect => {
                    let timeout = clock.io_timeout(self.connect_timeout, op.deadline());
                    drop(stream.take()); // close the previous connection first
                    stream = self.connect(timeout)?;
                    if stream.is_none() {
                        op.transport_failed(TransportError::Connect);
                    }
                }
                Step::Send(bytes) => match stream.as_mut().map(|s| write(s, bytes, io_timeout)) {
                    Some(Ok(n)) => op.sent(n),
                    Some(Err(e)) => op.transport_failed(classify(&e)),
                    None => op.transport_failed(TransportError::Reset),
                },
                Step::Recv(buf) => match stream.as_mut().map(|s| read(s, buf, io_timeout)) {
                    Some(Ok(n)) => op.received(n),
                    Some(Err(e)) => op.transport_failed(classify(&e)),
                    None => op.transport_failed(TransportError::Reset),
                },
                Step::Wait(until) => std::thread::sleep(clock.until(until)),
                Step::Done | Step::Failed(_) => return op.finish().map_err(Error::from),
            }
        }
    }

    /// A connection to the endpoint; `None` if none could be made in time, an error if the
    /// endpoint does not resolve.
    fn connect(&self, timeout: Duration) -> Result<Option<TcpStream>, Error> {
        let unresolvable = |e: io::Error| Error::Endpoint {
            endpoint: self.endpoint.to_string(),
            reason: e.to_string(),
        };
        let addrs: Vec<SocketAddr> = (self.endpoint.address.as_str(), self.endpoint.port)
            .to_socket_addrs()
            .map_err(unresolvable)?
            .collect();
        Ok(addrs.iter().find_map(|addr| {
            let stream = TcpStream::connect_timeout(addr, timeout).ok()?;
            stream.set_nodelay(true).ok()?;
            Some(stream)
        }))
    }
}

fn write(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> io::Result<usize> {
    stream.set_write_timeout(Some(timeout))?;
    loop {
        match stream.write(bytes) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn read(stream: &mut TcpStream, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
    stream.set_read_timeout(Some(timeout))?;
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The transport failure a read or write error stands for.
fn classify(e: &io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::Timeout,
        _ => TransportError::Reset,
    }
}
