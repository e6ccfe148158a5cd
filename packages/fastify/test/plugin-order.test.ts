import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import audit from '../src/index.js';

// A routes folder registered before auditkit is a common layout (issue 11, item 1): its routes must
// be audited like the others, never answer 500 because of auditkit.

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'auditkit-fastify-order-')), 'audit.log');
}

function read(file: string) {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function itemRoutes(items: FastifyInstance): Promise<void> {
  items.get('/items', async () => ({ items: [] }));
  items.post('/items', async (req, reply) => {
    req.audit.target({ type: 'item', id: 'i-1' });
    return reply.code(201).send({ id: 'i-1' });
  });
  items.get('/items/:id/download', async (req) => {
    req.audit.event('item.downloaded', { target: { type: 'item', id: (req.params as { id: string }).id } });
    return { ok: true };
  });
  items.get('/items/export', { config: { audit: true } }, async () => []);
}

async function exercise(app: FastifyInstance, prefix: string) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}${prefix}`;
  const statuses: number[] = [];
  for (const [method, path] of [
    ['GET', '/items'],
    ['POST', '/items'],
    ['GET', '/items/7/download'],
    ['GET', '/items/export'],
  ] as const) {
    const res = await fetch(base + path, {
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? JSON.stringify({ name: 'spoon' }) : undefined,
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  await app.close();
  return statuses;
}

describe('Fastify: routes registered in a plugin before auditkit', () => {
  it('audits them as if auditkit came first (plugin before auditkit)', async () => {
    const file = tempFile();
    const app = Fastify();
    app.register(itemRoutes, { prefix: '/shop' });
    await app.register(audit, { file });
    assert.deepEqual(await exercise(app, '/shop'), [200, 201, 200, 200]);
    const records = read(file);
    assert.deepEqual(
      records.map((r) => [r.event, r.http_method, r.operation_id, r.http_status_code]),
      [
        ['request', 'post', '/shop/items', 201],
        ['item.downloaded', 'get', '/shop/items/:id/download', 200],
        ['request', 'get', '/shop/items/export', 200],
      ],
    );
    assert.deepEqual(records[0].target, { type: 'item', id: 'i-1' });
  });

  it('audits them the same way in the documented order (auditkit first)', async () => {
    const file = tempFile();
    const app = Fastify();
    await app.register(audit, { file });
    app.register(itemRoutes, { prefix: '/shop' });
    assert.deepEqual(await exercise(app, '/shop'), [200, 201, 200, 200]);
    assert.deepEqual(
      read(file).map((r) => [r.event, r.http_method, r.operation_id, r.http_status_code]),
      [
        ['request', 'post', '/shop/items', 201],
        ['item.downloaded', 'get', '/shop/items/:id/download', 200],
        ['request', 'get', '/shop/items/export', 200],
      ],
    );
  });

  it('audits nested plugins registered before auditkit, and top-level routes beside them', async () => {
    const file = tempFile();
    const app = Fastify();
    app.register(
      async (api) => {
        api.register(itemRoutes, { prefix: '/v1' });
      },
      { prefix: '/api' },
    );
    app.post('/top', async () => ({ ok: true }));
    await app.register(audit, { file });
    await app.ready();
    const post = await app.inject({ method: 'POST', url: '/api/v1/items', payload: { name: 'fork' } });
    const top = await app.inject({ method: 'POST', url: '/top', payload: {} });
    assert.equal(post.statusCode, 201);
    assert.ok(post.headers['x-request-id'], 'the request id is echoed on a route of the early plugin');
    assert.equal(top.statusCode, 200);
    await app.close();
    assert.deepEqual(
      read(file).map((r) => [r.http_method, r.operation_id, r.http_status_code]),
      [
        ['post', '/api/v1/items', 201],
        ['post', '/top', 200],
      ],
    );
  });
});
