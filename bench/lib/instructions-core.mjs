// The core's part of bench/instructions.mjs: `node instructions-core.mjs <variant> <warmup> <count>`
// builds `warmup`, then `count` records of the benchmark's POST through the built core, as a server
// would, in batches of 32 (about what a turn of the event loop holds under the benchmark's 50
// connections), then closes the auditor.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POST } from './request.mjs';

// AUDITKIT_CORE: another build of the core (a copy of packages/core/dist), for an A/B in one session.
const { Auditor, AuditFileTransport, AuditTransport } = await import(process.env.AUDITKIT_CORE ?? '@auditkit/core');

const [variant = 'auditkit', warmupText = '3000', countText = '2000'] = process.argv.slice(2);
const warmup = Number(warmupText);
const count = Number(countText);
const BATCH = 32;
const dir = mkdtempSync(join(tmpdir(), 'auditkit-instructions-'));
const path = join(dir, 'audit.log');

class Discard extends AuditTransport {
  sinkName = 'discard';
  async writeEntries() {}
  async closeSink() {}
}
// The file sink built here rather than from `file:`, so the loop can wait for its writes (whenIdle).
const sink =
  variant === 'auditkit-null'
    ? new Discard()
    : new AuditFileTransport({ path, maxFiles: 0, ...(variant === 'auditkit-chain' ? { chain: { key: generateKeyPairSync('ed25519').privateKey } } : {}) });
const auditor = new Auditor({ sinks: [sink] });
const binding = { setHeader() {}, watchCompletion() {} };
// What a server's request carries: Node's lower-cased headers, and a body the parser made anew.
const headers = { host: '127.0.0.1:3000', connection: 'keep-alive', ...POST.headers, 'content-length': String(Buffer.byteLength(POST.body)) };
const message = (type) => new Promise((resolve) => process.once('message', (m) => (m === type ? resolve() : undefined)));
async function requests(n) {
  for (let i = 0; i < n; i++) {
    const ctx = auditor.begin({ method: 'POST', headers: { ...headers }, remoteAddress: '127.0.0.1' }, binding, {});
    ctx.complete({ route: '/api/users/:id', params: { id: '42' }, query: {}, body: JSON.parse(POST.body), statusCode: 201, aborted: false, headersSent: true });
    // Batches of BATCH records, each written before the next begins: batch sizes then do not depend on
    // when the thread pool finishes a write, and waiting costs no instructions (it is spent in epoll).
    if ((i + 1) % BATCH === 0) {
      await new Promise((r) => setImmediate(r));
      if (sink.whenIdle) await sink.whenIdle();
    }
  }
  await new Promise((r) => setImmediate(r));
  if (sink.whenIdle) await sink.whenIdle();
}
await requests(warmup);
// Under bench/instructions.mjs: counting runs between `warm` and `done`. Alone: straight through.
if (process.send) {
  process.send({ type: 'warm' });
  await message('go');
}
await requests(count);
if (process.send) {
  process.send({ type: 'done' });
  await message('close');
}
await auditor.close({ timeoutMs: 600_000 });
rmSync(dir, { recursive: true, force: true });
