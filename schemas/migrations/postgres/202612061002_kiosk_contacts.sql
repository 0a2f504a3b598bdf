-- When each kiosk last fetched its code, written at most once a minute per kiosk and
-- process. Apart from `kiosks` (an audited table): a screen's heartbeat is not an
-- administrative change.
CREATE TABLE kiosk_contacts (
    kiosk_id     TEXT PRIMARY KEY REFERENCES kiosks (id),
    last_seen_at BIGINT NOT NULL
);
