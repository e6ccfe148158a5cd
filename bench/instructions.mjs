// CPU instructions per audited request, counted by callgrind (deterministic, unlike time on a shared
// machine): `node bench/instructions.mjs core [variant]` or `node bench/instructions.mjs server
// <framework> <variant>`.
//
// - core: the built core alone, as a server would drive it: begin + complete of the benchmark's POST
//   (its headers, its ~1 KB body parsed), records written by the file sink (`auditkit`), with the hash
//   chain (`auditkit-chain`), or discarded (`auditkit-null`). AUDITKIT_CORE names another build of
//   the core (a copy of packages/core/dist/index.js) for an A/B.
// - server: one benchmark server (bench/servers/server.mjs) under callgrind, sent the benchmark's
//   POST over 8 keep-alive connections by a client outside callgrind.
//
// Counting is off while Node starts and warms up (WARMUP requests, by when most compiling is done)
// and on for the next N requests only, until their records are written (callgrind_control).
// Printed per request: all instructions, those of the optimising compiler and of the collector, and
// `work`, the rest: the figure to compare builds by.
// Node runs with --single-threaded, so compiler and collector work happen on the counted thread, and
// with fixed hash and random seeds: with V8's random hash seed, string hashing and hash-table
// collisions differ from run to run, and the counts with them (±4% measured).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logBytes } from './lib/log-files.mjs';
import { POST } from './lib/request.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const [mode = 'core', a, b] = process.argv.slice(2);
const N = Number(process.env.N ?? (mode === 'core' ? 2000 : 1000));
const WARMUP = Number(process.env.WARMUP ?? 3000);
const NODE_FLAGS = ['--single-threaded', '--hash-seed=1', '--random-seed=1'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function counting(pid, on) {
  const r = spawnSync('callgrind_control', ['-i', on ? 'on' : 'off', String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`callgrind_control failed: ${r.stderr}`);
}

function callgrind(args) {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-callgrind-'));
  const out = join(dir, 'callgrind.out');
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, process.execPath, ...NODE_FLAGS, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const done = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`callgrind run failed (${code}):\n${stderr.slice(-2000)}`);
    const total = Number(/^totals:\s+(\d+)/m.exec(readFileSync(out, 'utf8'))[1]);
    // What the optimising compiler and the collector spent inside the window, from the inclusive
    // costs: compilation still happens after the warm-up (re-optimisations) and varies from build
    // to build by more than most changes measured here, so `work` leaves both out.
    const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', out], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    const inclusive = (symbol) => {
      const line = annotated.split('\n').find((l) => l.includes(symbol));
      return line ? Number(line.trim().split(/\s+/)[0].replace(/,/g, '')) : 0;
    };
    const compile = inclusive('v8::internal::Runtime_CompileOptimized(') + inclusive('v8::internal::Runtime_CompileLazy(');
    const gc = inclusive('v8::internal::Heap::CollectGarbage(');
    if (process.env.KEEP) spawnSync('cp', [out, process.env.KEEP]);
    rmSync(dir, { recursive: true, force: true });
    return { total, compile, gc };
  });
  const next = (type) => new Promise((resolve) => child.on('message', function on(m) {
    if (m.type !== type) return;
    child.off('message', on);
    resolve(m);
  }));
  return { child, done, next };
}

/** The core alone (lib/instructions-core.mjs), counted between its `warm` and `done` messages. */
async function coreRun(variant) {
  const { child, done, next } = callgrind([join(bench, 'lib/instructions-core.mjs'), variant, String(WARMUP), String(N)]);
  await next('warm');
  counting(child.pid, true);
  child.send('go');
  await next('done');
  counting(child.pid, false);
  child.send('close');
  return done;
}

/** A benchmark server: WARMUP POSTs, then N counted ones, until the log stops growing. */
async function serverRun(framework, variant) {
  const logDir = mkdtempSync(join(tmpdir(), 'auditkit-callgrind-log-'));
  const { child, done, next } = callgrind([join(bench, 'servers/server.mjs'), framework, variant, logDir]);
  const ready = await next('ready');
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
  const send = async (count) => {
    let sent = 0;
    const worker = async () => {
      while (sent < count) {
        sent++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  };
  const settle = async () => {
    for (let size = -1; size !== logBytes(logDir); ) {
      size = logBytes(logDir);
      await sleep(500);
    }
  };
  await send(WARMUP);
  await settle();
  counting(child.pid, true);
  await send(N);
  await settle();
  counting(child.pid, false);
  agent.destroy();
  child.send('close');
  await next('closed');
  const instructions = await done;
  rmSync(logDir, { recursive: true, force: true });
  return instructions;
}

if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed');
const target = mode === 'core' ? (a ?? 'auditkit') : `${a ?? 'fastify'} ${b ?? 'auditkit'}`;
const instructions = mode === 'core' ? await coreRun(a ?? 'auditkit') : await serverRun(a ?? 'fastify', b ?? 'auditkit');
const per = (x) => Math.round(x / N);
process.stdout.write(
  `${JSON.stringify({ mode, target, core: process.env.AUDITKIT_CORE, warmup: WARMUP, n: N, perRequest: per(instructions.total), compile: per(instructions.compile), gc: per(instructions.gc), work: per(instructions.total - instructions.compile - instructions.gc) })}\n`,
);
