import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord, RequestRecord } from '@auditkit/core';
import { FRAMEWORKS } from '../src/apps.js';
import { withApp } from './helpers.js';

const requests = (records: AuditRecord[]): RequestRecord[] => records as RequestRecord[];

// What an auditor sees of a request no route ran (issue 11, item 11): a malformed JSON body refused
// by the parser is recorded against the route it was meant for, as Fastify already did; a request
// for no route at all keeps `<unmatched>` and records the path attempted: its plain words, every
// other segment masked (ids, tokens, e-mail addresses), capped.

async function post(url: string, path: string, body: string): Promise<number> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  return res.status;
}

for (const framework of FRAMEWORKS) {
  describe(`${framework}: requests no route ran`, () => {
    it('a malformed JSON body is recorded against the route it was meant for', async () => {
      const { records: all } = await withApp(framework, {}, async (app) => {
        assert.equal(await post(app.url, '/api/users/42', '{"name": "Ada",'), 400);
        // A DELETE-only route: a POST is not meant for it, whatever its body.
        assert.equal(await post(app.url, '/orgs/acme/users/7', '{oops'), 400);
        assert.equal(await post(app.url, '/orgs/acme/users/7', '{}'), 404);
      });
      const records = requests(all);
      assert.deepEqual(
        records.map((r) => [r.operation_id, r.http_status_code, r.operation_result, r.bindings, r.http_request.path]),
        [
          ['/api/users/:id', 400, 'failure', { id: '42' }, undefined],
          ['<unmatched>', 400, 'failure', {}, '/orgs/acme/users/******'],
          ['<unmatched>', 404, 'failure', {}, '/orgs/acme/users/******'],
        ],
      );
    });

    it('an unmatched path is recorded without its query, only its plain words kept, capped at 256 characters', async () => {
      const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
      const { records: all, text } = await withApp(framework, {}, async (app) => {
        await post(app.url, `/reset-password/s3cr3t-value/confirm?password=hunter2`, '{}');
        await post(app.url, `/download/${token}`, '{}');
        await post(app.url, '/nope/' + 'a'.repeat(400), '{}');
        await post(app.url, '/a'.repeat(200), '{}');
        await post(app.url, '/1'.repeat(200), '{}');
        await post(app.url, '/v2/users/alice@example.com/%E2%82%AC/"quoted"', '{}');
      });
      const records = requests(all);
      assert.deepEqual(records.map((r) => r.http_request.path), [
        '/reset-password/******/confirm',
        '/download/******',
        '/nope/******…[truncated]',
        '/a'.repeat(128) + '…[truncated]',
        '/******'.repeat(36) + '/***…[truncated]',
        '/v2/users/******/******/******',
      ]);
      assert.deepEqual(records[0]!.query_string, { password: '******' });
      assert.doesNotMatch(text, /hunter2|s3cr3t-value|c2lnbmF0dXJl/);
      for (const r of records) assert.equal(r.operation_id, '<unmatched>');
    });

    it('a matched route records no path: its template and bindings say it', async () => {
      const { records: all } = await withApp(framework, {}, async (app) => {
        assert.equal(await post(app.url, '/api/users/42', '{"name":"Ada"}'), 201);
      });
      const records = requests(all);
      assert.equal(records[0]!.operation_id, '/api/users/:id');
      assert.equal('path' in records[0]!.http_request, false);
    });
  });
}
