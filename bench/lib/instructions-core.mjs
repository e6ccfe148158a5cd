// The core's part of bench/instructions.mjs: `node instructions-core.mjs <variant> <count>` builds
// `count` records of the benchmark's POST through the built core, as a server would (a turn of the
// event loop every 8 requests, so batches form as under load), then closes the auditor.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auditor, AuditTransport } from '@auditkit/core';
import { POST } from './request.mjs';

const [variant = 'auditkit', countText = '1000'] = process.argv.slice(2);
const count = Number(countText);
const dir = mkdtempSync(join(tmpdir(), 'auditkit-instructions-'));
const path = join(dir, 'audit.log');

class Discard extends AuditTransport {
  sinkName = 'discard';
  async writeEntries() {}
  async closeSink() {}
}
const options =
  variant === 'auditkit-chain'
    ? { file: { path, maxFiles: 0, chain: { key: generateKeyPairSync('ed25519').privateKey } } }
    : variant === 'auditkit-null'
      ? { transports: [new Discard()] }
      : { file: { path, maxFiles: 0 } };
const auditor = new Auditor(options);
const binding = { setHeader() {}, watchCompletion() {} };
// What a server's request carries: Node's lower-cased headers, and a body the parser made anew.
const headers = { host: '127.0.0.1:3000', connection: 'keep-alive', ...POST.headers, 'content-length': String(Buffer.byteLength(POST.body)) };
for (let i = 0; i < count; i++) {
  const ctx = auditor.begin({ method: 'POST', headers: { ...headers }, remoteAddress: '127.0.0.1' }, binding, {});
  ctx.complete({ route: '/api/users/:id', params: { id: '42' }, query: {}, body: JSON.parse(POST.body), statusCode: 201, aborted: false, headersSent: true });
  if (i % 8 === 7) await new Promise((r) => setImmediate(r));
}
await auditor.close({ timeoutMs: 600_000 });
rmSync(dir, { recursive: true, force: true });
