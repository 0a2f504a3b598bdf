-- Issue #22 point 1: network evidence. Each attempt keeps the client's address (as
-- CHECKIN_TRUSTED_PROXIES resolves it), the network judgement (`kiosk_network` when
-- the scan came from the network its site's kiosk fetches codes from, `far_away` when
-- the address locates to another province, `elsewhere` otherwise) and the place the
-- operator's IP database names; `offline` records the app's own offline mark (point 6).
-- All additive: older rows keep NULL / 0.
ALTER TABLE attendance_events ADD COLUMN client_ip TEXT;
ALTER TABLE attendance_events ADD COLUMN network TEXT;
ALTER TABLE attendance_events ADD COLUMN ip_place TEXT;
ALTER TABLE attendance_events ADD COLUMN offline BOOLEAN NOT NULL DEFAULT FALSE;

-- The networks (/24 IPv4, /64 IPv6) each kiosk fetched its codes from, and when; a
-- heartbeat like kiosk_contacts, not an administrative change (not audited).
CREATE TABLE kiosk_networks (
    kiosk_id      TEXT NOT NULL REFERENCES kiosks (id),
    network       TEXT NOT NULL,
    last_ip       TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, network)
);

-- An administrator may pin a kiosk to one network: fetching from elsewhere is refused.
ALTER TABLE kiosks ADD COLUMN pinned_network TEXT;
