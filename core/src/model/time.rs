//! Timestamps: RFC 3339 in UTC, to the second, `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! One fixed textual form means two implementations never disagree on the canonical bytes, and
//! text order equals time order.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A moment in UTC, to the second.
#[derive(Clone)]
pub struct Timestamp {
    // INVARIANT (timestamp-form): always `YYYY-MM-DDTHH:MM:SSZ` naming a real moment, so that
    // comparing the text compares the times. ASCII, held inline: every event and every record
    // of the state carries timestamps, and a `String` made each copy an allocation.
    text: [u8; 20],
    unix_seconds: i64,
}

// Compared and hashed by the seconds alone: `parse` admits four-digit years and seconds up to
// 59 only, so the text and the seconds determine each other and order alike
// (`timestamps_compare_as_their_text`); one integer comparison instead of a 20-byte one, and
// the replay compares an event's time with its key's, its stocks' and the ledger's first.
impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.unix_seconds == other.unix_seconds
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_seconds.cmp(&other.unix_seconds)
    }
}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.unix_seconds.hash(state);
    }
}

/// Why a timestamp or date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {expected}")]
pub struct TimeError {
    /// The rejected text.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` into (year, month, day), checking the calendar.
pub(crate) fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y = digits(s.get(0..4)?)?;
    let m = digits(s.get(5..7)?)?;
    let d = digits(s.get(8..10)?)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(value: &str) -> Result<Self, TimeError> {
        let err = || TimeError {
            value: value.to_owned(),
            expected: "UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`",
        };
        let b = value.as_bytes();
        if b.len() != 20
            || b.get(10) != Some(&b'T')
            || b.get(13) != Some(&b':')
            || b.get(16) != Some(&b':')
            || b.get(19) != Some(&b'Z')
        {
            return Err(err());
        }
        let (y, mo, d) = parse_date(value.get(0..10).ok_or_else(err)?).ok_or_else(err)?;
        let h = digits(value.get(11..13).ok_or_else(err)?).ok_or_else(err)?;
        let mi = digits(value.get(14..16).ok_or_else(err)?).ok_or_else(err)?;
        let s = digits(value.get(17..19).ok_or_else(err)?).ok_or_else(err)?;
        if h > 23 || mi > 59 || s > 59 {
            return Err(err());
        }
        let unix_seconds = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
        // Twenty bytes: checked above.
        let text: [u8; 20] = b.try_into().map_err(|_| err())?;
        Ok(Self { text, unix_seconds })
    }

    /// Builds a timestamp from seconds since the Unix epoch.
    pub fn from_unix_seconds(secs: i64) -> Result<Self, TimeError> {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // civil_from_days (Hinnant).
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        Self::parse(&text)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// The RFC 3339 text.
    pub fn as_str(&self) -> &str {
        // INVARIANT (timestamp-form): `parse` let only ASCII in, so this cannot fail; the
        // empty text it would give instead is never a timestamp, so nothing could mistake it
        // for one.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_str())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Parsed from the text as given (borrowed or not), without an owned copy.
        struct TimestampVisitor;
        impl serde::de::Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(TimestampVisitor)
    }
}

/// A calendar date `YYYY-MM-DD` (inspection and expiry dates), or a month `YYYY-MM`
/// (manufacture dates, as lots are usually marked).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Date(String);

impl Date {
    /// Parses `YYYY-MM-DD` or `YYYY-MM`.
    pub fn parse(value: &str) -> Result<Self, TimeError> {
        let ok = parse_date(value).is_some()
            || (value.len() == 7 && parse_date(&format!("{value}-01")).is_some());
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(TimeError {
                value: value.to_owned(),
                expected: "date `YYYY-MM-DD` or month `YYYY-MM`",
            })
        }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// For a whole date `YYYY-MM-DD`, its first second (00:00:00 UTC) in Unix seconds; `None`
    /// for a month.
    pub fn day_start_unix(&self) -> Option<i64> {
        let (y, m, d) = parse_date(&self.0)?;
        Some(days_from_civil(y, m, d) * 86_400)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn timestamps_parse_strictly_and_count_seconds() {
        let t = Timestamp::parse("2026-06-15T14:00:00Z").unwrap();
        assert_eq!(t.unix_seconds(), 1_781_532_000);
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_seconds(),
            0
        );
        assert_eq!(
            Timestamp::parse("2024-02-29T23:59:59Z")
                .unwrap()
                .unix_seconds(),
            1_709_251_199
        );
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-06-15 14:00:00Z",
            "2026-06-15T14:00:00+00:00",
            "2026-06-15T24:00:00Z",
            "2026-06-15T14:00:00.5Z",
            "2026-13-01T00:00:00Z",
            "",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unix_seconds_round_trip() {
        for secs in [0_i64, 1_781_532_000, 951_782_400, 4_102_444_799, 86_399] {
            assert_eq!(
                Timestamp::from_unix_seconds(secs).unwrap().unix_seconds(),
                secs
            );
        }
        assert_eq!(
            Timestamp::from_unix_seconds(1_709_251_199)
                .unwrap()
                .as_str(),
            "2024-02-29T23:59:59Z"
        );
    }

    #[test]
    fn timestamps_compare_as_their_text() {
        // From the first second of year 0000 to the last of 9999, with neighbours (a second,
        // a day, a leap day apart) and a spread of moments between.
        let first = Timestamp::parse("0000-01-01T00:00:00Z")
            .unwrap()
            .unix_seconds();
        let last = Timestamp::parse("9999-12-31T23:59:59Z")
            .unwrap()
            .unix_seconds();
        let mut secs = vec![first, first + 1, last - 1, last, 951_782_399, 951_868_800];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let span = u64::try_from(last - first).unwrap();
        for _ in 0..400 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let s = first + i64::try_from((x >> 11) % span).unwrap();
            secs.extend([s, s + 1, s + 86_400]);
        }
        let stamps: Vec<Timestamp> = secs
            .iter()
            .filter(|&&s| s <= last)
            .map(|&s| Timestamp::from_unix_seconds(s).unwrap())
            .collect();
        let hash = |t: &Timestamp| {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(t)
        };
        for a in &stamps {
            for b in &stamps {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()), "{a:?} {b:?}");
                assert_eq!(a == b, a.as_str() == b.as_str(), "{a:?} {b:?}");
                if a == b {
                    assert_eq!(hash(a), hash(b));
                }
            }
        }
    }

    #[test]
    fn dates_accept_days_and_months() {
        assert!(Date::parse("1987-05").is_ok());
        assert!(Date::parse("2026-09-01").is_ok());
        assert!(Date::parse("2026-09-31").is_err());
        assert!(Date::parse("2026-9").is_err());
        assert_eq!(
            Date::parse("2026-06-15").unwrap().day_start_unix(),
            Some(1_781_481_600)
        );
        assert_eq!(Date::parse("2026-06").unwrap().day_start_unix(), None);
    }
}
