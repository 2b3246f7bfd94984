//! What `austa migrate status` reports, computed from the binary's migrations and the database's.

use time::OffsetDateTime;

use crate::store::{Backend, MigrationInfo, MigrationStatus};

/// Combines the migrations this binary embeds with those the database says it applied.
pub fn status(
    backend: Backend,
    known: &[(i64, String)],
    applied: &[(i64, OffsetDateTime)],
) -> MigrationStatus {
    let migrations: Vec<MigrationInfo> = known
        .iter()
        .map(|(version, description)| {
            let applied_at = applied.iter().find(|(v, _)| v == version).map(|(_, at)| *at);
            MigrationInfo {
                version: *version,
                description: description.clone(),
                applied: applied_at.is_some(),
                applied_at,
            }
        })
        .collect();
    let unknown_applied: Vec<i64> = applied
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| !known.iter().any(|(k, _)| k == v))
        .collect();
    MigrationStatus {
        backend,
        current: applied.iter().map(|(v, _)| *v).max().unwrap_or(0),
        latest: known.iter().map(|(v, _)| *v).max().unwrap_or(0),
        migrations,
        unknown_applied,
    }
}

/// Refuses a database that has a migration this binary does not know (written by a newer `austa`).
pub fn refuse_newer(
    known: &[(i64, String)],
    applied: &[(i64, OffsetDateTime)],
) -> Result<(), crate::StoreError> {
    match applied.iter().find(|(v, _)| !known.iter().any(|(k, _)| k == v)) {
        Some((v, _)) => Err(crate::StoreError::Migration(newer_database_message(*v))),
        None => Ok(()),
    }
}

/// The refusal for a database written by a newer binary.
pub fn newer_database_message(version: i64) -> String {
    format!(
        "the database has migration {version}, which this binary does not know: it was migrated by a \
         newer version of austa; run that version (or a newer one) instead"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_pending_applied_and_unknown_versions() {
        let known = vec![(1, "core".to_owned()), (2, "messages".to_owned())];
        let t = OffsetDateTime::UNIX_EPOCH;
        let s = status(Backend::Sqlite, &known, &[(1, t)]);
        assert_eq!((s.current, s.latest), (1, 2));
        assert!(!s.is_current());
        assert!(s.migrations[0].applied && !s.migrations[1].applied);

        let newer = status(Backend::Sqlite, &known, &[(1, t), (2, t), (3, t)]);
        assert_eq!(newer.unknown_applied, vec![3]);
        assert!(!newer.is_current());
        assert!(status(Backend::Postgres, &known, &[(1, t), (2, t)]).is_current());
        assert!(refuse_newer(&known, &[(1, t)]).is_ok());
        assert!(
            refuse_newer(&known, &[(1, t), (3, t)])
                .unwrap_err()
                .to_string()
                .contains("migration 3")
        );
    }
}
