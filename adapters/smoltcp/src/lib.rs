//! # aliyun-imds-smoltcp
//!
//! Credentials over a poll-driven smoltcp TCP socket, for unikernels and custom runtimes
//! with no async executor: `#![no_std]`, no allocator. You keep the `Interface`, the device
//! and the `SocketSet`, and add one TCP socket with buffers of your own. [`SmoltcpFetch`]
//! drives the core over it from inside your poll loop. Timeouts and backoff use smoltcp's
//! `Instant`, the same `now` you pass to `iface.poll`.
//!
//! ```ignore
//! let handle = sockets.add(tcp::Socket::new(SocketBuffer::new(&mut rx[..]), SocketBuffer::new(&mut tx[..])));
//! let mut fetch = SmoltcpFetch::new(client.credentials(clock.unix(now)), handle, imds, clock, Timeouts::default());
//! let credentials = loop {
//!     iface.poll(now, &mut device, &mut sockets);
//!     if let Poll::Ready(result) = fetch.poll(&mut iface, &mut sockets, now) {
//!         break result?;
//!     }
//!     sleep_until(min(iface.poll_at(now, &sockets), fetch.poll_at()));
//! };
//! ```

#![no_std]
#![forbid(unsafe_code)]

use core::task::Poll;
use core::time::Duration;

use aliyun_imds_core::{
    Error, Fetch, Instant as UnixInstant, Operation, Step, Timeouts, TransportError,
};
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp::{self, RecvError, State};
use smoltcp::time::Instant;
use smoltcp::wire::IpEndpoint;

/// The first and last ephemeral ports (RFC 6335).
const EPHEMERAL: (u16, u16) = (49152, 65535);

/// Maps smoltcp's clock to Unix time: the Unix time when smoltcp's clock read zero.
///
/// The core compares its time with the credentials' `Expiration`; on a device with no wall
/// clock, [`UnixClock::unknown`] still fetches, but cannot tell credentials that IMDS sent
/// already expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnixClock {
    at_zero: UnixInstant,
}

impl UnixClock {
    /// smoltcp's `Instant::ZERO` was `at_zero` in Unix time.
    pub fn new(at_zero: UnixInstant) -> Self {
        Self { at_zero }
    }

    /// No wall clock: smoltcp time is taken as time since the epoch.
    pub fn unknown() -> Self {
        Self { at_zero: UnixInstant::EPOCH }
    }

    /// `now` in Unix time.
    pub fn unix(&self, now: Instant) -> UnixInstant {
        let millis = u64::try_from(now.total_millis()).unwrap_or(0);
        self.at_zero.saturating_add(Duration::from_millis(millis))
    }

    /// `unix` on smoltcp's clock.
    pub fn smoltcp(&self, unix: UnixInstant) -> Instant {
        let millis = unix.as_millis().saturating_sub(self.at_zero.as_millis());
        Instant::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// No connection, or the machine has not asked for I/O yet.
    Idle,
    /// FIN sent on the previous connection; a new one is opened once it is closed (or then).
    Closing { until: UnixInstant },
    /// SYN sent; the handshake must complete by then.
    Connecting { until: UnixInstant },
    /// Established.
    Open,
}

/// One operation driven over a smoltcp TCP socket from the caller's poll loop.
pub struct SmoltcpFetch<'c, F: Fetch> {
    op: Option<Operation<'c, F>>,
    link: LinkState,
}

/// The connection's side of a fetch: the socket, where it stands, and its clocks.
#[derive(Debug)]
struct LinkState {
    socket: SocketHandle,
    endpoint: IpEndpoint,
    clock: UnixClock,
    timeouts: Timeouts,
    link: Link,
    /// A blocked read or write must progress by then.
    io_until: Option<UnixInstant>,
    /// Backing off until then.
    wait_until: Option<UnixInstant>,
    next_port: u16,
}

impl<'c, F: Fetch> SmoltcpFetch<'c, F> {
    /// Drives `op` over the TCP socket `socket` (in the caller's `SocketSet`, with the
    /// caller's buffers) to `endpoint`, usually `100.100.100.200:80`.
    pub fn new(
        op: Operation<'c, F>,
        socket: SocketHandle,
        endpoint: IpEndpoint,
        clock: UnixClock,
        timeouts: Timeouts,
    ) -> Self {
        // Spread the first local port with the operation's start, so a restarted program does
        // not reuse the port of a connection the peer may still hold.
        let start = op.deadline().as_millis();
        let span = u64::from(EPHEMERAL.1 - EPHEMERAL.0) + 1;
        let next_port = EPHEMERAL.0 + u16::try_from(start % span).unwrap_or(0);
        let link = LinkState {
            socket,
            endpoint,
            clock,
            timeouts,
            link: Link::Idle,
            io_until: None,
            wait_until: None,
            next_port,
        };
        Self { op: Some(op), link }
    }

