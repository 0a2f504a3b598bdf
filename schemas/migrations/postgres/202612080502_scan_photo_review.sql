-- Issue #22 point 5: supervisors sample scan photos (照片抽查) and review each.
-- A sample records its inputs, its seed and the photos drawn (JSON array of photo
-- ids, in drawn order), so the draw can be repeated and shown again; a review marks
-- one photo ok or suspicious (a suspicious one raises photo_suspicious, anomaly_id).
-- Both are audited (scan_photo_sample.create, scan_photo_review.create).
CREATE TABLE scan_photo_samples (
    id                TEXT PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL,
    month             TEXT NOT NULL,
    n                 BIGINT NOT NULL,
    seed              TEXT NOT NULL,
    population        BIGINT NOT NULL,
    photo_ids         TEXT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        BIGINT NOT NULL,
    audit_seq         BIGINT
);
CREATE INDEX scan_photo_samples_place ON scan_photo_samples (jurisdiction_code, month);
CREATE TABLE scan_photo_reviews (
    id          TEXT PRIMARY KEY,
    photo_id    TEXT NOT NULL UNIQUE REFERENCES scan_photos (id),
    verdict     TEXT NOT NULL CHECK (verdict IN ('ok', 'suspicious')),
    note        TEXT NOT NULL,
    reviewed_by TEXT NOT NULL REFERENCES users (id),
    reviewed_at BIGINT NOT NULL,
    anomaly_id  TEXT,
    audit_seq   BIGINT
);
