//! Procedure authorizations under ANS rules (BRAZIL.md §4): the state machine, and the answer
//! deadline in business days — RN 623/2024 (urgency/emergency immediate; high complexity and
//! elective hospitalization 10; other care 5; non-care 7), never longer than the RN 566/2022 care
//! deadline of the service — over a national holiday calendar plus the organization's own days.
//! Pure: dates are given.

use std::collections::BTreeSet;

use time::{Date, Duration, Month, Weekday};

use crate::enums::{AuthorizationStatus, CareCharacter, ServiceType};

use AuthorizationStatus::*;

/// The transitions the state machine allows.
pub fn can_move(from: AuthorizationStatus, to: AuthorizationStatus) -> bool {
    matches!(
        (from, to),
        (
            Requested,
            UnderReview | PendingDocuments | PendingJustification | Cancelled | Expired
        ) | (
            UnderReview,
            Approved
                | PartiallyApproved
                | Denied
                | PendingDocuments
                | PendingJustification
                | Cancelled
                | Expired
        ) | (
            PendingDocuments | PendingJustification,
            UnderReview | Cancelled | Expired
        ) | (Approved | PartiallyApproved, Cancelled | Expired)
    )
}

/// No way out: denied, cancelled, expired.
pub fn is_final(s: AuthorizationStatus) -> bool {
    matches!(s, Denied | Cancelled | Expired)
}

/// The states still waiting for the operator's answer (what the deadline applies to).
pub const AWAITING_ANSWER: [AuthorizationStatus; 4] =
    [Requested, UnderReview, PendingDocuments, PendingJustification];

/// See [`AWAITING_ANSWER`].
pub fn awaits_answer(s: AuthorizationStatus) -> bool {
    AWAITING_ANSWER.contains(&s)
}

/// RN 566/2022 art. 3, business days to provide the care (none for non-care requests).
pub fn care_deadline(service: ServiceType) -> Option<u32> {
    Some(match service {
        ServiceType::BasicConsultation | ServiceType::Dental => 7,
        ServiceType::SpecialistConsultation => 14,
        ServiceType::Therapy | ServiceType::Diagnostic | ServiceType::DayHospital => 10,
        ServiceType::LabTest => 3,
        ServiceType::HighComplexity | ServiceType::ElectiveHospitalization => 21,
        ServiceType::NonCare => return None,
    })
}

/// RN 623/2024, business days for the operator to answer an elective request.
pub fn rn623_deadline(service: ServiceType) -> u32 {
    match service {
        ServiceType::HighComplexity | ServiceType::ElectiveHospitalization => 10,
        ServiceType::NonCare => 7,
        _ => 5,
    }
}

/// Business days to answer: 0 (immediately) for urgency/emergency; otherwise RN 623, capped by a
/// shorter RN 566 care deadline.
pub fn answer_business_days(character: CareCharacter, service: ServiceType) -> u32 {
    if character == CareCharacter::UrgencyEmergency {
        return 0;
    }
    let answer = rn623_deadline(service);
    care_deadline(service).map_or(answer, |care| answer.min(care))
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()
}

/// National holidays of Brazil in a year: the fixed ones of Lei 662/1949, 6.802/1980 and
/// 14.759/2023 (Consciência Negra), and Good Friday (Paixão de Cristo). Carnival and Corpus
/// Christi are optional points, added per organization where they are days off.
pub fn national_holidays(year: i32) -> BTreeSet<Date> {
    let fixed = [
        (1, 1),
        (4, 21),
        (5, 1),
        (9, 7),
        (10, 12),
        (11, 2),
        (11, 15),
        (11, 20),
        (12, 25),
    ];
    let mut days: BTreeSet<Date> = fixed
        .iter()
        .filter_map(|&(m, d)| Date::from_calendar_date(year, Month::try_from(m).ok()?, d).ok())
        .collect();
    if let Some(good_friday) = easter(year).map(|e| e - Duration::days(2)) {
        days.insert(good_friday);
    }
    days
}

