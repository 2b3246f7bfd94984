//! CNPJ (Cadastro Nacional da Pessoa Jurídica), the Brazilian company number.
//!
//! Since July 2026 new CNPJs may be alphanumeric (IN RFB 2.229/2024): 12 base characters in
//! `[0-9A-Z]` followed by 2 numeric check digits, each character valued at ASCII − 48. Numeric
//! CNPJs are the special case where every base character is a digit, so one algorithm covers both.
//! A CNPJ identifies a company, not a person, so it is not redacted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError, mod11_digit};

const DV1_WEIGHTS: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const DV2_WEIGHTS: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/// A valid CNPJ: 14 upper-case ASCII characters without mask. Stored as text (TISS `st_CNPJ`,
/// `varchar(14)`), never as an integer, because of alphanumeric numbers and leading zeros.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cnpj(String);

impl Cnpj {
    /// Parses a CNPJ with or without the `XX.XXX.XXX/XXXX-DD` mask.
    ///
    /// Strips surrounding whitespace and any `.`, `/`, `-`; upper-cases letters (lower case is
    /// accepted as a policy choice: people type it); rejects every other character, letters in
    /// the check digits, all-same values (they pass the checksum) and wrong check digits.
    pub fn parse(input: &str) -> Result<Cnpj, ValidationError> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::CnpjLength);
        }
        let mut chars = [0u8; 14];
        let mut count = 0usize;
        for b in trimmed.bytes() {
            match b {
                b'.' | b'/' | b'-' => {}
                b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                    if let Some(slot) = chars.get_mut(count) {
                        *slot = b.to_ascii_uppercase();
                    }
                    count += 1;
                }
                _ => return Err(ValidationError::CnpjCharacter),
            }
        }
        if count != 14 {
            return Err(ValidationError::CnpjLength);
        }
        let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, dv1, dv2] = chars;
        if !dv1.is_ascii_digit() || !dv2.is_ascii_digit() {
            return Err(ValidationError::CnpjCharacter);
        }
        if chars.iter().all(|&c| c == c0) {
            return Err(ValidationError::CnpjRepeatedCharacters);
        }
        let expected = cnpj_check_digits(&[c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11])?;
        if expected != [dv1 - b'0', dv2 - b'0'] {
            return Err(ValidationError::CnpjCheckDigits);
        }
        Ok(Cnpj(chars.iter().map(|&c| char::from(c)).collect()))
    }

    /// The 14 characters without mask, e.g. `12ABC34501DE35`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 8-character root shared by all establishments (branches) of one company.
    #[must_use]
    pub fn root(&self) -> &str {
        self.0.get(..8).unwrap_or_default()
    }

    /// Whether the base contains letters (a CNPJ issued under IN RFB 2.229/2024).
    #[must_use]
    pub fn is_alphanumeric(&self) -> bool {
        self.0.bytes().any(|b| b.is_ascii_uppercase())
    }

    /// The usual mask, `12.ABC.345/01DE-35`.
    #[must_use]
    pub fn formatted(&self) -> String {
        let mut out = String::with_capacity(18);
        for (i, c) in self.0.chars().enumerate() {
            match i {
                2 | 5 => out.push('.'),
                8 => out.push('/'),
                12 => out.push('-'),
                _ => {}
            }
            out.push(c);
        }
        out
    }
}

/// Computes the two CNPJ check digits for a 12-character base.
///
/// `base12` holds ASCII bytes in `[0-9A-Z]` (upper case only); anything else is
/// [`ValidationError::CnpjCharacter`]. The result holds digit values `0..=9`, not ASCII. Public so
/// that tests and seeders can build valid CNPJs.
pub fn cnpj_check_digits(base12: &[u8; 12]) -> Result<[u8; 2], ValidationError> {
    let mut values = [0u32; 12];
    for (value, &b) in values.iter_mut().zip(base12.iter()) {
        if !(b.is_ascii_digit() || b.is_ascii_uppercase()) {
            return Err(ValidationError::CnpjCharacter);
        }
        // ASCII − 48: '0'..='9' → 0..=9, 'A'..='Z' → 17..=42 (not 10..=35).
        *value = u32::from(b - b'0');
    }
    let s1: u32 = values.iter().zip(DV1_WEIGHTS.iter()).map(|(v, w)| v * w).sum();
    let dv1 = mod11_digit(s1);
    let s2: u32 = values
        .iter()
        .copied()
        .chain(std::iter::once(u32::from(dv1)))
        .zip(DV2_WEIGHTS.iter())
        .map(|(v, w)| v * w)
        .sum();
    Ok([dv1, mod11_digit(s2)])
}

impl fmt::Debug for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cnpj").field(&self.0).finish()
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl FromStr for Cnpj {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cnpj::parse(s)
    }
}

impl TryFrom<String> for Cnpj {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cnpj::parse(&value)
    }
}

