//! Responses and the transport actions that deliver them.

use std::time::Duration;

/// One thing a transport does to deliver a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Wait this long first.
    Sleep(Duration),
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes one at a time.
    WriteDribbled(Vec<u8>),
    /// Close the connection cleanly.
    Close,
    /// Reset the connection (RST).
    Reset,
    /// Hold the connection open and never answer.
    Hang,
}

/// What to do with one connection after its request: actions in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The actions, in order.
    pub actions: Vec<Action>,
}

impl Reply {
    pub(crate) fn new(actions: Vec<Action>) -> Self {
        let actions = actions.into_iter().filter(|a| *a != Action::Sleep(Duration::ZERO)).collect();
        Self { actions }
    }

    /// All bytes the reply writes, concatenated.
    pub fn bytes(&self) -> Vec<u8> {
        self.actions
            .iter()
            .flat_map(|a| match a {
                Action::Write(b) | Action::WriteDribbled(b) => b.as_slice(),
                _ => &[],
            })
            .copied()
            .collect()
    }
}

/// An HTTP response before encoding.
#[derive(Clone, Debug)]
pub(crate) struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16, body: Vec<u8>) -> Self {
        Self { status, headers: vec![], body }
    }

    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self::new(status, text.as_bytes().to_vec()).with_header("Content-Type", "text/plain")
    }

    pub(crate) fn html(status: u16, title: &str) -> Self {
        let body = format!(
            "<html><head><title>{status} {title}</title></head><body><h1>{status} {title}</h1></body></html>"
        );
        Self::new(status, body.into_bytes()).with_header("Content-Type", "text/html")
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub(crate) fn body_len(&self) -> usize {
        self.body.len()
    }

    fn head(&self, framing: &str) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nServer: aliyun-imds-simulator\r\n",
            self.status,
            reason(self.status)
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(framing);
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }

    /// `Content-Length` framing.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut bytes = self.head(&format!("Content-Length: {}\r\n", self.body.len()));
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Chunked framing, `size` bytes a chunk.
    pub(crate) fn encode_chunked(&self, size: usize) -> Vec<u8> {
        let mut bytes = self.head("Transfer-Encoding: chunked\r\n");
        for chunk in self.body.chunks(size) {
            bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            bytes.extend_from_slice(chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        bytes
    }

    pub(crate) fn into_reply(self) -> Reply {
        Reply::new(vec![Action::Write(self.encode()), Action::Close])
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
