import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { Auditor, AuditFileTransport, type AuditFault, type SinkStats } from '@auditkit/core';
import { FRAMEWORKS, startApp, type RunningApp } from '../src/apps.js';
import { HungPeer } from '../src/hung-peer.js';
import { readRecords, requestRecords, schemaErrors, tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * Queue-full, strict, blocking-timeout and never-recovers behaviour against a real stuck sink: a TCP
 * syslog peer that accepts and never reads (src/hung-peer.ts), so nothing it holds is ever confirmed
 * until it is released. These replace the hand-made GateTransport these tests used to run against.
 */

const peerSink = (app: RunningApp | Auditor, peer: HungPeer): SinkStats => {
  const auditor = app instanceof Auditor ? app : app.auditor;
  return auditor.stats().sinks[`syslog:tcp://127.0.0.1:${peer.port}`]!;
};

for (const framework of FRAMEWORKS) {
  describe(`delivery against a peer that never reads (${framework})`, () => {
    it('a full queue drops and counts, then writes one audit.records_dropped record when room returns', async () => {
      const peer = await HungPeer.start();
      const faults: AuditFault[] = [];
      const app = await startApp(framework, { audit: { sinks: [{ transport: peer.transport(), spool: false, queue: { max: 3 } }] } });
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        for (let i = 0; i < 7; i++) {
          // The sink is stuck, yet every request is answered at once.
          assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
        }
        const stuck = peerSink(app, peer);
        assert.deepEqual([stuck.accepted, stuck.dropped, stuck.queued, stuck.written], [3, 4, 3, 0]);
        assert.equal(faults.filter((f) => f.code === 'AUDITKIT_RECORDS_DROPPED').length, 1, 'one fault per drop episode');
        peer.release();
        await waitFor(() => peerSink(app, peer).written === 4, 5000, 'the backlog and the notice');
        assert.equal((await request(app.url).post('/api/users/after').send({})).status, 201);
        await waitFor(() => peerSink(app, peer).written === 5, 5000, 'the last record');
      } finally {
        await app.close();
        await peer.close();
      }
      const received = peer.received;
      assert.deepEqual(received.map((r) => r.event), ['request', 'request', 'request', 'audit.records_dropped', 'request']);
      assert.deepEqual(received.map((r) => (r.bindings as { id?: string } | undefined)?.id), ['0', '1', '2', undefined, 'after']);
      const notice = received[3]!;
      assert.deepEqual([notice.dropped, notice.reason, notice.level], [4, 'queue_full', 'error']);
      assert.equal(schemaErrors(notice), undefined);
      const final = peerSink(app, peer);
      assert.deepEqual([final.accepted, final.written, final.dropped], [5, 5, 4], 'eight requests and one notice, every one accounted for');
    });

    it('strict mode refuses at once, without running the handler, when no place is left for the record', async () => {
      const peer = await HungPeer.start();
      const app = await startApp(framework, { audit: { sinks: [{ transport: peer.transport(), mode: 'strict', spool: false, queue: { max: 1 } }] } });
      app.auditor.on('fault', () => undefined);
      try {
        const first = request(app.url).post('/api/users/1').send({}).then((r) => r.status);
        await waitFor(() => app.observed.calls.createUser === 1, 3000, 'the first handler');
        const refused = await request(app.url).post('/api/users/2').send({});
        assert.equal(refused.status, 503);
        assert.deepEqual(refused.body, { error: 'audit_unavailable', message: refused.body.message });
        assert.equal(refused.headers['retry-after'], '1');
        assert.equal(app.observed.calls.createUser, 1, 'the refused request never reached its handler');
        assert.equal((await request(app.url).get('/api/users/2')).status, 200, 'reads are not audited, so not refused');
        peer.release();
        assert.equal(await first, 201, 'the held response goes out once its record is confirmed');
        assert.equal((await request(app.url).post('/api/users/3').send({})).status, 201, 'room again: accepted');
        assert.equal(app.auditor.stats().refused, 1);
      } finally {
        await app.close();
        await peer.close();
      }
      assert.deepEqual(peer.received.map((r) => (r.bindings as { id: string }).id), ['1', '3']);
    });

    it('strict mode answers 503 when the record is not confirmed in time; blocking mode waits, then answers', async () => {
      const strictPeer = await HungPeer.start();
      const strict = await startApp(framework, { audit: { sinks: [{ transport: strictPeer.transport(), mode: 'strict', spool: false, queue: { writeTimeoutMs: 150 } }] } });
      strict.auditor.on('fault', () => undefined);
      try {
        const started = Date.now();
        const res = await request(strict.url).post('/api/users/1').send({});
        assert.equal(res.status, 503);
        assert.ok(Date.now() - started >= 140, 'it waited for the record first');
        assert.equal(strict.observed.calls.createUser, 1, 'the handler had run: the refusal is about the record, not the operation');
      } finally {
        strictPeer.release();
        await strict.close();
        await strictPeer.close();
      }
      const blockingPeer = await HungPeer.start();
      const blocking = await startApp(framework, { audit: { sinks: [{ transport: blockingPeer.transport(), mode: 'blocking', spool: false, queue: { writeTimeoutMs: 150, retryMs: 20 } }] } });
      const faults: string[] = [];
      blocking.auditor.on('fault', (f: AuditFault) => faults.push(f.code));
      try {
        const started = Date.now();
        assert.equal((await request(blocking.url).post('/api/users/1').send({})).status, 201, 'blocking reports, it does not refuse');
        assert.ok(Date.now() - started >= 140, 'it waited for the record first');
        blockingPeer.release();
        assert.equal((await request(blocking.url).post('/api/users/2').send({})).status, 201);
      } finally {
        await blocking.close();
        await blockingPeer.close();
      }
      assert.ok(faults.includes('AUDITKIT_SINK_FAILED'), 'the unconfirmed write was reported');
      // The unconfirmed write was retried: the peer may have read a record twice, always with the same id.
      const unique = [...new Map(blockingPeer.received.map((r) => [r.id, r])).values()];
      assert.deepEqual(unique.map((r) => (r.bindings as { id: string }).id), ['1', '2']);
    });

    for (const success of ['all', 'any'] as const) {
      it(`success: "${success}" over two strict sinks, one of which never confirms`, async () => {
        const peer = await HungPeer.start();
        const file = join(tempDir(), 'audit.log');
        const app = await startApp(framework, {
          audit: {
            success,
            sinks: [
              { transport: peer.transport(), mode: 'strict', spool: false, queue: { writeTimeoutMs: 150 } },
              { transport: new AuditFileTransport({ path: file }), mode: 'strict' },
            ],
          },
        });
        app.auditor.on('fault', () => undefined);
        let status = 0;
        try {
          status = (await request(app.url).post('/api/users/1').send({})).status;
        } finally {
          peer.release();
          await app.close();
          await peer.close();
        }
        assert.equal(status, success === 'all' ? 503 : 201);
        assert.equal(readRecords(file).length, 1, 'the file sink has the record either way');
      });
    }
  });
}

