-- Issue #22 point 6: a physician may move their binding to the phone they use
-- themselves, at most once per CHECKIN_DEVICE_SELF_MOVE_DAYS. Such a move is stored as
-- a request granted at once (status 'approved', decided by the physician) with
-- self_service = 1, so the period is counted from the last self-service move.
ALTER TABLE device_move_requests ADD COLUMN self_service BIGINT NOT NULL DEFAULT 0;
