-- Accounts (issue #21): workspaces, users and their external identities, memberships (a role per
-- workspace), API keys and sign-in sessions (their tokens' HMACs only, never a token), settings (the
-- generated secret, the audit chain's head) and the audit log. Every database has these tables (each
-- workspace database runs the same migrations, and has its own audit_log); the control database's
-- account rows are the ones read. The mirror does not copy them. Instants the store gives are
-- DATETIME(3) in UTC: MariaDB gives a NOT NULL TIMESTAMP without a default one of its own.
-- Text compares exactly ({{NOPAD_BIN}}, as in 002); emails are lower-cased by the store.
CREATE TABLE IF NOT EXISTS workspaces (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(64) NOT NULL,
  name VARCHAR(191) NOT NULL,
  retention_days INT UNSIGNED NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY workspaces_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

INSERT IGNORE INTO workspaces (slug, name) VALUES ('default', 'Default');

CREATE TABLE IF NOT EXISTS users (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  name VARCHAR(191) NULL,
  password_hash VARCHAR(255) NULL,
  disabled TINYINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS identities (
  provider VARCHAR(16) NOT NULL,
  subject VARCHAR(191) NOT NULL,
  user_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (provider, subject),
  KEY identities_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS memberships (
  user_id INT UNSIGNED NOT NULL,
  workspace_id INT UNSIGNED NOT NULL,
  role VARCHAR(16) NOT NULL,
  PRIMARY KEY (user_id, workspace_id),
  KEY memberships_workspace (workspace_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS api_keys (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  prefix VARCHAR(16) NOT NULL,
  token_hash VARCHAR(64) NOT NULL,
  workspace_id INT UNSIGNED NOT NULL,
  user_id INT UNSIGNED NOT NULL,
  role VARCHAR(16) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at DATETIME(3) NULL,
  last_used_at DATETIME(3) NULL,
  revoked_at DATETIME(3) NULL,
  UNIQUE KEY api_keys_token_hash (token_hash),
  KEY api_keys_workspace (workspace_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS session_families (
  family VARCHAR(64) NOT NULL PRIMARY KEY,
  user_id INT UNSIGNED NOT NULL,
  address VARCHAR(191) NULL,
  user_agent VARCHAR(512) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at DATETIME(3) NOT NULL,
  revoked_at DATETIME(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  family VARCHAR(64) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  used_at DATETIME(3) NULL,
  KEY refresh_tokens_family (family)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

CREATE TABLE IF NOT EXISTS settings (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- the audit chain's head: its row is locked (SELECT … FOR UPDATE) by every append, so appends are serialized
INSERT IGNORE INTO settings (name, value) VALUES ('audit_head', '');

-- `before` is a reserved word in MySQL: quoted here, and Kysely quotes every name
CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL,
  workspace_id INT UNSIGNED NULL,
  action VARCHAR(64) NOT NULL,
  resource VARCHAR(191) NOT NULL,
  actor_user_id INT UNSIGNED NULL,
  actor_email VARCHAR(191) NULL,
  actor_role VARCHAR(16) NULL,
  actor_key_id INT UNSIGNED NULL,
  `before` JSON NULL,
  `after` JSON NULL,
  request_id VARCHAR(191) NULL,
  address VARCHAR(191) NULL,
  prev_hash VARCHAR(64) NOT NULL,
  hash VARCHAR(64) NOT NULL,
  KEY audit_log_workspace (workspace_id, id),
  KEY audit_log_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

-- as 002 does: MariaDB's JSON is a LONGTEXT that CREATE gives utf8mb4_bin
ALTER TABLE audit_log CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};

-- The log is append-only: the server refuses to change or remove an entry (single-statement triggers,
-- which the migration splitter of store/kysely-mysql.ts keeps whole). Dropped and created again, so the
-- file stays safe to run again on MySQL 8 and MariaDB alike. The hash chain catches what a user with
-- the right to drop the triggers does anyway (accounts/audit-log.ts verify).
DROP TRIGGER IF EXISTS audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
