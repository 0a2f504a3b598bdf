-- Issue #25 point 6: the scheduler judges requirement periods from a watermark per
-- job (the instant through which everything due was judged) instead of looking back
-- 400 days at every tick; the assignments recorded or changed since the watermark
-- are looked at in full, read through the two indexes below.
CREATE TABLE job_watermarks (
    job            TEXT PRIMARY KEY,
    judged_through INTEGER NOT NULL
);
CREATE INDEX assignments_created_at ON assignments (created_at);
CREATE INDEX assignments_terms_at ON assignments (terms_at);
