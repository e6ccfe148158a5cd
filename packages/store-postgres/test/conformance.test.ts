import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore, type AuditStore, type InsertResult, type Cursor } from '@auditkit/store';
import { openPostgresStore } from '@auditkit/store-postgres';
import { CASES, HOSTILE, HOUR, idOf, LINES, lineOf, ROBERT, T0 } from '../../store/test/fixtures.js';
import { dropSchema, freshSchemaName, PG_URL, sql } from './pg-helpers.js';

/**
 * One table of cases (packages/store/test/fixtures.ts) run against both backends: each must give the
 * expected ids, written out by hand, so the two give the same results for the same filters.
 */

type Backend = { store: AuditStore & { write(lines: readonly string[]): Promise<InsertResult> }; cleanup(): Promise<void>; tableCount(): Promise<number> };

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditkit-store-'));
      const store = await openSqliteStore({ path: join(dir, 'audit.db'), maxAgeDays: null });
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
        tableCount: async () => (await store.count([], 1e9)).value,
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = freshSchemaName();
      const store = await openPostgresStore({ connectionString: PG_URL, schema, maxAgeDays: null, liveLagMs: 0 });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await dropSchema(schema);
        },
        tableCount: async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".records`))[0]!.n),
      };
    },
  ],
];

const ids = (lines: string[]): number[] => lines.map((l) => Number((JSON.parse(l) as { id: string }).id.slice(-12)));

