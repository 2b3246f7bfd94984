//! Opens the store the configured URL names.

use std::sync::Arc;

use austa_store::{DatabaseUrl, Store, StoreResult};
use austa_store_postgres::PostgresStore;
use austa_store_sqlite::SqliteStore;

pub async fn open(url: &DatabaseUrl) -> StoreResult<Arc<dyn Store>> {
    Ok(match url {
        DatabaseUrl::SqliteFile(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseUrl::SqliteMemory => Arc::new(SqliteStore::memory().await?),
        DatabaseUrl::Postgres(url) => {
            let store = PostgresStore::connect(url).await?;
            if store.role_check().await?.bypasses_rls {
                tracing::warn!(
                    "connected to PostgreSQL as a superuser or BYPASSRLS role: row-level security is not \
                     enforced; connect as an ordinary role that owns the schema"
                );
            }
            Arc::new(store)
        }
    })
}
