//! The conversation engine: every inbound text is analysed by a queued job (`assistant.analyze`);
//! the analysis lands in the message and rolls up into the conversation, and the assistant answers
//! (`dialog` decides, `replies` words it, `answers` looks up the platform's data). One transaction
//! per message: the analysis, the consent answers, the alert and the replies commit together or
//! not at all, and a job that runs twice finds the message already processed.

pub mod answers;
pub mod dialog;
pub mod language_model;
pub mod pseudonym;
pub mod replies;

use austa_crypto::envelope::Field;
use austa_domain::EntityId;
use austa_domain::enums::{
    AuditAction, ConsentChannel, ConsentKind, ConsentSource, ConversationStatus, MessageDirection, Priority,
};
use austa_domain::ids::{MessageId, OrganizationId};
use austa_nlp::{Analysis, Analyzer, EntityKind, RedFlag};
use austa_store::model::{Conversation, Message, User};
use austa_store::{Tx, TxMode};
use austa_whatsapp::outbound::Outbound;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use time::OffsetDateTime;

use self::dialog::{Plan, Reply, Situation, Stage};
use self::replies::Replies;
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::work::Work;

pub const ANALYZE_JOB: &str = "assistant.analyze";

/// The assistant's memory of a conversation, sealed in `conversations.ai_context_encrypted`.
const STATE_FIELD: Field = Field::new("conversations", "ai_context_encrypted");

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    stage: Stage,
}

/// Message types whose words the assistant reads (a photo's caption included).
pub fn analyses(kind: &str) -> bool {
    matches!(kind, "text" | "button" | "interactive" | "image" | "document")
}

