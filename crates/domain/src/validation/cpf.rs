//! CPF (Cadastro de Pessoas Físicas), the Brazilian individual taxpayer number.
//!
//! A CPF identifies a person, so it is personal data: `Debug` and `Display` are redacted and errors
//! never echo it. Serialization does expose the digits, because the API/storage layer is the one
//! that decides when exposure is allowed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError, mod11_digit};

/// A valid CPF, stored as its 11 digits (no mask).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpf(String);

impl Cpf {
    /// Parses a CPF with or without the `000.000.000-00` mask.
    ///
    /// Strips surrounding whitespace and any `.`/`-`; every other character is an error. The ten
    /// repeated-digit numbers pass the checksum, so they are rejected explicitly.
    pub fn parse(input: &str) -> Result<Cpf, ValidationError> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::CpfLength);
        }
        let mut digits = [0u8; 11];
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
                _ => return Err(ValidationError::CpfCharacter),
            }
        }
        if count != 11 {
            return Err(ValidationError::CpfLength);
        }
        let [b0, b1, b2, b3, b4, b5, b6, b7, b8, dv1, dv2] = digits;
        if digits.iter().all(|&d| d == b0) {
            return Err(ValidationError::CpfRepeatedDigits);
        }
        if cpf_check_digits(&[b0, b1, b2, b3, b4, b5, b6, b7, b8]) != [dv1, dv2] {
            return Err(ValidationError::CpfCheckDigits);
        }
        let text = digits.iter().map(|&d| char::from(b'0' + d)).collect();
        Ok(Cpf(text))
    }

    /// The 11 digits without mask, e.g. `52998224725`.
    #[must_use]
    pub fn as_digits(&self) -> &str {
        &self.0
    }

    /// The usual mask, `529.982.247-25`.
    #[must_use]
    pub fn formatted(&self) -> String {
        let mut out = String::with_capacity(14);
        for (i, c) in self.0.chars().enumerate() {
            match i {
                3 | 6 => out.push('.'),
                9 => out.push('-'),
                _ => {}
            }
            out.push(c);
        }
        out
    }

    /// A form safe to show a user who must recognise their own CPF: only the last 4 digits,
    /// e.g. `***.***.*47-25`.
    #[must_use]
    pub fn masked(&self) -> String {
        let mut out = String::with_capacity(14);
        for (i, c) in self.0.chars().enumerate() {
            match i {
                3 | 6 => out.push('.'),
                9 => out.push('-'),
                _ => {}
            }
            out.push(if i < 7 { '*' } else { c });
        }
        out
    }
}

/// Computes the two CPF check digits for 9 base digits.
///
/// Each element of `base9` is a digit value `0..=9` (not ASCII); the result is also two digit
/// values. Public so that tests and seeders can build valid CPFs.
#[must_use]
pub fn cpf_check_digits(base9: &[u8; 9]) -> [u8; 2] {
    let weighted = |digits: &mut dyn Iterator<Item = u8>, top: u32| -> u32 {
        digits.zip((2..=top).rev()).map(|(d, w)| u32::from(d) * w).sum()
    };
    let dv1 = mod11_digit(weighted(&mut base9.iter().copied(), 10));
    let dv2 = mod11_digit(weighted(
        &mut base9.iter().copied().chain(std::iter::once(dv1)),
        11,
    ));
    [dv1, dv2]
}

impl fmt::Debug for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpf(***)")
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpf(***)")
    }
}

impl FromStr for Cpf {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpf::parse(s)
    }
}

impl TryFrom<String> for Cpf {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cpf::parse(&value)
    }
}

impl TryFrom<&str> for Cpf {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Cpf::parse(value)
    }
}

impl From<Cpf> for String {
    fn from(value: Cpf) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &[&str] = &[
        "529.982.247-25",
        "52998224725",
        "111.444.777-35",
        "123.456.789-09",
        "000.000.001-91",
        "935.411.347-80",
        "987.654.321-00",
        "390.533.447-05",
        "972.997.528-08",
    ];

    #[test]
    fn valid_vectors() {
        for v in VALID {
            let cpf = Cpf::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(cpf.as_digits(), digits);
        }
    }

