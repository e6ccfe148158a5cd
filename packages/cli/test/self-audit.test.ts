import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditEntry, AuditFileTransport, canonicalJson } from '@auditkit/core';
import { missingDeclarations } from '@auditkit/commander';
import pg from 'pg';
import { OUTCOME_CODES } from '../src/audit/outcome.js';
import { CLI_COMMANDS, cliProgram } from '../src/program.js';

/**
 * The auditkit CLI audits itself (issue 15): every run of a command, as an operator runs it (a real
 * process), leaves exactly one cli.command record in the CLI's own trail, with the arguments it
 * declares safe and nothing secret.
 */

const bin = fileURLToPath(new URL('../bin/auditkit.mjs', import.meta.url));
const PG_URL = process.env.AUDITKIT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = (): string => mkdtempSync(join(tmpdir(), 'auditkit-cli-self-'));

type Rec = Record<string, unknown> & { cli: Record<string, unknown> & { options: Record<string, unknown> } };

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The trail's text ('' when there is no file). */
  text: string;
  records: Rec[];
}

/** Runs the CLI with its trail in a file of its own (AUDITKIT_AUDIT_LOG), unless `env` says otherwise. */
function run(args: string[], env: Record<string, string> = {}, trail = join(dir(), 'cli-audit.log')): Ran & { trail: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', AUDITKIT_AUDIT_LOG: trail, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, trail, ...read(trail) };
}

function read(file: string): { text: string; records: Rec[] } {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const records = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Rec);
  return { text, records };
}

function commandRecord(ran: { records: Rec[]; text: string; stderr?: string }): Rec {
  const cmds = ran.records.filter((r) => r.event === 'cli.command');
  assert.equal(cmds.length, 1, `exactly one command record:\n${ran.text}\n${ran.stderr ?? ''}`);
  return cmds[0]!;
}

/** What a record says about its run: the command, its arguments, how it ended. */
function summary(r: Rec): Record<string, unknown> {
  return {
    operation_id: r.operation_id,
    operation_result: r.operation_result,
    error_code: r.error_code,
    exit_code: r.cli.exit_code,
    ended: r.cli.ended,
    args: r.cli.args,
    options: r.cli.options,
    extra: r.cli.extra,
  };
}

async function chainedLog(path: string, keyFile: string, records: number): Promise<void> {
  const t = new AuditFileTransport({ path, chain: { key: { file: keyFile }, checkpointEvery: 5 } });
  await t.writeEntries(Array.from({ length: records }, (_, i) => new AuditEntry(canonicalJson({ event: 'request', id: `r${i}`, level: 'info', source: 'alice' }))));
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
}

/** A key pair and a chained log of 12 records signed with it. */
async function signedLog(): Promise<{ keys: string; log: string }> {
  const keys = dir();
  assert.equal(run(['keygen', '--out', keys]).status, 0);
  const log = join(dir(), 'logs');
  await chainedLog(join(log, 'audit.log'), join(keys, 'audit-signing.key'), 12);
  return { keys, log };
}

const line = (k: number): string =>
  canonicalJson({ event: 'request', id: `019c0000-0000-7000-8000-00ff${String(k).padStart(8, '0')}`, level: 'info', node: '00ff', operation_id: '/items', source: 'alice', time: Date.now() * 1000 - 60_000_000 + k });

