//! The result of analysing one message, serialized exactly as TAXONOMY.md shows.

use serde::Serialize;

use crate::findings::Findings;
use crate::lexicon::Lexicon;
use crate::phrases::Words;
use crate::rules::RedFlag;
use crate::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(usize)]
pub enum Intent {
    Greeting,
    FarewellThanks,
    SymptomReport,
    MedicationQuestion,
    MedicationAdherence,
    VitalSignReport,
    Appointment,
    AuthorizationStatus,
    ExamResults,
    DocumentSubmission,
    Gamification,
    HumanAgent,
    OptOut,
    Emergency,
    Other,
}

impl Intent {
    pub const ALL: [Intent; 15] = [
        Intent::Greeting,
        Intent::FarewellThanks,
        Intent::SymptomReport,
        Intent::MedicationQuestion,
        Intent::MedicationAdherence,
        Intent::VitalSignReport,
        Intent::Appointment,
        Intent::AuthorizationStatus,
        Intent::ExamResults,
        Intent::DocumentSubmission,
        Intent::Gamification,
        Intent::HumanAgent,
        Intent::OptOut,
        Intent::Emergency,
        Intent::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Greeting => "greeting",
            Intent::FarewellThanks => "farewell_thanks",
            Intent::SymptomReport => "symptom_report",
            Intent::MedicationQuestion => "medication_question",
            Intent::MedicationAdherence => "medication_adherence",
            Intent::VitalSignReport => "vital_sign_report",
            Intent::Appointment => "appointment",
            Intent::AuthorizationStatus => "authorization_status",
            Intent::ExamResults => "exam_results",
            Intent::DocumentSubmission => "document_submission",
            Intent::Gamification => "gamification",
            Intent::HumanAgent => "human_agent",
            Intent::OptOut => "opt_out",
            Intent::Emergency => "emergency",
            Intent::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(usize)]
pub enum Urgency {
    Emergency,
    High,
    Medium,
    Low,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [Urgency::Emergency, Urgency::High, Urgency::Medium, Urgency::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Emergency => "emergency",
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Symptom,
    Medication,
    VitalSign,
    Condition,
    Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: EntityKind,
    /// The words as written (folded: lower case, no accents).
    pub text: String,
    pub normalized: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    /// CID-10 code of a condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub negated: bool,
    #[serde(skip)]
    position: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub id: String,
    pub intent: Intent,
    pub confidence: f64,
    pub urgency: Urgency,
    pub entities: Vec<Entity>,
    #[serde(rename = "healthKeywords")]
    pub health_keywords: Vec<String>,
    /// Which red flag made it an emergency (not part of the line format; the conversation engine
    /// uses it to choose SAMU 192 or CVV 188).
    #[serde(skip)]
    pub red_flag: Option<RedFlag>,
    /// The model's three likeliest intents with their probabilities (for a tie-break elsewhere).
    #[serde(skip)]
    pub alternatives: Vec<(Intent, f32)>,
}

impl Analysis {
    pub fn entities_of(&self, kind: EntityKind) -> impl Iterator<Item = &Entity> {
        self.entities.iter().filter(move |e| e.kind == kind)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    id: &str,
    lex: &Lexicon,
    words: &Words,
    found: &Findings,
    intent: crate::Intent,
    confidence: f32,
    urgency: crate::Urgency,
    red_flag: Option<RedFlag>,
    alternatives: Vec<(Intent, f32)>,
) -> Analysis {
    let span = |s: usize, e: usize| words.folded.span(s, e).to_owned();
    let mut entities = Vec::new();
    let plain = |kind, text, normalized: &str, negated, position| Entity {
        kind,
        text,
        normalized: normalized.to_owned(),
        value: None,
        unit: None,
        code: None,
        negated,
        position,
    };
    for s in &found.symptoms {
        let name = lex
            .symptom_names
            .get(s.entry as usize)
            .map(String::as_str)
            .unwrap_or("");
        entities.push(plain(
            EntityKind::Symptom,
            span(s.start, s.end),
            name,
            s.negated,
            s.start,
        ));
    }
    for m in &found.medications {
        let name = lex
            .medication_names
            .get(m.entry as usize)
            .map(String::as_str)
            .unwrap_or("");
        entities.push(plain(
            EntityKind::Medication,
            span(m.start, m.end),
            name,
            m.negated,
            m.start,
        ));
    }
    for v in &found.vitals {
        let mut e = plain(
            EntityKind::VitalSign,
            span(v.start, v.end),
            v.kind.name(),
            false,
            v.start,
        );
        e.value = Some(v.value_text());
        e.unit = Some(v.kind.unit());
        entities.push(e);
    }
    for c in &found.conditions {
        if let Some(info) = lex.condition_info.get(c.entry as usize) {
            let mut e = plain(
                EntityKind::Condition,
                span(c.start, c.end),
                &info.name,
                c.negated,
                c.start,
            );
            e.code = Some(info.code.clone());
            entities.push(e);
        }
    }
    for d in &found.durations {
        entities.push(plain(
            EntityKind::Duration,
            span(d.start, d.end),
            &d.iso,
            false,
            d.start,
        ));
    }
    entities.sort_by_key(|e| e.position);

    let mut health_keywords: Vec<String> = Vec::new();
    for e in &entities {
        let k = match e.kind {
            EntityKind::Symptom | EntityKind::Condition => fold(&e.normalized),
            EntityKind::Medication => e.normalized.clone(),
            EntityKind::VitalSign => found
                .vitals
                .iter()
                .find(|v| v.kind.name() == e.normalized)
                .map(|v| v.kind.keyword().to_owned())
                .unwrap_or_default(),
            EntityKind::Duration => continue,
        };
        if !k.is_empty() && !health_keywords.contains(&k) {
            health_keywords.push(k);
        }
    }
    Analysis {
        id: id.to_owned(),
        intent,
        confidence: (f64::from(confidence) * 100.0).round() / 100.0,
        urgency,
        entities,
        health_keywords,
        red_flag,
        alternatives,
    }
}

/// The analysis of a message with nothing readable in it.
pub(crate) fn unreadable(id: &str, confidence: f32) -> Analysis {
    Analysis {
        id: id.to_owned(),
        intent: Intent::Other,
        confidence: (f64::from(confidence) * 100.0).round() / 100.0,
        urgency: Urgency::Low,
        entities: Vec::new(),
        health_keywords: Vec::new(),
        red_flag: None,
        alternatives: Vec::new(),
    }
}
