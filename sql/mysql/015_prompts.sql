-- Prompts (issue #23), in each workspace's own database: a prompt (its name unique, the model and
-- parameters it is meant for), its versions (immutable, numbered 1..n per prompt: the primary key
-- (prompt_id, version) makes two concurrent saves of version n+1 collide, and the store numbers again),
-- one auto-saved draft per prompt, labels naming a version (`production`, `staging`, any name), each
-- label move (what POST /prompts/{id}/rollback walks back) and favourites per user. And on runs: the
-- stored prompt a run used (its name, version number and the label it was chosen by), NULL for a run
-- with the benchmark's own template. Not the hash of the run config's `prompt_version`
-- (ingest/benchmarks/render.ts), which identifies the rendered template text. The mirror copies the
-- runs columns (store/schema.ts RUNS), not the prompt tables. Instants the store gives are DATETIME(3)
-- in UTC; text compares exactly ({{NOPAD_BIN}}, as in 002).
CREATE TABLE IF NOT EXISTS prompts (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  description TEXT NULL,
  tags JSON NOT NULL,
  model VARCHAR(191) NULL,
  params JSON NOT NULL,
  created_by INT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY prompts_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS prompt_versions (
  prompt_id INT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL,
  system_text MEDIUMTEXT NULL,
  user_text MEDIUMTEXT NOT NULL,
  variables JSON NOT NULL,
  params JSON NOT NULL,
  message TEXT NULL,
  created_by INT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (prompt_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS prompt_drafts (
  prompt_id INT UNSIGNED NOT NULL PRIMARY KEY,
  system_text MEDIUMTEXT NULL,
  user_text MEDIUMTEXT NOT NULL,
  variables JSON NOT NULL,
  params JSON NOT NULL,
  base_version INT UNSIGNED NULL,
  updated_by INT UNSIGNED NULL,
  updated_at DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS prompt_labels (
  prompt_id INT UNSIGNED NOT NULL,
  label VARCHAR(64) NOT NULL,
  version INT UNSIGNED NOT NULL,
  updated_by INT UNSIGNED NULL,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (prompt_id, label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS prompt_label_moves (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  prompt_id INT UNSIGNED NOT NULL,
  label VARCHAR(64) NOT NULL,
  from_version INT UNSIGNED NULL,
  to_version INT UNSIGNED NOT NULL,
  is_rollback TINYINT NOT NULL,
  moved_by INT UNSIGNED NULL,
  moved_at DATETIME(3) NOT NULL,
  KEY prompt_label_moves_label (prompt_id, label, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS prompt_favourites (
  prompt_id INT UNSIGNED NOT NULL,
  user_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (prompt_id, user_id),
  KEY prompt_favourites_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- as 002 does: MariaDB's JSON is a LONGTEXT that CREATE gives utf8mb4_bin
ALTER TABLE prompts CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE prompt_versions CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE prompt_drafts CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};

-- A version is immutable: the server refuses to change one (a prompt's deletion removes its versions).
DROP TRIGGER IF EXISTS prompt_versions_no_update;
CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'prompt_versions are immutable';

ALTER TABLE runs ADD COLUMN prompt_name VARCHAR(191) NULL;
ALTER TABLE runs ADD COLUMN prompt_version INT UNSIGNED NULL;
ALTER TABLE runs ADD COLUMN prompt_label VARCHAR(64) NULL;
