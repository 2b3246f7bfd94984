//! Vital signs with their values: blood pressure in every form patients write it (`13 por 8`,
//! `13x8`, `130/80`, `12 e 8` after "pressão"), glucose, temperature (`39,5`), weight, heart rate and
//! oxygen saturation. A number is a vital only with a unit or a cue word near it, and only inside
//! the plausible range of that vital.

use crate::phrases::Words;
use crate::text::{Boundary, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VitalKind {
    BloodPressure,
    Glucose,
    Temperature,
    Weight,
    HeartRate,
    OxygenSaturation,
}

impl VitalKind {
    pub fn name(self) -> &'static str {
        match self {
            VitalKind::BloodPressure => "blood_pressure",
            VitalKind::Glucose => "glucose",
            VitalKind::Temperature => "temperature",
            VitalKind::Weight => "weight",
            VitalKind::HeartRate => "heart_rate",
            VitalKind::OxygenSaturation => "oxygen_saturation",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            VitalKind::BloodPressure => "mmHg",
            VitalKind::Glucose => "mg/dL",
            VitalKind::Temperature => "°C",
            VitalKind::Weight => "kg",
            VitalKind::HeartRate => "bpm",
            VitalKind::OxygenSaturation => "%",
        }
    }

    /// The health keyword a reading of this kind contributes.
    pub fn keyword(self) -> &'static str {
        match self {
            VitalKind::BloodPressure => "pressao",
            VitalKind::Glucose => "glicemia",
            VitalKind::Temperature => "temperatura",
            VitalKind::Weight => "peso",
            VitalKind::HeartRate => "frequencia cardiaca",
            VitalKind::OxygenSaturation => "saturacao",
        }
    }
}

/// One reading. Blood pressure keeps both numbers; other kinds use `value` only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vital {
    pub kind: VitalKind,
    pub value: f64,
    pub diastolic: f64,
    pub start: usize,
    pub end: usize,
}

impl Vital {
    pub fn value_text(&self) -> String {
        match self.kind {
            VitalKind::BloodPressure => format!("{}/{}", fmt_number(self.value), fmt_number(self.diastolic)),
            _ => fmt_number(self.value),
        }
    }
}

/// `39.5` → "39.5", `38.0` → "38".
pub fn fmt_number(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// Words that announce each kind of reading (resolved forms). They are typo-correction targets.
pub const PRESSURE_CUES: &[&str] = &[
    "pressao",
    "pa",
    "arterial",
    "mmhg",
    "sistolica",
    "diastolica",
    "pressaum",
];
pub const GLUCOSE_CUES: &[&str] = &[
    "glicemia",
    "glicose",
    "dextro",
    "hgt",
    "acucar",
    "glicosimetro",
    "glicemico",
    "glicemica",
    "destro",
    "diabetes",
    "diabetico",
    "diabetica",
    "hipoglicemia",
    "sensor",
    "libre",
    "hiperglicemia",
    "dedo",
    "jejum",
];
pub const TEMPERATURE_CUES: &[&str] = &[
    "febre",
    "temperatura",
    "termometro",
    "graus",
    "grau",
    "febrao",
    "temp",
];
pub const WEIGHT_CUES: &[&str] = &[
    "peso", "pesei", "pesando", "pesa", "pesava", "balanca", "pesou", "pesar",
];
pub const HEART_CUES: &[&str] = &[
    "batimento",
    "batimentos",
    "frequencia",
    "pulso",
    "bpm",
    "fc",
    "cardiaca",
    "batendo",
    "coracao",
    "relogio",
];
pub const SATURATION_CUES: &[&str] = &[
    "saturacao",
    "oxigenacao",
    "saturando",
    "oxigenio",
    "oximetro",
    "spo",
    "sat",
    "saturou",
    "saturou",
];

const WEIGHT_UNITS: &[&str] = &["kg", "kgs", "quilos", "kilos", "quilo", "kilo"];
const CUE_WINDOW: usize = 8;
const NOT_READINGS: &[&str] = &[
    "ano",
    "anos",
    "mes",
    "meses",
    "dia",
    "dias",
    "semana",
    "semanas",
    "hora",
    "horas",
    "minuto",
    "minutos",
    "vez",
    "vezes",
    "comprimido",
    "comprimidos",
    "gotas",
    "mg",
    "ml",
    "unidades",
    "ui",
    "reais",
    "cm",
    "mm",
];

/// Every reading in the message, each number used at most once.
pub fn extract(words: &Words) -> Vec<Vital> {
    let n = words.len();
    let mut used = vec![false; n];
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if used[i] || words.number(i).is_none() {
            i += 1;
            continue;
        }
        if let Some(v) = blood_pressure(words, i) {
            for u in used.iter_mut().take(v.end).skip(v.start) {
                *u = true;
            }
            i = v.end;
            out.push(v);
            continue;
        }
        if let Some(v) = single(words, i) {
            for u in used.iter_mut().take(v.end).skip(v.start) {
                *u = true;
            }
            out.push(v);
        }
        i += 1;
    }
    out
}

