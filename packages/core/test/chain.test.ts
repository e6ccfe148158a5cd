import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../src/shared/canonical.js';
import { AuditEntry } from '../src/record/entry.js';
import { AuditFault } from '../src/shared/errors.js';
import { AuditFileTransport, type AuditFileOptions } from '../src/delivery/file-transport.js';
import { verifyAuditLog } from '../src/integrity/verify.js';

/** RFC 8785 canonical JSON, and the hash chain the file sink writes with it. */

const keys = (type: 'ed25519' | 'p256' = 'ed25519'): { privateKey: KeyObject; publicKey: KeyObject } =>
  type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'auditkit-chain-'));
}

let n = 0;
function batch(count: number): AuditEntry[] {
  return Array.from({ length: count }, () => new AuditEntry(canonicalJson({ aborted: false, event: 'request', id: `r${++n}`, level: 'info', meta: { n } })));
}

async function end(t: AuditFileTransport): Promise<void> {
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
}

async function writeLog(path: string, key: KeyObject, batches: number, options: AuditFileOptions = {}): Promise<void> {
  const t = new AuditFileTransport({ path, chain: { key, checkpointEvery: 10 }, ...options });
  for (let i = 0; i < batches; i++) await t.writeEntries(batch(4));
  await end(t);
}

describe('canonical JSON (RFC 8785)', () => {
  it('matches the reference implementation on awkward values', () => {
    const samples: unknown[] = [
      { b: 2, a: 1, c: { z: [3, { y: 1, x: 2 }], '': 0 } },
      { '10': 1, '2': 2, a: 1, '1': 0, '€': 'e', 'é': 1, '\u0000x': 2, '😀': 3, Z: 4 },
      { numbers: [0, -0, 1e21, 1e-7, 123.456, -1.5e-10, 2 ** 53, 0.1 + 0.2] },
      { strings: ['\n\r\t\b\f', '"\\/', '\u001f\u007f\u2028\u2029', 'ünïcödé', '😀'] },
      [null, true, false, [], {}],
    ];
    for (const s of samples) assert.equal(canonicalJson(s), canonicalize(s), JSON.stringify(s));
  });

  it('RFC 8785 appendix B number examples', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [333333333.3333333, '333333333.3333333'],
      [1.0000000000000002, '1.0000000000000002'],
    ];
    for (const [value, text] of cases) assert.equal(canonicalJson(value), text);
  });
});

