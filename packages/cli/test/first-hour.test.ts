import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// auditkit verify on the files a new user has (plain, unchained), and the help a new user asks for
// (issue 11, item 9).

const bin = fileURLToPath(new URL('../bin/auditkit.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function plainLog(records: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-cli-plain-'));
  const lines = Array.from({ length: records }, (_, i) => JSON.stringify({ event: 'request', id: `r${i}`, level: 'info', operation_id: '/items' }));
  writeFileSync(join(dir, 'audit.log'), lines.join('\n') + '\n');
  return dir;
}

describe('auditkit verify on plain (unchained) files', () => {
  it('says once per file that they are not tamper-evident, not once per line', () => {
    const dir = plainLog(400);
    const r = run('verify', dir);
    assert.equal(r.status, 1, 'nothing could be verified: a cron job should hear of it');
    assert.doesNotMatch(r.stdout, /malformed_line/);
    assert.doesNotMatch(r.stdout, /TAMPERED OR DAMAGED/);
    const problems = r.stdout.split('\n').filter((l) => /^ {2}no_chain/.test(l));
    assert.equal(problems.length, 1, r.stdout);
    assert.match(problems[0]!, /audit\.log +400 plain record\(s\) and no chained one: this file was written without a chain, so it is not tamper-evident/);
    assert.match(r.stdout, /\nNOT TAMPER-EVIDENT: no chained records, so nothing could be verified \(turn the chain on: file: \{ chain: \{ key \} \}\)\n$/);
  });

  it('still reports every garbled line of a file that is neither chained nor plain records', () => {
    const dir = plainLog(2);
    appendFileSync(join(dir, 'audit.log'), 'not json at all\n{"cut": \n');
    const r = run('verify', dir, '--json');
    const report = JSON.parse(r.stdout) as { problems: Array<{ kind: string; line?: number }> };
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.line]),
      [
        ['malformed_line', 1],
        ['malformed_line', 2],
        ['malformed_line', 3],
        ['malformed_line', 4],
        ['no_chain', undefined],
      ],
    );
  });
});

describe('auditkit help and version', () => {
  it('--version prints the package version', () => {
    for (const flag of ['--version', '-v']) {
      const r = run(flag);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
  });

  it('verify --help, keygen --help, import --help and reconcile --help print that command only, and run nothing', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'auditkit-cli-help-'));
    for (const command of ['verify', 'keygen', 'import', 'reconcile']) {
      const r = spawnSync(process.execPath, [bin, command, '--help'], { encoding: 'utf8', cwd });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^usage:\\n  auditkit ${command} `));
      for (const other of ['verify', 'keygen', 'import', 'reconcile'].filter((c) => c !== command)) assert.doesNotMatch(r.stdout, new RegExp(`auditkit ${other} `));
    }
    assert.equal(spawnSync('ls', [cwd], { encoding: 'utf8' }).stdout, '', 'keygen --help wrote no key');
    const all = run('--help');
    assert.match(all.stdout, /auditkit verify .*\n[\s\S]*auditkit keygen [\s\S]*auditkit --version/);
  });
});
