-- The reply sender claims a tenant's oldest due replies: with this index it reads them in order
-- and stops at the limit, instead of sorting every pending reply of the backlog.
CREATE INDEX outbox_claim ON outbox (cliente_id, created_at, id) WHERE state = 'pending';

-- conversation_logs_keyset (cliente_id, created_at, id) serves every query this one served; one
-- index less to maintain on the busiest insert.
DROP INDEX conversation_logs_time;
