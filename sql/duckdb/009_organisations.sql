-- Organisations (issue #21), as sql/mysql/012_organisations.sql: `default` (id 1) holds the workspaces
-- made before this migration; org_admins create an organisation's workspaces.
CREATE SEQUENCE IF NOT EXISTS seq_organisations START 2;

CREATE TABLE IF NOT EXISTS organisations (
  id INTEGER PRIMARY KEY DEFAULT nextval('seq_organisations'),
  slug VARCHAR NOT NULL UNIQUE,
  name VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

INSERT INTO organisations (id, slug, name) SELECT 1, 'default', 'Default'
WHERE NOT EXISTS (SELECT 1 FROM organisations WHERE id = 1);

ALTER TABLE workspaces ADD COLUMN IF NOT EXISTS org_id INTEGER DEFAULT 1;

ALTER TABLE workspaces ALTER COLUMN org_id SET NOT NULL;

CREATE TABLE IF NOT EXISTS org_admins (
  org_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
