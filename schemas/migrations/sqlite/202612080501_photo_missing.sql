-- Issue #22 point 5: a programme that requires a scan photo raises `photo_missing` for
-- a check-in whose photo did not arrive within the upload window. Only check-ins
-- received since the programme began requiring it are judged (scan_photo_since, set
-- when scan_photo changes; NULL: since ever). The scheduler looks at recent check-ins
-- only, by when they were made.
ALTER TABLE programs ADD COLUMN scan_photo_since INTEGER;
CREATE INDEX visits_checked_in ON visits (checked_in_at);
