-- When a run's evaluation ran, as its harness file says (lm-eval's results date, Inspect's eval.created,
-- promptfoo's timestamp, the runner's start); NULL when unknown, and /trends then dates the run by
-- created_at (its import). DATETIME in UTC: no session time zone applies, and no 2038 limit.
ALTER TABLE runs ADD COLUMN evaluated_at DATETIME(3) NULL;
