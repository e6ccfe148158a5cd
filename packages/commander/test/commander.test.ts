import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createAuditor, verifyAuditLog } from '@auditkit/core';
import { auditCommander, missingDeclarations } from '../src/index.js';

/**
 * A real commander CLI (test/fixtures/acme-admin.mjs) run as a child process: every ending of a
 * command leaves exactly the record described, with its secrets masked.
 */

const CLI = fileURLToPath(new URL('./fixtures/acme-admin.mjs', import.meta.url));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  text: string;
  records: Array<Record<string, unknown>>;
  file: string;
}

function cli(args: string[], env: Record<string, string> = {}, wrap?: string): Ran {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-commander-')), 'audit.log');
  const base = { PATH: process.env.PATH ?? '', AUDIT_FILE: file, ...env };
  const r = wrap
    ? spawnSync('sh', ['-c', `${wrap} && exec "$0" "$@"`, process.execPath, CLI, ...args], { env: base, encoding: 'utf8', timeout: 30_000 })
    : spawnSync(process.execPath, [CLI, ...args], { env: base, encoding: 'utf8', timeout: 30_000 });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const records = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, text, records, file };
}

function commandRecord(ran: Ran): Record<string, unknown> {
  const cmds = ran.records.filter((r) => r.event === 'cli.command');
  assert.equal(cmds.length, 1, `exactly one command record:\n${ran.text}\n${ran.stderr}`);
  return cmds[0]!;
}

/** The record without what differs between runs. */
function stable(r: Record<string, unknown>): Record<string, unknown> {
  const { id, time, ts, duration_ms, request_id, cli: c, ...rest } = r;
  assert.match(String(id), /^[0-9a-f-]{36}$/);
  assert.equal(typeof time, 'number');
  assert.equal(typeof ts, 'string');
  assert.equal(typeof duration_ms, 'number');
  assert.match(String(request_id), /^[0-9a-f-]{36}$/);
  const { pid, ...cliRest } = c as Record<string, unknown>;
  assert.equal(typeof pid, 'number');
  return { ...rest, cli: cliRest };
}

const ROOT = { asserted: null, login_uid: null, uid: 0, via: 'effective_user' };

