-- Issue 25 point 2: the per-day credit ledger (server/src/service/ledger.rs).
--
-- credit_ledger holds, per assignment and local day, what the compliance report
-- needs from the raw events: the day's credit over every visit (activity = ''), and
-- for each activity kind logged on a visit of the day the credit over only the
-- visits it was logged on plus the count of it logged on the day's creditable visits
-- (by the visit's local date). has_day = 0 when the row only carries a count.
CREATE TABLE credit_ledger (
    assignment_id     TEXT NOT NULL,
    local_date        TEXT NOT NULL,
    activity          TEXT NOT NULL,
    has_day           BIGINT NOT NULL,
    credited_minutes  BIGINT NOT NULL,
    pending_minutes   BIGINT NOT NULL,
    denied_minutes    BIGINT NOT NULL,
    credit_half_days  BIGINT NOT NULL,
    qualifying_visits BIGINT NOT NULL,
    logged            BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, local_date, activity)
);

-- The (assignment, local day) whose ledger rows may disagree with the events; ''
-- for every day of the assignment. Written by the triggers below in the same
-- transaction as the change, so no code path can forget it; a ledger row counts only
-- while no mark covers it (the report reads the events for the marked assignments,
-- the scheduler recomputes the marked days and removes the marks).
CREATE TABLE credit_ledger_stale (
    assignment_id TEXT NOT NULL,
    local_date    TEXT NOT NULL,
    PRIMARY KEY (assignment_id, local_date)
);

-- Nothing is in the ledger yet: every assignment is to be computed.
INSERT INTO credit_ledger_stale (assignment_id, local_date) SELECT id, '' FROM assignments;

-- A visit credits its local day and, split at midnight, the next one.
CREATE FUNCTION credit_ledger_mark_visit_day(p_assignment TEXT, p_day TEXT) RETURNS void AS $$
BEGIN
    INSERT INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (p_assignment, p_day),
               (p_assignment, to_char(p_day::date + 1, 'YYYY-MM-DD'))
        ON CONFLICT DO NOTHING;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION credit_ledger_mark_visit(p_visit TEXT) RETURNS void AS $$
DECLARE
    v RECORD;
BEGIN
    IF p_visit IS NULL THEN
        RETURN;
    END IF;
    SELECT assignment_id, local_date INTO v FROM visits WHERE id = p_visit;
    IF FOUND THEN
        PERFORM credit_ledger_mark_visit_day(v.assignment_id, v.local_date);
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION credit_ledger_visits() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM credit_ledger_mark_visit_day(OLD.assignment_id, OLD.local_date);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM credit_ledger_mark_visit_day(NEW.assignment_id, NEW.local_date);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_visits_insert AFTER INSERT OR DELETE ON visits
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_visits();
CREATE TRIGGER credit_ledger_visits_update AFTER UPDATE OF site_id, assignment_id, local_date,
    checked_in_at, checked_out_at, status ON visits
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_visits();

-- An anomaly or an activity record changes its visit's credit state or workload.
CREATE FUNCTION credit_ledger_visit_child() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM credit_ledger_mark_visit(OLD.visit_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM credit_ledger_mark_visit(NEW.visit_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_anomalies_insert AFTER INSERT OR DELETE ON anomalies
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_visit_child();
CREATE TRIGGER credit_ledger_anomalies_update AFTER UPDATE OF visit_id, kind, status ON anomalies
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_visit_child();
CREATE TRIGGER credit_ledger_activities AFTER INSERT OR UPDATE OR DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_visit_child();

-- What every day of an assignment depends on: its terms (the window a granted
-- check-out ends at), its site's time zone, its programme's thresholds.
CREATE FUNCTION credit_ledger_assignment() RETURNS trigger AS $$
BEGIN
    INSERT INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.id, ''), (NEW.id, '') ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_assignments_update AFTER UPDATE OF site_id, program_id, mode,
    start_date, end_date, window_start, window_end, terms_version, terms_from ON assignments
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_assignment();

CREATE FUNCTION credit_ledger_assignment_terms() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO credit_ledger_stale (assignment_id, local_date)
            VALUES (OLD.assignment_id, '') ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO credit_ledger_stale (assignment_id, local_date)
            VALUES (NEW.assignment_id, '') ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_assignment_terms AFTER INSERT OR UPDATE OR DELETE ON assignment_terms
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_assignment_terms();

CREATE FUNCTION credit_ledger_site_timezone() RETURNS trigger AS $$
BEGIN
    INSERT INTO credit_ledger_stale (assignment_id, local_date)
        SELECT a.id, '' FROM assignments a WHERE a.site_id = NEW.id ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_organizations_timezone AFTER UPDATE OF timezone ON organizations
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_site_timezone();

CREATE FUNCTION credit_ledger_program_thresholds() RETURNS trigger AS $$
BEGIN
    INSERT INTO credit_ledger_stale (assignment_id, local_date)
        SELECT a.id, '' FROM assignments a WHERE a.program_id = NEW.id ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_programs_thresholds AFTER UPDATE OF half_day_minutes,
    full_day_minutes ON programs
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_program_thresholds();
