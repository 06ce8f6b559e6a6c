-- Names compare exactly, trailing spaces included, as in DuckDB: MariaDB's and MySQL 5.7's
-- utf8mb4_bin is a PAD SPACE collation ('m' = 'm '), which merged models, runs, fields and items.
-- {{NOPAD_BIN}} is the server's NO PAD binary collation, chosen by the migrator (store/mysql/connection.ts):
-- utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8. Converting can only make more names
-- distinct, never merge two, so no unique key can fail. Every statement is safe to run again
-- (DDL is not transactional: a migration killed halfway is applied again from the start).
-- Answers, errors and references are kept whole (they were VARCHAR(191) and TEXT, which cut at 64 KB
-- under an import's 1 MiB field limit; DuckDB keeps them whole):
-- maj@k votes on the whole answer in the API, not in SQL, so no hash column is needed.
-- sql/duckdb needs no counterpart: DuckDB's VARCHAR is unbounded and compares strings exactly.

ALTER TABLE benchmarks CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE benchmark_fields CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE items CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}},
  MODIFY reference MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}} NULL;
ALTER TABLE models CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE runs CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE changes CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}};
ALTER TABLE results CONVERT TO CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}},
  MODIFY answer MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}} NULL,
  MODIFY error MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE {{NOPAD_BIN}} NULL;
