//! The lexicons, loaded once from the data files under `data/nlp/` (compiled into the binary so
//! that `austa` needs no files at run time).

use crate::LoadError;
use crate::phrases::{PhraseIndex, Words};
use crate::vitals;
use crate::vocab::Vocab;

pub const SYMPTOMS_TSV: &str = include_str!("../../../data/nlp/symptoms.tsv");
pub const MEDICATIONS_TSV: &str = include_str!("../../../data/nlp/medications.tsv");
pub const CONDITIONS_TSV: &str = include_str!("../../../data/nlp/conditions.tsv");
pub const CUES_TSV: &str = include_str!("../../../data/nlp/cues.tsv");
pub const COMMON_WORDS: &str = include_str!("../../../data/nlp/common-words.txt");

/// Cue groups of `cues.tsv`, in a fixed order so that rules can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Cue {
    Greet,
    Thanks,
    Bye,
    Points,
    Human,
    OptOut,
    Appointment,
    Auth,
    Results,
    Document,
    MedQuestion,
    Adherence,
    VitalWord,
    SymptomWord,
    EmergencyWord,
    Third,
    Past,
    Resolved,
    Question,
    Admin,
    Critical,
    Poison,
    Severe,
    Radiating,
    Baby,
    SideEffect,
    History,
    Now,
    Hypothetical,
    Idiom,
    Again,
    /// What a medicine is for (`remedio de convulsao`): the words after it are not a finding.
    Purpose,
    /// Sudden onset (`do nada`, `de repente`).
    Sudden,
    /// Breathlessness that is severe: at rest, with no effort at all, or despite the inhaler
    /// (`parado`, `nem ate o banheiro`, `usei o aerolin … e nao melhora`).
    Rest,
    /// A wrong dose given (`10 ml em vez de 10 gotas`): an overdose in a baby.
    WrongDose,
}

pub const CUE_NAMES: &[(&str, Cue)] = &[
    ("greet", Cue::Greet),
    ("thanks", Cue::Thanks),
    ("bye", Cue::Bye),
    ("points", Cue::Points),
    ("human", Cue::Human),
    ("optout", Cue::OptOut),
    ("appointment", Cue::Appointment),
    ("auth", Cue::Auth),
    ("results", Cue::Results),
    ("document", Cue::Document),
    ("medq", Cue::MedQuestion),
    ("adherence", Cue::Adherence),
    ("vitalw", Cue::VitalWord),
    ("symptomw", Cue::SymptomWord),
    ("emergencyw", Cue::EmergencyWord),
    ("third", Cue::Third),
    ("past", Cue::Past),
    ("resolved", Cue::Resolved),
    ("question", Cue::Question),
    ("admin", Cue::Admin),
    ("critical", Cue::Critical),
    ("poison", Cue::Poison),
    ("severe", Cue::Severe),
    ("radiating", Cue::Radiating),
    ("baby", Cue::Baby),
    ("sidefx", Cue::SideEffect),
    ("history", Cue::History),
    ("now", Cue::Now),
    ("hypothetical", Cue::Hypothetical),
    ("idiom", Cue::Idiom),
    ("again", Cue::Again),
    ("purpose", Cue::Purpose),
    ("sudden", Cue::Sudden),
    ("rest", Cue::Rest),
    ("wrongdose", Cue::WrongDose),
];

pub const CUE_COUNT: usize = CUE_NAMES.len();

#[derive(Debug)]
pub struct Condition {
    pub code: String,
    pub name: String,
}

#[derive(Debug)]
pub struct Lexicon {
    pub vocab: Vocab,
    pub symptoms: PhraseIndex,
    pub symptom_names: Vec<String>,
    pub medications: PhraseIndex,
    pub medication_names: Vec<String>,
    pub conditions: PhraseIndex,
    pub condition_info: Vec<Condition>,
    pub cues: Vec<PhraseIndex>,
}

/// Data lines of a lexicon file: comments and blank lines skipped, split on tabs.
fn rows(source: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n + 1, l.split('\t').map(str::trim).collect()))
}