for (const [name, open] of backends) {
  describe(`store conformance: ${name}`, () => {
    let b: Backend;
    before(async () => {
      b = await open();
      // Out of order and in two batches: the store orders by (time, id), not by arrival.
      const shuffled = [...LINES].reverse();
      const first = await b.store.write(shuffled.slice(0, 7));
      const second = await b.store.write(shuffled.slice(7));
      assert.deepEqual([first.inserted, second.inserted], [7, 5]);
    });
    after(async () => b?.cleanup());

    it('a replayed batch adds nothing: inserts are idempotent by record id', async () => {
      const replay = await b.store.write(LINES);
      assert.deepEqual({ inserted: replay.inserted, duplicates: replay.duplicates }, { inserted: 0, duplicates: 12 });
      const twiceInOneBatch = await b.store.write([lineOf(3), lineOf(3)]);
      assert.equal(twiceInOneBatch.inserted, 0);
      assert.equal(await b.tableCount(), 12);
    });

    for (const c of CASES) {
      it(`filter: ${c.name}`, async () => {
        const page = await b.store.query(c.filters, { limit: 100, direction: 'older' });
        assert.deepEqual(ids(page.lines), c.expect);
        assert.deepEqual(await b.store.count(c.filters, 1000), { value: c.expect.length, exact: true });
      });
    }

    it('returns each record byte for byte as written', async () => {
      const page = await b.store.query([], { limit: 100, direction: 'older' });
      assert.deepEqual(page.lines, [...LINES].reverse().sort((x, y) => ids([y])[0]! - ids([x])[0]!));
      for (let n = 1; n <= 12; n++) assert.equal(await b.store.get(idOf(n), []), lineOf(n));
    });

    it('get() honours the scope and knows no unknown id', async () => {
      assert.equal(await b.store.get(idOf(5), [{ match: { source: { values: ['alice'], negate: false } } }]), undefined);
      assert.equal(await b.store.get(idOf(1), [{ match: { source: { values: ['alice'], negate: false } } }]), lineOf(1));
      assert.equal(await b.store.get('no-such-id', []), undefined);
    });

    it('pages by keyset cursor, older and back newer', async () => {
      const p1 = await b.store.query([], { limit: 5, direction: 'older' });
      assert.deepEqual(ids(p1.lines), [12, 11, 10, 9, 8]);
      assert.equal(p1.prev, null);
      const p2 = await b.store.query([], { limit: 5, direction: 'older', after: p1.next! });
      assert.deepEqual(ids(p2.lines), [7, 6, 5, 4, 3]);
      const p3 = await b.store.query([], { limit: 5, direction: 'older', after: p2.next! });
      assert.deepEqual(ids(p3.lines), [2, 1]);
      assert.equal(p3.next, null, 'the last page says so');
      const back = await b.store.query([], { limit: 5, direction: 'newer', after: p2.prev! });
      assert.deepEqual(ids(back.lines), [12, 11, 10, 9, 8], 'prev of page 2 is page 1');
      assert.equal(back.prev, null, 'nothing newer than page 1');
      const back2 = await b.store.query([], { limit: 5, direction: 'newer', after: p3.prev! });
      assert.deepEqual(ids(back2.lines), [7, 6, 5, 4, 3]);
      assert.notEqual(back2.prev, null);
    });

    it('pages a filter across records that share a time (tie broken by id)', async () => {
      const f = [{ match: { request_id: { values: ['req-11'], negate: false } } }];
      const p1 = await b.store.query(f, { limit: 1, direction: 'older' });
      assert.deepEqual(ids(p1.lines), [12]);
      const p2 = await b.store.query(f, { limit: 1, direction: 'older', after: p1.next! });
      assert.deepEqual(ids(p2.lines), [11]);
      assert.equal(p2.next, null);
    });

    it('scan() streams every match newest first in bounded batches', async () => {
      const batches: string[][] = [];
      for await (const batch of b.store.scan([{ match: { operation_type: { values: ['projects'], negate: false } } }], 3)) batches.push(batch);
      assert.deepEqual(batches.map(ids), [[12, 11, 10], [8, 7, 6], [2, 1]]);
    });

    it('count() stops at its cap', async () => {
      assert.deepEqual(await b.store.count([{ match: { operation_type: { values: ['projects'], negate: false } } }], 5), { value: 5, exact: false });
      assert.deepEqual(await b.store.count([], 12), { value: 12, exact: true });
      assert.deepEqual(await b.store.count([], 3), { value: 3, exact: false });
    });

    it('distinct() gives values most frequent first, ties in byte order', async () => {
      assert.deepEqual(await b.store.distinct('source', [], 100), [
        { value: 'alice', count: 5 },
        { value: 'bob', count: 2 },
        { value: ROBERT, count: 1 },
        { value: 'carol', count: 1 },
        { value: 'dave', count: 1 },
      ]);
      assert.deepEqual(await b.store.distinct('http_status_code', [{ match: { node: { values: ['node-a'], negate: false } } }], 3), [
        { value: 200, count: 2 },
        { value: 201, count: 1 },
        { value: 204, count: 1 },
      ]);
    });

    it('histogram() counts totals and failures per bucket, every bucket present', async () => {
      const buckets = await b.store.histogram([], { from: T0, to: T0 + 12 * HOUR - 1 }, 12);
      assert.deepEqual(
        buckets.map((x) => [x.start, x.total, x.failures]),
        [
          [T0, 0, 0],
          [T0 + 1 * HOUR, 1, 0],
          [T0 + 2 * HOUR, 1, 1],
          [T0 + 3 * HOUR, 1, 0],
          [T0 + 4 * HOUR, 1, 1],
          [T0 + 5 * HOUR, 1, 0],
          [T0 + 6 * HOUR, 1, 1],
          [T0 + 7 * HOUR, 1, 0],
          [T0 + 8 * HOUR, 1, 1],
          [T0 + 9 * HOUR, 1, 0],
          [T0 + 10 * HOUR, 1, 0],
          [T0 + 11 * HOUR, 2, 1],
        ],
      );
      const failures = await b.store.histogram([{ match: { operation_result: { values: ['failure'], negate: false } } }], { from: T0, to: T0 + 12 * HOUR - 1 }, 2);
      assert.deepEqual(failures.map((x) => x.total), [2, 3]);
    });

    it('SQL-injection strings through every filter are data: nothing matches, nothing breaks', async () => {
      const fields = ['node', 'from', 'source', 'operation_id', 'operation_type', 'operation_result', 'http_method', 'request_id', 'event', 'target_type', 'target_id'] as const;
      for (const hostile of HOSTILE) {
        for (const field of fields) {
          const page = await b.store.query([{ match: { [field]: { values: [hostile, `${hostile}x`], negate: false } } }], { limit: 100, direction: 'older' });
          assert.deepEqual(page.lines, [], `${field}=${JSON.stringify(hostile)}`);
          assert.equal((await b.store.count([{ match: { [field]: { values: [hostile], negate: true } } }], 1000)).value, 12, `${field}=!${JSON.stringify(hostile)}`);
        }
        assert.deepEqual((await b.store.query([{ source_ip: { addresses: [hostile], cidrs: [], negate: false } }], { limit: 100, direction: 'older' })).lines, []);
        const text = await b.store.query([{ text: hostile }], { limit: 100, direction: 'older' });
        // A few of these characters really are in the records (record 5 holds "%", "_", "*", "[", ")", 11 a NUL).
        assert.ok(ids(text.lines).every((n) => [3, 5, 6, 9, 11].includes(n)), `text ${JSON.stringify(hostile)} gave ${ids(text.lines).join(',')}`);
        assert.equal(await b.store.get(hostile, []), undefined);
        await b.store.distinct('source', [{ match: { source: { values: [hostile], negate: false } } }], 10);
      }
      assert.equal(await b.tableCount(), 12, 'the table is intact');
      assert.deepEqual(ids((await b.store.query([{ text: '%' }], { limit: 100, direction: 'older' })).lines), [5]);
    });

    it('a bad cursor position (far future or past) gives an empty page, not an error', async () => {
      const future: Cursor = { time: Number.MAX_SAFE_INTEGER, id: 'z' };
      assert.deepEqual(ids((await b.store.query([], { limit: 2, direction: 'older', after: future })).lines), [12, 11]);
      assert.deepEqual((await b.store.query([], { limit: 2, direction: 'newer', after: future })).lines, []);
      assert.deepEqual((await b.store.query([], { limit: 2, direction: 'older', after: { time: 0, id: '0' } })).lines, []);
    });

    it('since(): the live feed gives records stored after a cursor, oldest stored first', async () => {
      const start = await b.store.since([], null, 10);
      assert.deepEqual(start.lines, [], 'no cursor: start at the end');
      assert.notEqual(start.next, null);
      const fresh = [
        lineOf(1).replace(idOf(1), idOf(101)).replace(`"time":${T0 + HOUR}`, `"time":${T0 - HOUR}`),
        lineOf(2).replace(idOf(2), idOf(102)),
      ];
      await b.store.write(fresh);
      const live = await b.store.since([], start.next, 10);
      // Stored order, not record time: a late record (its time an hour before every other) is not missed.
      assert.deepEqual(ids(live.lines).sort((x, y) => x - y), [101, 102]);
      const filtered = await b.store.since([{ match: { source: { values: ['bob'], negate: false } } }], start.next, 10);
      assert.deepEqual(ids(filtered.lines), [102]);
      const nothing = await b.store.since([], live.next, 10);
      assert.deepEqual(nothing.lines, []);
      assert.deepEqual(nothing.next, live.next);
      const fromRecordCursor = await b.store.since([], { time: T0 + 20 * HOUR, id: idOf(12) }, 100);
      assert.ok(ids(fromRecordCursor.lines).includes(101), 'a page cursor also works as a live cursor: nothing stored after it is missed');
    });
  });
}
