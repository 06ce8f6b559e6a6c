-- Prompts (issue #23), as sql/mysql/015_prompts.sql: prompts, their immutable numbered versions (the
-- primary key (prompt_id, version) refuses a second version n+1), one draft per prompt, labels, label
-- moves (what rollback walks back), favourites per user; and the stored prompt a run used on runs
-- (name, version number, label), which the mirror copies from MySQL. DuckDB has no triggers: versions
-- stay immutable because the store has no update path for them. Applied on every open: idempotent.
CREATE SEQUENCE IF NOT EXISTS seq_prompts START 1;
CREATE SEQUENCE IF NOT EXISTS seq_prompt_label_moves START 1;

CREATE TABLE IF NOT EXISTS prompts (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_prompts'),
  name VARCHAR NOT NULL UNIQUE,
  description VARCHAR,
  tags JSON NOT NULL,
  model VARCHAR,
  params JSON NOT NULL,
  created_by INTEGER,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS prompt_versions (
  prompt_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  system_text VARCHAR,
  user_text VARCHAR NOT NULL,
  variables JSON NOT NULL,
  params JSON NOT NULL,
  message VARCHAR,
  created_by INTEGER,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (prompt_id, version)
);

CREATE TABLE IF NOT EXISTS prompt_drafts (
  prompt_id INTEGER PRIMARY KEY,
  system_text VARCHAR,
  user_text VARCHAR NOT NULL,
  variables JSON NOT NULL,
  params JSON NOT NULL,
  base_version INTEGER,
  updated_by INTEGER,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS prompt_labels (
  prompt_id INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  updated_by INTEGER,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (prompt_id, label)
);

CREATE TABLE IF NOT EXISTS prompt_label_moves (
  id BIGINT PRIMARY KEY DEFAULT nextval('seq_prompt_label_moves'),
  prompt_id INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  from_version INTEGER,
  to_version INTEGER NOT NULL,
  is_rollback BOOLEAN NOT NULL,
  moved_by INTEGER,
  moved_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS prompt_favourites (
  prompt_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  PRIMARY KEY (prompt_id, user_id)
);

ALTER TABLE runs ADD COLUMN IF NOT EXISTS prompt_name VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS prompt_version INTEGER;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS prompt_label VARCHAR;
