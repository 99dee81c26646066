-- History older than LIORA_RETENTION_DAYS is deleted in small batches (decisions.md, "Retention").
-- A raw webhook body is deleted once none of its items is left: this index finds an item by its
-- body. Body ids are time-ordered, so the index grows at its end.
CREATE INDEX webhook_events_payload ON webhook_events (payload_id);