describe('hash-chained file sink', () => {
  it('writes a chain that verifies clean, across rotations and gzip, with checkpoints and a final one', async () => {
    const d = dir();
    const { privateKey, publicKey } = keys();
    await writeLog(join(d, 'audit.log'), privateKey, 30, { maxSize: 4 * 1024, compress: true, maxFiles: 0 });
    const report = await verifyAuditLog([d], { key: publicKey });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.ok(report.files.filter((f) => f.endsWith('.gz')).length >= 3, 'rotated and compressed files were verified');
    const [chain] = report.chains;
    assert.equal(report.chains.length, 1);
    assert.equal(chain!.closed, true);
    assert.equal(chain!.signedThrough, chain!.lastSeq);
    assert.ok(report.checkpoints >= 12, `${report.checkpoints} checkpoints`);
    assert.equal(report.records, chain!.records);
    // Each rotated file ends with the checkpoint that closed it, naming it.
    for (const file of report.files.filter((f) => f.endsWith('.gz'))) {
      const last = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').at(-1)!);
      const payload = JSON.parse(Buffer.from(last.checkpoint.split('.')[1], 'base64url').toString());
      assert.deepEqual([payload.reason, payload.file + '.gz'], ['rotation', file.split('/').at(-1)]);
    }
  });

  it('every line is the canonical record behind a fixed header', async () => {
    const d = dir();
    await writeLog(join(d, 'audit.log'), keys().privateKey, 1);
    const lines = readFileSync(join(d, 'audit.log'), 'utf8').trim().split('\n');
    for (const line of lines) {
      const m = /^\{"chain":"[0-9a-f]{32}","seq":\d+,"prev_hash":"[0-9a-f]{64}",(.*),"hash":"[0-9a-f]{64}"\}$/.exec(line);
      assert.ok(m, line.slice(0, 120));
      const { chain, seq, prev_hash, hash, ...record } = JSON.parse(line);
      void chain;
      void seq;
      void prev_hash;
      void hash;
      // canonicalize is a second RFC 8785 implementation, and the hash is the documented formula.
      assert.equal('{' + m[1] + '}', canonicalize(record), 'between header and hash: the canonical record');
      assert.equal(hash, createHash('sha256').update('auditkit-chain-v1\n' + line.slice(0, line.lastIndexOf(',"hash":"'))).digest('hex'), 'the hash covers the prefix and the line before it');
    }
    const first = JSON.parse(lines[0]!);
    assert.deepEqual([first.seq, first.event, first.link, first.prev_hash], [1, 'audit.chain_start', null, '0'.repeat(64)]);
  });

  it('a restart continues the chain and signs what the stopped process left unsigned', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    const first = new AuditFileTransport({ path, chain: { key: privateKey, checkpointEvery: 1000 } });
    await first.writeEntries(batch(5));
    // The process dies: no close, no final checkpoint.
    const second = new AuditFileTransport({ path, chain: { key: privateKey, checkpointEvery: 1000 } });
    await second.writeEntries(batch(5));
    await end(second);
    const report = await verifyAuditLog([path], { key: publicKey });
    assert.deepEqual(report.problems, []);
    assert.equal(report.chains.length, 1, 'one chain through both processes');
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const restart = lines.find((l) => l.event === 'audit.checkpoint' && JSON.parse(Buffer.from(l.checkpoint.split('.')[1], 'base64url').toString()).reason === 'restart');
    assert.ok(restart, 'the restart is recorded');
  });

  it('after a clean close, a restart starts a new chain whose first record links to the old head', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    await writeLog(path, privateKey, 2);
    await writeLog(path, privateKey, 2);
    const report = await verifyAuditLog([path], { key: publicKey });
    assert.deepEqual(report.problems, []);
    assert.equal(report.chains.length, 2);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const starts = lines.filter((l) => l.event === 'audit.chain_start');
    assert.equal(starts.length, 2);
    const oldHead = lines[lines.indexOf(starts[1]) - 1];
    assert.deepEqual(starts[1].link, { chain: oldHead.chain, seq: oldHead.seq, hash: oldHead.hash });
    assert.equal(starts[1].prev_hash, oldHead.hash, 'and is hash-linked to it');
  });

  it('a record cut by a crash stays visible, and the chain goes on after it', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    const first = new AuditFileTransport({ path, chain: { key: privateKey } });
    await first.writeEntries(batch(3));
    appendFileSync(path, '{"chain":"0123","seq":99,"prev_ha');
    const second = new AuditFileTransport({ path, chain: { key: privateKey } });
    await second.writeEntries(batch(3));
    await end(second);
    const report = await verifyAuditLog([path], { key: publicKey });
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.line]),
      // The chain start, its checkpoint, three records, then the cut line.
      [['malformed_line', 6]],
    );
  });

  it('loads the signing key from a file, an environment variable, a JWK or a KeyObject; P-256 works too', async () => {
    const d = dir();
    const ed = keys();
    const ec = keys('p256');
    const pem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(d, 'key.pem'), pem);
    process.env.AUDITKIT_TEST_KEY = pem;
    const sources = [{ file: join(d, 'key.pem') }, { env: 'AUDITKIT_TEST_KEY' }, ed.privateKey.export({ format: 'jwk' }), ed.privateKey];
    for (const [i, key] of sources.entries()) {
      const path = join(d, `audit-${i}.log`);
      const t = new AuditFileTransport({ path, chain: { key: key as never } });
      await t.writeEntries(batch(2));
      await end(t);
      assert.equal((await verifyAuditLog([path], { key: ed.publicKey })).ok, true, `source ${i}`);
    }
    const path = join(d, 'audit-ec.log');
    await writeLog(path, ec.privateKey, 2);
    assert.deepEqual((await verifyAuditLog([path], { key: ec.publicKey.export({ format: 'jwk' }) })).problems, []);
  });

  it('refuses keys that cannot sign checkpoints, at construction', () => {
    const d = dir();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const [key, pattern] of [
      [rsa.privateKey, /cannot be used to sign checkpoints \(a rsa key/],
      [keys().publicKey, /a public key cannot sign/],
      [{ env: 'AUDITKIT_UNSET_VARIABLE' }, /environment variable AUDITKIT_UNSET_VARIABLE is not set/],
    ] as const) {
      assert.throws(() => new AuditFileTransport({ path: join(d, 'a.log'), chain: { key: key as never } }), pattern);
    }
  });
});

type Line = Record<string, unknown> & { chain: string; seq: number; prev_hash: string; hash: string; event: string };

