// A paced, open-loop load for latency: one request every 1/rate seconds, on a fixed schedule, over a
// few keep-alive connections. Each latency runs from the request's scheduled time to the end of its
// response, in microseconds, so a request that waits for a free connection counts its wait.
// (autocannon's own rate limit sends each second's quota in a burst and reports whole milliseconds.)
// The first second warms this client up (its JIT, its connections): its requests are sent and counted
// but their latencies are not recorded.
import http from 'node:http';

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);

export async function paced({ url, method, body, headers, duration, rate, connections = 8 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(body);
  const allHeaders = { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) };
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let pending = 0;
  let recordFrom = 0n;
  const send = (scheduled) => {
    pending++;
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method, headers: allHeaders, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (scheduled >= recordFrom) latencies.push(Number(process.hrtime.bigint() - scheduled) / 1000);
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else non2xx++;
        pending--;
      });
    });
    req.on('error', () => {
      errors++;
      pending--;
    });
    req.end(payload);
  };
  const intervalNs = BigInt(Math.round(1e9 / rate));
  const start = process.hrtime.bigint();
  recordFrom = start + 1_000_000_000n;
  const end = recordFrom + BigInt(Math.round(duration * 1e9));
  let next = start;
  await new Promise((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      while (next <= now && next < end) {
        send(next);
        next += intervalNs;
      }
      if (next < end) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  while (pending > 0) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const ms = (us) => Math.round(us) / 1000;
  return {
    duration: duration + 1,
    ok,
    non2xx,
    errors,
    timeouts: 0,
    p50: ms(percentile(sorted, 0.5)),
    p99: ms(percentile(sorted, 0.99)),
    p99_9: ms(percentile(sorted, 0.999)),
  };
}
