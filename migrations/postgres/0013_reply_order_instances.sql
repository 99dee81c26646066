-- Several instances send one tenant's replies: a reply in flight at one of them (claimed, its
-- lease running) holds back its user's later replies at every other, as a reply waiting for its
-- retry already did. A claim takes a reply only when every older pending reply of the same user
-- could be claimed now too (so, being older, it is taken first, in the same claim) or is in
-- flight under the claiming sender's own earlier claim (that sender keeps its own replies in
-- order); it looks them up by user in this index. `claimed_by` names the sender that claimed a
-- row. Claims of one tenant take turns under a transaction advisory lock
-- (`pg_advisory_xact_lock(7261002, hashtext(tenant))`), so a claim never decides on a snapshot
-- taken before another instance's claim committed. A claim writes only `claimed_until`,
-- `claimed_by` and `updated_at`, which no index covers: it stays a heap-only update.
ALTER TABLE outbox ADD COLUMN claimed_by uuid;
CREATE INDEX outbox_user_pending ON outbox (cliente_id, to_wa_id, created_at, id)
    WHERE state = 'pending' AND kind <> 'read';

-- A tenant is due only with a reply a claim by `p_claimer` would take. (The two-argument
-- version of 0011 stays for instances not upgraded yet.)
CREATE FUNCTION liora_tenants_with_due_outbox(p_now timestamptz, p_limit integer, p_claimer uuid)
RETURNS TABLE (cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT DISTINCT o.cliente_id FROM outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= p_now AND (o.claimed_until IS NULL OR o.claimed_until < p_now)
        AND NOT EXISTS (
            SELECT 1 FROM outbox w
            WHERE w.cliente_id = o.cliente_id AND w.to_wa_id = o.to_wa_id AND w.state = 'pending' AND w.kind <> 'read'
                AND (w.created_at, w.id) < (o.created_at, o.id)
                AND NOT (w.next_attempt_at <= p_now AND (w.claimed_until IS NULL OR w.claimed_until < p_now))
                AND NOT COALESCE(w.claimed_until >= p_now AND w.claimed_by = p_claimer, false))
    LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION liora_tenants_with_due_outbox(timestamptz, integer, uuid) FROM PUBLIC;
