-- Issue #19 point 7: a physician's appeal (申诉) on one of their visits, and the
-- supervisor's decision (upheld / rejected, with a note). Audited (object appeal):
-- the filing by the physician, then the decision.
CREATE TABLE appeals (
    id            TEXT PRIMARY KEY,
    visit_id      TEXT NOT NULL REFERENCES visits (id),
    physician_id  TEXT NOT NULL REFERENCES users (id),
    site_id       TEXT NOT NULL REFERENCES organizations (id),
    note          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'upheld', 'rejected')),
    created_at    INTEGER NOT NULL,
    decided_by    TEXT REFERENCES users (id),
    decided_at    INTEGER,
    decision_note TEXT,
    audit_seq     INTEGER
);
CREATE INDEX appeals_visit ON appeals (visit_id);
CREATE INDEX appeals_status ON appeals (status, created_at);
