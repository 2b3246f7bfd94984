//! Phone numbers, normalised to E.164 (`+5511987654321`).
//!
//! Patients reach Austa Care mostly through WhatsApp, so one canonical form is needed to match a
//! WhatsApp `wa_id` against the number typed in a registration form. Brazilian numbers get the
//! full national rules (area code list, ninth digit for mobiles); other countries only the E.164
//! shape. A phone number identifies a person, so `Debug`/`Display` are redacted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError};

/// Every Brazilian area code (DDD) in use, per Anatel's numbering plan.
const DDDS: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, // SP
    21, 22, 24, // RJ
    27, 28, // ES
    31, 32, 33, 34, 35, 37, 38, // MG
    41, 42, 43, 44, 45, 46, // PR
    47, 48, 49, // SC
    51, 53, 54, 55, // RS
    61, // DF
    62, 64, // GO
    63, // TO
    65, 66, // MT
    67, // MS
    68, // AC
    69, // RO
    71, 73, 74, 75, 77, // BA
    79, // SE
    81, 87, // PE
    82, // AL
    83, // PB
    84, // RN
    85, 88, // CE
    86, 89, // PI
    91, 93, 94, // PA
    92, 97, // AM
    95, // RR
    96, // AP
    98, 99, // MA
];

/// Brazil's country calling code.
const BR: &str = "55";

/// A valid phone number in E.164 form: `+` followed by 8 to 15 digits. Brazilian numbers
/// (`+55`) are always `+55` + DDD + 9-digit mobile or 8-digit landline.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses any supported form: input starting with `+` is read as international E.164
    /// ([`PhoneNumber::parse_e164`]), anything else as a Brazilian number
    /// ([`PhoneNumber::parse_br`]).
    pub fn parse(input: &str) -> Result<PhoneNumber, ValidationError> {
        if input.trim_start().starts_with('+') {
            Self::parse_e164(input)
        } else {
            Self::parse_br(input)
        }
    }

    /// Parses a Brazilian number as people write it: `(11) 98765-4321`, `11987654321`,
    /// `+55 11 98765-4321`, `55 11 98765 4321`, `011 98765-4321` (trunk prefix 0).
    ///
    /// Legacy 8-digit mobiles (first digit 6-9) get the ninth digit 9 that Anatel added in
    /// 2012-2016; 8-digit landlines (first digit 2-5) stay as they are.
    pub fn parse_br(input: &str) -> Result<PhoneNumber, ValidationError> {
        let (plus, digits) = scan(input)?;
        let national = if plus {
            digits.strip_prefix(BR).ok_or(ValidationError::PhoneCountryCode)?
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else if matches!(digits.len(), 12 | 13) {
            // National numbers have 10 or 11 digits, so 12-13 digits must carry the country code.
            digits.strip_prefix(BR).ok_or(ValidationError::PhoneCountryCode)?
        } else {
            digits.as_str()
        };
        brazilian(national)
    }

    /// Parses an international number in E.164 form: `+`, then 8 to 15 digits, the country code
    /// not starting with 0. Spaces, `-`, `.`, `(` and `)` are ignored. `+55` numbers get the
    /// Brazilian rules as in [`PhoneNumber::parse_br`].
    pub fn parse_e164(input: &str) -> Result<PhoneNumber, ValidationError> {
        let (plus, digits) = scan(input)?;
        if !plus {
            return Err(ValidationError::PhoneCountryCode);
        }
        international(&digits)
    }

    /// Reads a WhatsApp `wa_id` (digits only, no `+`), e.g. `5511987654321`. Brazilian ids of
    /// accounts created before the ninth digit come without it (`551187654321`) and are
    /// normalised like [`PhoneNumber::parse_br`] does.
    pub fn from_whatsapp_id(wa_id: &str) -> Result<PhoneNumber, ValidationError> {
        let trimmed = wa_id.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::PhoneLength);
        }
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::PhoneCharacter);
        }
        international(trimmed)
    }

    /// The E.164 form, e.g. `+5511987654321`.
    #[must_use]
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The WhatsApp Cloud API recipient form: the E.164 digits without `+`.
    #[must_use]
    pub fn whatsapp_id(&self) -> &str {
        self.0.strip_prefix('+').unwrap_or(&self.0)
    }

    /// Whether this is a Brazilian (`+55`) number.
    #[must_use]
    pub fn is_brazilian(&self) -> bool {
        self.0.starts_with("+55")
    }

    /// The Brazilian area code (DDD), or `None` for other countries.
    #[must_use]
    pub fn ddd(&self) -> Option<u8> {
        if !self.is_brazilian() {
            return None;
        }
        self.0.get(3..5).and_then(|d| d.parse().ok())
    }

    /// Whether this is a Brazilian mobile (9 digits after the DDD). Always `false` for other
    /// countries, whose numbering plans are not modelled here.
    #[must_use]
    pub fn is_mobile(&self) -> bool {
        // "+55" + DDD (2) + 9-digit mobile = 14 characters; landlines have 13.
        self.is_brazilian() && self.0.len() == 14
    }

    /// The redacted form used by `Debug` and `Display`: country code and DDD for Brazilian
    /// numbers, and at most the last 2 digits.
    fn redacted(&self) -> String {
        let last2 = self.0.get(self.0.len().saturating_sub(2)..).unwrap_or_default();
        match self.ddd() {
            Some(ddd) if self.is_mobile() => format!("+55 {ddd:02} *****-**{last2}"),
            Some(ddd) => format!("+55 {ddd:02} ****-**{last2}"),
            None => {
                let hidden = self.0.len().saturating_sub(3);
                format!("+{}{last2}", "*".repeat(hidden))
            }
        }
    }
}

