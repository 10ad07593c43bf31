//! What the fuzz targets share: a scripted peer that drives an [`Operation`] over events,
//! checking the machine's memory bounds on every step.

use aliyun_imds_core::limits::IO_BUFFER_LEN;
use aliyun_imds_core::{Error, Fetch, Instant, Operation, Step, TransportError};

/// Most steps any operation may take: every path through the machine is far shorter.
pub const MAX_STEPS: usize = 100_000;

/// What the peer does with one connection (or the clock, between connections).
#[derive(Clone, Debug)]
pub enum Event {
    /// Answer with `bytes`, delivered in pieces whose sizes cycle through `splits`, then close.
    Reply { bytes: Vec<u8>, splits: Vec<usize> },
    /// The connection cannot be opened.
    ConnectFails,
    /// The connection is reset after the request.
    Reset,
    /// Reading times out after the request.
    Timeout,
    /// The clock moves by this many milliseconds (either way) before the next connection.
    ClockJump(i64),
}

/// How an operation ended, and what the peer saw.
#[derive(Debug)]
pub struct Run<T> {
    /// The result.
    pub result: Result<T, Error>,
    /// Every request's bytes.
    pub requests: Vec<Vec<u8>>,
    /// The index in `events` of the last reply delivered.
    pub last_reply: Option<usize>,
}

/// Drives `op` against `events` (then refused connections) until it ends.
pub fn drive<'c, F: Fetch, T>(
    mut op: Operation<'c, F>,
    mut now: Instant,
    events: &[Event],
    out: impl FnOnce(F::Output<'c>) -> T,
) -> Run<T> {
    let mut events = events.iter().enumerate();
    let mut requests = vec![];
    let mut last_reply = None;
    // The event serving the open connection, its index, the request so far, bytes delivered
    // and pieces delivered.
    let mut current: Option<(&Event, usize, Vec<u8>, usize, usize)> = None;
    for _ in 0..MAX_STEPS {
        match op.step(now) {
            Step::Connect => {
                current = loop {
                    match events.next() {
                        Some((_, Event::ClockJump(ms))) => {
                            now = if *ms >= 0 {
                                now.saturating_add(std::time::Duration::from_millis(
                                    ms.unsigned_abs(),
                                ))
                            } else {
                                now.saturating_sub(std::time::Duration::from_millis(
                                    ms.unsigned_abs(),
                                ))
                            };
                        }
                        Some((_, Event::ConnectFails)) | None => break None,
                        Some((index, event)) => break Some((event, index, vec![], 0, 0)),
                    }
                };
                if current.is_none() {
                    op.transport_failed(TransportError::Connect);
                }
            }
            Step::Send(bytes) => {
                assert!(
                    !bytes.is_empty() && bytes.len() <= IO_BUFFER_LEN,
                    "send of {} bytes",
                    bytes.len()
                );
                let (_, _, request, _, _) = current.as_mut().expect("send on an open connection");
                request.extend_from_slice(bytes);
                let n = bytes.len();
                op.sent(n);
            }
            Step::Recv(buf) => {
                assert!(
                    !buf.is_empty() && buf.len() <= IO_BUFFER_LEN,
                    "read buffer of {} bytes",
                    buf.len()
                );
                let (event, index, request, delivered, piece) =
                    current.as_mut().expect("recv on an open connection");
                if *delivered == 0 && *piece == 0 && !request.is_empty() {
                    requests.push(std::mem::take(request));
                }
                match event {
                    Event::Reply { bytes, splits } => {
                        let size = splits
                            .get(*piece % splits.len().max(1))
                            .copied()
                            .unwrap_or(usize::MAX)
                            .max(1);
                        if *piece == 0 {
                            last_reply = Some(*index);
                        }
                        let n = (bytes.len() - *delivered).min(buf.len()).min(size);
                        buf[..n].copy_from_slice(&bytes[*delivered..*delivered + n]);
                        *delivered += n;
                        *piece += 1;
                        op.received(n);
                    }
                    Event::Reset => op.transport_failed(TransportError::Reset),
                    _ => op.transport_failed(TransportError::Timeout),
                }
            }
            Step::Wait(until) => {
                assert!(until > now, "waits are in the future");
                now = until;
            }
            Step::Done | Step::Failed(_) => {
                return Run { result: op.finish().map(out), requests, last_reply };
            }
        }
    }
    panic!("the machine did not end within {MAX_STEPS} steps");
}
