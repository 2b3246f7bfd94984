//! Consent keywords patients send on WhatsApp: a message that is only `PARAR`, `SAIR`, `STOP` (or
//! `CANCELAR`) withdraws consent to non-essential messages; `VOLTAR`, `START` or `RECEBER` gives it
//! back. Only a message that is the keyword alone counts: "não quero parar o remédio" is a message,
//! not an opt-out.

const OPT_OUT: &[&str] = &["PARAR", "SAIR", "STOP", "CANCELAR"];
const OPT_IN: &[&str] = &["VOLTAR", "START", "RECEBER"];

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' | 'Ã' => 'A',
        'é' | 'ê' | 'É' | 'Ê' => 'E',
        'í' | 'Í' => 'I',
        'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' | 'Õ' => 'O',
        'ú' | 'Ú' => 'U',
        'ç' | 'Ç' => 'C',
        other => other.to_ascii_uppercase(),
    }
}

/// `Some(false)`: withdraw; `Some(true)`: give consent back; `None`: an ordinary message.
pub fn keyword(text: &str) -> Option<bool> {
    let word: String = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .chars()
        .map(fold)
        .collect();
    if OPT_OUT.contains(&word.as_str()) {
        Some(false)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_alone_change_consent() {
        for out in ["PARAR", "parar", " Sair! ", "stop", "Cancelar."] {
            assert_eq!(keyword(out), Some(false), "{out}");
        }
        for back in ["VOLTAR", "voltar", "Start", "receber"] {
            assert_eq!(keyword(back), Some(true), "{back}");
        }
        for message in [
            "não quero parar o remédio",
            "parar de tomar?",
            "sair de casa",
            "",
            "stopp",
        ] {
            assert_eq!(keyword(message), None, "{message}");
        }
    }
}
