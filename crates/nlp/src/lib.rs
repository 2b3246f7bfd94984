//! Portuguese analysis of patient messages (`../shared/nlp/TAXONOMY.md`): one intent of 15 with a
//! calibrated confidence, one urgency of 4, entities (symptoms, medications, vital signs,
//! conditions, durations) with negation, and health keywords. Pure: no I/O, no clock.
//!
//! The pipeline: [`text`] folds and tokenizes; [`vocab`] expands chat abbreviations and corrects
//! typos towards the lexicons; [`phrases`] matches the lexicons of `data/nlp/`; [`findings`] gathers
//! entities, readings ([`vitals`]), [`durations`] and cue words with [`negation`]; [`rules`] decides
//! red flags, which always win; a small [`model`] trained on the labelled set picks the intent and
//! the urgency below the red flags.

pub mod dataset;
pub mod durations;
pub mod eval;
pub mod findings;
pub mod lexicon;
pub mod model;
pub mod negation;
pub mod paperwork;
pub mod phrases;
pub mod rules;
pub mod text;
pub mod vitals;
pub mod vocab;

mod analysis;
mod features;

pub use analysis::{Analysis, Entity, EntityKind, Intent, Urgency};
pub use rules::{HighFlag, RedFlag, Verdict};

use std::sync::OnceLock;

