import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditFileTransport, type AuditFault, type SinkStats } from '@auditkit/core';
import { AuditSyslogTransport } from '../src/index.js';
import { auditedApp, checkBalance, spoolDir, tmpfs, until } from './helpers.js';
import { freePort, Rsyslog } from './rsyslog.js';

/**
 * The spool's own disk failing while the syslog server is down: full (ENOSPC) or remounted read-only
 * (EROFS), then both recovering, in either order. Every record must arrive or be counted as dropped,
 * and the counters must add up at every moment (accepted = written + failed + queued + spooled).
 */

const fast = { idleConfirmMs: 30, confirmIntervalMs: 250, confirmTimeoutMs: 1500, connectTimeoutMs: 300 };
const TOTAL = 60;
const MAX = 20;

const causeCode = (f: AuditFault): string | undefined => (f.cause as NodeJS.ErrnoException | undefined)?.code;
const lines = (file: string): Array<Record<string, any>> => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** No file under the spool holds a record once everything is delivered. */
function spoolHoldsNothing(dir: string): void {
  for (const f of readdirSync(dir)) {
    if (f.startsWith('seg-')) assert.equal(statSync(join(dir, f)).size, 0, `${f} still holds delivered records`);
  }
}

async function outage(fault: 'ENOSPC' | 'EROFS', order: 'disk first' | 'server first'): Promise<void> {
  const disk = tmpfs(256);
  const port = await freePort();
  const file = join(spoolDir(), 'audit.log');
  const syslog = new AuditSyslogTransport({ protocol: 'tcp', port, ...fast });
  const app = await auditedApp({
    sinks: [new AuditFileTransport({ path: file }), { transport: syslog, spool: { dir: join(disk.dir, 'spool') }, queue: { max: MAX, retryMs: 50, retryMaxMs: 200 } }],
  });
  const spoolPath = join(disk.dir, 'spool', syslog.sinkName.replace(/[^A-Za-z0-9._-]+/g, '_'));
  const stats = (): SinkStats => app.middleware.stats().sinks[syslog.sinkName]!;
  let rs: Rsyslog | undefined;
  let sampling = true;
  const sampler = (async () => {
    // Sampled between requests and while both recover: the counters add up at every moment.
    while (sampling) {
      checkBalance(app.middleware.stats().sinks);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    if (fault === 'ENOSPC') disk.fill();
    else disk.remount('ro');
    for (let n = 1; n <= TOTAL; n++) assert.equal(await app.post(n), 201, 'the app is unaffected');
    await until(() => app.faults.some((f) => causeCode(f) === fault) && stats().queued === MAX, 5000, `a ${fault} fault and a full queue`);
    const during = stats();
    assert.equal(during.spooled, 0, 'nothing counts as spooled: nothing reached the disk');
    assert.equal(during.dropped, TOTAL - MAX, 'past queue.max, records are dropped and counted');
    const spoolFault = app.faults.find((f) => causeCode(f) === fault && f.message.includes('could not write its spool'))!;
    assert.match(spoolFault.message, /; \d+ record\(s\) wait in memory, not crash-safe, and the spool write is retried/);
    assert.ok(!spoolFault.message.includes(`${fault}: ${fault}`), `the code once: ${spoolFault.message}`);

    const recoverDisk = async (): Promise<void> => {
      if (fault === 'ENOSPC') disk.free();
      else disk.remount('rw');
    };
    if (order === 'disk first') {
      await recoverDisk();
      // The queue (and the drop notice) goes to disk; the server is still down.
      await until(() => stats().queued === 0 && stats().spooled === MAX + 1, 5000, 'the queue on disk');
      rs = await Rsyslog.start({ protocol: 'tcp', port });
    } else {
      // The server answers while the disk is still broken: the records go to it straight from memory.
      rs = await Rsyslog.start({ protocol: 'tcp', port });
      await until(() => stats().written >= MAX && stats().queued === 0, 10_000, 'delivery from memory');
      assert.equal(stats().spooled, 0);
      await recoverDisk();
    }
    await until(() => stats().written === stats().accepted && stats().queued === 0 && stats().spooled === 0, 15_000, 'everything delivered');
    // After recovery, records flow as usual.
    assert.equal(await app.post(TOTAL + 1), 201);
    await until(() => stats().written === stats().accepted, 5000, 'the new record');
    await until(() => rs!.messages().length >= stats().written, 5000, 'rsyslog to write them');
  } finally {
    sampling = false;
    await sampler;
    await app.close();
    await rs?.stop();
  }
  try {
    checkBalance(app.middleware.stats().sinks);
    const s = stats();
    const received = rs!.records();
    const requests = new Set(received.filter((r) => r.event === 'request').map((r) => r.bindings.n));
    const notices = received.filter((r) => r.event === 'audit.records_dropped');
    assert.equal(s.failed, 0);
    assert.equal(requests.size + s.dropped, TOTAL + 1, 'every record arrived or is counted as dropped');
    assert.deepEqual([...requests].map(Number).sort((a, b) => a - b), [...Array.from({ length: MAX }, (_, i) => i + 1), TOTAL + 1], 'the first queue.max waited, the rest were dropped');
    assert.equal(notices.reduce((n, r) => n + r.dropped, 0), TOTAL - MAX, "syslog's own trail says how many it lost");
    // The file beside it was told as well, in case syslog had never come back.
    const inFile = lines(file);
    assert.equal(inFile.filter((r) => r.event === 'request').length, TOTAL + 1);
    const relayed = inFile.filter((r) => r.event === 'audit.records_dropped' && r.sink === syslog.sinkName);
    assert.equal(relayed.reduce((n, r) => n + r.dropped, 0), TOTAL - MAX, 'the file trail says how many records syslog misses');
    assert.ok(relayed.every((r) => r.reason === 'queue_full'));
    spoolHoldsNothing(spoolPath);
  } finally {
    disk.unmount();
  }
}

describe("syslog down and the spool's disk failing", () => {
  it('ENOSPC, then the disk recovers, then the server: nothing lost that is not counted', () => outage('ENOSPC', 'disk first'));
  it('ENOSPC, then the server recovers while the disk is still full: records go to it from memory', () => outage('ENOSPC', 'server first'));
  it('EROFS (remounted read-only), then the disk recovers, then the server', () => outage('EROFS', 'disk first'));

  it('strict mode: a record the spool cannot keep gets a 503, later ones are refused before their handler; accepted again once the disk is back', async () => {
    const disk = tmpfs(256);
    const port = await freePort();
    const app = await auditedApp({
      sinks: [{ transport: new AuditSyslogTransport({ protocol: 'tcp', port, ...fast }), mode: 'strict', spool: { dir: join(disk.dir, 'spool') }, queue: { retryMs: 50, retryMaxMs: 200, writeTimeoutMs: 2000 } }],
    });
    let rs: Rsyslog | undefined;
    try {
      disk.fill();
      assert.equal(await app.post(1), 503, 'the record is durable nowhere: the response is refused (its handler ran)');
      assert.equal(await app.post(2), 503, 'known down, with a spool it cannot write: refused before the handler');
      assert.equal(app.middleware.stats().refused, 2);
      disk.free();
      // Record 1 is still queued (its handler ran, so it is kept) and reaches the spool on the next try.
      await until(() => app.sink().spooled === 1, 5000, 'record 1 in the spool');
      assert.equal(await app.post(3), 201, 'server down, spool writable: accepted once fsynced in the spool');
      assert.equal(app.sink().spooled, 2);
      rs = await Rsyslog.start({ protocol: 'tcp', port });
      await until(() => app.sink().spooled === 0 && app.sink().queued === 0, 10_000, 'the replay');
      assert.equal(await app.post(4), 201);
      await until(() => app.sink().written === app.sink().accepted && rs!.messages().length >= app.sink().written, 5000, 'delivery');
    } finally {
      await app.close();
      await rs?.stop();
      disk.unmount();
    }
    assert.deepEqual(
      rs!.records().map((r) => r.bindings.n),
      ['1', '3', '4'],
      'record 2 was refused before its handler ran: there is nothing to record',
    );
    checkBalance(app.middleware.stats().sinks);
  });
});

describe('a sink that never recovers', () => {
  it('its drop count reaches the file beside it before close() returns', async () => {
    const port = await freePort();
    const file = join(spoolDir(), 'audit.log');
    const syslog = new AuditSyslogTransport({ protocol: 'tcp', port, ...fast });
    const spool = spoolDir();
    const app = await auditedApp({
      sinks: [new AuditFileTransport({ path: file }), { transport: syslog, spool: { dir: spool, maxBytes: 64 * 1024 }, queue: { retryMs: 50, retryMaxMs: 200 } }],
    });
    const stats = (): SinkStats => app.middleware.stats().sinks[syslog.sinkName]!;
    try {
      for (let n = 1; n <= 200; n++) assert.equal(await app.post(n), 201);
      await until(() => stats().queued === 0 && stats().dropped > 0, 5000, 'a full spool');
    } finally {
      await app.close(1000);
    }
    const s = stats();
    checkBalance(app.middleware.stats().sinks);
    const spoolPath = join(spool, syslog.sinkName.replace(/[^A-Za-z0-9._-]+/g, '_'));
    const spooled = readdirSync(spoolPath)
      .filter((f) => f.startsWith('seg-'))
      .flatMap((f) => readFileSync(join(spoolPath, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    assert.equal(spooled.length, s.spooled, 'what the counter says is on disk is on disk');
    assert.equal(spooled.filter((r) => r.event === 'request').length + s.dropped, 200, 'each record waits in the spool for the next process, or is counted as dropped');
    const relayed = lines(file).filter((r) => r.event === 'audit.records_dropped');
    assert.ok(relayed.length >= 1 && relayed.every((r) => r.sink === syslog.sinkName && r.reason === 'spool_full'));
    assert.equal(relayed.reduce((n, r) => n + r.dropped, 0), s.dropped, 'the file trail says how many records syslog misses');
  });
});
