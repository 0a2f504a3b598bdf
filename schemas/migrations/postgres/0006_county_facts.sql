-- Figures of the provincial county statistics table (seed 003 附件) that
-- attendance data cannot know, recorded by the health bureau per county and year.
-- NULL means not recorded. A PUT replaces the row; the audit log keeps the history.
CREATE TABLE county_facts (
    jurisdiction_code                   TEXT NOT NULL REFERENCES jurisdictions (code),
    year                                BIGINT NOT NULL,
    -- 配备巡诊车辆(辆)
    circuit_vehicles                    BIGINT CHECK (circuit_vehicles >= 0),
    -- 搭建远程医疗协作网村数(个)
    telemedicine_villages               BIGINT CHECK (telemedicine_villages >= 0),
    -- 帮扶达到基本标准机构数(个)
    standard_reached_institutions       BIGINT CHECK (standard_reached_institutions >= 0),
    -- 帮扶建立县域次中心机构数(个)
    subcenter_institutions              BIGINT CHECK (subcenter_institutions >= 0),
    -- 帮扶提升公卫服务机构数(个)
    public_health_improved_institutions BIGINT CHECK (public_health_improved_institutions >= 0),
    recorded_by                         TEXT NOT NULL REFERENCES users (id),
    recorded_at                         BIGINT NOT NULL,
    PRIMARY KEY (jurisdiction_code, year)
);
CREATE INDEX county_facts_year ON county_facts (year);

