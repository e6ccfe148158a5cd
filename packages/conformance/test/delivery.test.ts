import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import winston from 'winston';
import type { AuditFault } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { GateTransport } from '../src/gate-transport.js';
import { schemaErrors, tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * Delivery through real Winston transports: the request never waits on the sink, a full queue drops
 * and counts and says so in the trail, strict mode fails closed, and close() flushes everything.
 */

for (const framework of FRAMEWORKS) {
  describe(`delivery (${framework})`, () => {
    it('a full queue drops and counts, then writes one audit.records_dropped record when room returns', async () => {
      const gate = new GateTransport();
      const faults: AuditFault[] = [];
      const app = await startApp(framework, { audit: { transports: [gate], queue: { max: 3 } } });
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        for (let i = 0; i < 7; i++) {
          // The sink is stuck, yet every request is answered at once.
          assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
        }
        const stuck = app.auditor.stats().sinks.gate!;
        assert.deepEqual([stuck.accepted, stuck.dropped, stuck.queued, stuck.written], [3, 4, 3, 0]);
        assert.equal(faults.filter((f) => f.code === 'AUDITKIT_RECORDS_DROPPED').length, 1, 'one fault per drop episode');
        gate.open();
        await waitFor(() => app.auditor.stats().sinks.gate!.written === 4, 3000, 'the backlog and the notice');
        assert.equal((await request(app.url).post('/api/users/after').send({})).status, 201);
      } finally {
        await app.close();
      }
      const events = gate.received.map((r) => r.event);
      assert.deepEqual(events, ['request', 'request', 'request', 'audit.records_dropped', 'request']);
      const notice = gate.received[3]!;
      assert.equal(notice.dropped, 4);
      assert.equal(notice.reason, 'queue_full');
      assert.equal(notice.level, 'error');
      assert.equal(schemaErrors(JSON.parse(JSON.stringify(notice))), undefined);
      const final = app.auditor.stats().sinks.gate!;
      assert.equal(final.accepted, final.written, 'everything accepted was written');
      assert.equal(final.accepted + final.dropped, 8 + 1, 'eight requests and one notice, every one accounted for');
    });

    it('strict mode refuses at once, without running the handler, when no place is left for the record', async () => {
      const gate = new GateTransport();
      const app = await startApp(framework, { audit: { transports: [gate], queue: { max: 1 }, strict: true } });
      try {
        const first = request(app.url).post('/api/users/1').send({}).then((r) => r.status);
        await waitFor(() => app.observed.calls.createUser === 1, 3000, 'the first handler');
        const refused = await request(app.url).post('/api/users/2').send({});
        assert.equal(refused.status, 503);
        assert.deepEqual(refused.body, { error: 'audit_unavailable', message: refused.body.message });
        assert.equal(refused.headers['retry-after'], '1');
        assert.equal(app.observed.calls.createUser, 1, 'the refused request never reached its handler');
        assert.equal((await request(app.url).get('/api/users/2')).status, 200, 'reads are not audited, so not refused');
        gate.open();
        assert.equal(await first, 201, 'the held response goes out once its record is written');
        assert.equal((await request(app.url).post('/api/users/3').send({})).status, 201, 'room again: accepted');
        assert.equal(app.auditor.stats().refused, 1);
      } finally {
        await app.close();
      }
      assert.deepEqual(
        gate.received.map((r) => (r.bindings as { id: string }).id),
        ['1', '3'],
      );
    });

    it('strict mode answers 503 when the record is not confirmed in time; blocking mode waits, then answers', async () => {
      const strictGate = new GateTransport();
      const strict = await startApp(framework, { audit: { sinks: [{ transport: strictGate, mode: 'strict', queue: { writeTimeoutMs: 150 } }] } });
      try {
        const started = Date.now();
        const res = await request(strict.url).post('/api/users/1').send({});
        assert.equal(res.status, 503);
        assert.ok(Date.now() - started >= 140, 'it waited for the record first');
        assert.equal(strict.observed.calls.createUser, 1, 'the handler had run: the refusal is about the record, not the operation');
      } finally {
        strictGate.open();
        await strict.close();
      }
      const blockingGate = new GateTransport();
      const blocking = await startApp(framework, { audit: { sinks: [{ transport: blockingGate, mode: 'blocking', queue: { writeTimeoutMs: 150 } }] } });
      const faults: string[] = [];
      blocking.auditor.on('fault', (f: AuditFault) => faults.push(f.code));
      try {
        assert.equal((await request(blocking.url).post('/api/users/1').send({})).status, 201, 'blocking reports, it does not refuse');
        blockingGate.open();
        const waited = request(blocking.url).post('/api/users/2').send({});
        assert.equal((await waited).status, 201);
      } finally {
        await blocking.close();
      }
      assert.ok(faults.includes('AUDITKIT_SINK_FAILED'), 'the unconfirmed write was reported');
      // The unconfirmed write was retried: the transport may see a record twice, always with the same id.
      const unique = [...new Map(blockingGate.received.map((r) => [r.id, r])).values()];
      assert.deepEqual(unique.map((r) => (r.bindings as { id: string }).id), ['1', '2']);
    });

    it('records reach Winston transports (Console and File) with the JSON line as the message', async () => {
      const dir = tempDir();
      const file = join(dir, 'winston.log');
      const lines: string[] = [];
      const { Writable } = await import('node:stream');
      const sink = new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      });
      const console = new winston.transports.Stream({ stream: sink });
      const fileTransport = new winston.transports.File({ filename: file });
      const app = await startApp(framework, { audit: { transports: [console, fileTransport] } });
      try {
        await request(app.url).post('/api/users/7').send({ password: 'x' });
      } finally {
        await app.close();
      }
      assert.equal(lines.length, 1);
      const fromStream = JSON.parse(lines[0]!);
      assert.equal(fromStream.operation_id, '/api/users/:id');
      const fromFile = readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(fromFile.length, 1, 'winston File flushed on close');
      assert.deepEqual(JSON.parse(fromFile[0]!), fromStream);
    });

    it('a Winston logger passed in gets the record through its own format', async () => {
      const dir = tempDir();
      const file = join(dir, 'logger.log');
      const logger = winston.createLogger({
        levels: winston.config.syslog.levels,
        format: winston.format.combine(winston.format.timestamp({ format: () => 'fixed' }), winston.format.json()),
        transports: [new winston.transports.File({ filename: file })],
      });
      const app = await startApp(framework, { audit: { logger } });
      try {
        await request(app.url).post('/status/500').send({});
      } finally {
        await app.close();
      }
      const line = JSON.parse(readFileSync(file, 'utf8').trim());
      assert.equal(line.timestamp, 'fixed', "the logger's own format applied");
      assert.equal(line.level, 'warning', 'a failure maps to the logger\'s own level name');
      assert.equal(line.http_status_code, 500);
    });
  });
}
