//! The words the lexicons know, and how a typed token is resolved to one of them.
//!
//! Resolution, in order: chat abbreviations (`vc` → `voce`), an exact known word, the same word with
//! stretched letters shrunk (`febreee`), and finally a typo correction by edit distance towards a
//! lexicon word (`dipirna` → `dipirona`). Correct everyday words (from `common-words.txt`) are never
//! corrected into a lexicon word, and short tokens are never corrected at all: with four letters a
//! single edit changes the word.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;

pub type WordId = u32;

type Map<K, V> = HashMap<K, V, RandomState>;

/// Tokens shorter than this are matched exactly.
const MIN_FUZZY_LEN: usize = 5;
/// From this length two edits are allowed, below it one.
const TWO_EDITS_LEN: usize = 9;

/// Chat abbreviations and spoken forms, expanded before anything else (TAXONOMY.md lists the
/// common ones).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("vc", "voce"),
    ("vcs", "voces"),
    ("ce", "voce"),
    ("tb", "tambem"),
    ("tbm", "tambem"),
    ("tmb", "tambem"),
    ("q", "que"),
    ("pq", "porque"),
    ("pqp", "porque"),
    ("porq", "porque"),
    ("to", "estou"),
    ("tou", "estou"),
    ("tô", "estou"),
    ("ta", "esta"),
    ("tava", "estava"),
    ("tao", "estao"),
    ("hj", "hoje"),
    ("hje", "hoje"),
    ("dps", "depois"),
    ("msm", "mesmo"),
    ("n", "nao"),
    ("ñ", "nao"),
    ("naum", "nao"),
    ("obg", "obrigado"),
    ("obgd", "obrigado"),
    ("obgda", "obrigada"),
    ("brigado", "obrigado"),
    ("brigada", "obrigada"),
    ("vlw", "valeu"),
    ("vlws", "valeu"),
    ("blz", "beleza"),
    ("mt", "muito"),
    ("mto", "muito"),
    ("mta", "muita"),
    ("mts", "muitos"),
    ("td", "tudo"),
    ("tds", "todos"),
    ("qdo", "quando"),
    ("qnd", "quando"),
    ("qndo", "quando"),
    ("qto", "quanto"),
    ("qtos", "quantos"),
    ("qts", "quantos"),
    ("p", "para"),
    ("pra", "para"),
    ("pro", "para"),
    ("pros", "para"),
    ("cmg", "comigo"),
    ("ctg", "contigo"),
    ("hrs", "horas"),
    ("hr", "hora"),
    ("h", "horas"),
    ("min", "minutos"),
    ("smn", "semana"),
    ("sms", "semanas"),
    ("agr", "agora"),
    ("aq", "aqui"),
    ("dr", "doutor"),
    ("dra", "doutora"),
    ("kd", "cade"),
    ("neh", "ne"),
    ("eh", "e"),
    ("oq", "que"),
    ("add", "adicionar"),
    ("gli", "glicemia"),
    ("glic", "glicemia"),
    ("sat", "saturacao"),
    ("temp", "temperatura"),
    ("fc", "frequencia"),
    ("msg", "mensagem"),
    ("msgs", "mensagens"),
    ("zap", "whatsapp"),
    ("wpp", "whatsapp"),
    ("bjs", "beijos"),
    ("abs", "abraco"),
    ("sdd", "saudade"),
    ("ngm", "ninguem"),
    ("alg", "alguem"),
    ("algm", "alguem"),
    ("ctz", "certeza"),
    ("vdd", "verdade"),
    ("pfv", "favor"),
    ("pfvr", "favor"),
    ("pf", "favor"),
];

