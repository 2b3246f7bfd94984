//! Normalization and tokenization of chat text.
//!
//! Patients type without accents, in any case, with emoji and run-on punctuation, so every
//! comparison happens on one folded form: lower case, accents removed, `ç` → `c`. Tokens keep their
//! byte span in that folded string, which is what entity `text` fields show.

/// Longest input analysed, in bytes of folded text. A 64 KB message costs no more than this; the
/// first part of a message is where patients put what matters.
pub const MAX_ANALYSED_BYTES: usize = 4096;

/// What separates a token from the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Boundary {
    None,
    /// `,` `:` `-` and the like: a list or a pause, negation may carry over.
    Comma,
    /// `.` `!` `?` `;` a line break: a new sentence.
    Sentence,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Word,
    /// A number; `39,5` and `39.5` are one token with value 39.5.
    Number(f64),
    /// `/` between numbers (`130/80`).
    Slash,
    /// An emoji that carries meaning (see [`emoji_word`]), shown as that word.
    Emoji(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub before: Boundary,
    /// Written Capitalised (`Claudia`, not `CLAUDIA`): with no lexicon meaning, likely a name.
    pub capitalised: bool,
}

/// A message folded and split into tokens.
#[derive(Debug)]
pub struct Folded {
    pub text: String,
    pub tokens: Vec<Token>,
}

impl Folded {
    pub fn new(input: &str) -> Self {
        let (text, capitals) = fold_marking_capitals(input);
        let mut tokens = tokenize(&text);
        for t in &mut tokens {
            t.capitalised = capitals.binary_search(&t.start).is_ok();
        }
        Folded { text, tokens }
    }

    /// The folded surface of tokens `from..to` (exclusive), as the patient wrote it.
    pub fn span(&self, from: usize, to: usize) -> &str {
        match (
            self.tokens.get(from),
            to.checked_sub(1).and_then(|i| self.tokens.get(i)),
        ) {
            (Some(a), Some(b)) if a.start <= b.end => self.text.get(a.start..b.end).unwrap_or(""),
            _ => "",
        }
    }

    pub fn surface(&self, i: usize) -> &str {
        match self.tokens.get(i) {
            Some(Token {
                kind: Kind::Emoji(word),
                ..
            }) => word,
            Some(t) => self.text.get(t.start..t.end).unwrap_or(""),
            None => "",
        }
    }
}

/// Lower case without accents; other characters are kept (emoji and punctuation matter), control
/// characters become spaces. Stops at [`MAX_ANALYSED_BYTES`].
pub fn fold(input: &str) -> String {
    fold_marking_capitals(input).0
}

/// [`fold`], and the folded offsets of capital letters followed by a lower-case one.
fn fold_marking_capitals(input: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(input.len().min(MAX_ANALYSED_BYTES) + 8);
    let mut capitals = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() >= MAX_ANALYSED_BYTES {
            break;
        }
        if c.is_uppercase() && chars.peek().is_some_and(|n| n.is_lowercase()) {
            capitals.push(out.len());
        }
        match fold_char(c) {
            Some(f) => out.push(f),
            None if c.is_control() => out.push(' '),
            None => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
            }
        }
    }
    (out, capitals)
}

/// Latin letters with diacritics and upper-case ASCII folded to lower-case ASCII.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'a'..='z' | '0'..='9' => c,
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'ª' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' | 'º' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        '\n' | '\r' => '\n',
        '\t' => ' ',
        _ => return None,
    })
}

