import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';

// The packed tarballs, installed the way a new user installs them (issue 11, item 8): each one holds
// its build, README, LICENSE and repository; the adapters load in a fresh ESM app, a fresh CommonJS
// app and type-check in a TypeScript app, and write a record. Offline and fast: the tarballs are
// unpacked into the app's node_modules and every third-party dependency a tarball *declares* is
// linked from this workspace (an undeclared one fails to load, as it would after `npm install`).

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKED = ['core', 'store', 'api', 'express', 'fastify', 'koa'];

interface Manifest {
  name: string;
  repository?: { type?: string; url?: string; directory?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

let packs: string;
const files = new Map<string, string[]>();

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The directory of package `dep` as seen from `from` (also when its exports hide package.json). */
function packageDir(dep: string, from: string): string | undefined {
  const require = createRequire(join(from, 'package.json'));
  try {
    return dirname(require.resolve(`${dep}/package.json`));
  } catch {
    // Its exports do not list package.json: walk up from its entry point.
  }
  let dir: string;
  try {
    dir = dirname(require.resolve(dep));
  } catch {
    return undefined;
  }
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as Manifest).name === dep) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

/** Links `dep` into `modules`, resolved as the workspace package `from` resolves it. */
function link(modules: string, dep: string, from: string): boolean {
  const target = join(modules, dep);
  if (existsSync(target)) return true;
  const resolved = packageDir(dep, from);
  if (resolved === undefined) return false;
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(realpathSync(resolved), target, 'dir');
  return true;
}

/** A fresh app directory with the unpacked tarballs and what they declare. */
function freshApp(type: 'module' | 'commonjs', extra: string[]): string {
  const app = mkdtempSync(join(tmpdir(), `auditkit-tarball-${type}-`));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', type, private: true }));
  const modules = join(app, 'node_modules');
  for (const name of PACKED) {
    const dir = join(modules, '@auditkit', name);
    mkdirSync(dir, { recursive: true });
    run('tar', ['xzf', join(packs, `auditkit-${name}-0.1.0.tgz`), '--strip-components=1', '-C', dir], app);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const source = join(root, 'packages', name);
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      if (dep.startsWith('@auditkit/')) continue;
      const linked = link(modules, dep, source);
      assert.ok(linked || manifest.peerDependenciesMeta?.[dep]?.optional, `${manifest.name} declares ${dep}, which the workspace cannot provide`);
    }
  }
  // What the app itself installs beside auditkit (its framework's helpers, types for TypeScript).
  for (const dep of extra) assert.ok(link(modules, dep, join(root, 'packages', 'conformance')), `${dep} for the app`);
  return app;
}

const SERVERS = {
  express: {
    esm: `import express from 'express';\nimport { audit } from '@auditkit/express';\nconst app = express();\nconst middleware = audit();\napp.use(middleware);\napp.use(express.json());\napp.post('/items/:id', (req, res) => { req.audit.target({ type: 'item', id: req.params.id }); res.status(201).json({ ok: true }); });\nconst server = app.listen(0, '127.0.0.1');\nawait once(server, 'listening');\nconst stop = async () => { await new Promise((r) => server.close(r)); await middleware.close(); };`,
    cjs: `const express = require('express');\nconst { audit } = require('@auditkit/express');\nconst app = express();\nconst middleware = audit();\napp.use(middleware);\napp.use(express.json());\napp.post('/items/:id', (req, res) => { req.audit.target({ type: 'item', id: req.params.id }); res.status(201).json({ ok: true }); });\nconst server = app.listen(0, '127.0.0.1');\nawait once(server, 'listening');\nconst stop = async () => { await new Promise((r) => server.close(r)); await middleware.close(); };`,
  },
  fastify: {
    esm: `import Fastify from 'fastify';\nimport audit from '@auditkit/fastify';\nconst app = Fastify();\nawait app.register(audit);\napp.post('/items/:id', async (req, reply) => { req.audit.target({ type: 'item', id: req.params.id }); return reply.code(201).send({ ok: true }); });\nawait app.listen({ port: 0, host: '127.0.0.1' });\nconst server = app.server;\nconst stop = () => app.close();`,
    cjs: `const Fastify = require('fastify');\nconst { audit } = require('@auditkit/fastify');\nconst app = Fastify();\nawait app.register(audit);\napp.post('/items/:id', async (req, reply) => { req.audit.target({ type: 'item', id: req.params.id }); return reply.code(201).send({ ok: true }); });\nawait app.listen({ port: 0, host: '127.0.0.1' });\nconst server = app.server;\nconst stop = () => app.close();`,
  },
  koa: {
    esm: `import Koa from 'koa';\nimport Router from '@koa/router';\nimport bodyParser from '@koa/bodyparser';\nimport { audit } from '@auditkit/koa';\nconst app = new Koa();\nconst middleware = audit();\napp.use(middleware);\napp.use(bodyParser());\nconst router = new Router();\nrouter.post('/items/:id', (ctx) => { ctx.audit.target({ type: 'item', id: ctx.params.id }); ctx.status = 201; ctx.body = { ok: true }; });\napp.use(router.routes());\nconst server = app.listen(0, '127.0.0.1');\nawait once(server, 'listening');\nconst stop = async () => { await new Promise((r) => server.close(r)); await middleware.close(); };`,
    cjs: `const Koa = require('koa');\nconst Router = require('@koa/router');\nconst { bodyParser } = require('@koa/bodyparser');\nconst { audit } = require('@auditkit/koa');\nconst app = new Koa();\nconst middleware = audit();\napp.use(middleware);\napp.use(bodyParser());\nconst router = new Router();\nrouter.post('/items/:id', (ctx) => { ctx.audit.target({ type: 'item', id: ctx.params.id }); ctx.status = 201; ctx.body = { ok: true }; });\napp.use(router.routes());\nconst server = app.listen(0, '127.0.0.1');\nawait once(server, 'listening');\nconst stop = async () => { await new Promise((r) => server.close(r)); await middleware.close(); };`,
  },
} as const;

