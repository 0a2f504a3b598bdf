-- Issue #19 point 1: who may be sent (派出人员资格).
-- A physician's year of starting practice (years of service count from it) and
-- discipline (类别: clinical, tcm, nursing, public_health, pharmacy, technician).
ALTER TABLE users ADD COLUMN practice_since_year BIGINT;
ALTER TABLE users ADD COLUMN discipline TEXT;
-- A programme's rules on who may be sent and how a team is made up (JSON; NULL: anyone).
ALTER TABLE programs ADD COLUMN eligibility TEXT;
-- An assignment an administrator made although the programme's rules refused it
-- (破格派出): the written reason and the rules it overrode (JSON). Written in the
-- assignment's own transaction, under its audit entry.
CREATE TABLE assignment_eligibility_overrides (
    assignment_id TEXT PRIMARY KEY REFERENCES assignments (id),
    reason        TEXT NOT NULL,
    rules         TEXT NOT NULL,
    overridden_by TEXT NOT NULL REFERENCES users (id),
    created_at    BIGINT NOT NULL
);
