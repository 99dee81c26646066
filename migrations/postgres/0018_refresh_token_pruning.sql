-- Expired refresh tokens are deleted when their subject signs in again (they grew without end):
-- this index finds a subject's tokens, and adding a token now also deletes the subject's
-- expired ones (an expired token is refused anyway, reused or not).
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject_id, expires_at);

CREATE OR REPLACE FUNCTION liora_refresh_token_add(p_id uuid, p_hash text, p_kind text, p_subject uuid, p_cliente uuid,
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
