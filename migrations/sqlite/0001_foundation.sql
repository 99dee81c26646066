-- Liora foundation schema (SQLite). Same tables and keys as migrations/postgres/0001; SQLite
-- has no row-level security, so the store layer scopes every tenant query by cliente_id.
-- Types: ids are TEXT UUIDs, timestamps INTEGER microseconds since 1970, JSON is TEXT.

CREATE TABLE clientes (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL CHECK (length(slug) BETWEEN 2 AND 63),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan        TEXT NOT NULL DEFAULT 'free',
    status      TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE UNIQUE INDEX clientes_slug_live_key ON clientes (lower(slug)) WHERE deleted_at IS NULL;

CREATE TABLE usuarios (
    id             TEXT PRIMARY KEY,
    cliente_id     TEXT NOT NULL REFERENCES clientes (id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    password_hash  TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'deactivated')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (cliente_id, id)
);
CREATE UNIQUE INDEX usuarios_email_key ON usuarios (cliente_id, lower(email));

CREATE TABLE waba_accounts (
    id                      TEXT PRIMARY KEY,
    cliente_id              TEXT NOT NULL REFERENCES clientes (id),
    waba_id                 TEXT NOT NULL,
    phone_number_id         TEXT NOT NULL,
    display_phone_number    TEXT NOT NULL,
    access_token_ciphertext BLOB,
    app_secret_ciphertext   BLOB,
    verify_token_ciphertext BLOB,
    key_version             INTEGER,
    status                  TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending_deletion', 'deleted')),
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    deleted_at              INTEGER,
    UNIQUE (cliente_id, id)
);
CREATE UNIQUE INDEX waba_accounts_phone_live_key ON waba_accounts (phone_number_id) WHERE deleted_at IS NULL;

CREATE TABLE user_contexts (
    id                 TEXT PRIMARY KEY,
    cliente_id         TEXT NOT NULL REFERENCES clientes (id),
    wa_id              TEXT NOT NULL,
    profile_name       TEXT,
    language           TEXT NOT NULL DEFAULT 'es',
    last_intent        TEXT,
    slots              TEXT NOT NULL DEFAULT '{}',
    context            TEXT NOT NULL DEFAULT '{}',
    window_started_at  INTEGER,
    last_message_at    INTEGER,
    message_count      INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (cliente_id, wa_id),
    UNIQUE (cliente_id, id)
);

CREATE TABLE convo_states (
    id               TEXT PRIMARY KEY,
    cliente_id       TEXT NOT NULL REFERENCES clientes (id),
    user_context_id  TEXT NOT NULL,
    state            TEXT NOT NULL,
    data             TEXT NOT NULL DEFAULT '{}',
    expires_at       INTEGER,
    updated_at       INTEGER NOT NULL,
    UNIQUE (cliente_id, user_context_id),
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id)
);

CREATE TABLE conversation_logs (
    id                 TEXT PRIMARY KEY,
    cliente_id         TEXT NOT NULL REFERENCES clientes (id),
    user_context_id    TEXT,
    waba_account_id    TEXT,
    direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    wa_message_id      TEXT,
    message_type       TEXT NOT NULL,
    body               TEXT,
    intent             TEXT,
    status             TEXT NOT NULL,
    status_rank        INTEGER NOT NULL DEFAULT 0,
    status_updated_at  INTEGER,
    error_code         INTEGER,
    created_at         INTEGER NOT NULL,
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id),
    FOREIGN KEY (cliente_id, waba_account_id) REFERENCES waba_accounts (cliente_id, id)
);
CREATE UNIQUE INDEX conversation_logs_message_key ON conversation_logs (cliente_id, direction, wa_message_id);
CREATE INDEX conversation_logs_time ON conversation_logs (cliente_id, created_at);

CREATE TABLE tenant_events (
    id          TEXT PRIMARY KEY,
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL
);
CREATE INDEX tenant_events_time ON tenant_events (cliente_id, created_at);

CREATE TABLE webhook_payloads (
    id               TEXT PRIMARY KEY,
    received_at      INTEGER NOT NULL,
    waba_account_id  TEXT,
    body             BLOB NOT NULL
);

CREATE TABLE webhook_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    payload_id       TEXT NOT NULL REFERENCES webhook_payloads (id),
    item_index       INTEGER NOT NULL,
    event_key        TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('message', 'status', 'error')),
    field            TEXT NOT NULL,
    phone_number_id  TEXT,
    waba_id          TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
    outcome          TEXT,
    cliente_id       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    claimed_until    INTEGER,
    processed_at     INTEGER,
    last_error       TEXT
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE state = 'pending';
