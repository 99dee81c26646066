-- A deleted tenant's short links stop redirecting (404, like its other routes): its customers'
-- old messages must not keep sending them to its URLs from this service's domain, nor record
-- clicks. A suspended tenant's links keep working (their clicks are recorded).
CREATE OR REPLACE FUNCTION liora_resolve_short_link(p_code text)
RETURNS TABLE (short_link_id uuid, cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT l.id, l.cliente_id FROM short_links l JOIN clientes c ON c.id = l.cliente_id
    WHERE l.code = p_code AND c.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION liora_resolve_short_link(text) FROM PUBLIC;
