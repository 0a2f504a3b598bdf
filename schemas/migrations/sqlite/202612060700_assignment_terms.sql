-- Issue #18 point 6: an assignment's terms change over time (dates, daily window,
-- mode; ended early; transferred), and its past terms still judge its past visits.
-- The assignments row holds the terms in force from `terms_from` on (the newest
-- version); every version it replaced is kept in assignment_terms with the dates it
-- judged. A check-in reads both in one indexed lookup (assignments_physician_site,
-- then assignment_terms' primary key).
-- Existing rows are version 1, in force from the beginning, by their creation.
ALTER TABLE assignments ADD COLUMN terms_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE assignments ADD COLUMN terms_from TEXT NOT NULL DEFAULT '0001-01-01';
ALTER TABLE assignments ADD COLUMN terms_action TEXT NOT NULL DEFAULT 'create';
ALTER TABLE assignments ADD COLUMN terms_reason TEXT;
ALTER TABLE assignments ADD COLUMN terms_by TEXT;
ALTER TABLE assignments ADD COLUMN terms_at INTEGER;
-- The other side of a transfer: on the new assignment the one it came from, on the
-- old one (once transferred) the one it went to.
ALTER TABLE assignments ADD COLUMN transfer_id TEXT;

CREATE TABLE assignment_terms (
    assignment_id  TEXT NOT NULL REFERENCES assignments (id),
    version        INTEGER NOT NULL,
    -- The local dates this version judged: effective_from..=effective_to.
    effective_from TEXT NOT NULL,
    effective_to   TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('circuit', 'dispatch')),
    start_date     TEXT NOT NULL,
    end_date       TEXT NOT NULL,
    window_start   TEXT NOT NULL,
    window_end     TEXT NOT NULL,
    action         TEXT NOT NULL,
    reason         TEXT,
    changed_by     TEXT,
    changed_at     INTEGER NOT NULL,
    transfer_id    TEXT,
    PRIMARY KEY (assignment_id, version)
);
