//! k-fold cross-validation over the whole labelled set (train and test splits together): an
//! estimate of how the analysis does on messages it has never seen that does not hang on one
//! split. `cargo run --release -p austa-nlp --example cross_validate [-- K]`
use austa_nlp::{Analyzer, dataset, eval};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let k: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut all = dataset::train()?;
    all.extend(dataset::test()?);
    let mut sums = [0.0f64; 7];
    for fold in 0..k {
        let (held, kept): (Vec<_>, Vec<_>) =
            all.iter().cloned().enumerate().partition(|(i, _)| i % k == fold);
        let train: Vec<_> = kept.into_iter().map(|(_, l)| l).collect();
        let test: Vec<_> = held.into_iter().map(|(_, l)| l).collect();
        let analyzer = Analyzer::trained_on(&train)?;
        let r = eval::evaluate(&analyzer, &test);
        let row = [
            r.intent_macro_f1,
            r.emergency.recall(),
            r.emergency.precision(),
            r.symptoms.f1(),
            r.medications.f1(),
            r.vitals.recall(),
            r.calibration_error,
        ];
        println!("fold {fold}: {}", row.map(|x| format!("{x:.3}")).join(" "));
        for (s, x) in sums.iter_mut().zip(row) {
            *s += x;
        }
    }
    let names = [
        "intent macro-F1",
        "emergency recall",
        "emergency precision",
        "symptom F1",
        "medication F1",
        "vital recall",
        "ECE",
    ];
    for (n, s) in names.iter().zip(sums) {
        println!("{n:<20} {:.3}", s / k as f64);
    }
    Ok(())
}
