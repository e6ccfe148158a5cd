import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { CompactSign } from 'jose';
import { Auditor, AuditFileTransport, verifyAuditLog, type ProblemKind, type VerifyOptions } from '../src/index.js';

/**
 * One case per kind of damage `verifyAuditLog` names (docs/tamper-evidence.md), each on a copy of a
 * real chained log written through the auditor: the case fails if the kind is no longer reported, or
 * reported under another name. Forged lines are hashed here with the documented formula and the
 * `canonicalize` package (a second RFC 8785 implementation), not with the code under test.
 */

const signer = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
let pristine = '';

type Line = Record<string, unknown> & { chain: string; seq: number; prev_hash: string; hash: string };

const tmp = (prefix = 'auditkit-verify-'): string => mkdtempSync(join(tmpdir(), prefix));

/** The log's files in trail order: rotated files by their stamp, the live file last. */
function files(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('audit'))
    .sort((a, b) => (a === 'audit.log' ? 1 : b === 'audit.log' ? -1 : a < b ? -1 : 1))
    .map((f) => join(dir, f));
}
const readLines = (file: string): string[] => readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
const writeLines = (file: string, lines: string[]): void => writeFileSync(file, lines.length ? lines.join('\n') + '\n' : '');
const parse = (line: string): Line => JSON.parse(line) as Line;

/** A line as the writer lays it out, with its hash per the documented formula. */
function forge(line: Omit<Line, 'hash'>, prevHash: string): { text: string; hash: string } {
  const { chain, seq, prev_hash: _p, hash: _h, ...record } = line as Line;
  void _p;
  void _h;
  const part = `{"chain":"${chain}","seq":${seq},"prev_hash":"${prevHash}",${canonicalize(record)!.slice(1, -1)}`;
  const hash = createHash('sha256').update('auditkit-chain-v1\n' + part).digest('hex');
  return { text: `${part},"hash":"${hash}"}`, hash };
}

const isCheckpoint = (l: Line): boolean => l.event === 'audit.checkpoint';
const payloadOf = (l: Line): Record<string, unknown> => JSON.parse(Buffer.from(String(l.checkpoint).split('.')[1]!, 'base64url').toString());