/// Carnival Monday and Tuesday and Corpus Christi, for organizations that close on them.
pub fn optional_holidays(year: i32) -> Vec<Date> {
    easter(year)
        .map(|e| {
            vec![
                e - Duration::days(48),
                e - Duration::days(47),
                e + Duration::days(60),
            ]
        })
        .unwrap_or_default()
}

/// Business days: not a weekend, a national holiday, or one of `extra`.
pub struct Calendar {
    extra: BTreeSet<Date>,
}

impl Calendar {
    pub fn new(extra: impl IntoIterator<Item = Date>) -> Self {
        Calendar {
            extra: extra.into_iter().collect(),
        }
    }

    pub fn is_business_day(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.extra.contains(&d)
            && !national_holidays(d.year()).contains(&d)
    }

    /// The date `n` business days after `start` (a request made on a Friday with n = 1 is due on
    /// Monday); `n = 0` is `start` itself.
    pub fn add_business_days(&self, start: Date, n: u32) -> Date {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            match day.next_day() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_state_machine() {
        assert!(can_move(Requested, UnderReview));
        assert!(can_move(UnderReview, Approved));
        assert!(can_move(PendingDocuments, UnderReview));
        assert!(!can_move(Requested, Approved), "a decision follows a review");
        assert!(!can_move(Denied, UnderReview));
        assert!(!can_move(Approved, Denied));
        for s in [Denied, Cancelled, Expired] {
            assert!(is_final(s));
            for t in [
                Requested,
                UnderReview,
                Approved,
                PartiallyApproved,
                Denied,
                Cancelled,
                Expired,
                PendingDocuments,
                PendingJustification,
            ] {
                assert!(!can_move(s, t), "{s:?} → {t:?}");
            }
        }
    }

    #[test]
    fn deadlines_follow_rn_623_capped_by_rn_566() {
        assert_eq!(
            answer_business_days(CareCharacter::UrgencyEmergency, ServiceType::HighComplexity),
            0
        );
        assert_eq!(
            answer_business_days(CareCharacter::Elective, ServiceType::HighComplexity),
            10
        );
        assert_eq!(
            answer_business_days(CareCharacter::Elective, ServiceType::ElectiveHospitalization),
            10
        );
        assert_eq!(
            answer_business_days(CareCharacter::Elective, ServiceType::SpecialistConsultation),
            5
        );
        assert_eq!(
            answer_business_days(CareCharacter::Elective, ServiceType::LabTest),
            3,
            "RN 566's 3 days win"
        );
        assert_eq!(
            answer_business_days(CareCharacter::Elective, ServiceType::NonCare),
            7
        );
    }

    #[test]
    fn holidays() {
        assert_eq!(easter(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter(2027), Some(date!(2027 - 03 - 28)));
        let h = national_holidays(2026);
        assert!(h.contains(&date!(2026 - 04 - 03)), "Good Friday");
        assert!(h.contains(&date!(2026 - 11 - 20)), "Consciência Negra");
        assert_eq!(h.len(), 10);
        assert_eq!(
            optional_holidays(2026),
            vec![
                date!(2026 - 02 - 16),
                date!(2026 - 02 - 17),
                date!(2026 - 06 - 04)
            ]
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let cal = Calendar::new([]);
        // Wed 2026-11-18 + 5: Thu 19, (Fri 20 holiday), Mon 23, Tue 24, Wed 25, Thu 26.
        assert_eq!(
            cal.add_business_days(date!(2026 - 11 - 18), 5),
            date!(2026 - 11 - 26)
        );
        // Friday + 1 → Monday.
        assert_eq!(
            cal.add_business_days(date!(2026 - 11 - 27), 1),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            cal.add_business_days(date!(2026 - 11 - 27), 0),
            date!(2026 - 11 - 27)
        );
        // An organization's extra day off counts too.
        let own = Calendar::new([date!(2026 - 11 - 30)]);
        assert_eq!(
            own.add_business_days(date!(2026 - 11 - 27), 1),
            date!(2026 - 12 - 01)
        );
        // Christmas and New Year.
        assert_eq!(
            cal.add_business_days(date!(2026 - 12 - 24), 2),
            date!(2026 - 12 - 29)
        );
    }
}
