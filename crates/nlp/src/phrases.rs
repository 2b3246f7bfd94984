//! Multi-word phrase matching over resolved tokens.
//!
//! A lexicon line such as `dor * peito` is a pattern: words, and gaps (`*`, up to three tokens;
//! `*1` one) that only filler words may fill (`dor muito forte no peito`). Filler-only gaps keep a
//! pattern from reaching across content: `dor * peito` never matches `dor de cabeca e no peito`.
//! Among the patterns starting at a token the longest wins, then the one with fewer gap tokens; the
//! scan then resumes after it (leftmost-longest, non-overlapping).

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::LoadError;
use crate::text::{Boundary, Folded, Kind};
use crate::vocab::{Vocab, WordId};

/// Words that may fill a gap: articles, prepositions, intensifiers, possessives.
pub const FILLERS: &[&str] = &[
    "a",
    "o",
    "as",
    "os",
    "um",
    "uma",
    "de",
    "do",
    "da",
    "dos",
    "das",
    "no",
    "na",
    "nos",
    "nas",
    "em",
    "muito",
    "muita",
    "bem",
    "forte",
    "fortes",
    "leve",
    "pouco",
    "pouquinho",
    "meio",
    "tanto",
    "demais",
    "insuportavel",
    "horrivel",
    "terrivel",
    "chata",
    "chato",
    "aguda",
    "constante",
    "meu",
    "minha",
    "meus",
    "minhas",
    "dele",
    "dela",
    "seu",
    "sua",
    "la",
    "aqui",
    "toda",
    "todo",
    "lado",
    "esquerdo",
    "esquerda",
    "direito",
    "direita",
    "parte",
    "regiao",
    "mais",
    "ainda",
    "tipo",
    "assim",
    "uns",
    "umas",
    "ate",
    "pela",
    "pelo",
    "me",
    "estou",
    "esta",
    "com",
    "sentindo",
    "sinto",
    "senti",
    "bastante",
    "super",
    "e",
    "que",
    "tudo",
    "estao",
    "foi",
    "ficando",
    "vai",
    "indo",
    "pro",
    "para",
    "pra",
    "inteiro",
    "inteira",
    "ficou",
    "fica",
    "ficando",
    "ta",
    "todos",
    "estao",
    "foi",
    "ficando",
    "comecou",
    "comecando",
    "estava",
    "tava",
    "tao",
    "vai",
    "indo",
    "para",
    "pra",
];

const DEFAULT_GAP: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Word(WordId),
    Gap(u8),
}

#[derive(Debug)]
struct Pattern {
    steps: Vec<Step>,
    entry: u32,
}

/// A pattern found in a message: tokens `start..end`, and the caller's entry number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    pub entry: u32,
}

/// The tokens of one message, resolved against the vocabulary.
#[derive(Debug)]
pub struct Words<'a> {
    pub folded: &'a Folded,
    pub ids: Vec<Option<WordId>>,
    /// The form used by the model: the resolved word, or the expanded surface.
    pub forms: Vec<&'a str>,
    /// Each token's number, read once (digits or words; see [`Words::number`]).
    numbers: Vec<Option<(f64, usize)>>,
}

impl<'a> Words<'a> {
    pub fn new(folded: &'a Folded, vocab: &'a Vocab) -> Self {
        let n = folded.tokens.len();
        let mut ids = Vec::with_capacity(n);
        let mut forms = Vec::with_capacity(n);
        for (i, t) in folded.tokens.iter().enumerate() {
            let surface = folded.surface(i);
            let (id, form) = match t.kind {
                Kind::Word => {
                    let expanded = vocab.expand(surface);
                    match vocab.id(expanded) {
                        Some(id) => (Some(id), expanded),
                        None => match vocab.unstretch(expanded) {
                            Some(shrunk) => {
                                let word = vocab.expand(&shrunk);
                                match vocab.id(word) {
                                    Some(id) => (Some(id), vocab.word(id)),
                                    // A known abbreviation of no lexicon meaning.
                                    None => (None, vocab.expansion_of(&shrunk).unwrap_or(expanded)),
                                }
                            }
                            None => (vocab.resolve(expanded), expanded),
                        },
                    }
                }
                _ => (vocab.id(surface), surface),
            };
            ids.push(id);
            forms.push(id.map(|id| vocab.word(id)).unwrap_or(form));
        }
        let mut words = Words {
            folded,
            ids,
            forms,
            numbers: Vec::new(),
        };
        words.numbers = (0..n).map(|i| words.read_number(i)).collect();
        words
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn boundary_before(&self, i: usize) -> Boundary {
        self.folded
            .tokens
            .get(i)
            .map(|t| t.before)
            .unwrap_or(Boundary::Sentence)
    }

    pub fn form(&self, i: usize) -> &'a str {
        self.forms.get(i).copied().unwrap_or("")
    }

    pub fn is(&self, i: usize, word: &str) -> bool {
        self.form(i) == word
    }

