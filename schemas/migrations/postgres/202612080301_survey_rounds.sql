-- Satisfaction surveys (满意度测评): a round per period and scope, the people served
-- that receiving clinics register (name and phone sealed with the PII key; masked
-- copies for lists; a keyed hash of the phone against duplicates), the sample drawn
-- from a recorded seed, and every call attempt. Names and phones are erased
-- (NULLed, masks overwritten) once a closed round's retention has passed.
CREATE TABLE survey_rounds (
    id                TEXT PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    program_id        TEXT REFERENCES programs (id),
    period            TEXT NOT NULL,
    period_from       TEXT NOT NULL,
    period_to         TEXT NOT NULL,
    sample_size       BIGINT NOT NULL,
    status            TEXT NOT NULL,
    seed              TEXT,
    drawn_at          BIGINT,
    closed_at         BIGINT,
    erase_after       BIGINT,
    erased_at         BIGINT,
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        BIGINT NOT NULL,
    audit_seq         BIGINT
);
CREATE INDEX survey_rounds_scope ON survey_rounds (jurisdiction_code, period_from);
CREATE INDEX survey_rounds_erase ON survey_rounds (erase_after);

CREATE TABLE survey_people (
    id            TEXT PRIMARY KEY,
    round_id      TEXT NOT NULL REFERENCES survey_rounds (id),
    name_sealed   TEXT,
    phone_sealed  TEXT,
    phone_hash    TEXT,
    name_masked   TEXT NOT NULL,
    phone_masked  TEXT NOT NULL,
    service_date  TEXT NOT NULL,
    site_id       TEXT NOT NULL REFERENCES organizations (id),
    physician_id  TEXT NOT NULL REFERENCES users (id),
    registered_by TEXT NOT NULL REFERENCES users (id),
    registered_at BIGINT NOT NULL,
    draw_order    BIGINT,
    attempts      BIGINT NOT NULL,
    reached       BIGINT,
    rating        TEXT,
    note          TEXT,
    last_called_at BIGINT,
    audit_seq     BIGINT
);
CREATE UNIQUE INDEX survey_people_phone ON survey_people (round_id, phone_hash);
CREATE INDEX survey_people_round ON survey_people (round_id, site_id);
CREATE INDEX survey_people_physician ON survey_people (physician_id, service_date);

CREATE TABLE survey_calls (
    id        TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES survey_people (id),
    round_id  TEXT NOT NULL REFERENCES survey_rounds (id),
    attempt   BIGINT NOT NULL,
    reached   BIGINT NOT NULL,
    rating    TEXT,
    note      TEXT,
    called_by TEXT NOT NULL REFERENCES users (id),
    called_at BIGINT NOT NULL,
    audit_seq BIGINT
);
CREATE INDEX survey_calls_person ON survey_calls (person_id, attempt);
