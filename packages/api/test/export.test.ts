import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { AuditFault } from '@auditkit/core';
import { openSqliteStore, type AuditStore, type FilterSet } from '@auditkit/store';
import { FRAMEWORKS, headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { openTestStore, seedId, seedLine, sqliteTestStore, tempDir, type TestStore } from './records.js';

/**
 * Export: the whole result streamed from the store at the client's pace, ending with its count; CSV
 * in UTC with formula injection neutralised. The apps here record reads to a file, so one store
 * serves all three frameworks.
 */

const T0 = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z

/** The store, counting the records export has read from it so far. */
function counting(store: AuditStore): { store: AuditStore; read: () => number } {
  let read = 0;
  const wrapped: AuditStore = Object.create(store) as AuditStore;
  (wrapped as { scan: AuditStore['scan'] }).scan = async function* scan(filters: FilterSet, batchSize: number) {
    for await (const batch of store.scan(filters, batchSize)) {
      read += batch.length;
      yield batch;
    }
  };
  return { store: wrapped, read: () => read };
}

/** Waits until `value()` has not changed for a while (the server has stopped reading ahead). */
async function settled(value: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  while (same < 8) {
    await new Promise((r) => setTimeout(r, 100));
    const now = value();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** Polls until `check` holds (records reach a file a moment after the response that caused them). */
async function eventually<T>(check: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function exportRecords(file: string): Array<{ source: string; meta: Record<string, unknown> }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { event: string; source: string; meta: Record<string, unknown> })
    .filter((r) => r.event === 'audit.log.export');
}

/** A client that takes the head of the response, then stops reading until told to go on. */
function pausedDownload(url: string): Promise<{ head: string; resume: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'x-viewer': 'auditor' } }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (first: string) => {
        res.pause();
        const chunks = [first];
        resolve({
          head: first,
          resume: () =>
            new Promise((done, fail) => {
              res.on('data', (c: string) => chunks.push(c));
              res.on('end', () => done(chunks.join('')));
              res.on('error', fail);
              res.resume();
            }),
        });
      });
    }).on('error', reject);
  });
}

const PAD = 16 * 1024;
const BIG_COUNT = 6000;
function bigLine(n: number): string {
  return seedLine({ n, time: T0 + n * 1000 }).replace('"headers":{}', `"headers":{"x-pad":"${'p'.repeat(PAD)}"}`);
}

/**
 * The most records the buffers between the server and a client that stopped reading can hold: the
 * largest TCP send and receive buffers this kernel allows (loopback autotuning can grow them that far),
 * plus a few export batches in the server's own streams. A server reading ahead of its client by more
 * than this is not applying backpressure.
 */
const IN_FLIGHT_RECORDS = (() => {
  const max = (file: string) => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
  const bytes = max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
  return Math.ceil(bytes / PAD) + 4 * 100;
})();

let bigDatabase: Promise<string> | undefined;

/** A store of BIG_COUNT large records: built once, then each caller gets its own copy of the file. */
async function bigStoreCopy(): Promise<TestStore> {
  bigDatabase ??= (async () => {
    const path = join(tempDir(), 'audit.db');
    const seed = await openSqliteStore({ path, maxAgeDays: null });
    for (let start = 1; start <= BIG_COUNT; start += 500) {
      const batch: string[] = [];
      for (let n = start; n < start + 500; n++) batch.push(bigLine(n));
      await seed.write(batch);
    }
    await seed.close();
    return path;
  })();
  const dir = tempDir();
  const path = join(dir, 'audit.db');
  const original = await bigDatabase;
  copyFileSync(original, path);
  // Whatever a checkpoint has not moved into the main file yet is in the write-ahead log.
  if (existsSync(`${original}-wal`)) copyFileSync(`${original}-wal`, `${path}-wal`);
  return sqliteTestStore(await openSqliteStore({ path, maxAgeDays: null }), dir);
}

after(async () => {
  if (bigDatabase) rmSync(dirname(await bigDatabase), { recursive: true, force: true });
});

const hostile = [
  seedLine({
    n: 1,
    time: T0 + 123_456,
    source: '=HYPERLINK("http://evil.example","click")',
    target: { type: 'user', id: '+1', name: '@admin' },
    body: { note: '-2+3', tab: '\tcmd' },
    meta: { formula: '=1+1' },
  }),
  seedLine({ n: 2, time: T0 + 2_000_000, source: '\t=cmd' }),
  seedLine({ n: 3, time: T0 + 3_000_000, source: '\r=cmd' }),
  seedLine({ n: 4, time: T0 + 4_000_000, source: '-1+2', http_status_code: 404 }),
];

