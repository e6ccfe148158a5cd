import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import winston from 'winston';
import { Auditor } from '../src/index.js';

// What Winston prints of a record, and what the sinks are called (issue 11, item 13).

function captured(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => (text += c));
  return { stream, text: () => text };
}

describe('records through Winston formats', () => {
  it('format.simple() on a logger prints a message, not "undefined"', async () => {
    const out = captured();
    const logger = winston.createLogger({ format: winston.format.simple(), transports: [new winston.transports.Stream({ stream: out.stream })] });
    const auditor = new Auditor({ logger });
    await auditor.event('user.role_changed', { target: { type: 'user', id: '42' } });
    await auditor.close();
    logger.end();
    assert.match(out.text(), /^info: user\.role_changed success \{/);
    assert.doesNotMatch(out.text(), /undefined/);
  });

  it('a transport with format.simple() gets the message too; one without a format writes the canonical line', async () => {
    const simple = captured();
    const plain = captured();
    const auditor = new Auditor({
      transports: [
        new winston.transports.Stream({ stream: simple.stream, format: winston.format.simple() }),
        new winston.transports.Stream({ stream: plain.stream }),
      ],
    });
    await auditor.event('report.exported', { operator: 'alice' });
    await auditor.close();
    assert.match(simple.text(), /^info: report\.exported success \{/);
    const line = JSON.parse(plain.text().trim()) as Record<string, unknown>;
    assert.equal(line.event, 'report.exported');
    assert.equal('message' in line, false, 'the canonical record has no message');
    assert.equal(plain.text().trim(), JSON.stringify(line, Object.keys(line).sort()), 'keys sorted, as written');
  });
});

describe('sink names in stats()', () => {
  it('file:<path>, logger, a transport by its name, duplicates numbered by place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-names-'));
    const files = new Auditor({ file: join(dir, 'audit.log') });
    assert.deepEqual(Object.keys(files.stats().sinks), [`file:${join(dir, 'audit.log')}`]);
    await files.close();
    const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream: captured().stream })] });
    const mixed = new Auditor({
      transports: [new winston.transports.Console({ silent: false }), new winston.transports.Console(), new winston.transports.Stream({ stream: captured().stream })],
      logger,
    });
    assert.deepEqual(Object.keys(mixed.stats().sinks), ['console', 'console#1', 'transport#2', 'logger']);
    assert.deepEqual(mixed.sinkNames, ['console', 'console#1', 'transport#2', 'logger']);
    await mixed.close();
  });
});