/// Emoji that say something the words may not: thanks, agreement, a document, pain, sadness.
pub fn emoji_word(c: char) -> Option<&'static str> {
    Some(match c {
        '🙏' => "obrigado",
        '👍' | '👌' | '✅' | '✔' | '☑' => "ok",
        '👋' => "oi",
        '📎' | '📄' | '📃' | '📑' | '📋' | '📷' | '📸' | '🖼' => "anexo",
        '🤒' => "febre",
        '🤮' => "vomito",
        '🤢' => "enjoo",
        '🤕' => "dor",
        '😭' | '😢' | '😔' | '😞' | '🥺' => "triste",
        '🆘' => "socorro",
        '💊' => "remedio",
        '🏆' | '🏅' | '🎖' | '⭐' | '🌟' => "pontos",
        _ => return None,
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic()
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    let mut boundary = Boundary::None;
    let bytes = text.as_bytes();
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_word_char(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = iter.peek() {
                if !is_word_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                iter.next();
            }
            tokens.push(Token {
                start: i,
                end,
                kind: Kind::Word,
                before: boundary,
                capitalised: false,
            });
            boundary = Boundary::None;
        } else if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = iter.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                iter.next();
            }
            // A decimal part: `39,5`, `37.8` (one or two digits after the separator, so that
            // `130.80` or a thousands dot is not read as a fraction).
            if let (Some(&sep), Some(d1)) = (bytes.get(end), bytes.get(end + 1))
                && (sep == b',' || sep == b'.')
                && d1.is_ascii_digit()
            {
                let frac_len = bytes[end + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if frac_len <= 2 {
                    while let Some(&(j, _)) = iter.peek() {
                        if j >= end + 1 + frac_len {
                            break;
                        }
                        iter.next();
                    }
                    end += 1 + frac_len;
                }
            }
            let value = text
                .get(i..end)
                .map(|s| s.replace(',', "."))
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
            tokens.push(Token {
                start: i,
                end,
                kind: Kind::Number(value),
                before: boundary,
                capitalised: false,
            });
            boundary = Boundary::None;
        } else if c == '/' {
            tokens.push(Token {
                start: i,
                end: i + 1,
                kind: Kind::Slash,
                before: boundary,
                capitalised: false,
            });
            boundary = Boundary::None;
        } else if let Some(word) = emoji_word(c) {
            tokens.push(Token {
                start: i,
                end: i + c.len_utf8(),
                kind: Kind::Emoji(word),
                before: boundary,
                capitalised: false,
            });
            boundary = Boundary::None;
        } else {
            let b = match c {
                '.' | '!' | '?' | ';' | '\n' => Boundary::Sentence,
                ',' | ':' | '-' | '(' | ')' | '"' | '…' => Boundary::Comma,
                _ => Boundary::None,
            };
            boundary = boundary.max(b);
        }
    }
    tokens
}

/// A number written as a word (folded): `dezoito` → 18. Compounds (`vinte e cinco`) are not read.
pub fn number_word(w: &str) -> Option<u32> {
    Some(match w {
        "um" | "uma" => 1,
        "dois" | "duas" => 2,
        "tres" => 3,
        "quatro" => 4,
        "cinco" => 5,
        "seis" => 6,
        "sete" => 7,
        "oito" => 8,
        "nove" => 9,
        "dez" => 10,
        "onze" => 11,
        "doze" => 12,
        "treze" => 13,
        "catorze" | "quatorze" => 14,
        "quinze" => 15,
        "dezesseis" => 16,
        "dezessete" => 17,
        "dezoito" => 18,
        "dezenove" => 19,
        "vinte" => 20,
        "trinta" => 30,
        "quarenta" => 40,
        "cinquenta" => 50,
        "sessenta" => 60,
        "setenta" => 70,
        "oitenta" => 80,
        "noventa" => 90,
        "cem" => 100,
        "duzentos" | "duzentas" => 200,
        "trezentos" | "trezentas" => 300,
        "quatrocentos" | "quatrocentas" => 400,
        "quinhentos" | "quinhentas" => 500,
        "seiscentos" | "seiscentas" => 600,
        "setecentos" | "setecentas" => 700,
        "oitocentos" | "oitocentas" => 800,
        "novecentos" | "novecentas" => 900,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surfaces(f: &Folded) -> Vec<String> {
        (0..f.tokens.len()).map(|i| f.surface(i).to_owned()).collect()
    }

    #[test]
    fn folds_accents_case_and_cedilla() {
        assert_eq!(fold("Pressão ALTA, Coração"), "pressao alta, coracao");
    }

    #[test]
    fn decimals_with_comma_or_dot_are_one_number() {
        let f = Folded::new("febre de 39,5 e ontem 37.8");
        let values: Vec<f64> = f
            .tokens
            .iter()
            .filter_map(|t| {
                if let Kind::Number(v) = t.kind {
                    Some(v)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(values, vec![39.5, 37.8]);
    }

    #[test]
    fn pressure_forms_split_into_numbers() {
        let f = Folded::new("13x8 130/80 82kg");
        assert_eq!(surfaces(&f), vec!["13", "x", "8", "130", "/", "80", "82", "kg"]);
    }

    #[test]
    fn boundaries_are_recorded() {
        let f = Folded::new("oi. tudo bem, eu");
        assert_eq!(f.tokens[1].before, Boundary::Sentence);
        assert_eq!(f.tokens[3].before, Boundary::Comma);
        assert_eq!(f.tokens[2].before, Boundary::None);
    }

    #[test]
    fn meaningful_emoji_become_words() {
        let f = Folded::new("valeu 🙏🙏");
        assert_eq!(surfaces(&f), vec!["valeu", "obrigado", "obrigado"]);
    }

    #[test]
    fn long_input_is_capped() {
        let long = "a".repeat(70_000);
        assert!(fold(&long).len() <= MAX_ANALYSED_BYTES);
    }
}
