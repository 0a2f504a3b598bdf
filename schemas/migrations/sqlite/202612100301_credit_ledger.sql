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
    has_day           INTEGER NOT NULL,
    credited_minutes  INTEGER NOT NULL,
    pending_minutes   INTEGER NOT NULL,
    denied_minutes    INTEGER NOT NULL,
    credit_half_days  INTEGER NOT NULL,
    qualifying_visits INTEGER NOT NULL,
    logged            INTEGER NOT NULL,
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
CREATE TRIGGER credit_ledger_visits_insert AFTER INSERT ON visits
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (NEW.assignment_id, NEW.local_date),
               (NEW.assignment_id, date(NEW.local_date, '+1 day'));
END;
CREATE TRIGGER credit_ledger_visits_update AFTER UPDATE OF site_id, assignment_id, local_date,
    checked_in_at, checked_out_at, status ON visits
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.assignment_id, OLD.local_date),
               (OLD.assignment_id, date(OLD.local_date, '+1 day')),
               (NEW.assignment_id, NEW.local_date),
               (NEW.assignment_id, date(NEW.local_date, '+1 day'));
END;
CREATE TRIGGER credit_ledger_visits_delete AFTER DELETE ON visits
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.assignment_id, OLD.local_date),
               (OLD.assignment_id, date(OLD.local_date, '+1 day'));
END;

-- An anomaly or an activity record changes its visit's credit state or workload.
CREATE TRIGGER credit_ledger_anomalies_insert AFTER INSERT ON anomalies
WHEN NEW.visit_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id = NEW.visit_id
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v WHERE v.id = NEW.visit_id;
END;
CREATE TRIGGER credit_ledger_anomalies_update AFTER UPDATE OF visit_id, kind, status ON anomalies
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id IN (OLD.visit_id, NEW.visit_id)
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v
            WHERE v.id IN (OLD.visit_id, NEW.visit_id);
END;
CREATE TRIGGER credit_ledger_anomalies_delete AFTER DELETE ON anomalies
WHEN OLD.visit_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id = OLD.visit_id
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v WHERE v.id = OLD.visit_id;
END;
CREATE TRIGGER credit_ledger_activities_insert AFTER INSERT ON activities
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id = NEW.visit_id
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v WHERE v.id = NEW.visit_id;
END;
CREATE TRIGGER credit_ledger_activities_update AFTER UPDATE ON activities
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id IN (OLD.visit_id, NEW.visit_id)
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v
            WHERE v.id IN (OLD.visit_id, NEW.visit_id);
END;
CREATE TRIGGER credit_ledger_activities_delete AFTER DELETE ON activities
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT v.assignment_id, v.local_date FROM visits v WHERE v.id = OLD.visit_id
        UNION ALL
        SELECT v.assignment_id, date(v.local_date, '+1 day') FROM visits v WHERE v.id = OLD.visit_id;
END;

-- What every day of an assignment depends on: its terms (the window a granted
-- check-out ends at), its site's time zone, its programme's thresholds.
CREATE TRIGGER credit_ledger_assignments_update AFTER UPDATE OF site_id, program_id, mode,
    start_date, end_date, window_start, window_end, terms_version, terms_from ON assignments
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.id, ''), (NEW.id, '');
END;
CREATE TRIGGER credit_ledger_assignment_terms_insert AFTER INSERT ON assignment_terms
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (NEW.assignment_id, '');
END;
CREATE TRIGGER credit_ledger_assignment_terms_update AFTER UPDATE ON assignment_terms
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.assignment_id, ''), (NEW.assignment_id, '');
END;
CREATE TRIGGER credit_ledger_assignment_terms_delete AFTER DELETE ON assignment_terms
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        VALUES (OLD.assignment_id, '');
END;
CREATE TRIGGER credit_ledger_organizations_timezone AFTER UPDATE OF timezone ON organizations
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT a.id, '' FROM assignments a WHERE a.site_id = NEW.id;
END;
CREATE TRIGGER credit_ledger_programs_thresholds AFTER UPDATE OF half_day_minutes,
    full_day_minutes ON programs
BEGIN
    INSERT OR IGNORE INTO credit_ledger_stale (assignment_id, local_date)
        SELECT a.id, '' FROM assignments a WHERE a.program_id = NEW.id;
END;
