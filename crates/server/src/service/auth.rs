//! Authentication: staff login (Argon2id password, TOTP for admins), patients' one-time codes over
//! WhatsApp, opaque bearer sessions and API keys, logout, and the rate limits that protect them.
//!
//! Enumeration: an unknown e-mail costs the same password hash as a known one, is rate-limited the
//! same way (attempts are counted per HMAC of the e-mail, whether or not an account exists) and gets
//! the same answer. The one-time-code request answers the same for any phone, and sends in the
//! background so its timing does not tell either.

use austa_crypto::token::{self, Token, TokenKind};
use austa_crypto::totp::TotpSecret;
use austa_crypto::{SecretKey, one_time_code, password};
use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{LoginAttemptId, OrganizationId, OtpChallengeId, SessionId};
use austa_domain::validation::PhoneNumber;
use austa_domain::{EntityId, Principal, Subject};
use austa_store::model::{ApiKey, LoginAttempt, Organization, OtpChallenge, Session, User};
use austa_store::{Cmp, ListQuery, TxMode, Value};
use austa_whatsapp::CloudApi;
use hmac::Mac;
use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::staff::TOTP_FIELD;
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::transact;

/// Staff sessions end after this long, whatever happens...
pub const STAFF_SESSION: Duration = Duration::hours(12);
/// ...or after this long without a request.
pub const STAFF_IDLE: Duration = Duration::minutes(30);
pub const PATIENT_SESSION: Duration = Duration::days(7);
pub const PATIENT_IDLE: Duration = Duration::days(1);
/// Failed logins are counted over this window.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
pub const CODE_VALIDITY: Duration = Duration::minutes(5);
pub const CODE_ATTEMPTS: i64 = 5;
pub const CODES_PER_WINDOW: usize = 3;
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// The pseudonym under which attempts on an e-mail are counted (keyed, so the table does not reveal
/// which addresses were tried).
pub fn account_hash(key: &SecretKey, email: &str) -> Vec<u8> {
    let mut mac = key.hmac();
    mac.update(email.trim().to_lowercase().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Where a request came from, for audit rows and rate limits.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Client {
    pub fn actor(&self, principal: Principal) -> Actor {
        Actor {
            principal,
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
            session: None,
        }
    }
}

pub struct Credentials {
    pub email: String,
    pub password: SecretString,
    pub totp: Option<String>,
    pub organization_id: Option<OrganizationId>,
}

/// A new session: the token is shown to its holder once.
#[derive(Debug)]
pub struct Issued {
    pub token: Token,
    pub expires_at: OffsetDateTime,
    pub session_id: SessionId,
}

async fn recent_failures(services: &Services, column: &str, value: Value) -> Result<usize> {
    let since = services.clock.now() - FAILURE_WINDOW;
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let page = tx
        .list::<LoginAttempt>(
            &ListQuery::first((MAX_FAILURES_PER_ADDRESS + 1) as u32)
                .filter(column, value)
                .filter("succeeded", Value::Bool(false))
                .compare("occurred_at", Cmp::Ge, Value::Time(since)),
        )
        .await?;
    tx.rollback().await?;
    Ok(page.items.len())
}

/// Staff login. Every failure answers `Unauthenticated` (or `RateLimited`), whatever its cause.
pub async fn login(services: &Services, client: &Client, credentials: Credentials) -> Result<Issued> {
    let account = account_hash(&services.login_subject_key, &credentials.email);
    let secret = credentials.password.expose_secret();
    let mut limited = recent_failures(services, "account_hash", Value::Bytes(account.clone())).await?
        >= MAX_FAILURES_PER_ACCOUNT;
    if let Some(ip) = &client.ip_address {
        limited |= recent_failures(services, "ip_address", Value::Text(ip.clone())).await?
            >= MAX_FAILURES_PER_ADDRESS;
    }
    if limited {
        // The same cost as a real check, and counted, so a locked account looks like any other.
        password::verify_against_nothing(secret);
        record_failure(services, client, &account, None, "rate_limited").await?;
        return Err(Error::RateLimited {
            retry_after_secs: FAILURE_WINDOW.whole_seconds().unsigned_abs(),
        });
    }

    let mut query = ListQuery::first(20)
        .filter("email", Value::Text(credentials.email.trim().to_lowercase()))
        .filter("is_active", Value::Bool(true))
        .any_of(
            "role",
            vec![Value::Text("admin".into()), Value::Text("provider".into())],
        );
    if let Some(org) = credentials.organization_id {
        query = query.filter("organization_id", Value::Uuid(org.as_uuid()));
    }
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let candidates = tx.list::<User>(&query).await?.items;
    tx.rollback().await?;
    if candidates.is_empty() {
        password::verify_against_nothing(secret);
    }
    let mut matching: Vec<User> = candidates
        .into_iter()
        .filter(|u| {
            u.password_hash
                .as_deref()
                .is_some_and(|h| password::verify(secret, h))
        })
        .collect();
    // The same e-mail and password in two organizations: the caller must say which (organizationId).
    let user = match (matching.pop(), matching.is_empty()) {
        (Some(user), true) => user,
        _ => {
            record_failure(services, client, &account, None, "bad_credentials").await?;
            return Err(Error::Unauthenticated);
        }
    };

    let now = services.clock.now();
    let mut totp_step = None;
    if user.role == Role::Admin {
        let Some(code) = credentials.totp.as_deref() else {
            // The password was right: asking for the second factor reveals nothing new.
            return Err(Error::TotpRequired);
        };
        match check_totp(services, &user, code, now).await? {
            Some(step) => totp_step = Some(step),
            None => {
                record_failure(services, client, &account, Some(&user), "bad_totp").await?;
                return Err(Error::Unauthenticated);
            }
        }
    }
    open_session(services, client, &user, Some(account), totp_step).await
}

/// The matching step of an admin's TOTP code, if the code is right and its step was never used.
async fn check_totp(
    services: &Services,
    user: &User,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<i64>> {
    let Some(sealed) = &user.totp_secret_encrypted else {
        return Ok(None);
    };
    let actor = Actor::system_for(user.organization_id);
    let user = user.clone();
    let sealed = sealed.clone();
    let code = code.to_owned();
    transact!(services, &actor, TxMode::Read, |work| {
        let secret = work
            .services
            .keys
            .decrypt(
                work.tx(),
                user.organization_id,
                TOTP_FIELD,
                user.id.as_uuid(),
                &sealed,
            )
            .await?;
        let secret = TotpSecret::from_bytes(secret.to_vec());
        let Some(step) = secret.check(&code, now.unix_timestamp().unsigned_abs()) else {
            return Ok(None);
        };
        let step = i64::try_from(step).map_err(Error::internal)?;
        // RFC 6238 §5.2: a code is accepted once. Sessions remember the step they were opened with.
        let replayed = work
            .tx()
            .list::<Session>(
                &ListQuery::first(1)
                    .filter("user_id", Value::Uuid(user.id.as_uuid()))
                    .compare("totp_step", Cmp::Ge, Value::Int(step)),
            )
            .await?;
        Ok(replayed.items.is_empty().then_some(step))
    })
}

async fn open_session(
    services: &Services,
    client: &Client,
    user: &User,
    account: Option<Vec<u8>>,
    totp_step: Option<i64>,
) -> Result<Issued> {
    let now = services.clock.now();
    let token = Token::generate(TokenKind::Session)?;
    let lifetime = if user.role == Role::Patient {
        PATIENT_SESSION
    } else {
        STAFF_SESSION
    };
    let session = Session {
        id: SessionId::generate(),
        organization_id: user.organization_id,
        user_id: user.id,
        role: user.role,
        token_hash: token.hash().to_vec(),
        expires_at: now + lifetime,
        last_seen_at: now,
        revoked_at: None,
        ip_address: client.ip_address.clone(),
        user_agent: client.user_agent.clone(),
        totp_step,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let actor = client.actor(Principal::member(
        user.organization_id,
        user.role,
        Subject::User(user.id),
    ));
    let mut user = user.clone();
    let session_ref = &session;
    transact!(services, &actor, TxMode::Write, |work| {
        work.tx().create(session_ref).await?;
        if let Some(account) = account {
            work.tx()
                .create(&LoginAttempt {
                    id: LoginAttemptId::generate(),
                    organization_id: Some(user.organization_id),
                    account_hash: account,
                    ip_address: client.ip_address.clone(),
                    succeeded: true,
                    occurred_at: now,
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                })
                .await?;
        }
        user.last_login_at = Some(now);
        user.updated_at = now;
        work.tx().update(&user).await?;
        work.record(
            AuditEvent::new(AuditAction::Login, "sessions")
                .entity(session_ref.id.as_uuid())
                .detail(
                    "method",
                    if totp_step.is_some() {
                        "password+totp"
                    } else if user.role == Role::Patient {
                        "whatsapp_code"
                    } else {
                        "password"
                    },
                ),
        );
        Ok(())
    })?;
    Ok(Issued {
        token,
        expires_at: session.expires_at,
        session_id: session.id,
    })
}

async fn record_failure(
    services: &Services,
    client: &Client,
    account: &[u8],
    user: Option<&User>,
    reason: &str,
) -> Result<()> {
    services.metrics.login_failures.inc();
    let now = services.clock.now();
    let org = user.map(|u| u.organization_id);
    let actor = client.actor(org.map_or_else(Principal::system, Principal::system_for));
    let account = account.to_vec();
    let user_id = user.map(|u| u.id);
    transact!(services, &actor, TxMode::Write, |work| {
        work.tx()
            .create(&LoginAttempt {
                id: LoginAttemptId::generate(),
                organization_id: org,
                account_hash: account,
                ip_address: client.ip_address.clone(),
                succeeded: false,
                occurred_at: now,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        let mut event = AuditEvent::new(AuditAction::LoginFailed, "sessions")
            .risk(RiskLevel::Medium)
            .detail("reason", reason);
        if let Some(id) = user_id {
            event = event.entity(id.as_uuid());
        }
        work.record(event);
        Ok(())
    })
}

/// The principal a bearer token stands for, or `Unauthenticated`.
pub async fn authenticate(services: &Services, presented: &str, client: &Client) -> Result<Actor> {
    if !token::is_well_formed(presented) {
        return Err(Error::Unauthenticated);
    }
    let hash = token::hash(presented).to_vec();
    match token::TokenKind::of(presented) {
        Some(TokenKind::Session) => session_actor(services, hash, client).await,
        Some(TokenKind::ApiKey) => api_key_actor(services, hash, client).await,
        None => Err(Error::Unauthenticated),
    }
}

/// Sessions recently checked against the database. A hit skips the lookup for [`SESSION_CACHE_TTL`];
/// logout in this process evicts at once, another process's revocation (or a deactivated account)
/// takes effect within that delay.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const SESSION_CACHE_MAX: usize = 50_000;

#[derive(Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<Vec<u8>, (Session, std::time::Instant)>>,
}

impl SessionCache {
    fn get(&self, hash: &[u8]) -> Option<Session> {
        let entries = self.entries.lock().ok()?;
        let (session, at) = entries.get(hash)?;
        (at.elapsed() < SESSION_CACHE_TTL).then(|| session.clone())
    }

    fn put(&self, session: Session) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= SESSION_CACHE_MAX {
                entries.retain(|_, (_, at)| at.elapsed() < SESSION_CACHE_TTL);
                if entries.len() >= SESSION_CACHE_MAX {
                    entries.clear();
                }
            }
            entries.insert(session.token_hash.clone(), (session, std::time::Instant::now()));
        }
    }

    fn evict(&self, session: SessionId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (s, _)| s.id != session);
        }
    }
}

/// The session of a token hash, valid now: from the cache, or checked against the database
/// (session row and account), then cached.
async fn valid_session(services: &Services, hash: Vec<u8>, now: OffsetDateTime) -> Result<Session> {
    if let Some(session) = services.sessions.get(&hash) {
        return Ok(session);
    }
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let session = tx
        .list::<Session>(&ListQuery::first(1).filter("token_hash", Value::Bytes(hash)))
        .await?
        .items
        .into_iter()
        .next();
    let Some(session) = session else {
        tx.rollback().await?;
        return Err(Error::Unauthenticated);
    };
    let user = tx.find::<User>(session.user_id).await?;
    tx.rollback().await?;
    let account_ok = user
        .as_ref()
        .is_some_and(|u| u.is_active && u.role == session.role);
    if !account_ok || session.revoked_at.is_some() || session.expires_at <= now {
        return Err(Error::Unauthenticated);
    }
    services.sessions.put(session.clone());
    Ok(session)
}

async fn session_actor(services: &Services, hash: Vec<u8>, client: &Client) -> Result<Actor> {
    let now = services.clock.now();
    let session = valid_session(services, hash, now).await?;
    let idle = if session.role == Role::Patient {
        PATIENT_IDLE
    } else {
        STAFF_IDLE
    };
    if session.expires_at <= now || session.last_seen_at + idle <= now {
        return Err(Error::Unauthenticated);
    }
    if session.last_seen_at + TOUCH_EVERY <= now {
        let mut tx = services
            .store
            .begin(
                Principal::system_for(session.organization_id).scope(),
                TxMode::Write,
            )
            .await?;
        // Re-read under lock: a logout elsewhere since the cache was filled must win.
        let current = tx
            .find_for_update::<Session>(session.id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if current.revoked_at.is_some() {
            tx.rollback().await?;
            services.sessions.evict(session.id);
            return Err(Error::Unauthenticated);
        }
        let touched = Session {
            last_seen_at: now,
            updated_at: now,
            ..current
        };
        let touched = tx.update(&touched).await?;
        tx.commit().await?;
        services.sessions.put(touched);
    }
    let mut actor = client.actor(Principal::member(
        session.organization_id,
        session.role,
        Subject::User(session.user_id),
    ));
    actor.session = Some(session.id);
    Ok(actor)
}

async fn api_key_actor(services: &Services, hash: Vec<u8>, client: &Client) -> Result<Actor> {
    let now = services.clock.now();
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let key = tx
        .list::<ApiKey>(&ListQuery::first(1).filter("key_hash", Value::Bytes(hash)))
        .await?
        .items
        .into_iter()
        .next();
    tx.rollback().await?;
    let Some(key) = key.filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now)) else {
        return Err(Error::Unauthenticated);
    };
    if key.last_used_at.is_none_or(|t| t + TOUCH_EVERY <= now) {
        let principal = key
            .organization_id
            .map_or_else(Principal::system, Principal::system_for);
        let mut tx = services.store.begin(principal.scope(), TxMode::Write).await?;
        tx.update(&ApiKey {
            last_used_at: Some(now),
            updated_at: now,
            ..key.clone()
        })
        .await?;
        tx.commit().await?;
    }
    let subject = Subject::ApiKey(key.id.as_uuid());
    Ok(client.actor(match key.organization_id {
        Some(org) => Principal::member(org, Role::System, subject),
        None => Principal::platform(subject),
    }))
}

