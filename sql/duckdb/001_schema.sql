-- evalhouse DuckDB schema: the embedded system of record, and the mirror of MySQL.
-- Same tables as MySQL (sql/mysql); in mirror mode ids come from MySQL, response text stays there.
-- Per benchmark, a table meta_<benchmark id> holds each item's groupable metadata as ENUM
-- columns (built by store/duckdb/meta-tables.ts), so group-bys read dictionary codes, not JSON.

CREATE SEQUENCE IF NOT EXISTS seq_benchmarks START 1;
CREATE SEQUENCE IF NOT EXISTS seq_items START 1;
CREATE SEQUENCE IF NOT EXISTS seq_models START 1;
CREATE SEQUENCE IF NOT EXISTS seq_runs START 1;
CREATE SEQUENCE IF NOT EXISTS seq_results START 1;

CREATE TABLE IF NOT EXISTS benchmarks (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_benchmarks'),
  slug VARCHAR NOT NULL UNIQUE,
  version VARCHAR NOT NULL DEFAULT '1',
  task VARCHAR,
  description VARCHAR,
  cluster_field VARCHAR,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS benchmark_fields (
  benchmark_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  col TINYINT,
  type VARCHAR NOT NULL,
  label VARCHAR NOT NULL,
  PRIMARY KEY (benchmark_id, name)
);

CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_items'),
  benchmark_id INTEGER NOT NULL,
  item_key VARCHAR NOT NULL,
  input VARCHAR,
  reference VARCHAR,
  metadata JSON,
  m0 VARCHAR,
  m1 VARCHAR,
  m2 VARCHAR,
  m3 VARCHAR,
  m4 VARCHAR,
  m5 VARCHAR,
  m6 VARCHAR,
  m7 VARCHAR,
  m8 VARCHAR,
  m9 VARCHAR,
  m10 VARCHAR,
  m11 VARCHAR,
  m12 VARCHAR,
  m13 VARCHAR,
  m14 VARCHAR,
  m15 VARCHAR
  -- (benchmark_id, item_key) is unique: the one writer inserts with an anti-join, since DuckDB's
  -- unique index makes INSERT OR IGNORE slow down with every batch (measured 25 ms → 2.5 s).
);

CREATE TABLE IF NOT EXISTS models (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_models'),
  name VARCHAR NOT NULL UNIQUE,
  provider VARCHAR,
  model_id VARCHAR,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_runs'),
  benchmark_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  status VARCHAR NOT NULL DEFAULT 'imported',
  status_reason VARCHAR,
  config JSON,
  summary JSON,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  UNIQUE (benchmark_id, model_id, label)
);

-- No unique index on (run_id, item_id, sample): inserts anti-join on it instead, which keeps
-- bulk appends fast; store/duckdb/append.ts is the only writer.
CREATE TABLE IF NOT EXISTS results (
  id BIGINT NOT NULL,
  run_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  sample INTEGER NOT NULL,
  outcome UTINYINT NOT NULL,
  correct BOOLEAN,
  score DOUBLE,
  answer VARCHAR,
  latency_ms DOUBLE,
  ttft_ms DOUBLE,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd DOUBLE,
  response VARCHAR,
  error VARCHAR,
  created_at TIMESTAMP
);

-- Mirror bookkeeping (MySQL mode): the highest MySQL results.id copied and the last change
-- replayed, written in the same transaction as the rows they describe.
CREATE TABLE IF NOT EXISTS mirror_state (
  k VARCHAR PRIMARY KEY,
  v BIGINT NOT NULL
);
