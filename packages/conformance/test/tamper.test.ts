import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { verifyAuditLog, type ProblemKind, type VerifyReport } from '@auditkit/core';
import { startApp } from '../src/apps.js';
import { tempDir } from '../src/records.js';
import { copyLog, editLines, forgeChain, logFiles, readLines, relink, serialize, type Line } from './tamper-tools.js';
import { schemaErrors } from '../src/records.js';

/**
 * The tamper-evidence scenario generator: a real log written through the Express middleware (hash
 * chain, checkpoints every 15 records, rotation every 6 KiB, gzip), then, on copies of it, every kind
 * of tampering the verifier must detect and name.
 */

const signer = generateKeyPairSync('ed25519');
const attacker = generateKeyPairSync('ed25519');
let pristine = '';

const errors = (r: VerifyReport): ProblemKind[] => [...new Set(r.problems.filter((p) => p.severity === 'error').map((p) => p.kind))].sort();
const verify = (dir: string, key = signer.publicKey) => verifyAuditLog([dir], { key });

function tampered(name: string): string {
  return copyLog(pristine, join(tempDir(), name));
}

/**
 * A request record (not a checkpoint or chain start) near the middle of a file, never its first or last
 * line, and followed by another record: an edit then breaks the next record's link, not a checkpoint's
 * signed head.
 */
function middleRecordAt(lines: string[]): number | undefined {
  const mid = Math.floor(lines.length / 2);
  for (let d = 0; d < lines.length; d++) {
    for (const i of [mid + d, mid - d]) {
      if (i > 0 && i < lines.length - 1 && isRecord(lines[i]!) && isRecord(lines[i + 1]!)) return i;
    }
  }
  return undefined;
}

function isRecord(line: string): boolean {
  return JSON.parse(line).event === 'request';
}

function middleRecord(lines: string[]): number {
  const at = middleRecordAt(lines);
  if (at === undefined) throw new Error('no record line');
  return at;
}

/**
 * The log's files, in order, that hold such a record: where a file rotates depends on how requests
 * fell into write batches, so a file may hold only a record and checkpoints.
 */
function editableFiles(dir: string): string[] {
  return logFiles(dir).filter((f) => middleRecordAt(readLines(f)) !== undefined);
}

before(async () => {
  pristine = tempDir('auditkit-pristine-');
  const app = await startApp('express', {
    audit: { file: { path: join(pristine, 'audit.log'), maxSize: 6 * 1024, compress: true, maxFiles: 0, chain: { key: signer.privateKey, checkpointEvery: 15 } } },
  });
  for (let i = 0; i < 120; i++) await request(app.url).post(`/api/users/${i}`).send({ name: `user-${i}`, password: 'secret' });
  await app.close();
});