/// Extracts the digits of a typed number. Returns whether it started with `+` and the digits.
fn scan(input: &str) -> Result<(bool, String), ValidationError> {
    let trimmed = input.trim();
    if trimmed.len() > MAX_INPUT_LEN {
        return Err(ValidationError::PhoneLength);
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for b in rest.bytes() {
        match b {
            b'0'..=b'9' => digits.push(char::from(b)),
            b' ' | b'\t' | b'-' | b'.' | b'(' | b')' => {}
            _ => return Err(ValidationError::PhoneCharacter),
        }
    }
    Ok((plus, digits))
}

/// Validates E.164 digits (without `+`), routing `55…` to the Brazilian rules.
fn international(digits: &str) -> Result<PhoneNumber, ValidationError> {
    if let Some(national) = digits.strip_prefix(BR) {
        return brazilian(national);
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(ValidationError::PhoneLength);
    }
    if digits.starts_with('0') {
        return Err(ValidationError::PhoneCountryCode);
    }
    Ok(PhoneNumber(format!("+{digits}")))
}

/// Validates a Brazilian national number (DDD + subscriber, digits only) and builds E.164.
fn brazilian(national: &str) -> Result<PhoneNumber, ValidationError> {
    if !matches!(national.len(), 10 | 11) {
        return Err(ValidationError::PhoneLength);
    }
    let (ddd, subscriber) = national.split_at_checked(2).ok_or(ValidationError::PhoneLength)?;
    let ddd_value: u8 = ddd.parse().map_err(|_| ValidationError::PhoneAreaCode)?;
    if !DDDS.contains(&ddd_value) {
        return Err(ValidationError::PhoneAreaCode);
    }
    let first = subscriber.bytes().next();
    let subscriber = match (subscriber.len(), first) {
        (9, Some(b'9')) | (8, Some(b'2'..=b'5')) => subscriber.to_owned(),
        (8, Some(b'6'..=b'9')) => format!("9{subscriber}"),
        _ => return Err(ValidationError::PhoneSubscriber),
    };
    Ok(PhoneNumber(format!("+{BR}{ddd}{subscriber}")))
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.redacted())
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.redacted())
    }
}

