import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { AuditFileTransport, type AuditOptions, type AuditRecord } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { readRecords, tempDir } from '../src/records.js';

/**
 * What each sink gets: a sink can take a subset of the records (`select`), and the records it does not
 * take are never counted against it. One mixed run per framework, three file sinks side by side.
 */

const summary = (records: AuditRecord[]): string[] =>
  records.map((r) => {
    const x = r as { event: string; operation_id?: string; http_status_code?: number; operation_result?: string };
    return `${x.event} ${x.operation_id ?? '-'} ${x.http_status_code ?? '-'} ${x.operation_result ?? '-'}`;
  });

/** Every record of the mixed run below, in the order they complete (the requests run one after another). */
const EVERYTHING = [
  'request /api/users/:id 201 success',
  'request /login 401 failure',
  'request /throw-teapot 418 failure',
  'request /throw 500 failure',
  'request /status/:code 302 success',
  'request /status/:code 404 failure',
  'user.role_changed /annotated/:id 200 success',
  'request /annotated/:id 200 success',
  'request /reports/:id 200 success',
  'job.failed job.failed - failure',
];
const FAILURES = [
  'request /login 401 failure',
  'request /throw-teapot 418 failure',
  'request /throw 500 failure',
  'request /status/:code 404 failure',
  'job.failed job.failed - failure',
];
const ADMIN_REQUESTS = ['request /api/users/:id 201 success', 'request /reports/:id 200 success'];

for (const framework of FRAMEWORKS) {
  describe(`per-sink selection on ${framework}`, () => {
    it('a sink filtered to failures gets exactly the failures of a mixed run; the others get what they select', async () => {
      const dir = tempDir();
      const all = new AuditFileTransport({ path: join(dir, 'all.log') });
      const failures = new AuditFileTransport({ path: join(dir, 'failures.log') });
      const api = new AuditFileTransport({ path: join(dir, 'api.log') });
      const options: AuditOptions = {
        node: 'conformance',
        routes: [{ route: '/reports/:id', methods: ['GET'], audit: true }],
        sinks: [
          all,
          { transport: failures, select: { result: 'failure' } },
          { transport: api, select: { operation: ['/api/**', '/reports/*'], event: 'request' } },
        ],
      };
      const app = await startApp(framework, { audit: options });
      let stats;
      try {
        assert.equal((await request(app.url).post('/api/users/1').send({ name: 'Ada' })).status, 201);
        assert.equal((await request(app.url).post('/login').send({ user: 'mallory' })).status, 401);
        assert.equal((await request(app.url).post('/throw-teapot')).status, 418);
        assert.equal((await request(app.url).post('/throw')).status, 500);
        assert.equal((await request(app.url).post('/status/302')).status, 302);
        assert.equal((await request(app.url).post('/status/404')).status, 404);
        assert.equal((await request(app.url).post('/annotated/7')).status, 200);
        assert.equal((await request(app.url).get('/reports/5')).status, 200);
        assert.equal(await app.auditor.event('job.failed', { operator: 'job:nightly', result: 'failure' }), true);
      } finally {
        await app.close();
        stats = app.auditor.stats().sinks;
      }
      assert.deepEqual(summary(readRecords(join(dir, 'all.log'))), EVERYTHING);
      assert.deepEqual(summary(readRecords(join(dir, 'failures.log'))), FAILURES);
      assert.deepEqual(summary(readRecords(join(dir, 'api.log'))), ADMIN_REQUESTS);

      const counts = (name: string) => {
        const s = stats[`file:${join(dir, name)}`]!;
        return { accepted: s.accepted, written: s.written, dropped: s.dropped, failed: s.failed, skipped: s.skipped };
      };
      assert.deepEqual(counts('all.log'), { accepted: 10, written: 10, dropped: 0, failed: 0, skipped: 0 });
      assert.deepEqual(counts('failures.log'), { accepted: 5, written: 5, dropped: 0, failed: 0, skipped: 5 });
      assert.deepEqual(counts('api.log'), { accepted: 2, written: 2, dropped: 0, failed: 0, skipped: 8 });
    });

    it('records a full sink would not take are not dropped by it: a burst of successes past a failures sink with room for one', async () => {
      const dir = tempDir();
      const all = new AuditFileTransport({ path: join(dir, 'all.log') });
      const pager = new AuditFileTransport({ path: join(dir, 'pager.log') });
      const app = await startApp(framework, {
        audit: { node: 'conformance', sinks: [all, { transport: pager, select: { result: 'failure' }, queue: { max: 1 } }] },
      });
      const faults: string[] = [];
      app.auditor.on('fault', (f: { code: string }) => faults.push(f.code));
      try {
        await Promise.all(Array.from({ length: 40 }, (_, i) => request(app.url).post(`/api/users/${i}`).send({ i })));
        assert.equal((await request(app.url).post('/status/503')).status, 503);
      } finally {
        await app.close();
      }
      const pagerStats = app.auditor.stats().sinks[`file:${join(dir, 'pager.log')}`]!;
      assert.equal(pagerStats.dropped, 0, 'the successes were never the pager sink’s to drop');
      assert.equal(pagerStats.skipped, 40);
      assert.deepEqual(summary(readRecords(join(dir, 'pager.log'))), ['request /status/:code 503 failure']);
      assert.equal(readRecords(join(dir, 'all.log')).length, 41);
      assert.deepEqual(faults, [], 'no drop was reported');
    });
  });
}
