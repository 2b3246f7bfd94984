//! Medication reminder schedules: the times of day a patient chose, in their own time zone (IANA,
//! with daylight-saving rules from the bundled tz database). Pure: the caller gives the instants.

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use time::OffsetDateTime;

/// Why a list of times of day was refused (shown to the caller as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidTimes(pub String);

/// At most this many reminders a day: more is a schedule for a nurse, not a chat.
pub const MAX_TIMES_PER_DAY: usize = 12;

/// `"08:00"` … `"23:59"`: sorted, without repeats.
pub fn parse_times(times: &[String]) -> Result<Vec<(u8, u8)>, InvalidTimes> {
    if times.is_empty() || times.len() > MAX_TIMES_PER_DAY {
        return Err(InvalidTimes(format!(
            "must list 1 to {MAX_TIMES_PER_DAY} times of day"
        )));
    }
    let mut parsed = Vec::with_capacity(times.len());
    for t in times {
        let (h, m) = t
            .split_once(':')
            .filter(|(h, m)| h.len() == 2 && m.len() == 2)
            .and_then(|(h, m)| Some((h.parse::<u8>().ok()?, m.parse::<u8>().ok()?)))
            .filter(|(h, m)| *h < 24 && *m < 60)
            .ok_or_else(|| InvalidTimes(format!("{t:?} is not a time of day HH:MM")))?;
        parsed.push((h, m));
    }
    parsed.sort_unstable();
    parsed.dedup();
    Ok(parsed)
}

/// The zone, if the IANA database knows it.
pub fn zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name).ok()
}

fn to_timestamp(t: OffsetDateTime) -> Option<Timestamp> {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).ok()
}

fn from_timestamp(t: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond()).ok()
}

/// The instants in `(after, until]` at which one of `times` (local wall-clock times in `zone`)
/// falls. A time skipped by a daylight-saving jump happens at the first valid instant after it; a
/// repeated one, once.
pub fn due_between(
    times: &[(u8, u8)],
    zone: &TimeZone,
    after: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<OffsetDateTime> {
    let (Some(a), Some(b)) = (to_timestamp(after), to_timestamp(until)) else {
        return Vec::new();
    };
    if b <= a {
        return Vec::new();
    }
    let start = a.to_zoned_datetime(zone.clone()).date();
    let end = b.to_zoned_datetime(zone.clone()).date();
    let mut out = Vec::new();
    let mut day = start;
    while day <= end {
        for &(h, m) in times {
            let Ok(time) = Time::new(h as i8, m as i8, 0, 0) else {
                continue;
            };
            let Ok(local) = day.to_datetime(time).to_zoned_datetime(zone.clone()) else {
                continue;
            };
            let at = local.timestamp();
            if at > a
                && at <= b
                && let Some(t) = from_timestamp(at)
                && !out.contains(&t)
            {
                out.push(t);
            }
        }
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    out.sort();
    out
}

/// The last second (23:59:59) of a local date in `zone`, as an instant.
pub fn end_of_local_day(date: time::Date, zone: &TimeZone) -> Option<OffsetDateTime> {
    let day =
        jiff::civil::Date::new(date.year() as i16, u8::from(date.month()) as i8, date.day() as i8).ok()?;
    let local = day
        .to_datetime(Time::new(23, 59, 59, 0).ok()?)
        .to_zoned_datetime(zone.clone())
        .ok()?;
    from_timestamp(local.timestamp())
}

/// The local calendar date of an instant in `zone` (`YYYY-MM-DD`).
pub fn local_date(at: OffsetDateTime, zone: &TimeZone) -> Option<String> {
    Some(
        to_timestamp(at)?
            .to_zoned_datetime(zone.clone())
            .date()
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn times(list: &[&str]) -> Vec<(u8, u8)> {
        parse_times(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn parses_sorts_and_refuses_nonsense() {
        assert_eq!(times(&["20:00", "08:30", "08:30"]), vec![(8, 30), (20, 0)]);
        for bad in [
            vec![],
            vec!["8:00".to_string()],
            vec!["24:00".into()],
            vec!["12:60".into()],
            vec!["meio-dia".into()],
        ] {
            assert!(parse_times(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn local_times_in_the_patients_zone() {
        let sp = zone("America/Sao_Paulo").unwrap();
        let manaus = zone("America/Manaus").unwrap();
        // 08:00 in São Paulo (UTC-3) is 11:00 UTC; in Manaus (UTC-4), 12:00 UTC.
        let after = datetime!(2026-11-28 10:00 UTC);
        let until = datetime!(2026-11-28 12:30 UTC);
        assert_eq!(
            due_between(&times(&["08:00"]), &sp, after, until),
            vec![datetime!(2026-11-28 11:00 UTC)]
        );
        assert_eq!(
            due_between(&times(&["08:00"]), &manaus, after, until),
            vec![datetime!(2026-11-28 12:00 UTC)]
        );
        // The window is half-open: what was due at `after` was already sent.
        assert!(due_between(&times(&["08:00"]), &sp, datetime!(2026-11-28 11:00 UTC), until).is_empty());
        // Across midnight, local dates.
        let night = due_between(
            &times(&["23:30", "00:10"]),
            &manaus,
            datetime!(2026-11-29 03:00 UTC),
            datetime!(2026-11-29 04:30 UTC),
        );
        assert_eq!(
            night,
            vec![datetime!(2026-11-29 03:30 UTC), datetime!(2026-11-29 04:10 UTC)]
        );
        assert_eq!(
            local_date(datetime!(2026-11-29 03:30 UTC), &manaus).as_deref(),
            Some("2026-11-28")
        );
        assert_eq!(
            local_date(datetime!(2026-11-29 04:10 UTC), &manaus).as_deref(),
            Some("2026-11-29")
        );
    }

    #[test]
    fn daylight_saving_gaps_still_remind() {
        // New York springs forward on 2026-03-08: 02:30 does not exist that day.
        let ny = zone("America/New_York").unwrap();
        let due = due_between(
            &times(&["02:30"]),
            &ny,
            datetime!(2026-03-08 05:00 UTC),
            datetime!(2026-03-08 08:00 UTC),
        );
        assert_eq!(due.len(), 1, "{due:?}");
    }

    #[test]
    fn end_of_a_local_day() {
        let sp = zone("America/Sao_Paulo").unwrap();
        assert_eq!(
            end_of_local_day(time::macros::date!(2026 - 11 - 26), &sp),
            Some(datetime!(2026-11-27 02:59:59 UTC))
        );
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(zone("America/Atlantida").is_none());
        assert!(zone("America/Sao_Paulo").is_some());
    }
}