describe('tamper evidence', () => {
  it('the untouched log verifies clean: every link recomputed, every checkpoint verified', async () => {
    const r = await verify(pristine);
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.ok(r.files.filter((f) => f.endsWith('.gz')).length >= 5, `${r.files.length} files`);
    assert.ok(r.checkpoints >= 8 && r.records >= 130);
    assert.equal(r.chains[0]!.closed, true);
  });

  it('every chained line, checkpoints and the chain start included, validates against the JSON Schema', () => {
    let n = 0;
    for (const file of logFiles(pristine)) {
      for (const line of readLines(file)) {
        assert.equal(schemaErrors(JSON.parse(line)), undefined, line.slice(0, 200));
        n++;
      }
    }
    assert.ok(n > 130);
  });

  it('one byte flipped in a field of a compressed rotated file: modified_record, at that line', async () => {
    const dir = tampered('flip');
    const file = editableFiles(dir)[1]!;
    let at = 0;
    editLines(file, (lines) => {
      at = middleRecord(lines);
      lines[at] = lines[at]!.replace('"user-', '"usEr-');
      return lines;
    });
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['modified_record']);
    assert.deepEqual([r.problems[0]!.file, r.problems[0]!.line], [file, at + 1]);
  });

  it('a line deleted: deleted_records, naming the seq', async () => {
    const dir = tampered('delete-line');
    const file = editableFiles(dir)[2]!;
    let seq = 0;
    editLines(file, (lines) => {
      const at = middleRecord(lines);
      seq = JSON.parse(lines[at]!).seq;
      lines.splice(at, 1);
      return lines;
    });
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['deleted_records']);
    assert.deepEqual([r.problems[0]!.seq, r.problems[0]!.seqEnd], [seq, seq]);
  });

  it('a whole rotated file deleted from the middle: missing_file', async () => {
    const dir = tampered('delete-file');
    const victim = logFiles(dir)[2]!;
    rmSync(victim);
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['missing_file']);
  });

  it('two lines swapped: reordered_records', async () => {
    const dir = tampered('swap');
    editLines(editableFiles(dir)[1]!, (lines) => {
      const at = middleRecord(lines);
      [lines[at], lines[at + 1]] = [lines[at + 1]!, lines[at]!];
      return lines;
    });
    assert.deepEqual(errors(await verify(dir)), ['reordered_records']);
  });

  it('a forged line with a correct hash appended after the log was closed: records_after_final', async () => {
    const dir = tampered('append');
    const live = join(dir, 'audit.log');
    const lines = readLines(live);
    const last = JSON.parse(lines.at(-1)!) as Line;
    const forged = relink({ ...(JSON.parse(lines.at(-2)!) as Line), seq: last.seq + 1, id: 'forged', source: 'mallory' }, last.hash);
    appendFileSync(live, serialize(forged) + '\n');
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['records_after_final']);
    assert.equal(r.problems[0]!.seq, last.seq + 1);
  });

  it('truncated in the middle of a record: truncated_tail', async () => {
    const dir = tampered('truncate');
    const live = join(dir, 'audit.log');
    truncateSync(live, statSync(live).size - 40);
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['truncated_tail']);
    assert.ok(r.problems.some((p) => p.kind === 'unsigned_tail' && p.severity === 'warning'), 'and what came after the last surviving checkpoint is unsigned');
  });

  it('one checkpoint replaced by one signed with another key, the chain rewritten around it: key_mismatch', async () => {
    const dir = tampered('replace-checkpoint');
    let target = -1;
    await forgeChain(dir, {
      key: attacker.privateKey,
      resign: (line, i) => {
        if (target === -1 && i > 40) target = i;
        return i === target;
      },
    });
    // Replacing it changed its hash, so the attacker had to rewrite the chain after it, which the
    // genuine checkpoints that follow no longer match.
    assert.deepEqual(errors(await verify(dir)), ['checkpoint_mismatch', 'key_mismatch']);
  });

  it('every checkpoint re-signed with another key over a consistent rewritten chain: key_mismatch on each', async () => {
    const dir = tampered('resign');
    await forgeChain(dir, {
      key: attacker.privateKey,
      mutate: (all) => {
        const i = all.findIndex((l, n) => n > 30 && l.event === 'request');
        all[i] = { ...all[i]!, source: 'mallory' };
      },
    });
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['key_mismatch']);
    assert.equal(r.problems.filter((p) => p.kind === 'key_mismatch').length, r.checkpoints);
    const honest = await verifyAuditLog([dir], { key: attacker.publicKey });
    assert.equal(honest.ok, true, "with the attacker's own key the forgery is self-consistent: the public key must come from a trusted place");
  });

  it('a record changed with its own hash recomputed: the broken link is found (every link is recomputed)', async () => {
    const dir = tampered('rehash-one');
    editLines(editableFiles(dir)[3]!, (lines) => {
      const at = middleRecord(lines);
      lines[at] = serialize(relink({ ...(JSON.parse(lines[at]!) as Line), source: 'mallory' }, (JSON.parse(lines[at]!) as Line).prev_hash));
      return lines;
    });
    assert.deepEqual(errors(await verify(dir)), ['modified_record']);
  });

  it('a record changed and the whole chain after it recomputed: the next checkpoint no longer matches', async () => {
    const dir = tampered('rehash-all');
    await forgeChain(dir, {
      mutate: (all) => {
        const i = all.findIndex((l, n) => n > 50 && l.event === 'request');
        all[i] = { ...all[i]!, http_status_code: 200 };
      },
    });
    assert.deepEqual(errors(await verify(dir)), ['checkpoint_mismatch']);
  });

  it('does not stop at the first problem: a flipped byte, a deleted line and a deleted file are all reported', async () => {
    const dir = tampered('many');
    const files = editableFiles(dir);
    editLines(files[1]!, (lines) => {
      const at = middleRecord(lines);
      lines[at] = lines[at]!.replace('"user-', '"usEr-');
      return lines;
    });
    rmSync(files[3]!);
    editLines(files[5]!, (lines) => {
      lines.splice(middleRecord(lines), 1);
      return lines;
    });
    assert.deepEqual(errors(await verify(dir)), ['deleted_records', 'missing_file', 'modified_record']);
  });

  it('the wrong public key: key_mismatch, not a silent pass', async () => {
    const r = await verify(pristine, attacker.publicKey);
    assert.deepEqual(errors(r), ['key_mismatch']);
    assert.equal(readFileSync(join(pristine, 'audit.log'), 'utf8').length > 0, true);
  });
});
