//! The time the core is given: wall-clock at the start of an operation (so credential expiry
//! compares with IMDS's `Expiration`), advanced by a monotonic clock (so deadlines and
//! backoff are immune to wall-clock jumps during the operation).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliyun_imds_core::Instant;

/// The current wall-clock time as the core's [`Instant`].
pub fn wall_clock() -> Instant {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Instant::from_millis(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
}

/// A clock for one operation.
#[derive(Clone, Copy, Debug)]
pub struct OperationClock {
    wall_start: Instant,
    start: std::time::Instant,
}

impl OperationClock {
    /// Starts now.
    pub fn start() -> Self {
        Self { wall_start: wall_clock(), start: std::time::Instant::now() }
    }

    /// Now.
    pub fn now(&self) -> Instant {
        self.wall_start.saturating_add(self.start.elapsed())
    }

    /// How long until `then` (zero if past).
    pub fn until(&self, then: Instant) -> Duration {
        then.saturating_duration_since(self.now())
    }

    /// A timeout for one I/O call: `limit`, cut to what is left before `deadline`, at least
    /// 1 ms (std refuses a zero timeout; the next step reports the passed deadline).
    pub fn io_timeout(&self, limit: Duration, deadline: Instant) -> Duration {
        limit.min(self.until(deadline)).max(Duration::from_millis(1))
    }
}
