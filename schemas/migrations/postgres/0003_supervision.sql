-- Supervision: anomaly reviews, inspections (暗访 / 现场核查), presence spot-checks,
-- scheduler job claims, and the hash-chained audit log.

-- One review per anomaly; the anomaly's status mirrors it for filtering.
CREATE TABLE anomaly_reviews (
    anomaly_id  TEXT PRIMARY KEY REFERENCES anomalies (id),
    decision    TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
    note        TEXT NOT NULL,
    reviewer_id TEXT NOT NULL REFERENCES users (id),
    reviewed_at BIGINT NOT NULL
);
CREATE INDEX anomalies_status_kind ON anomalies (status, kind);
CREATE INDEX anomalies_site ON anomalies (site_id, detected_at);

CREATE TABLE inspections (
    id                    TEXT PRIMARY KEY,
    site_id               TEXT NOT NULL REFERENCES organizations (id),
    kind                  TEXT NOT NULL CHECK (kind IN ('unannounced', 'onsite')),
    observed_at           BIGINT NOT NULL,
    inspector_id          TEXT NOT NULL REFERENCES users (id),
    present_physician_ids TEXT NOT NULL,
    absent_physician_ids  TEXT NOT NULL,
    note                  TEXT NOT NULL,
    created_at            BIGINT NOT NULL
);
CREATE INDEX inspections_site ON inspections (site_id, observed_at);

CREATE TABLE presence_checks (
    id                 TEXT PRIMARY KEY,
    physician_id       TEXT NOT NULL REFERENCES users (id),
    site_id            TEXT,
    visit_id           TEXT,
    requested_by       TEXT NOT NULL REFERENCES users (id),
    requested_at       BIGINT NOT NULL,
    deadline_at        BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'missed')),
    answered_event_id  TEXT,
    resolved_at        BIGINT
);
CREATE INDEX presence_checks_pending ON presence_checks (status, deadline_at);
CREATE INDEX presence_checks_physician ON presence_checks (physician_id, status);

-- A scheduled job run is claimed by inserting its key: exactly one process wins.
CREATE TABLE job_runs (
    job        TEXT NOT NULL,
    run_key    TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (job, run_key)
);

-- Append-only: every administrative and supervisory change, each row carrying the
-- hash of the previous one.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor_id    TEXT,
    actor_role  TEXT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

-- The chain's head: locked (updated) first by every append, so appends from several
-- processes are serialised and the sequence has no gaps.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- repeated_fix looks up bit-identical reported coordinates.
CREATE INDEX attendance_events_reported_fix ON attendance_events (reported_lat, reported_lon);
