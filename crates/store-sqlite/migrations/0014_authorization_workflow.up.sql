-- The authorization workflow: the kind of service (it sets the ANS deadlines), every transition
-- with who, when and why, and the state machine and approval rules enforced by the database too.
ALTER TABLE authorizations ADD COLUMN service_type TEXT CONSTRAINT authorizations_service_type_check CHECK (service_type IN
    ('BASIC_CONSULTATION', 'SPECIALIST_CONSULTATION', 'THERAPY', 'DENTAL', 'LAB_TEST', 'DIAGNOSTIC',
     'HIGH_COMPLEXITY', 'DAY_HOSPITAL', 'ELECTIVE_HOSPITALIZATION', 'NON_CARE'));

CREATE TABLE authorization_transitions (
    id TEXT NOT NULL CONSTRAINT authorization_transitions_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT authorization_transitions_organization_id_fkey REFERENCES organizations (id),
    authorization_id TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT NOT NULL,
    reason_encrypted BLOB,
    occurred_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT authorization_transitions_authorization_id_fkey FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id)
) STRICT;
CREATE INDEX authorization_transitions_authorization_id_idx ON authorization_transitions (organization_id, authorization_id, occurred_at);
CREATE TRIGGER authorization_transitions_no_update BEFORE UPDATE ON authorization_transitions
BEGIN SELECT RAISE(ABORT, 'authorization_transitions is append-only'); END;
CREATE TRIGGER authorization_transitions_no_delete BEFORE DELETE ON authorization_transitions
BEGIN SELECT RAISE(ABORT, 'authorization_transitions is append-only'); END;

CREATE TRIGGER authorizations_status_transition BEFORE UPDATE OF status ON authorizations
WHEN OLD.status <> NEW.status
    -- Values outside the vocabulary are left to the CHECK constraint (a clearer error).
    AND NEW.status IN ('REQUESTED', 'UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'APPROVED',
                       'PARTIALLY_APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED')
    AND NOT (
    (OLD.status = 'REQUESTED' AND NEW.status IN ('UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'CANCELLED', 'EXPIRED'))
    OR (OLD.status = 'UNDER_REVIEW' AND NEW.status IN ('APPROVED', 'PARTIALLY_APPROVED', 'DENIED', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'CANCELLED', 'EXPIRED'))
    OR (OLD.status IN ('PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION') AND NEW.status IN ('UNDER_REVIEW', 'CANCELLED', 'EXPIRED'))
    OR (OLD.status IN ('APPROVED', 'PARTIALLY_APPROVED') AND NEW.status IN ('CANCELLED', 'EXPIRED')))
BEGIN SELECT RAISE(ABORT, 'illegal authorization status transition'); END;
-- An approval carries its senha and how long it is valid.
CREATE TRIGGER authorizations_approval_password BEFORE UPDATE OF status ON authorizations
WHEN NEW.status IN ('APPROVED', 'PARTIALLY_APPROVED') AND (NEW.authorization_password IS NULL OR NEW.password_valid_until IS NULL)
BEGIN SELECT RAISE(ABORT, 'an approval needs its authorization password and validity'); END;