const SINGLE_CUES: &[(VitalKind, &[&str])] = &[
    (VitalKind::Temperature, TEMPERATURE_CUES),
    (VitalKind::Glucose, GLUCOSE_CUES),
    (VitalKind::OxygenSaturation, SATURATION_CUES),
    (VitalKind::HeartRate, HEART_CUES),
    (VitalKind::Weight, WEIGHT_CUES),
];

fn cue_kind(word: &str) -> Option<VitalKind> {
    SINGLE_CUES
        .iter()
        .find(|(_, cues)| cues.contains(&word))
        .map(|(k, _)| *k)
}

/// The kind named by the closest cue word before the number at `i` (same sentence, a few words),
/// or failing that just after it, from `after` on (`39 de febre`).
fn nearest_cue(words: &Words, i: usize, after: usize) -> Option<VitalKind> {
    let mut j = i;
    while j > 0 && i - j < CUE_WINDOW {
        if words.boundary_before(j) == Boundary::Sentence {
            break;
        }
        j -= 1;
        if let Some(k) = cue_kind(words.form(j)) {
            return Some(k);
        }
    }
    (after..(after + 3).min(words.len()))
        .take_while(|&j| words.boundary_before(j) != Boundary::Sentence && words.number(j).is_none())
        .find_map(|j| cue_kind(words.form(j)))
}

fn cue_before(words: &Words, i: usize, cues: &[&str]) -> bool {
    let from = i.saturating_sub(CUE_WINDOW);
    (from..i)
        .rev()
        .take_while(|&j| j + 1 == i || words.boundary_before(j + 1) != Boundary::Sentence)
        .any(|j| cues.contains(&words.form(j)))
}

fn cue_after(words: &Words, i: usize, cues: &[&str], window: usize) -> bool {
    (i + 1..(i + 1 + window).min(words.len()))
        .take_while(|&j| words.boundary_before(j) != Boundary::Sentence)
        .any(|j| cues.contains(&words.form(j)))
}

fn sentence_has(words: &Words, i: usize, cues: &[&str]) -> bool {
    cue_before(words, i, cues) || cue_after(words, i, cues, CUE_WINDOW)
}

