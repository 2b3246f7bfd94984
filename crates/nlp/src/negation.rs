//! Whether the patient says they do *not* have something: `nao tenho febre`, `sem falta de ar`,
//! `nem tosse`, `febre nao`.
//!
//! A negator before the entity negates it when only a short "verb chain" (`nao estou com`,
//! `nao sinto mais nenhuma`) or a list of other findings (`sem febre, tosse ou coriza`) stands
//! between them. A contrast (`mas`, `porem`, `so`), a new sentence or a fresh affirmation after the
//! list (`nao tomei o remedio e estou com dor`) ends its reach. A negator that belongs to a
//! persistence phrase (`nao passa`, `nao para de`, `nao aguento`) negates nothing.

use crate::phrases::Words;
use crate::text::Boundary;

const NEGATORS: &[&str] = &[
    "nao", "sem", "nem", "nenhum", "nenhuma", "nunca", "negativo", "zero", "jamais",
];

/// After `nao`, these make it a complaint, not a denial (`nao passa`, `nao aguento mais`).
const PERSISTENCE: &[&str] = &[
    "para", "parou", "passa", "passou", "melhora", "melhorou", "sai", "saiu", "aguento", "aguenta", "some",
    "sumiu", "diminui", "diminuiu", "baixa", "baixou", "cede", "cedeu", "sei", "sabe", "consigo", "consegue",
    "adianta", "adiantou", "resolve", "resolveu", "vai", "quer", "quero",
];

/// May stand between a negator and what it negates.
const CHAIN: &[&str] = &[
    "estou",
    "esta",
    "estava",
    "tenho",
    "tem",
    "tive",
    "teve",
    "sinto",
    "senti",
    "sentiu",
    "sente",
    "sentindo",
    "com",
    "mais",
    "nenhum",
    "nenhuma",
    "de",
    "do",
    "da",
    "nem",
    "e",
    "ou",
    "tipo",
    "apresentou",
    "apresenta",
    "a",
    "o",
    "um",
    "uma",
    "muita",
    "muito",
    "ta",
    "tava",
    "ando",
    "deu",
    "aparece",
    "apareceu",
    "ele",
    "ela",
    "nada",
    "sintoma",
    "sintomas",
    "pouco",
    "sequer",
    "tambem",
    "nao",
    "pensei",
    "penso",
    "pensando",
    "pensar",
    "pensou",
    "em",
    "quero",
    "quis",
    "vou",
    "tentei",
    "vontade",
];

/// Ends a negation's reach.
const BREAKERS: &[&str] = &[
    "mas",
    "porem",
    "contudo",
    "entretanto",
    "agora",
    "so",
    "apenas",
    "somente",
    "exceto",
    "porque",
    "quando",
    "que",
    "hoje",
    "ja",
    "depois",
    "entao",
    "pois",
];

/// Affirms again once the list has started.
const AFFIRMATIONS: &[&str] = &[
    "estou", "esta", "tenho", "sinto", "senti", "comecei", "comecou", "apareceu", "com", "deu",
];

const MAX_REACH: usize = 7;

/// Is the entity at tokens `start..end` negated? `others` are the spans of the other findings
/// in the message, which may form a list with it.
pub fn is_negated(words: &Words, start: usize, end: usize, others: &[(usize, usize)]) -> bool {
    negated_before(words, start, others) || negated_after(words, end)
}

fn negated_before(words: &Words, start: usize, others: &[(usize, usize)]) -> bool {
    let from = start.saturating_sub(MAX_REACH + 4);
    // Find the nearest negator before `start` within the sentence.
    let mut neg = None;
    let mut j = start;
    while j > from {
        if words.boundary_before(j) == Boundary::Sentence {
            break;
        }
        j -= 1;
        if NEGATORS.contains(&words.form(j)) {
            if words.form(j) == "nao" && PERSISTENCE.contains(&words.form(j + 1)) && j + 1 < start {
                return false;
            }
            neg = Some(j);
            break;
        }
    }
    let Some(n) = neg else { return false };
    // Walk from the negator to the entity: chain words first, then a list of findings.
    let mut in_list = false;
    let mut k = n + 1;
    while k < start {
        if let Some(&(_, e)) = others.iter().find(|(s, _)| *s == k) {
            in_list = true;
            k = e.max(k + 1);
            continue;
        }
        let w = words.form(k);
        if BREAKERS.contains(&w) {
            return false;
        }
        if in_list && AFFIRMATIONS.contains(&w) {
            return false;
        }
        if !CHAIN.contains(&w) {
            // `nao obedece e a boca torta`: the negator belonged to another verb.
            return false;
        }
        k += 1;
    }
    start - n <= MAX_REACH || in_list
}

/// `febre nao`, `febre nao tenho`, `dor de cabeca: nenhuma`.
fn negated_after(words: &Words, end: usize) -> bool {
    if end >= words.len() || words.boundary_before(end) == Boundary::Sentence {
        return false;
    }
    let w = words.form(end);
    if w != "nao" && w != "nenhuma" && w != "nenhum" && w != "negativo" {
        return false;
    }
    match words.form(end + 1) {
        "" => true,
        "tenho" | "tive" | "sinto" | "senti" | "teve" | "tem" | "estou" | "mais" => true,
        _ => words.boundary_before(end + 1) != Boundary::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Folded;
    use crate::vocab::Vocab;

    /// Negation of the token `target` (single-token entity) in `text`, with `others` findings.
    fn negated(text: &str, target: &str, others: &[&str]) -> bool {
        let vocab = Vocab::new("");
        let folded = Folded::new(text);
        let words = Words::new(&folded, &vocab);
        let pos = |w: &str| (0..words.len()).find(|&i| words.form(i) == w).unwrap();
        let t = pos(target);
        let spans: Vec<(usize, usize)> = others.iter().map(|o| (pos(o), pos(o) + 1)).collect();
        is_negated(&words, t, t + 1, &spans)
    }

    #[test]
    fn denials_negate() {
        assert!(negated("nao tenho febre", "febre", &[]));
        assert!(negated("sem febre", "febre", &[]));
        assert!(negated(
            "to sem febre, tosse ou coriza",
            "coriza",
            &["febre", "tosse"]
        ));
        assert!(negated("nao estou com tosse", "tosse", &[]));
        assert!(negated("febre nao", "febre", &[]));
        assert!(negated("febre nao tenho, so tosse", "febre", &[]));
        assert!(negated("nao sinto mais nenhuma tontura", "tontura", &[]));
    }

    #[test]
    fn complaints_stay_affirmed() {
        assert!(!negated(
            "nao tenho febre mas estou com tosse",
            "tosse",
            &["febre"]
        ));
        assert!(!negated("a tosse nao passa", "tosse", &[]));
        assert!(!negated(
            "nao tomei o remedio e estou com tontura",
            "tontura",
            &[]
        ));
        assert!(!negated("nao aguento mais essa tosse", "tosse", &[]));
        assert!(!negated("nao sei se e febre", "febre", &[]));
        assert!(!negated("sem febre. hoje tosse", "tosse", &["febre"]));
        assert!(!negated("tosse forte", "tosse", &[]));
        assert!(!negated("a mao n obedece e a boca torta", "boca", &[]));
        assert!(!negated("do nada ficou com tosse", "tosse", &[]));
    }
}
