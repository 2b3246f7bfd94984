//! Validation of Brazilian identifiers and codes.
//!
//! Every type here is a "parsed, not validated" newtype: once a value exists it is known to be
//! well formed, so the rest of the system never re-checks it. The rules and test vectors come from
//! `shared/domain/BRAZIL.md` sections 1-4.
//!
//! Errors never carry the offending input: CPFs, phone numbers and diagnoses are personal (often
//! sensitive, LGPD art. 11) data, and error messages end up in logs and API responses.

mod cid10;
mod cnpj;
mod cpf;
mod licence;
mod phone;
mod tuss;

pub use cid10::Cid10;
pub use cnpj::{Cnpj, cnpj_check_digits};
pub use cpf::{Cpf, cpf_check_digits};
pub use licence::{CorenCategory, Council, Licence, LicenceRegion, Uf};
pub use phone::PhoneNumber;
pub use tuss::{TussCode, tuss_check_digit};

/// Why a value was rejected. Variants deliberately carry no part of the input (it may be PHI);
/// use [`ValidationError::code`] for a stable, machine-readable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The CPF does not have exactly 11 digits.
    #[error("CPF must have exactly 11 digits")]
    CpfLength,
    /// The CPF contains something other than digits, `.`, `-` and surrounding whitespace.
    #[error("CPF contains a character other than digits, '.' or '-'")]
    CpfCharacter,
    /// The CPF is one of the ten repeated-digit numbers, which pass the checksum but are invalid.
    #[error("CPF must not consist of a single repeated digit")]
    CpfRepeatedDigits,
    /// The CPF check digits do not match the base digits.
    #[error("CPF check digits do not match")]
    CpfCheckDigits,

    /// The CNPJ does not have exactly 14 characters.
    #[error("CNPJ must have exactly 14 characters")]
    CnpjLength,
    /// The CNPJ contains a character outside `[0-9A-Za-z]`, `.`, `/`, `-`, or a letter in a check digit.
    #[error("CNPJ contains an invalid character")]
    CnpjCharacter,
    /// The CNPJ consists of a single repeated character.
    #[error("CNPJ must not consist of a single repeated character")]
    CnpjRepeatedCharacters,
    /// The CNPJ check digits do not match the base characters.
    #[error("CNPJ check digits do not match")]
    CnpjCheckDigits,

    /// The phone number contains a character other than digits, spaces, `+`, `-`, `.`, `(`, `)`.
    #[error("phone number contains an invalid character")]
    PhoneCharacter,
    /// The phone number has the wrong number of digits.
    #[error("phone number has the wrong number of digits")]
    PhoneLength,
    /// The country code is missing, not Brazil where Brazil is required, or starts with 0.
    #[error("phone number has an invalid or unexpected country code")]
    PhoneCountryCode,
    /// The two-digit Brazilian area code (DDD) does not exist.
    #[error("phone number has an unknown Brazilian area code (DDD)")]
    PhoneAreaCode,
    /// The subscriber part is neither a 9-digit mobile starting with 9 nor an 8-digit landline
    /// starting with 2-5 (nor a legacy 8-digit mobile starting with 6-9).
    #[error("phone number is neither a valid Brazilian mobile nor landline number")]
    PhoneSubscriber,

    /// The CID-10 code does not have the shape `A00`, `A00.0` or `A000`.
    #[error("CID-10 code must look like A00, A00.0 or A000")]
    Cid10Format,

    /// The TUSS code is not exactly 8 digits.
    #[error("TUSS code must have exactly 8 digits")]
    TussFormat,
    /// The TUSS check digit does not match.
    #[error("TUSS check digit does not match")]
    TussCheckDigit,

    /// The licence text does not follow any accepted layout.
    #[error("professional licence is not in a recognised format")]
    LicenceFormat,
    /// The professional council acronym is unknown.
    #[error("unknown professional council")]
    LicenceCouncil,
    /// The licence region is invalid: unknown UF, CRP region outside 1..=24, or a UF where a CRP
    /// region is required (and vice versa).
    #[error("invalid licence region (UF or CRP region)")]
    LicenceRegion,
    /// The licence number is empty, has a non-digit or is longer than 15 digits.
    #[error("licence number must have 1 to 15 digits")]
    LicenceNumber,
    /// The COREN category is unknown, or a category was given for a council other than COREN.
    #[error("invalid COREN category, or category given for another council")]
    LicenceCategory,
    /// The text is not one of the 27 Brazilian federative units.
    #[error("unknown Brazilian federative unit (UF)")]
    Uf,
}

