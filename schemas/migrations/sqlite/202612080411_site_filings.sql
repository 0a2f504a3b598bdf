-- no-transaction
-- Issue #19 point 5: the receiving clinic files its own site's monthly report (丰泽's
-- circular names the receiving clinic as the filer). A filing may name a site
-- (`site_id`, an organization); NULL is a jurisdiction's own filing as before. A
-- site's filing and its county's own filing of the same month live side by side, so
-- the unique key becomes (report_kind, period, jurisdiction_code,
-- COALESCE(site_id, ''), version).
--
-- The old key is written inside CREATE TABLE, so SQLite rebuilds the table as its
-- ALTER TABLE documentation prescribes (foreign keys off outside the transaction,
-- copy, drop, rename, recreate the indexes, commit), with the same columns in the
-- same order plus the new one.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE filings_rebuilt (
    id                TEXT PRIMARY KEY,
    report_kind       TEXT NOT NULL CHECK (report_kind IN ('monthly', 'compliance', 'county_statistics')),
    period            TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    version           INTEGER NOT NULL CHECK (version >= 1),
    replaces_id       TEXT REFERENCES filings (id),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'returned', 'superseded')),
    achievements      TEXT NOT NULL,
    problems          TEXT NOT NULL,
    next_steps        TEXT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    submitted_by      TEXT REFERENCES users (id),
    submitted_at      INTEGER,
    reviewed_by       TEXT REFERENCES users (id),
    reviewed_at       INTEGER,
    review_note       TEXT,
    file_name         TEXT,
    file_bytes        BLOB,
    file_sha256       TEXT,
    figures           TEXT,
    audit_seq         INTEGER,
    site_id           TEXT REFERENCES organizations (id)
);
INSERT INTO filings_rebuilt (id, report_kind, period, jurisdiction_code, version,
    replaces_id, status, achievements, problems, next_steps, created_by, created_at,
    submitted_by, submitted_at, reviewed_by, reviewed_at, review_note, file_name,
    file_bytes, file_sha256, figures, audit_seq)
    SELECT id, report_kind, period, jurisdiction_code, version, replaces_id, status,
        achievements, problems, next_steps, created_by, created_at, submitted_by,
        submitted_at, reviewed_by, reviewed_at, review_note, file_name, file_bytes,
        file_sha256, figures, audit_seq FROM filings;
DROP TABLE filings;
ALTER TABLE filings_rebuilt RENAME TO filings;
CREATE UNIQUE INDEX filings_version_key
    ON filings (report_kind, period, jurisdiction_code, COALESCE(site_id, ''), version);
CREATE INDEX filings_jurisdiction ON filings (jurisdiction_code, period);
CREATE INDEX filings_site ON filings (site_id, period);
COMMIT;
PRAGMA foreign_keys = ON;
