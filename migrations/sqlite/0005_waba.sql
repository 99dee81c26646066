-- WhatsApp Business accounts in the admin API: the token's last four characters (shown instead
-- of the token) and the outcome of the last token check.

ALTER TABLE waba_accounts ADD COLUMN access_token_last4 TEXT;
ALTER TABLE waba_accounts ADD COLUMN verified_at INTEGER;
ALTER TABLE waba_accounts ADD COLUMN verification_status TEXT CHECK (verification_status IN ('ok', 'failed'));
ALTER TABLE waba_accounts ADD COLUMN verification_error TEXT;
