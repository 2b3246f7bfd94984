//! Professional council licences (CRM, COREN, CRP, ...).
//!
//! These numbers have no check digit, so validation is only a format check; whether the licence
//! exists and is active needs a registry lookup, which lives outside this pure crate. TISS guides
//! record the council (Tabela 26 code), the number (at most 15 characters) and the UF.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MAX_INPUT_LEN, ValidationError};

/// A Brazilian professional council, i.e. the body that issues the licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Council {
    /// Conselho Regional de Medicina (doctors).
    Crm,
    /// Conselho Regional de Enfermagem (nursing).
    Coren,
    /// Conselho Regional de Farmácia (pharmacists).
    Crf,
    /// Conselho Regional de Odontologia (dentists).
    Cro,
    /// Conselho Regional de Psicologia (psychologists); numbered regions, not UFs.
    Crp,
    /// Conselho Regional de Nutricionistas.
    Crn,
    /// Conselho Regional de Fisioterapia e Terapia Ocupacional.
    Crefito,
    /// Conselho Regional de Fonoaudiologia (speech therapists).
    Crfa,
    /// Conselho Regional de Serviço Social (social workers).
    Cress,
    /// Conselho Regional de Biologia.
    Crbio,
    /// Conselho Regional de Biomedicina.
    Crbm,
    /// Conselho Regional de Educação Física.
    Cref,
    /// Conselho Regional de Medicina Veterinária.
    Crmv,
    /// Conselho Regional de Técnicos em Radiologia.
    Crtr,
}

impl Council {
    /// Every council, in declaration order.
    pub const ALL: [Council; 14] = [
        Council::Crm,
        Council::Coren,
        Council::Crf,
        Council::Cro,
        Council::Crp,
        Council::Crn,
        Council::Crefito,
        Council::Crfa,
        Council::Cress,
        Council::Crbio,
        Council::Crbm,
        Council::Cref,
        Council::Crmv,
        Council::Crtr,
    ];

    /// The upper-case acronym, e.g. `CRM`; also the serde representation.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Council::Crm => "CRM",
            Council::Coren => "COREN",
            Council::Crf => "CRF",
            Council::Cro => "CRO",
            Council::Crp => "CRP",
            Council::Crn => "CRN",
            Council::Crefito => "CREFITO",
            Council::Crfa => "CRFA",
            Council::Cress => "CRESS",
            Council::Crbio => "CRBIO",
            Council::Crbm => "CRBM",
            Council::Cref => "CREF",
            Council::Crmv => "CRMV",
            Council::Crtr => "CRTR",
        }
    }

    /// The TISS Tabela 26 code (`conselhoProfissional`) written on guides.
    #[must_use]
    pub fn tiss_code(self) -> &'static str {
        match self {
            Council::Cress => "01",
            Council::Coren => "02",
            Council::Crf => "03",
            Council::Crfa => "04",
            Council::Crefito => "05",
            Council::Crm => "06",
            Council::Crn => "07",
            Council::Cro => "08",
            Council::Crp => "09",
            Council::Crbio => "11",
            Council::Crbm => "12",
            Council::Cref => "13",
            Council::Crmv => "14",
            Council::Crtr => "15",
        }
    }

    /// The council for a TISS Tabela 26 code; `None` for unknown codes and for `10` ("other").
    #[must_use]
    pub fn from_tiss_code(code: &str) -> Option<Council> {
        Council::ALL.into_iter().find(|c| c.tiss_code() == code)
    }

    /// Whether licences are issued per numbered region (CRP) instead of per UF.
    #[must_use]
    pub fn uses_numbered_region(self) -> bool {
        self == Council::Crp
    }
}

impl fmt::Display for Council {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Council {
    type Err = ValidationError;

    /// Case-insensitive, so `CRBio` (the spelling in Tabela 26) is accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Council::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or(ValidationError::LicenceCouncil)
    }
}

