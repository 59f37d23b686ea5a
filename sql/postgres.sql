-- httpsession: PostgreSQL tables of httpsession/storage/postgres (the default names).
-- The same statements as postgresSchema() / createPostgresSchema(); idempotent. lua-resty-session 4 uses the
-- same two tables and columns (it ignores `successors`), so both can share them.
CREATE TABLE IF NOT EXISTS "sessions" (
  sid        TEXT PRIMARY KEY,
  name       TEXT,
  data       TEXT,
  exp        TIMESTAMP WITH TIME ZONE,
  -- Compare-and-set saves: the sealed tokens of the records that replaced this one.
  successors TEXT
);

ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS successors TEXT;

CREATE INDEX IF NOT EXISTS "sessions_exp_idx" ON "sessions" (exp);

CREATE TABLE IF NOT EXISTS "sessions_meta" (
  aud TEXT,
  sub TEXT,
  sid TEXT REFERENCES "sessions" (sid) ON DELETE CASCADE ON UPDATE CASCADE,
  PRIMARY KEY (aud, sub, sid)
);

CREATE INDEX IF NOT EXISTS "sessions_meta_sid_idx" ON "sessions_meta" (sid);
