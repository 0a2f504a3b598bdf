-- A password an administrator reset (a one-time password) must be changed at the next
-- login: the login answers `must_change_password` until the user sets their own.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
