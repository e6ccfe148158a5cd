import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditConfigError, AuditFileTransport, createAuditor, type AuditOptions } from '../src/index.js';

/** What each sink gets is decided at construction: a mistake in a sink's select or fields throws there, naming it. */

const dir = mkdtempSync(join(tmpdir(), 'auditkit-sink-options-'));
const transport = (): AuditFileTransport => new AuditFileTransport({ path: join(dir, 'audit.log') });

function rejects(sink: Record<string, unknown>, option: string, problem: RegExp, fix: RegExp): void {
  assert.throws(
    () => createAuditor({ sinks: [{ transport: transport(), ...sink }] } as AuditOptions),
    (err: unknown) => {
      assert.ok(err instanceof AuditConfigError, `expected AuditConfigError, got ${String(err)}`);
      assert.equal(err.option, option);
      assert.match(err.message, problem);
      assert.match(err.message.split(' Fix: ')[1] ?? '', fix);
      return true;
    },
  );
}

describe('sinks[i].select', () => {
  it('names the criterion and its fix', () => {
    rejects({ select: { result: 'failed' } }, 'sinks[0].select.result', /"failed", which is not a result/, /'success', 'failure' or 'attempt'/);
    rejects({ select: { results: 'failure' } }, 'sinks[0].select.results', /not an auditkit option/, /did you mean sinks\[0\].select.result\?/);
    rejects({ select: {} }, 'sinks[0].select', /selects nothing/, /remove select/);
    rejects({ select: { operation: [] } }, 'sinks[0].select.operation', /non-empty array/, /\["a", "b"\]/);
    rejects({ select: { operation: ['admin/**'] } }, 'sinks[0].select.operation[0]', /must start with "\/"/, /"\/admin\/\*\*"/);
    rejects({ select: { from: [''] } }, 'sinks[0].select.from[0]', /non-empty string/, /use a string/);
    rejects({ select: 'failure' }, 'sinks[0].select', /must be an object/, /result: 'failure'/);
  });

  it('tells a severity from a level of detail', () => {
    rejects({ select: { level: 'error' } }, 'sinks[0].select.level', /"error", which is not a level of detail/, /not the record's severity; for failures use result: 'failure'/);
    rejects({ select: { level: ['metadata', 'full'] } }, 'sinks[0].select.level', /"full"/, /'metadata', 'request', 'request-response'/);
  });

  it('accepts a single value or a list for each criterion', async () => {
    const auditor = createAuditor({
      sinks: [{ transport: transport(), select: { result: 'failure', from: ['rest_api', 'dashboard'], event: 'user.*', operation: '/admin/**' } }],
    });
    await auditor.close();
  });
});
