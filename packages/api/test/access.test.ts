import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import Fastify from 'fastify';
import { AuditConfigError, AuditEntry, AuditTransport } from '@auditkit/core';
import { audit as expressAudit, auditLog as expressAuditLog } from '@auditkit/express';
import fastifyAudit, { auditLog as fastifyAuditLog } from '@auditkit/fastify';
import { audit as koaAudit, auditLog as koaAuditLog } from '@auditkit/koa';
import { FRAMEWORKS, headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { BACKENDS, eventsIn, openTestStore, seedId, seedLine, tempDir, type TestStore } from './records.js';

/** Who may read the trail, what they may see, and that every read is itself in the trail. */

/** A strict sink whose writes never confirm until released: a destination that is down. */
class StuckTransport extends AuditTransport {
  readonly sinkName = 'stuck';
  #waiting: Array<() => void> = [];
  #released = false;
  writeEntries(_entries: readonly AuditEntry[]): Promise<void> {
    if (this.#released) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    this.#released = true;
    for (const w of this.#waiting.splice(0)) w();
  }
  protected closeSink(): Promise<void> {
    return Promise.resolve();
  }
}

describe('mounting without authorize fails at construction', () => {
  it('on every framework, naming the option and the explicit public escape', async () => {
    const db = await openTestStore('sqlite');
    try {
      // The auditors write to files here: one transport belongs to one auditor.
      const auditor = expressAudit({ file: join(tempDir(), 'audit.log') });
      const check = (err: unknown) => {
        assert.ok(err instanceof AuditConfigError, String(err));
        assert.equal(err.option, 'authorize');
        assert.match(err.message, /options\.authorize: is missing, and the audit log is never readable by default/);
        assert.match(err.message, /authorize: 'public'/);
        return true;
      };
      assert.throws(() => expressAuditLog({ store: db.store, auditor } as never), check);
      assert.throws(() => koaAuditLog({ prefix: '/admin/audit', store: db.store, auditor } as never), check);
      const app = Fastify();
      await app.register(fastifyAudit, { file: join(tempDir(), 'audit.log') });
      await assert.rejects(async () => app.register(fastifyAuditLog, { prefix: '/admin/audit', store: db.store } as never).ready(), check);
      await app.close();
      await auditor.close();
    } finally {
      await db.close();
    }
  });

  it('without an auditor, with a typo, or with something that is not a store', async () => {
    const db = await openTestStore('sqlite');
    try {
      const auditor = koaAudit({ file: join(tempDir(), 'audit.log') });
      assert.throws(() => expressAuditLog({ store: db.store, authorize: 'public' } as never), (err: AuditConfigError) => err.option === 'auditor' && /PCI DSS 10\.2\.1\.3/.test(err.message));
      // Fastify finds the auditor of @auditkit/fastify on the instance; without that plugin it must be given.
      await assert.rejects(async () => Fastify().register(fastifyAuditLog, { prefix: '/a', store: db.store, authorize: 'public' }).ready(), (err: AuditConfigError) => err.option === 'auditor');
      assert.throws(() => koaAuditLog({ prefix: '/a', store: db.store, auditor, authorise: 'public' } as never), (err: AuditConfigError) => err.code === 'AUDITKIT_UNKNOWN_OPTION' && /did you mean authorize/.test(err.message));
      assert.throws(() => koaAuditLog({ prefix: '/a', store: {} as never, auditor, authorize: 'public' }), (err: AuditConfigError) => err.option === 'store');
      assert.throws(() => koaAuditLog({ prefix: 'admin', store: db.store, auditor, authorize: 'public' }), (err: AuditConfigError) => err.option === 'prefix');
      assert.throws(() => koaAuditLog({ prefix: '/a', store: db.store, auditor, authorize: true as never }), (err: AuditConfigError) => err.option === 'authorize');
      await auditor.close();
    } finally {
      await db.close();
    }
  });
});

for (const backend of BACKENDS) {
  for (const framework of FRAMEWORKS) {
    describe(`access (${framework}, ${backend})`, () => {
      let db: TestStore;
      let app: ApiApp;
      const as = (viewer: string, path: string, scope?: Record<string, unknown>) => {
        const r = request(app.url).get(`/admin/audit${path}`).set('x-viewer', viewer);
        return scope === undefined ? r : r.set('x-scope', JSON.stringify(scope));
      };
      const alice = { source: 'alice' };
      const ids = (body: { data: Array<{ id: string }> }) => body.data.map((r) => r.id);

      before(async () => {
        db = await openTestStore(backend);
        app = await startApiApp(framework, { store: db.store, authorize: headerAuthorize });
        const t = 1_714_564_800_000_000;
        await db.write([
          seedLine({ n: 1, time: t + 1_000_000, source: 'alice', target: { type: 'tenant', id: 'a' } }),
          seedLine({ n: 2, time: t + 2_000_000, source: 'bob', target: { type: 'tenant', id: 'b' } }),
          seedLine({ n: 3, time: t + 3_000_000, source: 'alice', target: { type: 'tenant', id: 'a' }, http_status_code: 403 }),
          seedLine({ n: 4, time: t + 4_000_000, source: 'bob', target: { type: 'tenant', id: 'b' } }),
          seedLine({ n: 5, time: t + 5_000_000, source: 'alice', target: { type: 'tenant', id: 'a' } }),
          seedLine({ n: 6, time: t + 6_000_000, source: 'bob', target: { type: 'tenant', id: 'b' }, http_status_code: 500 }),
        ]);
      });
      after(async () => {
        await app.close();
        await db.close();
      });

      it('no viewer: 401 unauthenticated; refused viewer: 403 forbidden; both recorded as failed reads', async () => {
        const anonymous = await request(app.url).get('/admin/audit/records');
        assert.equal(anonymous.status, 401);
        assert.deepEqual(anonymous.body, { code: 'unauthenticated', message: 'Sign in to read the audit log.' });
        assert.ok(anonymous.headers['www-authenticate']);
        const refused = await as('mallory', '/records/export?format=csv');
        assert.equal(refused.status, 403);
        assert.equal(refused.body.code, 'forbidden');
        const failures = (await eventsIn(db.store, 'audit.log.view')).filter((r) => r.operation_result === 'failure');
        assert.deepEqual(
          failures.map((r) => r.meta),
          [
            { endpoint: '/records/export', status: 403 },
            { endpoint: '/records', status: 401 },
          ],
        );
      });

      it('a scoped viewer sees only the scope: by filter, by id, by export, by distinct, by histogram', async () => {
        assert.deepEqual(ids((await as('carol', '/records?event=request', alice)).body), [seedId(5), seedId(3), seedId(1)]);
        // A filter can only narrow the scope, never widen it.
        assert.deepEqual(ids((await as('carol', '/records?source=bob', alice)).body), []);
        assert.deepEqual(ids((await as('carol', '/records?source=!alice&event=request', alice)).body), []);
        assert.deepEqual(ids((await as('carol', '/records?source=alice,bob&event=request', alice)).body), [seedId(5), seedId(3), seedId(1)]);
        // Another scope's record is answered exactly as a missing one.
        const hidden = await as('carol', `/records/${seedId(4)}`, alice);
        const missing = await as('carol', `/records/${seedId(99)}`, alice);
        assert.deepEqual([hidden.status, hidden.body], [404, { code: 'not_found', message: 'No record with this id is visible to you.' }]);
        assert.deepEqual([missing.status, missing.body], [hidden.status, hidden.body]);
        assert.equal((await as('carol', `/records/${seedId(5)}`, alice)).body.source, 'alice');

        const exported = await as('carol', '/records/export?event=request', alice);
        const lines = exported.text.trim().split('\n');
        assert.deepEqual(lines.slice(0, -1).map((l) => JSON.parse(l).id), [seedId(5), seedId(3), seedId(1)]);
        assert.equal(lines.at(-1), '{"export_end":{"complete":true,"count":3}}');

        const distinct = await as('carol', '/distinct/source', alice);
        assert.deepEqual(distinct.body, { field: 'source', values: [{ value: 'alice', count: 3 }], count_exact: true });
        const status = await as('carol', '/distinct/http_status_code', alice);
        assert.deepEqual(status.body.values, [{ value: 200, count: 2 }, { value: 403, count: 1 }]);

        const histogram = await as('carol', '/histogram?buckets=2&gte_created_at=1714564800000&lte_created_at=1714564807999', alice);
        assert.deepEqual(histogram.body, {
          from: 1_714_564_800_000_000,
          to: 1_714_564_807_999_000,
          bucket_us: 3_999_501,
          buckets: [
            { start: 1_714_564_800_000_000, total: 2, failures: 1 },
            { start: 1_714_564_803_999_501, total: 1, failures: 0 },
          ],
        });
      });

      it('a cursor taken from another viewer, or made up, shows nothing outside the scope', async () => {
        // The unscoped admin's cursor after record 6 (bob's, the newest seeded).
        const adminPage = await as('admin', '/records?event=request&limit=1');
        assert.deepEqual(ids(adminPage.body), [seedId(6)]);
        const taken = await as('carol', `/records?event=request&cursor=${adminPage.body.next_cursor}`, alice);
        assert.deepEqual(ids(taken.body), [seedId(5), seedId(3), seedId(1)]);
        // A cursor forged by hand, at the far future, in both directions.
        const forged = Buffer.from(JSON.stringify([9_000_000_000_000_000, 'zzzz'])).toString('base64url');
        assert.deepEqual(ids((await as('carol', `/records?event=request&cursor=${forged}`, alice)).body), [seedId(5), seedId(3), seedId(1)]);
        const forgedOld = 'n.' + Buffer.from(JSON.stringify([0, '0'])).toString('base64url');
        assert.deepEqual(ids((await as('carol', `/records?event=request&cursor=${forgedOld}`, alice)).body), [seedId(5), seedId(3), seedId(1)]);
      });

      it('the live feed is confined too, from any cursor', async () => {
        const start = await as('carol', '/live', alice);
        assert.equal(start.status, 200);
        assert.deepEqual(start.body.data, []);
        const t = 1_714_564_900_000_000;
        await db.write([seedLine({ n: 7, time: t, source: 'bob' }), seedLine({ n: 8, time: t + 1, source: 'alice' })]);
        const polled = await as('carol', `/live?event=request&after=${start.body.next_cursor}`, alice);
        assert.deepEqual(ids(polled.body), [seedId(8)]);
        const fromZero = 'l.' + Buffer.from(JSON.stringify([0, '0'])).toString('base64url');
        assert.deepEqual(ids((await as('carol', `/live?event=request&after=${fromZero}`, alice)).body), [seedId(1), seedId(3), seedId(5), seedId(8)]);
      });

      it('scopes given as arrays and numbers work; a scope that cannot be used refuses the request, never runs unscoped', async () => {
        assert.deepEqual(ids((await as('carol', '/records?event=request', { target_id: ['a', 'zzz'], http_status_code: 403 })).body), [seedId(3)]);
        app.errors.length = 0;
        for (const bad of [{ password: 'x' }, { source: '' }, { source: [] }, { limit: 5 }, { http_status_code: 'teapot' }]) {
          const res = await as('carol', '/records', bad);
          assert.equal(res.status, 500, JSON.stringify(bad));
          assert.ok(!res.text.includes('"data"'), 'no records in the answer');
        }
        // The application's own error handling hears why, with the cause.
        assert.equal(app.errors.length, 5);
        assert.match(String(app.errors[0]), /authorize\(\) returned a scope with "password", which is not a filter parameter/);
        assert.match(String(app.errors[4]), /http_status_code: "teapot" is not a status code/);
      });

      it('every read is recorded with the viewer, the filters and the count', async () => {
        const before = (await eventsIn(db.store, 'audit.log.view')).length;
        const res = await as('dave', '/records?source=alice&limit=2').set('x-request-id', 'read-42');
        assert.equal(res.body.data.length, 2);
        const views = await eventsIn(db.store, 'audit.log.view');
        assert.equal(views.length, before + 1);
        const view = views[0]!;
        assert.deepEqual(
          {
            source: view.source,
            source_verified: view.source_verified,
            from: view.from,
            source_ip: view.source_ip,
            request_id: view.request_id,
            target: view.target,
            operation_result: view.operation_result,
            meta: view.meta,
          },
          {
            source: 'dave',
            source_verified: true,
            from: 'rest_api',
            source_ip: '127.0.0.1',
            request_id: 'read-42',
            target: { type: 'audit_log' },
            operation_result: 'success',
            meta: { count: 2, endpoint: '/records', filters: { source: 'alice' }, parameters: { limit: '2' }, scope: null },
          },
        );
        await as('erin', '/records/export?format=csv&source=bob', { target_type: 'tenant' });
        const [exported] = await eventsIn(db.store, 'audit.log.export');
        assert.equal(exported!.source, 'erin');
        assert.deepEqual(exported!.meta, {
          count: 3,
          endpoint: '/records/export',
          ending: 'complete',
          filters: { source: 'bob' },
          format: 'csv',
          parameters: { format: 'csv' },
          scope: { target_type: 'tenant' },
        });
      });

      it('a client cannot switch read auditing off', async () => {
        const before = (await eventsIn(db.store, 'audit.log.view')).length;
        for (const attempt of ['/records?audit=false', '/records?skip=1', '/records?record=0']) {
          const res = await as('dave', attempt);
          assert.equal(res.status, 400);
          assert.equal(res.body.code, 'bad_parameter');
        }
        // Headers a client might try change nothing either.
        await as('dave', '/records').set('x-audit', 'off').set('x-request-id', 'has spaces');
        const views = await eventsIn(db.store, 'audit.log.view');
        assert.equal(views.length, before + 1, 'the refused ones read nothing; the last one was recorded');
        assert.equal(views[0]!.source, 'dave');
        // The unusable request id was replaced by the one the audit middleware generated.
        assert.match(views[0]!.request_id as string, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
      });
    });
  }
}

describe('reads are audited whatever the audit middleware skips, and refused when a strict sink cannot take the record', () => {
  for (const framework of FRAMEWORKS) {
    it(`${framework}: skip() on every request does not skip the read's record`, async () => {
      const db = await openTestStore('sqlite');
      const app = await startApiApp(framework, {
        store: db.store,
        authorize: headerAuthorize,
        audit: { skip: () => true, routes: [{ route: '/admin/audit/**', audit: false }], sinks: [{ transport: db.store.transport, mode: 'blocking' }] },
      });
      try {
        assert.equal((await request(app.url).get('/admin/audit/records').set('x-viewer', 'frank')).status, 200);
        assert.deepEqual((await eventsIn(db.store, 'audit.log.view')).map((r) => r.source), ['frank']);
      } finally {
        await app.close();
        await db.close();
      }
    });

    it(`${framework}: a strict sink that cannot confirm the read's record → 503, no records in the answer`, async () => {
      const db = await openTestStore('sqlite');
      await db.write([seedLine({ n: 1, time: 1_714_564_800_000_000 })]);
      const stuck = new StuckTransport();
      const app = await startApiApp(framework, {
        store: db.store,
        authorize: headerAuthorize,
        audit: { sinks: [{ transport: db.store.transport, mode: 'blocking' }, { transport: stuck, mode: 'strict', queue: { writeTimeoutMs: 100 } }] },
      });
      app.auditor.on('fault', () => undefined);
      try {
        const res = await request(app.url).get('/admin/audit/records').set('x-viewer', 'grace');
        assert.equal(res.status, 503);
        assert.equal(res.body.code, 'audit_unavailable');
        assert.ok(!res.text.includes(seedId(1)));
      } finally {
        stuck.release();
        await app.close();
        await db.close();
      }
    });
  }
});

describe("authorize: 'public' is explicit, and its reads are still recorded", () => {
  it('anyone may read; the record names no operator', async () => {
    const db = await openTestStore('sqlite');
    const app = await startApiApp('express', { store: db.store, authorize: 'public' });
    try {
      assert.equal((await request(app.url).get('/admin/audit/records')).status, 200);
      const [view] = await eventsIn(db.store, 'audit.log.view');
      assert.deepEqual([view!.source, view!.source_verified], [null, false]);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
