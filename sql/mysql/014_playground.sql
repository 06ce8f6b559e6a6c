-- The playground's history (issue #22), in each workspace's own database: one row per run of a prompt
-- against up to four models, with its input (system, user, variables, models and their parameters) and
-- each model's output (text, error, ttft_ms, total_ms, tokens_in, tokens_out, cost). user_id is NULL
-- for the local user of auth off. The store keeps each user's last 50 (api/playground/history.ts prunes
-- on insert). created_at is DATETIME(3) in UTC, given by the insert. Not copied by the mirror.
CREATE TABLE IF NOT EXISTS playground_runs (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  user_id INT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL,
  input JSON NOT NULL,
  output JSON NOT NULL,
  KEY playground_runs_user (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- as 002 does: MariaDB's JSON is a LONGTEXT that CREATE gives utf8mb4_bin
ALTER TABLE playground_runs CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
