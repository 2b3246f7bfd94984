//! How long something has lasted, as an ISO 8601 duration: `ha 3 dias` → `P3D`, `desde ontem` →
//! `P1D`, `faz 2 semanas` → `P2W`, `ha uns dois meses` → `P2M`, `ha 2 horas` → `PT2H`.

use crate::phrases::Words;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub iso: String,
    pub start: usize,
    pub end: usize,
}

/// Words that open a duration (`há`, folded, is `ha`; patients also write `a`).
const OPENERS: &[&str] = &["ha", "faz", "fazem", "tem", "a", "durante", "por", "desde"];
const HEDGES: &[&str] = &[
    "uns", "umas", "mais", "de", "quase", "uma", "um", "cerca", "tipo", "menos", "pelo", "bem",
];

/// ISO designator of a unit word, and whether it is a time (after `T`).
fn unit(w: &str) -> Option<(&'static str, bool)> {
    Some(match w {
        "minuto" | "minutos" | "minutinhos" => ("M", true),
        "hora" | "horas" | "horinhas" => ("H", true),
        "dia" | "dias" | "diazinhos" => ("D", false),
        "semana" | "semanas" => ("W", false),
        "mes" | "meses" => ("M", false),
        "ano" | "anos" => ("Y", false),
        _ => return None,
    })
}

fn iso(n: u32, (designator, is_time): (&str, bool)) -> String {
    if is_time {
        format!("PT{n}{designator}")
    } else {
        format!("P{n}{designator}")
    }
}

pub fn extract(words: &Words) -> Vec<Duration> {
    let mut out = Vec::new();
    let n = words.len();
    let mut i = 0;
    while i < n {
        let w = words.form(i);
        if w == "desde" {
            let days = match words.form(i + 1) {
                "ontem" => Some(1),
                "anteontem" => Some(2),
                _ => None,
            };
            if let Some(d) = days {
                out.push(Duration {
                    iso: format!("P{d}D"),
                    start: i,
                    end: i + 2,
                });
                i += 2;
                continue;
            }
        }
        if OPENERS.contains(&w) {
            let mut j = i + 1;
            while j < n && j < i + 4 && HEDGES.contains(&words.form(j)) && unit(words.form(j + 1)).is_none() {
                j += 1;
            }
            let count = words
                .number(j)
                .filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= 100.0)
                .map(|v| v as u32)
                .or_else(|| crate::text::number_word(words.form(j)));
            // `ha uma semana`: the hedge loop stopped on `uma` because a unit follows it.
            if let (Some(count), Some(u)) = (count, unit(words.form(j + 1))) {
                out.push(Duration {
                    iso: iso(count, u),
                    start: i,
                    end: j + 2,
                });
                i = j + 2;
                continue;
            }
            // `ha dias`, `faz semanas` carry no number: not a duration we can state.
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Folded;
    use crate::vocab::Vocab;

    fn durations(text: &str) -> Vec<String> {
        let vocab = Vocab::new("");
        let folded = Folded::new(text);
        let words = Words::new(&folded, &vocab);
        extract(&words).into_iter().map(|d| d.iso).collect()
    }

    #[test]
    fn taxonomy_examples() {
        assert_eq!(durations("febre ha 3 dias"), ["P3D"]);
        assert_eq!(durations("dor de cabeca desde ontem"), ["P1D"]);
        assert_eq!(durations("faz 2 semanas"), ["P2W"]);
        assert_eq!(durations("há um mês"), ["P1M"]);
        assert_eq!(durations("ha 2 horas"), ["PT2H"]);
        assert_eq!(durations("ha uns dois meses"), ["P2M"]);
        assert_eq!(durations("ha mais de uma semana"), ["P1W"]);
        assert_eq!(durations("tem 5 dias q to assim"), ["P5D"]);
    }

    #[test]
    fn no_number_no_duration() {
        assert!(durations("ha dias estou assim").is_empty());
        assert!(durations("tomei 2 comprimidos").is_empty());
    }
}
