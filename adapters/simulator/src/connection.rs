//! One client connection, sans-IO: bytes in, a reply out once the request is complete.

use aliyun_imds_core::Instant;

use crate::request::RequestReader;
use crate::response::Reply;
use crate::service::Simulator;

/// A connection to the simulator: feed it what the client sends, in any split.
#[derive(Debug)]
pub struct Connection {
    simulator: Simulator,
    reader: RequestReader,
    answered: bool,
}

impl Connection {
    /// A new connection to `simulator`.
    pub fn new(simulator: Simulator) -> Self {
        Self { simulator, reader: RequestReader::new(), answered: false }
    }

    /// Takes bytes from the client, received at `now`. Returns the reply once the request is
    /// complete (or unreadable); one request per connection, so later bytes are ignored.
    pub fn receive(&mut self, bytes: &[u8], now: Instant) -> Option<Reply> {
        if self.answered {
            return None;
        }
        let reply = match self.reader.feed(bytes) {
            Ok(None) => return None,
            Ok(Some(request)) => self.simulator.respond(&request, now),
            Err(error) => self.simulator.refuse(error),
        };
        self.answered = true;
        Some(reply)
    }
}
