-- The model registry (issue #22), in each workspace's own database like its data: the models a workspace
-- may call, each with its provider, endpoint, API key (AES-256-GCM ciphertext, the secret's version and
-- the key's last four characters: never the key), default parameters and active flag; its prices over
-- time (a run is costed at the price in effect when it ran) and its health checks. Instants are
-- DATETIME(3) in UTC, given by the store's clock. The mirror does not copy these tables.
CREATE TABLE IF NOT EXISTS registry_models (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  provider VARCHAR(32) NOT NULL,
  model VARCHAR(191) NOT NULL,
  base_url VARCHAR(2048) NULL,
  key_ciphertext TEXT NULL,
  key_version INT UNSIGNED NULL,
  key_last4 VARCHAR(4) NULL,
  params JSON NOT NULL,
  active TINYINT NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY registry_models_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS registry_model_prices (
  model_id INT UNSIGNED NOT NULL,
  effective_from DATETIME(3) NOT NULL,
  price_in_per_mtok DOUBLE NOT NULL,
  price_out_per_mtok DOUBLE NOT NULL,
  PRIMARY KEY (model_id, effective_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS registry_model_health (
  model_id INT UNSIGNED NOT NULL,
  `at` DATETIME(3) NOT NULL,
  status VARCHAR(8) NOT NULL,
  latency_ms DOUBLE NULL,
  error TEXT NULL,
  limits JSON NULL,
  KEY registry_model_health_model_at (model_id, `at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- as 002 does: MariaDB's JSON is a LONGTEXT that CREATE gives utf8mb4_bin
ALTER TABLE registry_models CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE registry_model_health CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
