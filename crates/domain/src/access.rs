//! The access policy: the one function that decides whether a principal may act on a record.
//! Handlers describe the access ([`Request`]) and obey the [`Decision`]; none decides on its own.
//!
//! The matrix (DESIGN.md §4): a patient reaches their own record, health data and conversations; a
//! provider reaches the organization's patients, their health data and conversations, and the audit
//! entries of their own actions; an admin reaches everything in the organization; `system` reaches
//! everything. Only `system` crosses organizations. Health data marked `CONFIDENTIAL` (or kept for the
//! care team) needs, among staff, an admin, a provider of the patient's care team, or a provider with
//! an unexpired break-glass grant.

use crate::enums::{AccessLevel, Role, SensitivityLevel};
use crate::ids::{OrganizationId, UserId};
use crate::scope::{Principal, Subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Organization,
    /// A patient's person record.
    Patient,
    /// A staff member's person record (admins, providers).
    Staff,
    /// A provider's professional registration.
    ProviderRegistration,
    HealthData,
    Conversation,
    Message,
    AuditLog,
    /// A break-glass grant: asking for emergency access to a patient.
    BreakGlass,
    /// Care-team assignments.
    CareTeam,
    ApiKey,
    /// What the assistant raises for staff (emergencies, hand-offs, appointment requests).
    Alert,
    /// A patient's medication reminders and the adherence they record.
    MedicationReminder,
    /// A patient's points ledger (read; spending and adjustments are created, never edited).
    Points,
    /// A request to authorize procedures, and its answer.
    Authorization,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
}

/// What is known about the record (for a create: about the record to be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub organization: OrganizationId,
    /// The patient the record is about (the patient themself, for a patient record).
    pub patient: Option<UserId>,
    /// The person the record is (staff records), or who acted (audit entries).
    pub person: Option<UserId>,
    pub sensitivity: Option<SensitivityLevel>,
    pub access_level: Option<AccessLevel>,
}

impl Target {
    pub fn in_organization(organization: OrganizationId) -> Self {
        Self {
            organization,
            patient: None,
            person: None,
            sensitivity: None,
            access_level: None,
        }
    }

    pub fn about_patient(mut self, patient: UserId) -> Self {
        self.patient = Some(patient);
        self
    }

    pub fn person(mut self, person: UserId) -> Self {
        self.person = Some(person);
        self
    }

    pub fn classified(mut self, sensitivity: SensitivityLevel, access: AccessLevel) -> Self {
        self.sensitivity = Some(sensitivity);
        self.access_level = Some(access);
        self
    }
}

/// Relations of the principal to the patient, looked up by the caller before asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relations {
    /// The principal is a provider in the patient's care team.
    pub in_care_team: bool,
    /// The principal holds an unexpired break-glass grant for the patient.
    pub break_glass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The role may never do this: 403.
    Forbidden,
    /// The record is outside what the principal may know exists: 404.
    Hidden,
    /// Restricted data: allowed only with a care-team role or break-glass: 403, and the caller may
    /// offer break-glass.
    NeedsCareTeamOrBreakGlass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

use Action::*;
use Decision::{Allow, Deny};
use Denial::*;
use Resource::*;

/// The decision for one access.
pub fn decide(
    principal: &Principal,
    action: Action,
    resource: Resource,
    target: &Target,
    relations: Relations,
) -> Decision {
    let role = principal.role();
    // Nobody but the platform crosses organizations; the record's existence does not leak.
    match principal.organization() {
        Some(org) if org != target.organization => return Deny(Hidden),
        None if role != Role::System => return Deny(Hidden),
        _ => {}
    }
    let me = match principal.subject() {
        Subject::User(id) => Some(id),
        _ => None,
    };
    match role {
        Role::System => Allow,
        Role::Admin => admin(action, resource),
        Role::Provider => provider(me, action, resource, target, relations),
        Role::Patient => patient(me, action, resource, target),
    }
}

fn admin(action: Action, resource: Resource) -> Decision {
    match (resource, action) {
        // Tenants are created and removed by the platform; admins run their own.
        (Organization, Create | Delete) => Deny(Forbidden),
        // The audit log is append-only for everyone; admins read all of it.
        (AuditLog, Read) => Allow,
        (AuditLog, _) => Deny(Forbidden),
        // API keys are platform credentials (CLI).
        (ApiKey, _) => Deny(Forbidden),
        // Admins see everything already; break-glass is for providers.
        (BreakGlass, _) => Deny(Forbidden),
        // Alerts are raised by the assistant and kept as a record: staff acknowledge and resolve.
        (Alert, Read | Update) => Allow,
        (Alert, _) => Deny(Forbidden),
        (MedicationReminder, _) => Allow,
        // The ledger is append-only: admins spend, penalise and adjust by new transactions.
        (Points, Create | Read) => Allow,
        (Points, _) => Deny(Forbidden),
        // Authorizations are records: they end by transitions, never deletion.
        (Authorization, Delete) => Deny(Forbidden),
        (Authorization, _) => Allow,
        _ => Allow,
    }
}

