import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import express from 'express';
import TransportStream from 'winston-transport';
import { audit, type AuditOptions } from '@auditkit/express';
import { auditMetrics } from '../src/index.js';

/** A Winston transport that accepts writes and never finishes them: a sink that has stopped. */
class StuckTransport extends TransportStream {
  override log(_info: unknown, _callback: () => void): void {}
}

async function serve(options: AuditOptions) {
  const app = express();
  const middleware = audit(options);
  middleware.auditor.on('fault', () => undefined);
  const registry = auditMetrics(middleware, { labels: { service: 'billing' } });
  app.use(middleware);
  app.post('/orders', (_req, res) => void res.status(201).end());
  app.get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    /** Scrapes /metrics over HTTP, as Prometheus would, and returns name{labels} -> value. */
    async scrape(): Promise<Map<string, number>> {
      const text = await (await fetch(`${url}/metrics`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line.startsWith('#') || !line.trim()) continue;
        const i = line.lastIndexOf(' ');
        out.set(line.slice(0, i), Number(line.slice(i + 1)));
      }
      return out;
    },
    async close(timeoutMs?: number) {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await middleware.close({ timeoutMs });
    },
    stats: () => middleware.stats(),
  };
}

describe('Prometheus metrics', () => {
  it('expose per-sink counters in text format, read at scrape time', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auditkit-metrics-')), 'audit.log');
    const s = await serve({ file });
    try {
      for (let i = 0; i < 3; i++) await fetch(`${s.url}/orders`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 50));
      const m = await s.scrape();
      const sink = `sink="file:${file}",service="billing"`;
      assert.equal(m.get(`auditkit_records_accepted_total{${sink}}`), 3);
      assert.equal(m.get(`auditkit_records_written_total{${sink}}`), 3);
      assert.equal(m.get(`auditkit_records_dropped_total{${sink}}`), 0);
      assert.equal(m.get(`auditkit_records_queued{${sink}}`), 0);
      assert.equal(m.get(`auditkit_sink_up{${sink}}`), 1);
      assert.ok(Math.abs(m.get(`auditkit_sink_last_write_timestamp_seconds{${sink}}`)! - Date.now() / 1000) < 60);
    } finally {
      await s.close();
    }
  });

  it('show when auditing stops: sink_up drops to 0, errors and faults count', async () => {
    const s = await serve({ sinks: [{ transport: new StuckTransport(), queue: { writeTimeoutMs: 100, retryMs: 50, retryMaxMs: 100 } }] });
    try {
      await fetch(`${s.url}/orders`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 400));
      const m = await s.scrape();
      const sink = 'sink="transport#0",service="billing"';
      assert.equal(m.get(`auditkit_sink_up{${sink}}`), 0);
      assert.ok(m.get(`auditkit_write_errors_total{${sink}}`)! >= 1);
      assert.equal(m.get(`auditkit_records_queued{${sink}}`), 1, 'the record still waits');
      assert.ok(m.get('auditkit_faults_total{code="AUDITKIT_SINK_FAILED",service="billing"}')! >= 1);
      assert.equal(m.get(`auditkit_sink_last_write_timestamp_seconds{${sink}}`), 0, 'nothing was ever written');
    } finally {
      await s.close(200);
    }
    const [stuck] = Object.values(s.stats().sinks);
    assert.equal(stuck!.failed, 1, 'close() gave up on the record at its deadline and counted it');
  });
});
