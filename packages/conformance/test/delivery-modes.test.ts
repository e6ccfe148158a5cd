import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { AuditFileTransport, type AuditFault } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { readRecords, requestRecords, tempDir } from '../src/records.js';

/** Record size limits, and a blocking sink. The success rule and a sink that never recovers are in delivery-faults.test.ts. */

for (const framework of FRAMEWORKS) {
  describe(`oversize records (${framework})`, () => {
    it('a record over limits.recordBytes loses its body first; one still too large is dropped, counted and noticed', async () => {
      const file = join(tempDir(), 'audit.log');
      // Node allows 16 KiB of headers by default; this server allows more, so headers alone can pass 100 KB.
      const app = await startApp(framework, { audit: { file, limits: { bodyBytes: 400_000, recordBytes: 100 * 1024 } }, server: { maxHeaderSize: 256 * 1024 } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        const big: Record<string, string> = {};
        for (let i = 0; i < 300; i++) big[`k${i}`] = 'v'.repeat(900);
        assert.equal((await request(app.url).post('/echo').send(big)).status, 200);
        // Headers alone over the limit: nothing left to cut.
        const headers: Record<string, string> = {};
        for (let i = 0; i < 16; i++) headers[`x-trace-${i}`] = 't'.repeat(7000);
        assert.equal((await request(app.url).post('/api/users/1').set(headers).send({})).status, 201);
        assert.equal((await request(app.url).post('/api/users/2').send({})).status, 201);
      } finally {
        await app.close();
      }
      const records = readRecords(file);
      const [trimmed, ...rest] = requestRecords(records);
      assert.equal(trimmed!.truncated, true);
      assert.equal(trimmed!.http_request.body, null);
      assert.equal(trimmed!.http_request.body_recorded, 'truncated');
      assert.ok(JSON.stringify(trimmed).length < 100 * 1024);
      assert.deepEqual(rest.map((r) => (r.bindings as { id: string }).id), ['2'], 'the oversize one is gone');
      const notice = records.find((r) => r.event === 'audit.records_dropped') as { dropped: number; reason: string } | undefined;
      assert.deepEqual([notice?.dropped, notice?.reason], [1, 'oversize']);
      assert.ok(faults.some((f) => f.code === 'AUDITKIT_RECORDS_DROPPED'));
    });
  });
}

describe('blocking mode waits for the write', () => {
  it('the response leaves only after the record is in the file', async () => {
    const file = join(tempDir(), 'audit.log');
    const app = await startApp('express', { audit: { sinks: [{ transport: new AuditFileTransport({ path: file }), mode: 'blocking' }] } });
    try {
      for (let i = 0; i < 20; i++) {
        assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
        // Read right after the response: a blocking sink has already written this request's record.
        const ids = requestRecords(readRecords(file)).map((r) => (r.bindings as { id: string }).id);
        assert.equal(ids.at(-1), String(i));
      }
    } finally {
      await app.close();
    }
  });
});
