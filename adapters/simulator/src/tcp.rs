//! The simulator behind blocking std TCP: a thread per connection, on loopback by default.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliyun_imds_core::Instant;

use crate::connection::Connection;
use crate::response::Action;
use crate::service::Simulator;

/// How long a connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a hanging connection is held at most.
const MAX_HANG: Duration = Duration::from_secs(60);

/// The current wall-clock time as the core's [`Instant`].
pub fn now() -> Instant {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Instant::from_millis(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
}

/// A running TCP front end; stops when dropped.
#[derive(Debug)]
pub struct TcpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TcpServer {
    /// Listens on `addr` (e.g. `127.0.0.1:0` for any free port) and serves `simulator` from a
    /// background thread.
    pub fn start(addr: impl ToSocketAddrs, simulator: Simulator) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("imds-simulator".into())
            .spawn(move || accept_loop(&listener, &simulator, &stopping))?;
        Ok(Self { addr, stop, thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, simulator: &Simulator, stop: &Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let simulator = simulator.clone();
        let stop = Arc::clone(stop);
        let _ = thread::Builder::new()
            .name("imds-simulator-conn".into())
            .spawn(move || serve(stream, simulator, &stop));
    }
}

/// Serves one connection; I/O errors just end it (the client sees them as such).
fn serve(mut stream: TcpStream, simulator: Simulator, stop: &AtomicBool) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut connection = Connection::new(simulator);
    let mut buf = [0u8; 4096];
    let reply = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        if let Some(reply) = connection.receive(&buf[..n], now()) {
            break reply;
        }
    };
    for action in reply.actions {
        match action {
            Action::Sleep(d) => thread::sleep(d),
            Action::Write(bytes) => stream.write_all(&bytes)?,
            Action::WriteDribbled(bytes) => {
                for byte in bytes {
                    stream.write_all(&[byte])?;
                    stream.flush()?;
                }
            }
            Action::Close => {
                stream.shutdown(Shutdown::Write)?;
                // Let the client read everything and close first.
                let _ = stream.read(&mut buf);
                return Ok(());
            }
            Action::Reset => {
                socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
                return Ok(());
            }
            Action::Hang => return hang(&mut stream, stop),
        }
    }
    Ok(())
}

/// Holds the connection open until the client closes it, the server stops, or a minute passes.
fn hang(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    while started.elapsed() < MAX_HANG && !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    Ok(())
}
