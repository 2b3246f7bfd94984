//! What the assistant does with one analysed message: a pure decision from the analysis and the
//! conversation's state, applied by the caller. Safety comes first and in code order: an emergency
//! is answered before anything else, whatever the onboarding stage or a human hand-off; an
//! emergency answer is never followed by anything else.

use austa_domain::enums::{AlertKind, ConversationStatus, Priority, UrgencyLevel};
use austa_nlp::{Analysis, Intent, RedFlag, Urgency};
use serde::{Deserialize, Serialize};

/// Where the patient is in the conversation with the assistant (kept encrypted per conversation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Never greeted: the next message gets the welcome and the consent question.
    #[default]
    New,
    /// The LGPD consent question was asked; the answer is awaited.
    AwaitingConsent,
    /// Onboarded (with consent given or refused).
    Ready,
}

#[derive(Debug, Clone, Copy)]
pub struct Situation {
    pub stage: Stage,
    /// The patient's current answer on processing health data from the chat.
    pub consent: Option<bool>,
    /// A person has taken over: the bot stays quiet (emergencies excepted).
    pub waiting_human: bool,
    /// The patient already opted out of non-essential messages.
    pub opted_out: bool,
    /// The message carries a file (photo, PDF).
    pub has_media: bool,
    /// The organization lets the assistant talk (`settings.assistant.enabled`). When it does not,
    /// messages are still analysed and emergencies still answered and escalated: safety rules are
    /// never switched off.
    pub assistant_enabled: bool,
}

