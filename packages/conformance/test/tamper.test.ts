import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { AuditFileTransport, verifyAuditLog, type AuditFault, type ProblemKind, type VerifyReport, type WrittenCheckpoint } from '@auditkit/core';
import { startApp } from '../src/apps.js';
import { tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';
import { checkpointsIn, copyLog, editLines, forgeChain, logFiles, readLines, relink, serialize, stripAndRelink, writeAnchors, writeLines, type Line } from './tamper-tools.js';
import { schemaErrors } from '../src/records.js';

/**
 * The tamper-evidence scenario generator: a real log written through the Express middleware (hash
 * chain, checkpoints every 15 records, rotation every 6 KiB, gzip), then, on copies of it, every kind
 * of tampering the verifier must detect and name.
 */

const signer = generateKeyPairSync('ed25519');
const attacker = generateKeyPairSync('ed25519');
let pristine = '';
/** The pristine log's checkpoints as they were shipped to syslog: the external copy. */
let pristineAnchors = '';

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

/** The sink the pristine log is written with; a restart on a copy uses the same settings. */
function pristineSink(dir: string): AuditFileTransport {
  return new AuditFileTransport({ path: join(dir, 'audit.log'), maxSize: 6 * 1024, compress: true, maxFiles: 0, chain: { key: signer.privateKey, checkpointEvery: 15 } });
}

before(async () => {
  pristine = tempDir('auditkit-pristine-');
  const file = pristineSink(pristine);
  const shipped: string[] = [];
  file.on('checkpoint', (cp: WrittenCheckpoint) => shipped.push(cp.line));
  const app = await startApp('express', { audit: { sinks: [file] } });
  for (let i = 0; i < 120; i++) await request(app.url).post(`/api/users/${i}`).send({ name: `user-${i}`, password: 'secret' });
  await app.close();
  pristineAnchors = writeAnchors(join(tempDir(), 'rsyslog-audit.log'), shipped);
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

/** What an attacker hiding a request changes: its status and who made it. */
function hideOne(all: Line[]): void {
  const i = all.findIndex((l, n) => n > 40 && l.event === 'request');
  all[i] = { ...all[i]!, http_status_code: 200, source: 'someone-else' };
}

const withCopy = (dir: string, anchors: string) => verifyAuditLog([dir], { key: signer.publicKey, anchors: [anchors] });
const lastLine = (file: string): Line => JSON.parse(readLines(file).at(-1)!) as Line;

/** A chained app in its own process (fixtures/chained-child.ts), to be killed or stopped. */
interface ChildApp {
  post(path: string): Promise<number>;
  /** Checkpoint lines it announced, and fault codes it reported. */
  shipped(): string[];
  faults(): string[];
  kill(): Promise<void>;
  stop(): Promise<void>;
}

interface ChildConfig {
  maxSize: number;
  every: number;
  intervalMs: number;
  compress: boolean;
}

let keyFile = '';
function signingKeyFile(): string {
  if (keyFile) return keyFile;
  keyFile = join(tempDir('auditkit-keys-'), 'audit-signing.key');
  writeFileSync(keyFile, signer.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return keyFile;
}

async function startChild(dir: string, config: ChildConfig): Promise<ChildApp> {
  const script = fileURLToPath(new URL('./fixtures/chained-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, dir, signingKeyFile(), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  await waitFor(() => out.includes('listening'), 20_000, 'the app');
  const url = /listening (http:\/\/\S+)/.exec(out)![1]!;
  const lines = (prefix: string): string[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .map((l) => l.slice(prefix.length));
  return {
    post: async (path) => {
      const res = await fetch(url + path, { method: 'POST' });
      await res.arrayBuffer();
      return res.status;
    },
    shipped: () => lines('checkpoint '),
    faults: () => lines('fault '),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The service restarted on a forged trail: it must sign none of it, say so, and leave the break for verify. */
async function assertRefused(dir: string, faults: string[], forged: string): Promise<void> {
  assert.deepEqual(faults, ['AUDITKIT_CHAIN_BROKEN']);
  assert.deepEqual(
    checkpointsIn(dir).filter((p) => p.chain === forged),
    [],
    'no checkpoint signs any of the forged chain',
  );
  const r = await verify(dir);
  assert.equal(r.ok, false);
  assert.deepEqual(errors(r), ['chain_break', 'unsigned_records']);
  assert.match(r.problems.find((p) => p.kind === 'chain_break')!.message, new RegExp(`could not vouch for the chain it found \\(${forged}`));
  const old = r.chains.find((c) => c.chain === forged)!;
  const fresh = r.chains.find((c) => c.chain !== forged)!;
  assert.equal(r.chains.length, 2);
  assert.equal(old.signedThrough, 0);
  assert.deepEqual([fresh.closed, fresh.signedThrough], [true, fresh.lastSeq], "the service's own new chain is whole");
  // Its first record says where and why; it links to nothing, so it vouches for nothing before it.
  const start = logFiles(dir)
    .flatMap((f) => readLines(f).map((l) => JSON.parse(l) as Line))
    .find((l) => l.chain === fresh.chain && l.seq === 1)!;
  assert.deepEqual([start.event, start.link, start.prev_hash, (start.break as { chain: string }).chain], ['audit.chain_start', null, '0'.repeat(64), forged]);
}

describe('a rewritten history never verifies, and the service never signs one (issue 9)', () => {
  it('every checkpoint deleted, a record changed, seqs and links recomputed with the documented formula: damage, not a warning', async () => {
    const dir = tampered('strip-all');
    stripAndRelink(dir, {
      mutate: (all) => {
        hideOne(all);
        // The start record is not signed any more either: claim a limit no check could catch.
        all[0] = { ...all[0]!, checkpoint_every: 10_000_000 };
      },
    });
    const r = await verify(dir);
    assert.equal(r.ok, false);
    assert.deepEqual(errors(r), ['unsigned_records']);
    const rotated = logFiles(dir).filter((f) => f.endsWith('.gz') && readLines(f).length > 0);
    assert.ok(rotated.length >= 5);
    const found = r.problems.filter((p) => p.kind === 'unsigned_records');
    assert.deepEqual(
      found
        .filter((p) => p.file !== join(dir, 'audit.log') && p.seq !== 1)
        .map((p) => p.file)
        .sort(),
      rotated.sort(),
      'no rotated file ends with its signed rotation checkpoint',
    );
    assert.ok(
      found.some((p) => p.seq === 1 && /signed by nothing, and run from audit-\S+\.log\.gz into audit\.log/.test(p.message)),
      'the unsigned run crosses every file',
    );
    assert.equal(r.chains[0]!.signedThrough, 0);

    // The external copy names each removed checkpoint, and the end that the renumbering cut off.
    assert.deepEqual(errors(await withCopy(dir, pristineAnchors)), ['rewritten', 'truncated', 'unsigned_records']);
  });

  it('clean-stop variant: checkpoints stripped from a closed trail, then the service restarted on it', async () => {
    const dir = tampered('strip-restart');
    stripAndRelink(dir, { mutate: hideOne });
    const forged = lastLine(join(dir, 'audit.log')).chain;
    const file = pristineSink(dir);
    const app = await startApp('express', { audit: { sinks: [file] } });
    const faults: string[] = [];
    app.auditor.on('fault', (f: AuditFault) => faults.push(f.code));
    for (let i = 0; i < 10; i++) await request(app.url).post(`/api/users/${i}`).send({ name: `late-${i}` });
    await app.close();
    await assertRefused(dir, faults, forged);
  });

  it('the end cut off (whole records and the final checkpoint): only the external copy tells, as truncated', async () => {
    const dir = tampered('cut-end');
    const live = join(dir, 'audit.log');
    const lines = readLines(live);
    const finalSeq = (JSON.parse(lines.at(-1)!) as Line).seq;
    const keep = Math.max(0, lines.length - 4);
    const files = logFiles(dir);
    const lastKept = keep > 0 ? (JSON.parse(lines[keep - 1]!) as Line).seq : lastLine(files.at(-2)!).seq;
    writeLines(live, lines.slice(0, keep));
    assert.equal((await verify(dir)).ok, true, 'from the files alone, a cut end looks like a service that stopped');
    const r = await withCopy(dir, pristineAnchors);
    assert.deepEqual(errors(r), ['truncated']);
    const t = r.problems.find((p) => p.kind === 'truncated')!;
    assert.deepEqual([t.seq, t.seqEnd], [lastKept + 1, finalSeq]);
    assert.match(t.message, /\(the final one\)/);
  });

  it('the live file deleted and the newest rotated file cut before its rotation checkpoint: unsigned_records', async () => {
    const dir = tampered('cut-rotated');
    rmSync(join(dir, 'audit.log'));
    const newest = logFiles(dir).at(-1)!;
    editLines(newest, (lines) => lines.slice(0, -1));
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['unsigned_records']);
    assert.equal(r.problems.find((p) => p.kind === 'unsigned_records')!.file, newest);
    assert.deepEqual(errors(await withCopy(dir, pristineAnchors)), ['truncated', 'unsigned_records']);
  });

  it('the untouched log against the external copy: every shipped checkpoint found, nothing reported', async () => {
    const r = await withCopy(pristine, pristineAnchors);
    assert.deepEqual(r.problems, []);
    assert.equal(r.anchors!.matched, r.checkpoints);
    assert.equal(r.anchors!.checkpoints, r.checkpoints);
  });
});

describe('checkpoint limits in the live file (issue 9)', () => {
  let live = '';
  let anchors = '';
  before(async () => {
    // 27 records, a checkpoint after every 5: start 1, its checkpoint 2, five runs of 5 records and a
    // checkpoint (3-32), records 33-34, the final checkpoint 35. No rotation, no interval checkpoint.
    live = tempDir('auditkit-live-');
    const file = new AuditFileTransport({ path: join(live, 'audit.log'), chain: { key: signer.privateKey, checkpointEvery: 5, checkpointIntervalMs: 86_400_000 } });
    const shipped: string[] = [];
    file.on('checkpoint', (cp: WrittenCheckpoint) => shipped.push(cp.line));
    const app = await startApp('express', { audit: { sinks: [file] } });
    for (let i = 0; i < 27; i++) await request(app.url).post(`/api/users/${i}`).send({ name: `user-${i}` });
    await app.close();
    anchors = writeAnchors(join(tempDir(), 'rsyslog-audit.log'), shipped);
    assert.equal(lastLine(join(live, 'audit.log')).seq, 35);
  });

  it('every checkpoint after the start stripped and re-linked: more unsigned records than the signed limit', async () => {
    const dir = copyLog(live, join(tempDir(), 'strip-live'));
    stripAndRelink(dir, { drop: (l) => l.event === 'audit.checkpoint' && l.seq > 2, mutate: (all) => void (all[10] = { ...all[10]!, http_status_code: 200 }) });
    const r = await verify(dir);
    assert.deepEqual(errors(r), ['unsigned_records']);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.seq, p.seqEnd, p.message]),
      [['unsigned_records', 3, 29, '27 records follow the last checkpoint (seq 2), more than the 5 its writer leaves unsigned: checkpoints were removed']],
    );
  });

  it('within the limit (the final checkpoint removed, the records after the last checkpoint rewritten): a warning from the files, truncated with the copy', async () => {
    const dir = copyLog(live, join(tempDir(), 'strip-final'));
    stripAndRelink(dir, { drop: (l) => l.seq === 35, mutate: (all) => void (all[33] = { ...all[33]!, source: 'someone-else' }) });
    const r = await verify(dir);
    assert.equal(r.ok, true, 'the documented limit: the last run of unsigned records can be rewritten undetected from the files alone');
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.seq, p.seqEnd]),
      [['unsigned_tail', 33, 34]],
    );
    const c = await withCopy(dir, anchors);
    assert.deepEqual(
      c.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.seq, p.seqEnd]),
      [['truncated', 35, 35]],
    );
  });
});

