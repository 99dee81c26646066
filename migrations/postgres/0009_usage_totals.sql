-- How many users each tenant has admitted in each month, kept with monthly_usage: admitting a
-- new user reads and updates one row instead of counting the month's users (which grew with
-- the tenant's users on every batch). A month without a row is counted once, when first needed.
CREATE TABLE monthly_usage_totals (
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    month       text NOT NULL,
    users       integer NOT NULL,
    PRIMARY KEY (cliente_id, month)
);
ALTER TABLE monthly_usage_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE monthly_usage_totals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON monthly_usage_totals
    USING (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid)
    WITH CHECK (cliente_id = NULLIF(current_setting('app.cliente_id', true), '')::uuid);
