import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import express from 'express';
import { AuditFileTransport } from '@auditkit/core';
import { audit } from '@auditkit/express';
import { openSqliteStore, type AuditStore } from '@auditkit/store';
import { openPostgresStore } from '@auditkit/store-postgres';
import { tempDir } from '../../store/test/helpers.js';
import { dropSchema, freshSchemaName, PG_URL } from './pg-helpers.js';

/**
 * The store's share of the EMQX audit test suite's API cases (emqx_audit_api_SUITE), on both
 * backends, through a real Express app: a PUT yields a rest_api record with a masked authorization
 * and success, kept byte for byte as the file sink wrote it; time filters at µs precision (the API
 * turns ms and RFC 3339 into µs); duration ranges; trimming to maxRecords keeps exactly that many,
 * the newest.
 */

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

type Opened = AuditStore & { upkeep(): Promise<void> };
const backends: Array<[string, (maxRecords: number) => Promise<Opened>]> = [
  [
    'SQLite',
    async (maxRecords) => {
      const dir = tempDir();
      const store = await openSqliteStore({ path: join(dir, 'audit.db'), maxRecords });
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return store;
    },
  ],
  [
    'PostgreSQL',
    async (maxRecords) => {
      const schema = freshSchemaName();
      cleanups.push(() => dropSchema(schema));
      return openPostgresStore({ connectionString: PG_URL, schema, maxRecords, liveLagMs: 0 });
    },
  ],
];

async function appWith(store: AuditStore, file: string) {
  const app = express();
  const middleware = audit({ node: 'emqx-case', sinks: [new AuditFileTransport({ path: file }), store.transport] });
  app.use(middleware);
  app.use(express.json());
  app.put('/configs/global_zone', (_req, res) => void res.json({ ok: true }));
  app.put('/slow/:ms', async (req, res) => {
    await new Promise((r) => setTimeout(r, Number(req.params.ms)));
    res.json({ ok: true });
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    async close() {
      await new Promise((r) => server.close(r));
      await middleware.auditor.close();
    },
  };
}

const put = async (url: string, path: string, headers: Record<string, string> = {}): Promise<void> => {
  const res = await fetch(url + path, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ max_connections: 1024, password: 'pa55' }) });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
};

for (const [name, open] of backends) {
  describe(`EMQX API cases, store side: ${name}`, () => {
    it('a PUT yields a rest_api record, authorization ******, success; the stored line is the file line byte for byte', async () => {
      const store = await open(1000);
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'audit.log');
      const app = await appWith(store, file);
      await put(app.url, '/configs/global_zone', { authorization: 'Bearer abc.def.ghi' });
      await app.close();
      const fileLine = readFileSync(file, 'utf8').trimEnd();
      const page = await store.query([{ match: { from: { values: ['rest_api'], negate: false }, operation_id: { values: ['/configs/global_zone'], negate: false } } }], { limit: 10, direction: 'older' });
      assert.equal(page.lines.length, 1);
      assert.equal(page.lines[0], fileLine);
      const record = JSON.parse(page.lines[0]!) as Record<string, any>;
      assert.equal(record.from, 'rest_api');
      assert.equal(record.operation_result, 'success');
      assert.equal(record.operation_type, 'configs');
      assert.equal(record.http_method, 'put');
      assert.equal(record.http_request.headers.authorization, '******');
      assert.equal(record.http_request.body.password, '******');
      assert.equal((await store.query([{ text: 'abc.def' }], { limit: 10, direction: 'older' })).lines.length, 0, 'the token is not searchable');

      // Time at µs precision: the API gives gte_created_at in µs whether it came as µs, ms or RFC 3339.
      const t = record.time as number;
      const found = async (range: { gte?: number; lte?: number }): Promise<number> => (await store.query([{ time: range }], { limit: 10, direction: 'older' })).lines.length;
      assert.equal(await found({ gte: t }), 1);
      assert.equal(await found({ gte: t + 1 }), 0);
      assert.equal(await found({ lte: t }), 1);
      assert.equal(await found({ lte: t - 1 }), 0);
      assert.equal(await found({ gte: Math.floor(t / 1000) * 1000 }), 1, 'a bound in ms (as µs) includes the record of that ms');
      await store.close();
    });

    it('duration ranges', async () => {
      const store = await open(1000);
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const app = await appWith(store, join(dir, 'audit.log'));
      await put(app.url, '/slow/0');
      await put(app.url, '/slow/300');
      await app.close();
      const slow = await store.query([{ duration_ms: { gte: 250 } }], { limit: 10, direction: 'older' });
      assert.deepEqual(slow.lines.map((l) => (JSON.parse(l) as { bindings: { ms: string } }).bindings.ms), ['300']);
      const fast = await store.query([{ duration_ms: { lte: 250 } }], { limit: 10, direction: 'older' });
      assert.deepEqual(fast.lines.map((l) => (JSON.parse(l) as { bindings: { ms: string } }).bindings.ms), ['0']);
      await store.close();
    });

    it('trimming to maxRecords keeps exactly that many, the newest', async () => {
      const store = await open(5);
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const app = await appWith(store, join(dir, 'audit.log'));
      for (let i = 0; i < 8; i++) await put(app.url, '/configs/global_zone', { 'x-request-id': `trim-${i}` });
      await app.close();
      await store.upkeep();
      const page = await store.query([], { limit: 100, direction: 'older' });
      assert.deepEqual(page.lines.map((l) => (JSON.parse(l) as { request_id: string }).request_id), ['trim-7', 'trim-6', 'trim-5', 'trim-4', 'trim-3']);
      await store.close();
    });
  });
}
