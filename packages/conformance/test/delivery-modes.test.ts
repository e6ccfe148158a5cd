import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { AuditFileTransport, type AuditFault } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { GateTransport } from '../src/gate-transport.js';
import { readRecords, requestRecords, tempDir } from '../src/records.js';

/** Record size limits and the success rule across several strict sinks. */

for (const framework of FRAMEWORKS) {
  describe(`oversize records and the success rule (${framework})`, () => {
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

    for (const success of ['all', 'any'] as const) {
      it(`success: "${success}" over two strict sinks, one of which never confirms`, async () => {
        const stuck = new GateTransport();
        const file = join(tempDir(), 'audit.log');
        const app = await startApp(framework, {
          audit: {
            success,
            sinks: [
              { transport: stuck, mode: 'strict', queue: { writeTimeoutMs: 150 } },
              { transport: new AuditFileTransport({ path: file }), mode: 'strict' },
            ],
          },
        });
        app.auditor.on('fault', () => undefined);
        let status = 0;
        try {
          status = (await request(app.url).post('/api/users/1').send({})).status;
        } finally {
          stuck.open();
          await app.close();
        }
        assert.equal(status, success === 'all' ? 503 : 201);
        assert.equal(readRecords(file).length, 1, 'the file sink has the record either way');
      });
    }
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

describe('a sink that never recovers', () => {
  it('at close, the file beside it says how many records it turned away and how many it still held', async () => {
    const gate = new GateTransport();
    const file = join(tempDir(), 'audit.log');
    const app = await startApp('express', { audit: { sinks: [{ transport: gate, queue: { max: 5 } }, new AuditFileTransport({ path: file })] } });
    app.auditor.on('fault', () => undefined);
    try {
      for (let i = 0; i < 12; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
    } finally {
      // The gate never opens: close gives up on it at the deadline.
      await app.auditor.close({ timeoutMs: 1000 });
      await app.close();
    }
    const g = app.auditor.stats().sinks.gate!;
    assert.deepEqual([g.accepted, g.dropped, g.failed, g.written, g.queued], [5, 7, 5, 0, 0]);
    const notices = readRecords(file).filter((r) => r.event === 'audit.records_dropped') as unknown as Array<{ sink: string; reason: string; dropped: number }>;
    assert.ok(notices.every((r) => r.sink === 'gate'));
    const sum = (reason: string): number => notices.filter((r) => r.reason === reason).reduce((n, r) => n + r.dropped, 0);
    assert.equal(sum('queue_full'), 7, 'turned away: queue full');
    assert.equal(sum('closed'), 5, 'still undelivered when close() gave up');
    assert.equal(requestRecords(readRecords(file)).length, 12, 'the file itself has every request');
  });
});
