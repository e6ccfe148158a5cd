import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditConfigError, AuditFault, Auditor, type AdapterBinding } from '@auditkit/core';
import { openSqliteStore, type SqliteStore } from '@auditkit/store';
import { numberOf, recordLine, tempDir, tmpfs, waitFor } from './helpers.js';

const DAY = 86_400_000_000;
const now = (): number => Date.now() * 1000;
const all = async (store: SqliteStore): Promise<number[]> => (await store.query([], { limit: 10_000, direction: 'older' })).lines.map(numberOf);

describe('SQLite store', () => {
  it('trims to maxRecords keeping exactly that many, the newest by time, in bounded chunks', async () => {
    const dir = tempDir();
    const store = await openSqliteStore({ path: join(dir, 'a.db'), maxRecords: 1000, retentionChunk: 300 });
    try {
      const t = now() - 3_600_000_000;
      // Newest first on arrival, and an import of older records after them: time decides, not arrival.
      const lines = Array.from({ length: 2500 }, (_, i) => recordLine(i + 1, t + (i + 1) * 1000));
      await store.write(lines.slice(1500));
      await store.write(lines.slice(0, 1500));
      await store.upkeep();
      const kept = await all(store);
      assert.equal(kept.length, 1000);
      assert.equal(kept[0], 2500);
      assert.equal(kept.at(-1), 1501);
      assert.deepEqual(await store.count([], 1e9), { value: 1000, exact: true });
      await store.upkeep();
      assert.equal((await all(store)).length, 1000, 'a second pass removes nothing more');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maxAgeDays: removes records past the age, and does not store ones already past it', async () => {
    const dir = tempDir();
    const store = await openSqliteStore({ path: join(dir, 'a.db'), maxAgeDays: 5, maxRecords: null, thread: 'main' });
    try {
      const t = now();
      const lines = [recordLine(1, t - 10 * DAY), recordLine(2, t - 4 * DAY), recordLine(3, t - 1000)];
      const result = await store.write(lines);
      assert.deepEqual({ inserted: result.inserted, expired: result.expired }, { inserted: 2, expired: 1 });
      await store.upkeep();
      assert.deepEqual(await all(store), [3, 2]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a free-text needle found in many records pages newest first, as a rare one does', async () => {
    const dir = tempDir();
    const store = await openSqliteStore({ path: join(dir, 'a.db') });
    try {
      const t = now() - 3_600_000_000;
      const lines = Array.from({ length: 22_000 }, (_, i) =>
        recordLine(i + 1, t + i * 1000, { meta: { note: i % 2 === 0 ? 'Common Needle' : 'other', rare: i === 7 ? 'rare-thing' : '' }, source: i % 3 === 0 ? 'bob' : 'alice' }),
      );
      // Imported out of order: the newest records get the lowest rowids.
      for (let i = lines.length; i > 0; i -= 5500) await store.write(lines.slice(Math.max(0, i - 5500), i));
      const plan = (await store.explain([{ text: 'common needle' }], { limit: 5, direction: 'older' })).join(' ');
      assert.match(plan, /SCAN r USING INDEX records_time SEARCH c EXISTS/, 'a common needle is tested per record, newest first');
      const page = await store.query([{ text: 'common needle' }], { limit: 5, direction: 'older' });
      assert.deepEqual(page.lines.map(numberOf), [21999, 21997, 21995, 21993, 21991]);
      const next = await store.query([{ text: 'COMMON NEEDLE' }], { limit: 3, direction: 'older', after: page.next! });
      assert.deepEqual(next.lines.map(numberOf), [21989, 21987, 21985]);
      const withSource = await store.query([{ text: 'common needle' }, { match: { source: { values: ['bob'], negate: false } } }], { limit: 3, direction: 'older' });
      assert.deepEqual(withSource.lines.map(numberOf), [21997, 21991, 21985]);
      assert.doesNotMatch((await store.explain([{ text: 'rare-thing' }], { limit: 5, direction: 'older' })).join(' '), /SEARCH c EXISTS/);
      assert.deepEqual((await store.query([{ text: 'rare-thing' }], { limit: 5, direction: 'older' })).lines.map(numberOf), [8]);
      assert.deepEqual(await store.count([{ text: 'common needle' }], 100_000), { value: 11_000, exact: true });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records reach it through the pipeline, and a line that is no record is reported, never retried', async () => {
    const dir = tempDir();
    const store = await openSqliteStore({ path: join(dir, 'a.db') });
    const auditor = new Auditor({ sinks: [store.transport], node: 'pipeline-test' });
    const faults: AuditFault[] = [];
    auditor.on('fault', (f: AuditFault) => faults.push(f));
    const binding: AdapterBinding<object> = { setHeader() {}, watchCompletion() {} };
    try {
      for (let i = 0; i < 300; i++) {
        const ctx = auditor.begin({ method: 'POST', headers: { authorization: 'Bearer secret-token' }, remoteAddress: '10.0.0.7' }, binding, {});
        ctx.complete({ route: '/items/:n', params: { n: String(i) }, query: {}, body: { password: 'hunter2', n: i }, statusCode: 201, aborted: false, headersSent: true });
      }
      await auditor.close();
      const page = await store.query([{ match: { node: { values: ['pipeline-test'], negate: false } } }], { limit: 1000, direction: 'older' });
      assert.equal(page.lines.length, 300);
      assert.ok(page.lines.every((l) => !l.includes('hunter2') && !l.includes('secret-token')));
      assert.equal((await store.query([{ text: 'hunter2' }], { limit: 10, direction: 'older' })).lines.length, 0);
      const mixed = await store.write(['not json', '{"no":"id"}', recordLine(9, now())]);
      assert.equal(mixed.inserted, 1);
      assert.deepEqual(mixed.rejected.map((r) => r.index), [0, 1]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full disk: writes fail and are retried, nothing is lost or doubled once space returns', async () => {
    const fs = tmpfs(16 * 1024);
    try {
      const store = await openSqliteStore({ path: join(fs.dir, 'audit.db') });
      const auditor = new Auditor({ sinks: [{ transport: store.transport, queue: { retryMs: 50, retryMaxMs: 200 } }] });
      const faults: AuditFault[] = [];
      auditor.on('fault', (f: AuditFault) => faults.push(f));
      const binding: AdapterBinding<object> = { setHeader() {}, watchCompletion() {} };
      const filler = join(fs.dir, 'filler');
      // Leave 64 KiB: room for the first pages, not for 400 records.
      const free = statfsSync(fs.dir);
      writeFileSync(filler, Buffer.alloc(free.bavail * free.bsize - 64 * 1024));
      for (let i = 0; i < 400; i++) {
        const ctx = auditor.begin({ method: 'POST', headers: { 'x-request-id': `disk-${i}` }, remoteAddress: '10.0.0.7' }, binding, {});
        ctx.complete({ route: '/items/:n', params: { n: String(i) }, query: {}, body: { note: 'y'.repeat(1500) }, statusCode: 201, aborted: false, headersSent: true });
      }
      await waitFor(() => faults.some((f) => /full|disk/i.test(String((f.cause as Error)?.message ?? f.message))), 10_000, 'a disk-full fault');
      rmSync(filler);
      await auditor.close({ timeoutMs: 20_000 });
      const sink = Object.values(auditor.stats().sinks)[0]!;
      assert.equal(sink.written, 400);
      assert.deepEqual(await store.count([], 1e6), { value: 400, exact: true });
      const ids = new Set((await store.query([], { limit: 1000, direction: 'older' })).lines.map((l) => (JSON.parse(l) as { request_id: string }).request_id));
      assert.equal(ids.size, 400);
      await store.close();
    } finally {
      fs.unmount();
    }
  });

  it('a directory it may not write: the store fails at construction, naming the option', async () => {
    const fs = tmpfs(256);
    try {
      fs.remount('ro');
      await assert.rejects(openSqliteStore({ path: join(fs.dir, 'sub', 'audit.db') }), (err: unknown) => {
        assert.ok(err instanceof AuditConfigError);
        assert.equal(err.code, 'AUDITKIT_SINK_UNAVAILABLE');
        assert.equal(err.option, 'path');
        return true;
      });
      await assert.rejects(openSqliteStore({ path: join(fs.dir, 'audit.db') }), /options\.path: the SQLite store .* cannot be opened/);
    } finally {
      fs.unmount();
    }
  });

  it('bad options throw AuditConfigError naming the option and the fix', async () => {
    await assert.rejects(openSqliteStore({ path: '/tmp/x.db', maxRecord: 5 } as never), (err: unknown) => {
      assert.ok(err instanceof AuditConfigError);
      assert.equal(err.code, 'AUDITKIT_UNKNOWN_OPTION');
      assert.match(err.message, /did you mean maxRecords/);
      return true;
    });
    await assert.rejects(openSqliteStore({ path: '/tmp/x.db', maxAgeDays: -1 }), /options\.maxAgeDays: .*Fix: use 92/);
    await assert.rejects(openSqliteStore({ path: '/tmp/x.db', maxRecords: 0 }), /options\.maxRecords/);
    await assert.rejects(openSqliteStore({ path: '/tmp/x.db', thread: 'both' as never }), /options\.thread/);
    await assert.rejects(openSqliteStore({} as never), /options\.path/);
  });

  it('a file someone else wrote (not a database) is refused at construction', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'audit.db'), 'this is not a database, just a file with text in it'.repeat(100));
      await assert.rejects(openSqliteStore({ path: join(dir, 'audit.db') }), (err: unknown) => err instanceof AuditConfigError && err.option === 'path');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('four processes opening one new file at once: the schema is made once, every write lands', async () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'shared.db');
      const script = fileURLToPath(new URL('./sqlite-writer.ts', import.meta.url));
      const children = [0, 1, 2, 3].map((k) => spawn(process.execPath, ['--import', 'tsx', script, path, String(k)], { stdio: ['ignore', 'ignore', 'pipe'] }));
      const codes = await Promise.all(
        children.map(async (c) => {
          let err = '';
          c.stderr!.on('data', (d) => (err += d));
          const [code] = await once(c, 'exit');
          return code === 0 ? 0 : err;
        }),
      );
      assert.deepEqual(codes, [0, 0, 0, 0]);
      const store = await openSqliteStore({ path, thread: 'main' });
      assert.deepEqual(await store.count([], 1e6), { value: 400, exact: true });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a store left open does not keep the process alive (the worker is unref’d when idle)', () => {
    const dir = tempDir();
    try {
      const code = `import('@auditkit/store').then(async ({ openSqliteStore }) => { const s = await openSqliteStore({ path: ${JSON.stringify(join(dir, 'a.db'))} }); await s.write([${JSON.stringify(recordLine(1, now()))}]); console.log('written'); })`;
      const r = spawnSync(process.execPath, ['-e', code], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, 'the process exited by itself');
      assert.equal(r.stdout.trim(), 'written');
      assert.equal(r.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
