import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bodyParser from '@koa/bodyparser';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import request from 'supertest';
import type { AuditFault } from '@auditkit/core';
import { audit } from '../src/index.js';

// `app.use(audit())` after the routers (issue 11, item 3): the user learns it on the first request,
// with the fix named, and no handler crashes because `ctx.audit` is undefined.

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-koa-order-')), 'audit.log');
  const middleware = audit({ file });
  const faults: AuditFault[] = [];
  middleware.auditor.on('fault', (f: AuditFault) => faults.push(f));
  const records = async () => {
    await middleware.close();
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  return { middleware, faults, records };
}

function createItem(ctx: Context): void {
  ctx.audit.target({ type: 'item', id: 'i-1' }).meta({ source: 'form' });
  ctx.status = 201;
  ctx.body = { id: 'i-1', requestId: ctx.audit.requestId };
}

function newApp(): Koa {
  const app = new Koa();
  app.silent = true;
  return app;
}

describe('Koa: audit() mounted after the routers', () => {
  it('a handler using ctx.audit answers normally, and the fault names the fix once', async () => {
    const { middleware, faults, records } = setup();
    const app = newApp();
    const items = new Router();
    items.post('/items', createItem);
    const late = new Router();
    late.post('/late', (ctx) => void (ctx.body = { ok: true }));
    app.use(bodyParser());
    app.use(items.routes());
    app.use(middleware);
    app.use(late.routes());

    const server = app.callback();
    const first = await request(server).post('/items').send({ name: 'spoon' });
    assert.equal(first.status, 201);
    assert.deepEqual(first.body, { id: 'i-1', requestId: '' });
    await request(server).post('/items').send({ name: 'fork' }).expect(201);
    await request(server).post('/late').send({}).expect(200);

    assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_NOT_MOUNTED']);
    assert.match(faults[0]!.message, /ctx\.audit was used in a route that audit\(\) did not see .* so nothing was recorded\. Fix: put app\.use\(audit\(\)\) before app\.use\(router\.routes\(\)\)/);
    const recorded = await records();
    assert.deepEqual(recorded.map((r) => r.operation_id), ['/late'], 'only the route after audit() is audited');
  });

  it('the first request reaching the middleware reports the routes mounted before it', async () => {
    const { middleware, faults } = setup();
    const app = newApp();
    const users = new Router({ prefix: '/users' });
    users.get('/', (ctx) => void (ctx.body = []));
    users.delete('/:id', (ctx) => void (ctx.status = 204));
    users.patch('/:id', (ctx) => void (ctx.status = 204));
    users.post('/', createItem);
    users.use((_ctx, next) => next());
    app.use(users.routes());
    app.use(middleware);
    app.use((ctx) => void (ctx.body = { fallthrough: true }));

    await request(app.callback()).post('/other').send({}).expect(200);
    await middleware.close();
    assert.equal(faults.length, 1);
    assert.match(
      faults[0]!.message,
      /^\[auditkit\] audit\(\) is mounted after 4 routes \(GET \/users, DELETE \/users\/:id, PATCH \/users\/:id, \.\.\.\): their requests are not audited, and ctx\.audit there records nothing\. Fix: put app\.use\(audit\(\)\) before app\.use\(router\.routes\(\)\)/,
    );
  });

  it('mounted first, nothing is reported and ctx.audit is the real handle', async () => {
    const { middleware, faults, records } = setup();
    const app = newApp();
    const items = new Router();
    items.post('/items', createItem);
    app.use(middleware);
    app.use(bodyParser());
    app.use(items.routes());
    const res = await request(app.callback()).post('/items').send({ name: 'spoon' }).expect(201);
    assert.match(res.body.requestId, /^[0-9a-f-]{36}$/);
    const [r] = await records();
    assert.deepEqual(faults, []);
    assert.equal(r.operation_id, '/items');
    assert.deepEqual(r.target, { type: 'item', id: 'i-1' });
  });
});
