/**
 * The micro benchmarks behind `pnpm bench` (also runnable alone: `pnpm --filter @auditkit/bench micro`):
 * - record build: begin + complete of one audited POST (~1 KB JSON body, JWT, redaction, serialisation)
 *   into a sink that accepts at once, so only the core's per-request work is timed (ns/op);
 * - pipeline: records/s built by the core and written to the file sink, without and with the hash chain;
 * - verify: records/s of verifyAuditLog over the chained file.
 * Runs are interleaved; medians are printed as one JSON line (the driver reads it).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auditor, verifyAuditLog } from '@auditkit/core';
import { NullTransport } from './lib/null-transport.js';
import { BODY, HEADERS, produce } from './lib/produce.js';

const RUNS = Number(process.env.MICRO_RUNS ?? 5);
const BUILD_N = 50_000;
const PIPE_N = Number(process.env.RECORDS ?? 100_000);

const binding = { setHeader() {}, watchCompletion() {} };
async function buildNsPerOp(): Promise<number> {
  const sink = new NullTransport();
  const auditor = new Auditor({ transports: [sink], queue: { max: BUILD_N * 2, batch: 512 } });
  const headers = { ...HEADERS, authorization: `Bearer ${JWT}` };
  let spent = 0n;
  for (let i = 0; i < BUILD_N; i += 512) {
    const t = process.hrtime.bigint();
    for (let j = i; j < Math.min(i + 512, BUILD_N); j++) {
      const ctx = auditor.begin({ method: 'POST', headers, remoteAddress: '127.0.0.1' }, binding, {});
      ctx.complete({ route: '/api/users/:id', params: { id: String(j) }, query: {}, body: BODY, statusCode: 201, aborted: false, headersSent: true });
    }
    spent += process.hrtime.bigint() - t;
    // Delivery (into the null sink) runs between slices and is not timed.
    await new Promise((r) => setImmediate(r));
  }
  await auditor.close();
  if (sink.written !== BUILD_N) throw new Error(`null sink got ${sink.written} of ${BUILD_N}`);
  return Number(spent) / BUILD_N;
}

const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
export const JWT = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', exp: 4102444800 })}.c2lnbmF0dXJl`;

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = { buildNs: [] as number[], pipe: [] as number[], pipeChain: [] as number[], verify: [] as number[] };
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-micro-'));
  try {
    runs.buildNs.push(await buildNsPerOp());
    runs.pipe.push((await produce({ file: join(dir, 'plain.log') }, PIPE_N)).perSecond);
    runs.pipeChain.push((await produce({ file: { path: join(dir, 'chain', 'audit.log'), chain: { key: privateKey } } }, PIPE_N)).perSecond);
    const started = performance.now();
    const report = await verifyAuditLog([join(dir, 'chain')], { key: publicKey });
    if (!report.ok) throw new Error(`verify found problems: ${JSON.stringify(report.problems.slice(0, 3))}`);
    runs.verify.push(report.records / ((performance.now() - started) / 1000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stderr.write(`micro run ${r + 1}/${RUNS}: ${JSON.stringify(Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, Math.round(v.at(-1)!)])))}\n`);
}
process.stdout.write(`${JSON.stringify({ runs: RUNS, records: PIPE_N, ...Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) })}\n`);