fn patterns(field: &str) -> impl Iterator<Item = &str> {
    field.split('|').map(str::trim).filter(|p| !p.is_empty())
}

impl Lexicon {
    pub fn load() -> Result<Self, LoadError> {
        let mut vocab = Vocab::new(COMMON_WORDS);

        let mut symptoms = PhraseIndex::default();
        let mut symptom_names = Vec::new();
        for (line, cols) in rows(SYMPTOMS_TSV) {
            let [name, pats] = cols[..] else {
                return Err(LoadError::Line("symptoms.tsv", line));
            };
            let entry = entry_number(symptom_names.len(), "symptoms.tsv", line)?;
            for p in patterns(pats) {
                symptoms.add(&mut vocab, p, entry)?;
            }
            // The canonical name itself, folded, is always a pattern.
            symptoms.add(&mut vocab, name, entry)?;
            symptom_names.push(name.to_owned());
        }

        let mut medications = PhraseIndex::default();
        let mut medication_names = Vec::new();
        for (line, cols) in rows(MEDICATIONS_TSV) {
            let (name, aliases) = match cols[..] {
                [name] => (name, ""),
                [name, aliases] => (name, aliases),
                _ => return Err(LoadError::Line("medications.tsv", line)),
            };
            let entry = entry_number(medication_names.len(), "medications.tsv", line)?;
            // A combination's own name (`cafeina + dipirona`) is not something patients type.
            if !name.contains(" + ") {
                medications.add(&mut vocab, name, entry)?;
            }
            for p in patterns(aliases) {
                medications.add(&mut vocab, p, entry)?;
            }
            medication_names.push(name.to_owned());
        }

        let mut conditions = PhraseIndex::default();
        let mut condition_info = Vec::new();
        for (line, cols) in rows(CONDITIONS_TSV) {
            let [code, name, pats] = cols[..] else {
                return Err(LoadError::Line("conditions.tsv", line));
            };
            let entry = entry_number(condition_info.len(), "conditions.tsv", line)?;
            for p in patterns(pats) {
                conditions.add(&mut vocab, p, entry)?;
            }
            condition_info.push(Condition {
                code: code.to_owned(),
                name: name.to_owned(),
            });
        }

        let mut cues: Vec<Option<PhraseIndex>> = (0..CUE_COUNT).map(|_| None).collect();
        for (line, cols) in rows(CUES_TSV) {
            let [name, pats] = cols[..] else {
                return Err(LoadError::Line("cues.tsv", line));
            };
            let Some(&(_, cue)) = CUE_NAMES.iter().find(|(n, _)| *n == name) else {
                return Err(LoadError::Line("cues.tsv", line));
            };
            let mut index = PhraseIndex::default();
            for p in patterns(pats) {
                index.add(&mut vocab, p, cue as u32)?;
            }
            cues[cue as usize] = Some(index);
        }
        let mut cues: Vec<PhraseIndex> = cues
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.ok_or(LoadError::MissingCue(CUE_NAMES[i].0)))
            .collect::<Result<_, _>>()?;

        for group in [
            vitals::PRESSURE_CUES,
            vitals::GLUCOSE_CUES,
            vitals::TEMPERATURE_CUES,
            vitals::WEIGHT_CUES,
            vitals::HEART_CUES,
            vitals::SATURATION_CUES,
        ] {
            for w in group {
                vocab.add_target(w);
            }
        }

        symptoms.seal(&mut vocab);
        medications.seal(&mut vocab);
        conditions.seal(&mut vocab);
        for c in &mut cues {
            c.seal(&mut vocab);
        }
        Ok(Lexicon {
            vocab,
            symptoms,
            symptom_names,
            medications,
            medication_names,
            conditions,
            condition_info,
            cues,
        })
    }

    /// Where each cue group occurs in the message.
    pub fn cue_matches(&self, words: &Words) -> Vec<Vec<crate::phrases::Match>> {
        self.cues.iter().map(|index| index.find(words)).collect()
    }
}

fn entry_number(n: usize, file: &'static str, line: usize) -> Result<u32, LoadError> {
    u32::try_from(n).map_err(|_| LoadError::Line(file, line))
}
