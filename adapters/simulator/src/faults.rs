//! Fault injection: rules that change how the simulator answers matching requests.

use std::time::Duration;

/// Which requests a rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// `PUT /latest/api/token`.
    Token,
    /// `GET /latest/meta-data/ram/security-credentials/` (role discovery).
    RoleList,
    /// `GET /latest/meta-data/ram/security-credentials/<role>`.
    Credentials,
    /// Any other `GET /latest/meta-data/...`.
    Item,
}

/// What to do instead of (or on top of) the normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a short HTML body.
    Status(u16),
    /// Answer `302 Found` pointing at this location.
    Redirect(String),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Send the normal answer one byte per write.
    Dribble,
    /// Send the normal answer's head and half its body, then close.
    Truncate,
    /// Answer `200` with a body of this many bytes.
    Oversized(usize),
    /// Send the normal answer with `Transfer-Encoding: chunked`, in chunks of this size.
    Chunked(usize),
    /// Answer the credentials request with a body that is not JSON.
    GarbageJson,
    /// Answer the credentials request with this `Code`.
    Code(String),
    /// Answer the credentials request without this field.
    MissingField(String),
    /// Answer the credentials request with credentials that expired an hour ago.
    Expired,
    /// Write `/` as `\/` in the credentials JSON (as some encoders do).
    EscapeSlashes,
    /// Reset the connection (RST) instead of answering.
    Reset,
    /// Close the connection without answering.
    Close,
    /// Never answer; hold the connection open until the client gives up.
    Hang,
}

/// A fault applied to matching requests, a number of times or forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Which requests.
    pub target: Target,
    /// What happens.
    pub fault: Fault,
    /// How many more matching requests it applies to; `None` is forever.
    pub times: Option<u32>,
}

impl Rule {
    /// `fault` on every request matching `target`.
    pub fn always(target: Target, fault: Fault) -> Self {
        Self { target, fault, times: None }
    }

    /// `fault` on the next `times` requests matching `target`.
    pub fn times(target: Target, fault: Fault, times: u32) -> Self {
        Self { target, fault, times: Some(times) }
    }

    /// `fault` on the next request matching `target`.
    pub fn once(target: Target, fault: Fault) -> Self {
        Self::times(target, fault, 1)
    }

    pub(crate) fn matches(&self, target: &Target) -> bool {
        self.times != Some(0) && (self.target == Target::Any || self.target == *target)
    }
}