fn blood_pressure(words: &Words, i: usize) -> Option<Vital> {
    let (sys, sys_len) = words.number_span(i)?;
    let at = i + sys_len; // the separator
    let sep = words.folded.tokens.get(at)?;
    if sep.before == Boundary::Sentence {
        return None;
    }
    let (sep_word, strong) = match sep.kind {
        Kind::Slash => ("/", false),
        Kind::Word => match words.form(at) {
            "por" | "x" => ("por", true),
            // `cento e vinte e oito`: the `e` of a compound was read with it.
            "e" => ("e", false),
            _ => return None,
        },
        _ => return None,
    };
    let (dia, dia_len) = words.number_span(at + 1)?;
    let context = sentence_has(words, i, PRESSURE_CUES);
    let (s, d) = if (70.0..=300.0).contains(&sys) && (30.0..=200.0).contains(&dia) {
        (sys, dia)
    } else if (6.0..=30.0).contains(&sys) && (3.0..=20.0).contains(&dia) {
        (sys * 10.0, dia * 10.0)
    } else {
        return None;
    };
    if s <= d {
        return None;
    }
    // `130/80` is unmistakable; `13 por 8` nearly so; `13/8` (a date?) and `12 e 8` need a cue.
    let full_form = sys >= 70.0 && sep_word == "/";
    if !(full_form || strong || context) {
        return None;
    }
    let mut end = at + 1 + dia_len;
    if sep_word == "/"
        && words
            .folded
            .tokens
            .get(end)
            .is_some_and(|t| t.kind == Kind::Slash)
    {
        return None; // a date: 12/08/2026
    }
    if words.is(end, "mmhg") {
        end += 1;
    }
    Some(Vital {
        kind: VitalKind::BloodPressure,
        value: s,
        diastolic: d,
        start: i,
        end,
    })
}

