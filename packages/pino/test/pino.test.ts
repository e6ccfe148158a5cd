import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { AuditConfigError, Auditor, type AuditFault } from '@auditkit/core';
import audit from '@auditkit/fastify';
import { pinoSink } from '../src/index.js';

// A pino logger or destination as a sink (issue 11, item 14): the level check and the delivery
// accounting of a Winston `logger`, on real pino writing real files.

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'auditkit-pino-')), 'app.log');
}

function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function refusal(make: () => unknown): AuditConfigError {
  try {
    make();
  } catch (err) {
    assert.ok(err instanceof AuditConfigError, String(err));
    return err;
  }
  return assert.fail('accepted');
}

describe('pinoSink(logger): the level check', () => {
  it('refuses a logger at warn, at error, silent, and a child at warn, naming the fix', () => {
    const dest = pino.destination({ dest: tempFile(), sync: true });
    const err = refusal(() => pinoSink(pino({ level: 'warn' }, dest)));
    assert.equal(err.option, 'pinoSink()');
    assert.equal(
      err.message,
      '[auditkit] options.pinoSink(): the pino logger has level "warn", which would silently drop every audit record at level info. Fix: create it at level "info" or lower (pino({ level: "info" })), give auditkit a child at "info" (logger.child({}, { level: "info" })), or pass a destination (pino.destination(path))',
    );
    assert.match(refusal(() => pinoSink(pino({ level: 'error' }, dest))).message, /has level "error"/);
    assert.match(refusal(() => pinoSink(pino({ level: 'silent' }, dest))).message, /has level "silent"/);
    assert.match(refusal(() => pinoSink(pino({ level: 'info' }, dest).child({}, { level: 'warn' }))).message, /has level "warn"/);
    assert.match(refusal(() => pinoSink({} as never)).message, /needs a pino logger or a destination/);
  });

  it('accepts a logger at info or below, and a child at info of a logger at warn', () => {
    const dest = pino.destination({ dest: tempFile(), sync: true });
    assert.equal(pinoSink(pino({ level: 'debug' }, dest)).sinkName, 'pino');
    assert.equal(pinoSink(pino({ level: 'warn' }, dest).child({ component: 'audit' }, { level: 'info' })).sinkName, 'pino');
  });

  it('a pino logger passed as `logger` is pointed to @auditkit/pino', () => {
    const err = refusal(() => new Auditor({ logger: pino({}, pino.destination({ dest: tempFile(), sync: true })) as never }));
    assert.match(err.message, /options\.logger: is a pino logger, and logger takes a Winston one\. Fix: use transports: \[pinoSink\(logger\)\] with pinoSink from '@auditkit\/pino'/);
  });
});