impl TryFrom<&str> for Cnpj {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Cnpj::parse(value)
    }
}

impl From<Cnpj> for String {
    fn from(value: Cnpj) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID_NUMERIC: &[&str] = &[
        "11.222.333/0001-81",
        "11.444.777/0001-61",
        "60.701.190/0001-04",
        "00.000.000/0001-91",
        "97.971.147/0001-60",
        "07.529.170/0001-07",
    ];

    const VALID_ALNUM: &[&str] = &[
        "12.ABC.345/01DE-35",
        "12ABC34501DE35",
        "A1.B2C.3D4/E5F6-68",
        "AB.CDE.FGH/IJKL-80",
        "00.000.000/AB12-15",
        "AB.CDE.FGH/0001-95",
        "12.345.678/ABCD-06",
        "ZB.6CN.6Z4/3DVY-04",
    ];

    fn strip(v: &str) -> String {
        v.chars().filter(char::is_ascii_alphanumeric).collect()
    }

    #[test]
    fn valid_vectors() {
        for v in VALID_NUMERIC.iter().chain(VALID_ALNUM) {
            let cnpj = Cnpj::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(cnpj.as_str(), strip(v));
            if v.len() == 18 {
                assert_eq!(cnpj.formatted(), *v);
            }
        }
    }

