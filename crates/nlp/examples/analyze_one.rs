//! Prints the analysis of each argument: `cargo run -p austa-nlp --example analyze_one -- "texto"`.
use austa_nlp::Analyzer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = Analyzer::new()?;
    for (i, text) in std::env::args().skip(1).enumerate() {
        let a = analyzer.analyze(&i.to_string(), &text);
        println!("{} {:?}", serde_json::to_string(&a)?, a.red_flag);
    }
    Ok(())
}
