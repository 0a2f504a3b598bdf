-- no-transaction
-- Issue #18 point 2: anomalies about a jurisdiction rather than a physician (a report
-- filed late or not at all, raised for the level above). Existing kinds keep their
-- physician; the new kinds have none and name the jurisdiction that sees them.
-- The anomaly list scopes an anomaly by its site's jurisdiction, else by this one.
--
-- SQLite cannot drop a NOT NULL in place: the table is rebuilt as SQLite's ALTER TABLE
-- documentation prescribes (foreign keys off outside the transaction, copy, drop,
-- rename, recreate the indexes, check the keys, commit), with the same columns in the
-- same order plus the new one. anomaly_reviews refers to the table by name and so
-- refers to the rebuilt one.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE anomalies_rebuilt (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    severity          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed')),
    physician_id      TEXT REFERENCES users (id),
    site_id           TEXT,
    visit_id          TEXT,
    event_ids         TEXT NOT NULL,
    detected_at       INTEGER NOT NULL,
    detail            TEXT NOT NULL,
    jurisdiction_code TEXT REFERENCES jurisdictions (code)
);
INSERT INTO anomalies_rebuilt (id, kind, severity, status, physician_id, site_id, visit_id,
    event_ids, detected_at, detail)
    SELECT id, kind, severity, status, physician_id, site_id, visit_id, event_ids,
        detected_at, detail FROM anomalies;
DROP TABLE anomalies;
ALTER TABLE anomalies_rebuilt RENAME TO anomalies;
CREATE INDEX anomalies_visit ON anomalies (visit_id);
CREATE INDEX anomalies_physician ON anomalies (physician_id, detected_at);
CREATE INDEX anomalies_status_kind ON anomalies (status, kind);
CREATE INDEX anomalies_site ON anomalies (site_id, detected_at);
CREATE INDEX anomalies_jurisdiction ON anomalies (jurisdiction_code, detected_at);
COMMIT;
PRAGMA foreign_keys = ON;
