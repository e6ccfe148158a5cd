// The demo: builds the packages, starts an example app (Express by default; pass `fastify` or `koa`),
// sends it a few real HTTP requests, stops it, shows the audit records it wrote, and serves the
// dashboard over them.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const framework = ['express', 'fastify', 'koa'].find((f) => process.argv.includes(f)) ?? 'express';

// --no-build: the packages are built already (the tests run the demo this way).
if (!process.argv.includes('--no-build')) {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const cwd = join(root, '.tmp', `demo-${framework}`);
rmSync(cwd, { recursive: true, force: true });
mkdirSync(cwd, { recursive: true });

// The example's query API answers only this token (examples/*/src/viewer-access.ts).
const viewerToken = randomBytes(18).toString('base64url');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const server = spawn(process.execPath, ['--import', tsx, join(root, 'examples', framework, 'src/server.ts')], {
  cwd,
  env: { ...process.env, PORT: '0', AUDIT_VIEWER_TOKEN: viewerToken },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise((resolve) => server.once('exit', resolve));
// Whatever happens below (a failed request, Ctrl-C), the example server does not outlive the demo.
const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
};
process.once('exit', stopServer);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopServer();
    void exited.then(() => process.exit(130));
  });
}

try {
  await runDemo();
} catch (err) {
  console.error(`\nThe demo failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  stopServer();
  await exited;
}

async function runDemo() {
  const baseUrl = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (c) => {
      out += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`the example exited (${code}): ${out}`)));
  });
  console.log(`Started examples/${framework} at ${baseUrl}; sending requests:\n`);

  // An unsigned-for-the-demo JWT naming the operator "alice" (auditkit decodes it; with verification
  // keys configured it would also verify it).
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })}.c2lnbmF0dXJl`;

  async function send(method, path, body, expected, headers = {}) {
    const res = await fetch(baseUrl + path, {
      method,
      // A JSON content type only with a JSON body: Fastify rightly answers 400 to an empty JSON body.
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${token}`, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    console.log(`  ${method.padEnd(6)} ${path.padEnd(36)} -> ${res.status}`);
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status} (expected ${expected}): ${text.slice(0, 200)}`);
    return /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : undefined;
  }

  const created = await send('POST', '/orgs/acme/users', { name: 'Ada', email: 'ada@example.com', password: 'hunter2' }, 201);
  await send('PATCH', `/orgs/acme/users/${created.id}/role`, { role: 'admin', reason: 'on-call rotation' }, 200);
  await send('GET', '/orgs/acme/users', undefined, 200);
  await send('DELETE', `/orgs/acme/users/${created.id}`, undefined, 204);
  await send('POST', '/session', { user: 'mallory', password: 'letmein' }, 401, { authorization: '' });
  await send('GET', '/health', undefined, 200);

  await readBack(baseUrl);

  // SIGTERM: the example stops taking requests, then writes every record it accepted.
  stopServer();
  await exited;

  const file = join(cwd, 'log', 'audit.log');
  const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  console.log(`\n${records.length} records in ${file} (the GETs were not audited; the reads of the trail were):\n`);
  for (const r of records) {
    console.log(`  ${r.ts}  ${line(r)} verified=${r.source_verified}`);
  }
  console.log('\nThe first record in full (note the masked password and authorization):\n');
  console.log(JSON.stringify(records[0], null, 2));

  await serveDashboard(file);
}

// Last, the dashboard over the demo's records: the SQLite store the example wrote, served by
// `auditkit serve` on 127.0.0.1 with a token. Open the printed address; Ctrl+C stops it. Without a
// terminal (the tests, a script), it prints the address and stops at once.
async function serveDashboard(file) {
  const cli = join(root, 'packages/cli/bin/auditkit.mjs');
  // The store the example wrote while it ran (`auditkit import` would load a trail's files into one).
  const db = `sqlite:${join(cwd, 'data', 'audit.db')}`;
  const dashboard = spawn(process.execPath, [cli, 'serve', '--store', db], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stopped = new Promise((resolve) => dashboard.once('exit', resolve));
  const stop = () => {
    if (dashboard.exitCode === null && dashboard.signalCode === null) dashboard.kill('SIGTERM');
  };
  process.once('exit', stop);
  try {
    const address = await new Promise((resolve, reject) => {
      let out = '';
      dashboard.stdout.on('data', (c) => {
        out += c;
        const m = /Audit dashboard: (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      dashboard.once('exit', (code) => reject(new Error(`auditkit serve exited (${code}): ${out}`)));
    });
    console.log(`\nThe dashboard over these records (auditkit serve, this machine only):\n\n  ${address}\n`);
    if (process.stdout.isTTY) {
      console.log('Open it in a browser; Ctrl+C stops it.');
      await stopped;
    }
  } finally {
    stop();
    await stopped;
  }
}

/** One record as a line of the listings: what happened, to what, by whom, how it ended. */
function line(r) {
  const what = r.event === 'request' ? `${r.http_method.toUpperCase().padEnd(6)} ${r.operation_id}` : `${r.event}`;
  return `${what.padEnd(38)} ${String(r.http_status_code ?? '').padEnd(3)} ${String(r.operation_result).padEnd(7)} source=${r.source ?? '-'}`;
}

// The read side while the app runs: the trail queried back through the example's query API
// (GET /admin/audit/records, EMQX's filters), with the viewer token and without it.
async function readBack(baseUrl) {
  const api = `${baseUrl}/admin/audit/records`;
  const get = (query, headers = { authorization: `Bearer ${viewerToken}` }) => fetch(`${api}?${query}`, { headers });
  // The store's sink writes in batches off the request path: wait (briefly) until all five are in.
  let page;
  for (let i = 0; i < 50; i++) {
    const res = await get('event=request,user.role_changed&limit=20');
    if (res.status !== 200) throw new Error(`GET /admin/audit/records answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    page = await res.json();
    if (page.data.length >= 5) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`\nRead back through the query API (GET /admin/audit/records, newest first): ${page.data.length} records\n`);
  for (const r of page.data) console.log(`  ${r.ts}  ${line(r)}`);
  const failures = await (await get('operation_result=failure&event=request')).json();
  console.log(`\n  ?operation_result=failure -> ${failures.data.map((r) => `${r.operation_id} ${r.http_status_code} (source=${r.source})`).join(', ')}`);
  const refused = await get('limit=1', {});
  console.log(`  without the viewer token -> ${refused.status}; each read above is itself in the trail (audit.log.view)`);
  await refused.arrayBuffer();
}
