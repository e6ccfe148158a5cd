import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditEntry, AuditFileTransport, canonicalJson } from '@auditkit/core';

/** The auditkit command as an operator runs it: a real process, its output and its exit code. */

const bin = fileURLToPath(new URL('../bin/auditkit.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'auditkit-cli-'));
}

/** Writes a chained log; returns the checkpoint lines it announced (what a service ships to syslog). */
async function writeLog(path: string, keyFile: string, records: number): Promise<string[]> {
  const t = new AuditFileTransport({ path, chain: { key: { file: keyFile }, checkpointEvery: 5 } });
  const shipped: string[] = [];
  t.on('checkpoint', (cp: { line: string }) => shipped.push(cp.line));
  const batch = Array.from({ length: records }, (_, i) => new AuditEntry(canonicalJson({ event: 'request', id: `r${i}`, level: 'info', source: 'alice' })));
  await t.writeEntries(batch);
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
  return shipped;
}

describe('auditkit keygen', () => {
  it('writes a private key only its owner can read and a public JWK with its thumbprint', () => {
    const d = dir();
    const r = run('keygen', '--out', d);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(join(d, 'audit-signing.key')).mode & 0o777, 0o600);
    const jwk = JSON.parse(readFileSync(join(d, 'audit-signing.pub.jwk'), 'utf8'));
    assert.deepEqual([jwk.kty, jwk.crv, jwk.alg, jwk.use, jwk.d], ['OKP', 'Ed25519', 'EdDSA', 'sig', undefined]);
    assert.match(r.stdout, new RegExp(`kid: ${jwk.kid}`));
    assert.equal(run('keygen', '--out', d).status, 2, 'an existing key is never overwritten without --force');
    assert.equal(run('keygen', '--out', d, '--alg', 'es256', '--name', 'ec').status, 0);
    assert.equal(JSON.parse(readFileSync(join(d, 'ec.pub.jwk'), 'utf8')).crv, 'P-256');
  });
});

describe('auditkit verify', () => {
  it('exits 0 on an intact log, 1 on a tampered one, and explains where', async () => {
    const d = dir();
    run('keygen', '--out', d);
    const log = join(d, 'logs');
    await writeLog(join(log, 'audit.log'), join(d, 'audit-signing.key'), 12);
    const ok = run('verify', log, '--key', join(d, 'audit-signing.pub.jwk'));
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    // A chain start and the checkpoint that signs it, 12 records with a checkpoint after every 5 (inside
    // the one batch: no more than 5 ever go unsigned), the final checkpoint.
    assert.match(ok.stdout, /1 file\(s\), 17 record\(s\), 4 checkpoint\(s\), 1 chain\(s\)/);
    assert.match(ok.stdout, /closed\n\nINTACT\n$/);

    // The first record after the chain start and its checkpoint (line 3) now names someone else.
    writeFileSync(join(log, 'audit.log'), readFileSync(join(log, 'audit.log'), 'utf8').replace('"source":"alice"', '"source":"alicf"'));
    const bad = run('verify', log, '--key', join(d, 'audit-signing.pub.jwk'));
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /PROBLEMS \(1\):\n {2}modified_record +audit\.log:3 seq 3 +the record does not match its hash/);
    assert.match(bad.stdout, /TAMPERED OR DAMAGED: 1 problem\(s\)/);

    const json = run('verify', log, '--key', join(d, 'audit-signing.pub.jwk'), '--json');
    assert.equal(json.status, 1);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.problems.map((p: { kind: string }) => p.kind), ['modified_record']);
  });

  it('--anchors: the copy of the checkpoints kept elsewhere is checked; an end cut off exits 1 as truncated', async () => {
    const d = dir();
    run('keygen', '--out', d);
    const log = join(d, 'logs');
    const path = join(log, 'audit.log');
    const shipped = await writeLog(path, join(d, 'audit-signing.key'), 12);
    // As a syslog server stores them: a prefix, then the record line.
    const anchors = join(d, 'syslog.log');
    writeFileSync(anchors, shipped.map((line) => `2026-11-22T03:15:02.123Z api-1 billing[4242]: \ufeff${line}`).join('\n') + '\n');
    const key = join(d, 'audit-signing.pub.jwk');
    const ok = run('verify', log, '--key', key, '--anchors', anchors);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /\n {2}anchors: 4 checkpoint\(s\) in syslog\.log, 4 found in the files\n/);

    // The final checkpoint removed: from the file alone, a service that stopped after a checkpoint.
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    writeFileSync(path, lines.slice(0, -1).join('\n') + '\n');
    assert.equal(run('verify', log, '--key', key).status, 0);
    const cut = run('verify', log, '--key', key, '--anchors', anchors);
    assert.equal(cut.status, 1);
    assert.match(cut.stdout, /PROBLEMS \(1\):\n {2}truncated +audit\.log:16 seq 17 +the files end at seq 16, but the external copy has a checkpoint at seq 17 \(the final one\)/);
  });

  it('exits 2 on usage errors', () => {
    assert.equal(run('verify').status, 2);
    assert.equal(run('frobnicate').status, 2);
    assert.equal(run('verify', '/no/such/dir').status, 2);
  });
});
