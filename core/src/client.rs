//! The client value and the two ways of driving it: [`Operation`] (bytes, for callers who own
//! a TCP connection) and [`Exchange`] (messages, for callers who already have an HTTP client).

use core::marker::PhantomData;

use crate::Instant;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Error, Failure, RequestKind, TransportError};
use crate::flow::{Flow, Goal, Next, Outcome};
use crate::http::{self, ReadStatus, Request, ResponseError, ResponseReader};
use crate::limits::{IO_BUFFER_LEN, RESPONSE_BODY_LEN};
use crate::names::{ItemPath, RoleName};
use crate::session::Session;

/// A metadata client: configuration, cached token and role, and the fixed memory every
/// operation works in. Runs one operation at a time (each borrows it mutably).
///
/// About 11 KiB with the default [limits](crate::limits); no heap, no clock, no I/O.
pub struct Client {
    session: Session,
    io: [u8; IO_BUFFER_LEN],
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.session.config)
            .field("role", &self.role())
            .field("has_token", &self.session.token.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `config` and empty caches.
    pub fn new(config: Config) -> Self {
        Self { session: Session::new(config), io: [0; IO_BUFFER_LEN] }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.session.config
    }

    /// The configured role, else the discovered one (cached after the first discovery).
    pub fn role(&self) -> Option<&RoleName> {
        self.session.role()
    }

    /// Whether a cached metadata token will be reused at `now`.
    pub fn has_fresh_token(&self, now: Instant) -> bool {
        self.session.fresh_token(now).is_some()
    }

    /// Drops the cached metadata token (zeroizing it) and the discovered role.
    pub fn forget_cache(&mut self) {
        self.session.token = None;
        self.session.discovered_role = None;
    }

    /// Starts fetching the role's credentials at `now`, driven by bytes.
    pub fn credentials(&mut self, now: Instant) -> Operation<'_, FetchCredentials> {
        Operation::start(self, Goal::Credentials, now)
    }

    /// Starts fetching the metadata item `path` at `now`, driven by bytes.
    pub fn item(&mut self, path: ItemPath, now: Instant) -> Operation<'_, FetchItem> {
        Operation::start(self, Goal::Item(path), now)
    }

    /// Starts fetching the role's credentials at `now`, driven by messages.
    pub fn credentials_exchange(&mut self, now: Instant) -> Exchange<'_, FetchCredentials> {
        Exchange::start(self, Goal::Credentials, now)
    }

    /// Starts fetching the metadata item `path` at `now`, driven by messages.
    pub fn item_exchange(&mut self, path: ItemPath, now: Instant) -> Exchange<'_, FetchItem> {
        Exchange::start(self, Goal::Item(path), now)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What an operation produces: [`FetchCredentials`] or [`FetchItem`].
pub trait Fetch: sealed::Sealed {
    /// The result, borrowed from the client.
    type Output<'a>;
    /// Picks this fetch's result out of what a finished operation holds.
    fn output<'a>(credentials: &'a Credentials, item: &'a str) -> Self::Output<'a>;
}

/// Fetches the role's credentials; the output is `&Credentials`.
#[derive(Debug)]
pub struct FetchCredentials;

/// Fetches a metadata item; the output is its value as trimmed text.
#[derive(Debug)]
pub struct FetchItem;

impl sealed::Sealed for FetchCredentials {}
impl sealed::Sealed for FetchItem {}

impl Fetch for FetchCredentials {
    type Output<'a> = &'a Credentials;
    fn output<'a>(credentials: &'a Credentials, _: &'a str) -> &'a Credentials {
        credentials
    }
}

impl Fetch for FetchItem {
    type Output<'a> = &'a str;
    fn output<'a>(_: &'a Credentials, item: &'a str) -> &'a str {
        item
    }
}

/// The result of a finished operation.
fn output<'a, F: Fetch>(flow: &Flow, session: &'a Session, io: &'a [u8]) -> F::Output<'a> {
    let (start, end) = flow.item_range();
    let item = io.get(start..end).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default();
    F::output(&session.credentials, item)
}

