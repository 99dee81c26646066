-- Monthly conversations per plan: each end user the bot answers in a calendar month (UTC) counts
-- once. At the plan's limit the bot stops starting new conversations that month.
CREATE TABLE monthly_usage (
    cliente_id  TEXT NOT NULL REFERENCES clientes (id),
    month       TEXT NOT NULL,
    wa_id       TEXT NOT NULL,
    first_at    INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, month, wa_id)
);
