//! `austa nlp analyze`: JSON lines in, one analysis per line out (`../shared/nlp/TAXONOMY.md`).

use std::io::{BufRead, BufWriter, Write};

use anyhow::Context;
use austa_nlp::Analyzer;
use serde_json::Value;

pub fn analyze() -> anyhow::Result<()> {
    let analyzer =
        Analyzer::shared().map_err(|e| anyhow::anyhow!("cannot load the analysis lexicons: {e}"))?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut bad = 0usize;
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        // Bytes, not `lines()`: one line of invalid UTF-8 is that line's error, not the end.
        if input.read_until(b'\n', &mut line).context("cannot read stdin")? == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse(&line) {
            Ok((id, text)) => {
                serde_json::to_writer(&mut out, &analyzer.analyze(&id, &text))
                    .context("cannot write stdout")?;
            }
            Err(reason) => {
                bad += 1;
                let id = serde_json::from_slice::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(Value::Null);
                let error = serde_json::json!({"id": id, "error": format!("line {n}: {reason}")});
                serde_json::to_writer(&mut out, &error).context("cannot write stdout")?;
            }
        }
        out.write_all(b"\n").context("cannot write stdout")?;
    }
    out.flush().context("cannot write stdout")?;
    anyhow::ensure!(
        bad == 0,
        "{bad} input line(s) were not {{\"id\", \"text\"}} objects"
    );
    Ok(())
}

/// `{"id": "m1" | 7, "text": "…"}`. The error names what is wrong, never the text itself.
fn parse(line: &[u8]) -> Result<(String, String), &'static str> {
    let value: Value = serde_json::from_slice(line).map_err(|_| "not valid JSON (UTF-8)")?;
    let id = match value.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err("\"id\" must be a string or a number"),
        None => return Err("missing \"id\""),
    };
    let text = match value.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"text\" must be a string"),
        None => return Err("missing \"text\""),
    };
    Ok((id, text))
}