describe('a sink that never recovers', () => {
  it('at close, the file beside it says how many records it turned away and how many it still held', async () => {
    const peer = await HungPeer.start();
    const file = join(tempDir(), 'audit.log');
    const app = await startApp('express', { audit: { sinks: [{ transport: peer.transport(), spool: false, queue: { max: 5 } }, new AuditFileTransport({ path: file })] } });
    app.auditor.on('fault', () => undefined);
    try {
      for (let i = 0; i < 12; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
    } finally {
      // The peer never reads: close gives up on it at the deadline.
      await app.auditor.close({ timeoutMs: 1000 });
      await app.close();
      await peer.close();
    }
    const g = peerSink(app, peer);
    assert.deepEqual([g.accepted, g.dropped, g.failed, g.written, g.queued], [5, 7, 5, 0, 0]);
    const notices = readRecords(file).filter((r) => r.event === 'audit.records_dropped') as unknown as Array<{ sink: string; reason: string; dropped: number }>;
    assert.deepEqual([...new Set(notices.map((r) => r.sink))], [`syslog:tcp://127.0.0.1:${peer.port}`]);
    const sum = (reason: string): number => notices.filter((r) => r.reason === reason).reduce((n, r) => n + r.dropped, 0);
    assert.equal(sum('queue_full'), 7, 'turned away: queue full');
    assert.equal(sum('closed'), 5, 'still undelivered when close() gave up');
    assert.equal(requestRecords(readRecords(file)).length, 12, 'the file itself has every request');
  });
});

describe('auditor.record() against a strict sink that never confirms', () => {
  it('resolves false, and true once a blocking file sink has written it', async () => {
    const peer = await HungPeer.start();
    const strict = new Auditor({ sinks: [{ transport: peer.transport(), mode: 'strict', spool: false, queue: { writeTimeoutMs: 100 } }] });
    strict.on('fault', () => undefined);
    assert.equal(await strict.record({ event: 'audit.log.export' }), false);
    peer.release();
    await strict.close();
    await peer.close();

    const file = join(tempDir(), 'audit.log');
    const blocking = new Auditor({ sinks: [{ transport: new AuditFileTransport({ path: file }), mode: 'blocking' }] });
    assert.equal(await blocking.record({ event: 'audit.log.export' }), true);
    assert.equal(readRecords(file).length, 1, 'a blocking sink resolves only once the record is written');
    await blocking.close();
  });
});