describe('the external copy holds other trails too (a shared syslog)', () => {
  let trail = '';
  let anchors = '';
  let others = 0;
  const shipped: string[] = [];
  before(async () => {
    // This service: a chain closed cleanly, then a restart's new chain, linked to it.
    trail = tempDir('auditkit-two-chains-');
    for (let run = 0; run < 2; run++) {
      const file = new AuditFileTransport({ path: join(trail, 'audit.log'), chain: { key: signer.privateKey, checkpointEvery: 15 } });
      file.on('checkpoint', (cp: WrittenCheckpoint) => shipped.push(cp.line));
      const app = await startApp('express', { audit: { sinks: [file] } });
      for (let i = 0; i < 5; i++) await request(app.url).post(`/api/users/${run}-${i}`).send({ name: `user-${i}` });
      await app.close();
    }
    // Another instance of it (same key, another file), and another service (its own key).
    const foreign: string[] = [];
    for (const key of [signer.privateKey, attacker.privateKey]) {
      const file = new AuditFileTransport({ path: join(tempDir(), 'audit.log'), chain: { key, checkpointEvery: 15 } });
      file.on('checkpoint', (cp: WrittenCheckpoint) => foreign.push(cp.line));
      const app = await startApp('express', { audit: { sinks: [file] } });
      await request(app.url).post('/api/users/x').send({ name: 'x' });
      await app.close();
    }
    others = foreign.length;
    anchors = writeAnchors(join(tempDir(), 'rsyslog-all.log'), [...foreign.slice(0, 2), ...shipped, ...foreign.slice(2)]);
  });

  it("others' checkpoints are told apart: the trail verifies clean against the shared copy", async () => {
    const r = await withCopy(trail, anchors);
    assert.deepEqual(r.problems, []);
    assert.equal(r.chains.length, 2);
    assert.deepEqual([r.anchors!.matched, r.anchors!.ignored], [r.checkpoints, others]);
  });

  it('a checkpoint in the copy whose signature fails is reported against the copy, and believed in nothing', async () => {
    const text = readFileSync(anchors, 'utf8');
    // The final checkpoint of this trail's newer chain, claiming to cover 100 more records than it does.
    const last = (JSON.parse(shipped.at(-1)!) as { checkpoint: string }).checkpoint;
    const [header, payload, signature] = last.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, last_seq: claims.last_seq + 100 })).toString('base64url'), signature].join('.');
    const copy = join(tempDir(), 'rsyslog-forged.log');
    writeFileSync(copy, text + `2026-11-22T03:15:02Z api-1 billing-api: ${forged}\n`);
    const r = await withCopy(trail, copy);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.file, p.line]),
      [['bad_signature', copy, text.split('\n').length]],
    );
  });

  it('the newer chain deleted whole: the files look closed and clean, the copy says truncated', async () => {
    const dir = copyLog(trail, join(tempDir(), 'drop-chain'));
    const live = join(dir, 'audit.log');
    const first = (JSON.parse(readLines(live)[0]!) as Line).chain;
    editLines(live, (lines) => lines.filter((l) => (JSON.parse(l) as Line).chain === first));
    const alone = await verify(dir);
    assert.deepEqual([alone.ok, alone.problems, alone.chains.length, alone.chains[0]!.closed], [true, [], 1, true]);
    const r = await withCopy(dir, anchors);
    assert.deepEqual(errors(r), ['truncated']);
    assert.match(r.problems[0]!.message, /is in none of the files, and is newer than all of them/);
  });
});