describe('the auditkit CLI records its own runs', () => {
  it('verify: success with the paths and flags it was given; a tampered file is a failure with exit 1 and its code', async () => {
    const { keys, log } = await signedLog();
    const key = join(keys, 'audit-signing.pub.jwk');
    const ok = run(['verify', log, '--key', key, '--json', '--require-signed']);
    assert.equal(ok.status, 0, ok.stderr);
    const r = commandRecord(ok);
    assert.deepEqual(summary(r), {
      operation_id: 'verify',
      operation_result: 'success',
      error_code: null,
      exit_code: 0,
      ended: 'returned',
      args: { paths: [log] },
      options: { json: true, key, requireSigned: true },
      extra: [],
    });
    assert.deepEqual(r.meta, { checkpoints: 4, errors: 0, files: 1, records: 17, warnings: 0 });
    assert.deepEqual([r.event, r.from, r.level, typeof r.duration_ms, typeof r.source, r.source_verified], ['cli.command', 'cli', 'info', 'number', 'string', true]);

    const file = join(log, 'audit.log');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"source":"alice"', '"source":"alicf"'));
    const bad = run(['verify', log, '--key', key]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /TAMPERED OR DAMAGED: 1 problem\(s\)/, 'the report is printed as before');
    const b = commandRecord(bad);
    assert.deepEqual([b.operation_result, b.level, b.error_code, b.cli.exit_code], ['failure', 'warn', OUTCOME_CODES.tampered, 1]);
    assert.equal((b.meta as Record<string, unknown>).errors, 1);

    // Files written without a chain were never tamper-evident: a failure of its own kind.
    const plain = dir();
    writeFileSync(join(plain, 'audit.log'), `${JSON.stringify({ event: 'request', id: 'p1' })}\n`);
    const unchained = run(['verify', plain, '--anchors', join(plain, 'a.log'), '--anchors', join(plain, 'b.log')]);
    assert.equal(unchained.status, 2, 'anchors that do not exist are an input error');
    assert.deepEqual(commandRecord(unchained).cli.options, { anchors: [join(plain, 'a.log'), join(plain, 'b.log')] });
    const plainRun = run(['verify', plain]);
    assert.equal(plainRun.status, 1);
    assert.deepEqual([commandRecord(plainRun).error_code, commandRecord(plainRun).cli.exit_code], [OUTCOME_CODES.notTamperEvident, 1]);
  });

  it('usage errors exit 2 and are recorded as failures with exit code 2 and a code, never the message', () => {
    const none = run(['verify']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^auditkit verify: give the audit files or directories to verify\n$/);
    assert.deepEqual(summary(commandRecord(none)), {
      operation_id: 'verify',
      operation_result: 'failure',
      error_code: OUTCOME_CODES.usage,
      exit_code: 2,
      ended: 'parse_error',
      args: { paths: [] },
      options: {},
      extra: [],
    });

    const missing = run(['verify', '/no/such/dir']);
    assert.equal(missing.status, 2);
    assert.deepEqual([commandRecord(missing).error_code, commandRecord(missing).cli.exit_code], ['ENOENT', 2]);

    const unknownOption = run(['keygen', '--bogus=hunter2-x7']);
    assert.equal(unknownOption.status, 2);
    assert.match(unknownOption.stderr, /^auditkit keygen: unknown option '--bogus=hunter2-x7'/);
    assert.ok(!unknownOption.text.includes('hunter2-x7'), 'what was typed is not recorded');
    assert.deepEqual([commandRecord(unknownOption).error_code, commandRecord(unknownOption).cli.exit_code], ['commander.unknownOption', 2]);

    const unknown = run(['frobnicate', 'hunter2-x7']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^auditkit: unknown command "frobnicate"\nusage:\n/);
    const u = commandRecord(unknown);
    assert.ok(!unknown.text.includes('frobnicate') && !unknown.text.includes('hunter2-x7'));
    assert.deepEqual([u.operation_id, u.error_code, u.cli.exit_code, u.cli.extra], ['<unknown>', 'commander.unknownCommand', 2, ['******', '******']]);
  });

  it('keygen: the directory, name and algorithm, and the new key’s id; never the private key', () => {
    const out = dir();
    const ran = run(['keygen', '--out', out, '--name', 'ops', '--alg', 'es256']);
    assert.equal(ran.status, 0, ran.stderr);
    const r = commandRecord(ran);
    assert.deepEqual(summary(r), {
      operation_id: 'keygen',
      operation_result: 'success',
      error_code: null,
      exit_code: 0,
      ended: 'returned',
      args: {},
      options: { alg: 'es256', name: 'ops', out },
      extra: [],
    });
    const jwk = JSON.parse(readFileSync(join(out, 'ops.pub.jwk'), 'utf8')) as { kid: string };
    assert.deepEqual(r.meta, { alg: 'ES256', kid: jwk.kid });
    const pem = readFileSync(join(out, 'ops.key'), 'utf8').split('\n')[1]!;
    assert.ok(!ran.text.includes(pem), 'the private key is nowhere in the trail');

    const again = run(['keygen', '--out', out, '--name', 'ops']);
    assert.equal(again.status, 2, 'an existing key is not overwritten');
    assert.deepEqual([commandRecord(again).operation_result, commandRecord(again).cli.exit_code], ['failure', 2]);
  });

  it('import and reconcile: the files, the store and the flags, with the counts of what they did', () => {
    const files = dir();
    writeFileSync(join(files, 'a.log'), [1, 2, 3].map(line).join('\n') + '\n');
    const store = `sqlite:${join(dir(), 'audit.db')}`;
    const imported = run(['import', files, '--store', store, '--max-age-days', 'none', '--json']);
    assert.equal(imported.status, 0, imported.stderr);
    const i = commandRecord(imported);
    assert.deepEqual(summary(i), {
      operation_id: 'import',
      operation_result: 'success',
      error_code: null,
      exit_code: 0,
      ended: 'returned',
      args: { paths: [files] },
      options: { json: true, maxAgeDays: 'none', store },
      extra: [],
    });
    assert.deepEqual(i.meta, { duplicates: 0, expired: 0, inserted: 3, problems: 0, read: 3, rejected: 0 });

    const agree = run(['reconcile', files, '--store', store, '--max-records', '100', '--all-nodes']);
    assert.equal(agree.status, 0, agree.stdout + agree.stderr);
    assert.deepEqual(commandRecord(agree).cli.options, { allNodes: true, maxRecords: '100', store });

    writeFileSync(join(files, 'b.log'), `${line(4)}\nnot json\n`);
    const differ = run(['reconcile', files, '--store', store]);
    assert.equal(differ.status, 1);
    const d = commandRecord(differ);
    assert.deepEqual([d.operation_id, d.error_code, d.cli.exit_code], ['reconcile', OUTCOME_CODES.different, 1]);
    assert.deepEqual(d.meta, { fileRecords: 4, missingFromFiles: 0, missingFromStore: 1, problems: 1, storeRecords: 3 });
    const unreadable = run(['import', files, '--store', store]);
    assert.equal(unreadable.status, 1);
    assert.deepEqual([commandRecord(unreadable).error_code, commandRecord(unreadable).cli.exit_code], [OUTCOME_CODES.unreadableLines, 1]);
  });

  describe('a store URL with a password', () => {
    const schema = `akt_self_${process.pid}`;
    after(async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    });

    it('never appears in the record or the output: the user and host stay, the password is masked', () => {
      const files = dir();
      writeFileSync(join(files, 'a.log'), `${line(1)}\n`);
      // The server trusts 127.0.0.1, so the password is not checked: the import succeeds with it.
      const url = new URL(PG_URL);
      url.password = 'S3cret-pw-q9';
      url.searchParams.set('schema', schema);
      const ran = run(['import', files, '--store', url.href]);
      assert.equal(ran.status, 0, ran.stderr);
      assert.equal(commandRecord(ran).cli.options.store, url.href.replace(':S3cret-pw-q9@', ':******@'));

      // An unknown store and a typo quoting the URL: both say what is wrong, neither shows the password.
      const mysql = run(['import', files, '--store', 'mysql://root:S3cret-pw-q9@db/x']);
      assert.equal(mysql.status, 2);
      const typo = run(['reconcile', files, `--stroe=${url.href}`]);
      assert.equal(typo.status, 2);
      assert.match(typo.stderr, /unknown option '--stroe=postgres:\/\/postgres:\*{6}@/);
      // A password with an unencoded '@' is still the password (pg reads up to the last '@').
      const at = run(['serve', '--store', 'postgres://app:S3cret@pw-q9@127.0.0.1:1/x', '--port', '70000']);
      assert.equal(at.status, 2);
      assert.equal(commandRecord(at).cli.options.store, 'postgres://app:******@127.0.0.1:1/x');
      for (const r of [ran, mysql, typo, at]) {
        for (const text of [r.text, r.stdout, r.stderr]) assert.ok(!text.includes('S3cret') && !text.includes('pw-q9'), text);
      }
    });
  });

  it('serve: the store, host and port; one record when it stops', async () => {
    const trail = join(dir(), 'cli-audit.log');
    const store = `sqlite:${join(dir(), 'audit.db')}`;
    const child = spawn(process.execPath, [bin, 'serve', '--store', store, '--host', '127.0.0.1', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', AUDITKIT_AUDIT_LOG: trail },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const address = await new Promise<URL>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /Audit dashboard: (\S+)\n/.exec(out);
        if (m) resolve(new URL(m[1]!));
      });
      child.once('exit', (code) => reject(new Error(`auditkit serve exited with ${code}`)));
    });
    assert.equal(read(trail).records.length, 0, 'a running server has not ended its run');
    child.kill('SIGTERM');
    assert.equal((await once(child, 'exit'))[0], 0);
    const ran = read(trail);
    const r = commandRecord(ran);
    assert.deepEqual(summary(r), {
      operation_id: 'serve',
      operation_result: 'success',
      error_code: null,
      exit_code: 0,
      ended: 'returned',
      args: {},
      options: { host: '127.0.0.1', port: '0', store },
      extra: [],
    });
    assert.ok(!ran.text.includes(address.searchParams.get('token')!), 'the token is not in the trail');
  });

  it('help and version are not runs: nothing is recorded', () => {
    for (const args of [['--help'], ['help'], ['verify', '--help'], ['serve', '-h'], ['--version'], ['-v']]) {
      const ran = run(args);
      assert.equal(ran.status, 0, args.join(' '));
      assert.deepEqual(ran.records, [], args.join(' '));
    }
  });

  it('every command is declared: missingDeclarations is empty', () => {
    const program = cliProgram({ out: { write: () => true }, err: { write: () => true } });
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      ['verify', 'keygen', 'import', 'reconcile', 'serve'],
    );
    assert.deepEqual(missingDeclarations(program, CLI_COMMANDS), []);
  });
});

