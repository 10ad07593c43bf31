//! The policy of one operation, at the level of messages: which request comes next, what a
//! status means, when to retry, fall back or give up. Both the byte-level
//! [`Operation`](crate::Operation) and the message-level [`Exchange`](crate::Exchange) drive
//! this one engine, so they cannot disagree.

use core::fmt::Write;

use heapless::String;

use crate::Instant;
use crate::config::Mode;
use crate::document::parse_credentials;
use crate::error::{Error, Failure, RequestKind};
use crate::http::{Header, Method, Request};
use crate::limits::REQUEST_PATH_LEN;
use crate::names::{ItemPath, RoleName};
use crate::protocol::{ITEMS_PATH, ROLES_PATH, TOKEN_HEADER, TOKEN_PATH, TTL_HEADER};
use crate::session::Session;
use crate::token::{CachedToken, MetadataToken};

/// What an operation is after.
#[derive(Clone, Debug)]
pub(crate) enum Goal {
    Credentials,
    Item(ItemPath),
}

#[derive(Clone, Debug)]
enum Stage {
    /// Decide and issue the next request.
    Ready,
    /// A request is out; its answer is awaited.
    InFlight {
        request: RequestKind,
        with_token: bool,
        sent_at: Instant,
    },
    /// A transient failure; the backoff starts at the next `advance`.
    RetryDue {
        request: RequestKind,
        failure: Failure,
    },
    /// Backing off until then.
    Backoff {
        until: Instant,
    },
    Done,
    Failed(Error),
}

/// What the driver should do next.
#[derive(Clone, Debug)]
pub(crate) enum Next {
    /// Issue this request (see [`Flow::request`]).
    Send(RequestKind),
    /// The request issued earlier is still awaited.
    InFlight,
    Wait(Instant),
    Done,
    Failed(Error),
}

/// How a request ended.
#[derive(Clone, Debug)]
pub(crate) enum Outcome<'b> {
    /// IMDS answered; `body` is only read for `200`.
    Response {
        status: u16,
        body: &'b [u8],
    },
    Failed(Failure),
}

/// The state of one operation.
#[derive(Debug)]
pub(crate) struct Flow {
    goal: Goal,
    stage: Stage,
    /// Whether requests carry a token (false in normal mode and after a fallback).
    use_token: bool,
    /// The request the attempt count is for, and the count.
    current: Option<RequestKind>,
    attempts: u8,
    refreshed_after_401: bool,
    tried_without_token: bool,
    deadline: Instant,
    path: String<REQUEST_PATH_LEN, u8>,
    ttl: String<5, u8>,
    /// Where the item's value lies in the body buffer, once done.
    item: (usize, usize),
}

