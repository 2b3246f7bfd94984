//! CID-10 (the Brazilian ICD-10) diagnosis codes.
//!
//! Only the shape is checked (`^[A-Z][0-9]{2}(\.?[0-9])?$`): whether a code exists needs the
//! DATASUS table, which is loaded at deploy time, not compiled in. A bare code is not personal
//! data, but a code next to a patient is a diagnosis (LGPD art. 11), so errors never echo it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError};

/// A CID-10 code normalised to the dotted form: category `A00` or subcategory `A00.0`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cid10(String);

impl Cid10 {
    /// Parses `A00`, `A00.0` or the DATASUS/TISS form without the dot, `A000`. Lower case and
    /// surrounding whitespace are accepted.
    pub fn parse(input: &str) -> Result<Cid10, ValidationError> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::Cid10Format);
        }
        let bytes = trimmed.as_bytes();
        let (letter, d1, d2, sub) = match *bytes {
            [l, d1, d2] => (l, d1, d2, None),
            [l, d1, d2, d3] | [l, d1, d2, b'.', d3] => (l, d1, d2, Some(d3)),
            _ => return Err(ValidationError::Cid10Format),
        };
        let digits_ok = [d1, d2].iter().chain(sub.iter()).all(u8::is_ascii_digit);
        if !letter.is_ascii_alphabetic() || !digits_ok {
            return Err(ValidationError::Cid10Format);
        }
        let mut code = String::with_capacity(5);
        code.push(char::from(letter.to_ascii_uppercase()));
        code.push(char::from(d1));
        code.push(char::from(d2));
        if let Some(d3) = sub {
            code.push('.');
            code.push(char::from(d3));
        }
        Ok(Cid10(code))
    }

    /// The normalised code, `A00` or `A00.0`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-character category, e.g. `J45` for `J45.9`.
    #[must_use]
    pub fn category(&self) -> &str {
        self.0.get(..3).unwrap_or_default()
    }

    /// Whether this is a subcategory (`A00.0`) rather than a category (`A00`).
    #[must_use]
    pub fn is_subcategory(&self) -> bool {
        self.0.len() == 5
    }

    /// The form without the dot used by DATASUS files and TISS `dm_diagnosticoCID10` (`A000`).
    #[must_use]
    pub fn datasus_code(&self) -> String {
        self.0.chars().filter(|&c| c != '.').collect()
    }
}

/// A diagnosis code is health data: `Debug` (what logs and panics print) shows only its chapter letter.
impl fmt::Debug for Cid10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid10({}**)", self.0.chars().next().unwrap_or('?'))
    }
}

impl fmt::Display for Cid10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cid10 {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cid10::parse(s)
    }
}

impl TryFrom<String> for Cid10 {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cid10::parse(&value)
    }
}

impl TryFrom<&str> for Cid10 {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Cid10::parse(value)
    }
}

impl From<Cid10> for String {
    fn from(value: Cid10) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_diagnosis() {
        let code = Cid10::parse("F32.1").unwrap();
        assert_eq!(format!("{code:?}"), "Cid10(F**)");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_forms_normalise() {
        let cases = [
            ("A00", "A00", "A00"),
            ("A00.0", "A00.0", "A00"),
            ("A000", "A00.0", "A00"),
            ("a00", "A00", "A00"),
            ("j45.9", "J45.9", "J45"),
            ("  J459\n", "J45.9", "J45"),
            ("U07.1", "U07.1", "U07"),
            ("Z99", "Z99", "Z99"),
        ];
        for (input, want, category) in cases {
            let code = Cid10::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(code.as_str(), want);
            assert_eq!(code.category(), category);
            assert_eq!(code.is_subcategory(), want.len() == 5);
        }
        assert_eq!(Cid10::parse("J45.9").unwrap().datasus_code(), "J459");
        assert_eq!(Cid10::parse("J45").unwrap().datasus_code(), "J45");
    }

    #[test]
    fn invalid_forms() {
        for input in [
            "", "A", "A0", "A0.0", "A00.", "A00.00", "A0000", "00A", "AA0", "A0A", "A00-0", "A00 0",
            "A00..0", ".A000", "Á00", "A00.٣", "J45.9X", "1234",
        ] {
            assert_eq!(Cid10::parse(input), Err(ValidationError::Cid10Format), "{input}");
        }
    }

    #[test]
    fn error_does_not_echo_input() {
        let err = Cid10::parse("F32.X").unwrap_err();
        assert!(!err.to_string().contains("F32"));
        assert!(!format!("{err:?}").contains("F32"));
    }

    #[test]
    fn serde_and_traits() {
        let code: Cid10 = "a000".parse().unwrap();
        assert_eq!(code.to_string(), "A00.0");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"A00.0\"");
        assert_eq!(serde_json::from_str::<Cid10>("\"A000\"").unwrap(), code);
        assert!(serde_json::from_str::<Cid10>("\"A0\"").is_err());
        assert_eq!(Cid10::try_from(String::from("A00.0")).unwrap(), code);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Cid10::parse(&s);
        }

        #[test]
        fn shaped_input_parses_and_reparses(s in "[A-Za-z][0-9]{2}(\\.?[0-9])?") {
            let code = Cid10::parse(&s).unwrap();
            prop_assert_eq!(Cid10::parse(code.as_str()).unwrap(), code.clone());
            prop_assert_eq!(Cid10::parse(&code.datasus_code()).unwrap(), code.clone());
            prop_assert_eq!(code.category(), &s[..3].to_ascii_uppercase());
        }
    }
}
