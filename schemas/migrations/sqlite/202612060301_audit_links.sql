-- Issue #15: every row of an audited table names the audit entry of the change that
-- last wrote it, written in the same transaction as the row, so `server audit verify`
-- can find a change whose entry is missing.
-- Rows older than this migration link to the newest entry naming them, or to 0 when
-- none does: rows the server seeded itself, users and assignments created by an
-- import (its entry names the import), and changes whose entry was already lost. The
-- server writes 0 only for its own seed rows. There is no default on purpose: a row
-- inserted without a link holds NULL, and verify reports it.
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);

ALTER TABLE jurisdictions ADD COLUMN audit_seq INTEGER;
UPDATE jurisdictions SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'jurisdiction' AND a.object_id = jurisdictions.code), 0);
ALTER TABLE organizations ADD COLUMN audit_seq INTEGER;
UPDATE organizations SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'organization' AND a.object_id = organizations.id), 0);
ALTER TABLE programs ADD COLUMN audit_seq INTEGER;
UPDATE programs SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'program' AND a.object_id = programs.id), 0);
ALTER TABLE assignments ADD COLUMN audit_seq INTEGER;
UPDATE assignments SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'assignment' AND a.object_id = assignments.id), 0);
ALTER TABLE users ADD COLUMN audit_seq INTEGER;
UPDATE users SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'user' AND a.object_id = users.id), 0);
ALTER TABLE kiosks ADD COLUMN audit_seq INTEGER;
UPDATE kiosks SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'kiosk' AND a.object_id = kiosks.id), 0);
ALTER TABLE inspections ADD COLUMN audit_seq INTEGER;
UPDATE inspections SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'inspection' AND a.object_id = inspections.id), 0);
ALTER TABLE presence_checks ADD COLUMN audit_seq INTEGER;
UPDATE presence_checks SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'presence_check' AND a.object_id = presence_checks.id), 0);
ALTER TABLE anomaly_reviews ADD COLUMN audit_seq INTEGER;
UPDATE anomaly_reviews SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'anomaly' AND a.object_id = anomaly_reviews.anomaly_id), 0);
ALTER TABLE county_facts ADD COLUMN audit_seq INTEGER;
UPDATE county_facts SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'county_facts' AND a.object_id = county_facts.jurisdiction_code || '/' || CAST(county_facts.year AS TEXT)), 0);
ALTER TABLE assignment_imports ADD COLUMN audit_seq INTEGER;
UPDATE assignment_imports SET audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a
    WHERE a.object_type = 'assignment_import' AND a.object_id = assignment_imports.id), 0);
