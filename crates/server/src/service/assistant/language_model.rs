//! Where the optional language model helps: breaking a close tie between two intents, and
//! phrasing the answer to a message the rules could not place (`other`). The safety rules run
//! before it (an emergency never reaches it) and after it (an answer that names a medicine, gives a
//! number, sounds an alarm or runs long is thrown away); it sees only pseudonymised text; any
//! failure or a slow answer leaves the rules' decision as it was.

use austa_nlp::{Analysis, Analyzer, EntityKind, Intent, Urgency};

use super::pseudonym::pseudonymise;
use crate::llm::LlmClient;

/// A tie: the model's two likeliest intents are this close, and the first is this unsure.
const TIE_MARGIN: f32 = 0.15;
const TIE_CEILING: f32 = 0.6;
/// Longest phrased answer kept.
const MAX_ANSWER_CHARS: usize = 400;

const TIE_PROMPT: &str = "Você classifica mensagens de pacientes de um plano de saúde no WhatsApp. \
Responda apenas com um dos rótulos dados, sem explicação.";

const ANSWER_PROMPT: &str = "Você é a assistente virtual de uma operadora de saúde no WhatsApp. \
Responda em português do Brasil, em no máximo duas frases curtas e cordiais. Não dê diagnóstico, \
não cite remédios nem doses, não invente endereços, horários, valores ou números de telefone. \
Diga o que a assistente pode fazer (sintomas e medições, remédios, consultas, autorizações, \
exames, pontos) ou sugira responder ATENDENTE para falar com uma pessoa.";

/// What the model added; the caller applies it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Help {
    pub intent: Option<Intent>,
    pub answer: Option<String>,
}

/// Asks the model where it can help. Never for an emergency or a red flag.
pub async fn help(
    llm: &LlmClient,
    analyzer: &Analyzer,
    analysis: &Analysis,
    text: &str,
    names: &[&str],
) -> Help {
    let mut help = Help::default();
    if analysis.urgency == Urgency::Emergency || analysis.red_flag.is_some() || text.trim().is_empty() {
        return help;
    }
    let safe = pseudonymise(text, names);
    let mut intent = analysis.intent;
    if let [(first, p1), (second, p2), ..] = analysis.alternatives[..]
        && p1 - p2 < TIE_MARGIN
        && p1 < TIE_CEILING
        && first != Intent::Emergency
        && second != Intent::Emergency
    {
        let labels = format!("{} ou {}", first.as_str(), second.as_str());
        let question = format!("Rótulos: {labels}.\nMensagem: {safe}");
        match llm.chat(TIE_PROMPT, &question, 8).await {
            Ok(answer) => {
                let answer = answer.trim().trim_matches(['.', '"', '`', '\'']).to_lowercase();
                if let Some(chosen) = [first, second].into_iter().find(|i| answer == i.as_str()) {
                    intent = chosen;
                    help.intent = Some(chosen);
                }
            }
            Err(e) => tracing::info!(error = %e, "language model tie-break skipped"),
        }
    }
    if intent == Intent::Other {
        match llm.chat(ANSWER_PROMPT, &safe, 120).await {
            Ok(answer) if acceptable(analyzer, &answer) => help.answer = Some(answer),
            Ok(_) => tracing::info!("language model answer refused by the safety checks"),
            Err(e) => tracing::info!(error = %e, "language model answer skipped"),
        }
    }
    help
}

/// The safety rules after the model: short, no medicine, no long number, nothing alarming.
pub fn acceptable(analyzer: &Analyzer, answer: &str) -> bool {
    let digits_in_a_row = answer
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    let check = analyzer.analyze("llm", answer);
    !answer.trim().is_empty()
        && answer.chars().count() <= MAX_ANSWER_CHARS
        && digits_in_a_row < 5
        && check.urgency != Urgency::Emergency
        && check.entities_of(EntityKind::Medication).next().is_none()
        && !answer.contains("http")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_safety_rules_after_the_model() {
        let analyzer = Analyzer::shared().unwrap();
        assert!(acceptable(
            analyzer,
            "Posso ajudar com consultas, autorizações, exames e seus pontos. Se preferir, responda ATENDENTE."
        ));
        assert!(
            !acceptable(analyzer, "Tome 2 comprimidos de dipirona a cada 6 horas."),
            "no medicines"
        );
        assert!(!acceptable(analyzer, "Ligue para 11 98765-4321."), "no numbers");
        assert!(
            !acceptable(analyzer, "Isso pode ser um infarto, dor no peito com falta de ar"),
            "no alarms of its own"
        );
        assert!(!acceptable(analyzer, &"muito longo ".repeat(60)));
        assert!(!acceptable(analyzer, "   "));
    }
}
