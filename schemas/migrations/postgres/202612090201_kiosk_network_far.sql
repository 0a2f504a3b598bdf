-- Issue #22 point 1: a kiosk network the IP database places in another province than
-- the kiosk's site (a leaked link opened far away) is kept apart: it never counts as
-- the kiosk's own network for presence evidence unless the kiosk is pinned to it.
ALTER TABLE kiosk_networks ADD COLUMN far_away BIGINT NOT NULL DEFAULT 0;
