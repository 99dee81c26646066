-- The reply sender claims a tenant's oldest due replies: with this index it reads them in order
-- and stops at the limit, instead of sorting every pending reply of the backlog.
CREATE INDEX outbox_claim ON outbox (cliente_id, created_at, id) WHERE state = 'pending';

-- conversation_logs_keyset (cliente_id, created_at, id) serves every query this one served; one
-- index less to maintain on the busiest insert.
DROP INDEX conversation_logs_time;

-- The first part of each answer carries its read receipt (sent just before it) instead of the
-- receipt being a row of its own: one row, one claim and one write less per answer.
ALTER TABLE outbox ADD COLUMN marks_read boolean NOT NULL DEFAULT false;

-- The sender posts a reply's payload exactly as it was checked and stored: text keeps the bytes
-- (jsonb would re-format them).
ALTER TABLE outbox ALTER COLUMN payload TYPE text USING payload::text;
