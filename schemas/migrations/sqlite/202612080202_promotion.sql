-- Issue #19 point 2: what the 考核登记表 (promotion form) needs beyond the service
-- record. Both audited.
-- Service elsewhere that counts as outreach (中站 "参加政府组织的援外、援藏、援疆等工作
-- 时间,可计算为对口支援时间"), recorded by an admin or the physician's hospital with
-- its evidence document (object external_service).
CREATE TABLE external_services (
    id               TEXT PRIMARY KEY,
    physician_id     TEXT NOT NULL REFERENCES users (id),
    kind             TEXT NOT NULL CHECK (kind IN ('aid_foreign', 'aid_xinjiang', 'aid_tibet', 'other')),
    place            TEXT NOT NULL,
    start_date       TEXT NOT NULL,
    end_date         TEXT NOT NULL,
    evidence_number  TEXT NOT NULL,
    evidence_sha256  TEXT,
    note             TEXT,
    recorded_by      TEXT NOT NULL REFERENCES users (id),
    recorded_at      INTEGER NOT NULL,
    audit_seq        INTEGER
);
CREATE INDEX external_services_physician ON external_services (physician_id, start_date);
-- The opinions on the form (受援单位意见, 派出医院意见, 卫生健康行政部门意见), one per
-- physician and signer; a new opinion replaces the last (object promotion_opinion).
CREATE TABLE promotion_opinions (
    id                 TEXT PRIMARY KEY,
    physician_id       TEXT NOT NULL REFERENCES users (id),
    signer             TEXT NOT NULL CHECK (signer IN ('clinic', 'hospital', 'bureau')),
    opinion            TEXT NOT NULL,
    organization_name  TEXT,
    signed_by          TEXT NOT NULL REFERENCES users (id),
    signed_at          INTEGER NOT NULL,
    audit_seq          INTEGER,
    UNIQUE (physician_id, signer)
);
