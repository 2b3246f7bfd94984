//! The safety rules: red flags that make a message an emergency whatever a statistical model
//! says (TAXONOMY.md, urgency `emergency`), and the findings that need a clinician today (`high`).
//! Every verdict carries the reason, so an escalation can say why and pick the right helpline.

use crate::findings::Findings;
use crate::lexicon::{Cue, Lexicon};
use crate::vitals::VitalKind;

/// Why a message is an emergency. `Suicide` sends the patient to CVV 188 (and SAMU 192 if danger
/// is imminent); every other flag to SAMU 192.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedFlag {
    ChestPain,
    Stroke,
    Unconscious,
    Seizure,
    SevereBleeding,
    SevereBreathlessness,
    Anaphylaxis,
    Suicide,
    Poisoning,
    ExtremeGlucose,
    HypertensiveCrisis,
    LowOxygen,
    LifeThreat,
}

impl RedFlag {
    pub fn name(self) -> &'static str {
        match self {
            RedFlag::ChestPain => "chest_pain",
            RedFlag::Stroke => "stroke_signs",
            RedFlag::Unconscious => "unconscious",
            RedFlag::Seizure => "seizure",
            RedFlag::SevereBleeding => "severe_bleeding",
            RedFlag::SevereBreathlessness => "severe_breathlessness",
            RedFlag::Anaphylaxis => "anaphylaxis",
            RedFlag::Suicide => "suicide_risk",
            RedFlag::Poisoning => "poisoning",
            RedFlag::ExtremeGlucose => "extreme_glucose",
            RedFlag::HypertensiveCrisis => "hypertensive_crisis",
            RedFlag::LowOxygen => "low_oxygen",
            RedFlag::LifeThreat => "life_threat",
        }
    }
}

/// Findings that need a clinician today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighFlag {
    ChestPain,
    HighFever,
    FeverInBaby,
    HighPressure,
    Glucose,
    Vomiting,
    SevereHeadache,
    Breathlessness,
    Bleeding,
    Confusion,
    Vitals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Emergency(RedFlag),
    High(HighFlag),
    None,
}

pub fn assess(lex: &Lexicon, f: &Findings) -> Verdict {
    if let Some(flag) = red_flag(lex, f) {
        return Verdict::Emergency(flag);
    }
    high_flag(lex, f).map(Verdict::High).unwrap_or(Verdict::None)
}

/// Symptoms that are red flags on their own or with another finding.
pub const RED_FLAG_SYMPTOMS: &[&str] = &[
    "ideação suicida",
    "dor no peito",
    "falta de ar",
    "desmaio",
    "convulsão",
    "fraqueza em um lado do corpo",
    "paralisia facial",
    "dificuldade para falar",
    "inchaço na garganta",
    "sangramento",
    "confusão mental",
];

/// Pills swallowed at once that make an overdose (a double dose is a question, not this).
const OVERDOSE_PILLS: f64 = 8.0;
/// Pills at once that make an overdose when symptoms follow.
const OVERDOSE_PILLS_WITH_SYMPTOMS: f64 = 5.0;
/// Times one medicine was taken in a row that make an overdose when symptoms follow.
const REPEATED_DOSES: f64 = 3.0;

