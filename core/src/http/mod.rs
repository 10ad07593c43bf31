//! A tiny, bounded HTTP/1.1 client codec: requests written into a caller-owned buffer,
//! responses read incrementally in the same buffer.

mod chunked;
mod request;
mod response;

pub(crate) use request::encode;
pub use request::{Header, Method, Request, USER_AGENT};
pub use response::ResponseError;
pub(crate) use response::{ResponseReader, Status as ReadStatus};
