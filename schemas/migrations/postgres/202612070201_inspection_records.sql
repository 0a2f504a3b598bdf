-- Inspections that hold up: the inspector's own GPS fix and its distance from the
-- site's fence, the follow-up (整改) of what was found, and photos kept with their
-- SHA-256 (each upload is an audited write whose entry carries the hash).
ALTER TABLE inspections ADD COLUMN fix_lat DOUBLE PRECISION;
ALTER TABLE inspections ADD COLUMN fix_lon DOUBLE PRECISION;
ALTER TABLE inspections ADD COLUMN fix_accuracy_m DOUBLE PRECISION;
ALTER TABLE inspections ADD COLUMN fix_at BIGINT;
ALTER TABLE inspections ADD COLUMN fix_distance_m DOUBLE PRECISION;
ALTER TABLE inspections ADD COLUMN follow_up_status TEXT CHECK (follow_up_status IN ('open', 'closed'));
ALTER TABLE inspections ADD COLUMN follow_up_action TEXT;
ALTER TABLE inspections ADD COLUMN follow_up_note TEXT;
ALTER TABLE inspections ADD COLUMN follow_up_at BIGINT;
ALTER TABLE inspections ADD COLUMN follow_up_by TEXT REFERENCES users (id);
CREATE INDEX inspections_observed ON inspections (observed_at, id);

CREATE TABLE inspection_photos (
    id            TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    data          BYTEA NOT NULL,
    uploaded_by   TEXT NOT NULL REFERENCES users (id),
    uploaded_at   BIGINT NOT NULL,
    audit_seq     BIGINT
);
CREATE INDEX inspection_photos_inspection ON inspection_photos (inspection_id, uploaded_at);