    /// Moves the operation on at `now` (the time given to `iface.poll`). Ready once it has
    /// ended; the socket is then closed gracefully (keep polling the interface to send the
    /// FIN). Polling again after that gives [`Error::Unfinished`].
    pub fn poll(
        &mut self,
        iface: &mut Interface,
        sockets: &mut SocketSet<'_>,
        now: Instant,
    ) -> Poll<Result<F::Output<'c>, Error>> {
        let Self { op: Some(op), link } = self else {
            return Poll::Ready(Err(Error::Unfinished));
        };
        let socket = sockets.get_mut::<tcp::Socket<'_>>(link.socket);
        let unix_now = link.clock.unix(now);
        link.wait_until = None;
        loop {
            if let Link::Closing { until } = link.link {
                if !matches!(socket.state(), State::Closed | State::TimeWait) && unix_now < until {
                    return Poll::Pending;
                }
                link.connect(op, socket, iface, unix_now);
            }
            if let Link::Connecting { until } = link.link {
                match socket.state() {
                    State::Established => link.link = Link::Open,
                    State::SynSent | State::SynReceived if unix_now < until => {
                        return Poll::Pending;
                    }
                    _ => {
                        socket.abort();
                        link.link = Link::Idle;
                        op.transport_failed(TransportError::Connect);
                    }
                }
            }
            match op.step(unix_now) {
                Step::Connect if socket.is_open() && socket.state() != State::TimeWait => {
                    // Close the previous connection cleanly before opening the next.
                    socket.close();
                    let until = unix_now.saturating_add(link.timeouts.io).min(op.deadline());
                    link.link = Link::Closing { until };
                }
                Step::Connect => link.connect(op, socket, iface, unix_now),
                Step::Send(bytes) => match socket.send_slice(bytes) {
                    Ok(n) => match link.progress(n, unix_now, op.deadline()) {
                        Progress::Moved(n) => op.sent(n),
                        Progress::Blocked => return Poll::Pending,
                        Progress::TimedOut => op.transport_failed(TransportError::Timeout),
                    },
                    Err(_) => op.transport_failed(TransportError::Reset),
                },
                Step::Recv(buf) => match socket.recv_slice(buf) {
                    Ok(n) => match link.progress(n, unix_now, op.deadline()) {
                        Progress::Moved(n) => op.received(n),
                        Progress::Blocked => return Poll::Pending,
                        Progress::TimedOut => op.transport_failed(TransportError::Timeout),
                    },
                    Err(RecvError::Finished) => op.received(0),
                    Err(RecvError::InvalidState) => op.transport_failed(TransportError::Reset),
                },
                Step::Wait(until) => {
                    link.wait_until = Some(until);
                    return Poll::Pending;
                }
                Step::Done | Step::Failed(_) => {
                    socket.close();
                    link.link = Link::Idle;
                    let result = self.op.take().map_or(Err(Error::Unfinished), Operation::finish);
                    log_result(&result);
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// When [`poll`](Self::poll) must be called again at the latest, even if the interface
    /// has nothing to do (a timeout or the end of a backoff); `None` once finished.
    pub fn poll_at(&self) -> Option<Instant> {
        let op = self.op.as_ref()?;
        let link = &self.link;
        let connecting = match link.link {
            Link::Connecting { until } | Link::Closing { until } => Some(until),
            Link::Idle | Link::Open => None,
        };
        let next = [connecting, link.io_until, link.wait_until]
            .into_iter()
            .flatten()
            .fold(op.deadline(), UnixInstant::min);
        Some(link.clock.smoltcp(next))
    }
}

impl LinkState {
    /// Judges a read or write that moved `n` bytes at `now`: a block starts the I/O timeout
    /// (cut to the deadline), progress stops it.
    fn progress(&mut self, n: usize, now: UnixInstant, deadline: UnixInstant) -> Progress {
        if n > 0 {
            self.io_until = None;
            return Progress::Moved(n);
        }
        match self.io_until {
            Some(until) if now >= until => {
                self.io_until = None;
                Progress::TimedOut
            }
            Some(_) => Progress::Blocked,
            None => {
                self.io_until = Some(now.saturating_add(self.timeouts.io).min(deadline));
                Progress::Blocked
            }
        }
    }

    /// Opens a new connection from a fresh local port.
    fn connect<F: Fetch>(
        &mut self,
        op: &mut Operation<'_, F>,
        socket: &mut tcp::Socket<'_>,
        iface: &mut Interface,
        now: UnixInstant,
    ) {
        socket.abort();
        let port = self.next_port;
        self.next_port = if port >= EPHEMERAL.1 { EPHEMERAL.0 } else { port + 1 };
        self.io_until = None;
        self.link = Link::Idle;
        log_connect(op);
        match socket.connect(iface.context(), self.endpoint, port) {
            Ok(()) => {
                let until = now.saturating_add(self.timeouts.connect).min(op.deadline());
                self.link = Link::Connecting { until };
            }
            Err(_) => op.transport_failed(TransportError::Connect),
        }
    }
}

/// What a read or write that moved some bytes means.
enum Progress {
    /// This many bytes moved.
    Moved(usize),
    /// Nothing moved yet; poll again.
    Blocked,
    /// Nothing moved for the whole I/O timeout.
    TimedOut,
}

impl<F: Fetch> core::fmt::Debug for SmoltcpFetch<'_, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmoltcpFetch")
            .field("endpoint", &self.link.endpoint)
            .field("link", &self.link.link)
            .field("finished", &self.op.is_none())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "defmt")]
fn log_connect<F: Fetch>(op: &Operation<'_, F>) {
    defmt::debug!("imds: connecting, deadline {}", op.deadline());
}

#[cfg(not(feature = "defmt"))]
fn log_connect<F: Fetch>(_: &Operation<'_, F>) {}

#[cfg(feature = "defmt")]
fn log_result<T>(result: &Result<T, Error>) {
    if let Err(error) = result {
        defmt::warn!("imds: {}", error);
    }
}

#[cfg(not(feature = "defmt"))]
fn log_result<T>(_: &Result<T, Error>) {}
