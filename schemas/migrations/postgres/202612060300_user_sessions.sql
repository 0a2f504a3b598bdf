-- Accounts that can be switched off, and sessions that can be ended at once.
-- deactivated_at: NULL while the account may log in; set when an administrator
-- deactivates it (the person's history stays and still counts in reports).
-- session_version: every access token carries the version it was issued under;
-- bumping it (deactivation, logout) makes every earlier access token refused.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE users ADD COLUMN session_version BIGINT NOT NULL DEFAULT 0;
-- Deactivation revokes every refresh token of one user.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
