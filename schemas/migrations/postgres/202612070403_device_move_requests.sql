-- Issue #22 point 6: a physician asks to move their device binding to a new phone; a
-- hospital administrator of their hospital or a supervisor decides. Audited: each row
-- names the audit entry of its last change.
CREATE TABLE device_move_requests (
    id            TEXT PRIMARY KEY,
    physician_id  TEXT NOT NULL REFERENCES users (id),
    device_id     TEXT NOT NULL,
    note          TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at    BIGINT NOT NULL,
    decided_by    TEXT REFERENCES users (id),
    decided_at    BIGINT,
    decision_note TEXT,
    audit_seq     BIGINT NOT NULL
);
CREATE INDEX device_move_requests_physician ON device_move_requests (physician_id, created_at);
CREATE INDEX device_move_requests_status ON device_move_requests (status, created_at);
