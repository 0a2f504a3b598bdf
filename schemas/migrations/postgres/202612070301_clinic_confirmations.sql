-- Issue #19 point 5 (受援单位日常考核): the receiving clinic confirms or disputes each
-- visit at its site, once. A dispute raises a `clinic_disputed` anomaly (anomaly_id);
-- a confirmation counts as evidence in the review. Audited (object clinic_confirmation).
CREATE TABLE clinic_confirmations (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL UNIQUE REFERENCES visits (id),
    site_id      TEXT NOT NULL REFERENCES organizations (id),
    verdict      TEXT NOT NULL CHECK (verdict IN ('confirmed', 'disputed')),
    reason       TEXT NOT NULL,
    confirmed_by TEXT NOT NULL REFERENCES users (id),
    confirmed_at BIGINT NOT NULL,
    anomaly_id   TEXT,
    audit_seq    BIGINT
);
CREATE INDEX clinic_confirmations_site ON clinic_confirmations (site_id, confirmed_at);
