// CPU instructions per audited request, counted by callgrind (deterministic, unlike time on a shared
// machine): `node bench/instructions.mjs core [variant]` or `node bench/instructions.mjs server
// <framework> <variant>`.
//
// - core: the built core alone, as a server would drive it: begin + complete of the benchmark's POST
//   (its headers, its ~1 KB body parsed), records written by the file sink (`auditkit`), with the hash
//   chain (`auditkit-chain`), or discarded (`auditkit-null`).
// - server: one benchmark server (bench/servers/server.mjs) under callgrind, sent a fixed number of
//   the benchmark's POSTs over 8 keep-alive connections by a client outside callgrind.
//
// Each runs twice, with N and 2N requests, and prints (I(2N) − I(N)) / N: start-up, warm-up and
// close cancel out. Node runs with --single-threaded so compiler and collector work happen on the
// counted thread in the same order each run (counts then repeat within about 0.5%).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POST } from './lib/request.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const [mode = 'core', a, b] = process.argv.slice(2);
const N = Number(process.env.N ?? (mode === 'core' ? 4000 : 1500));
const NODE_FLAGS = ['--single-threaded'];

function callgrind(args, extra = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-callgrind-'));
  const out = join(dir, 'callgrind.out');
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, ...NODE_FLAGS, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', ...(extra.ipc ? ['ipc'] : [])],
    env: { ...process.env, ...extra.env },
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const done = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`callgrind run failed (${code}):\n${stderr.slice(-2000)}`);
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    return Number(summary[1]);
  });
  return { child, done };
}

/** The core alone: a child script that builds `count` records. */
async function coreRun(variant, count) {
  const { done } = callgrind([join(bench, 'lib/instructions-core.mjs'), variant, String(count)]);
  return done;
}

/** `count` POSTs at a benchmark server under callgrind, 8 at a time on keep-alive connections. */
async function serverRun(framework, variant, count) {
  const logDir = mkdtempSync(join(tmpdir(), 'auditkit-callgrind-log-'));
  const { child, done } = callgrind([join(bench, 'servers/server.mjs'), framework, variant, logDir], { ipc: true });
  const [ready] = await once(child, 'message');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ready.port, path: POST.path, method: 'POST', headers: POST.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(POST.body);
    });
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  child.send('close');
  await once(child, 'message');
  const instructions = await done;
  rmSync(logDir, { recursive: true, force: true });
  return instructions;
}

const run = mode === 'core' ? (n) => coreRun(a ?? 'auditkit', n) : (n) => serverRun(a ?? 'fastify', b ?? 'auditkit', n);
if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed');
const small = await run(N);
const large = await run(2 * N);
const perRequest = (large - small) / N;
process.stdout.write(`${JSON.stringify({ mode, target: mode === 'core' ? (a ?? 'auditkit') : `${a ?? 'fastify'} ${b ?? 'auditkit'}`, n: N, small, large, perRequest: Math.round(perRequest) })}\n`);
