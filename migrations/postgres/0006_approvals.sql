-- Logs export and four-eyes approvals: a keyset index for reading conversation logs in
-- (created_at, id) order, per-tenant settings of which destructive actions need a second person,
-- and the approval requests themselves (exact parameters, who asked, who decided, when it lapses).

CREATE INDEX conversation_logs_keyset ON conversation_logs (cliente_id, created_at, id);
CREATE INDEX conversation_logs_user_keyset ON conversation_logs (cliente_id, user_context_id, created_at, id);

CREATE TABLE tenant_settings (
    cliente_id                    uuid PRIMARY KEY REFERENCES clientes (id),
    approve_delete_tenant         boolean NOT NULL DEFAULT true,
    approve_delete_waba_account   boolean NOT NULL DEFAULT true,
    approve_export_conversations  boolean NOT NULL DEFAULT true,
    updated_at                    timestamptz NOT NULL
);

CREATE TABLE approvals (
    id            uuid PRIMARY KEY,
    cliente_id    uuid NOT NULL REFERENCES clientes (id),
    action        text NOT NULL CHECK (action IN ('delete_tenant', 'delete_waba_account', 'export_conversations')),
    params        jsonb NOT NULL DEFAULT '{}',
    requested_by  text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed')),
    decided_by    text,
    decided_at    timestamptz,
    executed_at   timestamptz,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (cliente_id, id)
);
CREATE INDEX approvals_time ON approvals (cliente_id, created_at);
CREATE INDEX approvals_pending ON approvals (cliente_id, expires_at) WHERE status = 'pending';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_settings', 'approvals']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)
            WITH CHECK (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;