    #[test]
    fn invalid_vectors() {
        let cases = [
            ("11.444.777/0001-62", ValidationError::CnpjCheckDigits),
            ("00.000.000/0000-00", ValidationError::CnpjRepeatedCharacters),
            ("11.111.111/1111-11", ValidationError::CnpjRepeatedCharacters),
            ("12.ABC.345/01DE-36", ValidationError::CnpjCheckDigits),
            ("12.ABC.345/01DE-3A", ValidationError::CnpjCharacter),
            ("12.AB$.345/01DE-35", ValidationError::CnpjCharacter),
            ("", ValidationError::CnpjLength),
            ("11.222.333/0001-8", ValidationError::CnpjLength),
            ("11.222.333/0001-811", ValidationError::CnpjLength),
            ("11 222 333 0001 81", ValidationError::CnpjCharacter),
            ("12.ÀBC.345/01DE-35", ValidationError::CnpjCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(Cnpj::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn all_same_values_rejected() {
        for c in (b'0'..=b'9').chain(b'A'..=b'Z') {
            let s: String = std::iter::repeat_n(char::from(c), 14).collect();
            assert!(Cnpj::parse(&s).is_err(), "{s}");
        }
        // The zero CNPJ is the one that passes the checksum.
        assert_eq!(cnpj_check_digits(&[b'0'; 12]), Ok([0, 0]));
    }

    #[test]
    fn official_example() {
        assert_eq!(cnpj_check_digits(b"12ABC34501DE"), Ok([3, 5]));
        let cnpj = Cnpj::parse("12ABC34501DE35").unwrap();
        assert_eq!(cnpj.formatted(), "12.ABC.345/01DE-35");
        assert_eq!(cnpj.root(), "12ABC345");
        assert!(cnpj.is_alphanumeric());
        assert!(!Cnpj::parse("11.222.333/0001-81").unwrap().is_alphanumeric());
    }

    /// Guards against the A=10 (ASCII − 55) variant seen in public code.
    #[test]
    fn letters_use_ascii_minus_48() {
        let wrong: u32 = [1u32, 2, 10, 11, 12, 3, 4, 5, 0, 1, 13, 14]
            .iter()
            .zip(DV1_WEIGHTS.iter())
            .map(|(v, w)| v * w)
            .sum();
        assert_ne!(mod11_digit(wrong), 3);
        assert_eq!(cnpj_check_digits(b"12ABC34501DE").unwrap()[0], 3);
    }

    #[test]
    fn lowercase_is_uppercased() {
        let cnpj = Cnpj::parse("12.abc.345/01de-35").unwrap();
        assert_eq!(cnpj.as_str(), "12ABC34501DE35");
        assert_eq!(cnpj, Cnpj::parse("12.ABC.345/01DE-35").unwrap());
    }

    #[test]
    fn check_digit_fn_rejects_bad_characters() {
        assert_eq!(
            cnpj_check_digits(b"12abc34501de"),
            Err(ValidationError::CnpjCharacter)
        );
        assert_eq!(
            cnpj_check_digits(b"12.BC34501DE"),
            Err(ValidationError::CnpjCharacter)
        );
    }

    #[test]
    fn display_debug_serde() {
        let cnpj = Cnpj::parse("11222333000181").unwrap();
        assert_eq!(cnpj.to_string(), "11.222.333/0001-81");
        assert_eq!(format!("{cnpj:?}"), "Cnpj(\"11222333000181\")");
        assert_eq!(serde_json::to_string(&cnpj).unwrap(), "\"11222333000181\"");
        let back: Cnpj = serde_json::from_str("\"11.222.333/0001-81\"").unwrap();
        assert_eq!(back, cnpj);
        assert!(serde_json::from_str::<Cnpj>("\"11222333000182\"").is_err());
        let a: Cnpj = "12ABC34501DE35".parse().unwrap();
        assert_eq!(Cnpj::try_from(String::from("12.ABC.345/01DE-35")).unwrap(), a);
    }

    /// Values differing by 11 (e.g. 'A' = 17 and 'L' = 28, or '6' = 6 and 'A' = 17) weigh the
    /// same mod 11, so the alphanumeric checksum cannot catch that substitution. Documented here
    /// so that nobody mistakes it for a bug in this code.
    #[test]
    fn substitutions_differing_by_11_are_undetectable() {
        assert!(Cnpj::parse("12.ABC.345/01DE-35").is_ok());
        assert!(Cnpj::parse("12.LBC.345/01DE-35").is_ok());
        assert!(Cnpj::parse("12.ABC.345/01DE-35".replace('A', "6").as_str()).is_ok());
    }

    fn cnpj_text(base: &[u8; 12]) -> String {
        let dv = cnpj_check_digits(base).unwrap();
        base.iter()
            .copied()
            .chain(dv.iter().map(|d| b'0' + d))
            .map(char::from)
            .collect()
    }

    fn value(c: u8) -> u32 {
        u32::from(c - b'0')
    }

    fn alnum() -> impl Strategy<Value = u8> {
        prop_oneof![b'0'..=b'9', b'A'..=b'Z']
    }

    proptest! {
        #[test]
        fn generated_cnpjs_are_valid(base in proptest::array::uniform12(alnum())) {
            let text = cnpj_text(&base);
            let result = Cnpj::parse(&text);
            if text.bytes().all(|c| Some(c) == text.bytes().next()) {
                prop_assert_eq!(result, Err(ValidationError::CnpjRepeatedCharacters));
            } else {
                let cnpj = result.unwrap();
                prop_assert_eq!(cnpj.as_str(), text.as_str());
            }
        }

        #[test]
        fn generated_numeric_cnpjs_are_valid(base in proptest::array::uniform12(b'0'..=b'9')) {
            let text = cnpj_text(&base);
            prop_assume!(base.iter().any(|&c| c != base[0]));
            prop_assert!(Cnpj::parse(&text).is_ok());
        }

        /// Changing a check digit is always caught. Changing a base character is caught unless
        /// the new base has the same check digits, which the math allows only when the values
        /// differ by a multiple of 11 or a remainder moves between 0 and 1.
        #[test]
        fn changing_one_character_invalidates(
            base in proptest::array::uniform12(alnum()),
            pos in 0usize..14,
            replacement in alnum(),
        ) {
            let text = cnpj_text(&base);
            prop_assume!(!text.bytes().all(|c| Some(c) == text.bytes().next()));
            let mut bytes = text.clone().into_bytes();
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let mutated = String::from_utf8(bytes.clone()).unwrap();
            prop_assume!(!bytes.iter().all(|&c| c == bytes[0]));
            let result = Cnpj::parse(&mutated);
            if pos >= 12 {
                prop_assert!(result.is_err());
            } else {
                let mut new_base = [0u8; 12];
                new_base.copy_from_slice(&bytes[..12]);
                let same = cnpj_check_digits(&new_base) == cnpj_check_digits(&base);
                prop_assert_eq!(result.is_ok(), same);
                if same {
                    let s1 = |b: &[u8; 12]| -> u32 {
                        b.iter().zip(DV1_WEIGHTS.iter()).map(|(&c, w)| value(c) * w).sum::<u32>() % 11
                    };
                    let multiple_of_11 = value(base[pos]).abs_diff(value(replacement)).is_multiple_of(11);
                    prop_assert!(multiple_of_11 || (s1(&base) < 2 && s1(&new_base) < 2));
                }
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Cnpj::parse(&s);
            if let Ok(bytes) = <[u8; 12]>::try_from(s.as_bytes()) {
                let _ = cnpj_check_digits(&bytes);
            }
        }

        #[test]
        fn parse_never_panics_on_cnpj_like_input(s in "[0-9A-Za-z./\\- ]{0,24}") {
            let _ = Cnpj::parse(&s);
        }

        #[test]
        fn formatted_reparses(base in proptest::array::uniform12(alnum())) {
            let text = cnpj_text(&base);
            if let Ok(cnpj) = Cnpj::parse(&text) {
                prop_assert_eq!(Cnpj::parse(&cnpj.formatted()).unwrap(), cnpj.clone());
                prop_assert_eq!(Cnpj::parse(&cnpj.formatted().to_ascii_lowercase()).unwrap(), cnpj);
            }
        }
    }
}