/// A Brazilian federative unit (26 states plus the Federal District).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)] // The variants are the official two-letter abbreviations.
pub enum Uf {
    Ac,
    Al,
    Ap,
    Am,
    Ba,
    Ce,
    Df,
    Es,
    Go,
    Ma,
    Mt,
    Ms,
    Mg,
    Pa,
    Pb,
    Pr,
    Pe,
    Pi,
    Rj,
    Rn,
    Rs,
    Ro,
    Rr,
    Sc,
    Sp,
    Se,
    To,
}

impl Uf {
    /// All 27 units, in alphabetical order of their full names (the usual IBGE listing order).
    pub const ALL: [Uf; 27] = [
        Uf::Ac,
        Uf::Al,
        Uf::Ap,
        Uf::Am,
        Uf::Ba,
        Uf::Ce,
        Uf::Df,
        Uf::Es,
        Uf::Go,
        Uf::Ma,
        Uf::Mt,
        Uf::Ms,
        Uf::Mg,
        Uf::Pa,
        Uf::Pb,
        Uf::Pr,
        Uf::Pe,
        Uf::Pi,
        Uf::Rj,
        Uf::Rn,
        Uf::Rs,
        Uf::Ro,
        Uf::Rr,
        Uf::Sc,
        Uf::Sp,
        Uf::Se,
        Uf::To,
    ];

    /// The two-letter abbreviation, e.g. `SP`; also the serde representation.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Uf::Ac => "AC",
            Uf::Al => "AL",
            Uf::Ap => "AP",
            Uf::Am => "AM",
            Uf::Ba => "BA",
            Uf::Ce => "CE",
            Uf::Df => "DF",
            Uf::Es => "ES",
            Uf::Go => "GO",
            Uf::Ma => "MA",
            Uf::Mt => "MT",
            Uf::Ms => "MS",
            Uf::Mg => "MG",
            Uf::Pa => "PA",
            Uf::Pb => "PB",
            Uf::Pr => "PR",
            Uf::Pe => "PE",
            Uf::Pi => "PI",
            Uf::Rj => "RJ",
            Uf::Rn => "RN",
            Uf::Rs => "RS",
            Uf::Ro => "RO",
            Uf::Rr => "RR",
            Uf::Sc => "SC",
            Uf::Sp => "SP",
            Uf::Se => "SE",
            Uf::To => "TO",
        }
    }

    /// The IBGE code, which TISS XML uses for the UF (e.g. 35 for SP).
    #[must_use]
    pub fn ibge_code(self) -> u8 {
        match self {
            Uf::Ro => 11,
            Uf::Ac => 12,
            Uf::Am => 13,
            Uf::Rr => 14,
            Uf::Pa => 15,
            Uf::Ap => 16,
            Uf::To => 17,
            Uf::Ma => 21,
            Uf::Pi => 22,
            Uf::Ce => 23,
            Uf::Rn => 24,
            Uf::Pb => 25,
            Uf::Pe => 26,
            Uf::Al => 27,
            Uf::Se => 28,
            Uf::Ba => 29,
            Uf::Mg => 31,
            Uf::Es => 32,
            Uf::Rj => 33,
            Uf::Sp => 35,
            Uf::Pr => 41,
            Uf::Sc => 42,
            Uf::Rs => 43,
            Uf::Ms => 50,
            Uf::Mt => 51,
            Uf::Go => 52,
            Uf::Df => 53,
        }
    }

    /// The UF for an IBGE code, if it is one.
    #[must_use]
    pub fn from_ibge_code(code: u8) -> Option<Uf> {
        Uf::ALL.into_iter().find(|uf| uf.ibge_code() == code)
    }
}

impl fmt::Display for Uf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Uf {
    type Err = ValidationError;

    /// Case-insensitive two-letter abbreviation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Uf::ALL
            .into_iter()
            .find(|uf| uf.as_str().eq_ignore_ascii_case(s))
            .ok_or(ValidationError::Uf)
    }
}

/// Nursing category within COREN (Res. Cofen 545/2017).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CorenCategory {
    /// Enfermeiro (registered nurse).
    Enf,
    /// Obstetriz (midwife with a direct-entry degree).
    Obst,
    /// Técnico de enfermagem (nursing technician).
    Te,
    /// Auxiliar de enfermagem (nursing auxiliary).
    Ae,
    /// Parteira (traditional birth attendant).
    Par,
}

