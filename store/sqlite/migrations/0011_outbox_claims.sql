-- Webhook outbox claims: with several replicas each runs a dispatcher, and
-- a row is delivered by the one that claimed it (store/outbox_claims.go).
-- claimed_until is a lease in Unix milliseconds: a replica that died while
-- delivering frees its rows when it passes. NULL = not claimed.
ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_outbox ADD COLUMN claimed_until INTEGER;