function copy(): string {
  const dir = tmp();
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

async function kinds(paths: string[], options: VerifyOptions = { key: signer.publicKey }): Promise<{ errors: ProblemKind[]; warnings: ProblemKind[] }> {
  const report = await verifyAuditLog(paths, options);
  const of = (s: 'error' | 'warning') => [...new Set(report.problems.filter((p) => p.severity === s).map((p) => p.kind))].sort();
  return { errors: of('error'), warnings: of('warning') };
}

/** A request-like record in the middle of a rotated file, followed by another record. */
function middle(lines: string[]): number {
  for (let i = 1; i < lines.length - 1; i++) if (!isCheckpoint(parse(lines[i]!)) && parse(lines[i]!).event === 'pin.verify' && parse(lines[i + 1]!).event === 'pin.verify') return i;
  throw new Error('no middle record');
}

/** Rewrites every line from `from` (a flat index over all files) on, re-linking each to the one before, and re-signing checkpoints with `key` when given. */
async function relinkFrom(dir: string, edit: (all: Line[]) => void, key?: KeyObject): Promise<void> {
  const perFile = files(dir).map((f) => readLines(f).map(parse));
  const all = perFile.flat();
  edit(all);
  let prev = all[0]!.prev_hash;
  let lastJws: string | null = null;
  const out: string[] = [];
  for (let line of all) {
    if (key && isCheckpoint(line)) {
      const payload = { ...payloadOf(line), head_hash: prev, prev_checkpoint: lastJws === null ? null : createHash('sha256').update(lastJws).digest('hex') };
      const header = JSON.parse(Buffer.from(String(line.checkpoint).split('.')[0]!, 'base64url').toString());
      line = { ...line, checkpoint: await new CompactSign(new TextEncoder().encode(canonicalize(payload)!)).setProtectedHeader(header).sign(key) };
    }
    if (isCheckpoint(line)) lastJws = String(line.checkpoint);
    const { text, hash } = forge(line, prev);
    out.push(text);
    prev = hash;
  }
  let at = 0;
  for (const [i, f] of files(dir).entries()) {
    writeLines(f, out.slice(at, at + perFile[i]!.length));
    at += perFile[i]!.length;
  }
}

before(async () => {
  pristine = tmp('auditkit-verify-pristine-');
  const sink = new AuditFileTransport({ path: join(pristine, 'audit.log'), maxSize: 8192, maxFiles: 0, chain: { key: signer.privateKey, checkpointEvery: 5 } });
  const auditor = new Auditor({ sinks: [sink] });
  for (let i = 0; i < 30; i++) await auditor.event('pin.verify', { meta: { n: i } });
  await auditor.close();
  assert.ok(files(pristine).length >= 3, 'the log rotated');
});

describe('verifyAuditLog: one case per kind of damage', () => {
  it('the untouched log: no problem at all', async () => {
    assert.deepEqual(await kinds([pristine]), { errors: [], warnings: [] });
  });

  it('modified_record: one character of a record changed', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    const i = middle(lines);
    lines[i] = lines[i]!.replace('"n":', '"n":1');
    writeLines(f, lines);
    assert.deepEqual(await kinds([dir]), { errors: ['modified_record'], warnings: [] });
  });

  it('deleted_records: a record removed from the middle of a file', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    lines.splice(middle(lines), 1);
    writeLines(f, lines);
    assert.deepEqual(await kinds([dir]), { errors: ['deleted_records'], warnings: [] });
  });

  it('inserted_record: a second line claiming a seq already taken', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    const i = middle(lines);
    const twin = parse(lines[i]!);
    lines.splice(i + 1, 0, forge({ ...twin, meta: { n: -1 } }, twin.prev_hash).text);
    writeLines(f, lines);
    assert.deepEqual(await kinds([dir]), { errors: ['inserted_record'], warnings: [] });
  });

  it('reordered_records: two records swapped', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    const i = middle(lines);
    [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
    writeLines(f, lines);
    assert.deepEqual(await kinds([dir]), { errors: ['reordered_records'], warnings: [] });
  });

  it('missing_file: a rotated file deleted from the middle', async () => {
    const dir = copy();
    rmSync(files(dir)[1]!);
    assert.deepEqual(await kinds([dir]), { errors: ['missing_file'], warnings: [] });
  });

  it('truncated_tail: the live file cut in the middle of its last line', async () => {
    const dir = copy();
    const f = files(dir).at(-1)!;
    truncateSync(f, statSync(f).size - 40);
    assert.deepEqual(await kinds([dir]), { errors: ['truncated_tail'], warnings: ['unsigned_tail'] });
  });

  it('malformed_line: a line in the middle that is not JSON', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    lines[middle(lines)] = 'not a record {';
    writeLines(f, lines);
    // The line's seq is gone with its JSON, so the seqs around it have a gap too.
    assert.deepEqual(await kinds([dir]), { errors: ['deleted_records', 'malformed_line'], warnings: [] });
  });

  it('bad_signature: a checkpoint signature altered', async () => {
    const dir = copy();
    const f = files(dir)[1]!;
    const lines = readLines(f);
    const i = lines.findIndex((l) => isCheckpoint(parse(l)));
    const line = parse(lines[i]!);
    const [h, p, s] = String(line.checkpoint).split('.') as [string, string, string];
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    lines[i] = forge({ ...line, checkpoint: `${h}.${p}.${flipped}` }, line.prev_hash).text;
    writeLines(f, lines);
    // The line's own hash is recomputed, so the next link breaks, and the next checkpoint no longer follows this one.
    assert.deepEqual(await kinds([dir]), { errors: ['bad_signature', 'missing_checkpoint', 'modified_record'], warnings: [] });
  });

  it('key_mismatch: verified against another public key', async () => {
    // No checkpoint verifies, so the records after the last good one are an unsigned tail besides.
    assert.deepEqual(await kinds([pristine], { key: stranger.publicKey }), { errors: ['key_mismatch'], warnings: ['unsigned_tail'] });
  });

  it('checkpoint_mismatch: a record changed and every link after it recomputed', async () => {
    const dir = copy();
    await relinkFrom(dir, (all) => {
      const i = all.findIndex((l) => l.event === 'pin.verify' && (l.meta as { n: number }).n === 12);
      all[i] = { ...all[i]!, meta: { n: 1200 } };
    });
    assert.deepEqual(await kinds([dir]), { errors: ['checkpoint_mismatch'], warnings: ['unsigned_tail'] });
  });

  it('missing_checkpoint: a checkpoint removed by someone holding the signing key, the chain re-signed around it', async () => {
    const dir = copy();
    await relinkFrom(
      dir,
      (all) => {
        // A count checkpoint in the middle of a file (not a rotation or close one) becomes an ordinary record.
        const i = all.findIndex((l, n) => n > 10 && isCheckpoint(l) && payloadOf(l).reason === 'count');
        const { checkpoint: _c, ...rest } = all[i]!;
        void _c;
        all[i] = { ...rest, event: 'pin.verify', meta: { n: -2 } } as Line;
      },
      signer.privateKey,
    );
    assert.deepEqual(await kinds([dir]), { errors: ['missing_checkpoint'], warnings: [] });
  });

  it('records_after_final: a correctly hashed line appended after the closing checkpoint', async () => {
    const dir = copy();
    const f = files(dir).at(-1)!;
    const last = parse(readLines(f).at(-1)!);
    const { checkpoint: _c, ...rest } = last;
    void _c;
    appendFileSync(f, forge({ ...rest, seq: last.seq + 1, event: 'pin.verify', meta: { n: 99 } } as Line, last.hash).text + '\n');
    assert.deepEqual(await kinds([dir]), { errors: ['records_after_final'], warnings: [] });
  });

  it('unsigned_records: every checkpoint stripped, seqs and links recomputed', async () => {
    const dir = copy();
    const perFile = files(dir).map((f) => readLines(f).map(parse));
    let prev = perFile[0]![0]!.prev_hash;
    let seq = 0;
    for (const [i, f] of files(dir).entries()) {
      const out: string[] = [];
      for (const line of perFile[i]!) {
        if (isCheckpoint(line) && seq > 0) continue;
        const { text, hash } = forge({ ...line, seq: ++seq }, prev);
        out.push(text);
        prev = hash;
      }
      writeLines(f, out);
    }
    assert.deepEqual(await kinds([dir]), { errors: ['unsigned_records'], warnings: [] });
  });

  it('chain_break: the last record changed and re-linked, then the service restarted on the file', async () => {
    const dir = copy();
    // Hashes consistent again, but the closing checkpoint no longer signs what precedes it.
    await relinkFrom(dir, (all) => {
      const i = all.length - 2;
      all[i] = { ...all[i]!, meta: { n: 700 } };
    });
    const sink = new AuditFileTransport({ path: join(dir, 'audit.log'), maxSize: 8192, maxFiles: 0, chain: { key: signer.privateKey, checkpointEvery: 5 } });
    const warnings: string[] = [];
    sink.on('warn', (f: { code: string }) => warnings.push(f.code));
    const auditor = new Auditor({ sinks: [sink] });
    auditor.on('fault', () => undefined);
    await auditor.event('pin.verify', { meta: { n: 100 } });
    await auditor.close();
    assert.deepEqual(warnings, ['AUDITKIT_CHAIN_BROKEN']);
    assert.deepEqual(await kinds([dir]), { errors: ['chain_break', 'checkpoint_mismatch'], warnings: ['unsigned_tail'] });
  });

  it('truncated (external copy): the end cut off, final checkpoint included', async () => {
    const dir = copy();
    const copyFile = join(tmp(), 'anchors.log');
    writeFileSync(copyFile, files(dir).flatMap((f) => readLines(f)).filter((l) => isCheckpoint(parse(l))).map((l) => `<134>1 - api-1 billing - - - ${l}`).join('\n') + '\n');
    const f = files(dir).at(-1)!;
    rmSync(f);
    const newest = files(dir).at(-1)!;
    writeLines(newest, readLines(newest).slice(0, -2));
    assert.deepEqual(await kinds([dir], { key: signer.publicKey, anchors: [copyFile] }), { errors: ['truncated', 'unsigned_records'], warnings: [] });
  });

  it('rewritten (external copy): a record changed and the chain re-signed by someone holding the key', async () => {
    const dir = copy();
    const copyFile = join(tmp(), 'anchors.log');
    writeFileSync(copyFile, files(dir).flatMap((f) => readLines(f)).filter((l) => isCheckpoint(parse(l))).join('\n') + '\n');
    await relinkFrom(
      dir,
      (all) => {
        const i = all.findIndex((l) => l.event === 'pin.verify' && (l.meta as { n: number }).n === 12);
        all[i] = { ...all[i]!, meta: { n: 1200 } };
      },
      signer.privateKey,
    );
    assert.deepEqual(await kinds([dir]), { errors: [], warnings: [] }, 'the files alone look whole: whoever holds the key can rewrite them');
    assert.deepEqual(await kinds([dir], { key: signer.publicKey, anchors: [copyFile] }), { errors: ['rewritten'], warnings: [] });
  });
});

