import { Auditor, type AdapterBinding, type AuditOptions } from '@auditkit/core';

/**
 * The record a benchmark pushes: a POST with a ~900-byte JSON body (password, token, email, nested
 * address), built by the core as a request would build it, redaction included.
 */
export const BODY = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'hunter2',
  token: 'abc.def.ghi',
  address: { street: '1 Main St', city: 'London', zip: 'N1' },
  bio: 'x'.repeat(600),
};
export const HEADERS = { host: 'api.example.com', 'content-type': 'application/json', 'content-length': '900', authorization: 'Bearer abc', 'user-agent': 'bench/1.0' };
const binding: AdapterBinding<object> = { setHeader() {}, watchCompletion() {} };

/** Builds `count` records into an auditor with `options` and closes it; returns records per second, delivery included. */
export async function produce(options: AuditOptions, count: number): Promise<{ perSecond: number; auditor: Auditor }> {
  const auditor = new Auditor({ ...options, queue: { max: count * 2, batch: 512 } });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const ctx = auditor.begin({ method: 'POST', headers: HEADERS, remoteAddress: '127.0.0.1' }, binding, {});
    ctx.complete({ route: '/api/users/:id', params: { id: String(i) }, query: {}, body: BODY, statusCode: 201, aborted: false, headersSent: true });
    // Let the writer run now and then, as an event loop serving requests would.
    if (i % 512 === 0) await new Promise((r) => setImmediate(r));
  }
  await auditor.close({ timeoutMs: 600_000 });
  return { perSecond: count / ((performance.now() - started) / 1000), auditor };
}
