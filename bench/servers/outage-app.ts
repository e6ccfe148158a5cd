// The app for bench/outage.ts: Express with auditkit's defaults plus a syslog TLS sink (mutual TLS,
// default spool), `node --import tsx outage-app.ts <syslogPort> <certDir> <logDir>`. The driver
// talks to it over IPC: `phase` resets the event-loop delay histogram and returns the last phase's.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import { audit } from '@auditkit/express';
import { AuditFileTransport } from '@auditkit/core';
import { AuditSyslogTransport } from '@auditkit/syslog';

const [port, certDir, logDir] = process.argv.slice(2) as [string, string, string];
const pem = (f: string): Buffer => readFileSync(join(certDir, f));
const middleware = audit({
  sinks: [new AuditFileTransport({ path: join(logDir, 'audit.log') }), new AuditSyslogTransport({ protocol: 'tls', port: Number(port), host: 'localhost', ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client-key.pem') })],
  spool: { dir: join(logDir, 'spool') },
});
const faults: string[] = [];
middleware.auditor.on('fault', (f: { code: string; message: string }) => { if (process.env.SHOW_FAULTS) console.error(f.message); faults.push(f.code); });
const app = express();
app.use(middleware);
app.use(express.json());
app.post('/api/users/:id', (req, res) => void res.status(201).json({ id: req.params.id }));
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
process.on('message', async (m: string) => {
  if (m === 'phase') {
    process.send!({ type: 'phase', p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), stats: middleware.stats(), faults: faults.length });
    delay.reset();
  }
  if (m === 'close') {
    await new Promise((r) => server.close(r));
    await middleware.close({ timeoutMs: 30_000 });
    process.send!({ type: 'closed', stats: middleware.stats() });
    process.exit(0);
  }
});
process.send!({ type: 'ready', port: (server.address() as { port: number }).port, pid: process.pid });