use findings::Findings;
use lexicon::Lexicon;
use model::Classifier;
use phrases::Words;
use text::Folded;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}: line {1} is malformed")]
    Line(&'static str, usize),
    #[error("lexicon pattern {0:?} is invalid (it must start and end with a word)")]
    Pattern(String),
    #[error("cues.tsv has no line for cue group {0:?}")]
    MissingCue(&'static str),
    #[error("the training set has an unknown label {0:?}")]
    Label(String),
}

/// The loaded lexicons and trained models. Build it once ([`Analyzer::shared`]); analysing is
/// then a pure function of the text.
#[derive(Debug)]
pub struct Analyzer {
    lexicon: Lexicon,
    intents: Classifier,
    urgencies: Classifier,
    /// How often the red-flag rules were right on the train split (Laplace-smoothed): the
    /// confidence of an emergency they decide.
    rule_precision: f32,
    /// The model's confidence in `other` for an empty message: used for unreadable ones.
    other_confidence: f32,
}

/// The model's own emergency calls below this probability are not trusted.
const MODEL_EMERGENCY_MIN: f32 = 0.9;

static SHARED: OnceLock<Result<Analyzer, LoadError>> = OnceLock::new();

impl Analyzer {
    /// The process-wide analyzer, built on first use.
    pub fn shared() -> Result<&'static Analyzer, &'static LoadError> {
        SHARED.get_or_init(Analyzer::new).as_ref()
    }

    /// Lexicons from `data/nlp`, models trained on the development data (`dataset::development`).
    pub fn new() -> Result<Self, LoadError> {
        Self::trained_on(&dataset::development()?)
    }

    /// Lexicons from `data/nlp`, models trained on `train` (cross-validation trains on folds).
    pub fn trained_on(train: &[dataset::Labelled]) -> Result<Self, LoadError> {
        let lexicon = Lexicon::load()?;
        let mut intent_examples = Vec::with_capacity(train.len());
        let mut urgency_examples = Vec::with_capacity(train.len());
        let (mut fired, mut fired_right) = (0u32, 0u32);
        for l in train {
            let intent = Intent::parse(&l.intent).ok_or_else(|| LoadError::Label(l.intent.clone()))?;
            let urgency = Urgency::parse(&l.urgency).ok_or_else(|| LoadError::Label(l.urgency.clone()))?;
            let folded = Folded::new(&l.text);
            let words = Words::new(&folded, &lexicon.vocab);
            let found = Findings::new(&lexicon, &words);
            let verdict = rules::assess(&lexicon, &found);
            if matches!(verdict, Verdict::Emergency(_)) {
                fired += 1;
                fired_right += u32::from(urgency == Urgency::Emergency);
            }
            let feats = features::extract(&lexicon, &words, &found, verdict);
            if urgency != Urgency::Emergency {
                urgency_examples.push((feats.clone(), urgency as usize));
            }
            intent_examples.push((feats, intent as usize));
        }
        let intents = Classifier::train(Intent::ALL.len(), &intent_examples);
        let empty = Folded::new("");
        let empty_words = Words::new(&empty, &lexicon.vocab);
        let empty_found = Findings::new(&lexicon, &empty_words);
        let other_confidence = intents.probabilities(&features::extract(
            &lexicon,
            &empty_words,
            &empty_found,
            Verdict::None,
        ))[Intent::Other as usize];
        Ok(Analyzer {
            other_confidence,
            intents,
            urgencies: Classifier::train(Urgency::ALL.len(), &urgency_examples),
            rule_precision: (fired_right as f32 + 1.0) / (fired as f32 + 2.0),
            lexicon,
        })
    }

    pub fn analyze(&self, id: &str, text: &str) -> Analysis {
        let folded = Folded::new(text);
        let words = Words::new(&folded, &self.lexicon.vocab);
        if self.is_gibberish(&words) {
            return analysis::unreadable(id, self.other_confidence);
        }
        let found = Findings::new(&self.lexicon, &words);
        let verdict = rules::assess(&self.lexicon, &found);
        let feats = features::extract(&self.lexicon, &words, &found, verdict);

        let probs = self.intents.probabilities(&feats);
        let (best, p) = argmax(&probs);
        let mut intent = Intent::ALL.get(best).copied().unwrap_or(Intent::Other);
        let mut confidence = p;
        // Without a red flag the model alone must be sure to call an emergency; otherwise its
        // next choice stands (emergency precision matters too: a false alarm goes to a nurse).
        // Nor when the red flags it may have seen are denied or in the past.
        let inactive_red_flag = found.has_inactive_symptom(&self.lexicon, rules::RED_FLAG_SYMPTOMS);
        if intent == Intent::Emergency
            && !matches!(verdict, Verdict::Emergency(_))
            && (p < MODEL_EMERGENCY_MIN || inactive_red_flag)
        {
            let mut rest = probs.clone();
            rest[Intent::Emergency as usize] = 0.0;
            let (next, q) = argmax(&rest);
            intent = Intent::ALL.get(next).copied().unwrap_or(Intent::Other);
            confidence = q;
        }
        if let Verdict::Emergency(_) = verdict {
            if intent != Intent::Emergency {
                intent = Intent::Emergency;
                confidence = self.rule_precision.max(probs[Intent::Emergency as usize]);
            } else {
                confidence = confidence.max(self.rule_precision);
            }
        }
        if words.is_empty() {
            intent = Intent::Other;
            confidence = probs[Intent::Other as usize];
        }

        let urgency = match verdict {
            Verdict::Emergency(_) => Urgency::Emergency,
            _ if intent == Intent::Emergency => Urgency::Emergency,
            Verdict::High(_) => Urgency::High,
            Verdict::None => {
                let u = self.urgencies.probabilities(&feats);
                // The emergency class is never learnt here: the rules own it.
                let (i, _) = argmax(&u[1..]);
                Urgency::ALL.get(i + 1).copied().unwrap_or(Urgency::Low)
            }
        };
        let red_flag = match verdict {
            Verdict::Emergency(f) => Some(f),
            _ => None,
        };
        let mut ranked: Vec<(Intent, f32)> = Intent::ALL.iter().copied().zip(probs.iter().copied()).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(3);
        analysis::build(
            id,
            &self.lexicon,
            &words,
            &found,
            intent,
            confidence,
            urgency,
            red_flag,
            ranked,
        )
    }
}

impl Analyzer {
    /// Binary garbage, base64, keyboard mashing: many tokens, almost none a word we know.
    fn is_gibberish(&self, words: &Words) -> bool {
        // Words of two letters or more: single letters and numbers say nothing either way.
        let candidates: Vec<usize> = (0..words.len())
            .filter(|&i| {
                matches!(words.folded.tokens[i].kind, text::Kind::Word) && words.folded.surface(i).len() >= 2
            })
            .collect();
        if candidates.len() < GIBBERISH_MIN_TOKENS {
            return false;
        }
        let known = candidates
            .iter()
            .filter(|&&i| words.ids[i].is_some() || self.lexicon.vocab.knows(words.form(i)))
            .count();
        (known as f32) < GIBBERISH_KNOWN_SHARE * candidates.len() as f32
    }
}

const GIBBERISH_MIN_TOKENS: usize = 8;
const GIBBERISH_KNOWN_SHARE: f32 = 0.2;

fn argmax(p: &[f32]) -> (usize, f32) {
    p.iter().copied().enumerate().fold(
        (0, f32::NEG_INFINITY),
        |best, (i, v)| if v > best.1 { (i, v) } else { best },
    )
}
