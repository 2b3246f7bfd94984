//! Scores of the analysis against labelled messages: the figures the issue sets floors for
//! (intent macro-F1, emergency recall and precision, symptom, medication and vital-sign scores)
//! and the calibration of the confidence.

use std::collections::HashSet;
use std::fmt;

use crate::dataset::Labelled;
use crate::text::fold;
use crate::{Analyzer, EntityKind, Intent, Urgency};

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
    fn add_sets(&mut self, predicted: &HashSet<String>, gold: &HashSet<String>) {
        self.tp += predicted.intersection(gold).count();
        self.fp += predicted.difference(gold).count();
        self.fn_ += gold.difference(predicted).count();
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[derive(Debug, Default)]
pub struct Report {
    pub messages: usize,
    pub intent_accuracy: f64,
    pub intent_macro_f1: f64,
    pub per_intent: Vec<(Intent, Counts)>,
    pub emergency: Counts,
    pub urgency_accuracy: f64,
    pub symptoms: Counts,
    pub medications: Counts,
    pub vitals: Counts,
    /// Expected calibration error of the intent confidence (10 bins).
    pub calibration_error: f64,
    /// Ids of the messages whose intent or emergency status was wrong, for error analysis.
    pub misses: Vec<String>,
}

pub fn evaluate(analyzer: &Analyzer, set: &[Labelled]) -> Report {
    let mut per_intent: Vec<(Intent, Counts)> = Intent::ALL.iter().map(|i| (*i, Counts::default())).collect();
    let mut report = Report {
        messages: set.len(),
        ..Report::default()
    };
    let (mut intent_right, mut urgency_right) = (0, 0);
    let mut bins = [(0usize, 0.0f64, 0usize); 10];
    for l in set {
        let a = analyzer.analyze(&l.id, &l.text);
        let gold_intent = Intent::parse(&l.intent);
        let right = Some(a.intent) == gold_intent;
        intent_right += usize::from(right);
        for (intent, c) in per_intent.iter_mut() {
            match (a.intent == *intent, gold_intent == Some(*intent)) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                _ => {}
            }
        }
        let bin = ((a.confidence * 10.0) as usize).min(9);
        bins[bin].0 += 1;
        bins[bin].1 += a.confidence;
        bins[bin].2 += usize::from(right);

        let gold_urgency = Urgency::parse(&l.urgency);
        urgency_right += usize::from(Some(a.urgency) == gold_urgency);
        let (pe, ge) = (
            a.urgency == Urgency::Emergency,
            gold_urgency == Some(Urgency::Emergency),
        );
        match (pe, ge) {
            (true, true) => report.emergency.tp += 1,
            (true, false) => report.emergency.fp += 1,
            (false, true) => report.emergency.fn_ += 1,
            _ => {}
        }
        if !right || pe != ge {
            report.misses.push(l.id.clone());
        }

        let symptoms_p: HashSet<String> = a
            .entities_of(EntityKind::Symptom)
            .map(|e| format!("{}|{}", fold(&e.normalized), e.negated))
            .collect();
        let symptoms_g: HashSet<String> = l
            .symptoms
            .iter()
            .map(|s| format!("{}|{}", fold(&s.name), s.negated))
            .collect();
        report.symptoms.add_sets(&symptoms_p, &symptoms_g);

        let meds_p: HashSet<String> = a
            .entities_of(EntityKind::Medication)
            .map(|e| fold(&e.normalized))
            .collect();
        let meds_g: HashSet<String> = l.medications.iter().map(|m| fold(m)).collect();
        report.medications.add_sets(&meds_p, &meds_g);

        let vitals_p: HashSet<String> = a
            .entities_of(EntityKind::VitalSign)
            .map(|e| format!("{}|{}", e.normalized, e.value.as_deref().unwrap_or("")))
            .collect();
        let vitals_g: HashSet<String> = l
            .vitals
            .iter()
            .map(|v| format!("{}|{}", v.kind, normalize_value(&v.value)))
            .collect();
        report.vitals.add_sets(&vitals_p, &vitals_g);
    }
    let n = set.len().max(1) as f64;
    report.intent_accuracy = intent_right as f64 / n;
    report.urgency_accuracy = urgency_right as f64 / n;
    let present: Vec<f64> = per_intent
        .iter()
        .filter(|(_, c)| c.tp + c.fn_ > 0)
        .map(|(_, c)| c.f1())
        .collect();
    report.intent_macro_f1 = present.iter().sum::<f64>() / present.len().max(1) as f64;
    report.per_intent = per_intent;
    report.calibration_error = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|(_, conf, right)| (*conf - *right as f64).abs())
        .sum::<f64>()
        / n;
    report
}

/// Labels write `38` or `38.0`, `130/80`; predictions use the shortest form.
fn normalize_value(v: &str) -> String {
    if let Some((s, d)) = v.split_once('/') {
        return format!("{}/{}", normalize_value(s), normalize_value(d));
    }
    match v.replace(',', ".").parse::<f64>() {
        Ok(x) => crate::vitals::fmt_number(x),
        Err(_) => v.to_owned(),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "messages                {}", self.messages)?;
        writeln!(f, "intent accuracy         {:.3}", self.intent_accuracy)?;
        writeln!(f, "intent macro-F1         {:.3}", self.intent_macro_f1)?;
        writeln!(f, "emergency recall        {:.3}", self.emergency.recall())?;
        writeln!(f, "emergency precision     {:.3}", self.emergency.precision())?;
        writeln!(f, "urgency accuracy        {:.3}", self.urgency_accuracy)?;
        writeln!(
            f,
            "symptom F1              {:.3} (P {:.3} R {:.3})",
            self.symptoms.f1(),
            self.symptoms.precision(),
            self.symptoms.recall()
        )?;
        writeln!(
            f,
            "medication F1           {:.3} (P {:.3} R {:.3})",
            self.medications.f1(),
            self.medications.precision(),
            self.medications.recall()
        )?;
        writeln!(
            f,
            "vital-sign recall       {:.3} (P {:.3})",
            self.vitals.recall(),
            self.vitals.precision()
        )?;
        writeln!(f, "calibration error (ECE) {:.3}", self.calibration_error)?;
        for (intent, c) in &self.per_intent {
            writeln!(
                f,
                "  {:<22} F1 {:.3}  (tp {} fp {} fn {})",
                intent.as_str(),
                c.f1(),
                c.tp,
                c.fp,
                c.fn_
            )?;
        }
        Ok(())
    }
}
