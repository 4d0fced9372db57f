//! NEM time: whole seconds since the NEM epoch, 2015-03-29T00:06:25Z.

use std::fmt;

use jiff::Timestamp;

/// The NEM epoch as Unix seconds.
pub const EPOCH_UNIX_SECONDS: i64 = 1_427_587_585;

/// The longest a transaction may live: `deadline ≤ timestamp + 24 h`.
pub const MAX_DEADLINE_SPAN_SECONDS: u32 = 86_400;

/// How far ahead of network time NIS accepts a timestamp.
pub const MAX_SECONDS_AHEAD: u32 = 10;

#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct NemTimestamp(pub u32);

impl NemTimestamp {
    pub fn from_unix_seconds(unix: i64) -> Option<NemTimestamp> {
        u32::try_from(unix - EPOCH_UNIX_SECONDS)
            .ok()
            .map(NemTimestamp)
    }

    /// From NIS network time in milliseconds (`/time-sync/network-time`): floor to seconds.
    pub fn from_network_millis(ms: u64) -> Option<NemTimestamp> {
        u32::try_from(ms / 1000).ok().map(NemTimestamp)
    }

    pub fn now() -> Option<NemTimestamp> {
        Self::from_unix_seconds(Timestamp::now().as_second())
    }

    pub fn from_timestamp(t: Timestamp) -> Option<NemTimestamp> {
        Self::from_unix_seconds(t.as_second())
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    pub fn unix_seconds(self) -> i64 {
        i64::from(self.0) + EPOCH_UNIX_SECONDS
    }

    pub fn to_timestamp(self) -> Timestamp {
        // Every u32 NEM time is a valid jiff timestamp (years 2015 to 2151).
        Timestamp::from_second(self.unix_seconds()).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    pub fn checked_add(self, seconds: u32) -> Option<NemTimestamp> {
        self.0.checked_add(seconds).map(NemTimestamp)
    }
}

impl fmt::Display for NemTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.to_timestamp())
    }
}

impl fmt::Debug for NemTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NemTimestamp({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_worked_example() {
        assert_eq!(
            NemTimestamp(0).to_timestamp().to_string(),
            "2015-03-29T00:06:25Z"
        );
        assert_eq!(
            NemTimestamp(300_000_000).to_timestamp().to_string(),
            "2024-09-29T05:26:25Z"
        );
        assert_eq!(
            NemTimestamp::from_network_millis(300_000_999),
            Some(NemTimestamp(300_000))
        );
        assert_eq!(
            NemTimestamp::from_unix_seconds(EPOCH_UNIX_SECONDS - 1),
            None
        );
    }
}
