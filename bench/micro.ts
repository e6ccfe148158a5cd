/**
 * The micro benchmarks behind `pnpm bench` (also runnable alone: `pnpm --filter @auditkit/bench micro`):
 * - record build: begin + complete of one audited POST (~1 KB JSON body, JWT, redaction, serialisation)
 *   into a sink that accepts at once, so only the core's per-request work is timed (ns/op); the same
 *   with the value detectors off (`redact.detectors: false`, the path before issue 17), and with a
 *   record that holds secrets for them to find, so the cost of the detectors is measured in the same run
 *   (docs/benchmarks-redaction.md);
 * - pipeline: records/s built by the core and written to the file sink, without and with the hash chain;
 * - verify: records/s of verifyAuditLog over the chained file.
 * Runs are interleaved; medians are printed as one JSON line (the driver reads it).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auditor, verifyAuditLog, type AuditOptions } from '@auditkit/core';
import { NullTransport } from './lib/null-transport.js';
import { BODY, HEADERS, produce } from './lib/produce.js';

const RUNS = Number(process.env.MICRO_RUNS ?? 5);
const BUILD_N = 50_000;
const PIPE_N = Number(process.env.RECORDS ?? 100_000);

const binding = { setHeader() {}, watchCompletion() {} };
/** A body whose strings hold what the detectors look for: a card, a connection URL, a token, a JWT. */
const SECRET_BODY = {
  ...BODY,
  note: 'card 4242424242424242, db postgres://app:pw-123456@db:5432/prod',
  comment: 'token ghp_T2VyMWYZZrwOUSGDvUc9XZ0Kl6TVzyjYHAPB and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln',
};

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

/**
 * The cost of the value detectors: the same record built by auditors with and without them, in
 * alternating slices of 256, so both see the same load on a shared machine. Each variant's figure is
 * its median slice (ns/op), and the difference is taken slice pair by slice pair.
 */
async function detectorCost(body: object): Promise<{ on: number; off: number; added: number }> {
  const make = (options: AuditOptions): { auditor: Auditor; sink: NullTransport } => {
    const sink = new NullTransport();
    return { sink, auditor: new Auditor({ ...options, transports: [sink], queue: { max: BUILD_N * 4, batch: 512 } }) };
  };
  const variants = [make({}), make({ redact: { detectors: false } })];
  const headers = { ...HEADERS, authorization: `Bearer ${JWT}` };
  const slices: number[][] = [[], []];
  const SLICE = 256;
  for (let i = 0; i < BUILD_N; i += SLICE) {
    for (const [v, { auditor }] of variants.entries()) {
      const t = process.hrtime.bigint();
      for (let j = i; j < i + SLICE; j++) {
        const ctx = auditor.begin({ method: 'POST', headers, remoteAddress: '127.0.0.1' }, binding, {});
        ctx.complete({ route: '/api/users/:id', params: { id: String(j) }, query: {}, body, statusCode: 201, aborted: false, headersSent: true });
      }
      slices[v]!.push(Number(process.hrtime.bigint() - t) / SLICE);
      await new Promise((r) => setImmediate(r));
    }
  }
  for (const { auditor } of variants) await auditor.close();
  const added = slices[0]!.map((on, k) => on - slices[1]![k]!);
  return { on: median(slices[0]!), off: median(slices[1]!), added: median(added) };
}

const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
export const JWT = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', exp: 4102444800 })}.c2lnbmF0dXJl`;

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = {
  buildNs: [] as number[],
  detectorsOnNs: [] as number[],
  detectorsOffNs: [] as number[],
  detectorsAddedNs: [] as number[],
  secretsOnNs: [] as number[],
  secretsOffNs: [] as number[],
  secretsAddedNs: [] as number[],
  pipe: [] as number[],
  pipeChain: [] as number[],
  verify: [] as number[],
};
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-micro-'));
  try {
    runs.buildNs.push(await buildNsPerOp());
    const typical = await detectorCost(BODY);
    runs.detectorsOnNs.push(typical.on);
    runs.detectorsOffNs.push(typical.off);
    runs.detectorsAddedNs.push(typical.added);
    const secrets = await detectorCost(SECRET_BODY);
    runs.secretsOnNs.push(secrets.on);
    runs.secretsOffNs.push(secrets.off);
    runs.secretsAddedNs.push(secrets.added);
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
