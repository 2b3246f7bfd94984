//! The features the intent and urgency models see.

use crate::findings::Findings;
use crate::lexicon::{CUE_NAMES, Cue, Lexicon};
use crate::model::FeatureHash;
use crate::phrases::Words;
use crate::rules::Verdict;
use crate::text::{Boundary, Kind};
use crate::vitals::VitalKind;

const BIGRAMS: bool = false;

pub fn extract(lex: &Lexicon, words: &Words, found: &Findings, verdict: Verdict) -> Vec<u32> {
    let mut out = Vec::with_capacity(words.len() * 2 + 24);
    let mut add = |h: FeatureHash| out.push(h.bucket());
    add(FeatureHash::new("bias"));

    let form = |i: usize| match words.folded.tokens.get(i).map(|t| t.kind) {
        Some(Kind::Number(_)) => "#",
        _ => words.form(i),
    };
    // Greetings, thanks and goodbyes around a request must not outvote it ("oi bom dia, quantos
    // pontos eu tenho?" is about points): their words only count when nothing else is said.
    let mut social = vec![false; words.len()];
    let mut social_kinds: Vec<&str> = Vec::new();
    for (cue, name) in [(Cue::Greet, "greet"), (Cue::Thanks, "thanks"), (Cue::Bye, "bye")] {
        for m in lex.cues[cue as usize].find(words) {
            social[m.start..m.end].iter_mut().for_each(|s| *s = true);
            if !social_kinds.contains(&name) {
                social_kinds.push(name);
            }
        }
    }
    let content = (0..words.len())
        .filter(|&i| !social[i] && !is_filler_like(words, i))
        .count();
    add(FeatureHash::new("content").push(match content {
        0 => "0",
        1..=2 => "1-2",
        3..=6 => "3-6",
        _ => "7+",
    }));
    if content == 0 {
        for k in &social_kinds {
            add(FeatureHash::new("social_only").push(k));
        }
    }
    for (i, &is_social) in social.iter().enumerate() {
        let tag = if is_social { "sw" } else { "w" };
        add(FeatureHash::new(tag).push(form(i)));
        if BIGRAMS && i + 1 < words.len() && words.boundary_before(i + 1) != Boundary::Sentence {
            add(FeatureHash::new("b").push(form(i)).push(form(i + 1)));
        }
    }
    if let Some(first) = (0..words.len()).find(|&i| !social[i]) {
        add(FeatureHash::new("first").push(form(first)));
    }
    let length = match words.len() {
        0 => "0",
        1 => "1",
        2..=3 => "2-3",
        4..=8 => "4-8",
        9..=20 => "9-20",
        _ => "21+",
    };
    add(FeatureHash::new("len").push(length));
    if words.folded.text.contains('?') {
        add(FeatureHash::new("question_mark"));
    }

    let mut cue_kinds = 0;
    for (i, (name, _)) in CUE_NAMES.iter().enumerate() {
        let n = found.cues[i];
        if n > 0 {
            cue_kinds += 1;
            add(FeatureHash::new("cue").push(name));
            if n > 1 {
                add(FeatureHash::new("cue2").push(name));
            }
        }
    }
    if cue_kinds == 0 {
        add(FeatureHash::new("no_cue"));
    }

    let affirmed = found.affirmed_symptoms();
    if affirmed > 0 {
        add(FeatureHash::new("symptom"));
    } else if !found.symptoms.is_empty() {
        add(FeatureHash::new("symptom_denied_only"));
    }
    for s in found.symptoms.iter().filter(|s| !s.negated) {
        if let Some(name) = lex.symptom_names.get(s.entry as usize) {
            add(FeatureHash::new("symptom_name").push(name));
        }
    }
    if !found.medications.is_empty() {
        add(FeatureHash::new("medication"));
    }
    if !found.conditions.is_empty() {
        add(FeatureHash::new("condition"));
    }
    if !found.durations.is_empty() {
        add(FeatureHash::new("duration"));
    }
    for v in &found.vitals {
        add(FeatureHash::new("vital").push(v.kind.name()));
        let abnormal = match v.kind {
            VitalKind::BloodPressure => v.value >= 140.0 || v.diastolic >= 90.0 || v.value < 90.0,
            VitalKind::Glucose => v.value > 180.0 || v.value < 70.0,
            VitalKind::Temperature => v.value >= 37.8,
            VitalKind::OxygenSaturation => v.value < 95.0,
            VitalKind::HeartRate => v.value > 100.0 || v.value < 50.0,
            VitalKind::Weight => false,
        };
        add(FeatureHash::new("vital_abnormal").push(if abnormal { "yes" } else { "no" }));
    }
    if !found.vitals.is_empty() {
        add(FeatureHash::new("vital_any"));
    }
    // Conjunctions a linear model cannot form itself: a question about a medicine is not a
    // symptom report, even when a symptom is named.
    let asked = words.folded.text.contains('?') || found.cue(Cue::Question);
    let flags = [
        ("symptom", affirmed > 0),
        ("medication", !found.medications.is_empty()),
        ("vital", !found.vitals.is_empty()),
        ("results", found.cue(Cue::Results)),
        ("adherence", found.cue(Cue::Adherence)),
        ("appointment", found.cue(Cue::Appointment)),
    ];
    for (a, on_a) in flags {
        if !on_a {
            continue;
        }
        if asked {
            add(FeatureHash::new("asked").push(a));
        }
        for (b, on_b) in flags {
            if on_b && a < b {
                add(FeatureHash::new("both").push(a).push(b));
            }
        }
    }
    match verdict {
        Verdict::Emergency(flag) => {
            add(FeatureHash::new("red_flag"));
            add(FeatureHash::new("red_flag").push(flag.name()));
        }
        Verdict::High(_) => add(FeatureHash::new("high_flag")),
        Verdict::None => {}
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Names, fillers and bare emoji carry no request: `oi, sou a maria 😊`.
fn is_filler_like(words: &Words, i: usize) -> bool {
    const LIGHT: &[&str] = &[
        "a", "o", "e", "eu", "sou", "aqui", "meu", "minha", "nome", "de", "da", "do", "dr", "doutor",
        "doutora", "voce", "voces", "pessoal", "gente", "querida", "querido", "ne", "entao", "ai", "tudo",
        "bem", "sim", "com", "todos", "mais", "muito", "voce", "dia", "tarde", "noite", "hoje", "ate",
    ];
    match words.folded.tokens.get(i).map(|t| t.kind) {
        Some(Kind::Emoji(_)) => true,
        Some(Kind::Word) => {
            let w = words.form(i);
            LIGHT.contains(&w) || (words.ids[i].is_none() && words.folded.tokens[i].capitalised)
        }
        _ => false,
    }
}
