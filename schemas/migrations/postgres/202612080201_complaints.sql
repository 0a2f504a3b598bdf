-- Issue #19 point 4: complaints (患者投诉, 光山 "患者投诉") recorded against a physician
-- and the site where they served, with their handling. Audited (object complaint).
-- They feed the 考核登记表's 患者投诉 item.
CREATE TABLE complaints (
    id             TEXT PRIMARY KEY,
    physician_id   TEXT NOT NULL REFERENCES users (id),
    site_id        TEXT NOT NULL REFERENCES organizations (id),
    received_on    TEXT NOT NULL,
    channel        TEXT NOT NULL CHECK (channel IN ('phone', 'visit', 'letter', 'online', 'hotline_12345', 'other')),
    complainant    TEXT,
    content        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('received', 'handling', 'closed')),
    substantiated  TEXT NOT NULL CHECK (substantiated IN ('yes', 'no', 'undetermined')),
    handling_note  TEXT,
    recorded_by    TEXT NOT NULL REFERENCES users (id),
    recorded_at    BIGINT NOT NULL,
    handled_by     TEXT REFERENCES users (id),
    handled_at     BIGINT,
    audit_seq      BIGINT
);
CREATE INDEX complaints_physician ON complaints (physician_id, received_on);
CREATE INDEX complaints_site ON complaints (site_id, received_on);