    #[test]
    fn invalid_vectors() {
        let cases = [
            ("529.982.247-24", ValidationError::CpfCheckDigits),
            ("12345678900", ValidationError::CpfCheckDigits),
            ("111.111.111-11", ValidationError::CpfRepeatedDigits),
            ("000.000.000-00", ValidationError::CpfRepeatedDigits),
            ("5299822472", ValidationError::CpfLength),
            ("529.982.247-2a", ValidationError::CpfCharacter),
            ("", ValidationError::CpfLength),
            ("529982247255", ValidationError::CpfLength),
            ("529 982 247 25", ValidationError::CpfCharacter),
            ("529/982/247-25", ValidationError::CpfCharacter),
            ("５２９９８２２４７２５", ValidationError::CpfCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(Cpf::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn all_repeated_numbers_rejected() {
        for d in 0..=9u8 {
            let s: String = std::iter::repeat_n(char::from(b'0' + d), 11).collect();
            assert_eq!(Cpf::parse(&s), Err(ValidationError::CpfRepeatedDigits));
            // They do pass the checksum, which is why the explicit check exists.
            assert_eq!(cpf_check_digits(&[d; 9]), [d, d]);
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert!(Cpf::parse("  529.982.247-25\n").is_ok());
        assert!(Cpf::parse("\t52998224725 ").is_ok());
    }

    #[test]
    fn formatting_and_masking() {
        let cpf = Cpf::parse("52998224725").unwrap();
        assert_eq!(cpf.formatted(), "529.982.247-25");
        assert_eq!(cpf.masked(), "***.***.*47-25");
        assert_eq!(cpf.as_digits(), "52998224725");
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let cpf = Cpf::parse("529.982.247-25").unwrap();
        assert_eq!(format!("{cpf:?}"), "Cpf(***)");
        assert_eq!(format!("{cpf}"), "Cpf(***)");
        assert_eq!(format!("{:?}", Some(&cpf)), "Some(Cpf(***))");
    }

    #[test]
    fn errors_do_not_echo_input() {
        let err = Cpf::parse("529.982.247-24").unwrap_err();
        assert_eq!(err.to_string(), "CPF check digits do not match");
        assert!(!format!("{err:?}").contains("529"));
        assert_eq!(err.code(), "invalid_cpf_check_digits");
    }

    #[test]
    fn serde_uses_digits_and_validates() {
        let cpf = Cpf::parse("529.982.247-25").unwrap();
        assert_eq!(serde_json::to_string(&cpf).unwrap(), "\"52998224725\"");
        let back: Cpf = serde_json::from_str("\"529.982.247-25\"").unwrap();
        assert_eq!(back, cpf);
        assert!(serde_json::from_str::<Cpf>("\"52998224724\"").is_err());
        assert!(serde_json::from_str::<Cpf>("52998224725").is_err());
    }

    #[test]
    fn from_str_and_try_from_agree_with_parse() {
        let a: Cpf = "529.982.247-25".parse().unwrap();
        let b = Cpf::try_from(String::from("52998224725")).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            "529.982.247-24".parse::<Cpf>(),
            Err(ValidationError::CpfCheckDigits)
        );
    }

    /// The mod-11 rule maps remainders 0 and 1 to the same digit, so a few single-digit changes
    /// to the base are not detected. This pins down one such case so nobody "fixes" it.
    #[test]
    fn checksum_does_not_catch_every_single_digit_change() {
        // Changing the first digit moves S1 mod 11 between 0 and 1 (both give DV1 = 0) and the
        // first digit's DV2 weight is 11 = 0 mod 11, so both numbers are genuinely valid.
        assert!(Cpf::parse("000.000.006-04").is_ok());
        assert!(Cpf::parse("100.000.006-04").is_ok());
    }

    fn cpf_text(base: &[u8; 9]) -> String {
        let dv = cpf_check_digits(base);
        base.iter()
            .chain(dv.iter())
            .map(|&d| char::from(b'0' + d))
            .collect()
    }

    proptest! {
        #[test]
        fn generated_cpfs_are_valid(base in proptest::array::uniform9(0u8..10)) {
            let text = cpf_text(&base);
            let result = Cpf::parse(&text);
            if base.iter().all(|&d| d == base[0]) {
                prop_assert_eq!(result, Err(ValidationError::CpfRepeatedDigits));
            } else {
                let cpf = result.unwrap();
                prop_assert_eq!(cpf.as_digits(), text.as_str());
            }
        }

        /// Changing a check digit is always caught. Changing a base digit is caught unless the
        /// new base happens to have the same check digits (mod-11 collapses r = 0 and r = 1), in
        /// which case the number is genuinely valid.
        #[test]
        fn changing_one_digit_invalidates(
            base in proptest::array::uniform9(0u8..10),
            pos in 0usize..11,
            delta in 1u8..10,
        ) {
            prop_assume!(base.iter().any(|&d| d != base[0]));
            let mut digits: Vec<u8> = cpf_text(&base).bytes().map(|b| b - b'0').collect();
            digits[pos] = (digits[pos] + delta) % 10;
            let text: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
            let result = Cpf::parse(&text);
            if pos >= 9 {
                prop_assert_eq!(result, Err(ValidationError::CpfCheckDigits));
            } else {
                let mut new_base = [0u8; 9];
                new_base.copy_from_slice(&digits[..9]);
                let undetectable = cpf_check_digits(&new_base) == cpf_check_digits(&base);
                prop_assert_eq!(result.is_ok(), undetectable);
                if undetectable {
                    // Only possible when a remainder moved between 0 and 1.
                    let s1 = |b: &[u8; 9]| -> u32 {
                        b.iter().zip((2..=10u32).rev()).map(|(&d, w)| u32::from(d) * w).sum::<u32>() % 11
                    };
                    prop_assert!(s1(&base) < 2 && s1(&new_base) < 2);
                }
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Cpf::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_cpf_like_input(s in "[0-9.\\- ]{0,20}") {
            let _ = Cpf::parse(&s);
        }

        #[test]
        fn formatted_reparses(base in proptest::array::uniform9(0u8..10)) {
            prop_assume!(base.iter().any(|&d| d != base[0]));
            let cpf = Cpf::parse(&cpf_text(&base)).unwrap();
            prop_assert_eq!(Cpf::parse(&cpf.formatted()).unwrap(), cpf.clone());
            prop_assert_eq!(Cpf::parse(cpf.as_digits()).unwrap(), cpf);
        }

        #[test]
        fn debug_never_contains_digits(base in proptest::array::uniform9(0u8..10)) {
            prop_assume!(base.iter().any(|&d| d != base[0]));
            let cpf = Cpf::parse(&cpf_text(&base)).unwrap();
            let debug = format!("{cpf:?} {cpf}");
            prop_assert!(!debug.contains(cpf.as_digits()));
            prop_assert!(!debug.contains(&cpf.formatted()));
            prop_assert!(!debug.chars().any(|c| c.is_ascii_digit()));
        }
    }
}
