import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditConfigError, AuditFileTransport, createAuditor, type AuditOptions } from '../src/index.js';
import { insertMembers } from '../src/delivery/sink-fields.js';
import { RECORD_FIELD_NAMES } from '../src/model/record.js';

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
    rejects({ select: { operation: ['admin/**'] } }, 'sinks[0].select.operation[0]', /a route without its leading "\/"/, /"\/admin\/\*\*"/);
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

describe('sinks[i].fields', () => {
  it('refuses names a record uses, bad names and values that are not static scalars', () => {
    rejects({ fields: { node: 'eu-1' } }, 'sinks[0].fields.node', /would overwrite the record's own "node" field/, /"node_label"/);
    rejects({ fields: { hash: 'x' } }, 'sinks[0].fields.hash', /would overwrite/, /rename it/);
    rejects({ fields: { audit_level: 'x' } }, 'sinks[0].fields.audit_level', /would overwrite/, /rename it/);
    rejects({ fields: { 'cluster-id': 'x' } }, 'sinks[0].fields.cluster-id', /not a field name/, /"cluster_id"/);
    rejects({ fields: { env: { name: 'prod' } } }, 'sinks[0].fields.env', /a string .* a finite number or a boolean, got an object/, /static value/);
    rejects({ fields: { env: Number.NaN } }, 'sinks[0].fields.env', /finite number/, /static value/);
    rejects({ fields: {} }, 'sinks[0].fields', /is empty/, /leave fields out/);
    rejects({ fields: ['prod'] }, 'sinks[0].fields', /must be an object/, /environment: 'prod'/);
  });

  it('the reserved names cover every top-level field of the record schema', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/audit-record.schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, unknown>;
      $defs: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
    };
    const names = new Set(Object.keys(schema.properties));
    for (const [name, def] of Object.entries(schema.$defs)) if (name.endsWith('Record')) for (const n of Object.keys(def.properties ?? {})) names.add(n);
    for (const n of names) assert.ok(RECORD_FIELD_NAMES.has(n), `${n} is reserved`);
  });
});

describe('insertMembers keeps a line canonical', () => {
  const cases: Array<[string, Array<[string, string]>, string]> = [
    ['{"a":1,"c":{"b":"}","z":[1,{"y":2}]},"e":"x\\"y"}', [['b', '"B"'], ['d', '4'], ['f', 'true']], '{"a":1,"b":"B","c":{"b":"}","z":[1,{"y":2}]},"d":4,"e":"x\\"y","f":true}'],
    ['{"m":1}', [['a', '0']], '{"a":0,"m":1}'],
    ['{"m":1}', [['z', '0']], '{"m":1,"z":0}'],
    ['{}', [['a', '0'], ['b', '1']], '{"a":0,"b":1}'],
    ['{"A":1,"a":2}', [['B', '3'], ['_x', '4']], '{"A":1,"B":3,"_x":4,"a":2}'],
    // Backslashes and escaped quotes inside values do not end a string early.
    [JSON.stringify({ a: '\\', c: '"},"z":', e: ['\\"'] }), [['b', '2'], ['d', '3']], JSON.stringify({ a: '\\', b: 2, c: '"},"z":', d: 3, e: ['\\"'] })],
  ];
  for (const [line, members, expected] of cases) {
    it(`${line} + ${members.map(([n]) => n).join(',')}`, () => assert.equal(insertMembers(line, members), expected));
  }
});

describe('levels of detail in the options', () => {
  const file = join(dir, 'levels.log');
  const reject = (options: Record<string, unknown>, option: string, problem: RegExp, fix: RegExp): void =>
    assert.throws(
      () => createAuditor({ file, ...options } as AuditOptions),
      (err: unknown) => {
        assert.ok(err instanceof AuditConfigError, String(err));
        assert.equal(err.option, option);
        assert.match(err.message, problem);
        assert.match(err.message.split(' Fix: ')[1] ?? '', fix);
        return true;
      },
    );

  it('names a bad level, a contradiction and a level that could never apply', () => {
    reject({ level: 'full' }, 'level', /must be a level of detail, got "full"/, /'metadata', 'request', 'request-response'/);
    reject({ level: 'none' }, 'level', /got "none"/, /would record nothing/);
    reject({ routes: [{ route: '/a', level: 'Metadata' }] }, 'routes[0].level', /got "Metadata"/, /'none', 'metadata'/);
    reject({ routes: [{ route: '/a', audit: true, level: 'none' }] }, 'routes[0]', /both audit: true and level: 'none'/, /keep one/);
    reject({ routes: [{ route: '/reports/:id', methods: ['GET'], level: 'request-response' }] }, 'routes[0]', /sets level 'request-response' for GET, which is not audited by default/, /add audit: true/);
    reject({ routes: [{ route: '/a' }] }, 'routes[0]', /neither audit, operationType nor level/, /level: 'metadata'/);
  });

  it('accepts a level on a rule alone, and a default', async () => {
    const auditor = createAuditor({ file, level: 'metadata', routes: [{ route: '/a/**', level: 'request-response' }, { route: '/b', level: 'none' }] });
    assert.equal(auditor.options.policy.decide('POST', '/a/x', undefined).level, 'request-response');
    assert.equal(auditor.options.policy.decide('POST', '/b', undefined).audit, false);
    assert.equal(auditor.options.policy.decide('POST', '/c', undefined).level, 'metadata');
    await auditor.close();
  });
});

describe('the configuration summary', () => {
  it("audit.start names each sink's selection and its field names, never the field values", async () => {
    const summary = createAuditor({
      lifecycle: true,
      sinks: [{ transport: new AuditFileTransport({ path: join(dir, 'lifecycle2.log') }), select: { operation: ['/admin/**', 'audit.*'] }, fields: { environment: 'prod', api_secret: 's3cr3t-value' } }],
    });
    await summary.close();
    const written = readFileSync(join(dir, 'lifecycle2.log'), 'utf8');
    assert.ok(!written.includes('s3cr3t-value'), 'a field value is neither in the summary nor, unredacted, in any record');
    const first = JSON.parse(written.split('\n')[0]!) as { event: string; lifecycle: { config: { sinks: Array<Record<string, unknown>> } } };
    assert.equal(first.event, 'audit.start');
    assert.deepEqual(first.lifecycle.config.sinks[0]!.select, { operation: ['/admin/**', 'audit.*'] });
    assert.deepEqual(first.lifecycle.config.sinks[0]!.fields, ['api_secret', 'environment']);
  });
});