describe('export', () => {
  let db: TestStore;
  let big: TestStore;
  const BIG = BIG_COUNT;
  const apps: ApiApp[] = [];
  const files: Record<string, string> = {};
  const largeFiles: Record<string, string> = {};
  const counters: Record<string, () => number> = {};

  before(async () => {
    db = await openTestStore('sqlite');
    await db.write(hostile);
    // Records of about 16 KB (the bulk in a header, which free text does not index), more of them than
    // every buffer between the store and a paused client can hold twice over.
    assert.ok(BIG > 2 * IN_FLIGHT_RECORDS, `${BIG} records must outnumber twice the ${IN_FLIGHT_RECORDS} the buffers may hold`);
    big = await bigStoreCopy();
    for (const framework of FRAMEWORKS) {
      const file = join(tempDir(), 'audit.log');
      files[framework] = file;
      const small = await startApiApp(framework, { store: db.store, authorize: headerAuthorize, audit: { file } });
      const c = counting(big.store);
      counters[framework] = c.read;
      largeFiles[framework] = join(tempDir(), 'audit.log');
      const large = await startApiApp(framework, { store: c.store, authorize: headerAuthorize, audit: { file: largeFiles[framework] }, api: { exportBatchSize: 100 } });
      apps.push(small, large);
    }
  });
  after(async () => {
    for (const app of apps) await app.close();
    await db.close();
    await big.close();
  });

  for (const [i, framework] of FRAMEWORKS.entries()) {
    const small = () => apps[i * 2]!;
    const large = () => apps[i * 2 + 1]!;

    it(`${framework}: NDJSON is the stored lines, newest first, then the count`, async () => {
      const res = await request(small().url).get('/admin/audit/records/export?event=request').set('x-viewer', 'auditor');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
      assert.match(res.headers['content-disposition'] ?? '', /^attachment; filename="audit-\d{8}T\d{6}Z\.ndjson"$/);
      assert.equal(res.text, [...hostile].reverse().join('\n') + '\n{"export_end":{"complete":true,"count":4}}\n');
      const filtered = await request(small().url).get('/admin/audit/records/export?event=request&http_status_code=4xx').set('x-viewer', 'auditor');
      assert.equal(filtered.text, hostile[3] + '\n{"export_end":{"complete":true,"count":1}}\n');
    });

    it(`${framework}: CSV in UTC, every field kept, formulas neutralised`, async () => {
      const res = await request(small().url).get('/admin/audit/records/export?format=csv&event=request').set('x-viewer', 'auditor').buffer(true).parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      const text = res.body as string;
      const rows = text.split('\r\n');
      assert.equal(
        rows[0],
        'time,id,event,level,node,from,source,source_verified,source_ip,auth_type,operation_id,operation_type,operation_result,http_method,http_status_code,duration_ms,request_id,target_type,target_id,target_name,user_agent,meta,query_string,bindings,http_request,other',
      );
      assert.equal(
        rows.at(-3),
        '2024-05-01T12:00:00.123456Z,' +
          `${seedId(1)},request,info,node-a,rest_api,` +
          `"'=HYPERLINK(""http://evil.example"",""click"")",true,10.0.0.1,none,/users/:id,users,success,post,200,5,req-1,` +
          `user,'+1,'@admin,,` +
          '"{""formula"":""=1+1""}",{},{},' +
          '"{""body"":{""note"":""-2+3"",""tab"":""\\tcmd""},""body_bytes"":null,""body_recorded"":""full"",""body_type"":""application/json"",""headers"":{},""method"":""POST""}",' +
          '"{""aborted"":false,""auth_error"":null,""truncated"":false}"',
      );
      // Each hostile operator name, newest first: a leading tab or CR is as dangerous as =.
      assert.ok(rows[1]!.startsWith(`2024-05-01T12:00:04.000000Z,${seedId(4)},request,warn,node-a,rest_api,'-1+2,`), rows[1]);
      assert.ok(text.includes(`${seedId(3)},request,info,node-a,rest_api,"'\r=cmd",`));
      assert.ok(text.includes(`${seedId(2)},request,info,node-a,rest_api,'\t=cmd,`));
      assert.equal(rows.at(-2), '# export complete: 4 records');
      assert.equal(text.endsWith('# export complete: 4 records\r\n'), true);
    });

    it(`${framework}: a slow client holds the export back (backpressure), then gets every record and the count`, async () => {
      const read = counters[framework]!;
      const base = read();
      const download = await pausedDownload(`${large().url}/admin/audit/records/export`);
      const ahead = (await settled(read)) - base;
      // The server read only what the buffers between it and the paused client hold, not the result.
      assert.ok(ahead <= IN_FLIGHT_RECORDS, `read ${ahead} of ${BIG} records while the client was paused (buffers hold at most ${IN_FLIGHT_RECORDS})`);
      assert.ok(ahead >= 100, 'it did start');
      const body = await download.resume();
      const lines = body.trimEnd().split('\n');
      assert.equal(lines.length, BIG + 1);
      assert.equal(lines.at(-1), `{"export_end":{"complete":true,"count":${BIG}}}`);
      assert.equal(JSON.parse(lines[0]!).id, seedId(BIG));
      assert.equal(JSON.parse(lines[BIG - 1]!).id, seedId(1));
      assert.equal(read() - base, BIG);
    });

    it(`${framework}: a client that leaves stops the reads, and the export is recorded as cancelled with what was sent`, async () => {
      const read = counters[framework]!;
      const base = read();
      const download = await new Promise<http.ClientRequest>((resolve) => {
        const req = http.get(`${large().url}/admin/audit/records/export?format=csv`, { headers: { 'x-viewer': 'leaver' } }, (res) => {
          res.once('data', () => {
            res.pause();
            resolve(req);
          });
        });
      });
      const paused = (await settled(read)) - base;
      download.destroy();
      const final = (await settled(read)) - base;
      assert.ok(paused <= IN_FLIGHT_RECORDS, `read ${paused} of ${BIG}`);
      // Not one batch more once the client had gone.
      assert.ok(final <= paused + 100, `read ${final - paused} more after the client left`);
      const record = await eventually(() => exportRecords(largeFiles[framework]!).find((r) => r.source === 'leaver'), 'the cancelled export record');
      assert.equal(record.meta.ending, 'cancelled');
      assert.equal(record.meta.format, 'csv');
      assert.ok((record.meta.count as number) > 0 && (record.meta.count as number) <= final, `counted ${String(record.meta.count)} sent of ${final} read`);
    });
  }

  it('the records of exports: count, format and how each ended', async () => {
    for (const framework of FRAMEWORKS) {
      const exports = await eventually(() => {
        const found = exportRecords(files[framework]!);
        return found.length >= 3 ? found : undefined;
      }, 'three export records');
      assert.deepEqual(
        exports.map((r) => [r.meta.format, r.meta.count, r.meta.ending]),
        [
          ['ndjson', 4, 'complete'],
          ['ndjson', 1, 'complete'],
          ['csv', 4, 'complete'],
        ],
        framework,
      );
    }
  });
});

