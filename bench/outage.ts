/**
 * Latency while the syslog server is away: an Express app with a file sink and a mutual-TLS syslog
 * sink (default spool) serves a paced load of POSTs while rsyslog runs, is stopped (the sink spools),
 * and is started again (the spool is replayed while new requests keep coming). For each phase: the
 * requests' latency (from their scheduled time, so queueing counts) and the app's event-loop delay
 * (monitorEventLoopDelay, 1 ms resolution). The app runs in its own process on core 0, this driver
 * on core 1 (taskset, when present).
 *
 *   RATE=400 PHASE_S=5 tsx bench/outage.ts     prints a Markdown table
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCertificates, Rsyslog } from '../packages/syslog/test/rsyslog.js';
import { POST } from './lib/request.mjs';

const RATE = Number(process.env.RATE ?? 400);
const PHASE_S = Number(process.env.PHASE_S ?? 5);
const pin = spawnSync('taskset', ['-c', '1', 'true']).status === 0 && cpus().length >= 2;
if (pin) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]);

const certs = makeCertificates();
const rs = await Rsyslog.start({ protocol: 'tls', certificates: certs });
const logDir = mkdtempSync(join(tmpdir(), 'auditkit-outage-'));
const appArgs = ['--import', 'tsx', fileURLToPath(new URL('./servers/outage-app.ts', import.meta.url)), String(rs.port), certs.dir, logDir];
// STRACE=<file>: the app runs under strace, which logs every fsync, fdatasync and rename with its thread and duration.
const command = [
  ...(pin ? ['taskset', '-c', '0'] : []),
  ...(process.env.STRACE ? ['strace', '-f', '-T', '-e', 'trace=fsync,fdatasync,rename', '-o', process.env.STRACE] : []),
  process.execPath,
  ...appArgs,
];
const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ask = <T>(message: string, type: string): Promise<T> =>
  new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    if (message) child.send(message);
  });
const { port, pid } = await ask<{ port: number; pid: number }>('', 'ready');

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const payload = Buffer.from(POST.body);
function send(): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: POST.path, method: 'POST', agent, headers: { ...POST.headers, 'content-length': String(payload.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    });
    req.on('error', () => resolve(NaN));
    req.end(payload);
  });
}
/** A paced phase: one request every 1/RATE s on a fixed schedule; latency from the scheduled time. */
async function phase(seconds: number): Promise<number[]> {
  const latencies: Array<Promise<number>> = [];
  const interval = 1000 / RATE;
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = start + n * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait - 1));
    else if (wait > 0) await new Promise((r) => setImmediate(r));
    if (performance.now() < due) continue;
    const lag = performance.now() - due;
    latencies.push(send().then((l) => l + lag));
    n++;
  }
  return Promise.all(latencies);
}

interface Loop { p50: number; p99: number; max: number; stats: { sinks: Record<string, { spooled: number; written: number; dropped: number }> }; faults: number }
const rows: string[] = [];
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const f = (x: number): string => x.toFixed(1);
async function measure(name: string, seconds: number, during?: () => Promise<void>): Promise<void> {
  await ask('phase', 'phase');
  const running = phase(seconds);
  if (during) await during();
  const lat = (await running).filter((l) => !Number.isNaN(l)).sort((a, b) => a - b);
  const loop = await ask<Loop>('phase', 'phase');
  const syslog = Object.entries(loop.stats.sinks).find(([k]) => k.startsWith('syslog'))![1];
  rows.push(`| ${name} | ${lat.length} | ${f(pct(lat, 0.5))} | ${f(pct(lat, 0.99))} | ${f(lat.at(-1)!)} | ${f(loop.p99)} | ${f(loop.max)} | ${syslog.spooled} | ${syslog.written} |`);
  console.log(rows.at(-1));
}

await measure('warm-up', 2);
await measure('rsyslog up', PHASE_S);
await measure('rsyslog stopped (spooling)', PHASE_S, () => rs.stop());
await measure('rsyslog restarted (replay + new requests)', PHASE_S, () => rs.restart());
await measure('after the replay', PHASE_S);
const closed = await ask<{ stats: unknown }>('close', 'closed');
await rs.stop();
agent.destroy();
console.log(`\n${RATE} POST/s, ${PHASE_S} s per phase, Node ${process.version}, ${cpus()[0]?.model}`);
console.log('| phase | requests | p50 ms | p99 ms | max ms | event-loop delay p99 ms | event-loop delay max ms | spooled at end | syslog written |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(JSON.stringify((closed.stats as { sinks: unknown }).sinks));
if (process.env.STRACE) {
  // strace -f writes one line per call: "<tid> fdatasync(12) = 0 <0.001234>". The app's main thread has the process's pid.
  const calls = new Map<string, number[]>();
  for (const line of readFileSync(process.env.STRACE, 'utf8').split('\n')) {
    const m = /^(\d+)\s+(\w+)\(.*<([\d.]+)>$/.exec(line);
    if (!m) continue;
    const key = `${Number(m[1]) === pid ? 'event loop' : 'thread pool'} ${m[2]}`;
    (calls.get(key) ?? calls.set(key, []).get(key)!).push(Number(m[3]) * 1000);
  }
  console.log('\n| thread | call | calls | total ms | slowest ms |\n|---|---|---:|---:|---:|');
  for (const [key, ms] of [...calls].sort()) {
    const [thread, call] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
    console.log(`| ${thread} | ${call} | ${ms.length} | ${f(ms.reduce((a, b) => a + b, 0))} | ${f(Math.max(...ms))} |`);
  }
}