/// What the caller of an [`Operation`] does next.
#[derive(Debug)]
pub enum Step<'a> {
    /// Open a new TCP connection to the endpoint, closing any previous one, then call
    /// [`step`](Operation::step) again; if it fails, call
    /// [`transport_failed`](Operation::transport_failed).
    Connect,
    /// Write these bytes, then report how many with [`sent`](Operation::sent).
    Send(&'a [u8]),
    /// Read into this buffer, then report how many bytes with
    /// [`received`](Operation::received) (`0` when the peer closed the connection).
    Recv(&'a mut [u8]),
    /// Back off: call [`step`](Operation::step) again at this instant.
    Wait(Instant),
    /// Finished: the result is in [`output`](Operation::output).
    Done,
    /// Failed for good.
    Failed(Error),
}

/// Where the bytes of the request in flight are.
#[derive(Clone, Copy, Debug)]
enum Wire {
    /// No request on the wire; the flow decides what comes next.
    Idle,
    /// The request is encoded (`len` bytes); a connection is to be opened.
    Connect {
        len: usize,
    },
    Send {
        sent: usize,
        len: usize,
    },
    Recv(ResponseReader),
}

/// One operation driven by bytes: the caller owns the connection and the clock.
///
/// ```
/// use aliyun_imds_core::{Client, Config, Instant, Step};
/// let mut client = Client::new(Config::default());
/// let now = Instant::from_secs(1_700_000_000);
/// let mut op = client.credentials(now);
/// match op.step(now) {
///     Step::Connect => { /* connect to 100.100.100.200:80, then step again */ }
///     other => unreachable!("{other:?}"),
/// }
/// let Step::Send(bytes) = op.step(now) else { unreachable!() };
/// assert!(bytes.starts_with(b"PUT /latest/api/token HTTP/1.1\r\n"));
/// ```
pub struct Operation<'c, F: Fetch> {
    session: &'c mut Session,
    io: &'c mut [u8; IO_BUFFER_LEN],
    flow: Flow,
    wire: Wire,
    _fetch: PhantomData<F>,
}

/// What [`Operation::step`] decided, before borrowing what it hands out.
enum Decision {
    Connect,
    Send,
    Recv,
    Wait(Instant),
    Done,
    Failed(Error),
}

impl<'c, F: Fetch> Operation<'c, F> {
    fn start(client: &'c mut Client, goal: Goal, now: Instant) -> Self {
        let flow = Flow::new(goal, &client.session, now);
        Self {
            session: &mut client.session,
            io: &mut client.io,
            flow,
            wire: Wire::Idle,
            _fetch: PhantomData,
        }
    }

