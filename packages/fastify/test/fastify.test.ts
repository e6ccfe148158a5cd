import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { AuditConfigError } from '@auditkit/core';
import audit, { audit as named } from '../src/index.js';

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'auditkit-fastify-')), 'audit.log');
}

function read(file: string) {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('Fastify plugin', () => {
  it('honours route config.audit both ways and its operationType', async () => {
    const file = tempFile();
    const app = Fastify();
    await app.register(audit, { file });
    app.get('/exports/:id', { config: { audit: { audit: true, operationType: 'exports' } } }, async () => ({ ok: true }));
    app.post('/metrics/push', { config: { audit: false } }, async () => ({ ok: true }));
    app.post('/orders', { config: { audit: { operationType: 'orders' } } }, async (_req, reply) => reply.code(201).send({}));
    await app.inject({ method: 'GET', url: '/exports/7' });
    await app.inject({ method: 'POST', url: '/metrics/push', payload: {} });
    await app.inject({ method: 'POST', url: '/orders', payload: {} });
    await app.close();
    const rs = read(file);
    assert.deepEqual(rs.map((r) => [r.operation_id, r.operation_type, r.http_method]), [
      ['/exports/:id', 'exports', 'get'],
      ['/orders', 'orders', 'post'],
    ]);
  });

  it('decorates fastify.auditor, closes it with the app, and ignores register options', async () => {
    const file = tempFile();
    const app = Fastify();
    await app.register(named, { file, prefix: '/ignored', logLevel: 'warn' } as never);
    app.post('/x', async () => ({ ok: true }));
    for (let i = 0; i < 50; i++) await app.inject({ method: 'POST', url: '/x', payload: { i } });
    const [sink] = Object.values(app.auditor.stats().sinks);
    assert.equal(sink!.accepted, 50, 'fastify.auditor is the auditor that took the records');
    await app.close();
    assert.equal(read(file).length, 50, 'every record is on disk once app.close() resolves');
    assert.equal(app.auditor.closed, true);
  });

  it('gives GET handlers a working request.audit, created only when used', async () => {
    const file = tempFile();
    const app = Fastify();
    await app.register(audit, { file });
    app.get('/download/:id', async (req) => {
      req.audit.event('file.downloaded', { target: { type: 'file', id: (req.params as { id: string }).id } });
      return { ok: true };
    });
    app.get('/plain', async () => ({ ok: true }));
    const res = await app.inject({ method: 'GET', url: '/download/3' });
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a generated UUIDv7');
    const plain = await app.inject({ method: 'GET', url: '/plain' });
    assert.equal(plain.headers['x-request-id'], undefined, 'a skipped request is left alone');
    await app.close();
    const rs = read(file);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].event, 'file.downloaded');
    assert.equal(rs[0].request_id, res.headers['x-request-id']);
  });

  it('reports bad options when the plugin registers', async () => {
    const app = Fastify();
    app.register(audit, { file: tempFile(), queue: { max: 'lots' } } as never);
    await assert.rejects(async () => { await app.ready(); }, (err: unknown) => err instanceof AuditConfigError && err.option === 'queue.max');
  });
});
