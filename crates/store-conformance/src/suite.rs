//! The scenarios every backend must pass. Each takes a freshly migrated store.

use austa_domain::enums::{JobStatus, KeyState, Role};
use austa_domain::ids::*;
use austa_domain::{EntityId, Principal};
use austa_store::model::*;
use austa_store::table::Mutability;
use austa_store::{Cmp, Entity, ListQuery, Store, StoreError, TxMode, Value};
use time::Duration;

use crate::fixtures::{self, World, now};

/// Create, read, update, soft-delete and list one entity; returns nothing, panics on any deviation.
async fn crud_cycle<E: Entity>(store: &dyn Store, world: &World, entity: E, mutate: impl FnOnce(&mut E)) {
    let table = E::TABLE.name;
    let scope = world.scope();
    let mut tx = store.begin(scope, TxMode::Write).await.unwrap();
    let created = tx
        .create(&entity)
        .await
        .unwrap_or_else(|e| panic!("{table}: create: {e}"));
    assert!(created == entity, "{table}: create returns what was written");
    let read = tx.get::<E>(entity.id()).await.unwrap();
    assert!(read == entity, "{table}: read equals what was written");
    tx.commit().await.unwrap();

    let listed = list_all::<E>(store, world).await;
    assert!(
        listed.iter().any(|e| e.id() == entity.id()),
        "{table}: list shows the new row"
    );

    let mut changed = entity.clone();
    mutate(&mut changed);
    let mut tx = store.begin(scope, TxMode::Write).await.unwrap();
    if E::TABLE.mutability == Mutability::AppendOnly {
        assert!(
            matches!(tx.update(&changed).await, Err(StoreError::AppendOnly { .. })),
            "{table}: update refused"
        );
        assert!(
            matches!(
                tx.soft_delete::<E>(entity.id(), now()).await,
                Err(StoreError::AppendOnly { .. })
            ),
            "{table}: delete refused"
        );
        tx.rollback().await.unwrap();
        return;
    }
    assert!(changed != entity, "{table}: the mutation changes something");
    let updated = tx
        .update(&changed)
        .await
        .unwrap_or_else(|e| panic!("{table}: update: {e}"));
    assert!(updated == changed, "{table}: update returns the new row");
    assert!(
        tx.get::<E>(entity.id()).await.unwrap() == changed,
        "{table}: read after update"
    );
    tx.soft_delete::<E>(entity.id(), now())
        .await
        .unwrap_or_else(|e| panic!("{table}: delete: {e}"));
    assert!(
        tx.find::<E>(entity.id()).await.unwrap().is_none(),
        "{table}: deleted rows are invisible"
    );
    assert!(
        matches!(tx.update(&changed).await, Err(StoreError::NotFound)),
        "{table}: deleted rows cannot be updated"
    );
    assert!(
        matches!(
            tx.soft_delete::<E>(entity.id(), now()).await,
            Err(StoreError::NotFound)
        ),
        "{table}: a row is deleted once"
    );
    tx.commit().await.unwrap();
    let listed = list_all::<E>(store, world).await;
    assert!(
        !listed.iter().any(|e| e.id() == entity.id()),
        "{table}: lists hide deleted rows"
    );
}

async fn list_all<E: Entity>(store: &dyn Store, world: &World) -> Vec<E> {
    let mut tx = store.begin(world.scope(), TxMode::Read).await.unwrap();
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = tx.list::<E>(&ListQuery::first(2).after(cursor)).await.unwrap();
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    all
}

fn bump(t: &mut time::OffsetDateTime) {
    *t += Duration::seconds(1);
}