/// Ends the session the actor authenticated with.
pub async fn logout(services: &Services, actor: &Actor) -> Result<()> {
    let Some(session_id) = actor.session else {
        return Err(Error::invalid(
            "authorization",
            "not_a_session",
            "API keys are revoked, not logged out",
        ));
    };
    transact!(services, actor, TxMode::Write, |work| {
        let now = work.services.clock.now();
        let session = work.tx().get::<Session>(session_id).await?;
        work.tx()
            .update(&Session {
                revoked_at: Some(now),
                updated_at: now,
                ..session
            })
            .await?;
        work.record(AuditEvent::new(AuditAction::Logout, "sessions").entity(session_id.as_uuid()));
        Ok(())
    })?;
    services.sessions.evict(session_id);
    Ok(())
}

/// A patient of the organization with this phone (any of the number's accepted spellings).
async fn patient_by_phone(
    services: &Services,
    org: OrganizationId,
    phone: &PhoneNumber,
) -> Result<Option<(Organization, User)>> {
    let mut tx = services
        .store
        .begin(Principal::system_for(org).scope(), TxMode::Read)
        .await?;
    let organization = tx.find::<Organization>(org).await?;
    let user = tx
        .list::<User>(
            &ListQuery::first(1)
                .filter("phone", Value::Text(phone.e164().to_owned()))
                .filter("role", Value::Text("patient".into()))
                .filter("is_active", Value::Bool(true)),
        )
        .await?
        .items
        .into_iter()
        .next();
    tx.rollback().await?;
    Ok(organization.filter(|o| o.is_active).zip(user))
}

