// What the PostgreSQL store does beyond the conformance suite: configuration errors at construction,
// lua-resty-session's tables (a row written the way lua writes it is read; a lua table gains `successors`),
// one key per table across namespaces, the sweep, and the shipped sql/postgres.sql. Real server, random
// table names.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkSchemaFile, checkSweep } from './sql-cases.ts';
import { isSessionError } from '../../src/errors.ts';
import { createPostgresSchema, postgresSchema, postgresStorage } from '../../src/storage/postgres.ts';
import { postgresSkipReason, randomTable, Tables, testPool } from '../helpers/postgres.ts';

const KEY = 'k'.repeat(43);
const OTHER = 'o'.repeat(43);
const now = (): number => Math.floor(Date.now() / 1000);
const fakePool = { query: async () => ({ rows: [] }), end: async () => {} };

describe('postgres storage: configuration', () => {
  it('refuses a missing or foreign client, naming the option', () => {
    assert.throws(() => postgresStorage({} as never), { name: 'TypeError', message: /"client" expected a pg Pool/ });
    assert.throws(() => postgresStorage({ client: { get() {} } } as never), { name: 'TypeError', message: /"client"/ });
    assert.throws(() => postgresStorage(null as never), { name: 'TypeError', message: /"options" expected an object/ });
  });

  it('refuses table names that are not plain identifiers, without trusting them into SQL', () => {
    for (const table of ['', 'a b', 'sessions; DROP TABLE x', 'a.b.c', '"q"', '1abc', 'x'.repeat(64)]) {
      assert.throws(() => postgresStorage({ client: fakePool, table }), { name: 'RangeError', message: /"table" expected a table name/ });
    }
    assert.throws(() => postgresStorage({ client: fakePool, table: 5 as never }), { name: 'TypeError', message: /"table" expected a string/ });
    assert.throws(() => postgresStorage({ client: fakePool, metaTable: 'm-t' }), { name: 'RangeError', message: /"metaTable"/ });
    assert.throws(() => postgresStorage({ client: fakePool, table: 's', metaTable: 's' }), { name: 'RangeError', message: /"metaTable" expected a table other/ });
    assert.doesNotThrow(() => postgresStorage({ client: fakePool, table: 'app.sessions', metaTable: 'app.sessions_index' }));
  });

  it('refuses a bad timeout or closeClient', () => {
    assert.throws(() => postgresStorage({ client: fakePool, timeout: -1 }), { name: 'RangeError', message: /"timeout"/ });
    assert.throws(() => postgresStorage({ client: fakePool, timeout: '5' as never }), { name: 'TypeError', message: /"timeout"/ });
    assert.throws(() => postgresStorage({ client: fakePool, closeClient: 1 as never }), { name: 'TypeError', message: /"closeClient"/ });
  });

  it('sweep options are checked', async () => {
    const s = postgresStorage({ client: fakePool });
    await assert.rejects(s.sweep({ limit: 0 }), { name: 'RangeError', message: /"limit"/ });
    await assert.rejects(s.sweep({ now: Number.NaN }), { name: 'TypeError', message: /"now"/ });
  });

  it('sql/postgres.sql holds the statements of postgresSchema() for the default names', async () => {
    await checkSchemaFile('sql/postgres.sql', postgresSchema());
  });
});

const skip = await postgresSkipReason();

describe('postgres storage: tables', { skip: skip ?? false }, () => {
  const pool = skip === undefined ? testPool() : undefined;
  const tables = new Tables();
  after(async () => {
    if (pool === undefined) return;
    await tables.dropAll(pool);
    await pool.end();
  });

  it("reads a record written the way lua-resty-session writes it, and lua's query reads ours", async () => {
    const { table } = await tables.make(pool!);
    const s = postgresStorage({ client: pool!, table });
    const t = now();
    // lua 4: INSERT ... (sid, name, data, exp) VALUES (..., TO_TIMESTAMP(now + ttl) AT TIME ZONE 'UTC').
    await pool!.query(`SET TIME ZONE 'UTC'`);
    await pool!.query(`INSERT INTO "${table}" (sid, name, data, exp) VALUES ($1, 'session', '["lua"]', TO_TIMESTAMP($2) AT TIME ZONE 'UTC')`, [KEY, t + 60]);
    assert.equal(await s.get('session', KEY, t), '["lua"]');
    await s.set({ namespace: 'session', key: OTHER, value: '["node"]', ttl: 60, now: t });
    const { rows } = await pool!.query(`SELECT data FROM "${table}" WHERE sid = $1 AND exp >= TO_TIMESTAMP($2) AT TIME ZONE 'UTC'`, [OTHER, t]);
    assert.deepEqual(rows, [{ data: '["node"]' }]);
  });

  it('an existing lua table (no successors column) gains it from createPostgresSchema', async () => {
    const table = randomTable('lua');
    await pool!.query(`CREATE TABLE "${table}" (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMP WITH TIME ZONE)`);
    await pool!.query(`INSERT INTO "${table}" VALUES ($1, 'session', '["kept"]', now() + interval '1 hour')`, [KEY]);
    await createPostgresSchema(pool!, { table });
    try {
      const { rows } = await pool!.query(`SELECT data, successors FROM "${table}"`);
      assert.deepEqual(rows, [{ data: '["kept"]', successors: null }]);
      assert.equal(await postgresStorage({ client: pool!, table }).get('session', KEY, now()), '["kept"]');
    } finally {
      await pool!.query(`DROP TABLE "${table}_meta", "${table}"`);
    }
  });

  it('one key per table: a live record of another namespace is not overwritten; an expired one is', async () => {
    const s = postgresStorage({ client: pool!, ...(await tables.make(pool!)) });
    const t = now();
    await s.set({ namespace: 'session', key: KEY, value: '["s"]', ttl: 60, now: t });
    await assert.rejects(s.set({ namespace: 'revoked', key: KEY, value: '1', ttl: 60, now: t }), (err: unknown) => isSessionError(err, 'STORAGE_ERROR') && /another namespace/.test(err.message));
    assert.equal(await s.get('session', KEY, t), '["s"]');
    await s.set({ namespace: 'revoked', key: KEY, value: '1', ttl: 60, now: t + 61 });
    assert.equal(await s.get('revoked', KEY, t + 61), '1');
    assert.equal(await s.get('session', KEY, t), null);
  });

  it('sweep deletes expired records and their index rows, in batches of `limit`', async () => {
    const { table, metaTable } = await tables.make(pool!);
    await checkSweep(postgresStorage({ client: pool!, table, metaTable }), async () => (await pool!.query(`SELECT sid FROM "${metaTable}" ORDER BY sid`)).rows.map((r) => String(r.sid)));
  });


  it('the record is written by one statement: a refused write lists nothing in the index', async () => {
    const { table, metaTable } = await tables.make(pool!);
    const s = postgresStorage({ client: pool!, table, metaTable });
    const t = now();
    await s.set({ namespace: 'remember', key: KEY, value: '["r"]', ttl: 60, now: t });
    const metadata = { audiences: ['YXBw'], subjects: ['Ym9i'] };
    await assert.rejects(s.set({ namespace: 'session', key: KEY, value: '["s"]', ttl: 60, now: t, metadata }));
    const { rows } = await pool!.query(`SELECT count(*)::int AS n FROM "${metaTable}"`);
    assert.equal(rows[0].n, 0);
  });
});