/// Every table: create, read, update, soft delete, list (append-only tables refuse changes).
pub async fn crud_on_every_table(store: &dyn Store) {
    let w = World::create(store).await;
    let org = w.organization.id;
    let fresh = World::new();

    // Organizations are the tenant itself: created by the platform, then handled inside their scope.
    let mut changed_org = w.organization.clone();
    changed_org.name = "Clínica Renomeada".into();
    bump(&mut changed_org.updated_at);
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    assert!(
        tx.update(&changed_org).await.unwrap() == changed_org,
        "organizations: update"
    );
    assert!(
        tx.get::<Organization>(org).await.unwrap() == changed_org,
        "organizations: read"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        list_all::<Organization>(store, &w).await.len(),
        1,
        "an organization sees only itself"
    );

    let rebase = |mut u: User, n: u32| {
        u.id = UserId::generate();
        u.organization_id = org;
        u.phone = Some(format!("+55219{:08}", n));
        u.cpf_bidx = Some(format!("crud-{n}").into_bytes());
        u
    };
    crud_cycle(store, &w, rebase(fresh.patient.clone(), 77), |u| {
        u.name = "Nome Alterado".into();
        u.is_active = false;
        u.timezone = "America/Sao_Paulo".into();
        bump(&mut u.updated_at);
    })
    .await;

    let mut staff = fixtures::staff(org, Role::Admin, "admin-crud@example.org");
    staff.id = UserId::generate();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.create(&staff).await.unwrap();
    tx.commit().await.unwrap();
    let provider = Provider {
        id: ProviderId::generate(),
        user_id: staff.id,
        council_number: "99999".into(),
        ..w.provider.clone()
    };
    crud_cycle(store, &w, provider, |p| {
        p.specialties = serde_json::json!(["clínica médica", "geriatria"]);
        bump(&mut p.updated_at);
    })
    .await;

    let conversation = Conversation {
        id: ConversationId::generate(),
        ..w.conversation.clone()
    };
    crud_cycle(store, &w, conversation, |c| {
        c.status = austa_domain::enums::ConversationStatus::Escalated;
        c.priority = austa_domain::enums::Priority::Urgent;
        c.message_count = 9;
        bump(&mut c.updated_at);
    })
    .await;

    let message = Message {
        id: MessageId::generate(),
        whatsapp_message_id: Some(format!("wamid.crud.{}", uuid::Uuid::now_v7().simple())),
        ..w.message.clone()
    };
    crud_cycle(store, &w, message, |m| {
        m.status = austa_domain::enums::MessageStatus::Read;
        m.read_at = Some(now());
        m.error_code = Some(131_047);
        bump(&mut m.updated_at);
    })
    .await;

    let authorization = Authorization {
        id: AuthorizationId::generate(),
        protocol_number: format!("crud-{}", uuid::Uuid::now_v7().simple()),
        ..w.authorization.clone()
    };
    // A legal move (the database refuses illegal ones, see `authorization_rules_are_enforced`).
    crud_cycle(store, &w, authorization.clone(), |a| {
        a.status = austa_domain::enums::AuthorizationStatus::UnderReview;
        bump(&mut a.updated_at);
    })
    .await;
    authorization_rules_are_enforced(store, &w).await;

    let document = Document {
        id: DocumentId::generate(),
        storage_key: format!("crud/{}", uuid::Uuid::now_v7()),
        ..w.document.clone()
    };
    crud_cycle(store, &w, document, |d| {
        d.ocr_status = austa_domain::enums::OcrStatus::Completed;
        d.ocr_confidence = Some(0.87);
        d.ocr_text_encrypted = Some(vec![1, 2, 3, 4]);
        bump(&mut d.updated_at);
    })
    .await;

    crud_cycle(
        store,
        &w,
        HealthData {
            id: HealthDataId::generate(),
            ..w.health_data.clone()
        },
        |h| {
            h.sensitivity_level = austa_domain::enums::SensitivityLevel::Confidential;
            h.reliability_score = 0.95;
            h.verified_by = None;
            bump(&mut h.updated_at);
        },
    )
    .await;

    let mission = Mission {
        id: MissionId::generate(),
        code: "crud-mission".into(),
        ..w.mission.clone()
    };
    crud_cycle(store, &w, mission, |m| {
        m.points = 120;
        m.prerequisites = serde_json::json!([w.mission.id]);
        bump(&mut m.updated_at);
    })
    .await;

    let mut second_patient = rebase(fresh.patient.clone(), 78);
    second_patient.cpf_bidx = None;
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.create(&second_patient).await.unwrap();
    tx.commit().await.unwrap();
    let points = HealthPoints {
        id: HealthPointsId::generate(),
        user_id: second_patient.id,
        ..w.health_points.clone()
    };
    crud_cycle(store, &w, points, |p| {
        p.balance = 10;
        p.current_streak = 0;
        bump(&mut p.updated_at);
    })
    .await;

    let progress = OnboardingProgress {
        id: OnboardingProgressId::generate(),
        period_key: "2026-W48".into(),
        ..w.progress.clone()
    };
    crud_cycle(store, &w, progress, |p| {
        p.status = austa_domain::enums::ProgressStatus::InProgress;
        p.steps_done = 0;
        bump(&mut p.updated_at);
    })
    .await;

    let tx_row = PointTransaction {
        id: PointTransactionId::generate(),
        idempotency_key: "crud".into(),
        ..w.point_transaction.clone()
    };
    crud_cycle(store, &w, tx_row, |p| p.amount = -5).await;

    let integration = TasyIntegration {
        id: TasyIntegrationId::generate(),
        name: "Tasy homologação".into(),
        ..w.tasy_integration.clone()
    };
    crud_cycle(store, &w, integration, |i| {
        i.is_active = false;
        i.sync_interval_seconds = 3600;
        bump(&mut i.updated_at);
    })
    .await;

    crud_cycle(
        store,
        &w,
        TasySyncLog {
            id: TasySyncLogId::generate(),
            ..w.tasy_sync_log.clone()
        },
        |l| {
            l.status = austa_domain::enums::SyncStatus::Synced;
            l.finished_at = Some(now());
            l.records_processed = 12;
            bump(&mut l.updated_at);
        },
    )
    .await;

    crud_cycle(
        store,
        &w,
        AuditLog {
            id: AuditLogId::generate(),
            chain_seq: Some(2),
            ..w.audit_log.clone()
        },
        |a| a.requires_review = true,
    )
    .await;

    security_tables(store, &w).await;

    // Soft-deleting the organization hides it even from itself.
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.soft_delete::<Organization>(org, now()).await.unwrap();
    assert!(tx.find::<Organization>(org).await.unwrap().is_none());
    tx.commit().await.unwrap();
}

