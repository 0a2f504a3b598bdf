-- Inspection plans (督查计划): the sites of a jurisdiction drawn for a quarter or a
-- year, with the seed and the candidates (site, open anomalies) the draw used, so the
-- draw can be repeated by anyone.
CREATE TABLE inspection_plans (
    id                TEXT PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    period            TEXT NOT NULL,
    year              BIGINT NOT NULL,
    quarter           BIGINT,
    sites_requested   BIGINT NOT NULL,
    seed              TEXT NOT NULL,
    candidates        TEXT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        BIGINT NOT NULL,
    audit_seq         BIGINT
);
CREATE INDEX inspection_plans_scope ON inspection_plans (jurisdiction_code, year);

CREATE TABLE inspection_plan_sites (
    plan_id        TEXT NOT NULL REFERENCES inspection_plans (id),
    site_id        TEXT NOT NULL REFERENCES organizations (id),
    draw_order     BIGINT NOT NULL,
    open_anomalies BIGINT NOT NULL,
    PRIMARY KEY (plan_id, site_id)
);
