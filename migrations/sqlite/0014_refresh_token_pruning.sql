-- Expired refresh tokens are deleted when their subject signs in again (they grew without end):
-- this index finds a subject's tokens.
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject_id, expires_at);
