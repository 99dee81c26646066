-- Conversation engine: per-tenant skill switches, the reply outbox, short links and their clicks.

CREATE TABLE tenant_skills (
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    skill       text NOT NULL,
    enabled     boolean NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (cliente_id, skill)
);

CREATE TABLE outbox (
    id                uuid PRIMARY KEY,
    cliente_id        uuid NOT NULL REFERENCES clientes (id),
    user_context_id   uuid,
    waba_account_id   uuid NOT NULL,
    to_wa_id          text NOT NULL,
    kind              text NOT NULL,
    payload           jsonb NOT NULL,
    summary           text,
    intent            text,
    reply_to          text,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    claimed_until     timestamptz,
    last_error        text,
    wa_message_id     text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    FOREIGN KEY (cliente_id, user_context_id) REFERENCES user_contexts (cliente_id, id),
    FOREIGN KEY (cliente_id, waba_account_id) REFERENCES waba_accounts (cliente_id, id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';

CREATE TABLE short_links (
    id          uuid PRIMARY KEY,
    cliente_id  uuid NOT NULL REFERENCES clientes (id),
    code        text NOT NULL UNIQUE,
    long_url    text NOT NULL,
    intent      text,
    created_at  timestamptz NOT NULL,
    UNIQUE (cliente_id, long_url),
    UNIQUE (cliente_id, id)
);

CREATE TABLE link_clicks (
    id               uuid PRIMARY KEY,
    cliente_id       uuid NOT NULL REFERENCES clientes (id),
    short_link_id    uuid NOT NULL,
    user_context_id  uuid,
    intent           text,
    is_bot           boolean NOT NULL,
    user_agent       text,
    clicked_at       timestamptz NOT NULL,
    FOREIGN KEY (cliente_id, short_link_id) REFERENCES short_links (cliente_id, id)
);
CREATE INDEX link_clicks_time ON link_clicks (cliente_id, clicked_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_skills', 'outbox', 'short_links', 'link_clicks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)
            WITH CHECK (cliente_id = NULLIF(current_setting(''app.cliente_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- Platform paths: a short code to its link (for the public redirect), and which tenants have
-- replies due (for the sender). Both return ids only; the work happens in tenant transactions.
CREATE POLICY platform_routing ON short_links FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY platform_routing ON outbox FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION liora_resolve_short_link(p_code text)
RETURNS TABLE (short_link_id uuid, cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT l.id, l.cliente_id FROM short_links l WHERE l.code = p_code
$$;
REVOKE ALL ON FUNCTION liora_resolve_short_link(text) FROM PUBLIC;

CREATE FUNCTION liora_tenants_with_due_outbox(p_now timestamptz, p_limit integer)
RETURNS TABLE (cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT DISTINCT o.cliente_id FROM outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= p_now AND (o.claimed_until IS NULL OR o.claimed_until < p_now)
    LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION liora_tenants_with_due_outbox(timestamptz, integer) FROM PUBLIC;
