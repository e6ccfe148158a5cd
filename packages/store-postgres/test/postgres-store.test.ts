import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { AuditConfigError } from '@auditkit/core';
import { openPostgresStore, PG_MIGRATIONS, type PostgresStore } from '@auditkit/store-postgres';
import { recordLine } from '../../store/test/helpers.js';
import { dropSchema, freshSchemaName, PG_URL, sql } from './pg-helpers.js';

const DAY = 86_400_000_000;
const now = (): number => Date.now() * 1000;
const schemas: string[] = [];
function schema(): string {
  const s = freshSchemaName();
  schemas.push(s);
  return s;
}
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

async function partitions(s: string): Promise<string[]> {
  const rows = await sql<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'records' ORDER BY 1`,
    [s],
  );
  return rows.map((r) => r.name);
}
const dayName = (micros: number): string => `records_${new Date(micros / 1000).toISOString().slice(0, 10).replace(/-/g, '')}`;
const numbers = async (store: PostgresStore): Promise<number[]> =>
  (await store.query([], { limit: 10_000, direction: 'older' })).lines.map((l) => Number((JSON.parse(l) as { id: string }).id.slice(-12)));

describe('PostgreSQL store', () => {
  it('eight instances starting at once on a new schema: each migration is applied once, all open', async () => {
    const s = schema();
    const stores = await Promise.all(Array.from({ length: 8 }, () => openPostgresStore({ connectionString: PG_URL, schema: s, poolSize: 2 })));
    try {
      const versions = await sql<{ version: number }>(`SELECT version FROM "${s}".migrations ORDER BY version`);
      assert.deepEqual(versions.map((v) => v.version), PG_MIGRATIONS.map((m) => m.version));
      const today = now();
      const names = await partitions(s);
      for (let d = -1; d <= 7; d++) assert.ok(names.includes(dayName(today + d * DAY)), `partition for day ${d}`);
      assert.equal(names.length, new Set(names).size);
      // Every instance writes; any reads all.
      await Promise.all(stores.map((st, k) => st.write([recordLine(k + 1, now())])));
      assert.deepEqual((await stores[0]!.count([], 100)).value, 8);
    } finally {
      await Promise.all(stores.map((st) => st.close()));
    }
  });

  it('trims to maxRecords keeping exactly that many, the newest, dropping wholly older partitions', async () => {
    const s = schema();
    const store = await openPostgresStore({ connectionString: PG_URL, schema: s, maxRecords: 1000, retentionChunk: 300 });
    try {
      const t = now();
      // 3,000 records over three days: day -2 (1..1000), day -1 (1001..2000), today (2001..3000).
      const lines = Array.from({ length: 3000 }, (_, i) => recordLine(i + 1, t - (2 - Math.floor(i / 1000)) * DAY - (999 - (i % 1000)) * 1000));
      for (let i = 0; i < lines.length; i += 500) await store.write(lines.slice(i, i + 500));
      await store.upkeep();
      const kept = await numbers(store);
      assert.equal(kept.length, 1000);
      assert.equal(kept[0], 3000);
      assert.equal(kept.at(-1), 2001);
      const names = await partitions(s);
      assert.ok(!names.includes(dayName(t - 2 * DAY)), 'the oldest day is dropped whole');
      await store.write([recordLine(5000, t)]);
      await store.upkeep();
      const again = await numbers(store);
      assert.equal(again.length, 1000);
      assert.equal(again[0], 5000);
      assert.equal(again.at(-1), 2002);
    } finally {
      await store.close();
    }
  });

  it('maxAgeDays drops whole partitions past the age and does not store records already past it', async () => {
    const s = schema();
    const t = now();
    const old = await openPostgresStore({ connectionString: PG_URL, schema: s, maxAgeDays: null });
    await old.write([recordLine(1, t - 10 * DAY), recordLine(2, t - 4 * DAY), recordLine(3, t)]);
    await old.close();
    assert.ok((await partitions(s)).includes(dayName(t - 10 * DAY)), 'a past day gets its partition on demand');
    const store = await openPostgresStore({ connectionString: PG_URL, schema: s, maxAgeDays: 5 });
    try {
      await store.upkeep();
      assert.deepEqual(await numbers(store), [3, 2]);
      assert.ok(!(await partitions(s)).includes(dayName(t - 10 * DAY)));
      const late = await store.write([recordLine(4, t - 9 * DAY)]);
      assert.deepEqual({ inserted: late.inserted, expired: late.expired }, { inserted: 0, expired: 1 });
      assert.ok(!(await partitions(s)).includes(dayName(t - 9 * DAY)), 'no partition is made for an expired record');
    } finally {
      await store.close();
    }
  });

  it('upkeep runs on one instance at a time: the others skip while one holds the lock', async () => {
    const s = schema();
    const store = await openPostgresStore({ connectionString: PG_URL, schema: s });
    const { default: pg } = await import('pg');
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', [`auditkit:upkeep:${s}`]);
      await store.upkeep();
      assert.equal(store.lastUpkeep?.ran, false);
      await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [`auditkit:upkeep:${s}`]);
      await store.upkeep();
      assert.equal(store.lastUpkeep?.ran, true);
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it('a record for a day far ahead gets its partition; time stays exact in µs', async () => {
    const s = schema();
    const store = await openPostgresStore({ connectionString: PG_URL, schema: s });
    try {
      const future = now() + 40 * DAY + 123;
      await store.write([recordLine(1, future)]);
      const page = await store.query([{ time: { gte: future, lte: future } }], { limit: 10, direction: 'older' });
      assert.equal(page.lines.length, 1);
      assert.equal((JSON.parse(page.lines[0]!) as { time: number }).time, future);
      const stored = await sql<{ time: string }>(`SELECT time FROM "${s}".records`);
      assert.equal(stored[0]!.time, String(future), 'µs as bigint, not a millisecond timestamp');
    } finally {
      await store.close();
    }
  });

  it('no server: open fails at construction naming the option, without the password', async () => {
    const err = await openPostgresStore({ connectionString: 'postgres://audit:s3cret-pw@127.0.0.1:1/audit', schema: 'auditkit' }).catch((e: unknown) => e);
    assert.ok(err instanceof AuditConfigError);
    assert.equal(err.code, 'AUDITKIT_SINK_UNAVAILABLE');
    assert.equal(err.option, 'connectionString');
    assert.ok(!err.message.includes('s3cret-pw'), err.message);
  });

  it('a server that accepts and never answers: open fails after connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as { port: number }).port;
    try {
      const started = Date.now();
      await assert.rejects(openPostgresStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 500 }), AuditConfigError);
      assert.ok(Date.now() - started < 20_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });

  it('bad options throw AuditConfigError naming the option', async () => {
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, schema: 'Robert"; DROP' }), /options\.schema/);
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, maxAgeDays: 0 }), /options\.maxAgeDays/);
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, partitionAhead: 3 } as never), /did you mean partitionsAhead/);
    await assert.rejects(openPostgresStore({} as never), /options\.connectionString: is required/);
  });
});
