-- Foundation: secrets, jurisdictions, organizations with versioned geofences,
-- users, refresh tokens, programs, assignments, kiosks.
-- Portable types: UUIDs as TEXT, instants as BIGINT Unix ms (UTC), local dates as TEXT.

CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent_code TEXT REFERENCES jurisdictions (code),
    -- codes from the root down, joined by '/': subtree = path or path || '/%'
    path        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE organizations (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    timezone          TEXT NOT NULL,
    max_accuracy_m    DOUBLE PRECISION,
    kiosk_secret      TEXT NOT NULL,
    geofence_version  BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX organizations_jurisdiction ON organizations (jurisdiction_code);

CREATE TABLE geofence_versions (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version         BIGINT NOT NULL,
    geometry        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT,
    PRIMARY KEY (organization_id, version)
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    role              TEXT NOT NULL,
    name              TEXT NOT NULL,
    phone             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    organization_id   TEXT REFERENCES organizations (id),
    jurisdiction_code TEXT REFERENCES jurisdictions (code),
    title             TEXT,
    specialty         TEXT,
    gender            TEXT,
    -- bumped inside every attendance transaction to serialise one physician's writes
    attendance_seq    BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE programs (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    half_day_minutes  BIGINT NOT NULL,
    full_day_minutes  BIGINT NOT NULL,
    requirements      TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);

CREATE TABLE assignments (
    id           TEXT PRIMARY KEY,
    physician_id TEXT NOT NULL REFERENCES users (id),
    site_id      TEXT NOT NULL REFERENCES organizations (id),
    program_id   TEXT NOT NULL REFERENCES programs (id),
    mode         TEXT NOT NULL CHECK (mode IN ('circuit', 'dispatch')),
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX assignments_physician_site ON assignments (physician_id, site_id);
CREATE INDEX assignments_site ON assignments (site_id);

CREATE TABLE kiosks (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES organizations (id),
    label      TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
