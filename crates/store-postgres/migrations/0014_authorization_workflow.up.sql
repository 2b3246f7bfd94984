-- The authorization workflow: the kind of service (it sets the ANS deadlines), every transition
-- with who, when and why, and the state machine and approval rules enforced by the database too.
ALTER TABLE authorizations ADD COLUMN service_type TEXT CONSTRAINT authorizations_service_type_check CHECK (service_type IN
    ('BASIC_CONSULTATION', 'SPECIALIST_CONSULTATION', 'THERAPY', 'DENTAL', 'LAB_TEST', 'DIAGNOSTIC',
     'HIGH_COMPLEXITY', 'DAY_HOSPITAL', 'ELECTIVE_HOSPITALIZATION', 'NON_CARE'));

CREATE TABLE authorization_transitions (
    id uuid NOT NULL CONSTRAINT authorization_transitions_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT authorization_transitions_organization_id_fkey REFERENCES organizations (id),
    authorization_id uuid NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor_id uuid,
    actor_role TEXT NOT NULL,
    reason_encrypted bytea,
    occurred_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT authorization_transitions_authorization_id_fkey FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id)
);
CREATE INDEX authorization_transitions_authorization_id_idx ON authorization_transitions (organization_id, authorization_id, occurred_at);
CREATE TRIGGER authorization_transitions_append_only BEFORE UPDATE OR DELETE ON authorization_transitions
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER authorization_transitions_no_truncate BEFORE TRUNCATE ON authorization_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();
ALTER TABLE authorization_transitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE authorization_transitions FORCE ROW LEVEL SECURITY;
CREATE POLICY authorization_transitions_tenant_isolation ON authorization_transitions
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));

CREATE FUNCTION austa_authorization_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Values outside the vocabulary are left to the CHECK constraint (a clearer error).
    IF OLD.status <> NEW.status
        AND NEW.status IN ('REQUESTED', 'UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'APPROVED',
                           'PARTIALLY_APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED')
        AND NOT (
        (OLD.status = 'REQUESTED' AND NEW.status IN ('UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'CANCELLED', 'EXPIRED'))
        OR (OLD.status = 'UNDER_REVIEW' AND NEW.status IN ('APPROVED', 'PARTIALLY_APPROVED', 'DENIED', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'CANCELLED', 'EXPIRED'))
        OR (OLD.status IN ('PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION') AND NEW.status IN ('UNDER_REVIEW', 'CANCELLED', 'EXPIRED'))
        OR (OLD.status IN ('APPROVED', 'PARTIALLY_APPROVED') AND NEW.status IN ('CANCELLED', 'EXPIRED'))) THEN
        RAISE EXCEPTION 'illegal authorization status transition' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status IN ('APPROVED', 'PARTIALLY_APPROVED') AND (NEW.authorization_password IS NULL OR NEW.password_valid_until IS NULL) THEN
        RAISE EXCEPTION 'an approval needs its authorization password and validity' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER authorizations_rules BEFORE UPDATE ON authorizations
    FOR EACH ROW EXECUTE FUNCTION austa_authorization_rules();
