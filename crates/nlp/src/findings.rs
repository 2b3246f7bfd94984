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
    /// Said of the past or of a "what if" in its own sentence (`teve um derrame em 2020`, `se ele
    /// tiver outra convulsao`), with nothing there saying it is happening now.
    pub not_now: bool,
}

#[derive(Debug)]
pub struct Findings {
    pub symptoms: Vec<Found>,
    pub medications: Vec<Found>,
    pub conditions: Vec<Found>,
    pub vitals: Vec<Vital>,
    pub durations: Vec<Duration>,
    pub cues: [u8; CUE_COUNT],
    pub cue_spans: Vec<Vec<Match>>,
    /// The largest number of pills said to be taken at once (`tomei 20 comprimidos`).
    pub pills_taken: f64,
    /// Doses of one medicine taken again and again (`tomou 3 vezes o remedio`).
    pub repeated_doses: f64,
    /// A poisoning or a life-threatening sign said of now (not "teve overdose mes passado, ja ta
    /// bem em casa", not "engasgou mas ja botou pra fora").
    pub poison_now: bool,
    pub critical_now: bool,
    /// A baby, or a child of twelve or under (`meu filho de 4 anos`).
    pub young_child: bool,
}

impl Findings {
    pub fn new(lexicon: &Lexicon, words: &Words) -> Self {
        let mut cue_spans = lexicon.cue_matches(words);
        // "ja passou de 5 minutos" is a duration, not something that is over.
        cue_spans[Cue::Resolved as usize].retain(|c| !words.is(c.end, "de"));
        let mut cues = [0u8; CUE_COUNT];
        for (count, spans) in cues.iter_mut().zip(&cue_spans) {
            *count = u8::try_from(spans.len()).unwrap_or(u8::MAX);
        }
        // Idioms ("vou me matar de estudar", "desmaiei de sono") are not findings, nor what a
        // medicine is for ("o remedio de convulsao dele").
        let idioms = &cue_spans[Cue::Idiom as usize];
        let purposes = &cue_spans[Cue::Purpose as usize];
        let literal = |m: &Match| {
            !idioms.iter().any(|i| i.start < m.end && m.start < i.end)
                && !purposes.iter().any(|p| p.end == m.start)
        };
        let symptom_matches: Vec<Match> = lexicon.symptoms.find(words).into_iter().filter(literal).collect();
        let medication_matches = lexicon.medications.find(words);
        let medication_starts: Vec<usize> = medication_matches.iter().map(|m| m.start).collect();
        let condition_matches = lexicon.conditions.find(words);
        let mut spans: Vec<(usize, usize)> = symptom_matches
            .iter()
            .chain(&condition_matches)
            .map(|m| (m.start, m.end))
            .collect();
        spans.sort_unstable();
        let sentences = sentence_numbers(words);
        // `em 2020`: a past year dates what it reaches, as any history cue does.
        let past_years: Vec<usize> = (1..words.len())
            .filter(|&i| {
                words.is(i - 1, "em") && words.number(i).is_some_and(|y| (1950.0..=2025.0).contains(&y))
            })
            .collect();
        let past_year_sentences: Vec<usize> = past_years
            .iter()
            .filter_map(|&i| sentences.get(i).copied())
            .collect();
        let clauses = clause_numbers(words);
        let in_sentence = |cue: Cue, sentence: usize| {
            cue_spans[cue as usize]
                .iter()
                .any(|c| sentences.get(c.start) == Some(&sentence))
                || (cue == Cue::History && past_year_sentences.contains(&sentence))
        };
        // History or a "what if" reaches a finding in its own clause or after it in the sentence;
        // a clause that follows tells something else ("esta com dor no peito, ja teve infarto").
        let reaches_from = |at: usize, m: &Match, sentence: usize, clause: usize| {
            sentences.get(at) == Some(&sentence) && (clauses.get(at) == Some(&clause) || at < m.start)
        };
        let reaches = |cue: Cue, m: &Match, sentence: usize, clause: usize| {
            cue_spans[cue as usize]
                .iter()
                .any(|c| reaches_from(c.start, m, sentence, clause))
                || (cue == Cue::History && past_years.iter().any(|&y| reaches_from(y, m, sentence, clause)))
        };
        // An event already cared for anywhere in the sentence, or history or a "what if" before
        // it, makes a finding "not now", unless its own clause says it is happening now ("teve
        // avc ano passado e agora esta com a boca torta de novo").
        let in_clause = |cue: Cue, clause: usize| {
            cue_spans[cue as usize]
                .iter()
                .any(|c| clauses.get(c.start) == Some(&clause))
        };
        let not_now = |m: &Match| {
            let (Some(&sentence), Some(&clause)) = (sentences.get(m.start), clauses.get(m.start)) else {
                return false;
            };
            // "de novo" beats even care already received; "agora" beats history and "what if"
            // ("estou bem agora" is no recurrence).
            let hypothetical_before = cue_spans[Cue::Hypothetical as usize]
                .iter()
                .any(|c| clauses.get(c.start) == Some(&clause) && c.start < m.start);
            if in_clause(Cue::Again, clause) && !hypothetical_before {
                return false;
            }
            in_sentence(Cue::Resolved, sentence)
                || ((reaches(Cue::History, m, sentence, clause)
                    || reaches(Cue::Hypothetical, m, sentence, clause))
                    && !in_clause(Cue::Now, clause))
        };
        let negate = |ms: Vec<Match>| -> Vec<Found> {
            let mut out: Vec<Found> = Vec::with_capacity(ms.len());
            for m in ms {
                let negated = negation::is_negated(words, m.start, m.end, &spans);
                let past = not_now(&m);
                // One entity per name: affirmed anywhere wins over denied elsewhere, and happening
                // now anywhere wins over past elsewhere.
                match out.iter_mut().find(|f| f.entry == m.entry) {
                    Some(f) => {
                        f.negated &= negated;
                        f.not_now &= past;
                    }
                    None => out.push(Found {
                        entry: m.entry,
                        start: m.start,
                        end: m.end,
                        negated,
                        not_now: past,
                    }),
                }
            }
            out
        };
        let said_of_now = |cue: Cue| cue_spans[cue as usize].iter().any(|c| !not_now(c));
        let (poison_now, critical_now) = (said_of_now(Cue::Poison), said_of_now(Cue::Critical));
        let young_child = !cue_spans[Cue::Baby as usize].is_empty() || young_child(words);
        Findings {
            poison_now,
            critical_now,
            young_child,
            symptoms: negate(symptom_matches),
            medications: negate(medication_matches),
            conditions: negate(condition_matches),
            vitals: vitals::extract(words),
            durations: durations::extract(words),
            cues,
            cue_spans,
            pills_taken: pills_taken(words, &medication_starts),
            repeated_doses: repeated_doses(words),
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

    /// An affirmed symptom of this name that is happening now (not history, not a "what if").
    pub fn has_current_symptom(&self, lexicon: &Lexicon, name: &str) -> bool {
        self.symptoms.iter().any(|s| {
            !s.negated
                && !s.not_now
                && lexicon
                    .symptom_names
                    .get(s.entry as usize)
                    .is_some_and(|n| n == name)
        })
    }

    /// A red-flag kind of finding that is denied or not happening now: the model alone must not
    /// call an emergency on it.
    pub fn has_inactive_symptom(&self, lexicon: &Lexicon, names: &[&str]) -> bool {
        self.symptoms.iter().any(|s| {
            (s.negated || s.not_now)
                && lexicon
                    .symptom_names
                    .get(s.entry as usize)
                    .is_some_and(|n| names.contains(&n.as_str()))
        })
    }

    /// A symptom of this name the patient denies (`nunca pensei em tirar minha vida`).
    pub fn denies_symptom(&self, lexicon: &Lexicon, name: &str) -> bool {
        self.symptoms.iter().any(|s| {
            s.negated
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

    /// The last reading of a kind in the message.
    pub fn latest(&self, kind: VitalKind) -> Option<&Vital> {
        self.vital(kind).max_by_key(|v| v.start)
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

/// The clause (between commas or sentence ends) each token belongs to.
fn clause_numbers(words: &Words) -> Vec<usize> {
    let mut n = 0;
    (0..words.len())
        .map(|i| {
            if i > 0 && words.boundary_before(i) != crate::text::Boundary::None {
                n += 1;
            }
            n
        })
        .collect()
}

/// The sentence each token belongs to.
fn sentence_numbers(words: &Words) -> Vec<usize> {
    let mut n = 0;
    (0..words.len())
        .map(|i| {
            if i > 0 && words.boundary_before(i) == crate::text::Boundary::Sentence {
                n += 1;
            }
            n
        })
        .collect()
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
    "bolinhas",
    "bolinha",
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
/// Forms as resolved (a typo may land on the infinitive).
const SWALLOW: &[&str] = &[
    "tomei", "tomou", "tomar", "tomaram", "tomado", "engoli", "engoliu", "engolir", "ingeri", "ingeriu",
    "ingerir",
];

const CHILDREN: &[&str] = &[
    "filho", "filha", "neto", "neta", "sobrinho", "sobrinha", "menino", "menina", "crianca", "guri", "guria",
];

/// `meu filho de 4 anos`: a child word, then an age of twelve or under.
fn young_child(words: &Words) -> bool {
    (1..words.len()).any(|i| {
        (words.is(i, "anos") || words.is(i, "aninhos"))
            && words.number(i - 1).is_some_and(|n| n <= 12.0)
            && (i.saturating_sub(5)..i).any(|j| CHILDREN.contains(&words.form(j)))
    })
}

/// `tomou 3 vezes o remedio`: a number of times right after a verb of taking.
fn repeated_doses(words: &Words) -> f64 {
    (1..words.len().saturating_sub(1))
        .filter(|&i| {
            words.is(i + 1, "vezes") && (i.saturating_sub(2)..i).any(|j| SWALLOW.contains(&words.form(j)))
        })
        .filter_map(|i| words.number(i))
        .fold(0.0, f64::max)
}

/// `tomei 20 comprimidos`, `engoli uns 30 paracetamol`: a count of pills, or of a medicine named
/// right after the number.
fn pills_taken(words: &Words, medications: &[usize]) -> f64 {
    let mut most: f64 = 0.0;
    for i in 0..words.len() {
        let Some(n) = words.number(i) else { continue };
        let pills = (i + 1..(i + 3).min(words.len()))
            .any(|j| PILLS.contains(&words.form(j)) || (j == i + 1 && medications.contains(&j)));
        let swallowed = (i.saturating_sub(3)..i).any(|j| SWALLOW.contains(&words.form(j)));
        if pills && swallowed {
            most = most.max(n);
        }
    }
    most
}