/// Every word form the analysis knows, with an id; plus the index that corrects typos towards the
/// lexicon words.
#[derive(Debug, Default)]
pub struct Vocab {
    ids: Map<Box<str>, WordId>,
    words: Vec<Box<str>>,
    /// Words a typo may be corrected to (lexicon words, long enough).
    targets: HashSet<WordId, RandomState>,
    /// Correct everyday words, left as they are.
    common: HashSet<Box<str>, RandomState>,
    /// Single-deletion forms of each target → targets (the symmetric-delete method).
    deletes: Map<Box<str>, Vec<WordId>>,
    abbreviations: Map<&'static str, &'static str>,
}

impl Vocab {
    pub fn new(common_words: &str) -> Self {
        Vocab {
            common: common_words
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(Box::from)
                .collect(),
            abbreviations: ABBREVIATIONS.iter().copied().collect(),
            ..Vocab::default()
        }
    }

    /// The id of `word`, adding it if new.
    pub fn intern(&mut self, word: &str) -> WordId {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = WordId::try_from(self.words.len()).unwrap_or(WordId::MAX);
        self.words.push(Box::from(word));
        self.ids.insert(Box::from(word), id);
        id
    }

    /// Marks a lexicon word as a target for typo correction.
    pub fn add_target(&mut self, word: &str) -> WordId {
        let id = self.intern(word);
        if word.chars().count() >= MIN_FUZZY_LEN
            && word.bytes().all(|b| b.is_ascii_lowercase())
            && self.targets.insert(id)
        {
            for d in single_deletions(word) {
                self.deletes.entry(d.into_boxed_str()).or_default().push(id);
            }
            self.deletes.entry(Box::from(word)).or_default().push(id);
        }
        id
    }

    /// A word of the lexicons or of everyday Portuguese.
    pub fn knows(&self, word: &str) -> bool {
        self.ids.contains_key(word) || self.common.contains(word)
    }

    pub fn word(&self, id: WordId) -> &str {
        self.words.get(id as usize).map(|w| &**w).unwrap_or("")
    }

    pub fn id(&self, word: &str) -> Option<WordId> {
        self.ids.get(word).copied()
    }

    /// The expansion of a chat abbreviation, or the word itself.
    pub fn expand<'a>(&self, surface: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.abbreviations.get(surface).copied().unwrap_or(surface)
    }

    /// The static expansion of an abbreviation.
    pub fn expansion_of(&self, surface: &str) -> Option<&'static str> {
        self.abbreviations.get(surface).copied()
    }

    /// A stretched word (`brigadaaa`, `oiii`) shrunk to the form the vocabulary or the
    /// abbreviations know, if any.
    pub fn unstretch(&self, surface: &str) -> Option<String> {
        if !has_stretched_letters(surface) {
            return None;
        }
        [1, 2]
            .into_iter()
            .map(|keep| shrink_runs(surface, keep))
            .find(|s| self.ids.contains_key(s.as_str()) || self.abbreviations.contains_key(s.as_str()))
    }

    /// Resolves a token (already folded and expanded) to a known word id.
    pub fn resolve(&self, surface: &str) -> Option<WordId> {
        if let Some(id) = self.id(surface) {
            return Some(id);
        }
        if self.common.contains(surface) {
            return None;
        }
        if has_stretched_letters(surface) {
            for keep in [2, 1] {
                let shrunk = shrink_runs(surface, keep);
                if let Some(id) = self.id(&shrunk) {
                    return Some(id);
                }
            }
        }
        self.correct(surface)
    }

    /// The single best lexicon word within the allowed edit distance, if there is exactly one.
    fn correct(&self, surface: &str) -> Option<WordId> {
        let len = surface.chars().count();
        if len < MIN_FUZZY_LEN || !surface.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let max = if len >= TWO_EDITS_LEN { 2 } else { 1 };
        let mut best: Option<(usize, WordId)> = None;
        let mut tie = false;
        let mut consider = |candidates: Option<&Vec<WordId>>| {
            for &id in candidates.into_iter().flatten() {
                let d = damerau_levenshtein(surface, self.word(id));
                if d > max {
                    continue;
                }
                match best {
                    Some((bd, bid)) if bid == id || d > bd => {}
                    // Two words equally close: the one sharing the longer beginning wins
                    // (`losatana`: losartana over lorsatana); inflections of one word
                    // (`obrigadp`: obrigado / obrigada) are both fine; otherwise it is ambiguous.
                    Some((bd, bid)) if d == bd => {
                        let (a, b) = (self.word(bid), self.word(id));
                        let (pa, pb) = (common_prefix(surface, a), common_prefix(surface, b));
                        if pb > pa {
                            best = Some((d, id));
                            tie = false;
                        } else if pb == pa
                            && (a.len() != b.len() || a.get(..a.len() - 1) != b.get(..b.len() - 1))
                        {
                            tie = true;
                        }
                    }
                    _ => {
                        best = Some((d, id));
                        tie = false;
                    }
                }
            }
        };
        consider(self.deletes.get(surface));
        for d in single_deletions(surface) {
            consider(self.deletes.get(d.as_str()));
        }
        match best {
            Some((_, id)) if !tie => Some(id),
            _ => None,
        }
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

fn single_deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(i, c)| {
        let mut s = String::with_capacity(word.len());
        s.push_str(&word[..i]);
        s.push_str(&word[i + c.len_utf8()..]);
        s
    })
}

