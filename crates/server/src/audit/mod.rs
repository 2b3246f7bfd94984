//! The audit trail: what handlers record ([`AuditEvent`]), how entries are chained and signed
//! ([`chain`]), and how a chain is checked ([`verify`]). Entries hold ids, never personal data.

pub mod chain;
pub mod checkpoint;
pub mod sink;
pub mod verify;

use austa_domain::enums::{AuditAction, RiskLevel};
use austa_domain::ids::OrganizationId;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use chain::AuditChains;

/// One thing that happened, as a handler describes it; the actor, time and chain are added on append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub entity_type: &'static str,
    pub entity_id: Option<Uuid>,
    /// For platform actors: the organization the event belongs to. Members always audit into their own.
    pub organization: Option<OrganizationId>,
    pub risk: RiskLevel,
    pub hipaa_relevant: bool,
    pub lgpd_relevant: bool,
    pub sensitive_data: bool,
    pub requires_review: bool,
    /// Ids of related records (`patientId`…). Strings only: no personal data, no floats.
    pub related: Map<String, Value>,
    /// Non-personal facts (`reason: "bad_password"`, `fields: ["phone"]`).
    pub details: Map<String, Value>,
}

impl AuditEvent {
    pub fn new(action: AuditAction, entity_type: &'static str) -> Self {
        Self {
            action,
            entity_type,
            entity_id: None,
            organization: None,
            risk: RiskLevel::Low,
            hipaa_relevant: false,
            lgpd_relevant: false,
            sensitive_data: false,
            requires_review: false,
            related: Map::new(),
            details: Map::new(),
        }
    }

    /// An access to health information: HIPAA and LGPD relevant, sensitive, medium risk at least.
    pub fn health(action: AuditAction, entity_type: &'static str, id: Option<Uuid>) -> Self {
        let mut e = Self::new(action, entity_type);
        e.entity_id = id;
        e.hipaa_relevant = true;
        e.lgpd_relevant = true;
        e.sensitive_data = true;
        e.risk = RiskLevel::Medium;
        e
    }

    /// Personal (not health) data: LGPD relevant.
    pub fn personal(action: AuditAction, entity_type: &'static str, id: Option<Uuid>) -> Self {
        let mut e = Self::new(action, entity_type);
        e.entity_id = id;
        e.lgpd_relevant = true;
        e
    }

    pub fn entity(mut self, id: Uuid) -> Self {
        self.entity_id = Some(id);
        self
    }

    pub fn in_organization(mut self, org: OrganizationId) -> Self {
        self.organization = Some(org);
        self
    }

    pub fn risk(mut self, risk: RiskLevel) -> Self {
        self.risk = risk;
        self
    }

    pub fn needs_review(mut self) -> Self {
        self.requires_review = true;
        self
    }

    pub fn related(mut self, name: &str, id: Uuid) -> Self {
        self.related
            .insert(name.to_owned(), Value::String(id.to_string()));
        self
    }

    pub fn detail(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.details.insert(name.to_owned(), value.into());
        self
    }
}

/// JSON with object keys sorted, so the bytes a MAC covers do not depend on how a database stores
/// JSON (PostgreSQL's `jsonb` reorders keys).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"d": [1, {"z": true, "y": null}], "c": "x"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}"#
        );
    }
}
