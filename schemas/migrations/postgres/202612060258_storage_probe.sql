-- One row that readiness rewrites while the storage is reported failing (a full
-- disk), to learn whether writes are stored again: a read succeeds on a full disk.
CREATE TABLE storage_probe (
    id        INTEGER PRIMARY KEY,
    probed_at BIGINT NOT NULL
);
