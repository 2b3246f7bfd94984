//! What a medical paper says beyond a message: the dose written beside each prescribed medicine,
//! and the lines of a lab report (`Glicemia de jejum: 126 mg/dL (VR: 70 a 99 mg/dL)`). Works on
//! OCR text line by line; a line that does not look like a result gives nothing rather than a guess.

use serde::Serialize;

use crate::text::fold;

/// One result of a lab report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabResult {
    /// The exam as written (`Glicemia de jejum`).
    pub test: String,
    /// The number as written, with a decimal point (`7.2` for `7,2`).
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The reference range as written (`70 a 99 mg/dL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_range: Option<String>,
}

/// Units of doses, folded (longest first where one is a prefix of another).
const DOSE_UNITS: &[&str] = &["mcg", "mg/ml", "mg", "ml", "ui", "gotas", "gota", "g", "%"];
/// Words that open a reference range.
const REFERENCE_CUES: &[&str] = &[
    "valores de referencia",
    "valor de referencia",
    "referencia",
    "ref.",
    "ref",
    "vr",
];
/// Longest exam name kept (longer text before a colon is a sentence, not a name).
const MAX_TEST_WORDS: usize = 6;

/// The dose written after `medicine` (folded, as the analysis gives it) on the first line that
/// names it: `Losartana 50 mg` → `50 mg`.
pub fn dose_of(text: &str, medicine: &str) -> Option<String> {
    let medicine = fold(medicine);
    if medicine.trim().is_empty() {
        return None;
    }
    text.lines().find_map(|line| dose_on_line(&fold(line), &medicine))
}

fn dose_on_line(folded: &str, medicine: &str) -> Option<String> {
    let at = folded.find(medicine)?;
    let rest = &folded[at + medicine.len()..];
    // The first number after the name (a few words later at most), if a unit of dose follows it.
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    if rest[..start].chars().filter(|c| c.is_alphabetic()).count() > 12 {
        return None;
    }
    let (value, after) = number(&rest[start..])?;
    let after = after.trim_start();
    let unit = DOSE_UNITS
        .iter()
        .find(|u| after.starts_with(**u) && !after[u.len()..].starts_with(|c: char| c.is_alphabetic()))?;
    let unit = match *unit {
        "ui" => "UI",
        "mg/ml" => "mg/mL",
        "ml" => "mL",
        u => u,
    };
    Some(format!("{value} {unit}"))
}

/// A number at the start of `s` (`126`, `7,2`, `13.5`; thousands not grouped): the number with a
/// decimal point, and what follows.
fn number(s: &str) -> Option<(String, &str)> {
    let mut end = 0;
    let mut separator = false;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() {
            end = i + 1;
        } else if (c == ',' || c == '.') && !separator && s[i + 1..].starts_with(|d: char| d.is_ascii_digit())
        {
            separator = true;
        } else {
            break;
        }
    }
    (end > 0).then(|| (s[..end].replace(',', "."), &s[end..]))
}

/// The results of a lab report: lines of an exam name, a colon (or a wide gap), a number, then
/// a unit and/or a reference range.
pub fn lab_results(text: &str) -> Vec<LabResult> {
    text.lines().filter_map(lab_line).collect()
}

fn lab_line(line: &str) -> Option<LabResult> {
    let line = line.trim();
    let (name, rest) = match line.split_once(':') {
        Some(split) => split,
        // pdftotext -layout keeps columns apart by runs of spaces.
        None => line.split_once("   ")?,
    };
    let name = name.trim().trim_end_matches(['.', '-']).trim();
    let words = name.split_whitespace().count();
    if words == 0
        || words > MAX_TEST_WORDS
        || !name.chars().any(char::is_alphabetic)
        || name.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '.', '\t']);
    let (value, after) = number(rest)?;
    let after = after.trim_start();
    // A date or a code (`12/03/2026`, `123-4`) is not a result.
    if after.starts_with(['/', '-']) && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let unit: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(' && *c != ';')
        .collect();
    let unit = (!unit.is_empty()
        && unit.chars().count() <= 12
        && (unit.chars().any(char::is_alphabetic) || unit.contains('%')))
    .then_some(unit)
    .filter(|u| !is_reference_cue(u));
    let reference_range = reference(after);
    if unit.is_none() && reference_range.is_none() {
        return None;
    }
    Some(LabResult {
        test: name.to_owned(),
        value,
        unit,
        reference_range,
    })
}

fn is_reference_cue(word: &str) -> bool {
    let folded = fold(word);
    REFERENCE_CUES
        .iter()
        .any(|c| folded.trim_end_matches([':', '.']) == c.trim_end_matches('.'))
}

/// The range after a reference cue: `(VR: 70 a 99 mg/dL)` → `70 a 99 mg/dL`.
fn reference(after: &str) -> Option<String> {
    let folded = fold(after);
    // Folding keeps byte offsets only for ASCII; find the cue in the folded text, then cut the
    // original at the same character count.
    let (at, cue) = REFERENCE_CUES
        .iter()
        .filter_map(|c| cue_at(&folded, c).map(|at| (at, *c)))
        .min_by_key(|(at, _)| *at)?;
    let chars_before = folded[..at + cue.len()].chars().count();
    let original: String = after.chars().skip(chars_before).collect();
    let range = original
        .trim_start_matches([':', '.', ' ', '='])
        .split(')')
        .next()?
        .trim()
        .trim_end_matches(['.', ';'])
        .trim();
    (range.chars().any(|c| c.is_ascii_digit()) && range.chars().count() <= 60).then(|| range.to_owned())
}

/// Where `cue` starts as a word of `folded`.
fn cue_at(folded: &str, cue: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = folded[from..].find(cue) {
        let at = from + i;
        let before_ok = folded[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = folded[at + cue.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + cue.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doses_beside_medicines() {
        let text = "RECEITUÁRIO\n1. Losartana potássica 50 mg — 1 comprimido pela manhã\n2. METFORMINA 850mg após o almoço\nDipirona gotas";
        assert_eq!(dose_of(text, "losartana").as_deref(), Some("50 mg"));
        assert_eq!(dose_of(text, "metformina").as_deref(), Some("850 mg"));
        assert_eq!(dose_of(text, "dipirona"), None, "no dose written");
        assert_eq!(dose_of(text, "insulina"), None);
        assert_eq!(
            dose_of("Insulina NPH 10 UI antes do café", "insulina").as_deref(),
            Some("10 UI")
        );
        assert_eq!(
            dose_of("Amoxicilina 2,5 ml de 8/8h", "amoxicilina").as_deref(),
            Some("2.5 mL")
        );
        assert_eq!(
            dose_of("Losartana 2 vezes", "losartana"),
            None,
            "a count is not a dose"
        );
    }

    #[test]
    fn lab_report_lines() {
        let report = "LABORATÓRIO CENTRAL\nData da coleta: 12/03/2026\nGlicemia de jejum: 126 mg/dL (VR: 70 a 99 mg/dL)\n\
                      Hemoglobina glicada: 7,2 % (referência: até 5,6 %)\nColesterol total   210 mg/dL\n\
                      Paciente: Maria\nObservação: amostra hemolisada em 2 tubos e recoleta solicitada pelo laboratório";
        let results = lab_results(report);
        assert_eq!(
            results,
            vec![
                LabResult {
                    test: "Glicemia de jejum".into(),
                    value: "126".into(),
                    unit: Some("mg/dL".into()),
                    reference_range: Some("70 a 99 mg/dL".into())
                },
                LabResult {
                    test: "Hemoglobina glicada".into(),
                    value: "7.2".into(),
                    unit: Some("%".into()),
                    reference_range: Some("até 5,6 %".into())
                },
                LabResult {
                    test: "Colesterol total".into(),
                    value: "210".into(),
                    unit: Some("mg/dL".into()),
                    reference_range: None
                },
            ]
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,300}", medicine in "\\PC{0,20}") {
            let _ = lab_results(&text);
            let _ = dose_of(&text, &medicine);
        }

        #[test]
        fn a_written_result_is_read_back(value in 1u32..100_000, decimals in 0u32..10, unit in "(mg/dL|g/dL|%|U/L|ng/mL)") {
            let written = format!("{value},{decimals}");
            let results = lab_results(&format!("Exame qualquer: {written} {unit} (VR: 1 a 2)"));
            prop_assert_eq!(results.len(), 1);
            prop_assert_eq!(&results[0].value, &format!("{value}.{decimals}"));
            prop_assert_eq!(results[0].unit.as_deref(), Some(unit.as_str()));
            prop_assert_eq!(results[0].reference_range.as_deref(), Some("1 a 2"));
        }
    }
}
