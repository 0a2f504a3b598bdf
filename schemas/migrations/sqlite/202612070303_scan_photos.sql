-- Issue #22 point 5: a photo taken at scan time. A programme says whether it is asked
-- for (scan_photo: off | optional | required); the physician uploads it within 30
-- minutes of the scan (PUT /api/v1/attendance/events/{event_id}/photo). Stored with
-- its SHA-256, which the audit entry (object scan_photo) records.
ALTER TABLE programs ADD COLUMN scan_photo TEXT NOT NULL DEFAULT 'off';
CREATE TABLE scan_photos (
    id           TEXT PRIMARY KEY REFERENCES attendance_events (id),
    physician_id TEXT NOT NULL REFERENCES users (id),
    visit_id     TEXT,
    site_id      TEXT,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    data         BLOB NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    audit_seq    INTEGER
);
CREATE INDEX scan_photos_visit ON scan_photos (visit_id);