fn provider(
    me: Option<UserId>,
    action: Action,
    resource: Resource,
    target: &Target,
    relations: Relations,
) -> Decision {
    let is_me = me.is_some() && target.person == me;
    match (resource, action) {
        (Organization, Read) => Allow,
        (Organization, _) => Deny(Forbidden),
        (Patient, Create | Read | Update) => Allow,
        (Patient, Delete) => Deny(Forbidden),
        (Staff, Read | Update) if is_me => Allow,
        (Staff, _) => Deny(Forbidden),
        (ProviderRegistration, Read) => Allow,
        (ProviderRegistration, Update) if is_me => Allow,
        (ProviderRegistration, _) => Deny(Forbidden),
        (HealthData, Delete) => Deny(Forbidden),
        (HealthData, Create) => Allow,
        (HealthData, Read | Update) => {
            if restricted_for_staff(target) && !(relations.in_care_team || relations.break_glass) {
                Deny(NeedsCareTeamOrBreakGlass)
            } else if target.access_level == Some(AccessLevel::PatientOnly) {
                Deny(Forbidden)
            } else {
                Allow
            }
        }
        (Conversation, Read | Update) => Allow,
        (Conversation, _) => Deny(Forbidden),
        (Message, Read) => Allow,
        (Message, _) => Deny(Forbidden),
        // Providers see the audit trail of their own actions only.
        (AuditLog, Read) if is_me => Allow,
        (AuditLog, _) => Deny(Forbidden),
        (BreakGlass, Create) => Allow,
        (BreakGlass, _) => Deny(Forbidden),
        (CareTeam, Read) => Allow,
        (CareTeam, _) => Deny(Forbidden),
        (ApiKey, _) => Deny(Forbidden),
        (Alert, Read | Update) => Allow,
        (Alert, _) => Deny(Forbidden),
        // Staff set up and stop reminders on a patient's behalf.
        (MedicationReminder, _) => Allow,
        (Points, Read) => Allow,
        (Points, _) => Deny(Forbidden),
        // Providers request authorizations and review them.
        (Authorization, Create | Read | Update) => Allow,
        (Authorization, Delete) => Deny(Forbidden),
    }
}

/// CONFIDENTIAL data, or data kept for the care team, needs a relation to the patient.
fn restricted_for_staff(target: &Target) -> bool {
    target.sensitivity == Some(SensitivityLevel::Confidential)
        || target.access_level == Some(AccessLevel::CareTeam)
}

fn patient(me: Option<UserId>, action: Action, resource: Resource, target: &Target) -> Decision {
    let own = me.is_some() && target.patient == me;
    match (resource, action) {
        (Organization, Read) => Allow,
        (Organization, _) => Deny(Forbidden),
        (Patient, Read | Update) if own => Allow,
        // Other patients' records: not even their existence.
        (Patient, Read | Update) => Deny(Hidden),
        (Patient, _) => Deny(Forbidden),
        // Patients report their own symptoms and vital signs; editing records is for staff.
        (HealthData, Read | Create) if own => Allow,
        (HealthData, Read) => Deny(Hidden),
        (HealthData, _) => Deny(Forbidden),
        (Conversation | Message, Read) if own => Allow,
        (Conversation | Message, Read) => Deny(Hidden),
        (Conversation | Message, _) => Deny(Forbidden),
        // Patients opt into and out of their own reminders.
        (MedicationReminder, _) if own => Allow,
        (MedicationReminder, _) => Deny(Hidden),
        // Patients see their points; they never write them (no client claims).
        (Points, Read) if own => Allow,
        (Points, Read) => Deny(Hidden),
        (Points, _) => Deny(Forbidden),
        // Patients follow their own requests.
        (Authorization, Read) if own => Allow,
        (Authorization, Read) => Deny(Hidden),
        (Authorization, _) => Deny(Forbidden),
        (Staff | ProviderRegistration | AuditLog | BreakGlass | CareTeam | ApiKey | Alert, _) => {
            Deny(Forbidden)
        }
    }
}