describe('@auditkit/commander: a real CLI in a child process', () => {
  it('success: one record with the command path, the arguments it may show, the outcome, the operator', () => {
    const ran = cli(['users', 'delete', '42', '--force', '--reason', 'left the company']);
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(stable(commandRecord(ran)), {
      cli: {
        args: { id: '42' },
        ended: 'returned',
        exit_code: 0,
        extra: [],
        options: { force: true, reason: 'left the company' },
        program: 'acme-admin',
      },
      error_code: null,
      event: 'cli.command',
      from: 'cli',
      level: 'info',
      meta: {},
      node: 'admin-box',
      operation_id: 'users delete',
      operation_result: 'success',
      operation_type: 'users',
      operator: ROOT,
      source: 'root',
      source_ip: null,
      source_verified: true,
      target: { id: '42', type: 'user' },
      truncated: false,
    });
    // The event the command emitted shares the run's request_id, from and operator.
    const [event, command] = ran.records;
    assert.deepEqual([event!.event, event!.from, event!.source, event!.request_id], ['user.deleted', 'cli', 'root', command!.request_id]);
  });

  it('a non-zero exit code is a failure', () => {
    const ran = cli(['users', 'delete', 'code2']);
    assert.equal(ran.status, 2);
    const r = commandRecord(ran);
    assert.deepEqual([r.operation_result, r.level, r.error_code, (r.cli as Record<string, unknown>).exit_code, (r.cli as Record<string, unknown>).ended], ['failure', 'warn', null, 2, 'returned']);
  });

  it('a thrown error: failure with its code, never its message, and the app still sees its error', () => {
    const ran = cli(['users', 'delete', 'boom']);
    assert.equal(ran.status, 1);
    assert.match(ran.stderr, /db says: password=hunter2/, 'the error reaches the terminal as without auditkit');
    assert.ok(!ran.text.includes('hunter2'), 'but not the trail');
    const r = commandRecord(ran);
    assert.deepEqual([r.operation_result, r.error_code, (r.cli as Record<string, unknown>).exit_code, (r.cli as Record<string, unknown>).ended], ['failure', 'EDBFAIL', 1, 'threw']);
  });

  it('process.exit(3) inside the command: the record (and the event before it) are on disk before the process ends', () => {
    const ran = cli(['users', 'delete', 'exit3']);
    assert.equal(ran.status, 3);
    assert.deepEqual(
      ran.records.map((r) => r.event),
      ['user.delete_aborted', 'cli.command'],
    );
    const r = commandRecord(ran);
    assert.deepEqual([r.operation_result, (r.cli as Record<string, unknown>).exit_code, (r.cli as Record<string, unknown>).ended], ['failure', 3, 'exited']);
  });

  it('process.exit(3) in a tamper-evident file: the chain goes on and verifies clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-commander-key-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const first = cli(['users', 'delete', '1'], { AUDIT_CHAIN_KEY: join(dir, 'k.pem') });
    assert.equal(first.status, 0, first.stderr);
    const file = first.file;
    // A second run into the same file, ending in process.exit() with an event still queued: both are sealed synchronously.
    const r = spawnSync(process.execPath, [CLI, 'users', 'delete', 'exit4'], { env: { PATH: process.env.PATH ?? '', AUDIT_FILE: file, AUDIT_CHAIN_KEY: join(dir, 'k.pem') }, encoding: 'utf8' });
    assert.equal(r.status, 4, r.stderr);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.event),
      // Each run opens a signed chain (start + checkpoint); the first closes it, the second ends in process.exit().
      ['audit.chain_start', 'audit.checkpoint', 'user.deleted', 'cli.command', 'audit.checkpoint', 'audit.chain_start', 'audit.checkpoint', 'user.delete_aborted', 'cli.command'],
    );
    const report = await verifyAuditLog([file], { key: publicKey });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
  });

  it('a full disk at process.exit(): the loss is said on stderr, and the exit code is the command’s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-commander-full-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    try {
      const file = join(dir, 'audit.log');
      writeFileSync(file, '');
      // Fill the filesystem, leaving the empty audit file in place.
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4k'], { encoding: 'utf8' });
      const r = spawnSync(process.execPath, [CLI, 'users', 'delete', 'exit4'], { env: { PATH: process.env.PATH ?? '', AUDIT_FILE: file }, encoding: 'utf8' });
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /\[auditkit\] sink file:.* lost 2 record\(s\): the process ended before they were written, and the sink has no spool/);
      assert.equal(readFileSync(file, 'utf8'), '', 'no half record was left behind');
    } finally {
      spawnSync('umount', ['-l', dir]);
    }
  });

  it('parse errors and unknown commands are failures; the unknown name is not recorded', () => {
    const missing = cli(['users', 'delete']);
    assert.equal(missing.status, 1);
    const m = commandRecord(missing);
    assert.deepEqual([m.operation_id, m.operation_result, m.error_code, (m.cli as Record<string, unknown>).ended], ['users delete', 'failure', 'commander.missingArgument', 'parse_error']);

    const unknownOption = cli(['users', 'delete', '7', '--bogus=hunter2']);
    assert.equal(unknownOption.status, 1);
    assert.deepEqual([commandRecord(unknownOption).error_code, unknownOption.text.includes('hunter2')], ['commander.unknownOption', false]);

    const unknown = cli(['users', 'frobnicate', 'hunter2']);
    assert.equal(unknown.status, 1);
    const u = commandRecord(unknown);
    assert.ok(!unknown.text.includes('hunter2') && !unknown.text.includes('frobnicate'));
    assert.deepEqual([u.operation_id, u.error_code, (u.cli as Record<string, unknown>).extra], ['users <unknown>', 'commander.unknownCommand', ['******', '******']]);
  });

  it('help and version are not runs: nothing is recorded', () => {
    for (const args of [['--help'], ['users', 'delete', '--help'], ['--version'], ['help', 'users'], ['users']]) {
      const ran = cli(args);
      assert.deepEqual(ran.records, [], args.join(' '));
      assert.equal(ran.status, args[0] === 'users' && args.length === 1 ? 1 : 0, args.join(' '));
    }
  });

  it('secrets are masked however they are passed: --password=, -p<value>, -p <value>, a positional, the environment', () => {
    for (const args of [
      ['users', 'delete', '5', '--password=hunter2'],
      ['users', 'delete', '5', '-phunter2'],
      ['users', 'delete', '5', '-p', 'hunter2'],
      ['users', 'delete', '5', '--reason', 'ok', '--password', 'hunter2'],
    ]) {
      const ran = cli(args);
      assert.equal(ran.status, 0, ran.stderr);
      assert.ok(!ran.text.includes('hunter2'), args.join(' '));
      assert.equal(((commandRecord(ran).cli as Record<string, unknown>).options as Record<string, unknown>).password, '******');
    }
    const created = cli(['users', 'create', 'a@x.io', 'positional-secret', '--note', 'my pin is pin-7Qx4z', '--role', 'admin'], { ACME_API_TOKEN: 'tok_live_abc' });
    assert.equal(created.status, 0, created.stderr);
    // A distinctive secret: a short one such as '1234' also occurs by chance in an id or a timestamp of the record.
    for (const secret of ['positional-secret', 'tok_live_abc', 'pin-7Qx4z']) assert.ok(!created.text.includes(secret), secret);
    const c = commandRecord(created).cli as Record<string, Record<string, unknown>>;
    // Declared safe, but named like a secret (password), from the environment (apiToken) or undeclared (note): masked.
    assert.deepEqual(c.args, { email: 'a@x.io', password: '******' });
    assert.deepEqual(c.options, { apiToken: '******', note: '******', role: 'admin' });
    assert.deepEqual(commandRecord(created).change, { after: { email: 'a@x.io', role: 'admin' }, before: null, patch: [{ op: 'replace', path: '', value: { email: 'a@x.io', role: 'admin' } }] });
  });

  it('after `--` every positional stays masked, even one declared safe', () => {
    const ran = cli(['exec', '--', 'deploy', '--token=abc123']);
    assert.equal(ran.status, 0, ran.stderr);
    assert.ok(!ran.text.includes('abc123'));
    assert.deepEqual((commandRecord(ran).cli as Record<string, unknown>).args, { args: ['******', '******'] });
    const plain = cli(['exec', 'deploy']);
    assert.deepEqual((commandRecord(plain).cli as Record<string, unknown>).args, { args: ['deploy'] });
  });

  it('the operator: login uid first, then SUDO_USER as root, then the effective user; a given name is only asserted', () => {
    const sudo = commandRecord(cli(['users', 'delete', '1'], { SUDO_USER: 'alice' }));
    assert.deepEqual([sudo.source, sudo.source_verified, sudo.operator], ['alice', true, { asserted: null, login_uid: null, uid: 0, via: 'sudo_user' }]);

    const asserted = commandRecord(cli(['--as', 'carol', 'users', 'delete', '1'], { ACME_OPERATOR: 'bob', USER: 'mallory' }));
    assert.deepEqual([asserted.source, asserted.operator], ['root', { asserted: 'carol', login_uid: null, uid: 0, via: 'effective_user' }]);
    const fromEnv = commandRecord(cli(['users', 'delete', '1'], { ACME_OPERATOR: 'bob' }));
    assert.deepEqual((fromEnv.operator as Record<string, unknown>).asserted, 'bob');

    // A login session's uid survives sudo: it wins over SUDO_USER (uid 1 is "daemon" on Debian).
    const login = commandRecord(cli(['users', 'delete', '1'], { SUDO_USER: 'alice' }, 'echo 1 > /proc/self/loginuid'));
    assert.deepEqual([login.source, login.source_verified, login.operator], ['daemon', true, { asserted: null, login_uid: 1, uid: 0, via: 'login_uid' }]);

    const token = commandRecord(cli(['login', '--token', 'secret-token']));
    assert.deepEqual([token.source, token.source_verified, (token.operator as Record<string, unknown>).via], ['svc-deploy', true, 'application']);
    assert.deepEqual((token.cli as Record<string, unknown>).options, { token: '******' });
  });
});

