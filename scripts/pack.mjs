// Packs every publishable package into tarballs (default ./.tmp/packs), in dependency order: each
// package's `prepack` builds it, so a tarball always holds dist/, README.md and LICENSE. pnpm packs,
// not npm: it turns `workspace:*` dependencies into the real version. Until the packages are on the
// registry, this is how to install them into an app:
//   node scripts/pack.mjs && npm install ./.tmp/packs/auditkit-core-0.1.0.tgz ...
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = resolve(outIndex === -1 ? join(root, '.tmp', 'packs') : process.argv[outIndex + 1]);

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);
const names = new Set(packages.map((p) => p.manifest.name));
const deps = (p) => Object.keys({ ...p.manifest.dependencies, ...p.manifest.peerDependencies }).filter((d) => names.has(d));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pnpm = process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npx', '--yes', 'pnpm@10'];
const done = new Set();
const tarballs = [];
while (done.size < packages.length) {
  const next = packages.find((p) => !done.has(p.manifest.name) && deps(p).every((d) => done.has(d)));
  if (!next) throw new Error('dependency cycle between packages');
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], { cwd: next.dir, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    console.error(`packing ${next.manifest.name} failed`);
    process.exit(1);
  }
  done.add(next.manifest.name);
  const file = `${next.manifest.name.replace('@', '').replace('/', '-')}-${next.manifest.version}.tgz`;
  tarballs.push(join(out, file));
  console.log(`packed ${next.manifest.name} -> ${join(out, file)}`);
}
console.log(`\n${tarballs.length} tarballs in ${out}. Install the adapter with what it depends on, e.g.:\n`);
console.log(`  npm install ${['core', 'store', 'api', 'express'].map((n) => join(out, `auditkit-${n}-0.1.0.tgz`)).join(' ')}`);