impl Flow {
    pub(crate) fn new(goal: Goal, session: &Session, now: Instant) -> Self {
        let mut ttl = String::new();
        // At most 5 digits (21600): always fits.
        let _ = write!(ttl, "{}", session.config.token_ttl.secs());
        Self {
            goal,
            stage: Stage::Ready,
            use_token: session.config.mode != Mode::NormalOnly,
            current: None,
            attempts: 0,
            refreshed_after_401: false,
            tried_without_token: false,
            deadline: now.saturating_add(session.config.operation_timeout),
            path: String::new(),
            ttl,
            item: (0, 0),
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The request in flight, if any.
    pub(crate) fn in_flight(&self) -> Option<RequestKind> {
        match self.stage {
            Stage::InFlight { request, .. } => Some(request),
            _ => None,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// `Ok` once done, the error once failed, [`Error::Unfinished`] otherwise.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        match &self.stage {
            Stage::Done => Ok(()),
            Stage::Failed(error) => Err(error.clone()),
            _ => Err(Error::Unfinished),
        }
    }

    pub(crate) fn item_range(&self) -> (usize, usize) {
        self.item
    }

    /// Moves the operation on as far as it can go without I/O.
    pub(crate) fn advance(&mut self, session: &mut Session, now: Instant) -> Next {
        loop {
            match &self.stage {
                Stage::Done => return Next::Done,
                Stage::Failed(error) => return Next::Failed(error.clone()),
                Stage::InFlight { request, .. } if now >= self.deadline => {
                    self.stage = Stage::Failed(Error::DeadlineExceeded { request: *request });
                }
                Stage::InFlight { .. } => return Next::InFlight,
                Stage::RetryDue { request, failure } => {
                    let (request, failure) = (*request, failure.clone());
                    let retry = self.attempts;
                    let random = session.next_random();
                    let delay = session.config.retry.backoff(retry, random);
                    let until = now.saturating_add(delay);
                    self.stage = if until >= self.deadline {
                        // No time left for another attempt: report the real cause.
                        Stage::Failed(Error::from_failure(request, failure, self.attempts))
                    } else {
                        Stage::Backoff { until }
                    };
                }
                Stage::Backoff { until } if now < *until => return Next::Wait(*until),
                Stage::Backoff { .. } => self.stage = Stage::Ready,
                Stage::Ready => {
                    let request = self.plan(session, now);
                    if now >= self.deadline {
                        self.stage = Stage::Failed(Error::DeadlineExceeded { request });
                        continue;
                    }
                    if self.current != Some(request) {
                        self.current = Some(request);
                        self.attempts = 0;
                    }
                    self.attempts = self.attempts.saturating_add(1);
                    self.set_path(session, request);
                    let with_token = request != RequestKind::Token && self.use_token;
                    self.stage = Stage::InFlight { request, with_token, sent_at: now };
                    return Next::Send(request);
                }
            }
        }
    }

    /// The request in flight, as method, path and headers.
    pub(crate) fn request<'a>(&'a self, session: &'a Session) -> Option<Request<'a>> {
        let Stage::InFlight { request, with_token, .. } = self.stage else {
            return None;
        };
        let (method, header) = match request {
            RequestKind::Token => {
                (Method::Put, Some(Header { name: TTL_HEADER, value: &self.ttl, sensitive: false }))
            }
            _ if with_token => {
                let token = session.token.as_ref().map(|t| t.token.expose_secret())?;
                (Method::Get, Some(Header { name: TOKEN_HEADER, value: token, sensitive: true }))
            }
            _ => (Method::Get, None),
        };
        Some(Request::new(method, &self.path, header))
    }

    /// Ends the operation with `error` (used by the drivers for their own failures).
    pub(crate) fn fail(&mut self, error: Error) {
        self.stage = Stage::Failed(error);
    }

    /// Takes the outcome of the request in flight. Ignored if none is.
    pub(crate) fn on_outcome(&mut self, session: &mut Session, outcome: Outcome<'_>) {
        let Stage::InFlight { request, with_token, sent_at } = self.stage else {
            return;
        };
        if request == RequestKind::Token {
            match outcome {
                Outcome::Response { status: 200, body } => match MetadataToken::from_body(body) {
                    Ok(token) => {
                        session.token =
                            Some(CachedToken::new(token, sent_at, session.config.token_ttl));
                        self.stage = Stage::Ready;
                    }
                    Err(e) => self.token_failed(session, Failure::Token(e)),
                },
                Outcome::Response { status, .. } => {
                    self.token_failed(session, Failure::Status(status))
                }
                Outcome::Failed(failure) => self.token_failed(session, failure),
            }
            return;
        }
        match outcome {
            Outcome::Response { status: 200, body } => {
                self.succeeded(session, request, sent_at, body)
            }
            Outcome::Response { status: 401, .. } if with_token => {
                // The token is stale (or from another instance): drop it, get a new one once.
                session.token = None;
                if !self.refreshed_after_401 {
                    self.refreshed_after_401 = true;
                    self.stage = Stage::Ready;
                } else if session.config.mode == Mode::Auto && !self.tried_without_token {
                    self.tried_without_token = true;
                    self.use_token = false;
                    self.stage = Stage::Ready;
                } else {
                    self.fail(Error::Unauthorized { request, status: 401, with_token });
                }
            }
            Outcome::Response { status: status @ (401 | 403), .. } => {
                self.fail(Error::Unauthorized { request, status, with_token });
            }
            Outcome::Response { status: 404, .. } => self.not_found(session, request),
            Outcome::Response { status, .. } => {
                self.retry_or_fail(session, request, Failure::Status(status));
            }
            Outcome::Failed(failure) => self.retry_or_fail(session, request, failure),
        }
    }

    /// The next request: a token if one is needed and missing, then the role, then the goal.
    fn plan(&self, session: &Session, now: Instant) -> RequestKind {
        if self.use_token && session.fresh_token(now).is_none() {
            return RequestKind::Token;
        }
        match self.goal {
            Goal::Credentials if session.role().is_none() => RequestKind::RoleDiscovery,
            Goal::Credentials => RequestKind::Credentials,
            Goal::Item(_) => RequestKind::Item,
        }
    }

    fn set_path(&mut self, session: &Session, request: RequestKind) {
        let (prefix, rest) = match request {
            RequestKind::Token => (TOKEN_PATH, ""),
            RequestKind::RoleDiscovery => (ROLES_PATH, ""),
            RequestKind::Credentials => (ROLES_PATH, session.role().map_or("", RoleName::as_str)),
            RequestKind::Item => match &self.goal {
                Goal::Item(path) => (ITEMS_PATH, path.as_str()),
                Goal::Credentials => (ITEMS_PATH, ""),
            },
        };
        self.path.clear();
        // The longest prefix plus the longest role name or item path fits REQUEST_PATH_LEN.
        let _ = self.path.push_str(prefix);
        let _ = self.path.push_str(rest);
    }

    fn token_failed(&mut self, session: &Session, failure: Failure) {
        match session.config.mode {
            Mode::HardenedOnly if failure.is_transient() && self.attempts_left(session) => {
                self.stage = Stage::RetryDue { request: RequestKind::Token, failure };
            }
            Mode::HardenedOnly => {
                self.fail(Error::from_failure(RequestKind::Token, failure, self.attempts));
            }
            // Auto: carry on in normal mode, as the official SDKs do. (NormalOnly never asks.)
            Mode::Auto | Mode::NormalOnly => {
                self.use_token = false;
                self.stage = Stage::Ready;
            }
        }
    }

    fn retry_or_fail(&mut self, session: &Session, request: RequestKind, failure: Failure) {
        if failure.is_transient() && self.attempts_left(session) {
            self.stage = Stage::RetryDue { request, failure };
        } else {
            self.fail(Error::from_failure(request, failure, self.attempts));
        }
    }

    fn attempts_left(&self, session: &Session) -> bool {
        self.attempts < session.config.retry.max_attempts.get()
    }

    fn not_found(&mut self, session: &mut Session, request: RequestKind) {
        let error = match (&self.goal, request) {
            (Goal::Item(path), RequestKind::Item) => Error::ItemNotFound(path.clone()),
            (_, RequestKind::RoleDiscovery) => Error::NoRoleAttached,
            _ => match session.config.role.clone() {
                Some(role) => Error::RoleNotFound(role),
                // A discovered role that vanished: forget it, so the next call rediscovers.
                None => match session.discovered_role.take() {
                    Some(role) => Error::RoleNotFound(role),
                    None => Error::NoRoleAttached,
                },
            },
        };
        self.fail(error);
    }

    fn succeeded(
        &mut self,
        session: &mut Session,
        request: RequestKind,
        sent_at: Instant,
        body: &[u8],
    ) {
        match request {
            RequestKind::RoleDiscovery => {
                let Ok(text) = core::str::from_utf8(body) else {
                    return self.fail(Error::NotText(request));
                };
                let first = text.lines().next().unwrap_or_default().trim();
                if first.is_empty() {
                    return self.fail(Error::NoRoleAttached);
                }
                match RoleName::new(first) {
                    Ok(role) => {
                        session.discovered_role = Some(role);
                        self.stage = Stage::Ready;
                    }
                    Err(e) => self.fail(Error::DiscoveredRoleInvalid(e)),
                }
            }
            RequestKind::Credentials => {
                if let Err(e) = parse_credentials(body, &mut session.credentials) {
                    return self.fail(Error::Document(e));
                }
                let expiration = session.credentials.expiration();
                if expiration <= sent_at {
                    session.credentials.clear();
                    return self
                        .fail(Error::ExpiredOnArrival { expiration_secs: expiration.as_secs() });
                }
                self.stage = Stage::Done;
            }
            RequestKind::Item | RequestKind::Token => {
                // (Token answers never get here: they are handled in `on_outcome`.)
                if core::str::from_utf8(body).is_err() {
                    return self.fail(Error::NotText(request));
                }
                let start = body.iter().take_while(|b| b.is_ascii_whitespace()).count();
                let end =
                    body.len() - body.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
                self.item = (start, end.max(start));
                self.stage = Stage::Done;
            }
        }
    }
}
