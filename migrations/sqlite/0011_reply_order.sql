-- A reply waiting for its retry (or put back behind one) holds back its user's later replies
-- across claims, not only within the sender's round that saw it fail: a claim skips a reply
-- while an older one of the same user waits, and looks that up by user in this index. A fresh
-- reply is never in it (its first attempt is due when it is queued), so queueing and sending one
-- writes no entry here; only replies that were put back do. `claimed_until` stays out of the
-- predicate (the query checks it): a claim writes only columns no index covers, so on PostgreSQL it
-- stays a heap-only update that touches no index.
CREATE INDEX outbox_waiting ON outbox (cliente_id, to_wa_id, created_at)
    WHERE state = 'pending' AND next_attempt_at > created_at;