describe('verifyAuditLog: what is a warning, not damage', () => {
  it('unsigned_tail: records after the last checkpoint, within the writer\'s limit (a crash)', async () => {
    const dir = copy();
    const f = files(dir).at(-1)!;
    writeLines(f, readLines(f).slice(0, -1));
    assert.deepEqual(await kinds([dir]), { errors: [], warnings: ['unsigned_tail'] });
  });

  it('unsigned_tail is damage with requireSigned', async () => {
    const dir = copy();
    const f = files(dir).at(-1)!;
    writeLines(f, readLines(f).slice(0, -1));
    assert.deepEqual(await kinds([dir], { key: signer.publicKey, requireSigned: true }), { errors: ['unsigned_tail'], warnings: [] });
  });

  it('chain_start_missing: only the newer files given (older ones removed by retention)', async () => {
    assert.deepEqual(await kinds(files(pristine).slice(2)), { errors: [], warnings: ['chain_start_missing'] });
  });

  it('no_key: nothing checked the signatures', async () => {
    assert.deepEqual(await kinds([pristine], {}), { errors: [], warnings: ['no_key'] });
  });

  it('no_chain: a file with no chained record is not tamper-evident, and says so', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), '{"event":"request","id":"1"}\n');
    // A file of plain records was written without a chain: said once for the file (issue 11), not
    // as one malformed_line per record.
    assert.deepEqual(await kinds([dir]), { errors: ['no_chain'], warnings: [] });
  });

  it('no_chain: a file of plain records beside a chained log is named, not passed over', async () => {
    // A trail's file swapped for one written without a chain: the chained files alone verify.
    const dir = copy();
    writeFileSync(join(dir, 'plain.log'), '{"event":"request","id":"1"}\n{"event":"request","id":"2"}\n');
    const report = await verifyAuditLog([dir], { key: signer.publicKey });
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.severity, p.file]),
      [['no_chain', 'error', join(dir, 'plain.log')]],
    );
  });

  it('no_chain: an empty log, or one of blank lines, does not verify as intact', async () => {
    // What is left when a trail is emptied in place (truncate -s 0): nothing to check is not a pass.
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), '');
    writeFileSync(join(dir, 'blank.log'), '\n\n');
    const report = await verifyAuditLog([dir], { key: signer.publicKey });
    assert.equal(report.ok, false);
    assert.deepEqual(await kinds([dir]), { errors: ['no_chain'], warnings: [] });
  });
});
