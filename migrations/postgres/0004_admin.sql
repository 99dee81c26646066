-- Admin API: plans and their quotas, platform admins, one login per e-mail, invitations,
-- refresh tokens, and the narrow cross-tenant reads that logging in and platform admins need.

CREATE TABLE plans (
    id                     text PRIMARY KEY,
    name                   text NOT NULL,
    max_users              integer NOT NULL,
    max_waba_accounts      integer NOT NULL,
    monthly_conversations  integer NOT NULL,
    skills                 text NOT NULL  -- comma-separated skill ids, or * for all
);
INSERT INTO plans (id, name, max_users, max_waba_accounts, monthly_conversations, skills) VALUES
    ('free', 'Free', 3, 1, 1000, '*'),
    ('starter', 'Starter', 5, 2, 10000, '*'),
    ('pro', 'Pro', 25, 10, 100000, '*'),
    ('enterprise', 'Enterprise', 1000, 100, 10000000, '*'),
    ('demo', 'Demo', 10, 2, 10000, '*');

CREATE TABLE platform_admins (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX platform_admins_email_key ON platform_admins (lower(email));

ALTER TABLE usuarios ADD COLUMN invitation_hash text;
ALTER TABLE usuarios ADD COLUMN invitation_expires_at timestamptz;
ALTER TABLE usuarios ADD COLUMN last_login_at timestamptz;
-- An e-mail logs in to one account on the platform.
CREATE UNIQUE INDEX usuarios_login_email_key ON usuarios (lower(email));
CREATE UNIQUE INDEX usuarios_invitation_key ON usuarios (invitation_hash) WHERE invitation_hash IS NOT NULL;

-- Opaque refresh tokens, stored as SHA-256; rotated on use (the family is revoked when a used
-- token comes back).
CREATE TABLE refresh_tokens (
    id            uuid PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,
    subject_kind  text NOT NULL CHECK (subject_kind IN ('usuario', 'platform_admin')),
    subject_id    uuid NOT NULL,
    cliente_id    uuid REFERENCES clientes (id),
    family_id     uuid NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Logging in finds the account by e-mail before any tenant is known; accepting an invitation
-- finds it by the invitation's hash. Both return only what the check needs.
CREATE POLICY platform_login ON usuarios FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION liora_login_lookup(p_email text)
RETURNS TABLE (usuario_id uuid, cliente_id uuid, role text, password_hash text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT u.id, u.cliente_id, u.role, u.password_hash, u.status FROM usuarios u WHERE lower(u.email) = lower(p_email)
$$;
REVOKE ALL ON FUNCTION liora_login_lookup(text) FROM PUBLIC;

CREATE FUNCTION liora_invitation_lookup(p_hash text)
RETURNS TABLE (usuario_id uuid, cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT u.id, u.cliente_id FROM usuarios u WHERE u.invitation_hash = p_hash
$$;
REVOKE ALL ON FUNCTION liora_invitation_lookup(text) FROM PUBLIC;

-- Platform admins list and search tenants (ids, names, plans and states only).
CREATE FUNCTION liora_list_tenants(p_search text, p_after text, p_limit integer)
RETURNS TABLE (id uuid, slug text, name text, plan text, status text, created_at timestamptz, updated_at timestamptz,
               deleted_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT c.id, c.slug, c.name, c.plan, c.status, c.created_at, c.updated_at, c.deleted_at FROM clientes c
    WHERE c.deleted_at IS NULL
      AND (p_search IS NULL OR lower(c.slug) LIKE '%' || lower(p_search) || '%' OR lower(c.name) LIKE '%' || lower(p_search) || '%')
      AND (p_after IS NULL OR c.slug > p_after)
    ORDER BY c.slug LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION liora_list_tenants(text, text, integer) FROM PUBLIC;