const lines = (path: string): Line[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const payloadOf = (line: Line): Record<string, unknown> => JSON.parse(Buffer.from(String(line.checkpoint).split('.')[1]!, 'base64url').toString());

/** A line as the file holds it, with the hash the documented formula gives for its content and predecessor. */
function serialize(line: Line, prevHash: string): { text: string; hash: string } {
  const { chain, seq, prev_hash: _p, hash: _h, ...record } = line;
  void _p;
  void _h;
  // Forged the way an attacker would, from the documented formula: not with the code under test.
  const part = `{"chain":"${chain}","seq":${seq},"prev_hash":"${prevHash}",${canonicalize(record)!.slice(1, -1)}`;
  const hash = createHash('sha256').update('auditkit-chain-v1\n' + part).digest('hex');
  return { text: `${part},"hash":"${hash}"}`, hash };
}

/** What someone without the key can do to a file: change its lines, then renumber and re-link them all. */
function rewrite(path: string, edit: (lines: Line[]) => Line[]): void {
  const edited = edit(lines(path));
  let prev = edited[0]!.prev_hash;
  let seq = edited[0]!.seq;
  const out: string[] = [];
  for (const [i, line] of edited.entries()) {
    const { text, hash } = serialize({ ...line, seq: i === 0 ? line.seq : ++seq }, prev);
    out.push(text);
    prev = hash;
  }
  writeFileSync(path, out.join('\n') + '\n');
}

/** A writer that stops as a killed process would: no close, and no timer that could still sign. */
async function crashAfter(path: string, key: KeyObject, batches: number[], options: AuditFileOptions = {}): Promise<void> {
  const t = new AuditFileTransport({ path, chain: { key, checkpointEvery: 5, checkpointIntervalMs: 86_400_000 }, ...options });
  for (const size of batches) await t.writeEntries(batch(size));
}

/** Starts a writer on the file, writes a batch and closes; returns the faults it reported. */
async function restart(path: string, key: KeyObject, options: AuditFileOptions = {}): Promise<AuditFault[]> {
  const t = new AuditFileTransport({ path, chain: { key, checkpointEvery: 5 }, ...options });
  const faults: AuditFault[] = [];
  t.on('warn', (f: AuditFault) => faults.push(f));
  await t.writeEntries(batch(3));
  await end(t);
  return faults;
}

describe('what a genuine writer guarantees a verifier', () => {
  it('a chain start is signed at once, and it and every checkpoint state the limits for unsigned records', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const t = new AuditFileTransport({ path, chain: { key: keys().privateKey, checkpointEvery: 10, checkpointIntervalMs: 2500, node: 'api-1' } });
    await t.writeEntries(batch(1));
    await end(t);
    const [start, signed] = lines(path);
    assert.deepEqual([start!.seq, start!.event, start!.checkpoint_every, start!.checkpoint_interval_ms, start!.level], [1, 'audit.chain_start', 10, 2500, 'info']);
    assert.equal(signed!.seq, 2);
    const p = payloadOf(signed!);
    assert.deepEqual(
      [p.reason, p.first_seq, p.last_seq, p.head_hash, p.prev_checkpoint, p.checkpoint_every, p.checkpoint_interval_ms, p.node, p.path],
      ['start', 1, 1, start!.hash, null, 10, 2500, 'api-1', path],
    );
  });

  it('a batch larger than checkpointEvery is cut by checkpoints inside it: never more than the limit unsigned', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const t = new AuditFileTransport({ path, chain: { key: keys().privateKey, checkpointEvery: 10 } });
    const events: Array<{ seq: number; reason: string }> = [];
    t.on('checkpoint', (cp: { seq: number; reason: string }) => events.push({ seq: cp.seq, reason: cp.reason }));
    await t.writeEntries(batch(25));
    await end(t);
    const all = lines(path);
    // start 1, its checkpoint 2, records 3-12, checkpoint 13, records 14-23, checkpoint 24, records 25-29, final 30.
    const checkpoints = all.filter((l) => l.event === 'audit.checkpoint').map((l) => [l.seq, payloadOf(l).reason]);
    assert.deepEqual(checkpoints, [
      [2, 'start'],
      [13, 'count'],
      [24, 'count'],
      [30, 'close'],
    ]);
    assert.deepEqual(events, checkpoints.map(([seq, reason]) => ({ seq, reason })), 'each checkpoint is announced, with its own line');
    assert.equal(all.length, 30);
  });

  it("a crash after a rotation: the restart follows the rotated file's checkpoint, signs the live file's records, and all verifies clean", async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    // checkpointEvery 5 and batches of 4: rotations happen; the live file holds records after the last one.
    await crashAfter(path, privateKey, [4, 4, 4, 4, 4, 4], { maxSize: 2048, maxFiles: 0 });
    assert.ok(readdirSync(d).length >= 3, 'rotated');
    assert.equal(lines(path)[0]!.event, 'request', 'the live file begins with a record, after the rotated file\'s checkpoint');
    assert.deepEqual(await restart(path, privateKey, { maxSize: 2048, maxFiles: 0 }), []);
    const report = await verifyAuditLog([d], { key: publicKey });
    assert.deepEqual(report.problems, []);
    assert.equal(report.chains.length, 1, 'the chain went on');
  });

  it('external rotation (logrotate, then reopen): the moved file ends signed, the new one starts signed, a crash and restart continue the chain', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    const t = new AuditFileTransport({ path, chain: { key: privateKey, checkpointEvery: 50, checkpointIntervalMs: 86_400_000 } });
    await t.writeEntries(batch(3));
    renameSync(path, join(d, 'audit.log.1'));
    await t.reopen();
    await t.writeEntries(batch(3));
    // Killed here; started again.
    assert.deepEqual(await restart(path, privateKey), []);
    const moved = lines(join(d, 'audit.log.1'));
    assert.deepEqual([moved.at(-1)!.event, payloadOf(moved.at(-1)!).reason], ['audit.checkpoint', 'rotation']);
    const live = lines(path);
    assert.deepEqual([live[0]!.event, payloadOf(live[0]!).reason], ['audit.checkpoint', 'reopen']);
    assert.equal(new Set(live.map((l) => l.chain)).size, 1, 'one chain: continued, not broken');
    const report = await verifyAuditLog([path], { key: publicKey });
    assert.deepEqual(report.problems.map((p) => p.kind), ['chain_start_missing'], 'the live file alone: its start is in the moved file');
  });
});

