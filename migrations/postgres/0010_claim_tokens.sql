-- Each claim of webhook items writes its own token next to its lease, so a processor that stops
-- with items claimed and not worked on can give back exactly those (and never another claim's
-- that took them after its lease ran out), instead of leaving them leased until the lease ends.
ALTER TABLE webhook_events ADD COLUMN claim_token uuid;
