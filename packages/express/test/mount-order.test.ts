import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import type { AuditFault } from '@auditkit/core';
import { audit } from '../src/index.js';

// `app.use(audit())` after the routes (issue 11, item 3): the user learns it on the first request,
// with the fix named, and no handler crashes because `req.audit` is undefined.

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-express-order-')), 'audit.log');
  const middleware = audit({ file });
  const faults: AuditFault[] = [];
  middleware.auditor.on('fault', (f: AuditFault) => faults.push(f));
  const records = async () => {
    await middleware.close();
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  return { middleware, faults, records };
}

function createItem(req: express.Request, res: express.Response): void {
  req.audit.target({ type: 'item', id: 'i-1' }).meta({ source: 'form' });
  res.status(201).json({ id: 'i-1', requestId: req.audit.requestId });
}

describe('Express: audit() mounted after the routes', () => {
  it('a handler using req.audit answers normally, and the fault names the fix once', async () => {
    const { middleware, faults, records } = setup();
    const app = express();
    app.use(express.json());
    app.post('/items', createItem);
    app.use(middleware);
    app.post('/late', (_req, res) => void res.json({ ok: true }));

    const first = await request(app).post('/items').send({ name: 'spoon' });
    assert.equal(first.status, 201);
    assert.deepEqual(first.body, { id: 'i-1', requestId: '' });
    await request(app).post('/items').send({ name: 'fork' }).expect(201);
    await request(app).post('/late').send({}).expect(200);

    assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_NOT_MOUNTED']);
    assert.match(faults[0]!.message, /req\.audit was used in a route that audit\(\) did not see .* so nothing was recorded\. Fix: mount app\.use\(audit\(\)\) before your routes/);
    assert.equal(middleware.stats().faults.AUDITKIT_NOT_MOUNTED, 1);
    const recorded = await records();
    assert.deepEqual(recorded.map((r) => r.operation_id), ['/late'], 'only the route after audit() is audited');
  });

  it('the first request reaching the middleware reports the routes mounted before it', async () => {
    const { middleware, faults } = setup();
    const app = express();
    const admin = express.Router();
    admin.delete('/users/:id', (_req, res) => void res.sendStatus(204));
    app.get('/items', (_req, res) => void res.json([]));
    app.post('/items', createItem);
    app.use('/admin', admin);
    app.use(middleware);
    app.post('/late', (_req, res) => void res.json({ ok: true }));

    await request(app).post('/late').send({}).expect(200);
    await request(app).post('/late').send({}).expect(200);
    await middleware.close();
    assert.equal(faults.length, 1);
    assert.equal(faults[0]!.code, 'AUDITKIT_NOT_MOUNTED');
    assert.match(
      faults[0]!.message,
      /^\[auditkit\] audit\(\) is mounted after 3 routes \(GET \/items, POST \/items, DELETE \/users\/:id\): their requests are not audited, and req\.audit there records nothing\. Fix: mount app\.use\(audit\(\)\) before your routes and routers/,
    );
  });

  it('without a fault listener it is a process warning with the code', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auditkit-express-order-')), 'audit.log');
    const middleware = audit({ file });
    const app = express();
    app.post('/items', createItem);
    app.use(middleware);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      await request(app).post('/items').send({}).expect(201);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
      await middleware.close();
    }
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'AUDITKIT_NOT_MOUNTED');
    assert.equal(ours.length, 1);
    assert.equal(ours[0]!.name, 'AuditkitWarning');
  });

  it('mounted first, nothing is reported and req.audit is the real handle', async () => {
    const { middleware, faults, records } = setup();
    const app = express();
    app.use(middleware);
    app.use(express.json());
    app.post('/items', createItem);
    const res = await request(app).post('/items').send({ name: 'spoon' }).expect(201);
    assert.match(res.body.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-request-id'], res.body.requestId);
    const [r] = await records();
    assert.deepEqual(faults, []);
    assert.equal(r.operation_id, '/items');
    assert.deepEqual(r.target, { type: 'item', id: 'i-1' });
  });

  it('a mistake in one app does not leak a stand-in into another, correctly ordered app', async () => {
    const wrong = setup();
    const wrongApp = express();
    wrongApp.post('/items', createItem);
    wrongApp.use(wrong.middleware);
    await request(wrongApp).post('/items').send({}).expect(201);

    const right = setup();
    const rightApp = express();
    rightApp.use(right.middleware);
    rightApp.post('/items', createItem);
    const res = await request(rightApp).post('/items').send({}).expect(201);
    assert.notEqual(res.body.requestId, '');
    assert.equal((await right.records()).length, 1);
    await wrong.middleware.close();
  });
});
