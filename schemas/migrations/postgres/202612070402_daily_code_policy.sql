-- Issue #22 point 2: what a printed daily code meets at a site whose kiosk is active
-- (fetched its code within CHECKIN_KIOSK_ACTIVE_MINUTES): `flag` (accepted with
-- `daily_code_live_kiosk`; NULL reads as flag) or `refuse` (`rotating_code_required`).
ALTER TABLE organizations ADD COLUMN daily_code_policy TEXT;
