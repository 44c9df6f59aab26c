//! RFC 3339 text: `2000-01-01T00:00:00Z`, written in UTC as chrono writes `DateTime<Utc>`, read
//! with any offset and any number of fraction digits (JavaScript writes 3, .NET 7).

use super::UnixTime;

const SECONDS_PER_DAY: i64 = 86_400;

/// The longest text written: `9999-12-31T23:59:59.999999999Z`.
pub(super) const MAX_LEN: usize = 30;

/// Writes `time` in UTC with `Z`, with 0, 3, 6 or 9 fraction digits (as few as hold it): the
/// text and its length in `out`. Years outside 0000-9999 have no RFC 3339 form.
pub(super) fn format(time: UnixTime, out: &mut [u8; MAX_LEN]) -> Result<&str, String> {
    let days = time.seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = time.seconds.rem_euclid(SECONDS_PER_DAY) as u32;
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return Err(format!(
            "the date {year}-{month:02}-{day:02} has no RFC 3339 form: years are 0000 to 9999"
        ));
    }
    out[..20].copy_from_slice(b"0000-00-00T00:00:00Z");
    put(&mut out[..4], year as u32);
    put(&mut out[5..7], month);
    put(&mut out[8..10], day);
    put(&mut out[11..13], second_of_day / 3600);
    put(&mut out[14..16], second_of_day / 60 % 60);
    put(&mut out[17..19], second_of_day % 60);
    let nanos = time.nanos;
    let end = if nanos == 0 {
        19
    } else {
        out[19] = b'.';
        let (fraction, digits) = if nanos % 1_000_000 == 0 {
            (nanos / 1_000_000, 3)
        } else if nanos % 1_000 == 0 {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        put(&mut out[20..20 + digits], fraction);
        20 + digits
    };
    out[end] = b'Z';
    Ok(std::str::from_utf8(&out[..=end]).expect("ASCII digits and separators"))
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (`t`, `z` and a space separator
/// accepted too; fraction digits beyond nanoseconds are dropped).
pub(super) fn parse(text: &str) -> Result<UnixTime, String> {
    let invalid = || {
        format!(
            "invalid date and time {text:?}: expected RFC 3339, such as \"2000-01-01T00:00:00Z\""
        )
    };
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let digits = bytes.get(from..from + len)?;
        digits.iter().try_fold(0u32, |value, &b| {
            b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
        })
    };
    let separator = |at: usize, allowed: &[u8]| bytes.get(at).is_some_and(|b| allowed.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return Err(invalid());
    }
    let field = |from, len| number(from, len).ok_or_else(invalid);
    let (year, month, day) = (field(0, 4)?, field(5, 2)?, field(8, 2)?);
    let (hour, minute, second) = (field(11, 2)?, field(14, 2)?, field(17, 2)?);
    let mut at = 19;
    let mut nanos = 0;
    if separator(at, b".") {
        at += 1;
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(bytes[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err(invalid());
        }
        nanos *= 10u32.pow(9u32.saturating_sub((at - start) as u32));
    }
    let offset_seconds = match bytes.get(at) {
        Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == bytes.len() && separator(at + 3, b":") => {
            let (hours, minutes) = (field(at + 1, 2)?, field(at + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return Err(invalid());
            }
            let offset = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -offset } else { offset }
        }
        _ => return Err(invalid()),
    };
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
    {
        return Err(invalid());
    }
    if second > 59 {
        return Err(format!(
            "invalid date and time {text:?}: leap seconds are not supported"
        ));
    }
    let seconds = days_from_civil(i64::from(year), month, day) * SECONDS_PER_DAY
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_seconds;
    UnixTime::new(seconds, nanos)
}

/// Writes the last digits of `value` into `out`, zero-padded to its length.
fn put(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * i64::from((month + 9) % 12) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(seconds: i64, nanos: u32) -> String {
        format(UnixTime::new(seconds, nanos).unwrap(), &mut [0; MAX_LEN])
            .map(str::to_owned)
            .unwrap_or_else(|err| err)
    }

    fn parsed(text: &str) -> (i64, u32) {
        let time = parse(text).unwrap_or_else(|err| panic!("{err}"));
        (time.seconds, time.nanos)
    }

    #[test]
    fn writes_utc_with_as_few_fraction_digits_as_hold_the_time() {
        assert_eq!(text(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(text(946_684_800, 0), "2000-01-01T00:00:00Z");
        assert_eq!(text(951_782_400, 0), "2000-02-29T00:00:00Z");
        assert_eq!(text(1_714_566_896, 789_000_000), "2024-05-01T12:34:56.789Z");
        assert_eq!(
            text(1_714_566_896, 789_123_000),
            "2024-05-01T12:34:56.789123Z"
        );
        assert_eq!(text(1_714_566_896, 1), "2024-05-01T12:34:56.000000001Z");
        assert_eq!(text(-1, 500_000_000), "1969-12-31T23:59:59.500Z");
        assert_eq!(text(-62_167_219_200, 0), "0000-01-01T00:00:00Z");
        assert_eq!(
            text(253_402_300_799, 999_999_999),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert!(text(253_402_300_800, 0).contains("years are 0000 to 9999"));
        assert!(text(-62_167_219_201, 0).contains("years are 0000 to 9999"));
    }

    #[test]
    fn reads_any_offset_and_fraction() {
        assert_eq!(parsed("2000-01-01T00:00:00Z"), (946_684_800, 0));
        assert_eq!(parsed("2000-01-01t00:00:00z"), (946_684_800, 0));
        assert_eq!(parsed("2000-01-01 00:00:00Z"), (946_684_800, 0));
        // JavaScript's `toISOString`, .NET's round-trip format.
        assert_eq!(parsed("2000-01-01T00:00:00.000Z"), (946_684_800, 0));
        assert_eq!(
            parsed("2000-01-01T00:00:00.1234567+00:00"),
            (946_684_800, 123_456_700)
        );
        assert_eq!(parsed("2000-01-01T02:00:00+02:00"), (946_684_800, 0));
        assert_eq!(parsed("1999-12-31T19:30:00-04:30"), (946_684_800, 0));
        assert_eq!(
            parsed("2000-01-01T00:00:00.1234567891234Z"),
            (946_684_800, 123_456_789)
        );
        assert_eq!(parsed("1969-12-31T23:59:59.5Z"), (-1, 500_000_000));
        assert_eq!(parsed("2000-02-29T00:00:00Z"), (951_782_400, 0));
        assert_eq!(parsed("0000-01-01T00:00:00Z"), (-62_167_219_200, 0));
        assert_eq!(
            parsed("9999-12-31T23:59:59.999999999Z"),
            (253_402_300_799, 999_999_999)
        );
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // 1900-03-01 to 2300-03-01: every leap-year rule, both sides of 1970.
        let start = days_from_civil(1900, 3, 1);
        for days in start..start + 146_097 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            let seconds = days * SECONDS_PER_DAY + 45_296;
            assert_eq!(parsed(&text(seconds, 0)), (seconds, 0));
        }
    }

    #[test]
    fn malformed_text_is_an_error() {
        for text in [
            "",
            "2000-01-01",
            "2000-01-01T00:00:00",
            "2000-01-01T00:00Z",
            "2000-01-01T00:00:00.Z",
            "2000-01-01T00:00:00ZZ",
            "2000-01-01T00:00:00+0000",
            "2000-01-01T00:00:00+24:00",
            "2000-13-01T00:00:00Z",
            "2000-00-01T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2000-04-31T00:00:00Z",
            "2000-01-01T24:00:00Z",
            "2000-01-01T00:60:00Z",
            "+2000-01-01T00:00:00Z",
            "2000-01-01T00:00:00Z ",
            "２000-01-01T00:00:00Z",
        ] {
            assert!(
                parse(text).unwrap_err().contains("expected RFC 3339"),
                "{text:?}"
            );
        }
        assert!(
            parse("2016-12-31T23:59:60Z")
                .unwrap_err()
                .contains("leap seconds")
        );
    }
}
