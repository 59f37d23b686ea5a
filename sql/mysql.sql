-- httpsession: MySQL 8 / MariaDB 10.11+ tables of httpsession/storage/mysql (the default names).
-- The same statements as mysqlSchema(); idempotent. lua-resty-session 4 uses the same two tables and columns
-- (it ignores `successors`). To upgrade an existing lua table, createMysqlSchema() runs, when the column is missing:
--   ALTER TABLE `sessions` ADD COLUMN successors TEXT;
CREATE TABLE IF NOT EXISTS `sessions` (
  sid        CHAR(43) COLLATE ascii_bin PRIMARY KEY,
  name       VARCHAR(255),
  data       MEDIUMTEXT,
  exp        DATETIME,
  -- Compare-and-set saves: the sealed tokens of the records that replaced this one.
  successors TEXT,
  INDEX (exp)
) CHARACTER SET ascii;

CREATE TABLE IF NOT EXISTS `sessions_meta` (
  aud VARCHAR(255) COLLATE ascii_bin,
  sub VARCHAR(255) COLLATE ascii_bin,
  sid CHAR(43) COLLATE ascii_bin,
  PRIMARY KEY (aud, sub, sid),
  INDEX (sid),
  CONSTRAINT `sessions_meta_sid_fk` FOREIGN KEY (sid) REFERENCES `sessions` (sid) ON DELETE CASCADE ON UPDATE CASCADE
) CHARACTER SET ascii;
