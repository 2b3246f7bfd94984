//! What leaves for a language model carries no CPF, name, phone, e-mail or other identifying
//! number: they are replaced by placeholders before the text is sent.

/// Replaces e-mail addresses, runs of eight or more digits (CPF, phone, CNS, card numbers, with
/// their usual separators) and the patient's names.
pub fn pseudonymise(text: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A number with separators: digits, spaces, . - / ( ) +
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            || (chars[i] == '(' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len()
                && (chars[j].is_ascii_digit() || matches!(chars[j], ' ' | '.' | '-' | '/' | '(' | ')' | '+'))
            {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            // Give back trailing separators.
            while j > i && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            if digits >= 8 {
                out.push_str("[NUMERO]");
            } else {
                out.extend(&chars[i..j]);
            }
            i = j.max(i + 1);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    let mut words: Vec<String> = out.split(' ').map(str::to_owned).collect();
    let folded_names: Vec<String> = names
        .iter()
        .flat_map(|n| n.split_whitespace())
        .filter(|n| n.chars().count() >= 3)
        .map(austa_nlp::text::fold)
        .collect();
    for w in &mut words {
        if w.contains('@') && w.contains('.') {
            *w = "[EMAIL]".into();
            continue;
        }
        let core: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
        if !core.is_empty() && folded_names.contains(&austa_nlp::text::fold(&core)) {
            *w = w.replace(&core, "[NOME]");
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_become_placeholders() {
        let text = "Oi, sou a Ana Souza, CPF 529.982.247-25, meu zap é (11) 98765-4321 e email ana.souza@exemplo.com.br";
        let safe = pseudonymise(text, &["Ana Souza"]);
        assert_eq!(
            safe,
            "Oi, sou a [NOME] [NOME], CPF [NUMERO], meu zap é [NUMERO] e email [EMAIL]"
        );
        for leaked in ["529", "98765", "Ana", "Souza", "@"] {
            assert!(!safe.contains(leaked), "{leaked} leaked: {safe}");
        }
    }

    #[test]
    fn ordinary_numbers_stay() {
        assert_eq!(
            pseudonymise("pressao 13 por 8 as 10:30, 2 comprimidos", &[]),
            "pressao 13 por 8 as 10:30, 2 comprimidos"
        );
        assert_eq!(pseudonymise("+55 11 98765 4321", &[]), "[NUMERO]");
    }
}
