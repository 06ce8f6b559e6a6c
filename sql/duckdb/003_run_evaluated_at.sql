-- When a run's evaluation ran (UTC), as its harness file says; NULL when unknown (see sql/mysql/003).
-- Applied on every open: idempotent.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS evaluated_at TIMESTAMP;