fn red_flag(lex: &Lexicon, f: &Findings) -> Option<RedFlag> {
    let has = |name: &str| f.has_current_symptom(lex, name);
    // Suicide risk is never "in the past" enough to ignore.
    if has("ideação suicida") {
        return Some(RedFlag::Suicide);
    }
    // History or an event already cared for in the same sentence makes a finding "not now"
    // (see `Findings`): `has` only sees what is happening now.
    // Stroke signs that came and went are still an emergency (a transient ischaemic attack).
    if has("fraqueza em um lado do corpo") || has("paralisia facial") || has("dificuldade para falar") {
        return Some(RedFlag::Stroke);
    }
    if f.poison_now || f.pills_taken >= OVERDOSE_PILLS {
        return Some(RedFlag::Poisoning);
    }
    // Fewer pills, or the same medicine taken three times or more, and feeling it: an overdose.
    // A wrong dose given to a baby is one whatever it feels.
    let feeling_it = f.affirmed_symptoms() > 0;
    if (f.repeated_doses >= REPEATED_DOSES || f.pills_taken >= OVERDOSE_PILLS_WITH_SYMPTOMS) && feeling_it
        || (f.cue(Cue::WrongDose) && f.cue(Cue::Baby))
    {
        return Some(RedFlag::Poisoning);
    }
    if f.critical_now {
        return Some(RedFlag::LifeThreat);
    }
    if has("inchaço na garganta") {
        return Some(RedFlag::Anaphylaxis);
    }
    if has("convulsão") {
        return Some(RedFlag::Seizure);
    }
    if has("desmaio") {
        return Some(RedFlag::Unconscious);
    }
    let symptomatic = f.affirmed_symptoms() > 0;
    // The latest reading of each kind is the patient's state now ("ontem deu 480, hoje 160").
    if f.latest(VitalKind::Glucose)
        .is_some_and(|g| g.value > 400.0 || (g.value < 54.0 && symptomatic))
    {
        return Some(RedFlag::ExtremeGlucose);
    }
    if f.latest(VitalKind::BloodPressure)
        .is_some_and(|bp| (bp.value >= 180.0 || bp.diastolic >= 120.0) && symptomatic)
    {
        return Some(RedFlag::HypertensiveCrisis);
    }
    if f.latest(VitalKind::OxygenSaturation)
        .is_some_and(|s| s.value < 90.0)
    {
        return Some(RedFlag::LowOxygen);
    }
    // A young child who swallowed someone's pills: poison centre whatever the count.
    if f.young_child && f.pills_taken >= 1.0 {
        return Some(RedFlag::Poisoning);
    }
    // Sudden confusion with vomiting, headache, sweating or numbness: a stroke, a bleed,
    // hypoglycaemia, an intoxication. Whatever it is, SAMU.
    if has("confusão mental")
        && (has("vômito")
            || has("dor de cabeça")
            || has("suor excessivo")
            || has("dormência")
            || f.cue(Cue::EmergencyWord)
            || (has("tontura") && f.cue(Cue::Severe)))
    {
        return Some(RedFlag::Stroke);
    }
    // Confusion that came on suddenly is a stroke sign on its own (or a bleed, a low sugar).
    if has("confusão mental") && f.cue(Cue::Sudden) {
        return Some(RedFlag::Stroke);
    }
    // An allergic reaction that reaches the breath: anaphylaxis.
    if has("falta de ar") && (has("manchas na pele") || has("coceira")) {
        return Some(RedFlag::Anaphylaxis);
    }
    if has("dor no peito")
        && (has("falta de ar")
            || has("suor excessivo")
            || has("náusea")
            || has("vômito")
            || f.cue(Cue::Radiating)
            || has("dormência")
            || has("formigamento"))
    {
        return Some(RedFlag::ChestPain);
    }
    if (has("sangramento") || has("sangue na urina")) && f.cue(Cue::Severe) {
        return Some(RedFlag::SevereBleeding);
    }
    // Breathless with an alarm word, or at rest / unable to make the smallest effort.
    if has("falta de ar") && (f.cue(Cue::EmergencyWord) || f.cue(Cue::Rest)) {
        return Some(RedFlag::SevereBreathlessness);
    }
    None
}

fn high_flag(lex: &Lexicon, f: &Findings) -> Option<HighFlag> {
    let has = |name: &str| f.has_symptom(lex, name);
    if has("dor no peito") {
        return Some(HighFlag::ChestPain);
    }
    if has("falta de ar") {
        return Some(HighFlag::Breathlessness);
    }
    if has("sangramento") {
        return Some(HighFlag::Bleeding);
    }
    if has("confusão mental") {
        return Some(HighFlag::Confusion);
    }
    let max_temp = f
        .vital(VitalKind::Temperature)
        .map(|t| t.value)
        .fold(0.0, f64::max);
    if has("febre") || max_temp >= 37.8 {
        if f.cue(Cue::Baby) {
            return Some(HighFlag::FeverInBaby);
        }
        if max_temp >= 39.0 && f.longest_days() >= 3.0 || max_temp >= 40.0 {
            return Some(HighFlag::HighFever);
        }
    }
    if f.vital(VitalKind::BloodPressure)
        .any(|bp| bp.value >= 160.0 || bp.diastolic >= 100.0)
    {
        return Some(HighFlag::HighPressure);
    }
    if f.vital(VitalKind::Glucose)
        .any(|g| g.value > 300.0 || g.value < 60.0)
    {
        return Some(HighFlag::Glucose);
    }
    if has("vômito") && f.cue(Cue::Severe) {
        return Some(HighFlag::Vomiting);
    }
    if has("dor de cabeça")
        && f.cue(Cue::Severe)
        && (f.cue(Cue::EmergencyWord) || f.cues[Cue::Severe as usize] >= 2)
    {
        return Some(HighFlag::SevereHeadache);
    }
    if f.vital(VitalKind::OxygenSaturation).any(|s| s.value < 94.0)
        || f.vital(VitalKind::HeartRate)
            .any(|h| h.value > 130.0 || h.value < 45.0)
    {
        return Some(HighFlag::Vitals);
    }
    None
}
