//! Everything the lexicons and extractors find in one message, before any decision: symptoms,
//! medications and conditions with negation, vital readings, durations, cue counts.

use crate::durations::{self, Duration};
use crate::lexicon::{CUE_COUNT, Cue, Lexicon};
use crate::negation;
use crate::phrases::{Match, Words};
use crate::vitals::{self, Vital, VitalKind};

#[derive(Debug, Clone, Copy)]
pub struct Found {
    /// Index into the lexicon's names.
    pub entry: u32,
    pub start: usize,
    pub end: usize,
    pub negated: bool,
}

#[derive(Debug)]
pub struct Findings {
    pub symptoms: Vec<Found>,
    pub medications: Vec<Found>,
    pub conditions: Vec<Found>,
    pub vitals: Vec<Vital>,
    pub durations: Vec<Duration>,
    pub cues: [u8; CUE_COUNT],
    /// The largest number of pills said to be taken at once (`tomei 20 comprimidos`).
    pub pills_taken: f64,
}

impl Findings {
    pub fn new(lexicon: &Lexicon, words: &Words) -> Self {
        let symptom_matches = lexicon.symptoms.find(words);
        let medication_matches = lexicon.medications.find(words);
        let condition_matches = lexicon.conditions.find(words);
        let mut spans: Vec<(usize, usize)> = symptom_matches
            .iter()
            .chain(&condition_matches)
            .map(|m| (m.start, m.end))
            .collect();
        spans.sort_unstable();
        let negate = |ms: Vec<Match>| -> Vec<Found> {
            let mut out: Vec<Found> = Vec::with_capacity(ms.len());
            for m in ms {
                let negated = negation::is_negated(words, m.start, m.end, &spans);
                // One entity per name: affirmed anywhere wins over denied elsewhere.
                match out.iter_mut().find(|f| f.entry == m.entry) {
                    Some(f) => f.negated &= negated,
                    None => out.push(Found {
                        entry: m.entry,
                        start: m.start,
                        end: m.end,
                        negated,
                    }),
                }
            }
            out
        };
        Findings {
            symptoms: negate(symptom_matches),
            medications: negate(medication_matches),
            conditions: negate(condition_matches),
            vitals: vitals::extract(words),
            durations: durations::extract(words),
            cues: lexicon.cue_counts(words),
            pills_taken: pills_taken(words),
        }
    }

    pub fn cue(&self, cue: Cue) -> bool {
        self.cues[cue as usize] > 0
    }

    /// An affirmed (not negated) symptom of this canonical name.
    pub fn has_symptom(&self, lexicon: &Lexicon, name: &str) -> bool {
        self.symptoms.iter().any(|s| {
            !s.negated
                && lexicon
                    .symptom_names
                    .get(s.entry as usize)
                    .is_some_and(|n| n == name)
        })
    }

    pub fn affirmed_symptoms(&self) -> usize {
        self.symptoms.iter().filter(|s| !s.negated).count()
    }

    pub fn vital(&self, kind: VitalKind) -> impl Iterator<Item = &Vital> {
        self.vitals.iter().filter(move |v| v.kind == kind)
    }

    pub fn has_condition(&self, lexicon: &Lexicon, code: &str) -> bool {
        self.conditions.iter().any(|c| {
            lexicon
                .condition_info
                .get(c.entry as usize)
                .is_some_and(|i| i.code == code)
        })
    }

    /// Longest stated duration, in days.
    pub fn longest_days(&self) -> f64 {
        self.durations
            .iter()
            .map(|d| iso_days(&d.iso))
            .fold(0.0, f64::max)
    }
}

fn iso_days(iso: &str) -> f64 {
    let (time, body) = match iso.strip_prefix("PT") {
        Some(b) => (true, b),
        None => (false, iso.strip_prefix('P').unwrap_or("")),
    };
    let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
    let n: f64 = digits.parse().unwrap_or(0.0);
    match (time, body.chars().last()) {
        (true, Some('H')) => n / 24.0,
        (true, _) => n / 1440.0,
        (false, Some('D')) => n,
        (false, Some('W')) => n * 7.0,
        (false, Some('M')) => n * 30.0,
        (false, Some('Y')) => n * 365.0,
        _ => 0.0,
    }
}

const PILLS: &[&str] = &[
    "comprimidos",
    "comprimido",
    "capsulas",
    "capsula",
    "pilulas",
    "pilula",
    "cartelas",
    "caixas",
    "remedios",
];
const SWALLOW: &[&str] = &[
    "tomei", "tomou", "engoli", "engoliu", "ingeriu", "tomaram", "tomado", "tomar",
];

fn pills_taken(words: &Words) -> f64 {
    let mut most: f64 = 0.0;
    for i in 0..words.len() {
        let Some(n) = words.number(i) else { continue };
        let pills = (i + 1..(i + 3).min(words.len())).any(|j| PILLS.contains(&words.form(j)));
        let swallowed = (i.saturating_sub(3)..i).any(|j| SWALLOW.contains(&words.form(j)));
        if pills && swallowed {
            most = most.max(n);
        }
    }
    most
}
