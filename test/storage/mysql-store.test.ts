// What the MySQL/MariaDB store does beyond the conformance suite: configuration errors at construction,
// lua-resty-session's tables (a row written the way lua writes it is read; a lua table gains `successors`),
// case-sensitive keys, the sweep, and the shipped sql/mysql.sql. Real server, random table names.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkSchemaFile, checkSweep } from './sql-cases.ts';
import { createMysqlSchema, mysqlSchema, mysqlStorage } from '../../src/storage/mysql.ts';
import { MysqlTables, mysqlPool, mysqlSkipReason } from '../helpers/mysql.ts';
import { randomTable } from '../helpers/postgres.ts';

const KEY = 'k'.repeat(43);
const now = (): number => Math.floor(Date.now() / 1000);
const fakePool = { execute: async () => [[], undefined] as [unknown, unknown], end: async () => {} };

describe('mysql storage: configuration', () => {
  it('refuses a missing or foreign client, and bad options, naming them', () => {
    assert.throws(() => mysqlStorage({} as never), { name: 'TypeError', message: /"client" expected a mysql2 pool/ });
    assert.throws(() => mysqlStorage({ client: { query() {} } } as never), { name: 'TypeError', message: /"client"/ });
    assert.throws(() => mysqlStorage({ client: fakePool, table: 'a`b' }), { name: 'RangeError', message: /"table" expected a table name/ });
    assert.throws(() => mysqlStorage({ client: fakePool, timeout: -5 }), { name: 'RangeError', message: /"timeout"/ });
  });

  it('sql/mysql.sql holds the statements of mysqlSchema() for the default names', async () => {
    await checkSchemaFile('sql/mysql.sql', mysqlSchema());
  });
});

const skip = await mysqlSkipReason();

describe('mysql storage: tables', { skip: skip ?? false }, () => {
  const pool = skip === undefined ? mysqlPool() : undefined;
  const tables = new MysqlTables();
  after(async () => {
    if (pool === undefined) return;
    await tables.dropAll(pool);
    await pool.end();
  });

  it("reads a record written the way lua-resty-session writes it, and lua's query reads ours", async () => {
    const { table } = await tables.make(pool!);
    const s = mysqlStorage({ client: pool!, table });
    const t = now();
    // lua 4: INSERT INTO sessions (sid, name, data, exp) VALUES (..., FROM_UNIXTIME(now + ttl)) ...
    await pool!.query(`INSERT INTO \`${table}\` (sid, name, data, exp) VALUES (?, 'session', '["lua"]', FROM_UNIXTIME(?))`, [KEY, t + 60]);
    assert.equal(await s.get('session', KEY, t), '["lua"]');
    const other = 'o'.repeat(43);
    await s.set({ namespace: 'session', key: other, value: '["node"]', ttl: 60, now: t });
    const [rows] = await pool!.query(`SELECT data FROM \`${table}\` WHERE sid = ? AND exp >= FROM_UNIXTIME(?)`, [other, t]);
    assert.deepEqual(rows, [{ data: '["node"]' }]);
  });

  it('keys are case-sensitive (base64url), though lua declares the table CHARACTER SET ascii', async () => {
    const s = mysqlStorage({ client: pool!, ...(await tables.make(pool!)) });
    const t = now();
    await s.set({ namespace: 'session', key: 'a'.repeat(43), value: '["lower"]', ttl: 60, now: t });
    await s.set({ namespace: 'session', key: 'A'.repeat(43), value: '["upper"]', ttl: 60, now: t });
    assert.equal(await s.get('session', 'a'.repeat(43), t), '["lower"]');
    assert.equal(await s.get('session', 'A'.repeat(43), t), '["upper"]');
  });

  it('an existing lua table (no successors column) gains it from createMysqlSchema', async () => {
    const table = randomTable('lua');
    await pool!.query(`CREATE TABLE \`${table}\` (sid CHAR(43) PRIMARY KEY, name VARCHAR(255), data MEDIUMTEXT, exp DATETIME, INDEX (exp)) CHARACTER SET ascii`);
    await pool!.query(`INSERT INTO \`${table}\` VALUES (?, 'session', '["kept"]', FROM_UNIXTIME(?))`, [KEY, now() + 3600]);
    await createMysqlSchema(pool!, { table });
    await createMysqlSchema(pool!, { table }); // idempotent
    try {
      const [rows] = await pool!.query(`SELECT data, successors FROM \`${table}\``);
      assert.deepEqual(rows, [{ data: '["kept"]', successors: null }]);
      assert.equal(await mysqlStorage({ client: pool!, table }).get('session', KEY, now()), '["kept"]');
    } finally {
      await pool!.query(`DROP TABLE \`${table}_meta\`, \`${table}\``);
    }
  });

  it('sweep deletes expired records and their index rows, in batches of `limit`', async () => {
    const { table, metaTable } = await tables.make(pool!);
    await checkSweep(mysqlStorage({ client: pool!, table, metaTable }), async () => {
      const [rows] = await pool!.query(`SELECT sid FROM \`${metaTable}\` ORDER BY sid`);
      return (rows as Array<{ sid: string }>).map((r) => r.sid);
    });
  });

});