describe('export: the store fails midway', () => {
  for (const framework of FRAMEWORKS) {
    it(`${framework}: the last line says the export is incomplete, and the application hears a fault`, async () => {
      const db = await bigStoreCopy();
      const file = join(tempDir(), 'audit.log');
      const app = await startApiApp(framework, { store: db.store, authorize: headerAuthorize, audit: { file }, api: { exportBatchSize: 100 } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        const download = await pausedDownload(`${app.url}/admin/audit/records/export`);
        await new Promise((r) => setTimeout(r, 300));
        // The database goes away while the export waits for its client.
        await db.close();
        const body = await download.resume();
        const last = body.trimEnd().split('\n').at(-1)!;
        const end = JSON.parse(last) as { export_end: { complete: boolean; count: number; error: string } };
        assert.equal(end.export_end.complete, false);
        assert.ok(end.export_end.count > 0 && end.export_end.count < BIG_COUNT, String(end.export_end.count));
        assert.equal(body.trimEnd().split('\n').length, end.export_end.count + 1, 'the count is what was sent');
        assert.match(end.export_end.error, /incomplete/);
        assert.ok(faults.some((f) => f.code === 'AUDITKIT_SINK_FAILED' && /an export failed after \d+ records/.test(f.message)));
      } finally {
        await app.close();
      }
      const exported = exportRecords(file);
      assert.equal(exported.length, 1);
      assert.equal(exported[0]!.meta.ending, 'failed');
    });
  }
});
