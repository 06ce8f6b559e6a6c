-- evalhouse MySQL schema, version 1 (the system of record).
-- Metadata values live in positional columns m0..m15 whose meaning each benchmark's
-- benchmark_fields rows define: SQL never names a user's field, only these columns.

CREATE TABLE IF NOT EXISTS benchmarks (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(191) NOT NULL,
  version VARCHAR(64) NOT NULL DEFAULT '1',
  task VARCHAR(64) NULL,
  description TEXT NULL,
  cluster_field VARCHAR(191) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_benchmarks_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS benchmark_fields (
  benchmark_id INT UNSIGNED NOT NULL,
  name VARCHAR(191) NOT NULL,
  col TINYINT NULL,
  type VARCHAR(16) NOT NULL,
  label VARCHAR(191) NOT NULL,
  PRIMARY KEY (benchmark_id, name),
  UNIQUE KEY uq_fields_col (benchmark_id, col)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS items (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  benchmark_id INT UNSIGNED NOT NULL,
  item_key VARCHAR(191) NOT NULL,
  input MEDIUMTEXT NULL,
  reference TEXT NULL,
  metadata JSON NULL,
  m0 VARCHAR(191) NULL,
  m1 VARCHAR(191) NULL,
  m2 VARCHAR(191) NULL,
  m3 VARCHAR(191) NULL,
  m4 VARCHAR(191) NULL,
  m5 VARCHAR(191) NULL,
  m6 VARCHAR(191) NULL,
  m7 VARCHAR(191) NULL,
  m8 VARCHAR(191) NULL,
  m9 VARCHAR(191) NULL,
  m10 VARCHAR(191) NULL,
  m11 VARCHAR(191) NULL,
  m12 VARCHAR(191) NULL,
  m13 VARCHAR(191) NULL,
  m14 VARCHAR(191) NULL,
  m15 VARCHAR(191) NULL,
  UNIQUE KEY uq_items_key (benchmark_id, item_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS models (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  provider VARCHAR(64) NULL,
  model_id VARCHAR(191) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_models_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS runs (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  benchmark_id INT UNSIGNED NOT NULL,
  model_id INT UNSIGNED NOT NULL,
  label VARCHAR(191) NOT NULL,
  source VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'imported',
  status_reason TEXT NULL,
  config JSON NULL,
  summary JSON NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_runs (benchmark_id, model_id, label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- outcome: 0 correct, 1 incorrect, 2 unscored, 3 error (core/types.ts OUTCOME_CODE).
CREATE TABLE IF NOT EXISTS results (
  id BIGINT UNSIGNED AUTO_INCREMENT,
  run_id INT UNSIGNED NOT NULL,
  item_id INT UNSIGNED NOT NULL,
  sample INT UNSIGNED NOT NULL DEFAULT 0,
  outcome TINYINT UNSIGNED NOT NULL,
  correct TINYINT NULL,
  score DOUBLE NULL,
  answer VARCHAR(191) NULL,
  latency_ms DOUBLE NULL,
  ttft_ms DOUBLE NULL,
  tokens_in INT NULL,
  tokens_out INT NULL,
  cost_usd DOUBLE NULL,
  response MEDIUMTEXT NULL,
  error TEXT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- The result key is the clustered index: a run's rows sit together, so the analysis
  -- engine path reads them as a covering range scan, and a re-append is a key collision.
  PRIMARY KEY (run_id, item_id, sample),
  -- The mirror's watermark walks this.
  UNIQUE KEY uq_results_id (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Run-level changes the mirror must replay: a deleted or replaced run (or its error rows
-- removed for a resume) is invalidated and copied again; 'catalog' means benchmarks, fields,
-- items or models changed.
CREATE TABLE IF NOT EXISTS changes (
  seq BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  run_id INT UNSIGNED NULL,
  at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
