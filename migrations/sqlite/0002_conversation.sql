-- Conversation engine: per-tenant skill switches, the reply outbox, short links and their clicks.

CREATE TABLE tenant_skills (
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    skill       TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, skill)
);

CREATE TABLE outbox (
    id                TEXT PRIMARY KEY,
    cliente_id        TEXT NOT NULL REFERENCES clientes (id),
    user_context_id   TEXT,
    waba_account_id   TEXT NOT NULL,
    to_wa_id          TEXT NOT NULL,
    kind              TEXT NOT NULL,
    payload           TEXT NOT NULL,
    summary           TEXT,
    intent            TEXT,
    reply_to          TEXT,
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    claimed_until     INTEGER,
    last_error        TEXT,
    wa_message_id     TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id),
    FOREIGN KEY (cliente_id, waba_account_id) REFERENCES waba_accounts (cliente_id, id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';

CREATE TABLE short_links (
    id          TEXT PRIMARY KEY,
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    code        TEXT NOT NULL UNIQUE,
    long_url    TEXT NOT NULL,
    intent      TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (cliente_id, long_url),
    UNIQUE (cliente_id, id)
);

CREATE TABLE link_clicks (
    id               TEXT PRIMARY KEY,
    cliente_id       TEXT NOT NULL REFERENCES clientes (id),
    short_link_id    TEXT NOT NULL,
    user_context_id  TEXT,
    intent           TEXT,
    is_bot           INTEGER NOT NULL,
    user_agent       TEXT,
    clicked_at       INTEGER NOT NULL,
    FOREIGN KEY (cliente_id, short_link_id) REFERENCES short_links (cliente_id, id)
);
CREATE INDEX link_clicks_time ON link_clicks (cliente_id, clicked_at);
