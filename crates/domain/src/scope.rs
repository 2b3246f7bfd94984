//! Who is asking, and which organization's rows they may touch.
//!
//! The store accepts only a [`TenantScope`], and a scope comes only from a [`Principal`]: a handler
//! cannot forget to say whose data it wants. Only the `system` role may cross organizations.

use crate::enums::Role;
use crate::ids::{OrganizationId, UserId};
use uuid::Uuid;

/// The identity behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A person with a row in `users` (patient or staff).
    User(UserId),
    /// A machine holding an API key.
    ApiKey(Uuid),
    /// The platform itself: CLI commands, migrations, background workers.
    Internal,
}

/// The authenticated caller of every operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    organization: Option<OrganizationId>,
    role: Role,
    subject: Subject,
}

impl Principal {
    /// A caller inside one organization.
    pub fn member(organization: OrganizationId, role: Role, subject: Subject) -> Self {
        Self {
            organization: Some(organization),
            role,
            subject,
        }
    }

    /// The platform acting across every organization (CLI, migrations, cross-tenant workers).
    pub fn system() -> Self {
        Self {
            organization: None,
            role: Role::System,
            subject: Subject::Internal,
        }
    }

    /// The platform acting inside one organization (a worker handling that organization's job).
    /// A platform-wide credential (an API key without organization): crosses organizations.
    pub fn platform(subject: Subject) -> Self {
        Self {
            organization: None,
            role: Role::System,
            subject,
        }
    }

    pub fn system_for(organization: OrganizationId) -> Self {
        Self {
            organization: Some(organization),
            role: Role::System,
            subject: Subject::Internal,
        }
    }

    pub fn organization(&self) -> Option<OrganizationId> {
        self.organization
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn subject(&self) -> Subject {
        self.subject
    }

    /// The rows this principal may reach. A non-system principal always has an organization.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            organization: self.organization,
        }
    }
}

/// The tenant boundary the store enforces (and PostgreSQL row-level security enforces again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    organization: Option<OrganizationId>,
}

impl TenantScope {
    /// `Some(org)`: only that organization's rows. `None`: every organization (system only).
    pub fn organization(&self) -> Option<OrganizationId> {
        self.organization
    }

    pub fn is_cross_tenant(&self) -> bool {
        self.organization.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EntityId;

    #[test]
    fn members_are_confined_to_their_organization() {
        let org = OrganizationId::generate();
        let p = Principal::member(org, Role::Admin, Subject::User(UserId::generate()));
        assert_eq!(p.scope().organization(), Some(org));
        assert!(!p.scope().is_cross_tenant());
    }

    #[test]
    fn only_the_platform_itself_crosses_organizations() {
        assert!(Principal::system().scope().is_cross_tenant());
        let org = OrganizationId::generate();
        assert_eq!(Principal::system_for(org).scope().organization(), Some(org));
    }
}
