-- The playground's history (issue #22), as sql/mysql/014_playground.sql: each user's last 50 runs
-- (user_id NULL: the local user of auth off), input and per-model output as JSON.
CREATE SEQUENCE IF NOT EXISTS seq_playground_runs START 1;

CREATE TABLE IF NOT EXISTS playground_runs (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_playground_runs'),
  user_id INTEGER,
  created_at TIMESTAMP NOT NULL,
  input JSON NOT NULL,
  output JSON NOT NULL
);
