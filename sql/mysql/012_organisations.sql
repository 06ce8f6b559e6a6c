-- Organisations (issue #21): an install holds organisations, an organisation holds workspaces. The
-- `default` organisation (id 1) holds every workspace made before this migration. An organisation's
-- admins (org_admins) create its workspaces; the admins of the `default` workspace create
-- organisations. Control database only, like the other account tables; the mirror does not copy them.
CREATE TABLE IF NOT EXISTS organisations (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(64) NOT NULL,
  name VARCHAR(191) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY organisations_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};

INSERT IGNORE INTO organisations (id, slug, name) VALUES (1, 'default', 'Default');

ALTER TABLE workspaces ADD COLUMN org_id INT UNSIGNED NOT NULL DEFAULT 1;

CREATE TABLE IF NOT EXISTS org_admins (
  org_id INT UNSIGNED NOT NULL,
  user_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (org_id, user_id),
  KEY org_admins_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{NOPAD_BIN}};
