-- How many users each tenant has admitted in each month, kept with monthly_usage: admitting a
-- new user reads and updates one row instead of counting the month's users (which grew with
-- the tenant's users on every batch). A month without a row is counted once, when first needed.
CREATE TABLE monthly_usage_totals (
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    month       TEXT NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, month)
);
