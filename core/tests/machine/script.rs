//! A scripted in-memory IMDS: each connection gets the next scripted reply, delivered in
//! chunks of a chosen size, on a virtual clock. Every request sent is recorded.

use std::collections::VecDeque;

use std::time::Duration;

use aliyun_imds_core::{
    Client, Credentials, Error, Fetch, Instant, ItemPath, Operation, Step, TransportError,
};

/// What the scripted server does with one connection.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Read the request, answer with these bytes, close.
    Bytes(Vec<u8>),
    /// The connection cannot be opened.
    ConnectFails,
    /// The request is read, then nothing ever arrives.
    Silent,
    /// The request is read, then the connection is reset.
    Reset,
}

/// A `Reply::Bytes` with a status, headers and a `Content-Length` body.
pub fn http(status: u16, body: &str) -> Reply {
    Reply::Bytes(
        format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes(),
    )
}

pub const TOKEN: &str = "AAAAAKitTokenValue==";
pub const ROLE: &str = "EcsRamRole";
pub const KEY_ID: &str = "STS.NUgYrLnoC37mZZCNnAbez";
pub const SECRET: &str = "9dtaxSECRETvalueFwLRkNQ";
pub const EXPIRATION: &str = "2023-11-14T22:13:20Z";
/// 2023-11-14T22:13:20Z.
pub const EXPIRATION_SECS: u64 = 1_700_000_000;
/// Six hours before [`EXPIRATION`].
pub const NOW: Instant = Instant::from_secs(EXPIRATION_SECS - 6 * 3600);

/// A realistic security token: 1.5 KiB of base64 with `/`, `+` and `=`.
pub fn security_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut token: String = (0..1536).map(|i| alphabet[(i * 7 + i / 64) % 64] as char).collect();
    token.push_str("==");
    token
}

/// The credentials document, with `/` written as `\/` as some JSON encoders do.
pub fn document(token: &str) -> String {
    format!(
        r#"{{"AccessKeyId":"{KEY_ID}","AccessKeySecret":"{SECRET}","Expiration":"{EXPIRATION}","SecurityToken":"{}","LastUpdated":"2023-11-14T16:13:20Z","Code":"Success"}}"#,
        token.replace('/', "\\/")
    )
}

/// The usual good answers of a hardened flow with role discovery.
pub fn hardened_flow() -> Vec<Reply> {
    vec![http(200, TOKEN), http(200, &format!("{ROLE}\n")), http(200, &document(&security_token()))]
}

/// A request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn parse_request(bytes: &[u8]) -> Seen {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    assert!(request.parse(bytes).expect("request parses").is_complete(), "complete request");
    Seen {
        method: request.method.unwrap().to_owned(),
        path: request.path.unwrap().to_owned(),
        headers: request
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), String::from_utf8(h.value.to_vec()).unwrap()))
            .collect(),
    }
}

/// The scripted server and the virtual clock.
pub struct Server {
    replies: VecDeque<Reply>,
    /// Bytes handed to the client per read (and accepted per write).
    pub chunk: usize,
    pub now: Instant,
    pub seen: Vec<Seen>,
    /// Raw bytes of every request.
    pub raw: Vec<Vec<u8>>,
    /// Every instant the machine asked to wait until.
    pub waits: Vec<Instant>,
    /// Steps taken by the last run.
    pub steps: usize,
}

impl Server {
    pub fn new(replies: Vec<Reply>) -> Self {
        Self {
            replies: replies.into(),
            chunk: usize::MAX,
            now: NOW,
            seen: vec![],
            raw: vec![],
            waits: vec![],
            steps: 0,
        }
    }

    pub fn chunked(mut self, chunk: usize) -> Self {
        self.chunk = chunk;
        self
    }

    pub fn push(&mut self, replies: Vec<Reply>) {
        self.replies.extend(replies);
    }

    /// Replies not used yet.
    pub fn unused(&self) -> usize {
        self.replies.len()
    }

    /// Runs a credentials operation to its end.
    pub fn credentials(&mut self, client: &mut Client) -> Result<Credentials, Error> {
        let mut op = client.credentials(self.now);
        self.run(&mut op, Credentials::clone)
    }

    /// Runs an item operation to its end.
    pub fn item(&mut self, client: &mut Client, path: &str) -> Result<String, Error> {
        let mut op = client.item(ItemPath::new(path).unwrap(), self.now);
        self.run(&mut op, str::to_owned)
    }

    /// Drives `op` against the script until it ends.
    pub fn run<F: Fetch, T>(
        &mut self,
        op: &mut Operation<'_, F>,
        out: impl FnOnce(F::Output<'_>) -> T,
    ) -> Result<T, Error> {
        let mut conn: Option<Conn> = None;
        self.steps = 0;
        loop {
            self.steps += 1;
            assert!(self.steps < 1_000_000, "the machine does not terminate");
            match op.step(self.now) {
                Step::Connect => {
                    let reply = self.replies.pop_front().expect("the script has no reply left");
                    if let Reply::ConnectFails = reply {
                        conn = None;
                        op.transport_failed(TransportError::Connect);
                    } else {
                        conn = Some(Conn { reply, request: vec![], delivered: 0, recorded: false });
                    }
                }
                Step::Send(bytes) => {
                    let c = conn.as_mut().expect("send on an open connection");
                    assert!(!bytes.is_empty(), "empty send");
                    let n = bytes.len().min(self.chunk);
                    c.request.extend_from_slice(&bytes[..n]);
                    op.sent(n);
                }
                Step::Recv(buf) => {
                    let c = conn.as_mut().expect("recv on an open connection");
                    assert!(!buf.is_empty(), "the machine offered an empty read buffer");
                    if !c.recorded {
                        c.recorded = true;
                        self.seen.push(parse_request(&c.request));
                        self.raw.push(c.request.clone());
                    }
                    match &c.reply {
                        Reply::Bytes(bytes) => {
                            let rest = &bytes[c.delivered..];
                            let n = rest.len().min(buf.len()).min(self.chunk);
                            buf[..n].copy_from_slice(&rest[..n]);
                            c.delivered += n;
                            op.received(n);
                        }
                        Reply::Silent => {
                            // An adapter's read timeout fires: 1 s, or the deadline if sooner.
                            self.now =
                                self.now.saturating_add(Duration::from_secs(1)).min(op.deadline());
                            op.transport_failed(TransportError::Timeout);
                        }
                        Reply::Reset => op.transport_failed(TransportError::Reset),
                        Reply::ConnectFails => unreachable!(),
                    }
                }
                Step::Wait(until) => {
                    assert!(until > self.now, "waits must be in the future");
                    self.waits.push(until);
                    self.now = until;
                }
                Step::Done => return Ok(out(op.output().expect("done means output"))),
                Step::Failed(error) => return Err(error),
            }
        }
    }
}

struct Conn {
    reply: Reply,
    request: Vec<u8>,
    delivered: usize,
    recorded: bool,
}
