import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import repl from 'node:repl';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Auditor, auditRepl } from '../src/index.js';
import { maskStatement } from '../src/redact/statement-mask.js';
import * as ajv2020 from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type AjvClass = typeof ajv2020.Ajv2020;
const Ajv = ((ajv2020 as unknown as { default: AjvClass }).default ?? ajv2020.Ajv2020) as AjvClass;
const validate = new Ajv({ allErrors: true, strict: false }).compile(require('../schema/audit-record.schema.json') as object);

/** Console sessions through a real node:repl server: statements recorded in order, before and after. */

const CONSOLE = fileURLToPath(new URL('./fixtures/console.mjs', import.meta.url));

function read(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'auditkit-console-')), 'audit.log');
}

/** Types `lines` into a REPL one after another, each once the previous one has been answered. */
async function session(file: string, lines: string[]): Promise<{ context: Record<string, unknown>; output: string }> {
  const auditor = new Auditor({ file, node: 'prod-1', timeOffset: 'utc' });
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  const server = repl.start({ prompt: 'prod> ', input, output, terminal: false, useColors: false });
  server.context.readFileSync = readFileSync;
  server.context.AUDIT_FILE = file;
  server.context.cardNumber = '4111111111111111';
  const replSession = auditRepl(server, { auditor, reason: 'INC-2041: refund stuck in pending', assertedOperator: 'carol' });
  for (const line of lines) {
    const prompts = text.split('prod> ').length;
    input.write(line + '\n');
    if (line === '.exit') break;
    // The REPL prints a prompt (or "... " for more input) once it has dealt with the line.
    const start = Date.now();
    while (text.split('prod> ').length === prompts && !text.endsWith('... ') && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 5));
    if (text.endsWith('... ')) text += '\n';
  }
  input.end();
  await replSession.ended;
  await auditor.close();
  return { context: server.context as Record<string, unknown>, output: text };
}

