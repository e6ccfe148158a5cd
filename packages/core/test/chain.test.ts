import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../src/canonical.js';
import { AuditEntry } from '../src/entry.js';
import { AuditFileTransport, type AuditFileOptions } from '../src/file-transport.js';
import { verifyAuditLog } from '../src/verify.js';

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
      assert.equal('{' + m[1] + '}', canonicalJson(record), 'between header and hash: the canonical record');
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