describe('crashes: a killed service, restarted (issue 9)', () => {
  const config: ChildConfig = { maxSize: 6 * 1024, every: 15, intervalMs: 86_400_000, compress: false };
  let crashed = '';
  before(async () => {
    crashed = tempDir('auditkit-crashed-');
    const child = await startChild(crashed, config);
    for (let n = 0; n < 60; n++) assert.equal(await child.post(`/items/${n}`), 201);
    // Leave records unsigned: unless the last request completed a checkpoint, they are already.
    if (lastLine(join(crashed, 'audit.log')).event === 'audit.checkpoint') await child.post('/items/60');
    await child.kill();
    assert.equal(lastLine(join(crashed, 'audit.log')).event, 'request', 'the crash left unsigned records');
    assert.ok(logFiles(crashed).length >= 3, 'across rotations');
  });

  it('a genuine kill -9, then a restart: the chain goes on, the restart signs what the crash left, all verifies clean', async () => {
    const dir = copyLog(crashed, join(tempDir(), 'kill-9'));
    const before = await verify(dir);
    assert.deepEqual([errors(before), before.problems.map((p) => p.kind)], [[], ['unsigned_tail']]);
    const child = await startChild(dir, config);
    for (let n = 0; n < 10; n++) assert.equal(await child.post(`/items/late-${n}`), 201);
    await child.stop();
    assert.deepEqual(child.faults(), []);
    const r = await verify(dir);
    assert.deepEqual(r.problems, []);
    assert.equal(r.chains.length, 1);
    assert.deepEqual(
      checkpointsIn(dir)
        .filter((p) => p.reason === 'restart' || p.reason === 'close')
        .map((p) => p.reason),
      ['restart', 'close'],
    );
  });

  it('crash variant: checkpoints stripped from the crashed trail and re-linked, then the service restarted on it', async () => {
    const dir = copyLog(crashed, join(tempDir(), 'kill-9-forged'));
    stripAndRelink(dir, { mutate: hideOne });
    const forged = lastLine(join(dir, 'audit.log')).chain;
    const child = await startChild(dir, config);
    for (let n = 0; n < 10; n++) assert.equal(await child.post(`/items/late-${n}`), 201);
    await child.stop();
    await assertRefused(dir, child.faults(), forged);
  });

  it('a slow writer: records left waiting past checkpointIntervalMs by a busy event loop are not flagged, killed or not', async () => {
    const slow: ChildConfig = { maxSize: 6 * 1024, every: 1000, intervalMs: 10, compress: false };
    const dir = tempDir('auditkit-slow-');
    const child = await startChild(dir, slow);
    // Handlers that hold the event loop, so the checkpoint timer runs late, then a writer that trickles.
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, n) => child.post(`/slow/${n}?ms=40`)));
    assert.deepEqual(new Set(statuses), new Set([201]));
    for (let n = 0; n < 5; n++) {
      assert.equal(await child.post(`/items/${n}`), 201);
      await sleep(30);
    }
    await child.kill();
    assert.deepEqual(errors(await verify(dir)), []);
    const again = await startChild(dir, slow);
    for (let n = 0; n < 3; n++) assert.equal(await again.post(`/items/late-${n}`), 201);
    await again.stop();
    assert.deepEqual(again.faults(), []);
    assert.deepEqual((await verify(dir)).problems, []);
  });
});
