-- An e-mail is unique within a tenant, not across the platform: a tenant inviting an address must
-- not learn that another tenant already has it. Logging in finds every account with the
-- address and keeps the one the password opens (or the one the request names).
DROP INDEX usuarios_login_email_key;
CREATE UNIQUE INDEX usuarios_tenant_email_key ON usuarios (cliente_id, lower(email));
CREATE INDEX usuarios_login_email ON usuarios (lower(email));
