//! Time as the caller passes it in: the core never reads a clock.

use core::fmt;
use core::time::Duration;

/// A point in time, in milliseconds since the Unix epoch, always supplied by the caller.
///
/// The machine only compares and adds instants; a caller on a device without a wall clock may
/// use any monotonic millisecond count, except that credential expiry checks then compare
/// against IMDS's wall-clock `Expiration` and need real time.
///
/// ```
/// use aliyun_imds_core::Instant;
/// use core::time::Duration;
/// let t = Instant::from_secs(1_509_513_601);
/// assert_eq!(t.saturating_add(Duration::from_millis(1500)).as_millis(), 1_509_513_602_500);
/// assert_eq!(t.to_string(), "2017-11-01T05:20:01Z");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

impl Instant {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self(0);

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// An instant `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self + d`, saturating at the end of time.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(millis_of(d)))
    }

    /// `self - d`, saturating at the epoch.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(millis_of(d)))
    }

    /// How long after `earlier` this is; zero if it is not later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// Whole milliseconds of `d`, saturating.
pub(crate) fn millis_of(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Formats as RFC 3339 UTC with whole seconds, e.g. `2017-11-01T05:20:01Z`.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::rfc3339::write_utc(f, self.as_secs())
    }
}