describe('a compression a kill cut short', () => {
  it('the uncompressed twin of a finished .gz and a half-written .gz.tmp are removed at start: no record counted twice', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    await writeLog(path, privateKey, 20, { maxSize: 2048, compress: true, maxFiles: 0 });
    const gz = readdirSync(d).filter((n) => n.endsWith('.log.gz')).sort();
    assert.ok(gz.length >= 2);
    // Killed between renaming the .gz into place and removing the original...
    const [twin, cut] = [gz[0]!, gz[1]!];
    writeFileSync(join(d, twin.slice(0, -3)), gunzipSync(readFileSync(join(d, twin))));
    // ...and, for another file, in the middle of writing the .gz.
    const bytes = readFileSync(join(d, cut));
    writeFileSync(join(d, cut.slice(0, -3)), gunzipSync(bytes));
    writeFileSync(join(d, cut + '.tmp'), bytes.subarray(0, bytes.length >> 1));
    rmSync(join(d, cut));
    assert.ok((await verifyAuditLog([d], { key: publicKey })).problems.some((p) => p.kind === 'inserted_record'), 'the twin shows every record twice');
    assert.deepEqual(await restart(path, privateKey, { maxSize: 2048, compress: true, maxFiles: 0 }), []);
    assert.deepEqual([existsSync(join(d, twin.slice(0, -3))), existsSync(join(d, cut + '.tmp')), existsSync(join(d, cut.slice(0, -3)))], [false, false, true]);
    assert.deepEqual((await verifyAuditLog([d], { key: publicKey })).problems, []);
  });
});

