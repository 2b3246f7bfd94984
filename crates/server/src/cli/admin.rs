//! `austa admin …`, `austa audit …`, `austa keys …`: bootstrap and operations from the shell.

use std::io::BufRead;

use anyhow::{Context, bail};
use austa_domain::Principal;
use austa_domain::enums::{Role, Vocabulary};
use austa_domain::ids::OrganizationId;
use austa_store::TxMode;
use austa_store::model::Organization;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{AdminCommand, AuditCommand, KeysCommand};
use crate::audit::{checkpoint, verify};
use crate::bootstrap;
use crate::config::Config;
use crate::context::{Actor, Services};
use crate::keys::rotation;
use crate::service::{api_keys, organizations, staff};

fn cli_actor() -> Actor {
    Actor::platform().with_user_agent("austa-cli")
}

fn parse_org(text: &str) -> anyhow::Result<OrganizationId> {
    text.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--org must be an organization id (a UUID), not `{text}`"))
}

/// The organization must exist (and not be deleted): a typo must not create orphans.
async fn existing_org(services: &Services, text: &str) -> anyhow::Result<OrganizationId> {
    let org = parse_org(text)?;
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let found = tx.find::<Organization>(org).await?;
    tx.rollback().await?;
    match found {
        Some(_) => Ok(org),
        None => bail!("no organization has the id {org}"),
    }
}

pub async fn run(config: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let services = bootstrap::start(config).await?;
    let actor = cli_actor();
    let output = match cmd {
        AdminCommand::CreateOrg { name, tax_id } => {
            let org = organizations::create(
                &services,
                &actor,
                organizations::NewOrganization {
                    name: &name,
                    tax_id: &tax_id,
                },
            )
            .await?;
            json!({"id": org.id})
        }
        AdminCommand::CreateStaff {
            org,
            role,
            email,
            name,
        } => {
            let org = existing_org(&services, &org).await?;
            let role =
                Role::parse_str(&role).map_err(|_| anyhow::anyhow!("--role must be admin or provider"))?;
            let password = read_password()?;
            let created = staff::create(
                &services,
                &Actor::system_for(org).with_user_agent("austa-cli"),
                staff::NewStaff {
                    organization: org,
                    role,
                    email: &email,
                    name: &name,
                    password: &password,
                },
            )
            .await?;
            match created.totp_uri {
                Some(uri) => json!({"id": created.user.id, "totpUri": uri.expose_secret()}),
                None => json!({"id": created.user.id}),
            }
        }
        AdminCommand::CreateApiKey { role, org, name } => {
            let org = match org {
                Some(text) => Some(existing_org(&services, &text).await?),
                None => None,
            };
            let role = Role::parse_str(&role).map_err(|_| anyhow::anyhow!("--role must be system"))?;
            let created = api_keys::create(&services, &actor, org, role, &name).await?;
            json!({"id": created.key.id, "key": created.token.expose()})
        }
        AdminCommand::RevokeApiKey { id } => {
            let id: austa_domain::ids::ApiKeyId = id
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--id must be an API key id (a UUID), not `{id}`"))?;
            let revoked = api_keys::revoke(&services, &actor, id)
                .await
                .map_err(|e| match e {
                    crate::error::Error::NotFound => anyhow::anyhow!("no API key has the id {id}"),
                    other => other.into(),
                })?;
            json!({"id": revoked.id, "revokedAt": revoked.revoked_at.map(|t| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default())})
        }
    };
    println!("{output}");
    services.store.close().await;
    Ok(())
}

/// `AUSTA_PASSWORD`, else the first line of stdin (so it never appears in `ps` or shell history).
fn read_password() -> anyhow::Result<SecretString> {
    if let Ok(password) = std::env::var("AUSTA_PASSWORD") {
        return Ok(password.into());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password: set AUSTA_PASSWORD or write it on stdin");
    }
    Ok(password.into())
}

pub async fn audit(config: &Config, cmd: AuditCommand) -> anyhow::Result<()> {
    let services = bootstrap::start(config).await?;
    match cmd {
        AuditCommand::Verify { org } => {
            let org = match org {
                Some(text) => Some(existing_org(&services, &text).await?),
                None => None,
            };
            let report = verify::verify(&services, org).await?;
            println!("{}", serde_json::to_string(&report)?);
            services.store.close().await;
            if let Some(bad) = report.first_bad_entry {
                bail!(
                    "audit log tampered: {:?} entry in chain {} at position {}: {}",
                    bad.kind,
                    bad.chain_id,
                    bad.seq.map_or_else(|| "?".to_owned(), |s| s.to_string()),
                    bad.explanation
                );
            }
        }
        AuditCommand::Checkpoint { org } => {
            let org = match org {
                Some(text) => Some(existing_org(&services, &text).await?),
                None => None,
            };
            let signed = checkpoint::sign_new(&services, org).await?;
            println!("{}", json!({"signed": signed}));
            services.store.close().await;
        }
    }
    Ok(())
}

pub async fn keys(config: &Config, cmd: KeysCommand) -> anyhow::Result<()> {
    let services = bootstrap::start(config).await?;
    let KeysCommand::Rotate { org } = cmd;
    let orgs = match org {
        Some(text) => vec![existing_org(&services, &text).await?],
        None => all_organizations(&services).await?,
    };
    let mut rotated = Vec::new();
    for org in orgs {
        let version = rotation::rotate(&services, org).await?;
        rotated.push(json!({"organizationId": org, "primaryVersion": version}));
    }
    println!(
        "{}",
        json!({"rotated": rotated, "reencryption": "runs in the background of austa serve"})
    );
    services.store.close().await;
    Ok(())
}

async fn all_organizations(services: &Services) -> anyhow::Result<Vec<OrganizationId>> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = tx
            .list::<Organization>(
                &austa_store::ListQuery::first(austa_store::ListQuery::MAX_LIMIT).after(after),
            )
            .await?;
        all.extend(page.items.iter().map(|o| o.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    tx.rollback().await?;
    Ok(all)
}
