import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import request from 'supertest';
import fastifyAudit from '@auditkit/fastify';
import { AuditConfigError, type RequestRecord } from '@auditkit/core';
import { FRAMEWORKS } from '../src/apps.js';
import { readRecords, schemaErrors, tempDir } from '../src/records.js';
import { withApp } from './helpers.js';

/**
 * Levels of detail beyond the conformance table: with a sink that holds the response until its record
 * is written (each adapter's other path), and set on a Fastify route's own config.
 */

for (const framework of FRAMEWORKS) {
  describe(`levels of detail with a strict sink on ${framework}`, () => {
    it('the held response’s body is in its record', async () => {
      const { records } = await withApp(
        framework,
        { strict: true, redact: { keys: ['report'] }, routes: [{ route: '/reports/:id', methods: ['GET'], audit: true, level: 'request-response' }, { route: '/api/**', level: 'metadata' }] },
        async (app) => {
          const res = await request(app.url).get('/reports/9');
          assert.equal(res.status, 200);
          assert.deepEqual(res.body, { report: '9' }, 'the client gets the real body');
          assert.equal((await request(app.url).post('/api/users/3').send({ secret_plan: 'x' })).status, 201);
        },
      );
      const [report, user] = records as RequestRecord[];
      assert.equal(report!.audit_level, 'request-response');
      assert.deepEqual(report!.http_response!.body, { report: '******' });
      assert.equal(report!.http_response!.body_recorded, 'full');
      assert.equal(report!.http_response!.body_type, 'application/json');
      assert.equal(user!.audit_level, 'metadata');
      assert.equal(user!.http_request.body, null);
      for (const r of records) assert.equal(schemaErrors(r), undefined);
    });
  });
}

describe("Fastify: a route's config.audit.level", () => {
  it('sets the level for that route, ahead of the rules', async () => {
    const file = join(tempDir(), 'audit.log');
    const app = Fastify();
    await app.register(fastifyAudit, { file, routes: [{ route: '/**', level: 'metadata' }] });
    app.post('/transfers/:id', { config: { audit: { level: 'request-response' } } }, async () => ({ accepted: true, token: 'tok-1' }));
    app.post('/plain/:id', async () => ({ ok: true }));
    app.post('/hidden', { config: { audit: { level: 'none' } } }, async () => ({ ok: true }));
    await app.ready();
    try {
      assert.equal((await app.inject({ method: 'POST', url: '/transfers/1', payload: { amount: 5 } })).statusCode, 200);
      assert.equal((await app.inject({ method: 'POST', url: '/plain/1', payload: { amount: 5 } })).statusCode, 200);
      assert.equal((await app.inject({ method: 'POST', url: '/hidden', payload: {} })).statusCode, 200);
    } finally {
      await app.close();
    }
    const records = readRecords(file) as RequestRecord[];
    assert.deepEqual(records.map((r) => `${r.operation_id} ${r.audit_level}`), ['/transfers/:id request-response', '/plain/:id metadata']);
    assert.deepEqual(records[0]!.http_response!.body, { accepted: true, token: '******' });
    assert.deepEqual(records[0]!.http_request.body, { amount: 5 });
    assert.equal(records[1]!.http_request.body, null);
  });

  it('a mistake in it fails when the route is declared, naming the route and the fix', async () => {
    const app = Fastify();
    await app.register(fastifyAudit, { file: join(tempDir(), 'audit.log') });
    assert.throws(
      () => app.post('/x', { config: { audit: { level: 'full' as never } } }, async () => ({})),
      (err: unknown) => {
        assert.ok(err instanceof AuditConfigError);
        assert.equal(err.option, 'route "POST /x" config.audit.level');
        assert.match(err.message, /must be a level of detail, got "full". Fix: use one of 'none', 'metadata', 'request', 'request-response'/);
        return true;
      },
    );
    await app.close();
  });
});