impl CorenCategory {
    /// Every category, in declaration order.
    pub const ALL: [CorenCategory; 5] = [
        CorenCategory::Enf,
        CorenCategory::Obst,
        CorenCategory::Te,
        CorenCategory::Ae,
        CorenCategory::Par,
    ];

    /// The upper-case abbreviation, e.g. `ENF`; also the serde representation.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CorenCategory::Enf => "ENF",
            CorenCategory::Obst => "OBST",
            CorenCategory::Te => "TE",
            CorenCategory::Ae => "AE",
            CorenCategory::Par => "PAR",
        }
    }
}

impl fmt::Display for CorenCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CorenCategory {
    type Err = ValidationError;

    /// Case-insensitive abbreviation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        CorenCategory::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or(ValidationError::LicenceCategory)
    }
}

/// Where a licence was issued: a UF for most councils, a numbered region (1..=24) for CRP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceRegion {
    /// A federative unit, e.g. CRM/SP.
    Uf(Uf),
    /// A CRP region number, e.g. 6 for CRP 06 (São Paulo). Regions can span several UFs.
    CrpRegion(u8),
}

impl fmt::Display for LicenceRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LicenceRegion::Uf(uf) => f.write_str(uf.as_str()),
            LicenceRegion::CrpRegion(n) => write!(f, "{n:02}"),
        }
    }
}

/// Highest CRP region number.
const MAX_CRP_REGION: u8 = 24;
/// TISS limit on the licence number length.
const MAX_NUMBER_LEN: usize = 15;

/// A professional licence whose format is valid (not that it exists: that needs a registry).
///
/// Fields are private so that every value has passed [`Licence::new`]'s checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "LicenceFields")]
pub struct Licence {
    council: Council,
    region: LicenceRegion,
    number: String,
    category: Option<CorenCategory>,
}

/// Unchecked serde form of [`Licence`]; deserialization goes through [`Licence::new`].
#[derive(Deserialize)]
struct LicenceFields {
    council: Council,
    region: LicenceRegion,
    number: String,
    #[serde(default)]
    category: Option<CorenCategory>,
}

impl TryFrom<LicenceFields> for Licence {
    type Error = ValidationError;

    fn try_from(f: LicenceFields) -> Result<Self, Self::Error> {
        Licence::new(f.council, f.region, &f.number, f.category)
    }
}

