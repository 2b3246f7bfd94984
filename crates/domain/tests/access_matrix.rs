//! The whole access matrix, one row per role × resource × action, each with the expected decision for
//! a record that is the principal's own, another in the same organization, and one in another
//! organization. A = allow, F = forbidden (403), H = hidden (404), N = needs care team or break-glass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use austa_domain::access::{Action, Decision, Denial, Relations, Resource, Target, decide};
use austa_domain::enums::{AccessLevel, Role, SensitivityLevel};
use austa_domain::ids::{OrganizationId, UserId};
use austa_domain::{EntityId, Principal, Subject};

const RESOURCES: [Resource; 15] = [
    Resource::Organization,
    Resource::Patient,
    Resource::Staff,
    Resource::ProviderRegistration,
    Resource::HealthData,
    Resource::Conversation,
    Resource::Message,
    Resource::AuditLog,
    Resource::BreakGlass,
    Resource::CareTeam,
    Resource::ApiKey,
    Resource::Alert,
    Resource::MedicationReminder,
    Resource::Points,
    Resource::Authorization,
];
const ACTIONS: [Action; 4] = [Action::Create, Action::Read, Action::Update, Action::Delete];

/// Expected decisions, in RESOURCES order; each string is C R U D, each of 3 letters own/same/other.
fn expected(role: Role) -> [[&'static str; 4]; 15] {
    match role {
        Role::Patient => [
            ["FFH", "AAH", "FFH", "FFH"], // organization
            ["FFH", "AHH", "AHH", "FFH"], // patient record
            ["FFH", "FFH", "FFH", "FFH"], // staff
            ["FFH", "FFH", "FFH", "FFH"], // provider registration
            ["AFH", "AHH", "FFH", "FFH"], // health data
            ["FFH", "AHH", "FFH", "FFH"], // conversation
            ["FFH", "AHH", "FFH", "FFH"], // message
            ["FFH", "FFH", "FFH", "FFH"], // audit log
            ["FFH", "FFH", "FFH", "FFH"], // break-glass
            ["FFH", "FFH", "FFH", "FFH"], // care team
            ["FFH", "FFH", "FFH", "FFH"], // api key
            ["FFH", "FFH", "FFH", "FFH"], // alert
            ["AHH", "AHH", "AHH", "AHH"], // medication reminder
            ["FFH", "AHH", "FFH", "FFH"], // points
            ["FFH", "AHH", "FFH", "FFH"], // authorization
        ],
        Role::Provider => [
            ["FFH", "AAH", "FFH", "FFH"],
            ["AAH", "AAH", "AAH", "FFH"],
            ["FFH", "AFH", "AFH", "FFH"],
            ["FFH", "AAH", "AFH", "FFH"],
            ["AAH", "AAH", "AAH", "FFH"],
            ["FFH", "AAH", "AAH", "FFH"],
            ["FFH", "AAH", "FFH", "FFH"],
            ["FFH", "AFH", "FFH", "FFH"],
            ["AAH", "FFH", "FFH", "FFH"],
            ["FFH", "AAH", "FFH", "FFH"],
            ["FFH", "FFH", "FFH", "FFH"],
            ["FFH", "AAH", "AAH", "FFH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["FFH", "AAH", "FFH", "FFH"],
            ["AAH", "AAH", "AAH", "FFH"],
        ],
        Role::Admin => [
            ["FFH", "AAH", "AAH", "FFH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["FFH", "AAH", "FFH", "FFH"],
            ["FFH", "FFH", "FFH", "FFH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["FFH", "FFH", "FFH", "FFH"],
            ["FFH", "AAH", "AAH", "FFH"],
            ["AAH", "AAH", "AAH", "AAH"],
            ["AAH", "AAH", "FFH", "FFH"],
            ["AAH", "AAH", "AAH", "FFH"],
        ],
        Role::System => [["AAA"; 4]; 15],
    }
}

fn letter(decision: Decision) -> char {
    match decision {
        Decision::Allow => 'A',
        Decision::Deny(Denial::Forbidden) => 'F',
        Decision::Deny(Denial::Hidden) => 'H',
        Decision::Deny(Denial::NeedsCareTeamOrBreakGlass) => 'N',
    }
}

struct World {
    org: OrganizationId,
    other_org: OrganizationId,
    me: UserId,
    someone_else: UserId,
}

impl World {
    fn new() -> Self {
        Self {
            org: OrganizationId::generate(),
            other_org: OrganizationId::generate(),
            me: UserId::generate(),
            someone_else: UserId::generate(),
        }
    }

    fn principal(&self, role: Role) -> Principal {
        match role {
            Role::System => Principal::system(),
            _ => Principal::member(self.org, role, Subject::User(self.me)),
        }
    }

    /// `relation`: 0 own, 1 same organization, 2 other organization.
    fn target(&self, relation: usize) -> Target {
        let (org, person) = match relation {
            0 => (self.org, self.me),
            1 => (self.org, self.someone_else),
            _ => (self.other_org, self.someone_else),
        };
        Target::in_organization(org).about_patient(person).person(person)
    }
}

#[test]
fn every_role_resource_action_and_relation() {
    let w = World::new();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for role in [Role::Patient, Role::Provider, Role::Admin, Role::System] {
        let principal = w.principal(role);
        for (r, resource) in RESOURCES.iter().enumerate() {
            for (a, action) in ACTIONS.iter().enumerate() {
                let want: Vec<char> = expected(role)[r][a].chars().collect();
                for (relation, want) in want.into_iter().enumerate() {
                    let got = letter(decide(
                        &principal,
                        *action,
                        *resource,
                        &w.target(relation),
                        Relations::default(),
                    ));
                    checked += 1;
                    if got != want {
                        mismatches.push(format!(
                            "{role:?} {action:?} {resource:?} relation {relation}: expected {want}, got {got}"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 15 * 4 * 3);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn confidential_health_data_needs_care_team_break_glass_admin_or_the_patient() {
    let w = World::new();
    let confidential = |relation| {
        w.target(relation)
            .classified(SensitivityLevel::Confidential, AccessLevel::Organization)
    };
    let provider = w.principal(Role::Provider);
    let none = Relations::default();
    let care = Relations {
        in_care_team: true,
        break_glass: false,
    };
    let glass = Relations {
        in_care_team: false,
        break_glass: true,
    };
    for action in [Action::Read, Action::Update] {
        assert_eq!(
            letter(decide(
                &provider,
                action,
                Resource::HealthData,
                &confidential(1),
                none
            )),
            'N'
        );
        assert_eq!(
            letter(decide(
                &provider,
                action,
                Resource::HealthData,
                &confidential(1),
                care
            )),
            'A'
        );
        assert_eq!(
            letter(decide(
                &provider,
                action,
                Resource::HealthData,
                &confidential(1),
                glass
            )),
            'A'
        );
        // A grant in one organization opens nothing in another.
        assert_eq!(
            letter(decide(
                &provider,
                action,
                Resource::HealthData,
                &confidential(2),
                glass
            )),
            'H'
        );
    }
    assert_eq!(
        letter(decide(
            &w.principal(Role::Admin),
            Action::Read,
            Resource::HealthData,
            &confidential(1),
            none
        )),
        'A'
    );
    assert_eq!(
        letter(decide(
            &w.principal(Role::Patient),
            Action::Read,
            Resource::HealthData,
            &confidential(0),
            none
        )),
        'A'
    );
    assert_eq!(
        letter(decide(
            &w.principal(Role::Patient),
            Action::Read,
            Resource::HealthData,
            &confidential(1),
            none
        )),
        'H'
    );
    // SENSITIVE is not restricted beyond the organization's providers.
    let sensitive = w
        .target(1)
        .classified(SensitivityLevel::Sensitive, AccessLevel::Organization);
    assert_eq!(
        letter(decide(
            &provider,
            Action::Read,
            Resource::HealthData,
            &sensitive,
            none
        )),
        'A'
    );
}

#[test]
fn access_levels_narrow_who_among_staff_reads() {
    let w = World::new();
    let provider = w.principal(Role::Provider);
    let care_team_only = w
        .target(1)
        .classified(SensitivityLevel::Internal, AccessLevel::CareTeam);
    assert_eq!(
        letter(decide(
            &provider,
            Action::Read,
            Resource::HealthData,
            &care_team_only,
            Relations::default()
        )),
        'N'
    );
    let care = Relations {
        in_care_team: true,
        break_glass: false,
    };
    assert_eq!(
        letter(decide(
            &provider,
            Action::Read,
            Resource::HealthData,
            &care_team_only,
            care
        )),
        'A'
    );
    let patient_only = w
        .target(1)
        .classified(SensitivityLevel::Internal, AccessLevel::PatientOnly);
    assert_eq!(
        letter(decide(
            &provider,
            Action::Read,
            Resource::HealthData,
            &patient_only,
            care
        )),
        'F'
    );
    assert_eq!(
        letter(decide(
            &w.principal(Role::Admin),
            Action::Read,
            Resource::HealthData,
            &patient_only,
            Relations::default()
        )),
        'A'
    );
}

#[test]
fn an_api_key_or_platform_process_without_organization_is_only_system() {
    let w = World::new();
    // A member principal whose subject is an API key still stays in its organization.
    let key = Principal::member(w.org, Role::System, Subject::ApiKey(uuid::Uuid::now_v7()));
    assert_eq!(
        letter(decide(
            &key,
            Action::Read,
            Resource::Patient,
            &w.target(1),
            Relations::default()
        )),
        'A'
    );
    assert_eq!(
        letter(decide(
            &key,
            Action::Read,
            Resource::Patient,
            &w.target(2),
            Relations::default()
        )),
        'H'
    );
}
