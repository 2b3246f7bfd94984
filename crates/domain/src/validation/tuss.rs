//! TUSS (Terminologia Unificada da Saúde Suplementar) procedure codes, as used in TISS guides.
//!
//! Codes have 8 digits, the last a mod-11 check digit; checking it catches typos before a guide
//! reaches the operator. Whether a code exists needs the ANS table, which is not compiled in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError, mod11_digit};

/// A TUSS code with a valid check digit, stored as 8 digits (e.g. `40304361`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TussCode(String);

impl TussCode {
    /// Parses an 8-digit TUSS code. Surrounding whitespace and the `.`/`-` of the CBHPM-style
    /// mask (`4.03.04.36-1`) are ignored; anything else is an error.
    pub fn parse(input: &str) -> Result<TussCode, ValidationError> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::TussFormat);
        }
        let mut digits = [0u8; 8];
        let mut count = 0usize;
        for b in trimmed.bytes() {
            match b {
                b'.' | b'-' => {}
                b'0'..=b'9' => {
                    if let Some(slot) = digits.get_mut(count) {
                        *slot = b - b'0';
                    }
                    count += 1;
                }
                _ => return Err(ValidationError::TussFormat),
            }
        }
        if count != 8 {
            return Err(ValidationError::TussFormat);
        }
        let [d0, d1, d2, d3, d4, d5, d6, dv] = digits;
        if tuss_check_digit(&[d0, d1, d2, d3, d4, d5, d6]) != dv {
            return Err(ValidationError::TussCheckDigit);
        }
        Ok(TussCode(digits.iter().map(|&d| char::from(b'0' + d)).collect()))
    }

    /// The 8 digits, e.g. `40304361`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The CBHPM-style mask, `4.03.04.36-1`.
    #[must_use]
    pub fn formatted(&self) -> String {
        let mut out = String::with_capacity(12);
        for (i, c) in self.0.chars().enumerate() {
            match i {
                1 | 3 | 5 => out.push('.'),
                7 => out.push('-'),
                _ => {}
            }
            out.push(c);
        }
        out
    }
}

/// Computes the TUSS check digit of 7 base digits (values `0..=9`, not ASCII): mod 11 with
/// weights 2..8 from right to left, 0 if the remainder is below 2, else 11 − remainder. Public so
/// that tests and seeders can build valid codes.
#[must_use]
pub fn tuss_check_digit(base7: &[u8; 7]) -> u8 {
    let sum: u32 = base7
        .iter()
        .rev()
        .zip(2u32..=8)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    mod11_digit(sum)
}

impl fmt::Display for TussCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TussCode {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TussCode::parse(s)
    }
}

impl TryFrom<String> for TussCode {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TussCode::parse(&value)
    }
}

impl TryFrom<&str> for TussCode {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        TussCode::parse(value)
    }
}

impl From<TussCode> for String {
    fn from(value: TussCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_vectors() {
        for v in ["10101012", "10101039", "40304361", "40808041"] {
            let code = TussCode::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(code.as_str(), v);
        }
        assert_eq!(TussCode::parse("4.03.04.36-1").unwrap().as_str(), "40304361");
        assert_eq!(TussCode::parse(" 10101012 ").unwrap().as_str(), "10101012");
    }

    #[test]
    fn invalid_vectors() {
        let cases = [
            ("10101013", ValidationError::TussCheckDigit),
            ("40304362", ValidationError::TussCheckDigit),
            ("1010101", ValidationError::TussFormat),
            ("101010120", ValidationError::TussFormat),
            ("", ValidationError::TussFormat),
            ("1010101A", ValidationError::TussFormat),
            ("1010 1012", ValidationError::TussFormat),
        ];
        for (input, want) in cases {
            assert_eq!(TussCode::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn check_digit_function() {
        assert_eq!(tuss_check_digit(&[1, 0, 1, 0, 1, 0, 1]), 2);
        assert_eq!(tuss_check_digit(&[1, 0, 1, 0, 1, 0, 3]), 9);
        assert_eq!(tuss_check_digit(&[4, 0, 3, 0, 4, 3, 6]), 1);
        assert_eq!(tuss_check_digit(&[4, 0, 8, 0, 8, 0, 4]), 1);
    }

    #[test]
    fn formatting_serde_traits() {
        let code: TussCode = "40304361".parse().unwrap();
        assert_eq!(code.formatted(), "4.03.04.36-1");
        assert_eq!(code.to_string(), "40304361");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"40304361\"");
        assert_eq!(serde_json::from_str::<TussCode>("\"40304361\"").unwrap(), code);
        assert!(serde_json::from_str::<TussCode>("\"40304362\"").is_err());
        assert_eq!(TussCode::try_from(String::from("4.03.04.36-1")).unwrap(), code);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = TussCode::parse(&s);
        }

        #[test]
        fn generated_codes_are_valid_and_reparse(base in proptest::array::uniform7(0u8..10)) {
            let dv = tuss_check_digit(&base);
            let text: String = base.iter().chain(std::iter::once(&dv)).map(|&d| char::from(b'0' + d)).collect();
            let code = TussCode::parse(&text).unwrap();
            prop_assert_eq!(TussCode::parse(&code.formatted()).unwrap(), code.clone());
            prop_assert_eq!(code.as_str(), text.as_str());
            for wrong in (0..=9u8).filter(|&d| d != dv) {
                let bad = format!("{}{wrong}", &text[..7]);
                prop_assert_eq!(TussCode::parse(&bad), Err(ValidationError::TussCheckDigit));
            }
        }
    }
}