describe('a writer starting on a file signs only what it can vouch for', () => {
  const brokenCases: Array<{ name: string; problem: RegExp; make: (path: string, key: KeyObject) => Promise<void> }> = [
    {
      name: 'checkpoints stripped and the records re-linked (no key needed): no signed checkpoint left',
      problem: /the chain start is not signed/,
      make: async (path, key) => {
        await crashAfter(path, key, [4, 4, 4]);
        rewrite(path, (all) => all.filter((l) => l.event !== 'audit.checkpoint'));
      },
    },
    {
      name: 'the same after a clean close: the final checkpoint stripped too',
      problem: /the chain start is not signed/,
      make: async (path, key) => {
        await writeLog(path, key, 3);
        rewrite(path, (all) => all.filter((l) => l.event !== 'audit.checkpoint'));
      },
    },
    {
      name: 'the checkpoints after the start stripped: more records unsigned than the limit',
      problem: /12 records follow the last checkpoint \(seq 2\), more than the 5 a writer leaves unsigned/,
      make: async (path, key) => {
        await crashAfter(path, key, [4, 4, 4]);
        rewrite(path, (all) => all.filter((l) => l.event !== 'audit.checkpoint' || l.seq === 2));
      },
    },
    {
      name: 'an unsigned record edited, its hash left as it was',
      problem: /the record at seq \d+ does not match its hash/,
      make: async (path, key) => {
        await crashAfter(path, key, [3]);
        const text = readFileSync(path, 'utf8').trim().split('\n');
        text[3] = text[3]!.replace('"id":"r', '"id":"x');
        writeFileSync(path, text.join('\n') + '\n');
      },
    },
    {
      name: 'an unsigned record edited and its own hash recomputed',
      problem: /the link from seq \d+ to seq \d+ is broken/,
      make: async (path, key) => {
        await crashAfter(path, key, [3]);
        const all = lines(path);
        const victim = all.length - 2;
        const text = readFileSync(path, 'utf8').trim().split('\n');
        text[victim] = serialize({ ...all[victim]!, source: 'mallory' }, all[victim]!.prev_hash).text;
        writeFileSync(path, text.join('\n') + '\n');
      },
    },
    {
      name: 'a record with a correct hash appended after the final checkpoint',
      problem: /1 record\(s\) follow the chain's final checkpoint/,
      make: async (path, key) => {
        await writeLog(path, key, 1);
        const last = lines(path).at(-1)!;
        appendFileSync(path, serialize({ chain: last.chain, seq: last.seq + 1, prev_hash: '', hash: '', event: 'request', id: 'forged', level: 'info' }, last.hash).text + '\n');
      },
    },
    {
      name: 'every link recomputed after an edit, the final checkpoint kept: it no longer signs the records before it',
      problem: /the last checkpoint \(seq \d+\) does not sign the records before it/,
      make: async (path, key) => {
        await writeLog(path, key, 3);
        rewrite(path, (all) => all.map((l) => (l.event === 'request' && l.seq === 4 ? { ...l, source: 'mallory' } : l)));
      },
    },
    {
      name: 'checkpoints re-signed with another key',
      problem: /the last checkpoint \(seq \d+\) is not signed by this writer's key/,
      make: async (path) => {
        await crashAfter(path, keys().privateKey, [3]);
      },
    },
  ];

  for (const c of brokenCases) {
    it(`${c.name}: a new chain records the break, a fault is reported, verify reports it`, async () => {
      const d = dir();
      const path = join(d, 'audit.log');
      const { privateKey, publicKey } = keys();
      await c.make(path, privateKey);
      const before = lines(path);
      const old = before.at(-1)!;
      const faults = await restart(path, privateKey);
      assert.deepEqual(
        faults.map((f) => f.code),
        ['AUDITKIT_CHAIN_BROKEN'],
      );
      assert.match(faults[0]!.message, c.problem);
      const after = lines(path);
      const added = after.slice(before.length);
      assert.ok(
        added.every((l) => l.chain !== old.chain),
        'nothing of the old chain is signed or continued',
      );
      const [start] = added;
      assert.deepEqual([start!.event, start!.seq, start!.link, start!.prev_hash, start!.level], ['audit.chain_start', 1, null, '0'.repeat(64), 'warn']);
      const broken = start!.break as Record<string, unknown>;
      assert.deepEqual([broken.chain, broken.seq, broken.hash, broken.file], [old.chain, old.seq, old.hash, 'audit.log']);
      assert.match(String(broken.problem), c.problem);
      const report = await verifyAuditLog([path], { key: publicKey });
      assert.equal(report.ok, false);
      const chainBreak = report.problems.find((p) => p.kind === 'chain_break');
      assert.ok(chainBreak, JSON.stringify(report.problems));
      assert.equal(chainBreak.chain, start!.chain);
      assert.match(chainBreak.message, c.problem);
      const fresh = report.chains.find((ch) => ch.chain === start!.chain)!;
      assert.deepEqual([fresh.closed, fresh.signedThrough], [true, fresh.lastSeq], 'the new chain itself is whole');
    });
  }

  it('a genuine crash, restarted twice: continued each time, never a break', async () => {
    const d = dir();
    const path = join(d, 'audit.log');
    const { privateKey, publicKey } = keys();
    await crashAfter(path, privateKey, [4, 3]);
    await crashAfter(path, privateKey, [2]);
    assert.deepEqual(await restart(path, privateKey), []);
    const report = await verifyAuditLog([path], { key: publicKey });
    assert.deepEqual(report.problems, []);
    assert.equal(report.chains.length, 1);
    assert.deepEqual(
      lines(path)
        .filter((l) => l.event === 'audit.checkpoint')
        .map((l) => payloadOf(l).reason),
      ['start', 'count', 'restart', 'restart', 'close'],
    );
  });
});
