import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * 20,000 requests through an audited Express app (its own process) while its only sink is slow: a
 * real TCP syslog peer that reads a chunk, then stops reading for a while. Accounting must balance,
 * memory must stay bounded by the queue, and request latency must not follow the sink's slowness:
 * it is compared with the same load against a fast sink (a local file) in the same run.
 */

/** A syslog receiver that reads slowly; it answers our FIN once it has read everything (confirmation). */
async function slowPeer(pauseMs: number) {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Records received, parsed from the octet-counted frames. */
    records(): Array<Record<string, any>> {
      const data = Buffer.concat(chunks);
      const out: Array<Record<string, any>> = [];
      for (let at = 0; at < data.length; ) {
        const space = data.indexOf(0x20, at);
        const len = Number(data.subarray(at, space).toString());
        const msg = data.subarray(space + 1, space + 1 + len).toString('utf8');
        out.push(JSON.parse(msg.slice(msg.indexOf('\ufeff') + 1)));
        at = space + 1 + len;
      }
      return out;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface SinkStats {
  accepted: number;
  written: number;
  dropped: number;
}

/** Apps still running: a test that fails midway must not leave its app (and this file) running. */
const running = new Set<ReturnType<typeof spawn>>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

async function runApp(sink: string, max: number) {
  const script = fileURLToPath(new URL('./fixtures/load-app.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--import', import.meta.resolve('tsx'), script, sink, String(max)], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor(() => out.includes('listening'), 20_000, 'the app');
  const url = /(http:\/\/\S+)/.exec(out)![1]!;
  return {
    url,
    /** Counters, and the heap after a full garbage collection: what the app really retains. */
    stats: async () => (await fetch(`${url}/stats?gc`)).json() as Promise<{ sink: SinkStats; peakHeap: number; heap: number }>,
    async stop(): Promise<SinkStats> {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(/final (.*)/.exec(out)![1]!).sink as SinkStats;
    },
  };
}

async function load(url: string, total: number, concurrency: number, onHalf?: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      if (n === total / 2 && onHalf) await onHalf();
      const started = performance.now();
      const res = await fetch(`${url}/api/users/${n}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"load"}' });
      await res.arrayBuffer();
      assert.equal(res.status, 201);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const TOTAL = 20_000;
const CONCURRENCY = 32;

describe('load through a slow sink', () => {
  let fastP99 = 0;

  it('baseline: the same load against a fast sink (a local file)', async (t) => {
    const app = await runApp(`file:${join(tempDir(), 'audit.log')}`, 50_000);
    const latencies = await load(app.url, TOTAL, CONCURRENCY);
    const final = await app.stop();
    fastP99 = pct(latencies, 0.99);
    t.diagnostic(`file sink: p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${fastP99.toFixed(1)} ms; written ${final.written}`);
    assert.equal(final.written, TOTAL);
  });

  for (const scenario of [
    { name: 'a small queue: records are dropped, and every one is counted', max: 500 },
    { name: 'a queue large enough: nothing is dropped, nothing is lost', max: 50_000 },
  ]) {
    it(scenario.name, async (t) => {
      const peer = await slowPeer(40);
      t.after(() => peer.close());
      const app = await runApp(`syslog:${peer.port}`, scenario.max);
      const before = await app.stats();
      let retained = 0;
      const measure = async (): Promise<void> => {
        retained = Math.max(retained, (await app.stats()).heap - before.heap);
      };
      const latencies = await load(app.url, TOTAL, CONCURRENCY, measure);
      await measure();
      const final = await app.stop();
      const received = peer.records();
      const requests = received.filter((r) => r.event === 'request').length;
      const noticed = received.filter((r) => r.event === 'audit.records_dropped').reduce((n, r) => n + r.dropped, 0);
      const heapGrowth = retained / 2 ** 20;
      const p99 = pct(latencies, 0.99);
      t.diagnostic(
        `queue ${scenario.max}: accepted ${final.accepted}, written ${final.written}, dropped ${final.dropped}; ` +
          `p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (file sink p99 ${fastP99.toFixed(1)} ms); app heap retained +${heapGrowth.toFixed(1)} MiB`,
      );
      assert.equal(final.written, final.accepted, 'everything accepted was written by close()');
      assert.equal(received.length, final.written, 'the peer received exactly what was counted written');
      assert.equal(requests + final.dropped, TOTAL, 'every request is in the trail or counted as dropped');
      assert.equal(noticed, final.dropped, 'and the trail itself says how many were dropped');
      if (scenario.max >= TOTAL) assert.equal(final.dropped, 0, 'zero loss when no cap was reached');
      else {
        assert.ok(final.dropped > 0, 'the cap was reached');
        assert.ok(heapGrowth < 32, 'with a small queue, the app retains little: the queue bounds memory');
      }
      // The sink needs seconds to read what it is sent; requests that waited on it would show that.
      assert.ok(p99 < fastP99 * 3 + 50, `p99 ${p99.toFixed(1)} ms with the slow sink vs ${fastP99.toFixed(1)} ms with a file`);
    });
  }
});