impl FromStr for PhoneNumber {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        PhoneNumber::parse(value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ddd_list_is_the_anatel_list() {
        let mut expected: Vec<u8> = Vec::new();
        expected.extend(11..=19);
        expected.extend([21, 22, 24, 27, 28]);
        expected.extend([31, 32, 33, 34, 35, 37, 38]);
        expected.extend(41..=49);
        expected.extend([51, 53, 54, 55]);
        expected.extend(61..=69);
        expected.extend([71, 73, 74, 75, 77, 79]);
        expected.extend(81..=89);
        expected.extend(91..=99);
        let mut actual = DDDS.to_vec();
        actual.sort_unstable();
        assert_eq!(actual, expected);
    }

    #[test]
    fn brazilian_forms_normalise() {
        let cases = [
            ("(11) 98765-4321", "+5511987654321"),
            ("11987654321", "+5511987654321"),
            ("+55 11 98765-4321", "+5511987654321"),
            ("+55 (11) 98765-4321", "+5511987654321"),
            ("55 11 98765 4321", "+5511987654321"),
            ("5511987654321", "+5511987654321"),
            ("011 98765-4321", "+5511987654321"),
            ("(011) 98765-4321", "+5511987654321"),
            ("  11.98765.4321 ", "+5511987654321"),
            // Legacy 8-digit mobiles get the ninth digit.
            ("(11) 8765-4321", "+5511987654321"),
            ("(21) 6543-2109", "+5521965432109"),
            ("(85) 9876-5432", "+5585998765432"),
            ("55 11 8765 4321", "+5511987654321"),
            // Landlines stay 8 digits.
            ("(11) 3456-7890", "+551134567890"),
            ("(51) 2345-6789", "+555123456789"),
            ("+55 61 4004-0001", "+556140040001"),
            ("011 5432-1098", "+551154321098"),
            // DDD 55 (Santa Maria, RS) is not confused with the country code.
            ("(55) 99876-5432", "+5555998765432"),
            ("55 3222-1234", "+555532221234"),
            ("55 55 99876 5432", "+5555998765432"),
        ];
        for (input, want) in cases {
            let phone = PhoneNumber::parse_br(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.e164(), want, "{input}");
            assert_eq!(PhoneNumber::parse(input).unwrap(), phone, "{input}");
        }
    }

    #[test]
    fn brazilian_rejections() {
        let cases = [
            ("(10) 98765-4321", ValidationError::PhoneAreaCode),
            ("(20) 98765-4321", ValidationError::PhoneAreaCode),
            ("(23) 3456-7890", ValidationError::PhoneAreaCode),
            ("(00) 98765-4321", ValidationError::PhoneAreaCode),
            ("(11) 88765-4321", ValidationError::PhoneSubscriber),
            ("(11) 1234-5678", ValidationError::PhoneSubscriber),
            ("(11) 0234-5678", ValidationError::PhoneSubscriber),
            ("(11) 9876-543", ValidationError::PhoneLength),
            ("(11) 98765-43", ValidationError::PhoneLength),
            ("1198765432101234", ValidationError::PhoneLength),
            ("", ValidationError::PhoneLength),
            ("+1 415 555 2671", ValidationError::PhoneCountryCode),
            ("44 11 98765 4321", ValidationError::PhoneCountryCode),
            ("(11) 98765-432l", ValidationError::PhoneCharacter),
            ("11 98765/4321", ValidationError::PhoneCharacter),
            ("++55 11 98765-4321", ValidationError::PhoneCharacter),
            ("11 98765-4321 ext 2", ValidationError::PhoneCharacter),
            ("１１９８７６５４３２１", ValidationError::PhoneCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(PhoneNumber::parse_br(input), Err(want), "{input}");
        }
    }

    #[test]
    fn international_numbers() {
        let cases = [
            ("+1 (415) 555-2671", "+14155552671"),
            ("+351 912 345 678", "+351912345678"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+49 30 12345678", "+493012345678"),
            ("+12345678", "+12345678"),
            ("+123456789012345", "+123456789012345"),
            ("+55 11 98765-4321", "+5511987654321"),
            ("+55 11 8765-4321", "+5511987654321"),
        ];
        for (input, want) in cases {
            let phone = PhoneNumber::parse_e164(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.e164(), want);
            assert_eq!(PhoneNumber::parse(input).unwrap(), phone);
        }
        let bad = [
            ("4155552671", ValidationError::PhoneCountryCode),
            ("+1234567", ValidationError::PhoneLength),
            ("+1234567890123456", ValidationError::PhoneLength),
            ("+0123456789", ValidationError::PhoneCountryCode),
            ("+55 10 98765-4321", ValidationError::PhoneAreaCode),
            ("+55 11 9876", ValidationError::PhoneLength),
            ("+", ValidationError::PhoneLength),
            ("+1 415 555 2671 x", ValidationError::PhoneCharacter),
        ];
        for (input, want) in bad {
            assert_eq!(PhoneNumber::parse_e164(input), Err(want), "{input}");
        }
    }

    #[test]
    fn whatsapp_ids() {
        let cases = [
            ("5511987654321", "+5511987654321"),
            ("551187654321", "+5511987654321"),
            ("551134567890", "+551134567890"),
            ("5585998765432", "+5585998765432"),
            ("14155552671", "+14155552671"),
            ("351912345678", "+351912345678"),
        ];
        for (input, want) in cases {
            let phone = PhoneNumber::from_whatsapp_id(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.e164(), want);
            assert_eq!(phone.whatsapp_id(), &want[1..]);
        }
        let bad = [
            ("+5511987654321", ValidationError::PhoneCharacter),
            ("55 11 98765 4321", ValidationError::PhoneCharacter),
            ("55119876543", ValidationError::PhoneLength),
            ("5510987654321", ValidationError::PhoneAreaCode),
            ("0123456789", ValidationError::PhoneCountryCode),
            ("", ValidationError::PhoneLength),
        ];
        for (input, want) in bad {
            assert_eq!(PhoneNumber::from_whatsapp_id(input), Err(want), "{input}");
        }
    }

    #[test]
    fn accessors() {
        let mobile = PhoneNumber::parse_br("(11) 98765-4321").unwrap();
        assert!(mobile.is_mobile());
        assert!(mobile.is_brazilian());
        assert_eq!(mobile.ddd(), Some(11));
        assert_eq!(mobile.whatsapp_id(), "5511987654321");
        let landline = PhoneNumber::parse_br("(11) 3456-7890").unwrap();
        assert!(!landline.is_mobile());
        assert_eq!(landline.ddd(), Some(11));
        let us = PhoneNumber::parse_e164("+1 415 555 2671").unwrap();
        assert!(!us.is_mobile());
        assert!(!us.is_brazilian());
        assert_eq!(us.ddd(), None);
        assert_eq!(us.whatsapp_id(), "14155552671");
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let mobile = PhoneNumber::parse_br("(11) 98765-4321").unwrap();
        assert_eq!(format!("{mobile:?}"), "PhoneNumber(+55 11 *****-**21)");
        assert_eq!(mobile.to_string(), "PhoneNumber(+55 11 *****-**21)");
        let landline = PhoneNumber::parse_br("(21) 3456-7890").unwrap();
        assert_eq!(format!("{landline:?}"), "PhoneNumber(+55 21 ****-**90)");
        let us = PhoneNumber::parse_e164("+1 415 555 2671").unwrap();
        assert_eq!(format!("{us:?}"), "PhoneNumber(+*********71)");
    }

    #[test]
    fn serde_round_trip() {
        let phone = PhoneNumber::parse_br("(11) 98765-4321").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+5511987654321\"");
        let back: PhoneNumber = serde_json::from_str("\"+5511987654321\"").unwrap();
        assert_eq!(back, phone);
        let typed: PhoneNumber = serde_json::from_str("\"(11) 98765-4321\"").unwrap();
        assert_eq!(typed, phone);
        assert!(serde_json::from_str::<PhoneNumber>("\"(10) 98765-4321\"").is_err());
        assert_eq!(PhoneNumber::try_from(String::from("11987654321")).unwrap(), phone);
        assert_eq!(
            "+14155552671".parse::<PhoneNumber>().unwrap().e164(),
            "+14155552671"
        );
    }

    fn ddd() -> impl Strategy<Value = u8> {
        proptest::sample::select(DDDS.to_vec())
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = PhoneNumber::parse(&s);
            let _ = PhoneNumber::parse_br(&s);
            let _ = PhoneNumber::parse_e164(&s);
            let _ = PhoneNumber::from_whatsapp_id(&s);
        }

        #[test]
        fn parse_never_panics_on_phone_like_input(s in "[+0-9() .\\-]{0,24}") {
            if let Ok(p) = PhoneNumber::parse(&s) {
                let _ = format!("{p:?}");
                prop_assert!(p.e164().starts_with('+'));
            }
            let _ = PhoneNumber::from_whatsapp_id(&s);
        }

        /// Every output re-parses to itself, through each entry point.
        #[test]
        fn e164_reparses(ddd in ddd(), sub in "9[0-9]{8}|[2-5][0-9]{7}") {
            let phone = PhoneNumber::parse_br(&format!("({ddd}) {sub}")).unwrap();
            prop_assert_eq!(PhoneNumber::parse(phone.e164()).unwrap(), phone.clone());
            prop_assert_eq!(PhoneNumber::parse_e164(phone.e164()).unwrap(), phone.clone());
            prop_assert_eq!(PhoneNumber::parse_br(phone.e164()).unwrap(), phone.clone());
            prop_assert_eq!(PhoneNumber::from_whatsapp_id(phone.whatsapp_id()).unwrap(), phone.clone());
            prop_assert_eq!(phone.is_mobile(), sub.len() == 9);
        }

        #[test]
        fn legacy_mobile_gains_ninth_digit(ddd in ddd(), sub in "[6-9][0-9]{7}") {
            let modern = format!("+55{ddd}9{sub}");
            let typed = PhoneNumber::parse_br(&format!("{ddd}{sub}")).unwrap();
            let wa = PhoneNumber::from_whatsapp_id(&format!("55{ddd}{sub}")).unwrap();
            prop_assert_eq!(typed.e164(), modern.as_str());
            prop_assert_eq!(wa.e164(), modern.as_str());
        }

        #[test]
        fn international_reparses(digits in "[1-9][0-9]{7,14}") {
            if let Ok(phone) = PhoneNumber::parse_e164(&format!("+{digits}")) {
                prop_assert_eq!(PhoneNumber::parse(phone.e164()).unwrap(), phone.clone());
                prop_assert_eq!(PhoneNumber::from_whatsapp_id(phone.whatsapp_id()).unwrap(), phone);
            } else {
                // Only +55 numbers get extra rules.
                prop_assert!(digits.starts_with("55"));
            }
        }

        #[test]
        fn debug_never_contains_digits(ddd in ddd(), sub in "9[0-9]{8}|[2-5][0-9]{7}") {
            let phone = PhoneNumber::parse_br(&format!("{ddd}{sub}")).unwrap();
            let shown = format!("{phone:?} {phone}");
            prop_assert!(!shown.contains(phone.whatsapp_id()));
            prop_assert!(!shown.contains(&sub));
            prop_assert!(!shown.contains(&sub[..sub.len() - 2]));
            // Country code, DDD and last two digits, twice: 12 digits at most.
            prop_assert!(shown.chars().filter(char::is_ascii_digit).count() <= 12);
        }

        #[test]
        fn debug_never_contains_digits_international(digits in "[1-46-9][0-9]{7,14}") {
            let phone = PhoneNumber::parse_e164(&format!("+{digits}")).unwrap();
            let shown = format!("{phone:?}");
            prop_assert!(!shown.contains(&digits));
            prop_assert!(shown.chars().filter(char::is_ascii_digit).count() <= 2);
        }
    }
}