describe('auditRepl over a real node:repl server', () => {
  it('records the session, every statement before it runs and after, in order, masked and marked sensitive', async () => {
    const file = tempFile();
    const { context } = await session(file, [
      'const a = 20 + 1',
      'function twice(x) {',
      '  return a * x }',
      'twice(2)',
      'seen = readFileSync(AUDIT_FILE, "utf8").trim().split("\\n").length',
      'login({ user: "ops", password: "hunter2" })',
      'throw Object.assign(new Error("declined: " + cardNumber), { code: "ECARD" })',
      'await Promise.resolve(7)',
      '.exit',
    ]);
    const records = read(file);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('hunter2') && !text.includes('4111111111111111'), 'no secret typed or thrown reaches the trail');
    const shape = records.map((r) => {
      const c = r.console as Record<string, unknown>;
      return [r.event, r.operation_result, c.index ?? null, c.statement ?? null, r.error_code, r.sensitive ?? false];
    });
    const sql = 'seen = readFileSync(AUDIT_FILE, "utf8").trim().split("\\n").length';
    const thrown = 'throw Object.assign(new Error("declined: " + cardNumber), { code: "ECARD" })';
    const fn = 'function twice(x) {\n  return a * x }';
    const login = 'login({ user: "ops", password: "******" })';
    assert.deepEqual(shape, [
      ['console.session_start', 'success', null, null, null, false],
      ['console.statement', 'attempt', 1, 'const a = 20 + 1', null, true],
      ['console.statement', 'success', 1, 'const a = 20 + 1', null, true],
      ['console.statement', 'attempt', 2, fn, null, true],
      ['console.statement', 'success', 2, fn, null, true],
      ['console.statement', 'attempt', 3, 'twice(2)', null, true],
      ['console.statement', 'success', 3, 'twice(2)', null, true],
      ['console.statement', 'attempt', 4, sql, null, true],
      ['console.statement', 'success', 4, sql, null, true],
      ['console.statement', 'attempt', 5, login, null, true],
      ['console.statement', 'failure', 5, login, 'ReferenceError', true],
      ['console.statement', 'attempt', 6, thrown, null, true],
      ['console.statement', 'failure', 6, thrown, 'ECARD', true],
      ['console.statement', 'attempt', 7, 'await Promise.resolve(7)', null, true],
      ['console.statement', 'success', 7, 'await Promise.resolve(7)', null, true],
      ['console.session_end', 'success', null, null, null, false],
    ]);
    // Statement 4 read the trail while it ran: its own attempt record was already there, the eighth line.
    assert.equal(context.seen, 8);
    const start = records[0]!;
    assert.deepEqual([start.from, start.source, start.source_verified, start.operator], ['console', 'root', true, { asserted: 'carol', login_uid: null, uid: 0, via: 'effective_user' }]);
    assert.deepEqual(records.at(-1)!.console, { reason: 'INC-2041: refund stuck in pending', session: start.request_id, statements: 7 });
    assert.ok(records.every((r) => r.request_id === start.request_id && (r.console as { session: string }).session === start.request_id));
    assert.equal(typeof records.at(-1)!.duration_ms, 'number');
    for (const r of records) assert.equal(validate(r), true, JSON.stringify(validate.errors));
  });

  it('process.exit() typed at the prompt: its outcome and the session end are on disk before the process ends', () => {
    const file = tempFile();
    const r = spawnSync(process.execPath, [CONSOLE], {
      input: 'const x = 1\nprocess.exit(5)\n',
      env: { PATH: process.env.PATH ?? '', AUDIT_FILE: file, CONSOLE_REASON: 'check a job', CONSOLE_USER: 'dave' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 5, r.stderr);
    const records = read(file);
    assert.deepEqual(
      records.map((x) => [x.event, x.operation_result, (x.console as { index?: number }).index ?? null, x.error_code]),
      [
        ['console.session_start', 'success', null, null],
        ['console.statement', 'attempt', 1, null],
        ['console.statement', 'success', 1, null],
        ['console.statement', 'attempt', 2, null],
        ['console.statement', 'failure', 2, 'exit:5'],
        ['console.session_end', 'failure', null, 'exit:5'],
      ],
    );
  });

  it('a session without a reason is refused when a reason is required; bad options throw', () => {
    const auditor = new Auditor({ file: tempFile() });
    const server = repl.start({ input: new PassThrough(), output: new PassThrough(), terminal: false });
    assert.throws(() => auditRepl(server, { auditor, requireReason: true }), /options\.reason: is required/);
    assert.throws(() => auditRepl(server, { auditor: {} as never }), /options\.auditor: must be an Auditor/);
    assert.throws(() => auditRepl(server, { auditor, reasn: 'x' } as never), /did you mean reason/);
    server.close();
    void auditor.close();
  });
});

describe('statement masking', () => {
  it('masks a literal given to a secret-looking name, and nothing else', () => {
    const auditor = new Auditor({ file: tempFile() });
    const rules = auditor.options.redaction;
    const cases: Array<[string, string]> = [
      ['user.update({ password: "hunter2", name: "bob" })', 'user.update({ password: "******", name: "bob" })'],
      ["const apiKey = 'sk_live_1'", 'const apiKey = "******"'],
      ["setToken('abc')", 'setToken("******")'],
      ["login('bob', 'pw1')", "login('bob', 'pw1')"],
      ["vault.write('secret/db', { password: 'pw2' })", 'vault.write(\'secret/db\', { password: "******" })'],
      ["config['client_secret'] = `s3`", 'config[\'client_secret\'] = "******"'],
      ['if (password == "x") 1', 'if (password == "x") 1'],
      ['greet("world") // password: "not code"', 'greet("world") // password: "not code"'],
    ];
    for (const [code, expected] of cases) assert.equal(maskStatement(rules, code).text, expected, code);
    void auditor.close();
  });
});
