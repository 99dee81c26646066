-- Liora foundation schema (PostgreSQL).
-- Tenant-owned tables carry cliente_id NOT NULL, FORCE ROW LEVEL SECURITY and a policy on the
-- transaction-local setting app.cliente_id. Platform tables (webhook inbox) carry no tenant.

CREATE TABLE clientes (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan        text NOT NULL DEFAULT 'free',
    status      text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX clientes_slug_live_key ON clientes (lower(slug)) WHERE deleted_at IS NULL;

CREATE TABLE usuarios (
    id             uuid PRIMARY KEY,
    cliente_id     uuid NOT NULL REFERENCES clientes (id),
    email          text NOT NULL,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    password_hash  text,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'deactivated')),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (cliente_id, id)
);
CREATE UNIQUE INDEX usuarios_email_key ON usuarios (cliente_id, lower(email));

CREATE TABLE waba_accounts (
    id                      uuid PRIMARY KEY,
    cliente_id              uuid NOT NULL REFERENCES clientes (id),
    waba_id                 text NOT NULL,
    phone_number_id         text NOT NULL,
    display_phone_number    text NOT NULL,
    access_token_ciphertext bytea,
    app_secret_ciphertext   bytea,
    verify_token_ciphertext bytea,
    key_version             integer,
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending_deletion', 'deleted')),
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    deleted_at              timestamptz,
    UNIQUE (cliente_id, id)
);
-- Global on purpose: one phone number belongs to at most one live account on the platform.
CREATE UNIQUE INDEX waba_accounts_phone_live_key ON waba_accounts (phone_number_id) WHERE deleted_at IS NULL;

CREATE TABLE user_contexts (
    id                 uuid PRIMARY KEY,
    cliente_id         uuid NOT NULL REFERENCES clientes (id),
    wa_id              text NOT NULL,
    profile_name       text,
    language           text NOT NULL DEFAULT 'es',
    last_intent        text,
    slots              jsonb NOT NULL DEFAULT '{}',
    context            jsonb NOT NULL DEFAULT '{}',
    window_started_at  timestamptz,
    last_message_at    timestamptz,
    message_count      bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (cliente_id, wa_id),
    UNIQUE (cliente_id, id)
);

CREATE TABLE convo_states (
    id               uuid PRIMARY KEY,
    cliente_id       uuid NOT NULL REFERENCES clientes (id),
    user_context_id  uuid NOT NULL,
    state            text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}',
    expires_at       timestamptz,
    updated_at       timestamptz NOT NULL,
    UNIQUE (cliente_id, user_context_id),
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id)
);

CREATE TABLE conversation_logs (
    id                 uuid PRIMARY KEY,
    cliente_id         uuid NOT NULL REFERENCES clientes (id),
    user_context_id    uuid,
    waba_account_id    uuid,
    direction          text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    wa_message_id      text,
    message_type       text NOT NULL,
    body               text,
    intent             text,
    status             text NOT NULL,
    status_rank        integer NOT NULL DEFAULT 0,
    status_updated_at  timestamptz,
    error_code         integer,
    created_at         timestamptz NOT NULL,
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id),
    FOREIGN KEY (cliente_id, waba_account_id) REFERENCES waba_accounts (cliente_id, id)
);
CREATE UNIQUE INDEX conversation_logs_message_key ON conversation_logs (cliente_id, direction, wa_message_id);
CREATE INDEX conversation_logs_time ON conversation_logs (cliente_id, created_at);

CREATE TABLE tenant_events (
    id          uuid PRIMARY KEY,
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    actor       text NOT NULL,
    action      text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL
);
CREATE INDEX tenant_events_time ON tenant_events (cliente_id, created_at);

-- Platform inbox: raw webhook bodies, and one row per message / status / error they carry.
CREATE TABLE webhook_payloads (
    id               uuid PRIMARY KEY,
    received_at      timestamptz NOT NULL,
    waba_account_id  uuid,
    body             bytea NOT NULL
);

CREATE TABLE webhook_events (
    id               bigserial PRIMARY KEY,
    payload_id       uuid NOT NULL REFERENCES webhook_payloads (id),
    item_index       integer NOT NULL,
    event_key        text NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('message', 'status', 'error')),
    field            text NOT NULL,
    phone_number_id  text,
    waba_id          text NOT NULL,
    received_at      timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
    outcome          text,
    cliente_id       uuid,
    attempts         integer NOT NULL DEFAULT 0,
    claimed_until    timestamptz,
    processed_at     timestamptz,
    last_error       text
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE state = 'pending';

-- Row-level security on every tenant-owned table.
ALTER TABLE clientes ENABLE ROW LEVEL SECURITY;
ALTER TABLE clientes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clientes
    USING (id = NULLIF(current_setting('app.cliente_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.cliente_id', true), '')::uuid);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['usuarios', 'waba_accounts', 'user_contexts', 'convo_states',
                             'conversation_logs', 'tenant_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)
            WITH CHECK (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- The narrow platform path: phone number id -> account and tenant, for routing webhooks.
-- The schema owner (the role running this migration, never the service's role) may read the
-- routing tables; the service reaches them only through this SECURITY DEFINER function, which
-- returns the routing columns of live rows and nothing else.
CREATE POLICY platform_routing ON clientes FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY platform_routing ON waba_accounts FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION liora_route_phone_number(p_phone_number_id text)
RETURNS TABLE (waba_account_id uuid, cliente_id uuid, cliente_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT w.id, c.id, c.status
    FROM waba_accounts w JOIN clientes c ON c.id = w.cliente_id
    WHERE w.phone_number_id = p_phone_number_id AND w.deleted_at IS NULL AND c.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION liora_route_phone_number(text) FROM PUBLIC;