impl Licence {
    /// Builds a licence from its parts, checking that the region kind matches the council (CRP
    /// uses regions 1..=24, every other council a UF), that the number has 1 to 15 digits, and
    /// that only COREN licences carry a category.
    pub fn new(
        council: Council,
        region: LicenceRegion,
        number: &str,
        category: Option<CorenCategory>,
    ) -> Result<Licence, ValidationError> {
        match region {
            LicenceRegion::CrpRegion(n) if council.uses_numbered_region() => {
                if !(1..=MAX_CRP_REGION).contains(&n) {
                    return Err(ValidationError::LicenceRegion);
                }
            }
            LicenceRegion::Uf(_) if !council.uses_numbered_region() => {}
            _ => return Err(ValidationError::LicenceRegion),
        }
        if number.is_empty() || number.len() > MAX_NUMBER_LEN || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::LicenceNumber);
        }
        if category.is_some() && council != Council::Coren {
            return Err(ValidationError::LicenceCategory);
        }
        Ok(Licence {
            council,
            region,
            number: number.to_owned(),
            category,
        })
    }

    /// Parses the usual written forms: `CRM/SP 123456`, `CRM-SP 123456`, `CRM SP 123456`,
    /// `CRM 123456/SP`, `COREN-SP-123456-ENF`, `CRF-SP 12345`, `CRP 06/123456`. Case-insensitive;
    /// a `.` between digits (`123.456`) is ignored.
    pub fn parse(input: &str) -> Result<Licence, ValidationError> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(ValidationError::LicenceFormat);
        }
        let tokens = tokenize(trimmed)?;
        let mut tokens = tokens.into_iter();
        let council = match tokens.next() {
            Some(Token::Letters(t)) => t.parse::<Council>()?,
            _ => return Err(ValidationError::LicenceFormat),
        };
        let (region, number) = if council.uses_numbered_region() {
            let region = match tokens.next() {
                Some(Token::Digits(d)) if d.len() <= 2 => {
                    d.parse::<u8>().map_err(|_| ValidationError::LicenceRegion)?
                }
                _ => return Err(ValidationError::LicenceRegion),
            };
            let number = match tokens.next() {
                Some(Token::Digits(d)) => d,
                _ => return Err(ValidationError::LicenceNumber),
            };
            (LicenceRegion::CrpRegion(region), number)
        } else {
            // Either "UF number" or "number UF".
            match (tokens.next(), tokens.next()) {
                (Some(Token::Letters(uf)), Some(Token::Digits(number)))
                | (Some(Token::Digits(number)), Some(Token::Letters(uf))) => {
                    let uf = uf.parse::<Uf>().map_err(|_| ValidationError::LicenceRegion)?;
                    (LicenceRegion::Uf(uf), number)
                }
                (Some(Token::Letters(_)), _) => return Err(ValidationError::LicenceNumber),
                (Some(Token::Digits(_)), _) | (None, _) => return Err(ValidationError::LicenceRegion),
            }
        };
        let category = match tokens.next() {
            None => None,
            Some(Token::Letters(c)) if council == Council::Coren => Some(c.parse::<CorenCategory>()?),
            Some(Token::Letters(_)) => return Err(ValidationError::LicenceCategory),
            Some(Token::Digits(_)) => return Err(ValidationError::LicenceFormat),
        };
        if tokens.next().is_some() {
            return Err(ValidationError::LicenceFormat);
        }
        Licence::new(council, region, &number, category)
    }

    /// The issuing council.
    #[must_use]
    pub fn council(&self) -> Council {
        self.council
    }

    /// The UF or CRP region.
    #[must_use]
    pub fn region(&self) -> LicenceRegion {
        self.region
    }

    /// The UF, for councils organised by UF; `None` for CRP regions.
    #[must_use]
    pub fn uf(&self) -> Option<Uf> {
        match self.region {
            LicenceRegion::Uf(uf) => Some(uf),
            LicenceRegion::CrpRegion(_) => None,
        }
    }

    /// The licence number: 1 to 15 digits, leading zeros kept as written.
    #[must_use]
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The COREN category, if given.
    #[must_use]
    pub fn category(&self) -> Option<CorenCategory> {
        self.category
    }
}

/// Canonical form: `CRM/SP 123456`, `COREN-SP 123456-ENF`, `CRF-SP 12345`, `CRP 06/123456`.
impl fmt::Display for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.council, self.region) {
            (council, LicenceRegion::CrpRegion(n)) => write!(f, "{council} {n:02}/{}", self.number)?,
            (Council::Crm, LicenceRegion::Uf(uf)) => write!(f, "CRM/{uf} {}", self.number)?,
            (council, LicenceRegion::Uf(uf)) => write!(f, "{council}-{uf} {}", self.number)?,
        }
        if let Some(category) = self.category {
            write!(f, "-{category}")?;
        }
        Ok(())
    }
}

impl FromStr for Licence {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Licence::parse(s)
    }
}

impl TryFrom<String> for Licence {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Licence::parse(&value)
    }
}

impl TryFrom<&str> for Licence {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Licence::parse(value)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Letters(String),
    Digits(String),
}