impl ValidationError {
    /// A stable snake_case code for API responses and metrics; never changes once published.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::CpfLength => "invalid_cpf_length",
            Self::CpfCharacter => "invalid_cpf_character",
            Self::CpfRepeatedDigits => "invalid_cpf_repeated_digits",
            Self::CpfCheckDigits => "invalid_cpf_check_digits",
            Self::CnpjLength => "invalid_cnpj_length",
            Self::CnpjCharacter => "invalid_cnpj_character",
            Self::CnpjRepeatedCharacters => "invalid_cnpj_repeated_characters",
            Self::CnpjCheckDigits => "invalid_cnpj_check_digits",
            Self::PhoneCharacter => "invalid_phone_character",
            Self::PhoneLength => "invalid_phone_length",
            Self::PhoneCountryCode => "invalid_phone_country_code",
            Self::PhoneAreaCode => "invalid_phone_area_code",
            Self::PhoneSubscriber => "invalid_phone_subscriber_number",
            Self::Cid10Format => "invalid_cid10_format",
            Self::TussFormat => "invalid_tuss_format",
            Self::TussCheckDigit => "invalid_tuss_check_digit",
            Self::LicenceFormat => "invalid_licence_format",
            Self::LicenceCouncil => "invalid_licence_council",
            Self::LicenceRegion => "invalid_licence_region",
            Self::LicenceNumber => "invalid_licence_number",
            Self::LicenceCategory => "invalid_licence_category",
            Self::Uf => "invalid_uf",
        }
    }
}

/// Longest input any parser looks at. Real values are far shorter; the cap keeps hostile input
/// from costing allocations proportional to its size.
pub(crate) const MAX_INPUT_LEN: usize = 64;

/// Mod-11 check digit rule shared by CPF, CNPJ and TUSS: DV = 0 if r < 2, else 11 − r.
pub(crate) fn mod11_digit(sum: u32) -> u8 {
    let r = sum % 11;
    if r < 2 {
        0
    } else {
        // r is in 2..=10, so the result is in 1..=9 and fits in u8.
        u8::try_from(11 - r).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ValidationError; 22] = [
        ValidationError::CpfLength,
        ValidationError::CpfCharacter,
        ValidationError::CpfRepeatedDigits,
        ValidationError::CpfCheckDigits,
        ValidationError::CnpjLength,
        ValidationError::CnpjCharacter,
        ValidationError::CnpjRepeatedCharacters,
        ValidationError::CnpjCheckDigits,
        ValidationError::PhoneCharacter,
        ValidationError::PhoneLength,
        ValidationError::PhoneCountryCode,
        ValidationError::PhoneAreaCode,
        ValidationError::PhoneSubscriber,
        ValidationError::Cid10Format,
        ValidationError::TussFormat,
        ValidationError::TussCheckDigit,
        ValidationError::LicenceFormat,
        ValidationError::LicenceCouncil,
        ValidationError::LicenceRegion,
        ValidationError::LicenceNumber,
        ValidationError::LicenceCategory,
        ValidationError::Uf,
    ];

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for e in ALL {
            let code = e.code();
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            );
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn mod11_rule() {
        assert_eq!(mod11_digit(0), 0);
        assert_eq!(mod11_digit(1), 0);
        assert_eq!(mod11_digit(2), 9);
        assert_eq!(mod11_digit(10), 1);
        assert_eq!(mod11_digit(11), 0);
        assert_eq!(mod11_digit(459), 3);
        assert_eq!(mod11_digit(424), 5);
    }
}
