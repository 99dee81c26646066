-- Logs export and four-eyes approvals (see migrations/postgres/0006; no row-level security on
-- SQLite, the store scopes every query by cliente_id).

CREATE INDEX conversation_logs_keyset ON conversation_logs (cliente_id, created_at, id);
CREATE INDEX conversation_logs_user_keyset ON conversation_logs (cliente_id, user_context_id, created_at, id);

CREATE TABLE tenant_settings (
    cliente_id                    TEXT PRIMARY KEY REFERENCES clientes (id),
    approve_delete_tenant         INTEGER NOT NULL DEFAULT 1,
    approve_delete_waba_account   INTEGER NOT NULL DEFAULT 1,
    approve_export_conversations  INTEGER NOT NULL DEFAULT 1,
    updated_at                    INTEGER NOT NULL
);

CREATE TABLE approvals (
    id            TEXT PRIMARY KEY,
    cliente_id    TEXT NOT NULL REFERENCES clientes (id),
    action        TEXT NOT NULL CHECK (action IN ('delete_tenant', 'delete_waba_account', 'export_conversations')),
    params        TEXT NOT NULL DEFAULT '{}',
    requested_by  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed')),
    decided_by    TEXT,
    decided_at    INTEGER,
    executed_at   INTEGER,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (cliente_id, id)
);
CREATE INDEX approvals_time ON approvals (cliente_id, created_at);
CREATE INDEX approvals_pending ON approvals (cliente_id, expires_at) WHERE status = 'pending';