/// New values for an append-only row's id and unique columns, so it can be inserted again.
fn freshen_unique_columns(table: &austa_store::TableDef, row: &mut [Value]) {
    let fresh = uuid::Uuid::now_v7();
    row[0] = Value::Uuid(fresh);
    if let Some((k, _)) = table.column("idempotency_key") {
        row[k] = Value::Text(format!("fresh-{fresh}"));
    }
    if let Some((k, _)) = table.column("chain_seq") {
        row[k] = Value::Int((fresh.as_u128() as i64).rem_euclid(i64::MAX));
    }
}

/// The security core's tables, each through the same cycle.
async fn security_tables(store: &dyn Store, w: &World) {
    let fresh = fixtures::Security::new(w.organization.id, w.patient.id, w.staff.id);
    let key = EncryptionKey {
        version: 2,
        state: KeyState::Active,
        ..fresh.encryption_key
    };
    crud_cycle(store, w, key, |k| {
        k.state = KeyState::Retired;
        k.wrapped_key = None;
        k.retired_at = Some(now());
        bump(&mut k.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.session, |s| {
        s.revoked_at = Some(now());
        s.last_seen_at = now();
        bump(&mut s.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.api_key, |k| {
        k.revoked_at = Some(now());
        bump(&mut k.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.otp_challenge, |c| {
        c.attempts = 5;
        bump(&mut c.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.login_attempt, |a| {
        a.succeeded = true;
        bump(&mut a.updated_at);
    })
    .await;
    let mut other = fixtures::staff(w.organization.id, Role::Provider, "care@example.org");
    other.id = UserId::generate();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.create(&other).await.unwrap();
    tx.commit().await.unwrap();
    let assignment = CareAssignment {
        provider_user_id: other.id,
        ..fresh.care_assignment
    };
    crud_cycle(store, w, assignment, |a| bump(&mut a.updated_at)).await;
    crud_cycle(store, w, fresh.break_glass_grant, |g| {
        g.revoked_at = Some(now());
        bump(&mut g.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.idempotency_key, |k| {
        k.status_code = Some(201);
        k.response_encrypted = Some(vec![1; 40]);
        bump(&mut k.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.job, |j| {
        j.status = JobStatus::Done;
        j.attempts = 1;
        j.finished_at = Some(now());
        bump(&mut j.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.webhook_delivery, |d| {
        d.processed_at = Some(now());
        bump(&mut d.updated_at);
    })
    .await;
    crud_cycle(store, w, fresh.consent, |c| c.granted = true).await;
    let head = AuditChainHead {
        chain_id: format!("{}/1", w.organization.id),
        ..fresh.audit_chain_head
    };
    crud_cycle(store, w, head, |h| {
        h.seq = 2;
        h.head_mac = vec![9; 32];
        bump(&mut h.updated_at);
    })
    .await;
    let checkpoint = AuditCheckpoint {
        seq: 2,
        ..fresh.audit_checkpoint
    };
    crud_cycle(store, w, checkpoint, |c| c.seq = 3).await;
}

/// Comparisons, any-of, newest-first listing, and a locking read.
pub async fn list_filters_and_locks(store: &dyn Store) {
    let w = World::create(store).await;
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let base = now();
    let mut attempts = Vec::new();
    for n in 0..6i64 {
        let attempt = LoginAttempt {
            id: LoginAttemptId::generate(),
            account_hash: vec![n as u8 % 2; 32],
            occurred_at: base + time::Duration::minutes(n),
            ..w.security.login_attempt.clone()
        };
        tx.create(&attempt).await.unwrap();
        attempts.push(attempt);
    }
    let since = ListQuery::first(50)
        .filter("account_hash", Value::Bytes(vec![1; 32]))
        .compare(
            "occurred_at",
            Cmp::Ge,
            Value::Time(base + time::Duration::minutes(2)),
        );
    let page = tx.list::<LoginAttempt>(&since).await.unwrap();
    let ids: Vec<_> = page.items.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        vec![attempts[3].id, attempts[5].id],
        "equality and comparison combine"
    );

    let newest = tx
        .list::<LoginAttempt>(&ListQuery::first(2).newest_first().any_of(
            "id",
            attempts.iter().map(|a| Value::Uuid(a.id.as_uuid())).collect(),
        ))
        .await
        .unwrap();
    assert_eq!(
        newest.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![attempts[5].id, attempts[4].id],
        "newest first"
    );
    let next = tx
        .list::<LoginAttempt>(
            &ListQuery::first(2)
                .newest_first()
                .any_of(
                    "id",
                    attempts.iter().map(|a| Value::Uuid(a.id.as_uuid())).collect(),
                )
                .after(newest.next),
        )
        .await
        .unwrap();
    assert_eq!(
        next.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![attempts[3].id, attempts[2].id],
        "the cursor continues downwards"
    );
    let none = tx
        .list::<LoginAttempt>(&ListQuery::first(10).any_of("id", vec![]))
        .await
        .unwrap();
    assert!(none.items.is_empty(), "an empty any-of matches nothing");
    assert!(matches!(
        tx.list::<LoginAttempt>(&ListQuery::first(1).compare("occurred_at", Cmp::Lt, Value::Null))
            .await,
        Err(StoreError::Decode(_))
    ));

    let head = tx
        .find_for_update::<AuditChainHead>(w.security.audit_chain_head.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        head == w.security.audit_chain_head,
        "a locking read returns the row"
    );
    tx.commit().await.unwrap();
}

/// Several rows in one statement: all or nothing, in the caller's organization only.
pub async fn batch_insert(store: &dyn Store) {
    let w = World::create(store).await;
    let other = World::create(store).await;
    let attempts: Vec<LoginAttempt> = (0..3)
        .map(|n| LoginAttempt {
            id: LoginAttemptId::generate(),
            account_hash: vec![n; 32],
            ..w.security.login_attempt.clone()
        })
        .collect();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let created = tx.create_many(&attempts).await.unwrap();
    assert!(
        created == attempts,
        "a batch insert returns what was written, in order"
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    for a in &attempts {
        assert!(tx.find::<LoginAttempt>(a.id).await.unwrap().is_some());
    }
    tx.rollback().await.unwrap();

    // A row of another organization fails the whole batch before it reaches the database.
    let mut foreign = attempts[0].clone();
    foreign.id = LoginAttemptId::generate();
    foreign.organization_id = Some(other.organization.id);
    let fresh = LoginAttempt {
        id: LoginAttemptId::generate(),
        ..attempts[1].clone()
    };
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    assert!(matches!(
        tx.create_many(&[fresh.clone(), foreign]).await,
        Err(StoreError::TenantMismatch)
    ));
    tx.rollback().await.unwrap();
    // A duplicate inside a batch: a typed error, and none of the batch is kept.
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let duplicate = tx.create_many(&[fresh.clone(), attempts[2].clone()]).await;
    assert!(
        matches!(duplicate, Err(StoreError::UniqueViolation { .. })),
        "{duplicate:?}"
    );
    tx.rollback().await.unwrap();
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    assert!(tx.find::<LoginAttempt>(fresh.id).await.unwrap().is_none());
    assert!(matches!(
        tx.create_many::<LoginAttempt>(&[]).await,
        Ok(ref v) if v.is_empty()
    ));
    tx.rollback().await.unwrap();

    // Appending (no read-back): what is read afterwards is exactly what was given; a duplicate or a
    // foreign row fails like a batch insert.
    let appended: Vec<LoginAttempt> = (0..3)
        .map(|_| LoginAttempt {
            id: LoginAttemptId::generate(),
            ..attempts[0].clone()
        })
        .collect();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.append_many(&appended).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    for a in &appended {
        assert!(tx.find::<LoginAttempt>(a.id).await.unwrap().as_ref() == Some(a));
    }
    tx.rollback().await.unwrap();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    assert!(matches!(
        tx.append_many(&[appended[0].clone()]).await,
        Err(StoreError::UniqueViolation { .. })
    ));
    tx.rollback().await.unwrap();
    let mut foreign = appended[0].clone();
    foreign.id = LoginAttemptId::generate();
    foreign.organization_id = Some(other.organization.id);
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    assert!(matches!(
        tx.append_many(&[foreign]).await,
        Err(StoreError::TenantMismatch)
    ));
    tx.rollback().await.unwrap();
}

/// Cursor pagination walks every row once, in creation order, with filters applied.
pub async fn cursor_pagination(store: &dyn Store) {
    let w = World::create(store).await;
    let mut ids = vec![w.patient.id];
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    for n in 100..107 {
        let p = fixtures::patient(w.organization.id, n);
        ids.push(tx.create(&p).await.unwrap().id);
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let q = ListQuery::first(3)
            .filter("role", Value::Text("patient".into()))
            .after(cursor);
        let page = tx.list::<User>(&q).await.unwrap();
        assert!(page.items.len() <= 3);
        pages += 1;
        seen.extend(page.items.iter().map(|u| u.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every patient once, in creation order");
    assert_eq!(pages, 3);
    let staff = tx
        .list::<User>(&ListQuery::first(50).filter("role", Value::Text("provider".into())))
        .await
        .unwrap();
    assert_eq!(
        staff.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![w.staff.id]
    );
    let none = tx
        .list::<User>(
            &ListQuery::first(50)
                .filter("email", Value::Null)
                .filter("role", Value::Text("provider".into())),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.next.is_none());
    let unknown = tx
        .list::<User>(&ListQuery::first(5).filter("nope", Value::Int(1)))
        .await;
    assert!(matches!(unknown, Err(StoreError::UnknownColumn { .. })));
}

/// One organization's scope never reaches another's rows, and writes into another are refused.
pub async fn tenant_isolation(store: &dyn Store) {
    let a = World::create(store).await;
    let b = World::create(store).await;
    let mut tx = store.begin(a.scope(), TxMode::Write).await.unwrap();
    assert!(
        tx.find::<User>(b.patient.id).await.unwrap().is_none(),
        "no read across organizations"
    );
    assert!(tx.find::<HealthData>(b.health_data.id).await.unwrap().is_none());
    assert!(
        tx.find::<Organization>(b.organization.id)
            .await
            .unwrap()
            .is_none()
    );
    let users = tx.list::<User>(&ListQuery::first(100)).await.unwrap();
    assert!(users.items.iter().all(|u| u.organization_id == a.organization.id));
    assert_eq!(users.items.len(), 2);
    assert!(
        matches!(tx.update(&b.patient).await, Err(StoreError::TenantMismatch)),
        "no update across"
    );
    assert!(
        matches!(
            tx.soft_delete::<User>(b.patient.id, now()).await,
            Err(StoreError::NotFound)
        ),
        "no delete across"
    );
    let intruder = fixtures::patient(b.organization.id, 500);
    assert!(
        matches!(tx.create(&intruder).await, Err(StoreError::TenantMismatch)),
        "no insert across"
    );
    tx.rollback().await.unwrap();

    // The platform sees both.
    let mut tx = store
        .begin(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    assert!(tx.find::<User>(a.patient.id).await.unwrap().is_some());
    assert!(tx.find::<User>(b.patient.id).await.unwrap().is_some());
    let orgs = tx.list::<Organization>(&ListQuery::first(500)).await.unwrap();
    assert!(
        orgs.items.iter().any(|o| o.id == a.organization.id)
            && orgs.items.iter().any(|o| o.id == b.organization.id)
    );
    tx.rollback().await.unwrap();

    // A worker acting for B (system role inside one organization) is confined to B.
    let mut tx = store
        .begin(Principal::system_for(b.organization.id).scope(), TxMode::Read)
        .await
        .unwrap();
    assert!(tx.find::<User>(a.patient.id).await.unwrap().is_none());
    tx.rollback().await.unwrap();
}

/// Unique constraints come back as typed errors with the same names on every backend.
pub async fn uniqueness_is_typed(store: &dyn Store) {
    let w = World::create(store).await;
    let org = w.organization.id;
    let scope = w.scope();

    let mut same_phone = fixtures::patient(org, 1);
    same_phone.cpf_bidx = Some(b"other".to_vec());
    expect_unique(
        try_create(store, scope, &same_phone).await,
        "users_organization_id_phone_key",
    );

    let mut same_cpf = fixtures::patient(org, 2);
    same_cpf.cpf_bidx = w.patient.cpf_bidx.clone();
    expect_unique(
        try_create(store, scope, &same_cpf).await,
        "users_organization_id_cpf_bidx_key",
    );

    let same_email = User {
        id: UserId::generate(),
        ..w.staff.clone()
    };
    expect_unique(
        try_create(store, scope, &same_email).await,
        "users_organization_id_email_key",
    );

    let same_id = User {
        phone: None,
        cpf_bidx: None,
        ..fixtures::patient(org, 3)
    };
    let same_id = User {
        id: w.patient.id,
        ..same_id
    };
    expect_unique(try_create(store, scope, &same_id).await, "users_pkey");

    let dup_message = Message {
        id: MessageId::generate(),
        ..w.message.clone()
    };
    expect_unique(try_create(store, scope, &dup_message).await, "messages_wamid_key");

    let dup_points = PointTransaction {
        id: PointTransactionId::generate(),
        ..w.point_transaction.clone()
    };
    expect_unique(
        try_create(store, scope, &dup_points).await,
        "point_transactions_idempotency_key",
    );

    let dup_protocol = Authorization {
        id: AuthorizationId::generate(),
        ..w.authorization.clone()
    };
    expect_unique(
        try_create(store, scope, &dup_protocol).await,
        "authorizations_organization_id_protocol_number_key",
    );

    let dup_mission = Mission {
        id: MissionId::generate(),
        ..w.mission.clone()
    };
    expect_unique(
        try_create(store, scope, &dup_mission).await,
        "missions_organization_id_code_version_key",
    );

    let dup_balance = HealthPoints {
        id: HealthPointsId::generate(),
        ..w.health_points.clone()
    };
    expect_unique(
        try_create(store, scope, &dup_balance).await,
        "health_points_organization_id_user_id_key",
    );

    // After a soft delete the phone number may be used again (the uniqueness covers live rows).
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.soft_delete::<User>(w.patient.id, now()).await.unwrap();
    let mut again = fixtures::patient(org, 1);
    again.cpf_bidx = w.patient.cpf_bidx.clone();
    tx.create(&again).await.unwrap();
    tx.commit().await.unwrap();

    // The same phone in another organization is a different person (each world's patient has it).
    let other = World::create(store).await;
    assert_eq!(other.patient.phone, w.patient.phone);

    let dup_org = Organization {
        id: OrganizationId::generate(),
        whatsapp_phone_number_id: None,
        ..w.organization.clone()
    };
    expect_unique(
        try_create(store, Principal::system().scope(), &dup_org).await,
        "organizations_tax_id_key",
    );
}

/// Creates in a transaction of its own, rolled back: a failed statement ends a PostgreSQL
/// transaction, so each expected failure gets its own.
async fn try_create<E: Entity>(
    store: &dyn Store,
    scope: austa_domain::TenantScope,
    entity: &E,
) -> Result<E, StoreError> {
    let mut tx = store.begin(scope, TxMode::Write).await.unwrap();
    let result = tx.create(entity).await;
    tx.rollback().await.unwrap();
    result
}

fn expect_unique<T>(result: Result<T, StoreError>, name: &str) {
    match result {
        Err(StoreError::UniqueViolation { constraint }) => assert_eq!(constraint, name),
        Err(other) => panic!("expected unique violation {name}, got {other}"),
        Ok(_) => panic!("expected unique violation {name}, but the write succeeded"),
    }
}

/// Foreign keys, enumerations and other checks are the database's, reported as typed errors.
pub async fn database_checks_are_typed(store: &dyn Store) {
    let w = World::create(store).await;

    // A patient of an organization that does not exist.
    let ghost = fixtures::patient(OrganizationId::generate(), 3);
    let mut tx = store
        .begin(Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    assert!(matches!(
        tx.create(&ghost).await,
        Err(StoreError::ForeignKeyViolation { .. })
    ));
    tx.rollback().await.unwrap();

    // Every enumeration column refuses a text outside its vocabulary and accepts every value of it.
    let samples: Vec<(&'static austa_store::TableDef, Vec<Value>)> = vec![
        (User::TABLE, w.patient.to_row()),
        (Provider::TABLE, w.provider.to_row()),
        (Conversation::TABLE, w.conversation.to_row()),
        (Message::TABLE, w.message.to_row()),
        (Authorization::TABLE, w.authorization.to_row()),
        (Document::TABLE, w.document.to_row()),
        (HealthData::TABLE, w.health_data.to_row()),
        (Mission::TABLE, w.mission.to_row()),
        (OnboardingProgress::TABLE, w.progress.to_row()),
        (PointTransaction::TABLE, w.point_transaction.to_row()),
        (TasyIntegration::TABLE, w.tasy_integration.to_row()),
        (TasySyncLog::TABLE, w.tasy_sync_log.to_row()),
        (AuditLog::TABLE, w.audit_log.to_row()),
        (EncryptionKey::TABLE, w.security.encryption_key.to_row()),
        (Job::TABLE, w.security.job.to_row()),
        (Consent::TABLE, w.security.consent.to_row()),
    ];
    let mut checked = 0;
    for (table, row) in samples {
        for (i, col) in table.columns.iter().enumerate() {
            let Some(vocabulary) = col.vocabulary else {
                continue;
            };
            let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
            let mut bad = row.clone();
            bad[i] = Value::Text("NOT_A_VALUE".into());
            if table.mutability == Mutability::Mutable {
                let result = tx.update_row(table, bad).await;
                assert!(
                    matches!(result, Err(StoreError::CheckViolation { .. })),
                    "{}.{} accepted a value outside its vocabulary: {result:?}",
                    table.name,
                    col.name
                );
                tx.rollback().await.unwrap();
                for text in vocabulary {
                    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
                    let mut good = row.clone();
                    good[i] = Value::Text((*text).into());
                    // The authorization state machine refuses some moves (tested on its own).
                    let state_machine = table.name == "authorizations" && col.name == "status";
                    if let Err(e) = tx.update_row(table, good).await
                        && !state_machine
                    {
                        // Some values need companions (a denial needs its reason): only a check on
                        // another column may refuse them.
                        assert!(
                            matches!(&e, StoreError::CheckViolation { constraint: Some(c) } if !c.contains(col.name)),
                            "{}.{} refused {text}: {e}",
                            table.name,
                            col.name
                        );
                    }
                    tx.rollback().await.unwrap();
                }
            } else {
                freshen_unique_columns(table, &mut bad);
                let result = tx.insert_row(table, bad.clone()).await;
                assert!(
                    matches!(result, Err(StoreError::CheckViolation { .. })),
                    "{}.{} accepted a value outside its vocabulary: {result:?}",
                    table.name,
                    col.name
                );
                tx.rollback().await.unwrap();
                for text in vocabulary {
                    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
                    let mut good = bad.clone();
                    freshen_unique_columns(table, &mut good);
                    good[i] = Value::Text((*text).into());
                    tx.insert_row(table, good)
                        .await
                        .unwrap_or_else(|e| panic!("{}.{} refused {text}: {e}", table.name, col.name));
                    tx.rollback().await.unwrap();
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "every enumeration column was checked ({checked})");

    // Range checks: a negative balance and a reliability score above 1 are refused.
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let broke = HealthPoints {
        balance: -1,
        ..w.health_points.clone()
    };
    assert!(matches!(
        tx.update(&broke).await,
        Err(StoreError::CheckViolation { .. })
    ));
    tx.rollback().await.unwrap();
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let sure = HealthData {
        reliability_score: 1.5,
        ..w.health_data.clone()
    };
    assert!(matches!(
        tx.update(&sure).await,
        Err(StoreError::CheckViolation { .. })
    ));
    tx.rollback().await.unwrap();
}

/// Retention: purging removes for good the rows older than a time, oldest first, a bounded number
/// per call, in the caller's organization only; append-only tables and non-time columns are refused.
pub async fn purge_by_age(store: &dyn Store) {
    let a = World::create(store).await;
    let b = World::create(store).await;
    let cutoff = now() - Duration::days(30);
    let attempt = |org: OrganizationId, age_days: i64| {
        let at = now() - Duration::days(age_days);
        LoginAttempt {
            id: LoginAttemptId::generate(),
            occurred_at: at,
            created_at: at,
            updated_at: at,
            ..fixtures::Security::new(org, a.patient.id, a.staff.id).login_attempt
        }
    };
    let old_a: Vec<LoginAttempt> = (0..5).map(|i| attempt(a.organization.id, 40 + i)).collect();
    let fresh_a: Vec<LoginAttempt> = (0..2).map(|i| attempt(a.organization.id, i)).collect();
    let old_b: Vec<LoginAttempt> = (0..3).map(|i| attempt(b.organization.id, 50 + i)).collect();
    for (world, rows) in [(&a, [&old_a[..], &fresh_a[..]].concat()), (&b, old_b.clone())] {
        let mut tx = store.begin(world.scope(), TxMode::Write).await.unwrap();
        for row in &rows {
            tx.create(row).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    // A soft-deleted row is purged like any other.
    let mut tx = store.begin(a.scope(), TxMode::Write).await.unwrap();
    tx.soft_delete::<LoginAttempt>(old_a[4].id, now()).await.unwrap();
    tx.commit().await.unwrap();

    let purge = async |scope, limit| {
        let mut tx = store.begin(scope, TxMode::Write).await.unwrap();
        let n = tx
            .purge::<LoginAttempt>("occurred_at", cutoff, limit)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    };
    assert_eq!(purge(a.scope(), 2).await, 2, "at most the limit");
    let mut tx = store.begin(a.scope(), TxMode::Read).await.unwrap();
    for oldest in [old_a[4].id, old_a[3].id] {
        assert!(
            tx.find::<LoginAttempt>(oldest).await.unwrap().is_none(),
            "oldest first"
        );
    }
    assert!(tx.find::<LoginAttempt>(old_a[0].id).await.unwrap().is_some());
    tx.rollback().await.unwrap();
    assert_eq!(purge(a.scope(), 500).await, 3);
    assert_eq!(purge(a.scope(), 500).await, 0, "nothing older is left");

    let mut tx = store
        .begin(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    for row in &fresh_a {
        assert!(
            tx.find::<LoginAttempt>(row.id).await.unwrap().is_some(),
            "newer rows stay"
        );
    }
    for row in &old_b {
        assert!(
            tx.find::<LoginAttempt>(row.id).await.unwrap().is_some(),
            "another organization's rows stay"
        );
    }
    tx.rollback().await.unwrap();
    assert_eq!(
        purge(Principal::system().scope(), 500).await,
        3,
        "the platform purges every organization"
    );

    let mut tx = store.begin(a.scope(), TxMode::Write).await.unwrap();
    assert!(matches!(
        tx.purge::<AuditLog>("occurred_at", now(), 10).await,
        Err(StoreError::AppendOnly { .. })
    ));
    assert!(matches!(
        tx.purge::<LoginAttempt>("ip_address", now(), 10).await,
        Err(StoreError::UnknownColumn { .. })
    ));
    assert!(matches!(
        tx.purge::<LoginAttempt>("nope", now(), 10).await,
        Err(StoreError::UnknownColumn { .. })
    ));
    tx.rollback().await.unwrap();
}

/// A transaction that is not committed leaves nothing behind.
pub async fn rollback_discards(store: &dyn Store) {
    let w = World::create(store).await;
    let p = fixtures::patient(w.organization.id, 900);
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    tx.create(&p).await.unwrap();
    drop(tx);
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    assert!(tx.find::<User>(p.id).await.unwrap().is_none());
}

/// Every scenario, in order. Backends call this once per fresh database.
pub async fn run_all(store: &dyn Store) {
    crud_on_every_table(store).await;
    cursor_pagination(store).await;
    tenant_isolation(store).await;
    uniqueness_is_typed(store).await;
    database_checks_are_typed(store).await;
    rollback_discards(store).await;
    list_filters_and_locks(store).await;
    batch_insert(store).await;
    purge_by_age(store).await;
}

/// The authorization state machine and the approval rule hold in the database too: a decision
/// without a review, or an approval without its senha, is refused whatever the code above it does.
async fn authorization_rules_are_enforced(store: &dyn Store, w: &World) {
    use austa_domain::enums::AuthorizationStatus::*;
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let fresh = Authorization {
        id: AuthorizationId::generate(),
        protocol_number: format!("rules-{}", uuid::Uuid::now_v7().simple()),
        status: Requested,
        ..w.authorization.clone()
    };
    let created = tx.create(&fresh).await.unwrap();
    tx.commit().await.unwrap();
    for illegal in [
        Authorization {
            status: Approved,
            authorization_password: Some("123".into()),
            password_valid_until: Some(now()),
            ..created.clone()
        },
        Authorization {
            status: Denied,
            denial_reason: Some("x".into()),
            denial_clause: Some("y".into()),
            ..created.clone()
        },
    ] {
        let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
        assert!(
            tx.update(&illegal).await.is_err(),
            "REQUESTED → {:?} is refused",
            illegal.status
        );
        tx.rollback().await.unwrap();
    }
    let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
    let review = tx
        .update(&Authorization {
            status: UnderReview,
            ..created.clone()
        })
        .await
        .unwrap();
    assert!(
        tx.update(&Authorization {
            status: Approved,
            ..review.clone()
        })
        .await
        .is_err(),
        "no approval without a senha"
    );
    tx.rollback().await.unwrap();
}
