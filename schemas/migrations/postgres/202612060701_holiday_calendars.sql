-- Issue #18 point 7: working days (工作日, 光山 "每月不少于4个工作日") are judged on the
-- mainland calendar: Monday to Friday, less the statutory holidays, plus the weekend
-- days made working days (调休). No maintained crate carries the official schedule
-- (chinese_holiday stops at 2024; holiday-engine estimates years not yet published), so
-- the schedule is a yearly table the admin loads (PUT /api/v1/holiday-calendars/{year})
-- when the State Council publishes it; 2026 ships here. A year without a table counts
-- Monday to Friday.
CREATE TABLE holiday_calendars (
    year      BIGINT PRIMARY KEY,
    -- JSON [{"date": "YYYY-MM-DD", "kind": "holiday"|"workday", "name": "..."}]
    days      TEXT NOT NULL,
    source    TEXT,
    loaded_by TEXT,
    loaded_at BIGINT NOT NULL,
    audit_seq BIGINT
);
INSERT INTO holiday_calendars (year, days, source, loaded_by, loaded_at, audit_seq)
VALUES (2026, '[{"date":"2026-01-01","kind":"holiday","name":"元旦"},{"date":"2026-01-02","kind":"holiday","name":"元旦"},{"date":"2026-01-03","kind":"holiday","name":"元旦"},{"date":"2026-01-04","kind":"workday","name":"元旦调休上班"},{"date":"2026-02-14","kind":"workday","name":"春节调休上班"},{"date":"2026-02-15","kind":"holiday","name":"春节"},{"date":"2026-02-16","kind":"holiday","name":"春节"},{"date":"2026-02-17","kind":"holiday","name":"春节"},{"date":"2026-02-18","kind":"holiday","name":"春节"},{"date":"2026-02-19","kind":"holiday","name":"春节"},{"date":"2026-02-20","kind":"holiday","name":"春节"},{"date":"2026-02-21","kind":"holiday","name":"春节"},{"date":"2026-02-22","kind":"holiday","name":"春节"},{"date":"2026-02-23","kind":"holiday","name":"春节"},{"date":"2026-02-28","kind":"workday","name":"春节调休上班"},{"date":"2026-04-04","kind":"holiday","name":"清明节"},{"date":"2026-04-05","kind":"holiday","name":"清明节"},{"date":"2026-04-06","kind":"holiday","name":"清明节"},{"date":"2026-05-01","kind":"holiday","name":"劳动节"},{"date":"2026-05-02","kind":"holiday","name":"劳动节"},{"date":"2026-05-03","kind":"holiday","name":"劳动节"},{"date":"2026-05-04","kind":"holiday","name":"劳动节"},{"date":"2026-05-05","kind":"holiday","name":"劳动节"},{"date":"2026-05-09","kind":"workday","name":"劳动节调休上班"},{"date":"2026-06-19","kind":"holiday","name":"端午节"},{"date":"2026-06-20","kind":"holiday","name":"端午节"},{"date":"2026-06-21","kind":"holiday","name":"端午节"},{"date":"2026-09-20","kind":"workday","name":"国庆节调休上班"},{"date":"2026-09-25","kind":"holiday","name":"中秋节"},{"date":"2026-09-26","kind":"holiday","name":"中秋节"},{"date":"2026-09-27","kind":"holiday","name":"中秋节"},{"date":"2026-10-01","kind":"holiday","name":"国庆节"},{"date":"2026-10-02","kind":"holiday","name":"国庆节"},{"date":"2026-10-03","kind":"holiday","name":"国庆节"},{"date":"2026-10-04","kind":"holiday","name":"国庆节"},{"date":"2026-10-05","kind":"holiday","name":"国庆节"},{"date":"2026-10-06","kind":"holiday","name":"国庆节"},{"date":"2026-10-07","kind":"holiday","name":"国庆节"},{"date":"2026-10-10","kind":"workday","name":"国庆节调休上班"}]', '国务院办公厅关于2026年部分节假日安排的通知', NULL, 0, 0);
