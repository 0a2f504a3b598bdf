-- Workload logged on visits (activity logs), and personnel-table imports.

-- One record of work on a visit. Never edited: an amendment is a new record of
-- the same visit and kind that names the one it supersedes; reports count the
-- newest record per (visit, kind).
CREATE TABLE activities (
    id            TEXT PRIMARY KEY,
    visit_id      TEXT NOT NULL REFERENCES visits (id),
    physician_id  TEXT NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    count         INTEGER NOT NULL CHECK (count >= 0),
    note          TEXT,
    supersedes_id TEXT REFERENCES activities (id),
    recorded_at   INTEGER NOT NULL
);
CREATE INDEX activities_visit ON activities (visit_id, kind, recorded_at);
CREATE INDEX activities_physician ON activities (physician_id, recorded_at);
CREATE INDEX activities_supersedes ON activities (supersedes_id);

-- A personnel table (支援人员安排情况表) that was imported, by content digest,
-- so that importing the same file again changes nothing.
CREATE TABLE assignment_imports (
    id          TEXT PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    filename    TEXT,
    imported_by TEXT NOT NULL REFERENCES users (id),
    imported_at INTEGER NOT NULL,
    row_count   INTEGER NOT NULL,
    result      TEXT NOT NULL
);

-- Reports read visits by site and date.
CREATE INDEX visits_site_date ON visits (site_id, local_date);
CREATE INDEX visits_date ON visits (local_date);
