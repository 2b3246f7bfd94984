//! Error analysis: prints the messages of a split whose intent or urgency is wrong.
//! `cargo run -p austa-nlp --example misses -- test|train|holdout`
use austa_nlp::{Analyzer, dataset};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = Analyzer::new()?;
    let split = std::env::args().nth(1).unwrap_or_else(|| "test".into());
    let set = match split.as_str() {
        "train" => dataset::train()?,
        "holdout" => dataset::holdout()?,
        "holdout2" => dataset::holdout2()?,
        "holdout3" => dataset::holdout3()?,
        "holdout4" => dataset::holdout4()?,
        "holdout5" => dataset::holdout5()?,
        "holdout6" => dataset::holdout6()?,
        "holdout7" => {
            return Err("holdout7 is kept unread: measure it with `cargo test -p austa-nlp --test metrics -- --nocapture`".into());
        }
        _ => dataset::test()?,
    };
    println!("{}", austa_nlp::eval::evaluate(&analyzer, &set));
    for l in &set {
        let a = analyzer.analyze(&l.id, &l.text);
        if l.urgency == "emergency" && a.red_flag.is_none() {
            println!(
                "NO RULE {} [{}→{} {:.2}] {}",
                l.id,
                l.intent,
                a.intent.as_str(),
                a.confidence,
                l.text
            );
        }
        if a.intent.as_str() != l.intent || a.urgency.as_str() != l.urgency {
            println!(
                "{} [{}→{} {:.2}] [{}→{}] {}",
                l.id,
                l.intent,
                a.intent.as_str(),
                a.confidence,
                l.urgency,
                a.urgency.as_str(),
                l.text
            );
        }
    }
    Ok(())
}