fn has_stretched_letters(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

/// Runs of three or more equal letters shrunk to `keep`: `socorrooo` → `socorroo` (2) or
/// `socorro` (1); runs of two (`rr`, `ss`) are spelling and stay.
fn shrink_runs(s: &str, keep: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let n = if run >= 3 { keep } else { run };
        out.extend(std::iter::repeat_n(c, n));
        i += run;
    }
    out
}

/// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions) over
/// bytes; inputs are short folded ASCII words.
pub fn damerau_levenshtein(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.len().abs_diff(b.len()) > 2 {
        return a.len().abs_diff(b.len());
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        let mut v = Vocab::new("# common\ncasa\npontes\n");
        for w in [
            "dipirona",
            "losartana",
            "pontos",
            "febre",
            "obrigado",
            "atendente",
            "socorro",
        ] {
            v.add_target(w);
        }
        v
    }

    #[test]
    fn corrects_one_typo_towards_the_lexicon() {
        let v = vocab();
        for (typo, word) in [
            ("dipirna", "dipirona"),
            ("losatana", "losartana"),
            ("obrigadp", "obrigado"),
            ("atendemte", "atendente"),
            ("pontso", "pontos"),
            ("febrr", "febre"),
        ] {
            assert_eq!(v.resolve(typo).map(|id| v.word(id)), Some(word), "{typo}");
        }
    }

    #[test]
    fn leaves_everyday_words_and_short_tokens_alone() {
        let v = vocab();
        assert_eq!(v.resolve("pontes"), None, "a correct common word is not a typo");
        assert_eq!(v.resolve("casa"), None);
        assert_eq!(v.resolve("febe"), None, "four letters are matched exactly");
        assert_eq!(v.resolve("xyzzyq"), None);
    }

    #[test]
    fn stretched_letters_shrink() {
        let v = vocab();
        assert_eq!(v.resolve("socorrooo").map(|id| v.word(id)), Some("socorro"));
        assert_eq!(v.resolve("febreeee").map(|id| v.word(id)), Some("febre"));
    }

    #[test]
    fn abbreviations_expand() {
        let v = vocab();
        assert_eq!(v.expand("vc"), "voce");
        assert_eq!(v.expand("to"), "estou");
        assert_eq!(v.expand("febre"), "febre");
    }

    #[test]
    fn distance_counts_transpositions_as_one() {
        assert_eq!(damerau_levenshtein("pontos", "pontso"), 1);
        assert_eq!(damerau_levenshtein("abc", "abc"), 0);
        assert_eq!(damerau_levenshtein("kitten", "sitting"), 3);
    }
}
