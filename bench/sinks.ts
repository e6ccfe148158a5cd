/**
 * Records per second through each sink: N records built by the core (redaction and all) and pushed
 * through the pipeline into the sink until close() has confirmed every one. Winston's own File
 * transport is the baseline, measured in the same run; each sink runs three times, interleaved, and
 * the median is reported. rsyslog (started here on 127.0.0.1) receives the syslog runs.
 *
 *   pnpm bench:sinks            writes docs/benchmarks-sinks.md
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import type { AuditOptions } from '@auditkit/core';
import { produce } from './lib/produce.js';
import { AuditSyslogTransport } from '@auditkit/syslog';
import { makeCertificates, Rsyslog } from '../packages/syslog/test/rsyslog.js';

const N = Number(process.env.RECORDS ?? 50_000);
const RUNS = 3;
async function run(makeSinks: () => AuditOptions): Promise<{ perSecond: number; written: number; dropped: number }> {
  const { perSecond, auditor } = await produce(makeSinks(), N);
  const s = Object.values(auditor.stats().sinks)[0]!;
  return { perSecond, written: s.written, dropped: s.dropped };
}

const dir = (): string => mkdtempSync(join(tmpdir(), 'auditkit-bench-'));
const certs = makeCertificates();
const rsyslog = {
  udp: await Rsyslog.start({ protocol: 'udp' }),
  tcp: await Rsyslog.start({ protocol: 'tcp' }),
  tls: await Rsyslog.start({ protocol: 'tls', certificates: certs }),
};

const sinks: Array<[string, () => AuditOptions]> = [
  ['winston File transport (baseline)', () => ({ transports: [new winston.transports.File({ filename: join(dir(), 'w.log') })] })],
  ['file (default)', () => ({ file: join(dir(), 'audit.log') })],
  ['file, durable (fdatasync per batch)', () => ({ file: { path: join(dir(), 'audit.log'), durable: true } })],
  ['file, rotating every 8 MiB with gzip', () => ({ file: { path: join(dir(), 'audit.log'), maxSize: '8MiB', compress: true } })],
  ['syslog UDP', () => ({ sinks: [{ transport: new AuditSyslogTransport({ protocol: 'udp', port: rsyslog.udp.port }), spool: false }] })],
  ['syslog TCP (confirmed)', () => ({ sinks: [{ transport: new AuditSyslogTransport({ protocol: 'tcp', port: rsyslog.tcp.port }), spool: false }] })],
  [
    'syslog TLS, mutual (confirmed)',
    () => ({
      sinks: [
        {
          transport: new AuditSyslogTransport({ protocol: 'tls', port: rsyslog.tls.port, ca: readFileSync(certs.ca), cert: readFileSync(certs.client), key: readFileSync(certs.clientKey), servername: 'localhost' }),
          spool: false,
        },
      ],
    }),
  ],
];

const results = new Map<string, Array<{ perSecond: number; written: number; dropped: number }>>();
for (let r = 0; r < RUNS; r++) {
  for (const [name, make] of sinks) {
    const result = await run(make);
    (results.get(name) ?? results.set(name, []).get(name)!).push(result);
    console.log(`run ${r + 1} ${name}: ${Math.round(result.perSecond)} records/s (written ${result.written}, dropped ${result.dropped})`);
  }
}
for (const r of Object.values(rsyslog)) await r.stop();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(results.get(sinks[0]![0])!.map((x) => x.perSecond));
const rows = sinks.map(([name]) => {
  const rs = results.get(name)!;
  const m = median(rs.map((x) => x.perSecond));
  const written = Math.min(...rs.map((x) => x.written));
  return `| ${name} | ${Math.round(m).toLocaleString('en-US')} | ${(m / baseline).toFixed(2)} | ${written === N ? 'all' : written} |`;
});
const out = `# Sink throughput

Measured by \`pnpm bench:sinks\` (bench/sinks.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}.
${N.toLocaleString('en-US')} records per run, each built by the core from a 900-byte JSON body (redaction included) and
pushed through the pipeline until \`close()\` had every one confirmed; ${RUNS} runs per sink, interleaved, median shown.
The syslog sinks write to a local rsyslog 8 (imtcp/imudp, OpenSSL driver for TLS) on 127.0.0.1. A TCP or TLS record counts
as written only once rsyslog has confirmed reading it (a clean close, see docs/delivery.md); UDP confirms nothing.

| sink | records/s | vs winston File | delivered |
|---|---:|---:|---:|
${rows.join('\n')}

The figures include building each record (redaction, serialisation), so they are the pipeline's rate, not the disk's.
`;
writeFileSync(new URL('../docs/benchmarks-sinks.md', import.meta.url), out);
console.log('\n' + out);
