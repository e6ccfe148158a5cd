// Profiles one benchmark server under the benchmark's POST load:
// `node bench/profile.mjs <framework> <variant> [seconds]` writes a .cpuprofile into .tmp/profiles/
// and prints the top functions by self time.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POST } from './lib/request.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const [framework = 'fastify', variant = 'auditkit', seconds = '8'] = process.argv.slice(2);
const out = join(bench, '..', '.tmp', 'profiles');
mkdirSync(out, { recursive: true });
const logDir = mkdtempSync(join(tmpdir(), 'auditkit-profile-'));
const server = spawn('taskset', ['-c', '0', process.execPath, '--cpu-prof', `--cpu-prof-dir=${out}`, join(bench, 'servers/server.mjs'), framework, variant, logDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const [ready] = await once(server, 'message');
const config = { url: `http://127.0.0.1:${ready.port}${POST.path}`, method: POST.method, body: POST.body, headers: POST.headers, connections: 50, duration: Number(seconds) };
const load = spawn('taskset', ['-c', '1', process.execPath, join(bench, 'lib/load.mjs'), JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit'] });
await once(load, 'exit');
server.send('close');
await once(server, 'exit');
rmSync(logDir, { recursive: true, force: true });

const file = readdirSync(out).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(out, f)).sort().at(-1);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const ticks = new Map();
profile.samples.forEach((id, i) => ticks.set(id, (ticks.get(id) ?? 0) + (dt[i] ?? 0)));
let total = 0;
for (const [id, t] of ticks) {
  const n = byId.get(id);
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
}
console.log(`${file}\ntotal ${(total / 1e6).toFixed(2)} s sampled`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);

// Self time by where the code lives, and time inside (inclusive of callees) the heaviest functions.
const byPlace = new Map();
for (const [id, t] of ticks) {
  const url = byId.get(id).callFrame.url;
  const place = url.includes('/packages/') ? url.replace(/.*\/packages\//, 'packages/') : url.includes('node_modules') ? url.replace(/.*node_modules\/(\.pnpm\/)?/, '').split('/').slice(0, 2).join('/') : url.startsWith('node:') ? 'node internals' : url || '(native/vm)';
  byPlace.set(place, (byPlace.get(place) ?? 0) + t);
}
console.log('\nself time by place');
for (const [k, t] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, t] of ticks) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at).callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
console.log('\ninclusive time, auditkit functions');
for (const [k, t] of [...inclusive].filter(([k]) => k.includes('dist/index')).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