    /// What to do next, at `now`.
    pub fn step(&mut self, now: Instant) -> Step<'_> {
        match self.decide(now) {
            Decision::Connect => Step::Connect,
            Decision::Send => match self.wire {
                Wire::Send { sent, len } => Step::Send(self.io.get(sent..len).unwrap_or_default()),
                _ => Step::Send(&[]),
            },
            Decision::Recv => match &self.wire {
                Wire::Recv(reader) => Step::Recv(reader.read_buffer(self.io)),
                _ => Step::Recv(&mut []),
            },
            Decision::Wait(until) => Step::Wait(until),
            Decision::Done => Step::Done,
            Decision::Failed(error) => Step::Failed(error),
        }
    }

    fn decide(&mut self, now: Instant) -> Decision {
        loop {
            // The deadline also bounds the request on the wire.
            if !matches!(self.wire, Wire::Idle) {
                if let Next::Failed(_) = self.flow.advance(self.session, now) {
                    self.wire = Wire::Idle;
                }
            }
            match self.wire {
                Wire::Idle => match self.flow.advance(self.session, now) {
                    Next::Send(request) => self.encode(request),
                    Next::InFlight => {
                        return Decision::Failed(Error::DeadlineExceeded {
                            request: self.flow.in_flight().unwrap_or(RequestKind::Token),
                        });
                    }
                    Next::Wait(until) => return Decision::Wait(until),
                    Next::Done => return Decision::Done,
                    Next::Failed(error) => return Decision::Failed(error),
                },
                Wire::Connect { len } => {
                    self.wire = Wire::Send { sent: 0, len };
                    return Decision::Connect;
                }
                Wire::Send { sent, len } if sent >= len => {
                    self.wire = Wire::Recv(ResponseReader::new())
                }
                Wire::Send { .. } => return Decision::Send,
                Wire::Recv(_) => return Decision::Recv,
            }
        }
    }

    fn encode(&mut self, request: RequestKind) {
        let host = self.session.config.host.as_str();
        let encoded = self.flow.request(self.session).and_then(|r| http::encode(&r, host, self.io));
        match encoded {
            Some(len) => self.wire = Wire::Connect { len },
            // Unreachable with the crate's limits (checked at compile time in `limits`).
            None => self.flow.fail(Error::Response {
                request,
                error: ResponseError::HeadTooLarge { limit: IO_BUFFER_LEN },
            }),
        }
    }

    /// The result, once [`step`](Self::step) has said [`Step::Done`].
    pub fn output(&self) -> Option<F::Output<'_>> {
        self.flow.is_done().then(|| output::<F>(&self.flow, self.session, self.io))
    }

    /// The result, borrowed from the client rather than the operation.
    pub fn into_output(self) -> Option<F::Output<'c>> {
        let Self { session, io, flow, .. } = self;
        flow.is_done().then(|| output::<F>(&flow, session, io))
    }

    /// Ends the operation: its result once [`Step::Done`], its error once [`Step::Failed`],
    /// and [`Error::Unfinished`] before either.
    pub fn finish(self) -> Result<F::Output<'c>, Error> {
        let Self { session, io, flow, .. } = self;
        flow.finish().map(|()| output::<F>(&flow, session, io))
    }

    /// Reports that `n` bytes of the last [`Step::Send`] were written.
    pub fn sent(&mut self, n: usize) {
        if let Wire::Send { sent, len } = self.wire {
            self.wire = Wire::Send { sent: sent.saturating_add(n).min(len), len };
        }
    }

    /// Reports that `n` bytes were read into the last [`Step::Recv`] buffer; `0` means the
    /// peer closed the connection.
    pub fn received(&mut self, n: usize) {
        let Wire::Recv(reader) = &mut self.wire else {
            return;
        };
        let outcome = match reader.received(self.io, n) {
            Ok(ReadStatus::NeedMore) => return,
            Ok(ReadStatus::Complete { status, body_len }) => {
                let body = self.io.get(..body_len).unwrap_or_default();
                self.flow.on_outcome(self.session, Outcome::Response { status, body });
                self.wire = Wire::Idle;
                return;
            }
            Err(error) => Outcome::Failed(Failure::Response(error)),
        };
        self.flow.on_outcome(self.session, outcome);
        self.wire = Wire::Idle;
    }

    /// Reports that the transport failed during the current request.
    pub fn transport_failed(&mut self, error: TransportError) {
        if !matches!(self.wire, Wire::Idle) {
            self.flow.on_outcome(self.session, Outcome::Failed(Failure::Transport(error)));
            self.wire = Wire::Idle;
        }
    }

    /// When the whole operation must have ended; a transport should not wait past it.
    pub fn deadline(&self) -> Instant {
        self.flow.deadline()
    }

    /// The request in flight, if any (for logging).
    pub fn request_kind(&self) -> Option<RequestKind> {
        self.flow.in_flight()
    }
}

impl<F: Fetch> core::fmt::Debug for Operation<'_, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Operation").field("request", &self.request_kind()).finish_non_exhaustive()
    }
}

/// What the caller of an [`Exchange`] does next.
#[derive(Debug)]
pub enum Action<'a> {
    /// Make this request with your HTTP client (redirects off, no proxy, with a timeout),
    /// then call [`respond`](Exchange::respond) or
    /// [`transport_failed`](Exchange::transport_failed).
    Send(Request<'a>),
    /// Back off: call [`next`](Exchange::next) again at this instant.
    Wait(Instant),
    /// Finished: the result is in [`output`](Exchange::output).
    Done,
    /// Failed for good.
    Failed(Error),
}

