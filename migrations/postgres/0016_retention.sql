-- History older than LIORA_RETENTION_DAYS is deleted in small batches (decisions.md, "Retention").
-- A raw webhook body is deleted once none of its items is left: this index finds an item by its
-- body (and spares PostgreSQL a scan of webhook_events for each deleted body's foreign key).
-- Body ids are time-ordered, so the index grows at its end.
CREATE INDEX webhook_events_payload ON webhook_events (payload_id);

-- Every tenant's id, deleted ones included: the retention job works through them one tenant
-- transaction at a time (row-level security still scopes each delete to that tenant).
CREATE FUNCTION liora_retention_tenants() RETURNS TABLE (id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT c.id FROM clientes c ORDER BY c.id $$;
REVOKE ALL ON FUNCTION liora_retention_tenants() FROM PUBLIC;
