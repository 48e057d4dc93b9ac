//! Engine time: integer milliseconds, never floating-point seconds.
//!
//! [`SimTime`] is an instant measured from an origin the host chooses (the simulator uses
//! the start of the scenario); [`SimDuration`] is a span between two instants. Both live in
//! the engine because the engine may import nothing else of ours. Conversions to
//! human units happen at the edges (scenario parsing, report formatting), not here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// An instant: milliseconds since the host's origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The origin.
    pub const ZERO: Self = Self(0);

    /// Milliseconds since the origin.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: Self = Self(0);

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// A span of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Self(s * 1_000)
    }

    /// A span of `m` minutes.
    pub const fn from_mins(m: u64) -> Self {
        Self(m * 60_000)
    }

    /// A span of `h` hours.
    pub const fn from_hours(h: u64) -> Self {
        Self(h * 3_600_000)
    }

    /// The span in milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = Self;

    /// Saturates at the end of time rather than wrapping: a deadline that far away never fires.
    fn add(self, rhs: SimDuration) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = Self;

    fn sub(self, rhs: SimDuration) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    /// `h:mm:ss.mmm` since the origin, the form engine scripts use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1_000;
        let s = self.0 / 1_000;
        write!(f, "{}:{:02}:{:02}", s / 3_600, (s / 60) % 60, s % 60)?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SimDuration {
    /// Compact form such as `1h30m`, `90s` or `250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (h, rest) = (self.0 / 3_600_000, self.0 % 3_600_000);
        let (m, rest) = (rest / 60_000, rest % 60_000);
        let (s, ms) = (rest / 1_000, rest % 1_000);
        for (value, unit) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
            if value != 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        assert_eq!(SimTime(3_723_004).to_string(), "1:02:03.004");
        assert_eq!(SimTime(60_000).to_string(), "0:01:00");
        assert_eq!(SimDuration::from_secs(5_400).to_string(), "1h30m");
        assert_eq!(SimDuration(250).to_string(), "250ms");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime(u64::MAX) + SimDuration(5), SimTime(u64::MAX));
        assert_eq!(SimTime(3) - SimDuration(5), SimTime::ZERO);
        assert_eq!(SimTime(10).saturating_since(SimTime(4)), SimDuration(6));
    }
}
