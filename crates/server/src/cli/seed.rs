//! `austa seed --demo`.

use crate::config::Config;
use crate::{bootstrap, seed};

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let services = bootstrap::start(config).await?;
    let outcome = seed::demo(&services).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    services.store.close().await;
    Ok(())
}
