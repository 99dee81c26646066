-- A reply waiting for its retry (or put back behind one) holds back its user's later replies
-- across claims, not only within the sender's round that saw it fail: a claim skips a reply
-- while an older one of the same user waits, and looks that up by user in this index. A fresh
-- reply is never in it (its first attempt is due when it is queued), so queueing and sending one
-- writes no entry here; only replies that were put back do. `claimed_until` stays out of the
-- predicate (the query checks it): a claim writes only columns no index covers, so on PostgreSQL it
-- stays a heap-only update that touches no index.
CREATE INDEX outbox_waiting ON outbox (cliente_id, to_wa_id, created_at)
    WHERE state = 'pending' AND next_attempt_at > created_at;

-- A tenant is due only with a reply the claim would take: one whose user has no older reply
-- waiting (otherwise the sender would look at that tenant again and again and take nothing).
CREATE OR REPLACE FUNCTION liora_tenants_with_due_outbox(p_now timestamptz, p_limit integer)
RETURNS TABLE (cliente_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT DISTINCT o.cliente_id FROM outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= p_now AND (o.claimed_until IS NULL OR o.claimed_until < p_now)
        AND NOT EXISTS (
            SELECT 1 FROM outbox w
            WHERE w.cliente_id = o.cliente_id AND w.to_wa_id = o.to_wa_id AND w.state = 'pending'
                AND w.next_attempt_at > w.created_at AND w.claimed_until IS NULL AND w.next_attempt_at > p_now
                AND (w.created_at < o.created_at OR (w.created_at = o.created_at AND w.id < o.id)) AND w.kind <> 'read')
    LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION liora_tenants_with_due_outbox(timestamptz, integer) FROM PUBLIC;