    /// A number in digits, or written in words: `dezoito por doze`, `uns vinte comprimidos`,
    /// `sessenta e quatro`, `cento e vinte por oitenta`. Words below ten count only after `por`/`x`
    /// (`doze por oito`) or inside a compound: elsewhere they are mostly counts and articles
    /// ("dois comprimidos"). A compound's value is on its first token; the others have none.
    pub fn number(&self, i: usize) -> Option<f64> {
        self.number_span(i).map(|(value, _)| value)
    }

    /// The number starting at token `i` and how many tokens it spans (`cento e vinte`: 3).
    pub fn number_span(&self, i: usize) -> Option<(f64, usize)> {
        self.numbers.get(i).copied().flatten()
    }

    fn read_number(&self, i: usize) -> Option<(f64, usize)> {
        // The rest of a compound was read with its first word.
        if i >= 2 && self.is(i - 1, "e") && self.hundreds_or_tens(i - 2) {
            return None;
        }
        self.read_number_at(i, false)
    }

    /// Whether token `i` can start a compound (`vinte e …`, `cento e …`, `duzentos e …`).
    fn hundreds_or_tens(&self, i: usize) -> bool {
        self.is(i, "cento")
            || crate::text::number_word(self.form(i)).is_some_and(|n| n >= 20 && n % 10 == 0 && n != 100)
    }

    /// The number whose first token is `i`; `in_compound` once inside one (`cento e cinco`).
    fn read_number_at(&self, i: usize, in_compound: bool) -> Option<(f64, usize)> {
        if let Kind::Number(v) = self.folded.tokens.get(i)?.kind {
            return (!in_compound).then_some((v, 1));
        }
        let (n, hundreds) = match self.form(i) {
            "cento" => (100, true),
            form => {
                let n = crate::text::number_word(form)?;
                (n, n > 100)
            }
        };
        if hundreds {
            if in_compound {
                return None; // `cento e duzentos` is no number
            }
            let rest = self
                .is(i + 1, "e")
                .then(|| self.read_number_at(i + 2, true))
                .flatten()
                .filter(|(rest, _)| *rest < 100.0);
            return match rest {
                Some((rest, len)) => Some((f64::from(n) + rest, 2 + len)),
                // `cento` alone is no number (`cem` is); `duzentos` is.
                None => (n > 100).then_some((f64::from(n), 1)),
            };
        }
        if (20..100).contains(&n)
            && n % 10 == 0
            && self.is(i + 1, "e")
            && let Some(unit) = crate::text::number_word(self.form(i + 2)).filter(|u| *u < 10)
        {
            return Some((f64::from(n + unit), 3));
        }
        let after_by = i > 0 && (self.is(i - 1, "por") || self.is(i - 1, "x"));
        (n >= 10 || (n >= 2 && after_by) || (n >= 1 && in_compound)).then_some((f64::from(n), 1))
    }
}

#[derive(Debug, Default)]
pub struct PhraseIndex {
    patterns: Vec<Pattern>,
    by_first: HashMap<WordId, Vec<u32>, RandomState>,
    fillers: Vec<bool>,
}

impl PhraseIndex {
    /// Adds `phrase` (lexicon syntax) for `entry`. Its words become typo-correction targets.
    pub fn add(&mut self, vocab: &mut Vocab, phrase: &str, entry: u32) -> Result<(), LoadError> {
        let mut steps = Vec::new();
        for part in phrase.split_whitespace() {
            if let Some(n) = part.strip_prefix('*') {
                let max = if n.is_empty() {
                    DEFAULT_GAP
                } else {
                    n.parse().map_err(|_| LoadError::Pattern(phrase.to_owned()))?
                };
                steps.push(Step::Gap(max));
                continue;
            }
            let folded = Folded::new(part);
            for i in 0..folded.tokens.len() {
                let surface = folded.surface(i);
                let word = vocab.expand(surface);
                steps.push(Step::Word(vocab.add_target(word)));
            }
        }
        let first = match steps.first() {
            Some(Step::Word(id)) => *id,
            _ => return Err(LoadError::Pattern(phrase.to_owned())),
        };
        if matches!(steps.last(), Some(Step::Gap(_))) {
            return Err(LoadError::Pattern(phrase.to_owned()));
        }
        let index = u32::try_from(self.patterns.len()).map_err(|_| LoadError::Pattern(phrase.to_owned()))?;
        self.patterns.push(Pattern { steps, entry });
        self.by_first.entry(first).or_default().push(index);
        Ok(())
    }

    /// Records which word ids are fillers; call once all phrases are added.
    pub fn seal(&mut self, vocab: &mut Vocab) {
        let ids: Vec<WordId> = FILLERS.iter().map(|w| vocab.intern(vocab.expand(w))).collect();
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        self.fillers = vec![false; max + 1];
        for id in ids {
            if let Some(f) = self.fillers.get_mut(id as usize) {
                *f = true;
            }
        }
    }