const EXERCISE = `
const { port } = server.address();
const res = await fetch('http://127.0.0.1:' + port + '/items/7', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'hunter2' }) });
await stop();
const [record] = readFileSync('log/audit.log', 'utf8').trim().split('\\n').map((l) => JSON.parse(l));
console.log(JSON.stringify({ status: res.status, operation_id: record.operation_id, target: record.target, body: record.http_request.body }));
`;

const HELPERS = {
  esm: `import { once } from 'node:events';\nimport { readFileSync } from 'node:fs';\n`,
  cjs: `const { once } = require('node:events');\nconst { readFileSync } = require('node:fs');\n(async () => {\n`,
};

function program(framework: keyof typeof SERVERS, kind: 'esm' | 'cjs'): string {
  return kind === 'esm' ? HELPERS.esm + SERVERS[framework].esm + EXERCISE : HELPERS.cjs + SERVERS[framework].cjs + EXERCISE + '})();\n';
}

const EXPECTED = { status: 201, operation_id: '/items/:id', target: { type: 'item', id: '7' }, body: { password: '******' } };

describe('packed tarballs in fresh apps', () => {
  before(() => {
    packs = mkdtempSync(join(tmpdir(), 'auditkit-packs-'));
    const filters = PACKED.flatMap((name) => ['--filter', `@auditkit/${name}`]);
    // prepack rebuilds a package only when its sources are newer than its dist/ (the suite has built).
    run('npx', ['--yes', 'pnpm@10', '-r', ...filters, 'pack', '--pack-destination', packs], root);
    for (const name of PACKED) files.set(name, run('tar', ['tzf', join(packs, `auditkit-${name}-0.1.0.tgz`)], packs).trim().split('\n').sort());
  });

  it('each tarball holds its build, README.md and LICENSE, and names its repository', () => {
    for (const name of PACKED) {
      const listed = files.get(name)!;
      for (const f of ['package/package.json', 'package/README.md', 'package/LICENSE', 'package/dist/index.js', 'package/dist/index.cjs', 'package/dist/index.d.ts', 'package/dist/index.d.cts']) {
        assert.ok(listed.includes(f), `${name}: ${f} in the tarball (has ${listed.join(', ')})`);
      }
      assert.ok(!listed.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/')), `${name}: no sources or tests`);
      const manifest = JSON.parse(run('tar', ['xzOf', join(packs, `auditkit-${name}-0.1.0.tgz`), 'package/package.json'], packs)) as Manifest;
      assert.deepEqual(manifest.repository, { type: 'git', url: 'git+https://github.com/auditkit/auditkit.git', directory: `packages/${name}` });
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) assert.doesNotMatch(range, /^workspace:/, `${name}: ${dep} has a real version`);
    }
    assert.ok(files.get('core')!.includes('package/schema/audit-record.schema.json'));
  });

  for (const kind of ['esm', 'cjs'] as const) {
    it(`Express, Fastify and Koa in a fresh ${kind === 'esm' ? 'ES module' : 'CommonJS'} app write their record`, () => {
      const app = freshApp(kind === 'esm' ? 'module' : 'commonjs', ['@koa/router', '@koa/bodyparser']);
      for (const framework of ['express', 'fastify', 'koa'] as const) {
        const cwd = mkdtempSync(join(app, `run-${framework}-`));
        const file = join(app, `${framework}.${kind === 'esm' ? 'mjs' : 'cjs'}`);
        writeFileSync(file, program(framework, kind));
        const out = run(process.execPath, [file], cwd).trim().split('\n').at(-1)!;
        assert.deepEqual(JSON.parse(out), EXPECTED, `${framework} (${kind})`);
      }
    });
  }

  it('a TypeScript app type-checks against the packed declarations (req.audit, request.audit, ctx.audit)', () => {
    const app = freshApp('module', ['@koa/router', '@types/express', '@types/koa', '@types/node']);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['*.ts', '*.cts'] }),
    );
    writeFileSync(
      join(app, 'app.ts'),
      [
        `import express from 'express';`,
        `import Fastify from 'fastify';`,
        `import Koa from 'koa';`,
        `import Router from '@koa/router';`,
        `import { audit as expressAudit, type AuditOptions } from '@auditkit/express';`,
        `import fastifyAudit from '@auditkit/fastify';`,
        `import { audit as koaAudit } from '@auditkit/koa';`,
        `const options: AuditOptions = { file: './log/audit.log' };`,
        `const e = express();`,
        `const middleware = expressAudit(options);`,
        `e.use(middleware);`,
        `e.post('/x', (req, res) => { req.audit.target({ type: 't', id: '1' }); res.json({ id: req.audit.requestId }); });`,
        `const stats: number = middleware.stats().sinks.file!.written;`,
        `const f = Fastify();`,
        `await f.register(fastifyAudit, options);`,
        `f.post('/x', { config: { audit: { operationType: 'x' } } }, async (request) => { request.audit.meta({ a: 1 }); return { ok: f.auditor.closed }; });`,
        `const k = new Koa();`,
        `k.use(koaAudit(options));`,
        `const r = new Router();`,
        `r.post('/x', (ctx) => { ctx.audit.operator('alice'); ctx.body = stats; });`,
        `k.use(r.routes());`,
        ``,
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'legacy.cts'),
      [`import express = require('express');`, `import auditkit = require('@auditkit/express');`, `const app = express();`, `app.use(auditkit.audit());`, `app.post('/y', (req, res) => { req.audit.skip(); res.end(); });`, ``].join('\n'),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  });
});