describe('@auditkit/commander: declarations', () => {
  const build = (): Command => {
    const program = new Command('tool');
    program.command('sync').argument('<what>').action(() => {});
    const db = program.command('db');
    db.command('migrate').action(() => {});
    db.command('drop').option('--yes').action(() => {});
    return program;
  };

  it('missingDeclarations names every command that can run without a declaration', () => {
    assert.deepEqual(missingDeclarations(build(), { sync: { safe: ['what'] } }), ['db migrate', 'db drop']);
    assert.deepEqual(missingDeclarations(build(), { sync: {}, 'db migrate': { safe: [] }, 'db drop': { safe: ['yes'] } }), []);
  });

  it('bad options throw at once, naming the option', () => {
    const auditor = createAuditor({ file: join(mkdtempSync(join(tmpdir(), 'auditkit-commander-')), 'a.log') });
    assert.throws(() => auditCommander(build(), { auditor: {} as never, commands: {} }), /options\.auditor: must be an Auditor/);
    assert.throws(() => auditCommander(build(), { auditor, commands: { sync: { safe: 'what' as never } } }), /options\.commands\.sync\.safe/);
    assert.throws(() => auditCommander(build(), { auditor, commands: { sync: { save: ['what'] } as never } }), /commands\.sync\.save.*did you mean commands\.sync\.safe/);
    void auditor.close();
  });
});