/// One operation driven by messages, for callers that already have an HTTP client: the same
/// policy and errors as [`Operation`], with no byte parsing on the caller's side.
///
/// ```
/// use aliyun_imds_core::{Action, Client, Config, Instant, Method};
/// let mut client = Client::new(Config::default());
/// let now = Instant::from_secs(1_700_000_000);
/// let mut exchange = client.credentials_exchange(now);
/// let Action::Send(request) = exchange.next(now) else { unreachable!() };
/// assert_eq!((request.method, request.path), (Method::Put, "/latest/api/token"));
/// exchange.respond(200, b"AAAAtoken");
/// let Action::Send(request) = exchange.next(now) else { unreachable!() };
/// assert_eq!(request.path, "/latest/meta-data/ram/security-credentials/");
/// ```
pub struct Exchange<'c, F: Fetch> {
    session: &'c mut Session,
    io: &'c mut [u8; IO_BUFFER_LEN],
    flow: Flow,
    _fetch: PhantomData<F>,
}

impl<'c, F: Fetch> Exchange<'c, F> {
    fn start(client: &'c mut Client, goal: Goal, now: Instant) -> Self {
        let flow = Flow::new(goal, &client.session, now);
        Self { session: &mut client.session, io: &mut client.io, flow, _fetch: PhantomData }
    }

    /// What to do next, at `now`. Asking again before answering returns the same request.
    pub fn next(&mut self, now: Instant) -> Action<'_> {
        match self.flow.advance(self.session, now) {
            Next::Send(_) | Next::InFlight => match self.flow.request(self.session) {
                Some(request) => Action::Send(request),
                None => Action::Failed(Error::DeadlineExceeded { request: RequestKind::Token }),
            },
            Next::Wait(until) => Action::Wait(until),
            Next::Done => Action::Done,
            Next::Failed(error) => Action::Failed(error),
        }
    }

    /// The result, once [`next`](Self::next) has said [`Action::Done`].
    pub fn output(&self) -> Option<F::Output<'_>> {
        self.flow.is_done().then(|| output::<F>(&self.flow, self.session, self.io))
    }

    /// The result, borrowed from the client rather than the exchange.
    pub fn into_output(self) -> Option<F::Output<'c>> {
        let Self { session, io, flow, .. } = self;
        flow.is_done().then(|| output::<F>(&flow, session, io))
    }

    /// Ends the exchange: its result once [`Action::Done`], its error once
    /// [`Action::Failed`], and [`Error::Unfinished`] before either.
    pub fn finish(self) -> Result<F::Output<'c>, Error> {
        let Self { session, io, flow, .. } = self;
        flow.finish().map(|()| output::<F>(&flow, session, io))
    }

    /// Answers the request in flight with `status` and `body` (headers are not needed: the
    /// HTTP client has already framed the body). Only `200` bodies are read; one longer than
    /// [`RESPONSE_BODY_LEN`] is refused.
    pub fn respond(&mut self, status: u16, body: &[u8]) {
        let body = if status == 200 { body } else { &[] };
        let outcome = match self.io.get_mut(..body.len()) {
            Some(slot) if body.len() <= RESPONSE_BODY_LEN => {
                slot.copy_from_slice(body);
                Outcome::Response { status, body: slot }
            }
            _ => Outcome::Failed(Failure::Response(ResponseError::BodyTooLarge {
                limit: RESPONSE_BODY_LEN,
            })),
        };
        self.flow.on_outcome(self.session, outcome);
    }

    /// Reports that the request in flight failed in transport.
    pub fn transport_failed(&mut self, error: TransportError) {
        self.flow.on_outcome(self.session, Outcome::Failed(Failure::Transport(error)));
    }

    /// When the whole operation must have ended.
    pub fn deadline(&self) -> Instant {
        self.flow.deadline()
    }
}

impl<F: Fetch> core::fmt::Debug for Exchange<'_, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Exchange").field("request", &self.flow.in_flight()).finish_non_exhaustive()
    }
}
