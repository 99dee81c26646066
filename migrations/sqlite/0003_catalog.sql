-- Tenant data keys (envelope encryption), catalog signing secrets, signed-request replay
-- protection, catalog snapshots and the active one, publish attempts, and the Bitly settings.

CREATE TABLE tenant_keys (
    cliente_id      TEXT NOT NULL REFERENCES clientes (id),
    version         INTEGER NOT NULL,
    master_version  INTEGER NOT NULL,
    wrapped_key     BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    rewrapped_at    INTEGER,
    PRIMARY KEY (cliente_id, version)
);

CREATE TABLE catalog_secrets (
    id                 TEXT PRIMARY KEY,
    cliente_id         TEXT NOT NULL REFERENCES clientes (id),
    secret_ciphertext  BLOB NOT NULL,
    key_version        INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER,
    FOREIGN KEY (cliente_id, key_version) REFERENCES tenant_keys (cliente_id, version)
);
CREATE INDEX catalog_secrets_tenant ON catalog_secrets (cliente_id, created_at);

CREATE TABLE signed_request_ids (
    cliente_id   TEXT NOT NULL REFERENCES clientes (id),
    webhook_id   TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, webhook_id)
);
CREATE INDEX signed_request_ids_time ON signed_request_ids (cliente_id, received_at);

CREATE TABLE catalog_snapshots (
    id              TEXT PRIMARY KEY,
    cliente_id      TEXT NOT NULL REFERENCES clientes (id),
    version         INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    body            BLOB NOT NULL,
    size_bytes      INTEGER NOT NULL,
    product_count   INTEGER NOT NULL,
    category_count  INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    locale          TEXT NOT NULL,
    webhook_id      TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (cliente_id, version),
    UNIQUE (cliente_id, content_hash),
    UNIQUE (cliente_id, id)
);

CREATE TRIGGER catalog_snapshots_immutable BEFORE UPDATE ON catalog_snapshots
BEGIN
    SELECT RAISE(ABORT, 'catalog snapshots are immutable');
END;

CREATE TABLE catalog_active (
    cliente_id    TEXT PRIMARY KEY REFERENCES clientes (id),
    snapshot_id   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    activated_at  INTEGER NOT NULL,
    FOREIGN KEY (cliente_id, snapshot_id) REFERENCES catalog_snapshots (cliente_id, id)
);

CREATE TABLE ingest_logs (
    id                TEXT PRIMARY KEY,
    cliente_id        TEXT NOT NULL REFERENCES clientes (id),
    operation         TEXT NOT NULL,
    webhook_id        TEXT,
    outcome           TEXT NOT NULL CHECK (outcome IN ('accepted', 'unchanged', 'rejected')),
    reason            TEXT,
    http_status       INTEGER NOT NULL,
    snapshot_version  INTEGER,
    content_hash      TEXT,
    size_bytes        INTEGER NOT NULL,
    problem_count     INTEGER NOT NULL DEFAULT 0,
    received_at       INTEGER NOT NULL
);
CREATE INDEX ingest_logs_time ON ingest_logs (cliente_id, received_at);

CREATE TABLE link_provider_settings (
    cliente_id        TEXT PRIMARY KEY REFERENCES clientes (id),
    provider          TEXT NOT NULL CHECK (provider IN ('bitly')),
    token_ciphertext  BLOB NOT NULL,
    key_version       INTEGER NOT NULL,
    token_last4       TEXT NOT NULL,
    domain            TEXT,
    group_guid        TEXT,
    updated_at        INTEGER NOT NULL,
    FOREIGN KEY (cliente_id, key_version) REFERENCES tenant_keys (cliente_id, version)
);

CREATE TABLE external_links (
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    provider    TEXT NOT NULL,
    long_url    TEXT NOT NULL,
    short_url   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, provider, long_url)
);
