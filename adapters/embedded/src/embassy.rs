//! embassy-net 0.9 and embassy-time: open sockets on a [`Stack`], tell time from the embassy
//! clock plus the wall-clock time at boot.

use core::time::Duration;

use aliyun_imds_core::Instant;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};

use crate::{Connection, Connector, Timer};

/// Opens TCP connections to the metadata endpoint on an embassy-net stack, using buffers the
/// caller owns (1 KiB each is plenty: the machine reads in pieces).
///
/// ```ignore
/// let endpoint = IpEndpoint::new(Ipv4Address::new(100, 100, 100, 200).into(), 80);
/// let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
/// let mut connector = EmbassyConnector::new(stack, endpoint, &mut rx, &mut tx);
/// ```
pub struct EmbassyConnector<'s, 'b> {
    stack: Stack<'s>,
    endpoint: IpEndpoint,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
}

impl<'s, 'b> EmbassyConnector<'s, 'b> {
    /// Connects to `endpoint` (usually `100.100.100.200:80`) over `stack`.
    pub fn new(stack: Stack<'s>, endpoint: IpEndpoint, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        Self { stack, endpoint, rx, tx }
    }
}

impl Connector for EmbassyConnector<'_, '_> {
    type Connection<'a>
        = TcpSocket<'a>
    where
        Self: 'a;

    async fn connect(&mut self) -> Option<TcpSocket<'_>> {
        let mut socket = TcpSocket::new(self.stack, self.rx, self.tx);
        match socket.connect(self.endpoint).await {
            Ok(()) => Some(socket),
            Err(_) => {
                socket.abort();
                None
            }
        }
    }
}

impl Connection for TcpSocket<'_> {
    /// Sends FIN and waits until it is acknowledged.
    async fn close(mut self) {
        TcpSocket::close(&mut self);
        let _ = embedded_io_async::Write::flush(&mut self).await;
    }
}

/// Time from embassy-time, offset by the Unix time at boot.
#[derive(Clone, Copy, Debug)]
pub struct EmbassyTimer {
    boot: Instant,
}

impl EmbassyTimer {
    /// `unix_time_at_boot` is the wall-clock time when embassy's clock read zero (from an RTC
    /// or SNTP). Without one, pass [`Instant::EPOCH`]: requests still work, but credentials
    /// that IMDS sent already expired cannot be told apart.
    pub fn new(unix_time_at_boot: Instant) -> Self {
        Self { boot: unix_time_at_boot }
    }
}

impl Timer for EmbassyTimer {
    fn now(&self) -> Instant {
        self.boot.saturating_add(Duration::from_micros(embassy_time::Instant::now().as_micros()))
    }

    async fn sleep_until(&self, deadline: Instant) {
        let left = deadline.saturating_duration_since(self.now());
        let micros = u64::try_from(left.as_micros()).unwrap_or(u64::MAX);
        embassy_time::Timer::after(embassy_time::Duration::from_micros(micros)).await;
    }
}