describe('where the CLI’s trail is', () => {
  it('$XDG_STATE_HOME/auditkit/cli-audit.log, else ~/.local/state/auditkit/cli-audit.log, in a directory only the user can read', () => {
    const state = dir();
    const a = spawnSync(process.execPath, [bin, 'keygen', '--out', dir()], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', XDG_STATE_HOME: state } });
    assert.equal(a.status, 0, a.stderr);
    assert.equal(commandRecord({ ...read(join(state, 'auditkit', 'cli-audit.log')) }).operation_id, 'keygen');
    assert.equal(statSync(join(state, 'auditkit')).mode & 0o777, 0o700);
    assert.equal(statSync(join(state, 'auditkit', 'cli-audit.log')).mode & 0o777, 0o600);

    const home = dir();
    // A relative XDG_STATE_HOME is invalid (XDG Base Directory spec): the default under HOME is used.
    const b = spawnSync(process.execPath, [bin, 'keygen', '--out', dir()], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, XDG_STATE_HOME: 'relative/state' } });
    assert.equal(b.status, 0, b.stderr);
    assert.equal(commandRecord(read(join(home, '.local', 'state', 'auditkit', 'cli-audit.log'))).operation_id, 'keygen');
    assert.equal(statSync(join(home, '.local', 'state', 'auditkit')).mode & 0o777, 0o700);
  });

  it('a trail that cannot be written: the command still does its job, says so once on stderr, and keeps its exit code', async () => {
    const ro = dir();
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    try {
      const out = dir();
      const made = run(['keygen', '--out', out], {}, join(ro, 'auditkit', 'cli-audit.log'));
      assert.equal(made.status, 0, made.stderr);
      assert.ok(existsSync(join(out, 'audit-signing.key')), 'the key was written');
      assert.match(made.stdout, /^private key: /);
      const said = made.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(said.length, 1, made.stderr);
      assert.match(said[0]!, new RegExp(`^auditkit: the audit record of this run cannot be written to ${join(ro, 'auditkit', 'cli-audit.log')} \\((ENOENT|EROFS).+\\); set AUDITKIT_AUDIT_LOG to a file you can write$`));

      const { keys, log } = await signedLog();
      const file = join(log, 'audit.log');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"source":"alice"', '"source":"alicf"'));
      const bad = run(['verify', log, '--key', join(keys, 'audit-signing.pub.jwk')], {}, join(ro, 'cli-audit.log'));
      assert.equal(bad.status, 1, 'the exit code is the command’s');
      assert.match(bad.stdout, /TAMPERED OR DAMAGED/);
      assert.equal(bad.stderr.split('\n').filter((l) => l.length > 0).length, 1, bad.stderr);
      const usage = run(['verify'], {}, join(ro, 'cli-audit.log'));
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /cannot be written[\s\S]*\nauditkit verify: give the audit files/);
    } finally {
      spawnSync('umount', ['-l', ro]);
    }
  });

  it('a full disk: the record is lost, said once on stderr; the command’s output and exit code are its own', () => {
    const full = dir();
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    try {
      mkdirSync(join(full, 'auditkit'));
      writeFileSync(join(full, 'auditkit', 'cli-audit.log'), '');
      spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'fill')}`, 'bs=4k'], { encoding: 'utf8' });
      const plain = dir();
      writeFileSync(join(plain, 'audit.log'), `${JSON.stringify({ event: 'request', id: 'p1' })}\n`);
      const ran = run(['verify', plain], {}, join(full, 'auditkit', 'cli-audit.log'));
      assert.equal(ran.status, 1);
      assert.match(ran.stdout, /NOT TAMPER-EVIDENT/);
      const said = ran.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(said.length, 1, ran.stderr);
      assert.match(said[0]!, /^auditkit: the audit record of this run cannot be written to .*cli-audit\.log \(.*ENOSPC.*\); set AUDITKIT_AUDIT_LOG/);
      assert.equal(ran.text, '', 'no half record was left behind');
    } finally {
      spawnSync('umount', ['-l', full]);
    }
  });
});

describe('the record codes in docs/cli.md', () => {
  it('lists every code the CLI records', () => {
    const docs = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    for (const code of Object.values(OUTCOME_CODES)) assert.ok(docs.includes(`\`${code}\``), code);
  });
});