/// Splits a licence into runs of letters and digits. Spaces, `/`, `-` and `:` separate runs; a
/// `.` is allowed only between two digits (thousands separator) and is dropped.
fn tokenize(input: &str) -> Result<Vec<Token>, ValidationError> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut prev: Option<char> = None;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphabetic() {
            match current.as_mut() {
                Some(Token::Letters(s)) => s.push(c.to_ascii_uppercase()),
                _ => {
                    tokens.extend(current.take());
                    current = Some(Token::Letters(c.to_ascii_uppercase().to_string()));
                }
            }
        } else if c.is_ascii_digit() {
            match current.as_mut() {
                Some(Token::Digits(s)) => s.push(c),
                _ => {
                    tokens.extend(current.take());
                    current = Some(Token::Digits(c.to_string()));
                }
            }
        } else if c == '.' {
            let between_digits =
                prev.is_some_and(|p| p.is_ascii_digit()) && chars.peek().is_some_and(char::is_ascii_digit);
            if !between_digits {
                return Err(ValidationError::LicenceFormat);
            }
        } else if matches!(c, ' ' | '\t' | '/' | '-' | ':') {
            tokens.extend(current.take());
        } else {
            return Err(ValidationError::LicenceFormat);
        }
        prev = Some(c);
    }
    tokens.extend(current);
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lic(
        council: Council,
        region: LicenceRegion,
        number: &str,
        category: Option<CorenCategory>,
    ) -> Licence {
        Licence::new(council, region, number, category).unwrap()
    }

    #[test]
    fn accepted_forms() {
        let crm = lic(Council::Crm, LicenceRegion::Uf(Uf::Sp), "123456", None);
        let coren = lic(
            Council::Coren,
            LicenceRegion::Uf(Uf::Sp),
            "123456",
            Some(CorenCategory::Enf),
        );
        let crf = lic(Council::Crf, LicenceRegion::Uf(Uf::Sp), "12345", None);
        let cro = lic(Council::Cro, LicenceRegion::Uf(Uf::Sp), "12345", None);
        let crp = lic(Council::Crp, LicenceRegion::CrpRegion(6), "123456", None);
        let cases = [
            ("CRM/SP 123456", &crm),
            ("CRM-SP 123456", &crm),
            ("CRM SP 123456", &crm),
            ("crm/sp 123456", &crm),
            ("CRM/SP 123.456", &crm),
            ("CRM 123456/SP", &crm),
            ("CRM 123456-SP", &crm),
            ("CRM-SP: 123456", &crm),
            ("  CRM/SP123456 ", &crm),
            ("COREN-SP-123456-ENF", &coren),
            ("COREN-SP 123456-ENF", &coren),
            ("COREN/SP 123456 ENF", &coren),
            ("coren-sp-123456-enf", &coren),
            ("CRF-SP 12345", &crf),
            ("CRO-SP 12345", &cro),
            ("CRP 06/123456", &crp),
            ("CRP-06/123456", &crp),
            ("CRP 6/123456", &crp),
            ("CRP06/123456", &crp),
        ];
        for (input, want) in cases {
            let got = Licence::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(&got, want, "{input}");
        }
    }

    #[test]
    fn canonical_display() {
        let cases = [
            ("CRM-SP 123456", "CRM/SP 123456"),
            ("COREN-SP-123456-ENF", "COREN-SP 123456-ENF"),
            ("COREN-RJ-987-TE", "COREN-RJ 987-TE"),
            ("COREN-RJ 987", "COREN-RJ 987"),
            ("CRP 6/123456", "CRP 06/123456"),
            ("CRF/SP 12345", "CRF-SP 12345"),
            ("crefito/sp 12345", "CREFITO-SP 12345"),
        ];
        for (input, want) in cases {
            let l = Licence::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(l.to_string(), want, "{input}");
        }
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("", ValidationError::LicenceFormat),
            ("123456", ValidationError::LicenceFormat),
            ("CRX/SP 123456", ValidationError::LicenceCouncil),
            ("CRM/XX 123456", ValidationError::LicenceRegion),
            ("CRM 123456", ValidationError::LicenceRegion),
            ("CRM/SP", ValidationError::LicenceNumber),
            ("CRM/SP 1234567890123456", ValidationError::LicenceNumber),
            ("CRM/SP 123456-ENF", ValidationError::LicenceCategory),
            ("COREN-SP-123456-XYZ", ValidationError::LicenceCategory),
            ("COREN-SP-123456-ENF-TE", ValidationError::LicenceFormat),
            ("CRM/SP 123456 789", ValidationError::LicenceFormat),
            ("CRP 25/123456", ValidationError::LicenceRegion),
            ("CRP 00/123456", ValidationError::LicenceRegion),
            ("CRP 006/123456", ValidationError::LicenceRegion),
            ("CRP SP 123456", ValidationError::LicenceRegion),
            ("CRP 06", ValidationError::LicenceNumber),
            ("CRM/SP 12.", ValidationError::LicenceFormat),
            ("CRM.SP 123", ValidationError::LicenceFormat),
            ("CRM/SP nº 123456", ValidationError::LicenceFormat),
            ("CRM/SP #123456", ValidationError::LicenceFormat),
        ];
        for (input, want) in cases {
            assert_eq!(Licence::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn constructor_checks() {
        let sp = LicenceRegion::Uf(Uf::Sp);
        assert_eq!(
            Licence::new(Council::Crp, sp, "1", None),
            Err(ValidationError::LicenceRegion)
        );
        assert_eq!(
            Licence::new(Council::Crm, LicenceRegion::CrpRegion(6), "1", None),
            Err(ValidationError::LicenceRegion)
        );
        assert_eq!(
            Licence::new(Council::Crm, sp, "", None),
            Err(ValidationError::LicenceNumber)
        );
        assert_eq!(
            Licence::new(Council::Crm, sp, "12a", None),
            Err(ValidationError::LicenceNumber)
        );
        assert!(Licence::new(Council::Crm, sp, "123456789012345", None).is_ok());
        assert_eq!(
            Licence::new(Council::Crm, sp, "1", Some(CorenCategory::Enf)),
            Err(ValidationError::LicenceCategory)
        );
        assert!(Licence::new(Council::Crp, LicenceRegion::CrpRegion(24), "1", None).is_ok());
        let l = lic(Council::Crm, sp, "0123", None);
        assert_eq!(l.number(), "0123");
        assert_eq!(l.uf(), Some(Uf::Sp));
        assert_eq!(
            lic(Council::Crp, LicenceRegion::CrpRegion(6), "1", None).uf(),
            None
        );
    }

    #[test]
    fn council_codes_and_names() {
        let expected = [
            (Council::Cress, "01", "CRESS"),
            (Council::Coren, "02", "COREN"),
            (Council::Crf, "03", "CRF"),
            (Council::Crfa, "04", "CRFA"),
            (Council::Crefito, "05", "CREFITO"),
            (Council::Crm, "06", "CRM"),
            (Council::Crn, "07", "CRN"),
            (Council::Cro, "08", "CRO"),
            (Council::Crp, "09", "CRP"),
            (Council::Crbio, "11", "CRBIO"),
            (Council::Crbm, "12", "CRBM"),
            (Council::Cref, "13", "CREF"),
            (Council::Crmv, "14", "CRMV"),
            (Council::Crtr, "15", "CRTR"),
        ];
        assert_eq!(expected.len(), Council::ALL.len());
        for (council, code, name) in expected {
            assert_eq!(council.tiss_code(), code);
            assert_eq!(council.as_str(), name);
            assert_eq!(Council::from_tiss_code(code), Some(council));
            assert_eq!(name.parse::<Council>(), Ok(council));
            assert_eq!(name.to_ascii_lowercase().parse::<Council>(), Ok(council));
            assert_eq!(serde_json::to_string(&council).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Council>(&format!("\"{name}\"")).unwrap(),
                council
            );
        }
        assert_eq!("CRBio".parse::<Council>(), Ok(Council::Crbio));
        assert_eq!("CRFa".parse::<Council>(), Ok(Council::Crfa));
        assert_eq!(Council::from_tiss_code("10"), None);
        assert_eq!("CREMESP".parse::<Council>(), Err(ValidationError::LicenceCouncil));
    }

    #[test]
    fn ufs() {
        assert_eq!(Uf::ALL.len(), 27);
        let mut names: Vec<&str> = Uf::ALL.iter().map(|u| u.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 27);
        let mut ibge: Vec<u8> = Uf::ALL.iter().map(|u| u.ibge_code()).collect();
        ibge.sort_unstable();
        ibge.dedup();
        assert_eq!(ibge.len(), 27);
        for uf in Uf::ALL {
            assert_eq!(uf.as_str().parse::<Uf>(), Ok(uf));
            assert_eq!(uf.as_str().to_ascii_lowercase().parse::<Uf>(), Ok(uf));
            assert_eq!(Uf::from_ibge_code(uf.ibge_code()), Some(uf));
            assert_eq!(
                serde_json::to_string(&uf).unwrap(),
                format!("\"{}\"", uf.as_str())
            );
        }
        assert_eq!(Uf::Sp.ibge_code(), 35);
        assert_eq!("XX".parse::<Uf>(), Err(ValidationError::Uf));
        assert_eq!("".parse::<Uf>(), Err(ValidationError::Uf));
    }

    #[test]
    fn coren_categories() {
        for (cat, name) in [
            (CorenCategory::Enf, "ENF"),
            (CorenCategory::Obst, "OBST"),
            (CorenCategory::Te, "TE"),
            (CorenCategory::Ae, "AE"),
            (CorenCategory::Par, "PAR"),
        ] {
            assert_eq!(cat.as_str(), name);
            assert_eq!(name.parse::<CorenCategory>(), Ok(cat));
            assert_eq!(serde_json::to_string(&cat).unwrap(), format!("\"{name}\""));
        }
        assert_eq!(
            "AUX".parse::<CorenCategory>(),
            Err(ValidationError::LicenceCategory)
        );
    }

    #[test]
    fn licence_serde() {
        let l = Licence::parse("COREN-SP-123456-ENF").unwrap();
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(
            json,
            r#"{"council":"COREN","region":{"uf":"SP"},"number":"123456","category":"ENF"}"#
        );
        assert_eq!(serde_json::from_str::<Licence>(&json).unwrap(), l);
        let crp = Licence::parse("CRP 06/123456").unwrap();
        let json = serde_json::to_string(&crp).unwrap();
        assert_eq!(
            json,
            r#"{"council":"CRP","region":{"crp_region":6},"number":"123456","category":null}"#
        );
        assert_eq!(serde_json::from_str::<Licence>(&json).unwrap(), crp);
        let missing_category = r#"{"council":"CRM","region":{"uf":"SP"},"number":"1"}"#;
        assert!(serde_json::from_str::<Licence>(missing_category).is_ok());
        let bad_region = r#"{"council":"CRP","region":{"crp_region":30},"number":"1"}"#;
        assert!(serde_json::from_str::<Licence>(bad_region).is_err());
        let bad_number = r#"{"council":"CRM","region":{"uf":"SP"},"number":"12a"}"#;
        assert!(serde_json::from_str::<Licence>(bad_number).is_err());
        assert_eq!(
            Licence::try_from(String::from("CRM/SP 1")).unwrap(),
            "CRM-SP 1".parse().unwrap()
        );
    }

    fn any_licence() -> impl Strategy<Value = Licence> {
        let uf_based = (
            proptest::sample::select(
                Council::ALL
                    .iter()
                    .copied()
                    .filter(|c| *c != Council::Crp)
                    .collect::<Vec<_>>(),
            ),
            proptest::sample::select(Uf::ALL.to_vec()),
            "[0-9]{1,15}",
            proptest::option::of(proptest::sample::select(CorenCategory::ALL.to_vec())),
        )
            .prop_map(|(council, uf, number, category)| {
                let category = if council == Council::Coren { category } else { None };
                lic(council, LicenceRegion::Uf(uf), &number, category)
            });
        let crp = (1u8..=24, "[0-9]{1,15}")
            .prop_map(|(region, number)| lic(Council::Crp, LicenceRegion::CrpRegion(region), &number, None));
        prop_oneof![uf_based, crp]
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Licence::parse(&s);
            let _ = s.parse::<Council>();
            let _ = s.parse::<Uf>();
            let _ = s.parse::<CorenCategory>();
        }

        #[test]
        fn parse_never_panics_on_licence_like_input(s in "[A-Za-z0-9 ./:\\-]{0,30}") {
            let _ = Licence::parse(&s);
        }

        #[test]
        fn display_reparses(licence in any_licence()) {
            let shown = licence.to_string();
            prop_assert_eq!(Licence::parse(&shown).unwrap(), licence.clone());
            let json = serde_json::to_string(&licence).unwrap();
            prop_assert_eq!(serde_json::from_str::<Licence>(&json).unwrap(), licence);
        }
    }
}