/// A reply to send; the ones that need the platform's data are filled by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A fixed template, `section.key` of the replies file.
    Template(&'static str),
    Emergency(RedFlag),
    /// The consent was just given: thanks and the first missions.
    ConsentGranted,
    Vitals {
        high: bool,
    },
    Points,
    AuthorizationStatus,
    ExamResults,
    /// Words the language model phrased (already through the safety checks).
    Free(String),
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub replies: Vec<Reply>,
    /// Essential replies reach a patient who opted out (their own request's answer, an emergency).
    pub essential: bool,
    pub alert: Option<(AlertKind, UrgencyLevel, &'static str)>,
    /// Store the analysis' entities and keywords and roll them up into the conversation.
    pub record_health: bool,
    /// An answer to the data-processing consent question.
    pub consent: Option<bool>,
    /// Withdraw consent to non-essential messages.
    pub opt_out: bool,
    /// A "tomei" (`true`) or "esqueci" (`false`) for the latest reminded dose.
    pub dose_answer: Option<bool>,
    pub next_stage: Stage,
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
}

impl Plan {
    fn new(situation: &Situation) -> Self {
        Plan {
            replies: Vec::new(),
            essential: false,
            alert: None,
            record_health: situation.consent == Some(true),
            consent: None,
            opt_out: false,
            dose_answer: None,
            next_stage: situation.stage,
            status: None,
            priority: None,
        }
    }
}

pub fn urgency_level(u: Urgency) -> UrgencyLevel {
    match u {
        Urgency::Emergency => UrgencyLevel::Emergency,
        Urgency::High => UrgencyLevel::High,
        Urgency::Medium => UrgencyLevel::Medium,
        Urgency::Low => UrgencyLevel::Low,
    }
}

/// The version of the consent text (`onboarding.consent_request`); a new text gets a new version.
pub const CONSENT_TERMS_VERSION: &str = "2026-11";

pub fn decide(analysis: &Analysis, text: &str, situation: &Situation) -> Plan {
    let mut plan = Plan::new(situation);

    // 1. Emergencies: at once, always, and nothing else in the same answer.
    if analysis.urgency == Urgency::Emergency {
        let flag = analysis.red_flag.unwrap_or(RedFlag::LifeThreat);
        plan.replies.push(Reply::Emergency(flag));
        plan.essential = true;
        plan.alert = Some((AlertKind::Emergency, UrgencyLevel::Emergency, flag.name()));
        // LGPD art. 11 II (e): protecting the patient's life needs no consent.
        plan.record_health = true;
        plan.status = Some(ConversationStatus::Escalated);
        plan.priority = Some(Priority::Urgent);
        return plan;
    }

    if !situation.assistant_enabled {
        return plan;
    }

    // A plain SIM / NÃO while the consent question is open answers it (a bare "não" is not a
    // request to leave).
    let answer = consent_answer(text);
    if situation.stage == Stage::AwaitingConsent
        && let Some(granted) = answer
    {
        plan.consent = Some(granted);
        plan.replies.push(if granted {
            Reply::ConsentGranted
        } else {
            Reply::Template("onboarding.consent_refused")
        });
        plan.next_stage = Stage::Ready;
        plan.record_health = false;
        return plan;
    }

    // 2. Rights the patient can use at any moment: leaving, and asking for a person.
    if analysis.intent == Intent::OptOut {
        plan.opt_out = !situation.opted_out;
        if !situation.waiting_human {
            plan.replies.push(Reply::Template("reply.opt_out"));
            plan.essential = true;
        }
        return plan;
    }
    if situation.waiting_human {
        // A person is on it: the bot stays quiet until staff release the conversation.
        return plan;
    }
    if analysis.intent == Intent::HumanAgent {
        plan.replies.push(Reply::Template("reply.human_agent"));
        plan.essential = true;
        plan.alert = Some((
            AlertKind::HumanHandoff,
            urgency_level(analysis.urgency),
            "patient_request",
        ));
        plan.status = Some(ConversationStatus::WaitingHuman);
        return plan;
    }

    // 3. Onboarding: welcome and the consent question before anything health-related.
    match situation.stage {
        Stage::New => {
            plan.replies.push(Reply::Template("onboarding.welcome"));
            plan.replies.push(Reply::Template("onboarding.consent_request"));
            plan.next_stage = Stage::AwaitingConsent;
            return plan;
        }
        Stage::AwaitingConsent => {
            // Not an answer (those were handled above): ask again, keep nothing health-related.
            plan.replies.push(Reply::Template("onboarding.consent_reminder"));
            plan.record_health = false;
            return plan;
        }
        Stage::Ready => {}
    }
    // Changing one's mind after refusing: "ACEITO".
    if situation.consent == Some(false) && answer == Some(true) && is_short(text) {
        plan.consent = Some(true);
        plan.replies.push(Reply::ConsentGranted);
        return plan;
    }

    // 4. Useful answers. A bare "tomei" / "esqueci" answers a medication reminder.
    let recorded = plan.record_health;
    let intent = if is_short(text) && adherence(text).is_some() {
        Intent::MedicationAdherence
    } else {
        analysis.intent
    };
    let reply = match intent {
        Intent::Greeting => Reply::Template("reply.greeting"),
        Intent::FarewellThanks => Reply::Template("reply.farewell"),
        Intent::SymptomReport if !recorded => Reply::Template("reply.symptom_unrecorded"),
        Intent::SymptomReport => Reply::Template(match analysis.urgency {
            Urgency::High => "reply.symptom_high",
            Urgency::Medium => "reply.symptom_medium",
            _ => "reply.symptom_low",
        }),
        Intent::VitalSignReport if !recorded => Reply::Template("reply.symptom_unrecorded"),
        Intent::VitalSignReport => Reply::Vitals {
            high: analysis.urgency == Urgency::High,
        },
        Intent::MedicationQuestion => {
            plan.alert = Some((
                AlertKind::HumanHandoff,
                urgency_level(analysis.urgency),
                "medication_question",
            ));
            Reply::Template("reply.medication_question")
        }
        Intent::MedicationAdherence => {
            plan.dose_answer = adherence(text);
            Reply::Template(match plan.dose_answer {
                Some(true) => "reply.adherence_taken",
                Some(false) => "reply.adherence_missed",
                None => "reply.adherence_noted",
            })
        }
        Intent::Appointment => {
            plan.alert = Some((
                AlertKind::AppointmentRequest,
                urgency_level(analysis.urgency),
                "appointment",
            ));
            Reply::Template("reply.appointment")
        }
        Intent::AuthorizationStatus => Reply::AuthorizationStatus,
        Intent::ExamResults => Reply::ExamResults,
        Intent::DocumentSubmission => Reply::Template(if situation.has_media {
            "reply.document_received"
        } else {
            "reply.document_prompt"
        }),
        Intent::Gamification => Reply::Points,
        // Handled above; kept so the match stays total.
        Intent::Emergency | Intent::HumanAgent | Intent::OptOut | Intent::Other => {
            Reply::Template("reply.other")
        }
    };
    plan.replies.push(reply);
    // Answers to the patient's own requests are essential; greetings and the like are not.
    plan.essential = !matches!(
        analysis.intent,
        Intent::Greeting | Intent::FarewellThanks | Intent::Other
    );
    if analysis.urgency == Urgency::High {
        plan.priority = Some(Priority::High);
    }
    plan
}

fn words(text: &str) -> Vec<String> {
    austa_nlp::text::fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_short(text: &str) -> bool {
    words(text).len() <= 4
}

/// SIM / NÃO to the consent question (and the usual ways of saying them). Anything longer than a
/// short answer is not taken as one: consent must be unambiguous (LGPD art. 8).
pub fn consent_answer(text: &str) -> Option<bool> {
    let w = words(text);
    if w.is_empty() || w.len() > 4 {
        return text.contains('👍').then_some(true).filter(|_| w.is_empty());
    }
    let has = |x: &str| w.iter().any(|v| v == x);
    const YES: &[&str] = &[
        "sim", "s", "aceito", "concordo", "autorizo", "pode", "claro", "ok", "aceitar", "quero", "1", "yes",
    ];
    // "nao aceito", "n autorizo": a refusal, not a yes.
    let negated_yes = w
        .windows(2)
        .any(|p| (p[0] == "nao" || p[0] == "n") && YES.contains(&p[1].as_str()));
    let no = has("nao") || has("n") || has("recuso") || has("negativo") || has("nunca") || w[0] == "2";
    let yes = !negated_yes && YES.iter().any(|y| has(y));
    match (yes, no) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        // "nao, aceito"? "sim, nao quero": ask again.
        _ => None,
    }
}

/// `tomei` → taken; `esqueci`, `nao tomei`, `acabou` → missed.
fn adherence(text: &str) -> Option<bool> {
    let w = words(text);
    let has = |x: &str| w.iter().any(|v| v == x);
    let missed = has("esqueci")
        || has("esqueceu")
        || has("acabou")
        || has("parei")
        || has("pulei")
        || ((has("nao") || has("n")) && (has("tomei") || has("tomou")));
    if missed {
        return Some(false);
    }
    (has("tomei") || has("tomado") || has("tomada") || has("tomou") || has("apliquei")).then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(text: &str) -> Analysis {
        austa_nlp::Analyzer::shared().unwrap().analyze("t", text)
    }

    fn ready() -> Situation {
        Situation {
            stage: Stage::Ready,
            consent: Some(true),
            waiting_human: false,
            opted_out: false,
            has_media: false,
            assistant_enabled: true,
        }
    }

    #[test]
    fn an_emergency_wins_over_everything_and_says_only_that() {
        for situation in [
            Situation {
                stage: Stage::New,
                consent: None,
                ..ready()
            },
            Situation {
                waiting_human: true,
                ..ready()
            },
            Situation {
                consent: Some(false),
                ..ready()
            },
        ] {
            let text = "to com dor no peito e falta de ar, suando frio";
            let plan = decide(&analysis(text), text, &situation);
            assert_eq!(plan.replies, vec![Reply::Emergency(RedFlag::ChestPain)]);
            assert_eq!(
                plan.alert,
                Some((AlertKind::Emergency, UrgencyLevel::Emergency, "chest_pain"))
            );
            assert!(plan.essential && plan.record_health);
            assert_eq!(plan.status, Some(ConversationStatus::Escalated));
            assert_eq!(plan.priority, Some(Priority::Urgent));
        }
        let text = "nao aguento mais, quero morrer";
        let plan = decide(&analysis(text), text, &ready());
        assert_eq!(plan.replies, vec![Reply::Emergency(RedFlag::Suicide)]);
    }

    #[test]
    fn a_switched_off_assistant_still_answers_emergencies_and_nothing_else() {
        let off = Situation {
            assistant_enabled: false,
            stage: Stage::New,
            consent: None,
            ..ready()
        };
        let plan = decide(
            &analysis("quantos pontos eu tenho?"),
            "quantos pontos eu tenho?",
            &off,
        );
        assert!(plan.replies.is_empty() && plan.alert.is_none());
        assert_eq!(plan.next_stage, Stage::New);
        let text = "meu pai desmaiou e nao acorda";
        let plan = decide(&analysis(text), text, &off);
        assert_eq!(plan.replies, vec![Reply::Emergency(RedFlag::Unconscious)]);
        assert_eq!(plan.alert.map(|a| a.0), Some(AlertKind::Emergency));
    }

    #[test]
    fn onboarding_asks_consent_then_respects_the_answer() {
        let new = Situation {
            stage: Stage::New,
            consent: None,
            ..ready()
        };
        let plan = decide(&analysis("oi"), "oi", &new);
        assert_eq!(
            plan.replies,
            vec![
                Reply::Template("onboarding.welcome"),
                Reply::Template("onboarding.consent_request")
            ]
        );
        assert_eq!(plan.next_stage, Stage::AwaitingConsent);
        assert!(!plan.record_health);

        let waiting = Situation {
            stage: Stage::AwaitingConsent,
            consent: None,
            ..ready()
        };
        for (answer, granted) in [
            ("SIM", Some(true)),
            ("sim, aceito", Some(true)),
            ("Não", Some(false)),
            ("nao aceito", Some(false)),
        ] {
            let plan = decide(&analysis(answer), answer, &waiting);
            assert_eq!(plan.consent, granted, "{answer}");
            assert_eq!(plan.next_stage, Stage::Ready);
        }
        let unclear = "to com dor de cabeca";
        let plan = decide(&analysis(unclear), unclear, &waiting);
        assert_eq!((plan.consent, plan.next_stage), (None, Stage::AwaitingConsent));
        assert!(
            !plan.record_health,
            "nothing health-related is kept before the answer"
        );
    }

    #[test]
    fn without_consent_no_health_data_is_kept() {
        let refused = Situation {
            consent: Some(false),
            ..ready()
        };
        let text = "to com febre e tosse desde ontem";
        let plan = decide(&analysis(text), text, &refused);
        assert!(!plan.record_health);
        assert_eq!(plan.replies, vec![Reply::Template("reply.symptom_unrecorded")]);
        let plan = decide(&analysis("aceito"), "aceito", &refused);
        assert_eq!(plan.consent, Some(true), "a refusal can be changed");
    }

    #[test]
    fn a_person_takes_over_and_the_bot_goes_quiet() {
        let text = "quero falar com um atendente";
        let plan = decide(&analysis(text), text, &ready());
        assert_eq!(plan.status, Some(ConversationStatus::WaitingHuman));
        assert_eq!(plan.alert.map(|a| a.0), Some(AlertKind::HumanHandoff));
        let quiet = Situation {
            waiting_human: true,
            ..ready()
        };
        let plan = decide(
            &analysis("quantos pontos eu tenho?"),
            "quantos pontos eu tenho?",
            &quiet,
        );
        assert!(plan.replies.is_empty());
        let plan = decide(
            &analysis("para de me mandar mensagem"),
            "para de me mandar mensagem",
            &quiet,
        );
        assert!(
            plan.opt_out && plan.replies.is_empty(),
            "an opt-out is honoured even while a person handles it"
        );
    }

    #[test]
    fn requests_get_their_answers() {
        let cases = [
            ("quantos pontos eu tenho?", Reply::Points),
            ("minha ressonancia ja foi liberada?", Reply::AuthorizationStatus),
            ("o resultado do meu hemograma saiu?", Reply::ExamResults),
            (
                "queria marcar cardiologista",
                Reply::Template("reply.appointment"),
            ),
            (
                "tomei o remedio da pressao",
                Reply::Template("reply.adherence_taken"),
            ),
            (
                "esqueci de tomar o remedio hoje",
                Reply::Template("reply.adherence_missed"),
            ),
            ("para de me mandar mensagem", Reply::Template("reply.opt_out")),
        ];
        for (text, reply) in cases {
            let plan = decide(&analysis(text), text, &ready());
            assert_eq!(plan.replies, vec![reply], "{text}");
        }
    }

    #[test]
    fn consent_answers() {
        for yes in [
            "sim",
            "SIM!",
            "Sim, aceito",
            "aceito",
            "concordo",
            "pode sim",
            "1",
        ] {
            assert_eq!(consent_answer(yes), Some(true), "{yes}");
        }
        for no in ["nao", "NÃO", "não aceito", "recuso", "2", "n"] {
            assert_eq!(consent_answer(no), Some(false), "{no}");
        }
        for unclear in [
            "talvez",
            "sim nao",
            "o que e isso? quero entender melhor antes de aceitar",
        ] {
            assert_eq!(consent_answer(unclear), None, "{unclear}");
        }
    }
}
