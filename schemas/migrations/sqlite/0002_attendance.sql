-- Attendance: every check-in/check-out attempt (kept forever), code uses, visits,
-- bound devices, anomalies.

CREATE TABLE devices (
    physician_id TEXT PRIMARY KEY REFERENCES users (id),
    device_id    TEXT NOT NULL,
    bound_at     INTEGER NOT NULL
);

CREATE TABLE attendance_events (
    id                  TEXT PRIMARY KEY,
    client_event_id     TEXT NOT NULL,
    physician_id        TEXT NOT NULL REFERENCES users (id),
    action              TEXT NOT NULL CHECK (action IN ('check_in', 'check_out', 'presence')),
    -- from the QR payload, when it parsed; not a reference: a forged code names anything
    site_id             TEXT,
    assignment_id       TEXT,
    visit_id            TEXT,
    code_kind           TEXT,
    code_step           INTEGER,
    device_id           TEXT NOT NULL,
    -- the fix in WGS-84, and as reported
    lat                 REAL NOT NULL,
    lon                 REAL NOT NULL,
    reported_lat        REAL NOT NULL,
    reported_lon        REAL NOT NULL,
    crs                 TEXT NOT NULL,
    accuracy_m          REAL NOT NULL,
    is_mock             BOOLEAN NOT NULL,
    fix_time            INTEGER,
    scanned_at          INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    verdict             TEXT NOT NULL CHECK (verdict IN ('accepted', 'flagged', 'refused')),
    refusal_code        TEXT,
    reasons             TEXT NOT NULL,
    distance_to_fence_m REAL,
    geofence_version    INTEGER,
    -- the answer given, returned again to a retry with the same client_event_id
    response_status     INTEGER NOT NULL,
    response_body       TEXT NOT NULL,
    UNIQUE (physician_id, client_event_id)
);
CREATE INDEX attendance_events_physician_scan ON attendance_events (physician_id, scanned_at);
CREATE INDEX attendance_events_code ON attendance_events (site_id, code_kind, code_step);

-- One use of a kiosk code by one physician. Rotating codes: once per physician;
-- daily (printed) codes: once per physician and action.
CREATE TABLE code_uses (
    site_id      TEXT NOT NULL,
    code_kind    TEXT NOT NULL,
    code_step    INTEGER NOT NULL,
    physician_id TEXT NOT NULL,
    use_slot     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    PRIMARY KEY (site_id, code_kind, code_step, physician_id, use_slot)
);

CREATE TABLE visits (
    id                 TEXT PRIMARY KEY,
    physician_id       TEXT NOT NULL REFERENCES users (id),
    site_id            TEXT NOT NULL REFERENCES organizations (id),
    assignment_id      TEXT NOT NULL REFERENCES assignments (id),
    local_date         TEXT NOT NULL,
    check_in_event_id  TEXT NOT NULL,
    checked_in_at      INTEGER NOT NULL,
    check_out_event_id TEXT,
    checked_out_at     INTEGER,
    status             TEXT NOT NULL CHECK (status IN ('open', 'closed', 'auto_closed')),
    closed_at          INTEGER,
    -- the physician's id while the visit is open, NULL after: at most one open visit each
    open_physician     TEXT UNIQUE
);
CREATE INDEX visits_physician_date ON visits (physician_id, local_date);
CREATE INDEX visits_open ON visits (status);

CREATE TABLE anomalies (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed')),
    physician_id TEXT NOT NULL REFERENCES users (id),
    site_id      TEXT,
    visit_id     TEXT,
    event_ids    TEXT NOT NULL,
    detected_at  INTEGER NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX anomalies_visit ON anomalies (visit_id);
CREATE INDEX anomalies_physician ON anomalies (physician_id, detected_at);
