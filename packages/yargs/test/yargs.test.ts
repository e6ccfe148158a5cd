import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createAuditor } from '@auditkit/core';
import yargs from 'yargs';
import { auditYargs, missingDeclarations } from '../src/index.js';

/**
 * A real yargs CLI (test/fixtures/acme-admin.mjs) run as a child process: every ending of a command
 * leaves exactly the record described, with its secrets masked.
 */

const CLI = fileURLToPath(new URL('./fixtures/acme-admin.mjs', import.meta.url));

interface Ran {
  status: number | null;
  stderr: string;
  text: string;
  records: Array<Record<string, unknown>>;
}

function cli(args: string[], env: Record<string, string> = {}): Ran {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-yargs-')), 'audit.log');
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', AUDIT_FILE: file, ...env }, encoding: 'utf8', timeout: 30_000 });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const records = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, stderr: r.stderr, text, records };
}

function commandRecord(ran: Ran): Record<string, unknown> & { cli: Record<string, unknown> } {
  const cmds = ran.records.filter((r) => r.event === 'cli.command');
  assert.equal(cmds.length, 1, `exactly one command record:\n${ran.text}\n${ran.stderr}`);
  return cmds[0] as Record<string, unknown> & { cli: Record<string, unknown> };
}

describe('@auditkit/yargs: a real CLI in a child process', () => {
  it('success: one record with the command path, the values it may show, the outcome and the operator', () => {
    const ran = cli(['users', 'delete', '42', '--force', '--reason', 'left the company']);
    assert.equal(ran.status, 0, ran.stderr);
    const r = commandRecord(ran);
    assert.deepEqual(
      [r.event, r.from, r.operation_id, r.operation_type, r.operation_result, r.source, r.source_verified, r.error_code, r.target],
      ['cli.command', 'cli', 'users delete', 'users', 'success', 'root', true, null, { id: '42', type: 'user' }],
    );
    const { pid, ...c } = r.cli;
    assert.equal(typeof pid, 'number');
    assert.deepEqual(c, {
      args: { id: 42 },
      ended: 'returned',
      exit_code: 0,
      extra: [],
      options: { force: true, reason: 'left the company' },
      program: 'acme-admin',
    });
    assert.deepEqual(r.operator, { asserted: null, login_uid: null, uid: 0, via: 'effective_user' });
    const event = ran.records.find((x) => x.event === 'user.deleted')!;
    assert.equal(event.request_id, r.request_id);
  });

  it('a non-zero exit code, an async throw, a sync throw: failures with the code, never the message', () => {
    const code2 = cli(['users', 'delete', 'code2']);
    assert.equal(code2.status, 2);
    assert.deepEqual([commandRecord(code2).operation_result, commandRecord(code2).cli.exit_code], ['failure', 2]);

    const boom = cli(['users', 'delete', 'boom']);
    assert.equal(boom.status, 1);
    assert.match(boom.stderr, /db says: password=hunter2/, 'yargs still reports the error');
    assert.ok(!boom.text.includes('hunter2'));
    assert.deepEqual([commandRecord(boom).error_code, commandRecord(boom).cli.ended], ['EDBFAIL', 'threw']);

    const sync = cli(['users', 'create', 'sync@boom']);
    assert.equal(sync.status, 1);
    assert.match(sync.stderr, /sync failure token=abc/);
    assert.ok(!sync.text.includes('token=abc'));
    assert.deepEqual([commandRecord(sync).error_code, commandRecord(sync).cli.ended, commandRecord(sync).operation_result], ['ESYNC', 'threw', 'failure']);
  });

  it('process.exit(3) inside the handler: the record and the queued event are on disk before the process ends', () => {
    const ran = cli(['users', 'delete', 'exit3']);
    assert.equal(ran.status, 3);
    assert.deepEqual(ran.records.map((r) => r.event), ['user.delete_aborted', 'cli.command']);
    assert.deepEqual([commandRecord(ran).cli.exit_code, commandRecord(ran).cli.ended], [3, 'exited']);
  });

  it('validation failures are failures; help and version are not recorded', () => {
    const missing = cli(['users', 'delete']);
    assert.equal(missing.status, 1);
    assert.deepEqual([commandRecord(missing).operation_id, commandRecord(missing).error_code, commandRecord(missing).cli.ended], ['users delete', 'yargs.validation', 'parse_error']);

    const unknown = cli(['users', 'delete', '7', '--bogus=hunter2']);
    assert.equal(unknown.status, 1);
    assert.ok(!unknown.text.includes('hunter2'));
    assert.equal(commandRecord(unknown).operation_result, 'failure');

    const unknownCommand = cli(['users', 'frobnicate', 'hunter2']);
    assert.equal(unknownCommand.status, 1);
    assert.ok(!unknownCommand.text.includes('hunter2') && !unknownCommand.text.includes('frobnicate'));
    assert.deepEqual([commandRecord(unknownCommand).operation_id, commandRecord(unknownCommand).cli.extra], ['users', ['******', '******']]);

    for (const args of [['--help'], ['users', 'delete', '--help'], ['--version']]) {
      const ran = cli(args);
      assert.equal(ran.status, 0, args.join(' '));
      assert.deepEqual(ran.records, [], args.join(' '));
    }
  });

  it('secrets are masked however they are passed: --password=, -p <value>, a positional, the environment', () => {
    for (const args of [
      ['users', 'delete', '5', '--password=hunter2'],
      ['users', 'delete', '5', '-p', 'hunter2'],
    ]) {
      const ran = cli(args);
      assert.equal(ran.status, 0, ran.stderr);
      assert.ok(!ran.text.includes('hunter2'), args.join(' '));
      assert.equal((commandRecord(ran).cli.options as Record<string, unknown>).password, '******', args.join(' '));
    }
    // yargs reads -phunter2 as the flags -p -h -u -n ... (strict mode refuses them): a failure, and still no secret.
    const grouped = cli(['users', 'delete', '5', '-phunter2']);
    assert.equal(grouped.status, 1);
    assert.ok(!grouped.text.includes('hunter2'));
    assert.deepEqual([commandRecord(grouped).operation_result, commandRecord(grouped).error_code], ['failure', 'yargs.validation']);
    const created = cli(['users', 'create', 'a@x.io', 'positional-secret', '--note', 'my pin is pin-7Qx4z', '--role', 'admin'], { ACME_API_TOKEN: 'tok_live_abc' });
    assert.equal(created.status, 0, created.stderr);
    // A distinctive secret: a short one such as '1234' also occurs by chance in an id or a timestamp of the record.
    for (const secret of ['positional-secret', 'tok_live_abc', 'pin-7Qx4z']) assert.ok(!created.text.includes(secret), secret);
    const c = commandRecord(created).cli;
    assert.deepEqual(c.args, { email: 'a@x.io', password: '******' });
    assert.deepEqual(c.options, { apiToken: '******', note: '******', role: 'admin' });
  });

  it('after `--` every positional stays masked; an asserted name is kept apart from the host’s', () => {
    const ran = cli(['exec', '--', 'deploy', '--token=abc123']);
    assert.equal(ran.status, 0, ran.stderr);
    assert.ok(!ran.text.includes('abc123'));
    assert.ok(!JSON.stringify(commandRecord(ran).cli).includes('deploy'));

    const asserted = commandRecord(cli(['--as', 'carol', 'users', 'delete', '1'], { SUDO_USER: 'alice' }));
    assert.deepEqual([asserted.source, asserted.operator], ['alice', { asserted: 'carol', login_uid: null, uid: 0, via: 'sudo_user' }]);

    const token = commandRecord(cli(['login', '--token', 'secret-token']));
    assert.deepEqual([token.source, (token.operator as Record<string, unknown>).via, token.cli.options], ['svc-deploy', 'application', { token: '******' }]);
  });

  it('bad options throw at once, naming the option', () => {
    const auditor = createAuditor({ file: join(mkdtempSync(join(tmpdir(), 'auditkit-yargs-')), 'a.log') });
    assert.throws(() => auditYargs({}, { auditor, commands: {} }), /options\.\(instance\): is not a yargs instance/);
    assert.throws(() => auditYargs({}, { auditor, commands: { x: { safe: [1] as never } } }), /options\.commands\.x\.safe/);
    void auditor.close();
  });

  it('missingDeclarations names every command that can run without a declaration, nested ones included', () => {
    const auditor = createAuditor({ file: join(mkdtempSync(join(tmpdir(), 'auditkit-yargs-')), 'a.log') });
    const cli = auditYargs(yargs([]), { auditor, commands: {} });
    cli
      .command('sync <what>', 'sync', () => {}, () => {})
      .command('db', 'database', (y) => y.command('migrate', 'migrate', {}, () => {}).command('drop', 'drop', (d) => d.option('yes', { type: 'boolean' }), () => {}))
      .command({ command: 'report [id]', describe: 'report', handler: () => {} });
    assert.deepEqual(missingDeclarations(cli, { sync: { safe: ['what'] } }), ['db migrate', 'db drop', 'report']);
    assert.deepEqual(missingDeclarations(cli, { sync: {}, report: { safe: [] }, 'db migrate': {}, 'db drop': { safe: ['yes'] } }), []);
    void auditor.close();
  });
});
