//! Time as the session rules see it: UNIX seconds with a fractional part, and a clock that tests
//! can set.
//!
//! Pyramid stores `created` as a float and compares `now - accessed > timeout` on floats, so the
//! core works in fractional seconds too. Every rule takes `now` as an argument; the adapters take
//! it from the factory's [`Clock`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, in seconds since the UNIX epoch (fractions allowed). Always finite.
///
/// ```
/// use cookie_session::UnixTime;
/// let t = UnixTime::from_secs_f64(1_700_001_260.5).unwrap();
/// assert_eq!(t.as_secs_f64(), 1_700_001_260.5);
/// assert_eq!(t.whole_secs(), 1_700_001_260);
/// assert!(UnixTime::from_secs_f64(f64::NAN).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct UnixTime(f64);

impl UnixTime {
    /// The current time from the system clock.
    #[must_use]
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Whole seconds since the epoch.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs as f64)
    }

    /// Seconds since the epoch with a fractional part; `None` for NaN or infinities.
    #[must_use]
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        secs.is_finite().then_some(Self(secs))
    }

    /// Seconds since the epoch, with the fractional part.
    #[must_use]
    pub const fn as_secs_f64(self) -> f64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded down (Python's `int(time.time())` for positive
    /// times).
    #[must_use]
    pub fn whole_secs(self) -> i64 {
        // `as` saturates, which is the right answer for absurd inputs.
        self.0.floor() as i64
    }

    /// This time plus `duration` (saturating at the largest finite value).
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::UnixTime;
    /// let t0 = UnixTime::from_secs(1_700_000_000);
    /// assert_eq!(t0.plus(Duration::from_millis(1500)).as_secs_f64(), 1_700_000_001.5);
    /// let far = UnixTime::from_secs_f64(f64::MAX).unwrap();
    /// assert_eq!(far.plus(Duration::MAX), far);
    /// ```
    #[must_use]
    pub fn plus(self, duration: Duration) -> Self {
        let sum = self.0 + duration.as_secs_f64();
        Self(if sum.is_finite() { sum } else { f64::MAX })
    }
}

impl From<SystemTime> for UnixTime {
    fn from(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(since) => Self(since.as_secs_f64()),
            Err(before) => Self(-before.duration().as_secs_f64()),
        }
    }
}

/// A source of the current time. The factory asks it once per request.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The real clock ([`SystemTime::now`]). The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock that only moves when told to: for tests of timeouts and reissue, to the second.
///
/// Clones share the same time, so a test can keep one and give another to the factory.
///
/// ```
/// use cookie_session::{Clock, ManualClock, UnixTime};
/// use std::time::Duration;
/// let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(shared.now(), UnixTime::from_secs(1_700_000_090));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    bits: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    #[must_use]
    pub fn new(start: UnixTime) -> Self {
        Self {
            bits: Arc::new(AtomicU64::new(start.0.to_bits())),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: UnixTime) {
        self.bits.store(now.0.to_bits(), Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        self.set(self.now().plus(by));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime(f64::from_bits(self.bits.load(Ordering::SeqCst)))
    }
}
