-- Admin API: plans and their quotas, platform admins, one login per e-mail, invitations,
-- refresh tokens.

CREATE TABLE plans (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    max_users              INTEGER NOT NULL,
    max_waba_accounts      INTEGER NOT NULL,
    monthly_conversations  INTEGER NOT NULL,
    skills                 TEXT NOT NULL
);
INSERT INTO plans (id, name, max_users, max_waba_accounts, monthly_conversations, skills) VALUES
    ('free', 'Free', 3, 1, 1000, '*'),
    ('starter', 'Starter', 5, 2, 10000, '*'),
    ('pro', 'Pro', 25, 10, 100000, '*'),
    ('enterprise', 'Enterprise', 1000, 100, 10000000, '*'),
    ('demo', 'Demo', 10, 2, 10000, '*');

CREATE TABLE platform_admins (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX platform_admins_email_key ON platform_admins (lower(email));

ALTER TABLE usuarios ADD COLUMN invitation_hash TEXT;
ALTER TABLE usuarios ADD COLUMN invitation_expires_at INTEGER;
ALTER TABLE usuarios ADD COLUMN last_login_at INTEGER;
CREATE UNIQUE INDEX usuarios_login_email_key ON usuarios (lower(email));
CREATE UNIQUE INDEX usuarios_invitation_key ON usuarios (invitation_hash) WHERE invitation_hash IS NOT NULL;

CREATE TABLE refresh_tokens (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('usuario', 'platform_admin')),
    subject_id    TEXT NOT NULL,
    cliente_id    TEXT REFERENCES clientes (id),
    family_id     TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    revoked_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
