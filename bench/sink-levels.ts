/**
 * What issue 19's choices cost per record, run by hand (`pnpm --filter @auditkit/bench exec tsx sink-levels.ts`):
 * - record build (begin + complete of one audited POST, ~900-byte body, into a sink that accepts at
 *   once) at each level of detail, `request` (today's record) being the baseline;
 * - delivery through a null sink with and without `select` and `fields`: the per-record cost of
 *   selecting and of writing the sink's own line with its fields.
 * Runs are interleaved; medians are printed as one JSON line. Results: docs/benchmarks-sinks.md.
 */
import { Auditor, type AuditOptions, type SinkOptions } from '@auditkit/core';
import { NullTransport } from './lib/null-transport.js';
import { BODY, HEADERS } from './lib/produce.js';

const RUNS = Number(process.env.RUNS ?? 5);
const N = Number(process.env.RECORDS ?? 30_000);
const RESPONSE = { id: '42', name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'billing'], bio: 'y'.repeat(300) };

const binding = { setHeader() {}, watchCompletion() {} };

/** ns per record: building it (timed) and, between slices, delivering it (timed too when `withDelivery`). */
async function nsPerRecord(options: AuditOptions, withDelivery: boolean): Promise<number> {
  const auditor = new Auditor({ ...options, queue: { max: N * 2, batch: 512 } });
  const started = process.hrtime.bigint();
  let spent = 0n;
  for (let i = 0; i < N; i += 512) {
    const t = process.hrtime.bigint();
    for (let j = i; j < Math.min(i + 512, N); j++) {
      const ctx = auditor.begin({ method: 'POST', headers: HEADERS, remoteAddress: '127.0.0.1' }, binding, {});
      ctx.complete({
        route: '/api/users/:id',
        params: { id: String(j) },
        query: {},
        body: BODY,
        statusCode: 201,
        aborted: false,
        headersSent: true,
        response: { body: RESPONSE, contentType: 'application/json', contentLength: 420, contentEncoding: undefined },
      });
    }
    spent += process.hrtime.bigint() - t;
    await new Promise((r) => setImmediate(r));
  }
  await auditor.close();
  const total = process.hrtime.bigint() - started;
  return Number(withDelivery ? total : spent) / N;
}

const sink = (extra: Omit<SinkOptions, 'transport'> = {}): AuditOptions => ({ sinks: [{ transport: new NullTransport(), ...extra }] });
const cases: Record<string, () => Promise<number>> = {
  'build, level metadata': () => nsPerRecord({ ...sink(), level: 'metadata' }, false),
  'build, level request (baseline)': () => nsPerRecord({ ...sink(), level: 'request' }, false),
  'build, level request-response': () => nsPerRecord({ ...sink(), level: 'request-response' }, false),
  'build+deliver, plain sink (baseline)': () => nsPerRecord(sink(), true),
  'build+deliver, select { result: failure } (takes none)': () => nsPerRecord(sink({ select: { result: 'failure' } }), true),
  'build+deliver, fields (3)': () => nsPerRecord(sink({ fields: { environment: 'prod', cluster: 'eu-1', service: 'billing' } }), true),
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < RUNS; r++) for (const [name, run] of Object.entries(cases)) samples[name]!.push(await run());
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]))));
