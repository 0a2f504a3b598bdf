-- Issue 24 point 1: fewer b-tree entries per check-in and check-out (fewer WAL pages).
--
-- attendance_events (visit_id) served two reads: a visit's scan marks and an appeal's
-- evidence. A check-in's and a check-out's events are the visit's own
-- check_in_event_id and check_out_event_id (refused attempts name no visit), so those
-- reads now reach them through the visit's row and the primary key; only presence
-- scans, which name the visit they prove, still need an index by visit. A check-in no
-- longer writes an entry at a random place of that index (its key is the new visit's
-- random id).
DROP INDEX attendance_events_visit;
CREATE INDEX attendance_events_presence_visit ON attendance_events (visit_id)
    WHERE action = 'presence';

-- visits (status) served one read: the open visits (`status = 'open'`, the
-- scheduler's auto-close). Only open visits are indexed now: a check-out removes an
-- entry and adds none.
DROP INDEX visits_open;
CREATE INDEX visits_open ON visits (status) WHERE status = 'open';

-- Issue 24 point 2 (SQLite only): the count of changes to the facts a check-in keeps
-- in memory (sites and their fences, assignments and their terms; see
-- server/src/store/facts.rs). A copy is kept under the count it was read with, and
-- the attempt's write transaction checks the count again: a change in any process
-- sharing the file makes a stale copy cost a second judgement, never a wrong verdict.
CREATE TABLE fact_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO fact_clock (id, n) VALUES (1, 0);
CREATE TRIGGER fact_clock_organizations_insert AFTER INSERT ON organizations
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_organizations_update AFTER UPDATE ON organizations
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_organizations_delete AFTER DELETE ON organizations
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_geofence_versions_insert AFTER INSERT ON geofence_versions
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_geofence_versions_update AFTER UPDATE ON geofence_versions
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_geofence_versions_delete AFTER DELETE ON geofence_versions
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignments_insert AFTER INSERT ON assignments
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignments_update AFTER UPDATE ON assignments
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignments_delete AFTER DELETE ON assignments
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignment_terms_insert AFTER INSERT ON assignment_terms
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignment_terms_update AFTER UPDATE ON assignment_terms
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER fact_clock_assignment_terms_delete AFTER DELETE ON assignment_terms
BEGIN UPDATE fact_clock SET n = n + 1 WHERE id = 1; END;
