-- Monthly conversations per plan: each end user the bot answers in a calendar month (UTC) counts
-- once. At the plan's limit the bot stops starting new conversations that month.
CREATE TABLE monthly_usage (
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    month       text NOT NULL,
    wa_id       text NOT NULL,
    first_at    timestamptz NOT NULL,
    PRIMARY KEY (cliente_id, month, wa_id)
);
ALTER TABLE monthly_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE monthly_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON monthly_usage
    USING (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid)
    WITH CHECK (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid);
