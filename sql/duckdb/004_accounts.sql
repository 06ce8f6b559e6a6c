-- Accounts (issue #21), as sql/mysql/006_accounts.sql: workspaces (`default` seeded), users, their
-- external identities, memberships, API keys and sign-in sessions (tokens' HMACs only), settings and
-- the hash-chained audit log. DuckDB has no triggers: the audit log's guard is its hash chain
-- (accounts/audit-log.ts verify finds an edited or removed entry). In mirror mode these tables stay
-- empty here: the accounts live in MySQL and the mirror does not copy them.
CREATE SEQUENCE IF NOT EXISTS seq_workspaces START 1;
CREATE SEQUENCE IF NOT EXISTS seq_users START 1;
CREATE SEQUENCE IF NOT EXISTS seq_api_keys START 1;
CREATE SEQUENCE IF NOT EXISTS seq_audit_log START 1;

CREATE TABLE IF NOT EXISTS workspaces (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_workspaces'),
  slug VARCHAR NOT NULL UNIQUE,
  name VARCHAR NOT NULL,
  retention_days INTEGER,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

INSERT INTO workspaces (slug, name) SELECT 'default', 'Default'
WHERE NOT EXISTS (SELECT 1 FROM workspaces WHERE slug = 'default');

CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_users'),
  email VARCHAR NOT NULL UNIQUE,
  name VARCHAR,
  password_hash VARCHAR,
  disabled BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS identities (
  provider VARCHAR NOT NULL,
  subject VARCHAR NOT NULL,
  user_id INTEGER NOT NULL,
  PRIMARY KEY (provider, subject)
);

CREATE TABLE IF NOT EXISTS memberships (
  user_id INTEGER NOT NULL,
  workspace_id INTEGER NOT NULL,
  role VARCHAR NOT NULL,
  PRIMARY KEY (user_id, workspace_id)
);

CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_api_keys'),
  name VARCHAR NOT NULL,
  prefix VARCHAR NOT NULL,
  token_hash VARCHAR NOT NULL UNIQUE,
  workspace_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  role VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  expires_at TIMESTAMP,
  last_used_at TIMESTAMP,
  revoked_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS session_families (
  family VARCHAR PRIMARY KEY,
  user_id INTEGER NOT NULL,
  address VARCHAR,
  user_agent VARCHAR,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  expires_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash VARCHAR PRIMARY KEY,
  family VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  used_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS settings (
  name VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL
);

INSERT OR IGNORE INTO settings VALUES ('audit_head', '');

CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT PRIMARY KEY DEFAULT nextval('seq_audit_log'),
  "at" TIMESTAMP NOT NULL, -- quoted: AT is a keyword in DuckDB
  workspace_id INTEGER,
  action VARCHAR NOT NULL,
  resource VARCHAR NOT NULL,
  actor_user_id INTEGER,
  actor_email VARCHAR,
  actor_role VARCHAR,
  actor_key_id INTEGER,
  "before" JSON,
  "after" JSON,
  request_id VARCHAR,
  address VARCHAR,
  prev_hash VARCHAR NOT NULL,
  hash VARCHAR NOT NULL
);
