-- Issue #18 points 1-2: the circulars' reporting duties (报表报送) and the reports
-- filed under them. An obligation says which report a jurisdiction (optionally for
-- one programme) files for which periods, to whom and by when; it is created from a
-- circular's template and may be edited. A filing is one version of one report for
-- one period and jurisdiction: a draft, then submitted with its narrative and a
-- frozen copy of the report (the XLSX bytes, their SHA-256 and the figures as JSON),
-- then accepted or returned by the level above. An amendment is a new version
-- naming the one it replaces; filed bytes are never updated.
CREATE TABLE filing_obligations (
    id                TEXT PRIMARY KEY,
    template          TEXT NOT NULL,
    name              TEXT NOT NULL,
    report_kind       TEXT NOT NULL CHECK (report_kind IN ('monthly', 'compliance', 'county_statistics')),
    period_type       TEXT NOT NULL CHECK (period_type IN ('month', 'quarter', 'half_year', 'year')),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    program_id        TEXT REFERENCES programs (id),
    filer             TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    due_months_after  INTEGER NOT NULL CHECK (due_months_after >= 0),
    due_day           INTEGER NOT NULL CHECK (due_day BETWEEN 1 AND 31),
    active            INTEGER NOT NULL CHECK (active IN (0, 1)),
    starts_on         TEXT NOT NULL,
    created_by        TEXT REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    audit_seq         INTEGER
);
CREATE INDEX filing_obligations_jurisdiction ON filing_obligations (jurisdiction_code);

CREATE TABLE filings (
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
    UNIQUE (report_kind, period, jurisdiction_code, version)
);
CREATE INDEX filings_jurisdiction ON filings (jurisdiction_code, period);