    fn is_filler(&self, id: Option<WordId>) -> bool {
        id.and_then(|id| self.fillers.get(id as usize).copied())
            .unwrap_or(false)
    }

    /// Leftmost-longest, non-overlapping matches.
    pub fn find(&self, words: &Words) -> Vec<Match> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut best: Option<(usize, usize, u32)> = None; // (end, gap tokens, entry)
            if let Some(candidates) = words.ids[i].and_then(|id| self.by_first.get(&id)) {
                for &p in candidates {
                    let Some(pattern) = self.patterns.get(p as usize) else {
                        continue;
                    };
                    if let Some((end, gaps)) = self.match_at(pattern, words, i) {
                        let better = match best {
                            None => true,
                            Some((be, bg, _)) => end > be || (end == be && gaps < bg),
                        };
                        if better {
                            best = Some((end, gaps, pattern.entry));
                        }
                    }
                }
            }
            match best {
                Some((end, _, entry)) => {
                    out.push(Match { start: i, end, entry });
                    i = end;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The end of the tightest match of `pattern` at `start`, and its number of gap tokens.
    fn match_at(&self, pattern: &Pattern, words: &Words, start: usize) -> Option<(usize, usize)> {
        self.match_steps(&pattern.steps, words, start, true)
    }

    fn match_steps(&self, steps: &[Step], words: &Words, pos: usize, first: bool) -> Option<(usize, usize)> {
        let Some((step, rest)) = steps.split_first() else {
            return Some((pos, 0));
        };
        match *step {
            Step::Word(id) => {
                if pos >= words.len() || words.ids[pos] != Some(id) {
                    return None;
                }
                if !first && words.boundary_before(pos) != Boundary::None {
                    return None;
                }
                self.match_steps(rest, words, pos + 1, false)
            }
            Step::Gap(max) => {
                let mut best: Option<(usize, usize)> = None;
                for k in 0..=usize::from(max) {
                    if k > 0 {
                        let j = pos + k - 1;
                        if j >= words.len()
                            || !self.is_filler(words.ids[j])
                            || words.boundary_before(j) != Boundary::None
                        {
                            break;
                        }
                    }
                    if let Some((end, gaps)) = self.match_steps(rest, words, pos + k, false) {
                        let total = gaps + k;
                        if best.is_none_or(|(be, bg)| end > be || (end == be && total < bg)) {
                            best = Some((end, total));
                        }
                    }
                }
                best
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(phrases: &[(&str, u32)]) -> (Vocab, PhraseIndex) {
        let mut vocab = Vocab::new("");
        let mut idx = PhraseIndex::default();
        for (p, e) in phrases {
            idx.add(&mut vocab, p, *e).unwrap();
        }
        idx.seal(&mut vocab);
        (vocab, idx)
    }

    fn find(vocab: &Vocab, idx: &PhraseIndex, text: &str) -> Vec<(String, u32)> {
        let folded = Folded::new(text);
        let words = Words::new(&folded, vocab);
        idx.find(&words)
            .into_iter()
            .map(|m| (folded.span(m.start, m.end).to_owned(), m.entry))
            .collect()
    }

    #[test]
    fn gaps_take_fillers_only() {
        let (v, idx) = index(&[("dor * peito", 1), ("dor * cabeca", 2)]);
        assert_eq!(
            find(&v, &idx, "uma dor muito forte no peito"),
            vec![("dor muito forte no peito".into(), 1)]
        );
        assert_eq!(
            find(&v, &idx, "dor de cabeca e no peito"),
            vec![("dor de cabeca".into(), 2)]
        );
        assert!(
            find(&v, &idx, "dor. peito").is_empty(),
            "no match across sentences"
        );
    }

    #[test]
    fn longest_wins_and_typos_resolve() {
        let (v, idx) = index(&[("buscopan", 1), ("buscopan composto", 2), ("puran t4", 3)]);
        assert_eq!(
            find(&v, &idx, "tomei buscopan composto"),
            vec![("buscopan composto".into(), 2)]
        );
        assert_eq!(find(&v, &idx, "o buscopam"), vec![("buscopam".into(), 1)]);
        assert_eq!(find(&v, &idx, "PURAN T4 de manha"), vec![("puran t4".into(), 3)]);
    }

    #[test]
    fn abbreviations_match_expanded_patterns() {
        let (v, idx) = index(&[("estou com febre", 1)]);
        assert_eq!(find(&v, &idx, "to com febre"), vec![("to com febre".into(), 1)]);
    }

    #[test]
    fn a_pattern_must_start_and_end_with_a_word() {
        let mut vocab = Vocab::new("");
        let mut idx = PhraseIndex::default();
        assert!(idx.add(&mut vocab, "* peito", 0).is_err());
        assert!(idx.add(&mut vocab, "dor *", 0).is_err());
    }
}
