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

-- (SQLite's migration of the same version also adds `fact_clock` and its triggers:
-- the check-in's facts are kept in memory on SQLite only; on PostgreSQL they are read.)
