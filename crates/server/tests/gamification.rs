//! The gamification engine on both backends: missions defined over HTTP (a prerequisite cycle
//! refused and named, versions), server-side events moving progress, points once however often an
//! event arrives or however many workers race, daily caps, streaks in the patient's own zone,
//! badges once and private, the leaderboard opt-in, and all-or-nothing transactions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use austa_crypto::MasterKey;
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::service::gamification::{self, Event, kinds};
use austa_store::model::{PointTransaction, User};
use austa_store::{ListQuery, Store, TxMode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;

struct World {
    base: String,
    http: reqwest::Client,
    services: Arc<Services>,
    token: String,
    org: austa_domain::ids::OrganizationId,
}

async fn world(store: Arc<dyn Store>) -> World {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let services = bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, Clock::system())
        .await
        .unwrap();
    let base = common::serve(&services).await;
    let (org, token) = common::organization_with_key(&services, "Clínica Jogo", "painel").await;
    World {
        base,
        http: reqwest::Client::new(),
        services,
        token,
        org,
    }
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-game-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::world(store).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(
                        austa_store_postgres::PostgresStore::connect(&db.url)
                            .await
                            .unwrap(),
                    );
                    super::$name(super::world(store).await).await;
                }
            }
        }
    };
}

impl World {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        common::call(&self.http, &self.base, &self.token, method, path, body).await
    }

    async fn patient(&self, phone: &str, timezone: &str) -> User {
        let (s, p) = self
            .call(
                reqwest::Method::POST,
                "/users",
                Some(json!({"name": "Ana Souza", "phone": phone, "timezone": timezone})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let actor = Actor::system_for(self.org);
        let id = p["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap();
        austa_server::transact!(&self.services, &actor, TxMode::Read, |work| Ok(work
            .tx()
            .get::<User>(austa_domain::EntityId::from_uuid(id))
            .await?))
        .unwrap()
    }

    async fn event(
        &self,
        user: &User,
        kind: &'static str,
        key: &str,
        at: time::OffsetDateTime,
        detail: Value,
    ) -> gamification::Outcome {
        let actor = Actor::system_for(self.org);
        let event = Event {
            kind,
            key: key.into(),
            at,
            detail,
        };
        austa_server::transact!(&self.services, &actor, TxMode::Write, |work| {
            gamification::record(work, user, event.clone()).await
        })
        .unwrap()
    }

    async fn points(&self, user: &User) -> Value {
        self.call(reqwest::Method::GET, &format!("/users/{}/points", user.id), None)
            .await
            .1
    }

    async fn mission(&self, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, "/missions", Some(body)).await
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

on_both_backends!(missions_progress_points_and_badges);
async fn missions_progress_points_and_badges(w: World) {
    let (s, lgpd) = w
        .mission(json!({"code": "aceitar-lgpd", "title": "Aceite o termo", "description": "Aceite a LGPD", "category": "ONBOARDING",
                        "difficulty": "EASY", "points": 50, "repeatability": "ONCE", "completionRule": {"event": "consent_given"}, "publish": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{lgpd}");
    let (s, _) = w
        .mission(json!({"code": "pressao-3x", "title": "Meça a pressão 3 vezes", "description": "Três medidas em sete dias",
                        "category": "HEALTH", "difficulty": "MEDIUM", "prerequisites": ["aceitar-lgpd"], "repeatability": "WEEKLY",
                        "badge": "coracao-em-dia",
                        "completionRule": {"event": "vital_sign_recorded", "kind": "blood_pressure", "count": 3, "withinDays": 7}, "publish": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // A cycle is refused, named.
    let (s, problem) = w
        .call(reqwest::Method::PUT, "/missions/aceitar-lgpd", Some(json!({"code": "aceitar-lgpd", "title": "Aceite o termo", "description": "Aceite a LGPD",
            "category": "ONBOARDING", "difficulty": "EASY", "points": 50, "repeatability": "ONCE", "prerequisites": ["pressao-3x"],
            "completionRule": {"event": "consent_given"}, "publish": true})))
        .await;
    assert_eq!(
        (s, problem["field"].as_str(), problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("prerequisites"),
            Some("cycle")
        )
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("aceitar-lgpd → pressao-3x → aceitar-lgpd"),
        "{problem}"
    );
    // Bad rules: a clear 422.
    let (s, problem) = w
        .mission(json!({"code": "x", "title": "x", "description": "x", "category": "HEALTH", "difficulty": "EASY", "repeatability": "ONCE",
                        "completionRule": {"event": "claimed_by_client"}}))
        .await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("completionRule"))
    );

    // The organization's own level table; bad tables are refused.
    let org_path = format!("/organizations/{}", w.org);
    let (s, _) = w
        .call(
            reqwest::Method::PATCH,
            &org_path,
            Some(json!({"settings": {"gamification": {"levels": [0, 50, 100]}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, problem) = w
        .call(
            reqwest::Method::PATCH,
            &org_path,
            Some(json!({"settings": {"gamification": {"levels": [0, 50, 50]}}})),
        )
        .await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("settings.gamification.levels")
        )
    );

    let ana = w.patient("+5511987654321", "America/Sao_Paulo").await;
    let progress = |v: &Value, code: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["mission"]["code"] == code)
            .unwrap()
            .clone()
    };
    let (_, p) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/onboarding-progress", ana.id),
            None,
        )
        .await;
    assert_eq!(progress(&p, "aceitar-lgpd")["status"], "AVAILABLE");
    assert_eq!(progress(&p, "pressao-3x")["status"], "LOCKED");

    // Consent given, delivered five times: counted once.
    for _ in 0..5 {
        w.event(&ana, kinds::CONSENT_GIVEN, "consent:m1", now(), json!({}))
            .await;
    }
    let points = w.points(&ana).await;
    assert_eq!(
        (points["balance"].as_i64(), points["experience"].as_i64()),
        (Some(60), Some(60)),
        "{points}"
    );

    // Three blood pressures (a glucose does not count): completed, badge once and private.
    w.event(
        &ana,
        kinds::VITAL_SIGN_RECORDED,
        "hd:1",
        now(),
        json!({"kind": "blood_pressure"}),
    )
    .await;
    w.event(
        &ana,
        kinds::VITAL_SIGN_RECORDED,
        "hd:2",
        now(),
        json!({"kind": "glucose"}),
    )
    .await;
    w.event(
        &ana,
        kinds::VITAL_SIGN_RECORDED,
        "hd:3",
        now(),
        json!({"kind": "blood_pressure"}),
    )
    .await;
    let (_, p) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/onboarding-progress", ana.id),
            None,
        )
        .await;
    let bp = progress(&p, "pressao-3x");
    assert_eq!(
        (
            bp["status"].as_str(),
            bp["stepsDone"].as_i64(),
            bp["stepsRequired"].as_i64()
        ),
        (Some("IN_PROGRESS"), Some(2), Some(3))
    );
    let done = w
        .event(
            &ana,
            kinds::VITAL_SIGN_RECORDED,
            "hd:4",
            now(),
            json!({"kind": "blood_pressure"}),
        )
        .await;
    assert_eq!(done.completed, vec![("Meça a pressão 3 vezes".to_owned(), 25)]);
    assert_eq!(done.badges, vec!["coracao-em-dia".to_owned()]);
    let (_, badges) = w
        .call(reqwest::Method::GET, &format!("/users/{}/badges", ana.id), None)
        .await;
    assert_eq!(badges.as_array().unwrap().len(), 1);
    assert_eq!(badges[0]["isPublic"], false, "badges are private by default");
    let (_, p) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/onboarding-progress", ana.id),
            None,
        )
        .await;
    assert_eq!(progress(&p, "pressao-3x")["status"], "COMPLETED");

    // Editing a published mission is a new version; what was earned stays.
    let (s, v2) = w
        .call(reqwest::Method::PUT, "/missions/aceitar-lgpd", Some(json!({"code": "aceitar-lgpd", "title": "Aceite o termo", "description": "Aceite a LGPD",
            "category": "ONBOARDING", "difficulty": "EASY", "points": 500, "repeatability": "ONCE", "completionRule": {"event": "consent_given"}, "publish": true})))
        .await;
    assert_eq!((s, v2["version"].as_i64()), (StatusCode::OK, Some(2)));
    w.event(&ana, kinds::CONSENT_GIVEN, "consent:m2", now(), json!({}))
        .await;
    let (_, ledger) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/point-transactions?limit=100", ana.id),
            None,
        )
        .await;
    let mission_awards: Vec<i64> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "MISSION")
        .map(|t| t["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(
        mission_awards.iter().sum::<i64>(),
        75,
        "50 (version 1) + 25; the new version does not pay again: {mission_awards:?}"
    );

    // Spending never goes below zero; penalties are explicit negative transactions.
    let balance = w.points(&ana).await["balance"].as_i64().unwrap();
    let path = format!("/users/{}/point-transactions", ana.id);
    let (s, _) = w.call(reqwest::Method::POST, &path, Some(json!({"amount": -(balance + 1), "source": "PURCHASE", "reason": "brinde", "idempotencyKey": "r1"}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, spent) = w
        .call(
            reqwest::Method::POST,
            &path,
            Some(json!({"amount": -10, "source": "PURCHASE", "reason": "brinde", "idempotencyKey": "r2"})),
        )
        .await;
    assert_eq!(
        (s, spent["balanceAfter"].as_i64()),
        (StatusCode::CREATED, Some(balance - 10))
    );
    let (s, again) = w
        .call(
            reqwest::Method::POST,
            &path,
            Some(json!({"amount": -10, "source": "PURCHASE", "reason": "brinde", "idempotencyKey": "r2"})),
        )
        .await;
    assert_eq!(
        (s, again["id"].clone()),
        (StatusCode::OK, spent["id"].clone()),
        "a retried request applies once"
    );
    let (s, _) = w
        .call(
            reqwest::Method::POST,
            &path,
            Some(
                json!({"amount": 100, "source": "ENGAGEMENT", "reason": "eu mereço", "idempotencyKey": "r3"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no client claims");
}

on_both_backends!(races_caps_streaks_and_the_leaderboard);
async fn races_caps_streaks_and_the_leaderboard(w: World) {
    let (s, _) = w
        .mission(json!({"code": "aceitar-lgpd", "title": "Aceite o termo", "description": "Aceite a LGPD", "category": "ONBOARDING",
                        "difficulty": "EASY", "points": 50, "repeatability": "ONCE", "completionRule": {"event": "consent_given"}, "publish": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Two workers completing the same mission at the same time (different events): awarded once.
    let bia = Arc::new(w.patient("+5521998887777", "America/Manaus").await);
    let w = Arc::new(w);
    let racers: Vec<_> = (0..6)
        .map(|i| {
            let (w, bia) = (w.clone(), bia.clone());
            tokio::spawn(async move {
                w.event(
                    &bia,
                    kinds::CONSENT_GIVEN,
                    &format!("consent:race{i}"),
                    now(),
                    json!({}),
                )
                .await
            })
        })
        .collect();
    let mut completions = 0;
    for r in racers {
        completions += r.await.unwrap().completed.len();
    }
    assert_eq!(completions, 1);
    let actor = Actor::system_for(w.org);
    let txs: Vec<PointTransaction> =
        austa_server::transact!(&w.services, &actor, TxMode::Read, |work| Ok(work
            .tx()
            .list::<PointTransaction>(&ListQuery::first(500))
            .await?
            .items))
        .unwrap();
    assert_eq!(
        txs.iter()
            .filter(|t| t.source == austa_domain::enums::PointSource::Mission)
            .count(),
        1
    );

    // A daily cap on engagement: forty messages in a day earn 30 points at most.
    let caio = w.patient("+5531991112222", "America/Sao_Paulo").await;
    for i in 0..40 {
        w.event(
            &caio,
            kinds::MESSAGE_RECEIVED,
            &format!("message:{i}"),
            now(),
            json!({}),
        )
        .await;
    }
    assert_eq!(w.points(&caio).await["balance"].as_i64(), Some(30));

    // Streaks in the patient's zone: 23:30 and 00:10 in Manaus are two days.
    let dani = w.patient("+5541993334444", "America/Manaus").await;
    let first = w
        .event(
            &dani,
            kinds::MESSAGE_RECEIVED,
            "m:a",
            datetime!(2026-11-10 03:30 UTC),
            json!({}),
        )
        .await;
    let second = w
        .event(
            &dani,
            kinds::MESSAGE_RECEIVED,
            "m:b",
            datetime!(2026-11-10 04:10 UTC),
            json!({}),
        )
        .await;
    assert_eq!((first.daily_streak, second.daily_streak), (1, 2));
    // A missed day is bridged by a freeze (two a month), and the patient is told.
    let bridged = w
        .event(
            &dani,
            kinds::MESSAGE_RECEIVED,
            "m:c",
            datetime!(2026-11-12 12:00 UTC),
            json!({}),
        )
        .await;
    assert_eq!((bridged.daily_streak, bridged.freezes_used), (3, 1));
    let points = w.points(&dani).await;
    assert_eq!(
        (
            points["longestStreak"].as_i64(),
            points["streakFreezesAvailable"].as_i64()
        ),
        (Some(3), Some(1))
    );

    // The leaderboard: opted-in patients only, by the name they chose.
    let (s, _) = w
        .call(
            reqwest::Method::PATCH,
            &format!("/users/{}/gamification-preferences", caio.id),
            Some(json!({"leaderboardOptIn": true, "leaderboardName": "Caio"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, board) = w.call(reqwest::Method::GET, "/leaderboard", None).await;
    assert_eq!(board.as_array().unwrap().len(), 1);
    assert_eq!(
        (board[0]["name"].as_str(), board[0]["rank"].as_i64()),
        (Some("Caio"), Some(1))
    );

    // All or nothing: an award in a transaction that fails leaves no trace.
    let eva = w.patient("+5551995556666", "America/Sao_Paulo").await;
    let before = w.points(&eva).await;
    let eva_ref = &eva;
    let result: Result<(), austa_server::error::Error> =
        austa_server::transact!(&w.services, &actor, TxMode::Write, |work| {
            gamification::record(
                work,
                eva_ref,
                Event {
                    kind: kinds::CONSENT_GIVEN,
                    key: "consent:crash".into(),
                    at: now(),
                    detail: json!({}),
                },
            )
            .await?;
            Err(austa_server::error::Error::internal("the process died here"))
        });
    assert!(result.is_err());
    assert_eq!(
        w.points(&eva).await,
        before,
        "neither the completion nor the points"
    );
    let retried = w
        .event(&eva, kinds::CONSENT_GIVEN, "consent:crash", now(), json!({}))
        .await;
    assert_eq!(retried.completed.len(), 1, "the retry does it all, once");
}
