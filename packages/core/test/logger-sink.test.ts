import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import winston from 'winston';
import { AuditConfigError, Auditor, type AuditOptions } from '../src/index.js';
import type { AuditFault } from '../src/shared/errors.js';

// A Winston logger passed as `logger` (issue 11, items 2 and 4): one that would drop audit records is
// refused as `transports` are, a change of its level later counts records as failed rather than
// written, and auditkit never ends a logger it was lent.

function tempFile(name = 'app.log'): string {
  return join(mkdtempSync(join(tmpdir(), 'auditkit-logger-')), name);
}

function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function refusal(options: AuditOptions): AuditConfigError {
  try {
    new Auditor(options).close();
  } catch (err) {
    assert.ok(err instanceof AuditConfigError, String(err));
    return err;
  }
  assert.fail('the options were accepted');
}

/** Ends a logger as its owner does, and waits until its file transports have flushed. */
async function endLogger(logger: winston.Logger): Promise<void> {
  const transports = [...logger.transports];
  const done = Promise.all(transports.map((t) => once(t, 'finish')));
  logger.end();
  await done;
}

describe('logger: a Winston logger that would drop records is refused', () => {
  it('a logger created at level warn', () => {
    const logger = winston.createLogger({ level: 'warn', transports: [new winston.transports.File({ filename: tempFile() })] });
    const err = refusal({ logger });
    assert.equal(err.option, 'logger');
    assert.match(err.message, /^\[auditkit\] options\.logger: has level "warn", which would silently drop every audit record at level info\. Fix: /);
    assert.match(err.message, /Fix: create the logger \(and at least one of its transports\) at level "info" or lower/);
  });

  it('a logger created at level error', () => {
    const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console()] });
    assert.match(refusal({ logger }).message, /options\.logger: has level "error"/);
  });

  it('a syslog-levelled logger at "warning"', () => {
    const logger = winston.createLogger({ levels: winston.config.syslog.levels, level: 'warning', transports: [new winston.transports.Console()] });
    assert.match(refusal({ logger }).message, /options\.logger: has level "warning", which would silently drop every audit record at level info\./);
  });

  it('a logger whose only transport filters info', () => {
    const logger = winston.createLogger({ transports: [new winston.transports.File({ filename: tempFile(), level: 'error' })] });
    assert.match(
      refusal({ logger }).message,
      /options\.logger: has no transport that takes level info \(transports\[0\] \(file\) has level "error"\), so every audit record would be dropped\./,
    );
  });

  it('a logger whose transports all filter info, one by a level name its levels do not have', () => {
    const logger = winston.createLogger({
      transports: [new winston.transports.Console({ level: 'warn' }), new winston.transports.File({ filename: tempFile(), level: 'warning' })],
    });
    const message = refusal({ logger }).message;
    assert.match(message, /transports\[0\] \(console\) has level "warn"; transports\[1\] \(file\) has level "warning", which is not one of its level names \(error, warn, info, http, verbose, debug, silly\)/);
  });

  it('a logger with no transports, and a silent logger', () => {
    assert.match(refusal({ logger: winston.createLogger({}) }).message, /options\.logger: has no transports, so every audit record would be dropped\./);
    const silent = winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
    assert.match(refusal({ logger: silent }).message, /options\.logger: is silent, which would silently drop/);
  });

  it('accepts a logger where one transport takes info and another filters it (routing on purpose)', async () => {
    const all = tempFile('all.log');
    const errors = tempFile('errors.log');
    const logger = winston.createLogger({
      format: winston.format.json(),
      transports: [new winston.transports.File({ filename: errors, level: 'error' }), new winston.transports.File({ filename: all })],
    });
    const auditor = new Auditor({ logger });
    assert.equal(await auditor.event('report.exported'), true);
    await auditor.close();
    await endLogger(logger);
    assert.deepEqual(lines(all).map((l) => [l.event, l.level]), [['report.exported', 'info']]);
    assert.equal(readFileSync(errors, 'utf8'), '');
  });
});

describe('transports: a level name Winston does not know is refused', () => {
  it('the syslog name "warning" on a transport (auditkit writes with npm levels)', () => {
    const err = refusal({ transports: [new winston.transports.File({ filename: tempFile(), level: 'warning' })] });
    assert.equal(err.option, 'transports[0]');
    assert.match(err.message, /^\[auditkit\] options\.transports\[0\]: has level "warning", which is not one of its level names \(error, warn, info, http, verbose, debug, silly\), which would silently drop audit records at level info\. Fix: remove the level or set it to "info"/);
  });

  it('a silent transport', () => {
    assert.match(refusal({ transports: [new winston.transports.Console({ silent: true })] }).message, /options\.transports\[0\]: is silent, which would silently drop/);
  });

  it('sinks[].transport gets the same check', () => {
    const err = refusal({ sinks: [{ transport: new winston.transports.File({ filename: tempFile(), level: 'notice' }), mode: 'async' }] });
    assert.equal(err.option, 'sinks[0].transport');
  });
});

describe('logger: its level lowered after construction', () => {
  it('counts the records as not written and reports a fault, instead of saying they were written', async () => {
    const file = tempFile();
    const logger = winston.createLogger({ transports: [new winston.transports.File({ filename: file })] });
    const auditor = new Auditor({ logger, queue: { retryMs: 5, retryMaxMs: 20 } });
    const faults: AuditFault[] = [];
    auditor.on('fault', (f: AuditFault) => faults.push(f));
    assert.equal(await auditor.event('before.change'), true);
    logger.level = 'error';
    const delivered = auditor.event('after.change');
    while (faults.length === 0) await new Promise((r) => setImmediate(r));
    const sink = auditor.stats().sinks.logger!;
    assert.equal(sink.written, 1, 'only the record written before the change');
    assert.equal(sink.healthy, false);
    assert.match(faults[0]!.message, /the logger no longer lets level info through \(level "error", 1 transports\)/);
    assert.equal(await delivered, false, 'the event was not written');
    // Raised again, the record still queued goes through.
    logger.level = 'info';
    await auditor.close();
    assert.equal(auditor.stats().sinks.logger!.written, 2);
    await endLogger(logger);
    assert.deepEqual(lines(file).map((l) => l.event), ['before.change', 'after.change']);
  });
});

describe('logger: lent, never ended by auditkit', () => {
  it('the application logs with it after auditor.close(), and its file has both', async () => {
    const file = tempFile();
    const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.File({ filename: file })] });
    const errors: Error[] = [];
    logger.on('error', (err: Error) => errors.push(err));
    const auditor = new Auditor({ logger });
    await auditor.event('user.deleted', { target: { type: 'user', id: '42' } });
    await auditor.close();
    assert.equal(logger.writable, true, 'the logger is still open');
    logger.info('shutting down', { component: 'app' });
    await endLogger(logger);
    assert.deepEqual(errors, [], 'no "write after end"');
    assert.deepEqual(lines(file).map((l) => l.event ?? l.message), ['user.deleted', 'shutting down']);
  });
});
