-- WhatsApp Business accounts in the admin API: the token's last four characters (shown instead
-- of the token), the outcome of the last token check, and the narrow cross-tenant read behind
-- the per-account webhook (`/webhook/meta/{waba_account_id}`).

ALTER TABLE waba_accounts ADD COLUMN access_token_last4 text CHECK (length(access_token_last4) <= 4);
ALTER TABLE waba_accounts ADD COLUMN verified_at timestamptz;
ALTER TABLE waba_accounts ADD COLUMN verification_status text CHECK (verification_status IN ('ok', 'failed'));
ALTER TABLE waba_accounts ADD COLUMN verification_error text;

-- The account's tenant, status and sealed webhook secrets, for a live account of a live tenant
-- only; decrypting them happens in that tenant's transaction.
CREATE FUNCTION liora_waba_webhook_secrets(p_waba_account_id uuid)
RETURNS TABLE (cliente_id uuid, status text, app_secret_ciphertext bytea, verify_token_ciphertext bytea, key_version integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT w.cliente_id, w.status, w.app_secret_ciphertext, w.verify_token_ciphertext, w.key_version
    FROM waba_accounts w JOIN clientes c ON c.id = w.cliente_id
    WHERE w.id = p_waba_account_id AND w.deleted_at IS NULL AND c.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION liora_waba_webhook_secrets(uuid) FROM PUBLIC;