/// Sends a login code to the patient's WhatsApp, if there is such a patient; answers the same either way.
pub async fn request_code(
    services: &Services,
    whatsapp: &CloudApi,
    org: OrganizationId,
    phone: &str,
) -> Result<()> {
    let phone = PhoneNumber::parse(phone).map_err(|e| super::invalid("phone", e))?;
    let Some((organization, user)) = patient_by_phone(services, org, &phone).await? else {
        return Ok(());
    };
    let (Some(phone_number_id), true) = (
        organization.whatsapp_phone_number_id.clone(),
        organization.whatsapp_access_token_encrypted.is_some(),
    ) else {
        tracing::warn!(organization = %org, "login code requested, but the organization has no WhatsApp number configured");
        return Ok(());
    };
    let now = services.clock.now();
    let code = one_time_code::generate()?;
    let challenge = OtpChallenge {
        id: OtpChallengeId::generate(),
        organization_id: org,
        user_id: user.id,
        code_hash: one_time_code::hash(&services.one_time_code_key, org.as_uuid(), phone.e164(), &code)
            .to_vec(),
        attempts: 0,
        expires_at: now + CODE_VALIDITY,
        consumed_at: None,
        whatsapp_message_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let actor = Actor::system_for(org);
    let sent_recently = transact!(services, &actor, TxMode::Write, |work| {
        let recent = work
            .tx()
            .list::<OtpChallenge>(
                &ListQuery::first(CODES_PER_WINDOW as u32)
                    .filter("user_id", Value::Uuid(user.id.as_uuid()))
                    .compare("created_at", Cmp::Ge, Value::Time(now - FAILURE_WINDOW)),
            )
            .await?;
        if recent.items.len() >= CODES_PER_WINDOW {
            return Ok(true);
        }
        work.tx().create(&challenge).await?;
        Ok(false)
    })?;
    if sent_recently {
        return Ok(());
    }
    let token = {
        let mut work = crate::work::Work::begin(services, &actor, TxMode::Read).await?;
        let ring = services.keys.get(work.tx(), org).await?;
        work.rollback().await?;
        super::organizations::whatsapp_token(&ring, &organization)?
            .ok_or_else(|| Error::internal("the organization has no WhatsApp access token"))?
    };
    let template = organization
        .settings
        .pointer("/whatsapp/otpTemplate")
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    let whatsapp = whatsapp.clone();
    let to = phone.e164().to_owned();
    // In the background: the answer must not take longer when the phone belongs to a patient.
    tokio::spawn(async move {
        let body = format!(
            "Seu código de acesso Austa Care é {code}. Ele vale por 5 minutos. Não o compartilhe com ninguém."
        );
        let sent = match template {
            Some(name) => {
                whatsapp
                    .send_code_template(&phone_number_id, &token, &to, &name, "pt_BR", &code)
                    .await
            }
            None => whatsapp.send_text(&phone_number_id, &token, &to, &body).await,
        };
        if let Err(e) = sent {
            tracing::warn!(organization = %org, error = %e, "the login code could not be sent");
        }
    });
    Ok(())
}

/// Checks a login code; a patient session on success.
pub async fn verify_code(
    services: &Services,
    client: &Client,
    org: OrganizationId,
    phone: &str,
    code: &str,
) -> Result<Issued> {
    let phone = PhoneNumber::parse(phone).map_err(|e| super::invalid("phone", e))?;
    let Some((_, user)) = patient_by_phone(services, org, &phone).await? else {
        record_code_failure(services, client, org, None).await?;
        return Err(Error::Unauthenticated);
    };
    let now = services.clock.now();
    let actor = client.actor(Principal::system_for(org));
    let key = services.one_time_code_key.clone();
    let code = code.trim().to_owned();
    let accepted = transact!(services, &actor, TxMode::Write, |work| {
        let latest = work
            .tx()
            .list::<OtpChallenge>(
                &ListQuery::first(1)
                    .newest_first()
                    .filter("user_id", Value::Uuid(user.id.as_uuid()))
                    .filter("consumed_at", Value::Null)
                    .compare("expires_at", Cmp::Gt, Value::Time(now)),
            )
            .await?
            .items
            .into_iter()
            .next();
        let Some(challenge) = latest.filter(|c| c.attempts < CODE_ATTEMPTS) else {
            return Ok(false);
        };
        let Some(mut challenge) = work.tx().find_for_update::<OtpChallenge>(challenge.id).await? else {
            return Ok(false);
        };
        let right = challenge.attempts < CODE_ATTEMPTS
            && one_time_code::matches(&key, org.as_uuid(), phone.e164(), &code, &challenge.code_hash);
        challenge.attempts += 1;
        if right {
            challenge.consumed_at = Some(now);
        }
        challenge.updated_at = now;
        work.tx().update(&challenge).await?;
        Ok(right)
    })?;
    if !accepted {
        record_code_failure(services, client, org, Some(&user)).await?;
        return Err(Error::Unauthenticated);
    }
    open_session(services, client, &user, None, None).await
}

async fn record_code_failure(
    services: &Services,
    client: &Client,
    org: OrganizationId,
    user: Option<&User>,
) -> Result<()> {
    services.metrics.login_failures.inc();
    let actor = client.actor(Principal::system_for(org));
    let user_id = user.map(|u| u.id);
    transact!(services, &actor, TxMode::Write, |work| {
        let mut event = AuditEvent::new(AuditAction::LoginFailed, "otp_challenges")
            .risk(RiskLevel::Medium)
            .detail("reason", "bad_code");
        if let Some(id) = user_id {
            event = event.entity(id.as_uuid());
        }
        work.record(event);
        Ok(())
    })
}

crate::redacted_debug!(Credentials);
