-- A reply waiting for its retry (or put back behind one) holds back its user's later replies
-- across claims, not only within the sender's round that saw it fail: a claim skips a reply
-- while an older one of the same user waits, and looks that up by user in this index. A fresh
-- reply is never in it (its first attempt is due when it is queued), so queueing, claiming and
-- sending one writes no entry here; only replies that were put back do.
CREATE INDEX outbox_waiting ON outbox (cliente_id, to_wa_id, created_at)
    WHERE state = 'pending' AND claimed_until IS NULL AND next_attempt_at > created_at;
