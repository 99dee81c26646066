-- Refresh tokens under row-level security like every other tenant-owned table. A token is found
-- by its hash before any tenant is known (refreshing a session), and platform admins' tokens
-- belong to no tenant, so the service reaches the table outside a tenant transaction only
-- through these SECURITY DEFINER functions: each acts on the one token (or family) it is handed
-- and none can list tokens. Inside a tenant transaction the service sees that tenant's tokens
-- (revoking a deactivated member's sessions).
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid)
    WITH CHECK (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid);
CREATE POLICY platform_sessions ON refresh_tokens TO CURRENT_USER USING (true) WITH CHECK (true);

-- A subject's tokens, to delete its expired ones when it signs in again (they grew without end).
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject_id, expires_at);

-- Adds a token unless its family was revoked (a reused token revoked it while this one was being
-- issued); true when added. The subject's expired tokens go (refused anyway, reused or not).
CREATE FUNCTION liora_refresh_token_add(p_id uuid, p_hash text, p_kind text, p_subject uuid, p_cliente uuid,
                                        p_family uuid, p_expires timestamptz, p_created timestamptz)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH pruned AS (
        DELETE FROM refresh_tokens WHERE subject_id = p_subject AND expires_at < p_created
    ), added AS (
        INSERT INTO refresh_tokens (id, token_hash, subject_kind, subject_id, cliente_id, family_id, expires_at, created_at)
        SELECT p_id, p_hash, p_kind, p_subject, p_cliente, p_family, p_expires, p_created
        WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = p_family AND revoked_at IS NOT NULL)
        RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM added)
$$;
REVOKE ALL ON FUNCTION liora_refresh_token_add(uuid, text, text, uuid, uuid, uuid, timestamptz, timestamptz) FROM PUBLIC;

CREATE FUNCTION liora_refresh_token_lookup(p_hash text)
RETURNS TABLE (id uuid, token_hash text, subject_kind text, subject_id uuid, cliente_id uuid, family_id uuid,
               expires_at timestamptz, used_at timestamptz, revoked_at timestamptz, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT t.id, t.token_hash, t.subject_kind, t.subject_id, t.cliente_id, t.family_id, t.expires_at, t.used_at,
           t.revoked_at, t.created_at
    FROM refresh_tokens t WHERE t.token_hash = p_hash
$$;
REVOKE ALL ON FUNCTION liora_refresh_token_lookup(text) FROM PUBLIC;

-- Marks a token used, once, unless it or its family was revoked; true when this call used it.
CREATE FUNCTION liora_refresh_token_use(p_id uuid, p_now timestamptz)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH used AS (
        UPDATE refresh_tokens t SET used_at = p_now
        WHERE t.id = p_id AND t.used_at IS NULL AND t.revoked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL)
        RETURNING t.id
    )
    SELECT EXISTS (SELECT 1 FROM used)
$$;
REVOKE ALL ON FUNCTION liora_refresh_token_use(uuid, timestamptz) FROM PUBLIC;

CREATE FUNCTION liora_refresh_family_revoke(p_family uuid, p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE refresh_tokens SET revoked_at = p_now WHERE family_id = p_family AND revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION liora_refresh_family_revoke(uuid, timestamptz) FROM PUBLIC;
