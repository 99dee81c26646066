-- Tenant data keys (envelope encryption), catalog signing secrets, signed-request replay
-- protection, catalog snapshots and the active one, publish attempts, and the Bitly settings.

CREATE TABLE tenant_keys (
    cliente_id      uuid NOT NULL REFERENCES clientes (id),
    version         integer NOT NULL,
    master_version  integer NOT NULL,
    wrapped_key     bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    rewrapped_at    timestamptz,
    PRIMARY KEY (cliente_id, version)
);

CREATE TABLE catalog_secrets (
    id                 uuid PRIMARY KEY,
    cliente_id         uuid NOT NULL REFERENCES clientes (id),
    secret_ciphertext  bytea NOT NULL,
    key_version        integer NOT NULL,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz,
    FOREIGN KEY (cliente_id, key_version) REFERENCES tenant_keys (cliente_id, version)
);
CREATE INDEX catalog_secrets_tenant ON catalog_secrets (cliente_id, created_at);

-- A webhook-id is accepted once per tenant (Standard Webhooks replay protection).
CREATE TABLE signed_request_ids (
    cliente_id   uuid NOT NULL REFERENCES clientes (id),
    webhook_id   text NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (cliente_id, webhook_id)
);
CREATE INDEX signed_request_ids_time ON signed_request_ids (cliente_id, received_at);

CREATE TABLE catalog_snapshots (
    id              uuid PRIMARY KEY,
    cliente_id      uuid NOT NULL REFERENCES clientes (id),
    version         integer NOT NULL,
    content_hash    text NOT NULL,
    body            bytea NOT NULL,
    size_bytes      integer NOT NULL,
    product_count   integer NOT NULL,
    category_count  integer NOT NULL,
    currency        text NOT NULL,
    locale          text NOT NULL,
    webhook_id      text,
    created_at      timestamptz NOT NULL,
    UNIQUE (cliente_id, version),
    UNIQUE (cliente_id, content_hash),
    UNIQUE (cliente_id, id)
);

-- Snapshots are immutable.
CREATE FUNCTION liora_catalog_snapshots_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalog snapshots are immutable';
END
$$;
CREATE TRIGGER catalog_snapshots_immutable BEFORE UPDATE ON catalog_snapshots
    FOR EACH ROW EXECUTE FUNCTION liora_catalog_snapshots_immutable();

CREATE TABLE catalog_active (
    cliente_id    uuid PRIMARY KEY REFERENCES clientes (id),
    snapshot_id   uuid NOT NULL,
    version       integer NOT NULL,
    activated_at  timestamptz NOT NULL,
    FOREIGN KEY (cliente_id, snapshot_id) REFERENCES catalog_snapshots (cliente_id, id)
);

CREATE TABLE ingest_logs (
    id                uuid PRIMARY KEY,
    cliente_id        uuid NOT NULL REFERENCES clientes (id),
    operation         text NOT NULL,
    webhook_id        text,
    outcome           text NOT NULL CHECK (outcome IN ('accepted', 'unchanged', 'rejected')),
    reason            text,
    http_status       integer NOT NULL,
    snapshot_version  integer,
    content_hash      text,
    size_bytes        integer NOT NULL,
    problem_count     integer NOT NULL DEFAULT 0,
    received_at       timestamptz NOT NULL
);
CREATE INDEX ingest_logs_time ON ingest_logs (cliente_id, received_at);

CREATE TABLE link_provider_settings (
    cliente_id        uuid PRIMARY KEY REFERENCES clientes (id),
    provider          text NOT NULL CHECK (provider IN ('bitly')),
    token_ciphertext  bytea NOT NULL,
    key_version       integer NOT NULL,
    token_last4       text NOT NULL,
    domain            text,
    group_guid        text,
    updated_at        timestamptz NOT NULL,
    FOREIGN KEY (cliente_id, key_version) REFERENCES tenant_keys (cliente_id, version)
);

-- Links shortened by an external provider, reused for the same long URL.
CREATE TABLE external_links (
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    provider    text NOT NULL,
    long_url    text NOT NULL,
    short_url   text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (cliente_id, provider, long_url)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_keys', 'catalog_secrets', 'signed_request_ids', 'catalog_snapshots', 'catalog_active',
                             'ingest_logs', 'link_provider_settings', 'external_links']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)
            WITH CHECK (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- `liora keys rotate` runs as the schema owner (LIORA_MIGRATION_DATABASE_URL) and re-wraps every
-- tenant's data key; only that role may see all of them, and only wrapped keys are visible.
CREATE POLICY key_rotation ON tenant_keys TO CURRENT_USER USING (true) WITH CHECK (true);