/// Queues the analysis of a stored inbound message (in the transaction that stored it).
pub async fn enqueue(
    tx: &mut dyn Tx,
    org: OrganizationId,
    message: MessageId,
    now: OffsetDateTime,
) -> Result<()> {
    crate::jobs::enqueue(
        tx,
        crate::jobs::NewJob {
            organization: Some(org),
            kind: ANALYZE_JOB,
            payload: json!({"organizationId": org, "messageId": message}),
            dedupe_key: Some(message.to_string()),
            run_at: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The job: read and analyse; consult the optional language model outside any transaction (a
/// slow model must not hold the database); then record and answer in one transaction.
pub async fn handle(services: &Services, org: OrganizationId, message: MessageId) -> Result<()> {
    let analyzer = Analyzer::shared().map_err(|e| Error::internal(format!("analysis lexicons: {e}")))?;
    let actor = Actor::system_for(org).with_user_agent("assistant");
    let read = crate::transact!(services, &actor, TxMode::Read, |work| read(work, org, message)
        .await)?;
    let Some((kind, text, patient_name)) = read else {
        return Ok(());
    };
    let mut analysis = analyzer.analyze(&message.to_string(), &text);
    let mut free_answer = None;
    if let Some(llm) = &services.llm {
        let help = language_model::help(llm, analyzer, &analysis, &text, &[patient_name.as_str()]).await;
        if let Some(intent) = help.intent {
            analysis.intent = intent;
        }
        free_answer = help.answer;
    }
    let input = Input {
        analysis,
        text,
        kind,
        free_answer,
    };
    crate::transact!(services, &actor, TxMode::Write, |work| process(
        work, org, message, &input
    )
    .await)
}

/// The message's kind and words, and the patient's name; `None` when there is nothing to do.
async fn read(
    work: &mut Work<'_>,
    org: OrganizationId,
    id: MessageId,
) -> Result<Option<(String, String, String)>> {
    let Some(message) = work.tx().find::<Message>(id).await? else {
        return Ok(None);
    };
    if message.ai_processed || message.direction != MessageDirection::Inbound {
        return Ok(None);
    }
    let services = work.services;
    let ring = services.keys.get(work.tx(), org).await?;
    let content: Json = match &message.content_encrypted {
        Some(sealed) => serde_json::from_slice(&ring.decrypt(
            super::conversations::CONTENT_FIELD,
            id.as_uuid(),
            sealed,
        )?)
        .map_err(Error::internal)?,
        None => Json::Null,
    };
    let kind = content
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_owned();
    let name = work
        .tx()
        .find::<User>(message.user_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(Some((kind, words_of(&content), name)))
}

/// What the job works from.
struct Input {
    analysis: Analysis,
    text: String,
    kind: String,
    /// The language model's phrasing of an `other` answer, already checked.
    free_answer: Option<String>,
}

/// The words of a message: a text's body, a button's label, a list or button reply's title, a
/// file's caption.
fn words_of(content: &Json) -> String {
    let kind = content.get("type").and_then(|t| t.as_str()).unwrap_or_default();
    let body = content.get(kind).cloned().unwrap_or(Json::Null);
    let candidates = [
        body.get("body"),
        body.get("text"),
        body.get("caption"),
        body.get("button_reply").and_then(|b| b.get("title")),
        body.get("list_reply").and_then(|b| b.get("title")),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn process(work: &mut Work<'_>, org: OrganizationId, id: MessageId, input: &Input) -> Result<()> {
    let Some(mut message) = work.tx().find_for_update::<Message>(id).await? else {
        return Ok(());
    };
    if message.ai_processed || message.direction != MessageDirection::Inbound {
        // Another worker got there first.
        return Ok(());
    }
    let services = work.services;
    let now = services.clock.now();
    let ring = services.keys.get(work.tx(), org).await?;
    let Input {
        analysis,
        text,
        kind,
        free_answer,
    } = input;

    let mut conversation = work
        .tx()
        .find_for_update::<Conversation>(message.conversation_id)
        .await?
        .ok_or_else(|| Error::internal("a message without its conversation"))?;
    let patient = work.tx().get::<User>(message.user_id).await?;
    let mut state: State = match &conversation.ai_context_encrypted {
        Some(sealed) => {
            serde_json::from_slice(&ring.decrypt(STATE_FIELD, conversation.id.as_uuid(), sealed)?)
                .unwrap_or_default()
        }
        None => State::default(),
    };
    let consent = super::consents::current(work, patient.id, ConsentKind::DataProcessing).await?;
    if state.stage == Stage::New && consent.is_some() {
        // Answered before (another conversation, or through staff): no need to ask again.
        state.stage = Stage::Ready;
    }
    let opted_out =
        super::consents::current(work, patient.id, ConsentKind::WhatsappMessages).await? == Some(false);
    let assistant_enabled = work
        .tx()
        .find::<austa_store::model::Organization>(org)
        .await?
        .and_then(|o| {
            o.settings
                .get("assistant")
                .and_then(|a| a.get("enabled"))
                .and_then(|e| e.as_bool())
        })
        .unwrap_or(true);
    let situation = Situation {
        assistant_enabled,
        stage: state.stage,
        consent,
        waiting_human: conversation.status == ConversationStatus::WaitingHuman,
        opted_out,
        has_media: super::media::has_media(kind),
    };
    let mut plan = dialog::decide(analysis, text, &situation);
    if let Some(answer) = free_answer {
        for reply in &mut plan.replies {
            if *reply == Reply::Template("reply.other") {
                *reply = Reply::Free(answer.clone());
            }
        }
    }

    // The analysis, on the message.
    message.ai_processed = true;
    message.ai_confidence = Some(analysis.confidence);
    message.ai_intent = Some(analysis.intent.as_str().to_owned());
    message.urgency_level = Some(dialog::urgency_level(analysis.urgency));
    if plan.record_health {
        message.ai_entities = stored_entities(analysis);
        message.health_keywords = json!(analysis.health_keywords);
    }
    message.updated_at = now;
    work.tx().update(&message).await?;

    // …rolled up into the conversation.
    if plan.record_health {
        roll_up(&mut conversation, analysis);
    }
    if let Some(status) = plan.status {
        conversation.status = status;
    }
    if let Some(priority) = plan.priority {
        conversation.priority = higher(conversation.priority, priority);
    }
    state.stage = plan.next_stage;
    let sealed = services
        .keys
        .encrypt(
            work.tx(),
            org,
            STATE_FIELD,
            conversation.id.as_uuid(),
            &serde_json::to_vec(&state).map_err(Error::internal)?,
        )
        .await?;
    conversation.ai_context_encrypted = Some(sealed);
    conversation.updated_at = now;
    work.tx().update(&conversation).await?;
    work.record(
        AuditEvent::health(AuditAction::Update, "messages", Some(id.as_uuid()))
            .related("patientId", patient.id.as_uuid())
            .related("conversationId", conversation.id.as_uuid())
            .detail("analysis", analysis.intent.as_str())
            .detail("urgency", analysis.urgency.as_str())
            .detail("healthDataKept", plan.record_health),
    );

    record_consents(work, &plan, patient.id, id, now).await?;
    let dose = match plan.dose_answer {
        Some(taken) => super::reminders::answer(work, patient.id, taken)
            .await?
            .filter(|_| taken),
        None => None,
    };
    gamify(work, &patient, &plan, analysis, id, message.sent_at, dose).await?;
    if let Some((kind, urgency, reason)) = plan.alert {
        super::alerts::raise(
            work,
            super::alerts::NewAlert {
                organization: org,
                patient: patient.id,
                conversation: Some(conversation.id),
                authorization: None,
                message: Some(id),
                kind,
                urgency,
                reason,
            },
        )
        .await?;
    }
    send_replies(work, &plan, analysis, &conversation, &patient, &message).await
}

/// The server-side events this message is: a message received (not an emergency's: nothing
/// gamified around one), a consent given, a reminded dose taken, readings reported with consent.
async fn gamify(
    work: &mut Work<'_>,
    patient: &User,
    plan: &Plan,
    analysis: &Analysis,
    message: MessageId,
    at: OffsetDateTime,
    dose: Option<austa_store::model::MedicationDose>,
) -> Result<()> {
    use super::gamification::{Event, kinds, record};
    if analysis.urgency == austa_nlp::Urgency::Emergency {
        return Ok(());
    }
    let mut events = vec![Event {
        kind: kinds::MESSAGE_RECEIVED,
        key: format!("message:{message}"),
        at,
        detail: json!({}),
    }];
    if plan.consent == Some(true) {
        events.push(Event {
            kind: kinds::CONSENT_GIVEN,
            key: format!("consent:{message}"),
            at,
            detail: json!({}),
        });
    }
    if let Some(dose) = dose {
        events.push(Event {
            kind: kinds::MEDICATION_TAKEN,
            key: format!("dose:{}", dose.id),
            at,
            detail: json!({}),
        });
    }
    if plan.record_health {
        for v in analysis.entities_of(EntityKind::VitalSign) {
            events.push(Event {
                kind: kinds::VITAL_SIGN_RECORDED,
                key: format!("message:{message}:{}", v.normalized),
                at,
                detail: json!({"kind": v.normalized}),
            });
        }
    }
    let mut freezes_used = 0;
    let mut streak = 0;
    for event in events {
        let outcome = record(work, patient, event).await?;
        freezes_used += outcome.freezes_used;
        streak = streak.max(outcome.daily_streak);
    }
    // A freeze kept the streak: the patient is told (unless they opted out of such messages).
    if freezes_used > 0 && plan.replies.iter().all(|r| !matches!(r, Reply::Emergency(_))) {
        let opted_out =
            super::consents::current(work, patient.id, ConsentKind::WhatsappMessages).await? == Some(false);
        let conversation = work.tx().get::<Message>(message).await?.conversation_id;
        if !opted_out && super::outbound::reachable(patient) {
            let texts = Replies::shared()?;
            let body = texts.render(
                "reply.streak_freeze",
                replies::first_name(&patient.name).as_deref(),
                &[
                    ("congelamentos", freezes_used.to_string()),
                    ("dias", streak.to_string()),
                ],
            )?;
            super::outbound::queue(
                work,
                conversation,
                Outbound::Text {
                    text: json!({"body": body}),
                },
                false,
            )
            .await?;
        }
    }
    Ok(())
}

/// Entities as stored on the message: normalized names, values and codes; not the patient's own
/// words (those stay in the encrypted body).
fn stored_entities(analysis: &Analysis) -> Json {
    Json::Array(
        analysis
            .entities
            .iter()
            .map(|e| {
                let mut v = json!({"type": e.kind, "normalized": e.normalized, "negated": e.negated});
                if let Some(value) = &e.value {
                    v["value"] = json!(value);
                }
                if let Some(unit) = e.unit {
                    v["unit"] = json!(unit);
                }
                if let Some(code) = &e.code {
                    v["code"] = json!(code);
                }
                v
            })
            .collect(),
    )
}

/// Adds what the message mentions to the conversation's lists (each name once; denied symptoms
/// are not reported symptoms).
fn roll_up(conversation: &mut Conversation, analysis: &Analysis) {
    fn add(list: &mut Json, item: &str) {
        if !list.is_array() {
            *list = json!([]);
        }
        if let Some(items) = list.as_array_mut()
            && !items.iter().any(|i| i.as_str() == Some(item))
            && items.len() < 200
        {
            items.push(json!(item));
        }
    }
    for e in &analysis.entities {
        match e.kind {
            EntityKind::Symptom if !e.negated => add(&mut conversation.symptoms_reported, &e.normalized),
            EntityKind::Medication if !e.negated => {
                add(&mut conversation.medications_mentioned, &e.normalized)
            }
            _ => {}
        }
    }
    for k in &analysis.health_keywords {
        add(&mut conversation.health_topics, k);
    }
}

fn higher(a: Priority, b: Priority) -> Priority {
    let rank = |p: Priority| match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

async fn record_consents(
    work: &mut Work<'_>,
    plan: &Plan,
    patient: austa_domain::ids::UserId,
    message: MessageId,
    now: OffsetDateTime,
) -> Result<()> {
    if let Some(granted) = plan.consent {
        super::consents::record(
            work,
            patient,
            super::consents::Answer {
                kind: ConsentKind::DataProcessing,
                granted,
                source: ConsentSource::Onboarding,
                channel: ConsentChannel::Whatsapp,
                terms_version: Some(dialog::CONSENT_TERMS_VERSION),
                message: Some(message),
                at: now,
            },
        )
        .await?;
    }
    if plan.opt_out {
        super::consents::record(
            work,
            patient,
            super::consents::Answer {
                kind: ConsentKind::WhatsappMessages,
                granted: false,
                source: ConsentSource::WhatsappKeyword,
                channel: ConsentChannel::Whatsapp,
                terms_version: None,
                message: Some(message),
                at: now,
            },
        )
        .await?;
    }
    Ok(())
}

async fn send_replies(
    work: &mut Work<'_>,
    plan: &Plan,
    analysis: &Analysis,
    conversation: &Conversation,
    patient: &User,
    message: &Message,
) -> Result<()> {
    if plan.replies.is_empty() {
        return Ok(());
    }
    let now = work.services.clock.now();
    // A reply can only go out as free text inside the 24-hour window, to a number, and (unless
    // essential) to a patient who has not opted out.
    let opted_out =
        super::consents::current(work, patient.id, ConsentKind::WhatsappMessages).await? == Some(false);
    if now - message.sent_at > super::outbound::WINDOW
        || !super::outbound::reachable(patient)
        || (opted_out && !plan.essential)
    {
        return Ok(());
    }
    let texts = Replies::shared()?;
    let name = replies::first_name(&patient.name);
    for reply in &plan.replies {
        let body = match reply {
            Reply::Template(key) => {
                let organization = answers::organization_name(work, conversation.organization_id).await?;
                texts.render(
                    key,
                    name.as_deref(),
                    &[
                        ("organizacao", organization),
                        ("versao", dialog::CONSENT_TERMS_VERSION.into()),
                    ],
                )?
            }
            Reply::Emergency(flag) => texts.render(emergency_key(*flag), name.as_deref(), &[])?,
            Reply::Free(answer) => answer.clone(),
            Reply::ConsentGranted => answers::consent_granted(work, texts, patient, name.as_deref()).await?,
            Reply::Vitals { high } => texts.render(
                if *high {
                    "reply.vital_high"
                } else {
                    "reply.vital_recorded"
                },
                name.as_deref(),
                &[("medicoes", answers::readings(analysis))],
            )?,
            Reply::Points => answers::points(work, texts, patient, name.as_deref()).await?,
            Reply::AuthorizationStatus => {
                answers::authorization(work, texts, patient, name.as_deref()).await?
            }
            Reply::ExamResults => answers::exam_results(work, texts, patient, name.as_deref()).await?,
        };
        super::outbound::queue(
            work,
            conversation.id,
            Outbound::Text {
                text: json!({"body": body}),
            },
            plan.essential,
        )
        .await?;
    }
    Ok(())
}

/// SAMU for a medical emergency; CVV 188 (and 192 if imminent) for suicide risk; the poison
/// centre as well for a poisoning (BRAZIL.md §7).
fn emergency_key(flag: RedFlag) -> &'static str {
    match flag {
        RedFlag::Suicide => "emergency.suicide",
        RedFlag::Poisoning => "emergency.poisoning",
        _ => "emergency.samu",
    }
}
