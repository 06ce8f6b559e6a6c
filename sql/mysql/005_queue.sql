-- Queue mode (REDIS_URL): MySQL stays the source of truth, Redis may lose everything. A queued run's
-- request (what a worker needs to rebuild its plan) and its item keys in chunk order live here, so the
-- reconciler can re-enqueue the chunks whose results are missing; schedules (benchmark × model × cron)
-- live here too and their BullMQ job schedulers are re-created from them. Text compares exactly
-- ({{NOPAD_BIN}}: the NO PAD binary collation of 002).
CREATE TABLE IF NOT EXISTS run_queue (
  run_id INT UNSIGNED NOT NULL PRIMARY KEY,
  spec JSON NOT NULL,
  item_keys JSON NOT NULL,
  total INT UNSIGNED NOT NULL,
  chunk_items INT UNSIGNED NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS schedules (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  benchmark VARCHAR(191) NOT NULL,
  model VARCHAR(191) NOT NULL,
  cron VARCHAR(191) NOT NULL,
  spec JSON NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- as 002 does for the other tables: MariaDB's JSON is a LONGTEXT that CREATE gives utf8mb4_bin
ALTER TABLE run_queue CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE schedules CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