describe('pinoSink(logger): records and accounting', () => {
  for (const sync of [false, true]) {
    it(`a record counts as written once it is in the file (${sync ? 'sync' : 'async'} destination)`, async () => {
      const file = tempFile();
      const dest = pino.destination({ dest: file, sync });
      if (!sync) await once(dest, 'ready');
      const logger = pino({ base: { service: 'billing' } }, dest);
      const auditor = new Auditor({ transports: [pinoSink(logger)] });
      assert.equal(await auditor.event('invoice.sent', { target: { type: 'invoice', id: 'in-7' } }), true);
      // Read straight away: "written" must mean it is there.
      const [line] = lines(file);
      assert.equal(line!.level, 30);
      assert.equal(line!.msg, 'invoice.sent success');
      assert.equal(line!.service, 'billing', "the logger's own bindings apply");
      const record = line!.audit as Record<string, unknown>;
      assert.equal(record.event, 'invoice.sent');
      assert.equal(record.level, 'info');
      assert.deepEqual(record.target, { id: 'in-7', type: 'invoice' });
      assert.equal(auditor.stats().sinks.pino!.written, 1);
      await auditor.close();
    });
  }

  it('a failure is logged at warn (40), under the key asked for', async () => {
    const file = tempFile();
    const logger = pino({}, pino.destination({ dest: file, sync: true }));
    const auditor = new Auditor({ transports: [pinoSink(logger, { key: 'trail' })] });
    await auditor.event('payout.sent', { error: new Error('bank said no') });
    await auditor.close();
    const [line] = lines(file);
    assert.equal(line!.level, 40);
    assert.equal((line!.trail as { operation_result: string }).operation_result, 'failure');
    assert.equal(line!.audit, undefined);
  });

  it('a level raised after construction counts records failed, not written, and reports it', async () => {
    const file = tempFile();
    const logger = pino({}, pino.destination({ dest: file, sync: true }));
    const auditor = new Auditor({ transports: [pinoSink(logger)], queue: { retryMs: 5, retryMaxMs: 20 } });
    const faults: AuditFault[] = [];
    auditor.on('fault', (f: AuditFault) => faults.push(f));
    await auditor.event('before');
    logger.level = 'error';
    assert.equal(await auditor.event('after'), false);
    assert.equal(auditor.stats().sinks.pino!.written, 1);
    assert.equal(auditor.stats().sinks.pino!.healthy, false);
    assert.match(faults[0]!.message, /the pino logger no longer lets level info through \(level "error"\)/);
    logger.level = 'info';
    await auditor.close();
    assert.deepEqual(lines(file).map((l) => (l.audit as { event: string }).event), ['before', 'after']);
  });

  it('the logger is lent: the app logs with it after auditor.close()', async () => {
    const file = tempFile();
    const logger = pino({}, pino.destination({ dest: file, sync: true }));
    const auditor = new Auditor({ transports: [pinoSink(logger)] });
    await auditor.event('user.deleted');
    await auditor.close();
    logger.info('shutting down');
    assert.deepEqual(lines(file).map((l) => l.msg), ['user.deleted success', 'shutting down']);
  });
});

describe('pinoSink(destination)', () => {
  it('writes the canonical lines, counted written once in the file', async () => {
    const file = tempFile();
    const dest = pino.destination({ dest: file, sync: false });
    await once(dest, 'ready');
    const auditor = new Auditor({ transports: [pinoSink(dest)] });
    assert.equal(await auditor.event('key.rotated', { operator: 'ops' }), true);
    const text = readFileSync(file, 'utf8');
    const record = JSON.parse(text) as Record<string, unknown>;
    assert.equal(text, JSON.stringify(record, Object.keys(record).sort()) + '\n', 'one canonical line, keys sorted');
    assert.equal(record.event, 'key.rotated');
    assert.deepEqual(Object.keys(auditor.stats().sinks), ['pino:destination']);
    await auditor.close();
    assert.equal((dest as unknown as { destroyed: boolean }).destroyed, false, 'lent: not ended');
  });
});

describe("Fastify's own logger as the audit sink", () => {
  it('request records go to app.log beside the request logs', async () => {
    const file = tempFile();
    const app = Fastify({ logger: { level: 'info', stream: pino.destination({ dest: file, sync: true }) } });
    await app.register(audit, { transports: [pinoSink(app.log)] });
    app.post('/orders/:id', async (req, reply) => {
      req.audit.target({ type: 'order', id: (req.params as { id: string }).id });
      return reply.code(201).send({ ok: true });
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/orders/9`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"x"}' });
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    await app.close();
    const audited = lines(file).filter((l) => l.audit !== undefined);
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.msg, 'request POST /orders/:id 201 success', JSON.stringify(audited[0]));
    assert.deepEqual((audited[0]!.audit as { target: unknown }).target, { id: '9', type: 'order' });
    assert.ok(lines(file).some((l) => l.msg === 'incoming request'), "Fastify's request logs are in the same file");
  });
});

describe('the built package', () => {
  it('loads with import and with require', async () => {
    const { spawnSync } = await import('node:child_process');
    const cwd = new URL('..', import.meta.url);
    for (const args of [
      ['--input-type=module', '-e', "const m = await import('@auditkit/pino'); console.log(typeof m.pinoSink, typeof m.PinoTransport)"],
      ['-e', "const m = require('@auditkit/pino'); console.log(typeof m.pinoSink, typeof m.PinoTransport)"],
    ]) {
      const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'function function');
      assert.equal(r.stderr, '');
    }
  });
});