fn single(words: &Words, i: usize) -> Option<Vital> {
    let (v, len) = words.number_span(i)?;
    // `after` is the first token past the number (`oitenta e cinco` spans three).
    let after = i + len;
    let next = words.form(after);
    let unit_glued = words
        .folded
        .tokens
        .get(after)
        .is_some_and(|t| t.before == Boundary::None);
    if next == "mg" && (10.0..=1000.0).contains(&v) && words.form(after + 2) == "dl" {
        return Some(Vital {
            kind: VitalKind::Glucose,
            value: v,
            diastolic: 0.0,
            start: i,
            end: after + 3,
        });
    }
    let vital = |kind, end| {
        Some(Vital {
            kind,
            value: v,
            diastolic: 0.0,
            start: i,
            end,
        })
    };
    // `diabetico ha 25 anos`, `2 comprimidos`: a count, not a reading.
    if NOT_READINGS.contains(&next) {
        return None;
    }

    if WEIGHT_UNITS.contains(&next) && unit_glued && (1.0..=350.0).contains(&v) {
        return vital(VitalKind::Weight, after + 1);
    }
    if next == "bpm" && (20.0..=260.0).contains(&v) {
        return vital(VitalKind::HeartRate, after + 1);
    }
    if (next == "graus" || next == "grau" || next == "c") && (34.0..=43.5).contains(&v) {
        return vital(VitalKind::Temperature, after + 1);
    }
    // Otherwise the nearest cue word decides the kind: `spo2 97 fc 65` is a saturation and a
    // heart rate, not two saturations.
    let kind = nearest_cue(words, i, after);
    match kind {
        Some(VitalKind::Temperature) if (34.0..=43.5).contains(&v) => {
            return vital(VitalKind::Temperature, after);
        }
        Some(VitalKind::Glucose) if (20.0..=900.0).contains(&v) && v.fract() == 0.0 => {
            return vital(VitalKind::Glucose, after);
        }
        Some(VitalKind::OxygenSaturation) if (50.0..=100.0).contains(&v) => {
            return vital(VitalKind::OxygenSaturation, after);
        }
        Some(VitalKind::HeartRate) if (25.0..=250.0).contains(&v) && v.fract() == 0.0 => {
            return vital(VitalKind::HeartRate, after);
        }
        Some(VitalKind::Weight) if (2.0..=350.0).contains(&v) => {
            let end = if WEIGHT_UNITS.contains(&next) {
                after + 1
            } else {
                after
            };
            return vital(VitalKind::Weight, end);
        }
        _ => {}
    }
    if WEIGHT_UNITS.contains(&next) && (1.0..=350.0).contains(&v) {
        return vital(VitalKind::Weight, after + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Folded;
    use crate::vocab::Vocab;

    fn vitals(text: &str) -> Vec<(&'static str, String)> {
        let vocab = Vocab::new("");
        let folded = Folded::new(text);
        let words = Words::new(&folded, &vocab);
        extract(&words)
            .into_iter()
            .map(|v| (v.kind.name(), v.value_text()))
            .collect()
    }

    #[test]
    fn blood_pressure_in_every_form() {
        for text in [
            "minha pressao deu 13 por 8",
            "13x8",
            "deu 130/80 hoje",
            "pressao 13/8",
            "a pressao ta 12 e 8 agora",
        ] {
            let got = vitals(text);
            assert_eq!(got.len(), 1, "{text}: {got:?}");
            assert_eq!(got[0].0, "blood_pressure");
        }
        assert_eq!(vitals("14 por 9"), vec![("blood_pressure", "140/90".to_owned())]);
        assert_eq!(vitals("deu 12 e 8")[..], [], "`e` needs a pressure cue");
        assert_eq!(vitals("consulta dia 20/11")[..], [], "a date is not a pressure");
        assert_eq!(vitals("tomo de 8/8 horas")[..], []);
    }

    #[test]
    fn decimals_units_and_cues() {
        assert_eq!(vitals("febre de 39,5"), vec![("temperature", "39.5".to_owned())]);
        assert_eq!(
            vitals("termometro marcou 38"),
            vec![("temperature", "38".to_owned())]
        );
        assert_eq!(
            vitals("glicemia deu 250 em jejum"),
            vec![("glucose", "250".to_owned())]
        );
        assert_eq!(vitals("pesei 82,5 kg"), vec![("weight", "82.5".to_owned())]);
        assert_eq!(vitals("82kg"), vec![("weight", "82".to_owned())]);
        assert_eq!(
            vitals("saturacao 93%"),
            vec![("oxygen_saturation", "93".to_owned())]
        );
        assert_eq!(vitals("batimento 110"), vec![("heart_rate", "110".to_owned())]);
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(
            vitals("pressao dezoito por doze"),
            vec![("blood_pressure", "180/120".to_owned())]
        );
        assert_eq!(
            vitals("minha pressao ta cento e vinte por oitenta"),
            vec![("blood_pressure", "120/80".to_owned())]
        );
        assert_eq!(
            vitals("pressao cento e quarenta por noventa"),
            vec![("blood_pressure", "140/90".to_owned())]
        );
        assert_eq!(
            vitals("doze por oito a pressao"),
            vec![("blood_pressure", "120/80".to_owned())]
        );
        assert_eq!(
            vitals("a saturacao ta oitenta e cinco"),
            vec![("oxygen_saturation", "85".to_owned())]
        );
        assert_eq!(
            vitals("peso deu sessenta e quatro"),
            vec![("weight", "64".to_owned())]
        );
        assert_eq!(
            vitals("glicemia deu duzentos e cinquenta e cinco"),
            vec![("glucose", "255".to_owned())]
        );
        assert_eq!(
            vitals("glicemia cento e cinco em jejum"),
            vec![("glucose", "105".to_owned())]
        );
        assert_eq!(
            vitals("saturacao oitenta e nove e batimento cento e dez"),
            vec![
                ("oxygen_saturation", "89".to_owned()),
                ("heart_rate", "110".to_owned())
            ],
            "each compound is read whole, once"
        );
        assert!(
            vitals("glicemia deu cento e poucos").is_empty(),
            "`cento` alone is no number"
        );
        assert!(
            vitals("tomo dois comprimidos de pressao").is_empty(),
            "a count is not a reading"
        );
    }

    #[test]
    fn bare_numbers_are_not_vitals() {
        assert!(vitals("tenho 39 anos e 2 filhos").is_empty());
        assert!(vitals("protocolo 123456").is_empty());
    }
}
