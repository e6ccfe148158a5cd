import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Auditor, AuditFileTransport, type AuditFault } from '@auditkit/core';
import { readLines, readRecords, schemaErrors, tempDir } from '../src/records.js';

/** auditor.record(): an event with no HTTP request, through the same redaction and sinks. */

describe('application events (auditor.record)', () => {
  it('writes one redacted record, in canonical form, that the schema accepts', async () => {
    const file = join(tempDir(), 'audit.log');
    const auditor = new Auditor({ file, node: 'node-a' });
    const ok = await auditor.record({
      event: 'audit.log.view',
      source: 'alice',
      from: 'rest_api',
      sourceIp: '10.1.2.3',
      requestId: 'req-1',
      target: { type: 'audit_log' },
      meta: { filters: { source: 'bob' }, password: 'hunter2', count: 3 },
    });
    await auditor.close();
    assert.equal(ok, true);
    const [line] = readLines(file);
    const record = JSON.parse(line!) as Record<string, unknown>;
    assert.equal(schemaErrors(record), undefined);
    assert.deepEqual(Object.keys(record), [...Object.keys(record)].sort(), 'keys in canonical order');
    const { id, time, ts, ...rest } = record;
    assert.match(id as string, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.equal(typeof time, 'number');
    assert.equal(typeof ts, 'string');
    assert.deepEqual(rest, {
      duration_ms: null,
      error_code: null,
      event: 'audit.log.view',
      from: 'rest_api',
      level: 'info',
      meta: { count: 3, filters: { source: 'bob' }, password: '******' },
      node: 'node-a',
      operation_id: 'audit.log.view',
      operation_result: 'success',
      operation_type: 'audit',
      request_id: 'req-1',
      source: 'alice',
      source_ip: '10.1.2.3',
      source_verified: true,
      target: { type: 'audit_log' },
      truncated: false,
    });
  });

  it('defaults: from app, no operator, no address, an unusable request id dropped, failure at warn', async () => {
    const file = join(tempDir(), 'audit.log');
    const auditor = new Auditor({ file });
    await auditor.record({ event: 'job.failed', result: 'failure', requestId: 'has spaces\n' });
    await auditor.close();
    const [record] = readRecords(file) as unknown as Array<Record<string, unknown>>;
    assert.equal(schemaErrors(record), undefined);
    assert.deepEqual(
      [record!.from, record!.source, record!.source_verified, record!.source_ip, record!.request_id, record!.level, record!.operation_result, record!.target, record!.meta],
      ['app', null, false, null, null, 'warn', 'failure', null, {}],
    );
  });

  it('a malformed event is a fault, never a throw, and nothing is written', async () => {
    const file = join(tempDir(), 'audit.log');
    const auditor = new Auditor({ file });
    const faults: AuditFault[] = [];
    auditor.on('fault', (f: AuditFault) => faults.push(f));
    assert.equal(await auditor.record({ event: 'has spaces' }), true);
    assert.equal(await auditor.record({ event: 'ok', meta: [1, 2] as never }), true);
    assert.equal(await auditor.record(null as never), true);
    await auditor.close();
    assert.deepEqual(readLines(file), []);
    assert.deepEqual(
      faults.map((f) => f.code),
      ['AUDITKIT_HOOK_FAILED', 'AUDITKIT_HOOK_FAILED', 'AUDITKIT_HOOK_FAILED'],
    );
    assert.match(faults[0]!.message, /auditor\.record\(\) expects event/);
  });
});
