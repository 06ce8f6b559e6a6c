-- The model registry (issue #22), as sql/mysql/013_registry.sql: models with their encrypted API keys
-- (ciphertext, secret version, last four characters), prices over time and health checks, in each
-- workspace's own database. In mirror mode these tables stay empty here: the registry lives in MySQL.
CREATE SEQUENCE IF NOT EXISTS seq_registry_models START 1;

CREATE TABLE IF NOT EXISTS registry_models (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_registry_models'),
  name VARCHAR NOT NULL UNIQUE,
  provider VARCHAR NOT NULL,
  model VARCHAR NOT NULL,
  base_url VARCHAR,
  key_ciphertext VARCHAR,
  key_version INTEGER,
  key_last4 VARCHAR,
  params JSON NOT NULL,
  active BOOLEAN NOT NULL DEFAULT true,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS registry_model_prices (
  model_id INTEGER NOT NULL,
  effective_from TIMESTAMP NOT NULL,
  price_in_per_mtok DOUBLE NOT NULL,
  price_out_per_mtok DOUBLE NOT NULL,
  PRIMARY KEY (model_id, effective_from)
);

CREATE TABLE IF NOT EXISTS registry_model_health (
  model_id INTEGER NOT NULL,
  "at" TIMESTAMP NOT NULL, -- quoted: AT is a keyword in DuckDB
  status VARCHAR NOT NULL,
  latency_ms DOUBLE,
  error VARCHAR,
  limits JSON
);
