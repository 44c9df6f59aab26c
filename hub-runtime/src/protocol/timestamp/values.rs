//! The date-time types a [`Timestamp`](super::Timestamp) holds: `SystemTime`, and chrono's and
//! time's behind their features.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::TimestampValue;

impl TimestampValue for SystemTime {
    fn to_unix(&self) -> (i64, u32) {
        match self.duration_since(UNIX_EPOCH) {
            Ok(after) => (
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                let before = before.duration();
                let seconds = i64::try_from(before.as_secs()).map_or(i64::MIN, |s| -s);
                match before.subsec_nanos() {
                    0 => (seconds, 0),
                    nanos => (seconds.saturating_sub(1), 1_000_000_000 - nanos),
                }
            }
        }
    }

    fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        match u64::try_from(seconds) {
            Ok(seconds) => UNIX_EPOCH.checked_add(Duration::new(seconds, nanos)),
            Err(_) => UNIX_EPOCH
                .checked_sub(Duration::from_secs(seconds.unsigned_abs()))?
                .checked_add(Duration::from_nanos(u64::from(nanos))),
        }
    }
}

#[cfg(feature = "chrono")]
impl TimestampValue for chrono::DateTime<chrono::Utc> {
    fn to_unix(&self) -> (i64, u32) {
        // A leap second shows as nanoseconds beyond a second: the last instant before it.
        (
            self.timestamp(),
            self.timestamp_subsec_nanos().min(999_999_999),
        )
    }

    fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        chrono::DateTime::from_timestamp(seconds, nanos)
    }
}

#[cfg(feature = "time")]
impl TimestampValue for time::OffsetDateTime {
    fn to_unix(&self) -> (i64, u32) {
        (self.unix_timestamp(), self.nanosecond())
    }

    fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_on_both_sides_of_1970() {
        for (seconds, nanos) in [
            (0, 0),
            (946_684_800, 5),
            (-1, 0),
            (-1, 999_999_999),
            (-2, 1),
        ] {
            let time = SystemTime::from_unix(seconds, nanos).unwrap();
            assert_eq!(time.to_unix(), (seconds, nanos));
        }
        assert_eq!(
            SystemTime::from_unix(-1, 500_000_000).unwrap(),
            UNIX_EPOCH - Duration::from_millis(500)
        );
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_date_times() {
        use chrono::{DateTime, TimeZone, Utc};
        let date = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(date.to_unix(), (946_684_800, 0));
        let before = DateTime::<Utc>::from_unix(-1, 999_999_999).unwrap();
        assert_eq!(before.to_rfc3339(), "1969-12-31T23:59:59.999999999+00:00");
        assert_eq!(before.to_unix(), (-1, 999_999_999));
        assert!(DateTime::<Utc>::from_unix(i64::MAX, 0).is_none());
    }

    #[cfg(feature = "time")]
    #[test]
    fn time_offset_date_times() {
        use time::{OffsetDateTime, UtcOffset};
        let date = OffsetDateTime::from_unix_timestamp(946_684_800).unwrap();
        assert_eq!(date.to_unix(), (946_684_800, 0));
        // Another offset, the same instant.
        let elsewhere = date.to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(elsewhere.to_unix(), (946_684_800, 0));
        let before = OffsetDateTime::from_unix(-1, 999_999_999).unwrap();
        assert_eq!(before.to_unix(), (-1, 999_999_999));
        assert!(OffsetDateTime::from_unix(i64::MAX, 0).is_none());
    }
}
